"""genimg's one-pass generators as N replicas under Ray Serve (a plain HTTP deployment).

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
        from genimg.ui.common import result_sheet
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
