"""Sampling compute, measured (issue 37, part 4): FID against network passes per image for every
family on MNIST, on one chart. Each point is a family at its default options except the number
of steps: the network evaluations per image it costs (a guided step is two), FID in the judge's
features with its floor, and class accuracy, from N class-balanced samples with the same seed.

A point reuses a row of the family's card sweeps where that row was measured at every default
option (the steps aside), with N samples and the current weights; any other point is measured
now. Each row says which (``source``) and how many samples (``n``). The GAN, the VAE, the
Transformer and the PixelCNN have one point each (their passes are fixed); One step and MaskGIT
their step sweeps; Diffusion, Flow matching and Latent diffusion steps from 2 to 40.

The results go into benchmarks/results/passes.json and, with ``--write``, the table into the
docs (``{{ table fragment passes }}``) and the chart into docs/scaling/passes.png.

    python benchmarks/passes.py [-n 2000] [--threads 1] [--family F ...] [--write]

``--family`` measures only those families and keeps the other families' rows of ``--out``.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import ROOT, find_row, kept_rows, measure_settings, parser, save_json, write_table  # noqa: E402
from genimg import checkpoint, facts, models  # noqa: E402

DATASET = "mnist"
CHART = ROOT / "docs" / "scaling" / "passes.png"
# family -> the steps of its points (None: the family has no steps, one point at its defaults)
STEPS: dict[str, tuple] = {
    "gan": (None,), "vae": (None,), "distilled": (1, 2, 4), "diffusion": (2, 4, 6, 10, 20, 40),
    "flow": (2, 4, 6, 10, 20, 40), "latent": (2, 4, 6, 10, 20, 40), "maskgit": (4, 8, 12, 16),
    "transformer": (None,), "pixelcnn": (None,),
}
REUSE_ONLY: tuple[str, ...] = ()  # families in models.DEVELOPING: the pipeline does not serve them, their cards' sweeps are used
# (no timing: the sweeps ran on busy machines at other thread counts; the speed tables time the families)
KEEP = ("nfe", "fid", "fid_floor", "precision", "recall", "class_accuracy")


def defaults(family: str) -> dict:
    return {o.name: o.default for o in models.get(family).OPTIONS}


def setting(family: str, steps) -> dict:
    return {**defaults(family), **({} if steps is None else {"steps": steps})}


def from_card(family: str, wanted: dict, n: int) -> dict | None:
    """A card sweep's row at exactly ``wanted`` (every option present and equal), N samples, these
    weights: the row and the sweep's name."""
    card = checkpoint.read_card(family, DATASET)
    for name, sweep in (card.get("sweeps") or {}).items():
        row = find_row(kept_rows(sweep, n, card["sha256"]), wanted)
        if row and all(k in row for k in wanted):
            return {"row": row, "source": f"card sweeps.{name} ({sweep['date']})"}
    return None


def point(family: str, steps, row: dict, n: int, source: str) -> dict:
    j = row.get("rulers", {}).get("judge", row)
    out = {"family": family, "title": models.get(family).TITLE, "steps": steps, "n": n, "source": source,
           **{k: j.get(k, row.get(k)) for k in KEEP if j.get(k, row.get(k)) is not None}}
    if "rulers" in row:
        out["fid_classifier"] = row["rulers"]["classifier"]["fid"]
    return out


def family_points(family: str, n: int, pixelcnn_n: int) -> list[dict]:
    n = pixelcnn_n if family == "pixelcnn" else n
    points, todo = [], []
    for steps in STEPS[family]:
        wanted = setting(family, steps)
        found = from_card(family, wanted, n)
        if found:
            points.append(point(family, steps, found["row"], n, found["source"]))
        elif family in REUSE_ONLY:
            print(f"{family}: no card row at {wanted} with n={n}; left out")
        else:
            todo.append((steps, wanted))
    measured = measure_settings(family, DATASET, [w for _, w in todo], n) if todo else []
    for (steps, wanted), row in zip(todo, measured):
        points.append(point(family, steps, row, n, f"measured {time.strftime('%Y-%m-%d')}"))
    return sorted(points, key=lambda p: p["nfe"])


def table(result: dict) -> str:
    lines = ["| family | steps | network passes per image | FID judge (floor) | class accuracy | samples | from |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for points in result["families"].values():
        for p in points:
            steps = "–" if p["steps"] is None else str(p["steps"])
            lines.append(f"| {p['title']} | {steps} | {p['nfe']} | {facts.fid(p['fid'])} ({facts.fid(p['fid_floor'])}) "
                         f"| {p['class_accuracy']:.1%} | {p['n']:,} | {p['source']} |")
    lines += ["", (f"MNIST, each family at its default options but the number of steps; class-balanced samples, "
                   f"seed {result['seed']}; the floor is the FID of as many real training images against the same "
                   f"test set. Measured {result['date']} with `{result['command']}` ({result['threads']} CPU "
                   f"thread), where a row is not taken from a card's sweep.")]
    return "\n".join(lines)


def chart(result: dict):
    from genimg import plane

    curves = {ps[0]["title"]: [(p["nfe"], p["fid"]) for p in ps] for ps in result["families"].values() if ps}
    colours = {"PixelCNN": (150, 150, 30)}  # the ninth curve: plane.PALETTE has eight colours
    floor = min(p["fid_floor"] for ps in result["families"].values() for p in ps)
    return plane.series(curves, "MNIST: FID (judge) against network passes per image, each family at its defaults",
                        "network passes per image (log scale)", floor=floor, floor_label="floor", width=720,
                        height=460, log=True, xlog=True, marks=True, colours=colours,
                        yticks=(1, 2, 3, 5, 10, 20, 50, 100, 200))


def main() -> None:
    p = parser(__doc__, "passes", "keep the table for the docs and draw docs/scaling/passes.png")
    p.set_defaults(threads=1)
    p.add_argument("-n", type=int, default=2000)
    p.add_argument("--pixelcnn-n", type=int, default=None, help="samples for the PixelCNN (default -n)")
    p.add_argument("--family", action="append", default=None, choices=list(STEPS))
    p.add_argument("--chart-only", action="store_true", help="redraw the table and chart from --out")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    old = json.loads(Path(args.out).read_text()) if Path(args.out).exists() else None
    if args.chart_only:
        result = old
    else:
        result = {"date": time.strftime("%Y-%m-%d"), "command": "python benchmarks/passes.py --write",
                  "dataset": DATASET, "n": args.n, "seed": 0, "threads": args.threads,
                  "families": {f: (old or {}).get("families", {}).get(f, []) for f in STEPS}}
        for family in args.family or STEPS:
            t0 = time.perf_counter()
            result["families"][family] = family_points(family, args.n, args.pixelcnn_n or args.n)
            print(f"{family}: {len(result['families'][family])} points, {time.perf_counter() - t0:.0f} s", flush=True)
            save_json(args.out, result)  # after every family, so an interrupted run keeps what it measured
    text = table(result)
    print(text)
    if args.write:
        CHART.parent.mkdir(parents=True, exist_ok=True)
        chart(result).save(CHART)
        print(f"wrote {CHART.relative_to(ROOT)}")
        write_table("passes", text)


if __name__ == "__main__":
    main()
