"""How fast the diffusion model samples, and how quickly the tab shows its first frame.

For each dataset: 16 images (classes 0-9, 0-5) from the shipped checkpoint with DDIM at 5, 10,
25 and 50 steps and the default guidance (best of ``--repeats``), DDPM at 25 steps, and the
latency of the first streamed frame (``genimg.denoising.denoise`` with the defaults: the time
from the call to the first denoised step, after warm-up), with the FLOPs per image.

    python benchmarks/diffusion_speed.py [--threads 2] [--write]

``--write`` puts the table into README.md between the diffusion-speed markers and the numbers
into the checkpoints' cards (``sampling``).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import best_of, flops, parser, save_json, write_readme  # noqa: E402
from genimg import checkpoint, denoising, pipeline  # noqa: E402
from genimg.data import DATASETS  # noqa: E402


def first_frame_seconds(dataset: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        next(denoising.denoise(dataset, None, 16, 0))
        times.append(time.perf_counter() - t0)
    return min(times)


def measure(dataset: str, n: int, repeats: int) -> dict:
    model = pipeline.load_model("diffusion", dataset)  # also warms up
    labels = torch.arange(n) % 10
    rows = []
    for sampler, steps in [("ddim", 5), ("ddim", 10), ("ddim", 25), ("ddim", 50), ("ddpm", 25)]:
        def run():
            return model.sample(labels, torch.Generator().manual_seed(0), sampler=sampler, steps=steps)

        _, seconds = best_of(run, repeats if steps <= 25 else max(2, repeats // 2))
        rows.append({"sampler": sampler, "steps": steps, "seconds": round(seconds, 3),
                     "nfe": model.nfe(steps=steps), "mflop_per_image": round(flops(run) / n / 1e6, 1)})
    return {"dataset": dataset, "rows": rows, "first_frame_s": round(first_frame_seconds(dataset, repeats), 3)}


def markdown(result: dict) -> str:
    lines = ["| dataset | sampler | steps | network evaluations / image | 16 images | MFLOP / image |",
             "|---|---|---:|---:|---:|---:|"]
    for d in result["datasets"]:
        for r in d["rows"]:
            lines.append(f"| {d['dataset']} | {r['sampler'].upper()} | {r['steps']} | {r['nfe']} | "
                         f"{r['seconds']:.2f} s | {r['mflop_per_image']:,.0f} |")
    first = ", ".join(f"{d['dataset']} {d['first_frame_s'] * 1000:.0f} ms" for d in result["datasets"])
    lines.append(f"\nFirst streamed frame of the tab (16 images, defaults): {first}. Measured {result['date']} on "
                 f"{result['threads']} CPU threads, torch {result['torch']}; guidance {result['guidance']} "
                 f"(two network passes per step, batched); `python benchmarks/diffusion_speed.py --write`.")
    return "\n".join(lines)


def main() -> None:
    p = parser(__doc__, "diffusion_speed", "update README.md and the cards")
    p.add_argument("-n", type=int, default=16)
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    shipped = [d for d in DATASETS if checkpoint.exists("diffusion", d)]
    result = {"date": time.strftime("%Y-%m-%d"), "threads": a.threads, "torch": torch.__version__,
              "guidance": pipeline.check_options("diffusion", {})["guidance"],
              "datasets": [measure(d, a.n, a.repeats) for d in shipped]}
    table = markdown(result)
    print(table)
    save_json(a.out, result)
    if a.write:
        for d in result["datasets"]:
            checkpoint.update_card("diffusion", d["dataset"], sampling=d)
        write_readme("diffusion-speed", table)


if __name__ == "__main__":
    main()
