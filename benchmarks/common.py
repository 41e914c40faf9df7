"""What the benchmark scripts share: timing, FLOP counting, and writing results into README.md
between ``<!-- name:begin -->`` / ``<!-- name:end -->`` markers."""
from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def timed(fn):
    """(fn's result, wall seconds), under inference mode."""
    t0 = time.perf_counter()
    with torch.inference_mode():
        out = fn()
    return out, time.perf_counter() - t0


def best_of(fn, repeats: int):
    """(the last result, the fastest of ``repeats`` runs in seconds)."""
    times = []
    for _ in range(repeats):
        out, t = timed(fn)
        times.append(t)
    return out, min(times)


def flops(fn) -> float:
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        fn()
    return counter.get_total_flops()


def parser(doc: str, name: str, write_help: str = "update README.md", threads: bool = True,
           write: bool = True) -> argparse.ArgumentParser:
    """The options every benchmark script shares: ``--threads`` (torch CPU threads, default 2),
    ``--out`` (benchmarks/results/<name>.json) and ``--write``."""
    p = argparse.ArgumentParser(description=doc.split("\n")[0])
    if threads:
        p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / f"{name}.json"))
    if write:
        p.add_argument("--write", action="store_true", help=write_help)
    return p


def save_json(path, result: dict) -> None:
    """Write a benchmark's result as indented JSON, creating the folder."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(result, indent=1) + "\n")


def replace(text: str, marker: str, body: str) -> str:
    begin, end = f"<!-- {marker}:begin -->", f"<!-- {marker}:end -->"
    return re.sub(f"{re.escape(begin)}.*?{re.escape(end)}", lambda _: f"{begin}\n{body}\n{end}", text, flags=re.S)


def write_readme(marker: str, body: str) -> None:
    README.write_text(replace(README.read_text(), marker, body))


def free_port() -> int:
    """A loopback port nothing listens on (yet)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch_app(timeout: float = 60.0) -> tuple[subprocess.Popen, str, float]:
    """Start ``python app.py`` on a free loopback port: (the process, its URL, seconds until it
    answered its first page). The caller terminates the process."""
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    while time.perf_counter() - t0 < timeout:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return proc, url, time.perf_counter() - t0
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError(f"the app did not answer within {timeout:.0f} s")
