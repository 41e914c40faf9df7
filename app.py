"""genimg: generate images with every family of generators, side by side, live on a CPU.

    python app.py            # http://127.0.0.1:7860
"""
from __future__ import annotations

import ctypes
import os

import gradio as gr

from genimg import checkpoint, pipeline, ui

CSS = "img { image-rendering: pixelated; }"
WORKERS = 2  # model requests served at once (one concurrency group for every event that runs a network)
QUEUE_SIZE = 64  # requests waiting beyond that are answered "queue full"
SESSIONS = 256  # visitors whose page state the server keeps (each ~0.5 MB; Gradio's default keeps 10,000)


def fewer_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's malloc arenas (as MALLOC_ARENA_MAX does). Gradio runs handlers on dozens of
    threads and glibc gives them up to 8 arenas per core, each keeping its own high-water mark:
    under load the server held ~250 MB more without this. False where there is no glibc."""
    try:
        return ctypes.CDLL("libc.so.6").mallopt(-8, arenas) == 1  # -8: M_ARENA_MAX
    except (OSError, AttributeError):
        return False


def build_demo() -> gr.Blocks:
    return ui.build()


def launch(demo: gr.Blocks, queue_size: int = QUEUE_SIZE, **kwargs):
    """Serve ``demo`` hardened for a classroom: a bounded queue, ``WORKERS`` model requests at once
    with the cores shared between them and few malloc arenas, the state of the last ``SESSIONS``
    visitors only, 2 MB uploads, no monitoring page, the weights not served."""
    pipeline.pin_threads(WORKERS)
    fewer_malloc_arenas()
    demo.queue(max_size=queue_size, default_concurrency_limit=WORKERS)
    return demo.launch(css=CSS, max_file_size="2mb", enable_monitoring=False, show_error=False,
                       blocked_paths=[str(checkpoint.CHECKPOINT_DIR), str(checkpoint.RUNS_DIR)],
                       state_session_capacity=SESSIONS, footer_links=["api"], i18n=ui.i18n(),
                       **kwargs)


if __name__ == "__main__":
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    launch(build_demo(), server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
