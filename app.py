"""genimg: generate images with every family of generators, side by side, live on a CPU.

    python app.py            # http://127.0.0.1:7860
"""
from __future__ import annotations

import ctypes
import os

import gradio as gr

from genimg import checkpoint, pipeline, ui

CSS = "img { image-rendering: pixelated; }"
# Requests served at once in each cost class (genimg.ui.common.QUICK / LONG), each class with its
# own queue: a GAN click never waits behind a diffusion run. GENIMG_WORKERS="quick=1,long=2" changes them. One
# each on 2 cores measured best: see README, Serving a classroom.
WORKERS = {"quick": 1, "long": 1}
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


def workers() -> dict[str, int]:
    """``WORKERS``, as ``GENIMG_WORKERS`` (``quick=1,long=2``) changes them."""
    out = dict(WORKERS)
    for pair in filter(None, os.environ.get("GENIMG_WORKERS", "").split(",")):
        name, _, count = pair.partition("=")
        if name not in out or not count.isdigit() or int(count) < 1:
            raise SystemExit(f"GENIMG_WORKERS takes quick=N,long=N with N >= 1, got {pair!r}")
        out[name] = int(count)
    return out


def launch(demo: gr.Blocks, queue_size: int = QUEUE_SIZE, **kwargs):
    """Serve ``demo`` hardened for a classroom: a bounded queue, ``WORKERS`` requests at once per
    cost class with the cores shared between them and few malloc arenas, the state of the last ``SESSIONS``
    visitors only, 2 MB uploads, no monitoring page, the weights not served."""
    limits = workers()
    pipeline.pin_threads(sum(limits.values()))
    fewer_malloc_arenas()
    for fn in demo.fns.values():  # each cost class's queue serves its own number at once
        if fn.concurrency_id in limits:
            fn.concurrency_limit = limits[fn.concurrency_id]
    demo.queue(max_size=queue_size, default_concurrency_limit=limits["long"])
    return demo.launch(css=CSS, max_file_size="2mb", enable_monitoring=False, show_error=False,
                       blocked_paths=[str(checkpoint.CHECKPOINT_DIR), str(checkpoint.RUNS_DIR)],
                       state_session_capacity=SESSIONS, footer_links=["api"], i18n=ui.i18n(),
                       **kwargs)


if __name__ == "__main__":
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    launch(build_demo(), server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
