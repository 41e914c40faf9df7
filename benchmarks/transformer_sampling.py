"""The Transformer's KV-cache sampler against recomputing the whole prefix, side by side in one run.

Both draw 16 images (classes 0-9, 0-5) from the shipped checkpoint with the same seed. The
cached sampler (genimg/models/transformer_sampler.py) runs the network on one new position per
step; the uncached one runs it over the whole prefix (1, 2, .., 49 positions) at every step.
The tokens must come out identical. Reports wall time for the tokens alone and for whole
images (tokens + the VQ-VAE decoder), best of ``--repeats``, the speed-up and the FLOPs each
spends per image.

    python benchmarks/transformer_sampling.py [--threads 2] [--dataset mnist] [--write]

``--write`` puts the result into the docs (its table: benchmarks/results/tables/transformer-sampling.md) and into
the checkpoints' cards (``sampling``: how it samples fast, and these measurements).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import best_of, parser, save_json, write_table  # noqa: E402
from genimg import checkpoint, pipeline  # noqa: E402
from genimg.bench import flops  # noqa: E402
from genimg.data import DATASETS  # noqa: E402
from genimg.models import transformer_sampler  # noqa: E402


def main() -> None:
    p = parser(__doc__, "transformer_sampling", "update the docs and the cards")
    p.add_argument("--dataset", default="mnist")
    p.add_argument("-n", type=int, default=16)
    p.add_argument("--repeats", type=int, default=7)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    model = pipeline.load_model("transformer", a.dataset)  # also warms up
    labels = torch.arange(a.n) % 10

    def cached():
        *_, last = model.stream(labels, torch.Generator().manual_seed(0), every=0)
        return last.extras["tokens"]

    def uncached():
        return model.naive_tokens(labels, torch.Generator().manual_seed(0))

    def image():
        return model.sample(labels, torch.Generator().manual_seed(0))

    cached_tokens, cached_s = best_of(cached, a.repeats)
    uncached_tokens, uncached_s = best_of(uncached, max(2, a.repeats // 2))
    _, image_s = best_of(image, a.repeats)
    decode_s = best_of(lambda: model.detokenize(cached_tokens), a.repeats)[1]
    result = {"date": time.strftime("%Y-%m-%d"), "dataset": a.dataset, "n": a.n, "threads": a.threads,
              "torch": torch.__version__, "images_s": round(image_s, 3), "cached_tokens_s": round(cached_s, 3),
              "uncached_tokens_s": round(uncached_s, 3), "decode_s": round(decode_s, 4),
              "speedup": round(uncached_s / cached_s, 1),
              "identical_tokens": bool(torch.equal(cached_tokens, uncached_tokens)),
              "cached_mflop_per_image": round(flops(cached) / a.n / 1e6, 1),
              "uncached_mflop_per_image": round(flops(uncached) / a.n / 1e6, 1)}
    text = (f"{a.n} {a.dataset} images on {a.threads} CPU threads take **{result['images_s']:.2f} s** "
            f"(49 Transformer steps with the KV cache, then the VQ-VAE decoder in {result['decode_s'] * 1000:.0f} ms). "
            f"The tokens alone: {result['cached_tokens_s']:.2f} s with the cache "
            f"({result['cached_mflop_per_image']:,.0f} MFLOP per image), {result['uncached_tokens_s']:.2f} s "
            f"recomputing the prefix every step ({result['uncached_mflop_per_image']:,.0f} MFLOP per image): "
            f"**{result['speedup']:.1f}x faster**, and the tokens are "
            f"{'identical' if result['identical_tokens'] else 'NOT identical'}. "
            f"Measured {result['date']}, torch {result['torch']}; `python benchmarks/transformer_sampling.py --write`.")
    print(json.dumps(result, indent=1))
    print(text)
    save_json(a.out, result)
    if a.write:
        how = " ".join(transformer_sampler.__doc__.split())
        for dataset in DATASETS:  # the same sampler for both; measured on --dataset
            if checkpoint.exists("transformer", dataset):
                checkpoint.update_card("transformer", dataset, sampling={"method": how, "benchmark": result})
        write_table("transformer-sampling", text)


if __name__ == "__main__":
    main()
