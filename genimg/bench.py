"""``python -m genimg bench``: speed only, every measurement side by side in one run.

* **Throughput**: images per second of every shipped family at batch sizes 1, 16 and 64, at the
  default options (``Model.sample``; the median of repeated runs after a warm-up).
* **First frame**: for each streaming tab of the app, the time from calling the tab's handler
  (with the tab's default inputs, as a click does) to its first frame and to its last one.
  Rendering is included, the network between browser and server is not.
* **Fast vs naive**: for every family whose model has a textbook sampler (``sample_naive``),
  both on the same labels and seed: their times, the speed-up, and whether the images match.

Prints a table and returns (and the CLI writes) the results as JSON.
"""
from __future__ import annotations

import inspect
import platform
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
from torch.utils.flop_counter import FlopCounterMode

from . import pipeline
from .data import dataset_info

BATCHES = (1, 16, 64)
NAIVE_N = 16
RESULTS = "benchmarks/results/bench.json"  # where the CLI writes, relative to the working folder


@dataclass(frozen=True)
class Stream:
    """One streaming tab's handler, as the app wires it."""

    name: str  # the event's api_name
    run: Callable[[], Iterator]  # calls the handler: a generator of frames


def median_seconds(fn, repeats: int = 20, budget_s: float = 4.0, warmup: int = 0) -> float:
    """The median of up to ``repeats`` timed calls, after one untimed call and up to ``warmup``
    more; fewer (at least 3) when one call is slow, so a measurement takes about ``budget_s``."""
    t0 = time.perf_counter()
    fn()
    first = max(time.perf_counter() - t0, 1e-6)
    for _ in range(min(warmup, int(budget_s / 4 / first))):
        fn()
    times = []
    for _ in range(max(3, min(repeats, int(budget_s / first)))):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def flops(fn) -> float:
    """The floating-point operations ``fn()`` performs, as torch's counter counts them (a multiply-add
    is two), under inference mode."""
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        fn()
    return counter.get_total_flops()


def throughput(family: str, dataset: str, batches=BATCHES, repeats: int = 20, budget_s: float = 4.0) -> dict:
    """Images per second of ``family`` at each batch size (default options, seed 0), keyed by
    the batch size as a string (as in the JSON)."""
    model = pipeline.load_model(family, dataset)
    out = {}
    for b in batches:
        labels = torch.arange(b) % 10

        def run():
            with torch.inference_mode():
                model.sample(labels, torch.Generator().manual_seed(0))

        out[str(b)] = round(b / median_seconds(run, repeats, budget_s), 1)
    return out


def naive_ratio(family: str, dataset: str, n: int = NAIVE_N) -> dict | None:
    """The fast sampler against the textbook one on the same ``n`` labels and seed (None when the
    family has no textbook sampler)."""
    model = pipeline.load_model(family, dataset)
    if not hasattr(model, "sample_naive"):
        return None
    labels = torch.arange(n) % 10

    def timed(fn):
        t0 = time.perf_counter()
        with torch.inference_mode():
            x = fn(labels, torch.Generator().manual_seed(0))
        return x, time.perf_counter() - t0

    timed(model.sample)  # warm-up
    fast_x, fast_s = min((timed(model.sample) for _ in range(3)), key=lambda r: r[1])
    naive_x, naive_s = timed(model.sample_naive)
    return {"n": n, "fast_s": round(fast_s, 3), "naive_s": round(naive_s, 3), "speedup": round(naive_s / fast_s, 1),
            "same_images": bool(torch.equal(fast_x, naive_x))}


def streams(demo) -> list[Stream]:
    """Every public streaming event of the app (``demo``: its Blocks), callable with the inputs'
    default values; an endpoint's former name (its handler's ``alias_of``) is not measured again."""
    found = []
    for fn in demo.fns.values():
        if (fn.api_name and fn.api_visibility == "public" and inspect.isgeneratorfunction(fn.fn)
                and not hasattr(fn.fn, "alias_of")):
            values = [getattr(block, "value", None) for block in fn.inputs]
            found.append(Stream(fn.api_name, lambda f=fn.fn, v=values: f(*v)))
    return found


def first_frame(stream: Stream, repeats: int = 3) -> dict:
    """Seconds to the first and to the last frame of a streaming handler (median of ``repeats``
    after a warm-up), and how many frames it sends."""
    firsts, lasts, frames = [], [], 0
    for i in range(repeats + 1):
        t0 = time.perf_counter()
        frames, first = 0, None
        for _ in stream.run():
            frames += 1
            first = first if first is not None else time.perf_counter() - t0
        if i:  # the first run warms up
            firsts.append(first)
            lasts.append(time.perf_counter() - t0)
    return {"first_frame_s": round(statistics.median(firsts), 3), "last_frame_s": round(statistics.median(lasts), 3),
            "frames": frames}


def run(dataset: str = "mnist", families=None, batches=BATCHES, tabs: bool = True, log=print) -> dict:
    """Every speed measurement on one dataset. ``tabs`` also builds the app and times its
    streaming tabs."""
    dataset_info(dataset)
    chosen = [pipeline.check_family(f) for f in families] if families else pipeline.available(dataset)
    result = {"date": time.strftime("%Y-%m-%d"), "dataset": dataset, "threads": torch.get_num_threads(),
              "hardware": platform.machine(), "torch": torch.__version__,
              "images_per_second": {}, "fast_vs_naive": {}, "streaming_tabs": {}}
    for family in chosen:
        result["images_per_second"][family] = throughput(family, dataset, batches)
        log(f"{family}: {result['images_per_second'][family]} images/s by batch size")
    for family in chosen:
        ratio = naive_ratio(family, dataset)
        if ratio:
            result["fast_vs_naive"][family] = ratio
            log(f"{family}: fast sampler {ratio['speedup']}x the naive one")
    if tabs:
        from .ui import build

        for stream in streams(build()):
            result["streaming_tabs"][stream.name] = first_frame(stream)
            log(f"{stream.name}: {result['streaming_tabs'][stream.name]}")
    return result


def table(result: dict) -> str:
    """The results as three Markdown tables."""
    batches = sorted({b for r in result["images_per_second"].values() for b in r}, key=int)
    lines = ["| family | " + " | ".join(f"batch {b}" for b in batches) + " |",
             "|---|" + "---:|" * len(batches)]
    for family, r in result["images_per_second"].items():
        lines.append(f"| {family} | " + " | ".join(f"{r[b]:,.1f} img/s" for b in batches) + " |")
    if result["fast_vs_naive"]:
        lines += ["", "| family | fast sampler | naive sampler | speed-up | same images |", "|---|---:|---:|---:|---|"]
        for family, r in result["fast_vs_naive"].items():
            lines.append(f"| {family} | {r['fast_s']:.3f} s | {r['naive_s']:.2f} s | {r['speedup']:.1f}x | "
                         f"{'yes' if r['same_images'] else 'NO'} |")
    if result["streaming_tabs"]:
        lines += ["", "| streaming tab (event) | first frame | last frame | frames |", "|---|---:|---:|---:|"]
        for name, r in result["streaming_tabs"].items():
            lines.append(f"| `{name}` | {r['first_frame_s'] * 1000:.0f} ms | {r['last_frame_s']:.2f} s | {r['frames']} |")
    lines.append(f"\nMeasured {result['date']} on {result['hardware']}, {result['threads']} CPU threads, torch "
                 f"{result['torch']}, {result['dataset']}; naive samplers on {NAIVE_N} images. "
                 f"Regenerate with `python -m genimg bench` (it writes {RESULTS}), then "
                 f"`python -m genimg docs`.")
    return "\n".join(lines)
