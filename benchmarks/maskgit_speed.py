"""MaskGIT's parallel decoding against the Transformer family's KV-cached GPT, side by side in one run.

Both draw 16 images (classes 0-9, 0-5) from their shipped checkpoints with the same seed, as
whole images (tokens + the same VQ-VAE decoder), best of ``--repeats``, interleaved so that both
see the same machine. MaskGIT at its default options and at several step counts; the GPT with its
KV cache (49 sequential steps of one position each). Reports wall time, the speed-up and the
FLOPs each spends per image: MaskGIT's passes read all 50 positions, so it spends more
arithmetic in fewer, larger steps.

    python benchmarks/maskgit_speed.py [--threads 2] [--dataset mnist] [--write]

``--write`` puts the result into the docs (its table: benchmarks/results/tables/maskgit-speed.md) and into the MaskGIT
cards (``speed``).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import load_checkpoint, parser, publish_speed, timed  # noqa: E402
from genimg import models, pipeline  # noqa: E402
from genimg.bench import flops  # noqa: E402

STEPS = (4, 8, 12, 16, 49)


def counted(model, fn) -> float:
    """FLOPs of ``fn``. In eval mode without gradients nn.TransformerEncoder runs a fused kernel
    that the FLOP counter does not see; in training mode (dropout 0: the same arithmetic) it runs
    the layers one by one, and they are counted."""
    model.net.train()
    try:
        return flops(fn)
    finally:
        model.net.eval()


def main() -> None:
    p = parser(__doc__, "maskgit_speed", "update the docs and the cards")
    p.add_argument("--dataset", default="mnist")
    p.add_argument("-n", type=int, default=16)
    p.add_argument("--repeats", type=int, default=9)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    ours = load_checkpoint("maskgit", a.dataset)  # it may still be developing
    gpt = pipeline.load_model("transformer", a.dataset)
    labels = torch.arange(a.n) % 10
    defaults = {o.name: o.default for o in models.get("maskgit").OPTIONS}

    def run(model, **options):
        return lambda: model.sample(labels, torch.Generator().manual_seed(0), **options)

    rows, gpt_s = [], float("inf")
    for steps in sorted({*STEPS, defaults["steps"]}):
        options, best = {**defaults, "steps": steps}, float("inf")
        for _ in range(a.repeats):  # interleaved: the two see the same machine
            best = min(best, timed(run(ours, **options))[1])
            gpt_s = min(gpt_s, timed(run(gpt))[1])
        rows.append({"steps": steps, "seconds": round(best, 4), "nfe": ours.nfe(**options),
                     "mflop_per_image": round(counted(ours, run(ours, **options)) / a.n / 1e6, 1),
                     "default": steps == defaults["steps"]})
    gpt_row = {"seconds": round(gpt_s, 4), "nfe": gpt.nfe(), "mflop_per_image": round(flops(run(gpt)) / a.n / 1e6, 1)}
    for r in rows:
        r["speedup"] = round(gpt_row["seconds"] / r["seconds"], 2)
    result = {"date": time.strftime("%Y-%m-%d"), "dataset": a.dataset, "n": a.n, "threads": a.threads,
              "torch": torch.__version__, "maskgit": rows, "gpt": gpt_row}
    lines = ["| sampler | steps | network passes per image | MFLOP per image | ms for 16 images | vs the GPT |",
             "|---|---:|---:|---:|---:|---:|",
             f"| GPT, KV cache (Transformer) | 49 | {gpt_row['nfe']} | {gpt_row['mflop_per_image']:,.0f} | "
             f"{gpt_row['seconds'] * 1000:.0f} | 1.00× |"]
    for r in rows:
        name = "MaskGIT" + (" (default)" if r["default"] else "")
        lines.append(f"| {name} | {r['steps']} | {r['nfe']} | {r['mflop_per_image']:,.0f} | "
                     f"{r['seconds'] * 1000:.0f} | **{r['speedup']:.2f}×** |")
    text = "\n".join(lines) + (
        f"\n\n{a.n} {a.dataset} images (tokens and decoder), {a.threads} CPU threads, best of {a.repeats} "
        f"interleaved runs; measured {result['date']}, torch {result['torch']}; "
        "`python benchmarks/maskgit_speed.py --write`.")
    publish_speed(a, "maskgit", "maskgit-speed", result, text)


if __name__ == "__main__":
    main()
