"""How fast the diffusion model samples, how good its images are at each speed, and how quickly
the tab shows its first frame.

For each dataset: 16 images (classes 0-9, 0-5) from the shipped checkpoint with DPM-Solver++(2M)
at 5, 8 and 10 steps, DDIM at 10, 25 and 50 steps, and DDPM at 25, all at the default guidance
(best of ``--repeats``), with the FLOPs per image; then, side by side in the same run, the FID of
``--quality-n`` samples of each sampler (the same seed and classes for all, in the judge's
features against the test set), so that "the default in 10 steps is as good as DDIM in 50" is a
measurement; and the latency of the first streamed frame (``genimg.denoising.denoise`` with the
defaults: the time from the call to the first denoised step, after warm-up).

    python benchmarks/diffusion_speed.py [--threads 2] [--quality-n 2000] [--write]

``--write`` puts the table into the docs (its table: benchmarks/results/tables/diffusion-speed.md) and the numbers
into the checkpoints' cards (``sampling``).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import best_of, parser, save_json, write_table  # noqa: E402
from genimg import checkpoint, denoising, pipeline  # noqa: E402
from genimg.bench import flops  # noqa: E402
from genimg.data import DATASETS  # noqa: E402


def first_frame_seconds(dataset: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        next(denoising.denoise("diffusion", dataset, None, 16, 0))
        times.append(time.perf_counter() - t0)
    return min(times)


SAMPLERS = [("dpm++", 5), ("dpm++", 8), ("dpm++", 10), ("ddim", 10), ("ddim", 25), ("ddim", 50), ("ddpm", 25)]
REFERENCE = ("ddim", 50)  # what the default has to match


def quality(dataset: str, ref, sampler: str, steps: int, n: int) -> dict:
    r = pipeline.generate("diffusion", dataset, None, n, 0, max_n=pipeline.API_MAX_N, sampler=sampler, steps=steps)
    judge = ref.measure(torch.from_numpy(r.images).float().div(255)[:, None], dataset)["judge"]
    return {"fid": judge["fid"], "fid_floor": judge["fid_floor"], "class_accuracy": round(r.accuracy, 4)}


def measure(dataset: str, n: int, repeats: int, quality_n: int) -> dict:
    from genimg.evaluate import Reference

    model = pipeline.load_model("diffusion", dataset)  # also warms up
    opts = pipeline.check_options("diffusion", {})
    labels = torch.arange(n) % 10
    ref = Reference(dataset) if quality_n else None
    rows = []
    for sampler, steps in SAMPLERS:
        kw = {**opts, "sampler": sampler, "steps": steps}

        def run():
            return model.sample(labels, torch.Generator().manual_seed(0), **kw)

        _, seconds = best_of(run, repeats if steps <= 25 else max(2, repeats // 2))
        rows.append({"sampler": sampler, "steps": steps, "seconds": round(seconds, 3), "nfe": model.nfe(**kw),
                     "mflop_per_image": round(flops(run) / n / 1e6, 1),
                     **(quality(dataset, ref, sampler, steps, quality_n) if ref else {})})
    return {"dataset": dataset, "rows": rows, "first_frame_s": round(first_frame_seconds(dataset, repeats), 3),
            "quality_n": quality_n}


def markdown(result: dict) -> str:
    lines = ["| dataset | sampler | steps | network evaluations / image | 16 images | MFLOP / image | "
             "FID judge (floor) | class accuracy |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    for d in result["datasets"]:
        for r in d["rows"]:
            default = " (default)" if (r["sampler"], r["steps"]) == result["default"] else ""
            fid = f"{r['fid']:.2f} ({r['fid_floor']:.2f})" if "fid" in r else "–"
            acc = f"{r['class_accuracy']:.1%}" if "class_accuracy" in r else "–"
            lines.append(f"| {d['dataset']} | {r['sampler'].upper()}{default} | {r['steps']} | {r['nfe']} | "
                         f"{r['seconds']:.2f} s | {r['mflop_per_image']:,.0f} | {fid} | {acc} |")
    first = ", ".join(f"{d['dataset']} {d['first_frame_s'] * 1000:.0f} ms" for d in result["datasets"])
    g = result["guidance"]
    lines.append(f"\nFID of {result['datasets'][0]['quality_n']:,} samples per row (the same seed and classes for "
                 f"every sampler). First streamed frame of the tab (16 images, defaults): {first}. Measured "
                 f"{result['date']} on {result['threads']} CPU threads, torch {result['torch']}; guidance "
                 f"{g['guidance']:g} at noise levels t/T {g['guide_to']:g}–{g['guide_from']:g} (two network passes "
                 f"per guided step, batched); `python benchmarks/diffusion_speed.py --write`.")
    return "\n".join(lines)


def main() -> None:
    p = parser(__doc__, "diffusion_speed", "update the docs and the cards")
    p.add_argument("-n", type=int, default=16)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--quality-n", type=int, default=2000, help="samples per sampler for its FID (0: speed only)")
    p.add_argument("--dataset", action="append", default=None)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    shipped = [d for d in a.dataset or DATASETS if checkpoint.exists("diffusion", d)]
    opts = pipeline.check_options("diffusion", {})
    result = {"date": time.strftime("%Y-%m-%d"), "threads": a.threads, "torch": torch.__version__,
              "guidance": {k: opts[k] for k in ("guidance", "guide_from", "guide_to")},
              "default": (opts["sampler"], opts["steps"]),
              "datasets": [measure(d, a.n, a.repeats, a.quality_n) for d in shipped]}
    table = markdown(result)
    print(table)
    save_json(a.out, result)
    if a.write:
        for d in result["datasets"]:
            checkpoint.update_card("diffusion", d["dataset"], sampling=d)
        write_table("diffusion-speed", table)


if __name__ == "__main__":
    main()
