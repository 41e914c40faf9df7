"""The PixelCNN's cached sampler against the textbook one, side by side in one run.

Both draw 16 MNIST images (classes 0-9, 0-5) from the shipped checkpoint with the same seed;
the textbook sampler runs the whole network over the whole canvas once per pixel (784 passes),
the cached one (genimg/models/pixelcnn_sampler.py) computes only what each new pixel changes.
The images must come out identical. Reports wall time (best of ``--repeats`` for the cached
sampler, one run of the slow one), the speed-up and the FLOPs each spends per image.

    python benchmarks/pixelcnn_sampling.py [--threads 2] [--dataset mnist] [--write]

``--write`` puts the result into the docs (its table: benchmarks/results/tables/pixelcnn-sampling.md) and into the
checkpoint's card (``sampling``: how it samples fast, and these measurements).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import best_of, parser, save_json, timed, write_table  # noqa: E402
from genimg import checkpoint, pipeline  # noqa: E402
from genimg.bench import flops  # noqa: E402
from genimg.data import DATASETS  # noqa: E402
from genimg.models import pixelcnn_sampler  # noqa: E402


def main() -> None:
    p = parser(__doc__, "pixelcnn_sampling")
    p.add_argument("--dataset", default="mnist")
    p.add_argument("-n", type=int, default=16)
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    model = pipeline.load_model("pixelcnn", a.dataset)  # also warms up
    labels = torch.arange(a.n) % 10

    def fast():
        return model.sample(labels, torch.Generator().manual_seed(0))

    def naive():
        return model.sample_naive(labels, torch.Generator().manual_seed(0))

    fast_x, fast_s = best_of(fast, a.repeats)
    naive_x, naive_s = timed(naive)
    result = {"date": time.strftime("%Y-%m-%d"), "dataset": a.dataset, "n": a.n, "threads": a.threads,
              "torch": torch.__version__, "cached_s": round(fast_s, 3), "naive_s": round(naive_s, 2),
              "speedup": round(naive_s / fast_s, 1), "identical_images": bool(torch.equal(fast_x, naive_x)),
              "cached_mflop_per_image": round(flops(fast) / a.n / 1e6, 1),
              "naive_mflop_per_image": round(flops(lambda: model(torch.zeros(a.n, 1, 28, 28, dtype=torch.long), labels))
                                             * 784 / a.n / 1e6, 1)}
    text = (f"{a.n} {a.dataset} images on {a.threads} CPU threads: the cached sampler takes "
            f"**{result['cached_s']:.2f} s** ({result['cached_mflop_per_image']:,.0f} MFLOP per image), the "
            f"textbook one {result['naive_s']:.1f} s ({result['naive_mflop_per_image']:,.0f} MFLOP per image): "
            f"**{result['speedup']:.0f}x faster**, and the images are "
            f"{'identical' if result['identical_images'] else 'NOT identical'}. "
            f"Measured {result['date']}, torch {result['torch']}; `python benchmarks/pixelcnn_sampling.py --write`.")
    print(json.dumps(result, indent=1))
    print(text)
    save_json(a.out, result)
    if a.write:
        how = " ".join(" ".join(pixelcnn_sampler.__doc__.split("\n\n")[1:4]).split())
        for dataset in DATASETS:  # the same sampler for both; measured on --dataset
            if checkpoint.exists("pixelcnn", dataset):
                checkpoint.update_card("pixelcnn", dataset, sampling={"method": how, "benchmark": result})
        write_table("pixelcnn-sampling", text)


if __name__ == "__main__":
    main()
