"""What the benchmark scripts share: timing, launching the app, option sweeps, and keeping each
benchmark's table beside its results for the docs (``python -m genimg docs``)."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import torch

from genimg.testing import free_port

ROOT = Path(__file__).resolve().parent.parent
TABLES = ROOT / "benchmarks" / "results" / "tables"  # each benchmark's table, for the docs (``genimg.docs``)


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


def parser(doc: str, name: str, write_help: str = "update the table in the docs", threads: bool = True,
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


def write_table(name: str, body: str) -> None:
    """Keep a benchmark's table beside its results (``benchmarks/results/tables/<name>.md``) and
    regenerate the docs, where a ``{{ table fragment <name> }}`` placeholder shows it."""
    from genimg import docs

    TABLES.mkdir(parents=True, exist_ok=True)
    (TABLES / f"{name}.md").write_text(body.strip() + "\n")
    if docs.ROOT == ROOT:  # (a copy of the benchmarks elsewhere leaves the docs alone)
        for changed in docs.write():
            print(f"wrote {changed.relative_to(ROOT)}")


def load_checkpoint(family: str, dataset: str):
    """A family's model straight from its checkpoint, in eval mode: unlike
    ``pipeline.load_model``, also for a family still in ``models.DEVELOPING``."""
    from genimg import checkpoint, models

    mod = models.get(family)
    return checkpoint.load(family, dataset, mod.Config, mod.Model)[0].eval()


def publish_speed(args, family: str, marker: str, result: dict, text: str) -> None:
    """Print a family's own speed study and its table, save the JSON (``--out``) and, with
    ``--write``, put the result into the family's cards (``sampling``: the same sampler for both
    datasets) and keep the table for the docs as ``marker``."""
    from genimg import checkpoint
    from genimg.data import DATASETS

    print(json.dumps(result, indent=1))
    print(text)
    save_json(args.out, result)
    if args.write:
        for dataset in DATASETS:
            if checkpoint.exists(family, dataset):
                checkpoint.update_card(family, dataset, sampling=result)
        write_table(marker, text)


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


def against_app(url: str | None, measure) -> dict:
    """``measure(url, pid)`` against the app at ``url``, or (``url`` None) against ``python app.py``
    launched for it and stopped after (``pid`` its process, else None; ``first_page_s`` joins the
    result)."""
    proc, url, first_page = launch_app() if url is None else (None, url, None)
    try:
        result = measure(url, proc.pid if proc else None)
        result["first_page_s"] = round(first_page, 2) if first_page else None
    finally:
        if proc:
            proc.terminate()
            proc.wait()
    return result


def publish(args, result: dict, table: str, marker: str) -> None:
    """Save the result (``--out``), print its table and, with ``--write``, keep the table for the
    docs under the name ``marker``."""
    save_json(args.out, result)
    print(table)
    if args.write:
        write_table(marker, table)


def measure_settings(family: str, dataset: str, settings, n: int, seed: int = 0, log=print) -> list[dict]:
    """One row per setting (a dict of the family's options): ``n`` class-balanced samples with the
    same seed, scored against the test set in both rulers (the judge's numbers at the top level)."""
    from genimg import evaluate, pipeline

    ref = evaluate.Reference(dataset)
    rows = []
    for opts in settings:
        t0 = time.perf_counter()
        r = pipeline.generate(family, dataset, None, n, seed, max_n=pipeline.API_MAX_N, **opts)
        x = torch.from_numpy(r.images).float().div(255)[:, None]
        rulers = ref.measure(x, dataset)
        rows.append({**opts, "nfe": r.nfe, "class_accuracy": round(r.accuracy, 4), **rulers["judge"],
                     "rulers": rulers, "ms_per_image": round(r.seconds / n * 1000, 2)})
        log(f"{family} {dataset} {opts}: FID {rulers['judge']['fid']} / {rulers['classifier']['fid']} (judge / "
            f"classifier), accuracy {r.accuracy:.1%}, recall {rulers['judge']['recall']}, "
            f"{time.perf_counter() - t0:.0f} s")
    return rows


def sweep_main(doc: str, family: str, script: str, name: str, keys: tuple, settings,
               extra: dict | None = None) -> None:
    """The command line of an option sweep, ``benchmarks/<script>.py``: ``settings()`` (dicts of
    the options ``keys``) measured on each dataset (``--dataset``, ``-n`` samples) and written into
    the family's cards as the sweep ``name`` (``checkpoint.update_sweep``: one layout for every
    family); the docs show it with ``{{ table sweep <family> <name> }}``, and ``--write``
    regenerates them."""
    from genimg import checkpoint, docs, tables
    from genimg.data import DATASETS

    p = parser(doc, script, "regenerate the docs")
    p.add_argument("--dataset", action="append", default=None)
    p.add_argument("-n", type=int, default=2000)
    p.add_argument("--missing", action="store_true", help="measure only the settings a card's sweep lacks "
                   "(same -n, same checkpoint) and keep its other rows")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    about = {"settings": list(keys), "n": args.n, "date": time.strftime("%Y-%m-%d"), **(extra or {}),
             "command": f"python benchmarks/{script}.py"}
    result = {**about, "datasets": {}}
    for dataset in args.dataset or DATASETS:
        card, old = checkpoint.read_card(family, dataset), checkpoint.read_sweep(family, dataset, name)
        wanted = list(settings())
        kept = kept_rows(old, args.n, card["sha256"]) if args.missing else []
        new = measure_settings(family, dataset, [s for s in wanted if not find_row(kept, s)], args.n)
        result["datasets"][dataset] = rows = [find_row(kept, s) or find_row(new, s) for s in wanted]
        date = about["date"] if not kept or about["date"] in old["date"] else f"{old['date']} and {about['date']}"
        checkpoint.update_sweep(family, dataset, name, {**about, "date": date, "sha256": card["sha256"], "rows": rows})
    save_json(args.out, result)
    print(tables.sweep(family, name))
    if args.write:
        docs.write()


def find_row(rows: list[dict], setting: dict) -> dict | None:
    """The row measured at ``setting`` (every option equal), or None."""
    return next((r for r in rows if all(r.get(k) == v for k, v in setting.items())), None)


def kept_rows(sweep: dict | None, n: int, sha256: str) -> list[dict]:
    """A card's sweep rows that still hold: the same number of samples, and the same weights
    (sweeps written before they recorded the weights' sha256 are taken as of these)."""
    if not sweep or sweep["n"] != n or sweep.get("sha256", sha256) != sha256:
        return []
    return sweep["rows"]


def one_option_sweep(doc: str, family: str, script: str, option: str, values) -> None:
    """``sweep_main`` for a sweep of one numeric option over ``values`` (the card's sweep named
    after the option)."""
    sweep_main(doc, family, script, option, (option,), lambda: ({option: v} for v in values))
