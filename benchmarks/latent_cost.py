"""What one network evaluation costs in latent space against pixel space, measured: FLOPs per
image (torch's FLOP counter) and wall time for a batch of 16 on the CPU, for the pixel UNet
that the Diffusion and Flow matching families denoise with and for the Latent diffusion
family's network at 7x7, plus the decoder the latent family runs once per image.

The numbers go into each latent card (``step_cost``), where the Latent diffusion tab reads
them, into benchmarks/results/latent_cost.json and, with ``--write``, into the docs.

    python benchmarks/latent_cost.py [--threads 2] [--write]
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import best_of, parser, save_json, write_table  # noqa: E402
from genimg import checkpoint, pipeline  # noqa: E402
from genimg.bench import flops  # noqa: E402
from genimg.data import DATASETS  # noqa: E402

FAMILY, PIXEL = "latent", "diffusion"
BATCH = 16


def one_evaluation(net, shape, batch: int):
    x = torch.randn(batch, *shape, generator=torch.Generator().manual_seed(0))
    t, y = torch.full((batch,), 500.0), torch.arange(batch) % 10
    return lambda: net(x, t, y)


def measure(dataset: str, threads: int) -> dict:
    pixel, small = pipeline.load_model(PIXEL, dataset), pipeline.load_model(FAMILY, dataset)
    rows = []
    for name, net, shape in (("pixel UNet", pixel.net, (1, 28, 28)),
                             ("latent net", small.net, small.shape)):
        fn = one_evaluation(net, shape, BATCH)
        _, seconds = best_of(fn, 20)
        rows.append({"name": name, "mflops": round(flops(one_evaluation(net, shape, 1)) / 1e6, 2),
                     "ms": round(seconds * 1000, 2)})
    z = torch.randn(1, *small.shape)
    return {"date": time.strftime("%Y-%m-%d"), "batch": BATCH, "threads": threads,
            "decoder_mflops": round(flops(lambda: small.picture(z)) / 1e6, 2),
            "ratio_flops": round(rows[0]["mflops"] / rows[1]["mflops"], 2), "rows": rows}


def table(results: dict) -> str:
    lines = ["| dataset | network | MFLOPs per image per evaluation | ms per evaluation (16 images) |",
             "|---|---|---:|---:|"]
    for dataset, r in results.items():
        for row in r["rows"]:
            lines.append(f"| {dataset} | {row['name']} | {row['mflops']:.1f} | {row['ms']:.2f} |")
    first = next(iter(results.values()))
    lines += ["", f"The latent network costs {first['ratio_flops']:.1f}× fewer FLOPs per evaluation; the decoder adds "
              f"{first['decoder_mflops']:.1f} MFLOPs once per image. {first['threads']} CPU threads, best of 20; "
              f"measured {first['date']} by `python benchmarks/latent_cost.py --write`."]
    return "\n".join(lines)


def main() -> None:
    args = parser(__doc__, "latent_cost").parse_args()
    torch.set_num_threads(args.threads)
    results = {d: measure(d, args.threads) for d in DATASETS if checkpoint.exists(FAMILY, d)}
    for dataset, r in results.items():
        checkpoint.update_card(FAMILY, dataset, step_cost=r)
        print(dataset, r)
    save_json(args.out, results)
    if args.write:
        write_table("latent-cost", table(results))


if __name__ == "__main__":
    main()
