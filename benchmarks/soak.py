"""A class for half an hour: does the server stay bounded?

Launches ``python app.py`` with Gradio's cache in a fresh folder and lets ``--students`` students
explore (as ``benchmarks/classroom.py`` does) for ``--seconds`` (default 30 minutes). Every
``--every`` seconds it records the server's resident memory (with its worker processes), the
size of Gradio's cache folder and the result cache's. It reports the errors, and the memory's
growth from the end of ``--warmup`` to the end (target: at most 10%).

    python benchmarks/soak.py [--students 30] [--seconds 1800] [--write]
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.classroom import cache_stats, explore, main_buttons, summary, warm  # noqa: E402
from benchmarks.clients import App  # noqa: E402
from benchmarks.common import against_app, parser, publish, write_table  # noqa: E402
from benchmarks.load import rss_mb  # noqa: E402

GROWTH_TARGET = 0.10


def folder_mb(path: str) -> float:
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total / 2**20


def measure(url: str, pid: int, folder: str, students: int, seconds: float, every: float, warmup: float) -> dict:
    app = App(url)
    info = app.info()
    mains = main_buttons(info)
    warm(app, mains)
    samples, done, t0 = [], threading.Event(), time.perf_counter()

    def watch():
        while not done.is_set():
            samples.append({"t_s": round(time.perf_counter() - t0), "rss_mb": round(rss_mb(pid), 1),
                            "folder_mb": round(folder_mb(folder), 1), "cache": cache_stats(app, info)})
            done.wait(every)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    log = explore(app, mains, students, seconds, seed=7)
    done.set()
    watcher.join()
    settled = [s for s in samples if s["t_s"] >= warmup] or samples
    growth = (samples[-1]["rss_mb"] - settled[0]["rss_mb"]) / settled[0]["rss_mb"]
    s = summary(log)
    s.pop("endpoints")
    return {"date": time.strftime("%Y-%m-%d"), "students": students, "seconds": seconds, "warmup_s": warmup,
            **s, "rss_after_warmup_mb": settled[0]["rss_mb"], "rss_end_mb": samples[-1]["rss_mb"],
            "rss_peak_mb": max(x["rss_mb"] for x in samples), "rss_growth": round(growth, 4),
            "folder_peak_mb": max(x["folder_mb"] for x in samples), "folder_end_mb": samples[-1]["folder_mb"],
            "samples": samples}


def markdown(r: dict) -> str:
    cache = r["samples"][-1]["cache"] or {}
    return (f"{r['students']} students exploring for {r['seconds'] / 60:.0f} minutes: {r['served']} clicks, "
            f"{r['errors']} errors, final p50 / p95 {r['final_p50_s']:.2f} / {r['final_p95_s']:.2f} s. Memory "
            f"(the server and its workers) {r['rss_after_warmup_mb']:.0f} MB after {r['warmup_s'] / 60:.0f} minutes, "
            f"{r['rss_end_mb']:.0f} MB at the end ({r['rss_growth']:+.1%}; target at most "
            f"{GROWTH_TARGET:+.0%}), peak {r['rss_peak_mb']:.0f} MB. Gradio's cache folder: at most "
            f"{r['folder_peak_mb']:.0f} MB, {r['folder_end_mb']:.0f} MB at the end; the result cache "
            f"{cache.get('mb', 0):.0f} MB of its {cache.get('limit_mb', 0):.0f} MB. Measured {r['date']}; "
            "`python benchmarks/soak.py --write`.")


def main() -> None:
    p = parser(__doc__, "soak", threads=False)
    p.add_argument("--students", type=int, default=30)
    p.add_argument("--seconds", type=float, default=1800.0)
    p.add_argument("--every", type=float, default=30.0)
    p.add_argument("--warmup", type=float, default=300.0)
    p.add_argument("--table-only", default=None, help="a saved result: write its line, measure nothing")
    a = p.parse_args()
    if a.table_only:
        write_table("soak", markdown(json.loads(Path(a.table_only).read_text())))
        return
    folder = tempfile.mkdtemp(prefix="genimg-soak-")
    os.environ["GRADIO_TEMP_DIR"] = folder  # the launched app's cache, measured here
    result = against_app(None, lambda url, pid: measure(url, pid, folder, a.students, a.seconds, a.every, a.warmup))
    publish(a, result, markdown(result), "soak")


if __name__ == "__main__":
    main()
