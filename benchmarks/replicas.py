"""Requests a second from 1 and from 2 Ray Serve replicas (serve.py) on this machine.

    pip install -r requirements-ray.txt
    python benchmarks/replicas.py [--clients 4] [--seconds 20] [--query 'family=diffusion&n=4&seed=1']

Starts Ray and the replicas for each count in turn, warms them, then ``--clients`` threads send
the query back to back for ``--seconds``; prints and saves the requests a second of each.
"""
from __future__ import annotations

import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import parser, save_json  # noqa: E402
from genimg.testing import free_port  # noqa: E402


def rate(url: str, clients: int, seconds: float) -> float:
    """Requests a second that ``clients`` threads get from ``url`` in ``seconds``."""
    urllib.request.urlopen(url, timeout=60).read()  # warm
    done, until = [0], time.perf_counter() + seconds

    def loop():
        while time.perf_counter() < until:
            urllib.request.urlopen(url, timeout=60).read()
            done[0] += 1

    threads = [threading.Thread(target=loop) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done[0] / seconds


def main() -> None:
    import serve

    p = parser(__doc__, "replicas", threads=False, write=False)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--query", default="family=diffusion&n=4&seed=1")
    a = p.parse_args()
    result = {"date": time.strftime("%Y-%m-%d"), "query": a.query, "clients": a.clients, "per_second": {}}
    for replicas in (1, 2):
        url = serve.start(replicas, free_port()) + "?" + a.query
        try:
            result["per_second"][replicas] = round(rate(url, a.clients, a.seconds), 2)
        finally:
            serve.stop()
        print(f"{replicas} replica(s): {result['per_second'][replicas]} requests a second")
    save_json(a.out, result)


if __name__ == "__main__":
    main()
