"""Sequential or parallel: where MaskGIT's parallel decoding starts to beat the KV-cached GPT
(issue 38, part 2), timed on this CPU.

Both networks at their shipped sizes, untrained (the time of a pass does not depend on the
weights): the Transformer family's GPT and MaskGIT's bidirectional Transformer, on token grids of
7x7, 14x14 and 28x28 (49, 196 and 784 tokens; the tokenizer and decoder are left out, they are
the same for both). The GPT writes one token per step with its key/value cache (``Sampler``:
each step runs one new position through the network and attends to every earlier one); MaskGIT
runs ``--steps`` passes over every position (``Model.decode``). For each grid and batch size:
the sequential steps, the FLOPs per image (``torch.utils.flop_counter``), and the wall time,
best of ``--repeats`` runs interleaved so that both see the same machine.

Parallel decoding saves sequential steps, not arithmetic: each MaskGIT pass reads every
position, so it spends more FLOPs than the GPT at every grid; it wins where the GPT's many small
sequential steps cost more than its arithmetic (long sequences, small batches).

    python benchmarks/crossover.py [--threads 1] [--repeats 3] [--write]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path
from types import SimpleNamespace

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import parser, save_json, timed, write_table  # noqa: E402
from genimg.bench import flops  # noqa: E402
from genimg.models import maskgit, transformer  # noqa: E402
from genimg.models.transformer_sampler import Sampler  # noqa: E402

GRIDS = (7, 14, 28)
BATCHES = (1, 4, 16)


def gpt_decoder(side: int):
    """A function (labels, generator) -> tokens: the GPT's cached sampling loop on a side x side grid."""
    config = transformer.Config()
    model = SimpleNamespace(prior=transformer.Prior(config, side * side).eval(), grid=(side, side),
                            blank_token=lambda: 0, detokenize=lambda tokens: tokens)

    def run(labels, generator):
        *_, last = Sampler(model, labels).run(generator, every=0)
        return last
    return run, side * side


def maskgit_decoder(side: int, steps: int):
    model = maskgit.Model(maskgit.Config())
    model.net = maskgit.BiTransformer(model.config, side * side)
    model.eval()

    def run(labels, generator):
        *_, (tokens, _, _) = model.decode(labels, generator, steps=steps)
        return tokens
    return run, steps, model


def measure(side: int, batch: int, steps: int, repeats: int) -> dict:
    labels = torch.arange(batch) % 10
    gpt, gpt_steps = gpt_decoder(side)
    ours, our_steps, model = maskgit_decoder(side, steps)
    best = {"gpt": float("inf"), "maskgit": float("inf")}
    for _ in range(repeats):
        for name, fn in (("gpt", gpt), ("maskgit", ours)):
            best[name] = min(best[name], timed(lambda: fn(labels, torch.Generator().manual_seed(0)))[1])
    gpt_flops = flops(lambda: gpt(labels, torch.Generator().manual_seed(0)))
    model.net.train()  # the fused eval-mode kernel hides its arithmetic from the counter (dropout is 0)
    our_flops = flops(lambda: ours(labels, torch.Generator().manual_seed(0)))
    model.net.eval()
    return {"grid": side, "tokens": side * side, "batch": batch,
            "gpt": {"steps": gpt_steps, "ms": round(best["gpt"] * 1000, 1), "mflop_per_image": round(gpt_flops / batch / 1e6, 1)},
            "maskgit": {"steps": our_steps, "ms": round(best["maskgit"] * 1000, 1),
                        "mflop_per_image": round(our_flops / batch / 1e6, 1)},
            "speedup": round(best["gpt"] / best["maskgit"], 2)}


def table(result: dict) -> str:
    lines = ["| token grid | batch | GPT steps | MaskGIT steps | GPT MFLOP/image | MaskGIT MFLOP/image | GPT ms | MaskGIT ms "
             "| MaskGIT's speed-up |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in result["rows"]:
        g, m = r["gpt"], r["maskgit"]
        lines.append(f"| {r['grid']}×{r['grid']} ({r['tokens']} tokens) | {r['batch']} | {g['steps']} | {m['steps']} "
                     f"| {g['mflop_per_image']:,.0f} | {m['mflop_per_image']:,.0f} | {g['ms']:,.0f} | {m['ms']:,.0f} "
                     f"| **{r['speedup']:.2f}×** |")
    lines += ["", (f"Untrained networks of the shipped sizes (the GPT {result['gpt_size']}, MaskGIT {result['maskgit_size']}), "
                   f"tokens only (no tokenizer or decoder), MaskGIT at {result['steps']} steps without guidance; best of "
                   f"{result['repeats']} interleaved runs, {result['threads']} CPU thread(s), torch {result['torch']}, "
                   f"measured {result['date']}: `python benchmarks/crossover.py --write`.")]
    return "\n".join(lines)


def main() -> None:
    p = parser(__doc__, "crossover")
    p.set_defaults(threads=1)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--steps", type=int, default=8)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    t, m = transformer.Config(), maskgit.Config()
    result = {"date": time.strftime("%Y-%m-%d"), "threads": a.threads, "repeats": a.repeats, "steps": a.steps,
              "torch": torch.__version__, "gpt_size": f"{t.d_model}×{t.layers}",
              "maskgit_size": f"{m.d_model}×{m.layers}", "rows": []}
    for side in GRIDS:
        for batch in BATCHES:
            result["rows"].append(measure(side, batch, a.steps, a.repeats))
            print(result["rows"][-1], flush=True)
    wins = [r for r in result["rows"] if r["speedup"] > 1]
    result["maskgit_wins"] = [{"grid": r["grid"], "batch": r["batch"]} for r in wins]
    save_json(a.out, result)
    text = table(result)
    print(text)
    if a.write:
        write_table("crossover", text)


if __name__ == "__main__":
    main()
