"""What the benchmark scripts share: timing, launching the app, and writing results into README.md
between ``<!-- name:begin -->`` / ``<!-- name:end -->`` markers."""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import torch

from genimg.testing import free_port

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SERVING = ROOT / "docs" / "serving.md"  # the serving benchmarks' tables


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


def write_readme(marker: str, body: str, path: Path = README) -> None:
    """Put ``body`` between ``marker``'s begin and end lines in README.md (or ``path``)."""
    if f"<!-- {marker}:begin -->" not in path.read_text():
        raise SystemExit(f"{path} has no <!-- {marker}:begin --> marker")
    path.write_text(replace(path.read_text(), marker, body))


def load_checkpoint(family: str, dataset: str):
    """A family's model straight from its checkpoint, in eval mode: unlike
    ``pipeline.load_model``, also for a family still in ``models.DEVELOPING``."""
    from genimg import checkpoint, models

    mod = models.get(family)
    return checkpoint.load(family, dataset, mod.Config, mod.Model)[0].eval()


def publish_speed(args, family: str, marker: str, result: dict, text: str) -> None:
    """Print a speed benchmark's result and table, save the JSON (``--out``) and, with
    ``--write``, put the result into the family's cards (``speed``: the same sampler for both
    datasets) and the table into README.md between the ``marker`` markers."""
    from genimg import checkpoint
    from genimg.data import DATASETS

    print(json.dumps(result, indent=1))
    print(text)
    save_json(args.out, result)
    if args.write:
        for dataset in DATASETS:
            if checkpoint.exists(family, dataset):
                checkpoint.update_card(family, dataset, speed=result)
        write_readme(marker, text)


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


def publish(args, result: dict, table: str, marker: str, path: Path = README) -> None:
    """Save the result (``--out``), print its table and, with ``--write``, put it in README.md
    (or ``path``) between ``marker``'s lines."""
    save_json(args.out, result)
    print(table)
    if args.write:
        write_readme(marker, table, path)


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


def sweep_main(doc: str, family: str, name: str, settings, table, extra: dict | None = None) -> None:
    """The command line of an option sweep (``name``: its card field, results file and, with
    dashes, README marker): ``settings()`` measured on each dataset (``--dataset``, ``-n``
    samples), the rows written into the family's cards and, with ``--write``, ``table()`` into
    README.md; ``--table-only`` rewrites the table from the cards."""
    from genimg import checkpoint
    from genimg.data import DATASETS

    p = parser(doc, name)
    p.add_argument("--dataset", action="append", default=None)
    p.add_argument("-n", type=int, default=2000)
    p.add_argument("--table-only", action="store_true", help="only rewrite README.md's table from the cards")
    p.add_argument("--missing", action="store_true", help="measure only the settings a card's sweep lacks "
                   "(same -n, same checkpoint) and keep its other rows")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    if not args.table_only:
        about = {"n": args.n, "date": time.strftime("%Y-%m-%d"), **(extra or {})}
        result = {**about, "datasets": {}}
        for dataset in args.dataset or DATASETS:
            card = checkpoint.read_card(family, dataset)
            wanted, old = list(settings()), card.get(name)
            kept = kept_rows(old, args.n, card["sha256"]) if args.missing else []
            new = measure_settings(family, dataset, [s for s in wanted if not find_row(kept, s)], args.n)
            result["datasets"][dataset] = rows = [find_row(kept, s) or find_row(new, s) for s in wanted]
            date = about["date"] if not kept or about["date"] in old["date"] else f"{old['date']} and {about['date']}"
            checkpoint.update_card(family, dataset, **{name: {**about, "date": date, "sha256": card["sha256"],
                                                              "rows": rows}})
        for dataset in [d for d in DATASETS if d not in result["datasets"]]:  # not measured now: as the cards have them
            rows = (checkpoint.read_card(family, dataset).get(name) or {}).get("rows")
            if rows:
                result["datasets"][dataset] = rows
        save_json(args.out, result)
    if args.write or args.table_only:
        write_readme(name.replace("_", "-"), table())


def find_row(rows: list[dict], setting: dict) -> dict | None:
    """The row measured at ``setting`` (every option equal), or None."""
    return next((r for r in rows if all(r.get(k) == v for k, v in setting.items())), None)


def kept_rows(sweep: dict | None, n: int, sha256: str) -> list[dict]:
    """A card's sweep rows that still hold: the same number of samples, and the same weights
    (sweeps written before they recorded the weights' sha256 are taken as of these)."""
    if not sweep or sweep["n"] != n or sweep.get("sha256", sha256) != sha256:
        return []
    return sweep["rows"]


def sweep_table(family: str, name: str, columns: dict, keys: tuple, how=lambda sweep: "") -> str:
    """The README table of a sweep, from the family's cards (every dataset that has one).
    ``columns``: header -> (alignment, function of a row giving the cell) for the settings;
    ``keys``: the options that make a setting (the default one is marked); ``how``: a function
    of a sweep's card entry giving the words on how its samples were drawn."""
    from genimg import checkpoint, pipeline
    from genimg.data import DATASETS

    sweeps = {d: checkpoint.read_card(family, d).get(name) for d in DATASETS}
    sweeps = {d: sw for d, sw in sweeps.items() if sw}
    lines = ["| dataset | " + " | ".join(columns) + " | FID judge (floor) | FID classifier (floor) | class accuracy | "
             "precision | recall |", "|---|" + "".join(align + "|" for align, _ in columns.values()) +
             "---:|---:|---:|---:|---:|"]
    default = pipeline.check_options(family, {})
    for dataset, sweep in sweeps.items():
        best = min(sweep["rows"], key=lambda r: r["fid"])
        for r in sweep["rows"]:
            j, c = r["rulers"]["judge"], r["rulers"]["classifier"]
            star = " **(best FID)**" if r is best else ""
            star += " **(default)**" if all(r[k] == default[k] for k in keys) else ""
            lines.append(f"| {dataset} | " + " | ".join(cell(r) for _, cell in columns.values()) +
                         f" | {j['fid']:.1f} ({j['fid_floor']:.1f}){star} | {c['fid']:.1f} ({c['fid_floor']:.1f}) | "
                         f"{r['class_accuracy']:.1%} | {j['precision']:.2f} | {j['recall']:.2f} |")
    first = next(iter(sweeps.values()))
    dates = ", ".join(sorted({sw["date"] for sw in sweeps.values()}))
    lines += ["", f"{first['n']:,} samples per setting (the same seed for every setting){how(first)}; precision and recall "
              f"in the judge's features. Measured {dates}; `python benchmarks/{name}.py --write` (`--table-only` "
              "rewrites this table from the cards)."]
    return "\n".join(lines)


def one_option_sweep(doc: str, family: str, option: str, values, header: str) -> None:
    """``sweep_main`` for a sweep of one numeric option over ``values`` (its card field, results
    file and README marker ``<option>_sweep``), the README column headed ``header``."""
    name = f"{option}_sweep"
    table = lambda: sweep_table(family, name, {header: ("---:", lambda r: f"{r[option]:g}")}, (option,))  # noqa: E731
    sweep_main(doc, family, name, lambda: ({option: v} for v in values), table)
