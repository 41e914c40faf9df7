"""Why the PixelCNN scores as it does: the price of its grey levels, and of its temperature.

Two questions, each answered in the judge's features against the test set (FID with its floor,
precision, recall):

* **Quantisation.** N random, class-balanced training images, quantised to 256 (as they are),
  16, 8 (the PixelCNN's ``levels``) and 4 grey levels: the best FID any model with that many
  levels could reach.
* **Temperature.** N samples of the shipped PixelCNN (the same seed and classes) at sampling
  temperatures 1.0, 0.9 and 0.8, with class accuracy: does picking likely grey levels
  (``temperature < 1``) clean the images up?

    python benchmarks/pixelcnn_levels.py [--dataset fashion] [-n 2000] [--write]

``--write`` puts the table into the docs (its table: benchmarks/results/tables/pixelcnn-levels.md).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import parser, save_json, write_table  # noqa: E402
from genimg import evaluate, pipeline  # noqa: E402
from genimg.data import load_tensors  # noqa: E402
from genimg.models.pixelcnn import quantise  # noqa: E402

LEVELS = (256, 16, 8, 4)
TEMPERATURES = (1.0, 0.9, 0.8)


def scores(ref, x01, dataset):
    j = ref.measure(x01, dataset)["judge"]
    return {k: j[k] for k in ("fid", "fid_floor", "precision", "recall")}


def measure(dataset: str, n: int) -> list[dict]:
    ref = evaluate.Reference(dataset)
    x, y = load_tensors(dataset, "train")
    real = (x[evaluate.balanced_order(y)[:n]] + 1) / 2
    rows = []
    for levels in LEVELS:
        q = real if levels == 256 else quantise(real, levels).float() / (levels - 1)
        rows.append({"what": f"real training images, {levels} levels", **scores(ref, q, dataset)})
        print(rows[-1], flush=True)
    for temp in TEMPERATURES:
        r = pipeline.generate("pixelcnn", dataset, None, n, 0, max_n=pipeline.API_MAX_N, temperature=temp)
        x01 = torch.from_numpy(r.images).float().div(255)[:, None]
        rows.append({"what": f"PixelCNN samples, temperature {temp:g}", **scores(ref, x01, dataset),
                     "class_accuracy": round(r.accuracy, 4)})
        print(rows[-1], flush=True)
    return rows


def markdown(result: dict) -> str:
    lines = ["| dataset | images | FID judge (floor) | precision | recall | class accuracy |",
             "|---|---|---:|---:|---:|---:|"]
    for d in result["datasets"]:
        for r in d["rows"]:
            acc = f"{r['class_accuracy']:.1%}" if "class_accuracy" in r else "–"
            lines.append(f"| {d['dataset']} | {r['what']} | {r['fid']:.2f} ({r['fid_floor']:.2f}) | "
                         f"{r['precision']:.2f} | {r['recall']:.2f} | {acc} |")
    lines.append(f"\n{result['n']:,} images per row; measured {result['date']}; "
                 f"`python benchmarks/pixelcnn_levels.py --write`.")
    return "\n".join(lines)


def main() -> None:
    p = parser(__doc__, "pixelcnn_levels", "update the docs")
    p.add_argument("--dataset", action="append", default=None)
    p.add_argument("-n", type=int, default=2000)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    result = {"date": time.strftime("%Y-%m-%d"), "n": a.n,
              "datasets": [{"dataset": d, "rows": measure(d, a.n)} for d in a.dataset or ["fashion"]]}
    table = markdown(result)
    print(table)
    save_json(a.out, result)
    if a.write:
        write_table("pixelcnn-levels", table)


if __name__ == "__main__":
    main()
