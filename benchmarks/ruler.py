"""Is the ruler straight? Every family's FID in several feature spaces, side by side.

FID is a distance between Gaussians fitted to feature vectors, so it depends on the network and
layer that make them. This script measures the same samples (N per family, class-balanced, at
the default options) in eight feature spaces: the shipped classifier's penultimate layer after
its ReLU (the first scoreboard's ruler), the same layer before its ReLU, its last convolutional
block averaged over positions and averaged onto a 2x2 grid (the scoreboard's ``embedding``), and
the same four of the judge (``models/judge.py``, trained only for evaluation, with no blur
augmentation). FIDs of different spaces are on different scales: read each row against its
floor, and compare the orders. It also measures the floor two ways: the first
N training images, and N drawn at random, class-balanced (MNIST's training set is ordered by
groups of writers, so its first images are not a fair sample). It prints each space's order of
the families and writes ``benchmarks/results/ruler.json``; ``--write`` keeps the table for the docs
(benchmarks/results/tables/ruler.md).

    python benchmarks/ruler.py [--dataset D ...] [-n 2000] [--samples DIR] [--write]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import parser, save_json, write_table  # noqa: E402
from genimg import evaluate, metrics, pipeline, scores  # noqa: E402
from genimg.data import DATASETS, load_tensors  # noqa: E402

SPACES = {  # name -> (network, what of it): each a function of the network and x in [-1, 1]
    "classifier, penultimate after ReLU (the first scoreboard's)": ("classifier", lambda m, x: m.body(x)),
    "classifier, penultimate before ReLU": ("classifier", lambda m, x: m.body[:-1](x)),
    "classifier, last conv block, mean over positions": ("classifier", lambda m, x: m.body[:2](x).mean((2, 3))),
    "classifier, last conv block on a 2x2 grid (the scoreboard's)": ("classifier", lambda m, x: m.embedding(x)),
    "judge, penultimate before ReLU": ("judge", lambda m, x: m.features(x)),
    "judge, penultimate after ReLU": ("judge", lambda m, x: m.features(x).relu()),
    "judge, last conv block, mean over positions": ("judge", lambda m, x: m.body[:6](x).mean((2, 3))),
    "judge, last conv block on a 2x2 grid (the scoreboard's headline)": ("judge", lambda m, x: m.embedding(x)),
}


@torch.no_grad()
def features(space: str, dataset: str, x01: torch.Tensor) -> torch.Tensor:
    name, fn = SPACES[space]
    net = metrics.network(name, dataset)
    return torch.cat([fn(net, x01[i:i + 1000] * 2 - 1).double() for i in range(0, len(x01), 1000)])


def samples(family: str, dataset: str, n: int, folder: Path | None) -> torch.Tensor:
    """N samples of ``family`` (class i % 10), from ``folder/<family>_<dataset>.npz`` if there."""
    path = folder / f"{family}_{dataset}.npz" if folder else None
    if path and path.exists():
        images = np.load(path)["images"][:n]
    else:
        images = pipeline.generate(family, dataset, None, n, seed=1, max_n=pipeline.API_MAX_N).images
    return torch.from_numpy(images).float().div(255)[:, None]


def sig(x: float) -> float:
    """Four significant digits: FIDs of the spaces span 0.005 to 200."""
    return float(f"{x:.4g}")


def measure(dataset: str, n: int, folder: Path | None) -> dict:
    test, _ = load_tensors(dataset, "test")
    train, train_y = load_tensors(dataset, "train")
    test01, train01 = (test + 1) / 2, (train + 1) / 2
    fair = evaluate.balanced_order(train_y, seed=0)[:n]
    families = pipeline.available(dataset)
    fakes = {f: samples(f, dataset, n, folder) for f in families}
    out = {}
    for space in SPACES:
        ref = features(space, dataset, test01)
        row = {f: sig(scores.fid(features(space, dataset, x), ref)) for f, x in fakes.items()}
        row["floor (random, class-balanced)"] = sig(scores.fid(features(space, dataset, train01[fair]), ref))
        row["floor (first training images)"] = sig(scores.fid(features(space, dataset, train01[:n]), ref))
        out[space] = {"fid": row, "order": sorted(families, key=row.get)}
        print(f"{dataset} · {space}: " + " < ".join(f"{f} {row[f]}" for f in out[space]["order"])
              + f" · floor {row['floor (random, class-balanced)']} (first {n}: {row['floor (first training images)']})")
    return out


def table(result: dict) -> str:
    lines = []
    for dataset, spaces in result["datasets"].items():
        families = spaces[next(iter(spaces))]["order"]
        cols = sorted(families) + ["floor (random, class-balanced)", "floor (first training images)"]
        lines += [f"**{dataset}**, {result['n']} samples per family:", "",
                  "| feature space | " + " | ".join(cols) + " | order (best first) |",
                  "|---|" + "---:|" * len(cols) + "---|"]
        for space, r in spaces.items():
            lines.append(f"| {space} | " + " | ".join(f"{r['fid'][c]:.3g}" for c in cols)
                         + f" | {' < '.join(r['order'])} |")
        lines.append("")
    where = ("reused from .npz files (`--samples`)" if result["samples"] == "reused" else
             "drawn from the checkpoints at their default options")
    lines.append(f"Samples {where}. Measured {result['date']} with `python benchmarks/ruler.py --write`.")
    return "\n".join(lines)


def main() -> None:
    p = parser(__doc__, "ruler")
    p.add_argument("--dataset", action="append", default=None)
    p.add_argument("-n", type=int, default=2000)
    p.add_argument("--samples", default=None, help="folder of <family>_<dataset>.npz samples to reuse")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    folder = Path(args.samples) if args.samples else None
    result = {"n": args.n, "date": time.strftime("%Y-%m-%d"), "samples": "reused" if folder else "drawn",
              "datasets": {d: measure(d, args.n, folder) for d in args.dataset or DATASETS}}
    save_json(args.out, result)
    if args.write:
        write_table("ruler", table(result))


if __name__ == "__main__":
    main()
