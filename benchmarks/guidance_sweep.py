"""The guidance trade-off of the diffusion model, measured: FID, class accuracy, precision and
recall at each guidance scale, with guidance everywhere and in a limited interval of noise
levels (Kynkaenniemi et al. 2024).

Each setting draws N samples (class-balanced, the same seed for every setting) with the default
sampler and steps, and scores them against the test set in both rulers' features (the judge's
FID is the headline). The results go into each diffusion card (``guidance_sweep``), where the
Diffusion tab reads them for its trade-off plot, into benchmarks/results/guidance_sweep.json,
and with ``--write`` into README.md. The defaults of the Diffusion family are chosen from it.

    python benchmarks/guidance_sweep.py [--dataset D ...] [-n 2000] [--write]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import parser, save_json, write_readme  # noqa: E402
from genimg import checkpoint, evaluate, pipeline  # noqa: E402
from genimg.data import DATASETS  # noqa: E402

FAMILY = "diffusion"
SCALES = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0)
INTERVALS = ((1.0, 0.0), (0.8, 0.2))  # (guide_from, guide_to): everywhere, and the middle of the noise levels
INTERVAL_SCALES = (1.5, 2.0, 3.0, 5.0)  # a limited interval only matters where the scale is not 0 or 1


def settings():
    for lo_hi in INTERVALS:
        for w in SCALES if lo_hi == INTERVALS[0] else INTERVAL_SCALES:
            yield {"guidance": w, "guide_from": lo_hi[0], "guide_to": lo_hi[1]}


def sweep(dataset: str, n: int, seed: int = 0, log=print) -> list[dict]:
    ref = evaluate.Reference(dataset)
    rows = []
    for opts in settings():
        t0 = time.perf_counter()
        r = pipeline.generate(FAMILY, dataset, None, n, seed, max_n=pipeline.API_MAX_N, **opts)
        x = torch.from_numpy(r.images).float().div(255)[:, None]
        rulers = ref.measure(x, dataset)
        rows.append({**opts, "nfe": r.nfe, "class_accuracy": round(r.accuracy, 4), **rulers["judge"],
                     "rulers": rulers, "ms_per_image": round(r.seconds / n * 1000, 2)})
        log(f"{dataset} w={opts['guidance']} interval=({opts['guide_to']}, {opts['guide_from']}): FID "
            f"{rulers['judge']['fid']} / {rulers['classifier']['fid']} (judge / classifier), accuracy "
            f"{r.accuracy:.1%}, recall {rulers['judge']['recall']}, {time.perf_counter() - t0:.0f} s")
    return rows


def table() -> str:
    """The README table, from the sweeps in the cards (every dataset that has one)."""
    sweeps = {d: checkpoint.read_card(FAMILY, d).get("guidance_sweep") for d in DATASETS}
    sweeps = {d: sw for d, sw in sweeps.items() if sw}
    lines = ["| dataset | guidance | interval (t/T) | network evals | FID judge (floor) | FID classifier (floor) | "
             "class accuracy | precision | recall |", "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    default = pipeline.check_options(FAMILY, {})
    for dataset, sweep in sweeps.items():
        rows = sweep["rows"]
        best = min(rows, key=lambda r: r["fid"])
        for r in rows:
            j, c = r["rulers"]["judge"], r["rulers"]["classifier"]
            star = " **(best FID)**" if r is best else ""
            if all(r[k] == default[k] for k in ("guidance", "guide_from", "guide_to")):
                star += " **(default)**"
            lines.append(f"| {dataset} | {r['guidance']:g} | {r['guide_to']:g}–{r['guide_from']:g} | {r['nfe']} | "
                         f"{j['fid']:.1f} ({j['fid_floor']:.1f}){star} | {c['fid']:.1f} ({c['fid_floor']:.1f}) | "
                         f"{r['class_accuracy']:.1%} | {j['precision']:.2f} | {j['recall']:.2f} |")
    first = next(iter(sweeps.values()))
    dates = ", ".join(sorted({sw["date"] for sw in sweeps.values()}))
    lines += ["", f"{first['n']:,} samples per setting (the same seed for every setting), {first['sampler']} with "
              f"{first['steps']} steps; precision and recall in the judge's features. Measured {dates}; "
              "`python benchmarks/guidance_sweep.py --write` (`--table-only` rewrites this table from the cards)."]
    return "\n".join(lines)


def main() -> None:
    p = parser(__doc__, "guidance_sweep")
    p.add_argument("--dataset", action="append", default=None)
    p.add_argument("-n", type=int, default=2000)
    p.add_argument("--table-only", action="store_true", help="only rewrite README.md's table from the cards")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    if args.table_only:
        write_readme("guidance-sweep", table())
        return
    defaults = pipeline.check_options(FAMILY, {})
    result = {"n": args.n, "date": time.strftime("%Y-%m-%d"), "datasets": {},
              "sampler": {"sampler": defaults["sampler"], "steps": defaults["steps"]}}
    for dataset in args.dataset or DATASETS:
        rows = sweep(dataset, args.n)
        result["datasets"][dataset] = rows
        checkpoint.update_card(FAMILY, dataset, guidance_sweep={"n": args.n, "date": result["date"],
                                                                **result["sampler"], "rows": rows})
    save_json(args.out, result)
    if args.write:
        write_readme("guidance-sweep", table())
    print(np.array2string(np.array([[r["guidance"], r["fid"], r["class_accuracy"]]
                                    for rows in result["datasets"].values() for r in rows]), precision=3))


if __name__ == "__main__":
    main()
