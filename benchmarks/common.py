"""What the benchmark scripts share: timing, FLOP counting, and writing results into README.md
between ``<!-- name:begin -->`` / ``<!-- name:end -->`` markers."""
from __future__ import annotations

import re
import time
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


def replace(text: str, marker: str, body: str) -> str:
    begin, end = f"<!-- {marker}:begin -->", f"<!-- {marker}:end -->"
    return re.sub(f"{re.escape(begin)}.*?{re.escape(end)}", lambda _: f"{begin}\n{body}\n{end}", text, flags=re.S)


def write_readme(marker: str, body: str) -> None:
    README.write_text(replace(README.read_text(), marker, body))
