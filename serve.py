"""genimg under Ray Serve: the app's model work as replicas (``RayPool``), and the one-pass
generators as N replicas behind a plain HTTP deployment.

    GENIMG_POOL=ray python app.py     # the app, its model work in Ray Serve replicas

``RayPool`` has the interface of ``genimg.ui.workers.Pool`` (local worker processes, the
default): each replica builds the app's handlers once and runs one request at a time, streaming
what the handler yields back through a deployment handle, its pictures as PNG bytes (a replica
may be on another machine), which the app writes to its own cache. The Gradio process keeps its
queues and sessions; only the model work moves. The plain HTTP deployment:

    pip install -r requirements-ray.txt
    python serve.py --replicas 2 --port 8000
    curl 'http://127.0.0.1:8000/generate?family=gan&dataset=fashion&label=3&n=4&seed=7&truncation=0.8' -o grid.png

Each replica is a Ray actor with one CPU (one torch thread) and its own copy of the weights, and
Ray's HTTP proxy spreads the requests over them. A request names what ``/generate_<family>``
takes, by the API's names; the answer is the same PNG the app returns for the same arguments
(the same bytes), with the replica's process id in ``X-Replica``, or a 400 whose text names the
allowed values.

Why not the app itself under Ray Serve's Gradio integration (``GradioServer``, Ray 2.60 with
Gradio 6.31): two replicas of ``genimg.ui.build`` start, ``/config`` and ``/gradio_api/info``
answer, and an API call is accepted (``POST /gradio_api/call/generate_gan`` gives an event id),
but its result, fetched by a second request, comes back cut short or never: the proxy sends that
request to either replica, and only the one that queued the event knows it (Gradio keeps its
queue and a session's events in the process that accepted them). The page itself answers an
HTTP error. Serving the whole app from replicas needs sticky sessions (README, "As a Hugging
Face Space"); this deployment serves what needs no session.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from ray import serve
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

ROOT = Path(__file__).resolve().parent


@serve.deployment(ray_actor_options={"num_cpus": 1})
class Generator:
    """``GET /generate?family=...&dataset=...&label=...&n=...&seed=...&<options>`` -> the PNG grid."""

    def __init__(self):
        from genimg import pipeline

        pipeline.pin_threads(1)

    def __call__(self, request: Request) -> Response:
        from genimg import pipeline
        from genimg.ui.panels import result_sheet
        from genimg.ui.picture import png_bytes

        query = dict(request.query_params)
        try:
            family = query.pop("family", None)
            if family is None:
                raise ValueError("family is missing: name one of the families, e.g. family=gan")
            label = query.pop("label", "-1")
            r = pipeline.generate(family, query.pop("dataset", "mnist"), None if label == "-1" else label,
                                  query.pop("n", 16), query.pop("seed", 0), **query)
        except ValueError as e:
            return PlainTextResponse(str(e), status_code=400)
        return Response(png_bytes(result_sheet(r)), media_type="image/png", headers={"X-Replica": str(os.getpid())})


def _png(outputs):
    """A handler's outputs with each picture as PNG bytes (for a process that may be elsewhere)."""
    from PIL import Image

    from genimg.ui.picture import each_output, png_bytes

    return each_output(outputs, lambda v: png_bytes(v) if isinstance(v, Image.Image) else v)


def _cached(outputs):
    """PNG bytes back to files in this process's cache, passed on as their paths."""
    from genimg.ui.picture import cache_file, each_output

    return each_output(outputs, lambda v: cache_file(v, "image.png") if isinstance(v, bytes) else v)


@serve.deployment(ray_actor_options={"num_cpus": 1}, max_ongoing_requests=1)
class Handlers:
    """The app's endpoint handlers in a replica, one request at a time (the model work that
    ``genimg.ui.workers.Pool`` runs in local processes)."""

    def __init__(self):
        os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
        from genimg import pipeline
        from genimg.ui import build

        pipeline.pin_threads(1)
        self.handlers = {fn.api_name: fn.fn for fn in build().fns.values() if fn.api_name}

    def run(self, api: str, args: tuple, lang: str):
        from genimg.ui.workers import CRASH, handled

        if api not in self.handlers:
            yield CRASH, f"no endpoint {api!r}"
            return
        yield from handled(self.handlers[api], args, lang, picture=_png)


class RayPool:
    """``genimg.ui.workers.Pool``'s interface over Ray Serve replicas: ``sizes`` replicas per cost
    class, ``cpus`` CPUs each (Ray is started here unless it runs already)."""

    def __init__(self, sizes: dict[str, int], cpus: float = 1):
        import ray

        if not ray.is_initialized():
            ray.init(num_cpus=sum(sizes.values()), include_dashboard=False, runtime_env={"env_vars": {
                "PYTHONPATH": str(ROOT), "GRADIO_ANALYTICS_ENABLED": "False"}})
            serve.start(proxy_location="Disabled")
        self.handles = {cls: serve.run(Handlers.options(name=f"genimg-{cls}", num_replicas=count,
                                                        ray_actor_options={"num_cpus": cpus}).bind(),
                                       name=f"genimg-{cls}", route_prefix=None) for cls, count in sizes.items()}

    def run(self, cls: str, api: str, args: tuple, lang: str):
        import gradio as gr

        from genimg.ui import i18n
        from genimg.ui.workers import ERROR, YIELD

        response = self.handles[cls].options(stream=True).run.remote(api, args, lang)
        settled = False
        try:
            for kind, value in response:
                if kind == YIELD:
                    yield _cached(value)
                    continue
                settled = True
                if kind == ERROR:
                    raise gr.Error(value, print_exception=False)
                if kind != "done":
                    raise gr.Error(i18n.say("The server could not finish this request; try again."))
                return
        finally:
            if not settled:  # the visitor stopped or left: the replica's handler is cancelled
                response.cancel()

    def close(self) -> None:
        for cls in self.handles:
            try:
                serve.delete(f"genimg-{cls}")
            except Exception:  # noqa: BLE001 - already gone (a later pool of the same names replaced it)
                pass


def start(replicas: int = 2, port: int = 8000) -> str:
    """Start Ray on this machine with a CPU per replica, and the replicas behind Ray's HTTP
    proxy on ``port``; the URL of ``/generate``."""
    import ray

    ray.init(num_cpus=replicas, include_dashboard=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(ROOT), "GRADIO_ANALYTICS_ENABLED": "False"}})
    serve.start(http_options={"host": "127.0.0.1", "port": port})
    serve.run(Generator.options(num_replicas=replicas).bind(), route_prefix="/generate")
    return f"http://127.0.0.1:{port}/generate"


def stop() -> None:
    import ray

    serve.shutdown()
    ray.shutdown()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--replicas", type=int, default=2)
    p.add_argument("--port", type=int, default=8000)
    a = p.parse_args()
    print("serving", start(a.replicas, a.port), "(Ctrl-C stops)")
    try:
        import time
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        stop()
