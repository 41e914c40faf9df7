"""genimg: generate images with every family of generators, side by side, live on a CPU.

    python app.py            # http://127.0.0.1:7860
"""
from __future__ import annotations

import ctypes
import os

import gradio as gr

from genimg import checkpoint, pipeline, ui

CSS = "img { image-rendering: pixelated; }"
# Worker processes for the model work of each cost class (genimg.ui.handlers.QUICK / LONG), one
# torch thread each, each class with its own queue: a GAN click never waits behind a diffusion
# run, and the long work has a process per core. GENIMG_WORKERS="quick=1,long=2" changes them;
# GENIMG_POOL=ray runs them as Ray Serve replicas (serve.py), GENIMG_POOL=threads in this process
# (one request per class at a time). See docs/serving.md.
WORKERS = {"quick": 1, "long": 2}
POOLS = ("processes", "ray", "threads")
IN_FLIGHT = {"quick": 8, "long": 16}  # requests a class takes from its queue at once (waiting for a worker, or replayed)
CACHE_MB = 200  # finished answers kept for the next visitor who asks the same (GENIMG_CACHE_MB=0: none)
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


def pool_kind() -> str:
    """Where the model work runs: ``GENIMG_POOL`` (processes, ray or threads)."""
    kind = os.environ.get("GENIMG_POOL", "processes")
    if kind not in POOLS:
        raise SystemExit(f"GENIMG_POOL takes one of {', '.join(POOLS)}, got {kind!r}")
    return kind


def cache_mb() -> float:
    raw = os.environ.get("GENIMG_CACHE_MB", str(CACHE_MB))
    try:
        value = float(raw)
    except ValueError:
        value = -1
    if not value >= 0:
        raise SystemExit(f"GENIMG_CACHE_MB takes a number of MB >= 0 (0: no cache), got {raw!r}")
    return value


def serve_model_work(demo: gr.Blocks) -> dict[str, int]:
    """Run the cost classes' events in worker processes (``GENIMG_POOL=ray``: Ray Serve
    replicas; ``threads``: this process) and answer them through the cache of finished answers;
    the requests each class takes at once."""
    sizes, classes, kind = workers(), tuple(WORKERS), pool_kind()
    if kind == "threads":
        pipeline.pin_threads(len(classes))
        limits = {cls: 1 for cls in classes}
    else:
        pipeline.pin_threads(2)  # this process only draws what a page asks for; the workers have the cores
        if kind == "ray":
            from serve import RayPool

            pool = RayPool(sizes, float(os.environ.get("GENIMG_RAY_CPUS", "1")))  # CPUs each replica asks of Ray
        else:
            pool = ui.workers.Pool(sizes)
        ui.workers.offload(demo, pool, classes)
        close = demo.close
        demo.close = lambda: (pool.close(), close())[1]
        limits = IN_FLIGHT
    answers = ui.answers.Answers(cache_mb())
    if answers.limit:
        ui.answers.remember(demo, answers, classes)
    with demo:
        gr.api(answers.stats, api_name="cache_stats", api_visibility="undocumented", queue=False)
    return limits


def launch(demo: gr.Blocks, queue_size: int = QUEUE_SIZE, **kwargs):
    """Serve ``demo`` hardened for a classroom: model work in ``WORKERS`` processes per cost class,
    finished answers kept for the next visitor, a bounded queue, few malloc arenas, the state of
    the last ``SESSIONS`` visitors only, 2 MB uploads, no monitoring page, the weights not served."""
    limits = serve_model_work(demo)
    ui.sessions.lighten(demo)
    ui.aging.safely()
    fewer_malloc_arenas()
    for fn in demo.fns.values():  # each cost class's queue serves its own number at once
        if fn.concurrency_id in limits:
            fn.concurrency_limit = limits[fn.concurrency_id]
    demo.queue(max_size=queue_size, default_concurrency_limit=2)  # the other events: page updates in this process
    return demo.launch(css=CSS, max_file_size="2mb", enable_monitoring=False, show_error=False,
                       blocked_paths=[str(checkpoint.CHECKPOINT_DIR), str(checkpoint.RUNS_DIR)],
                       state_session_capacity=SESSIONS, footer_links=["api"], i18n=ui.i18n.translations(),
                       **kwargs)


if __name__ == "__main__":
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    launch(build_demo(), server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
