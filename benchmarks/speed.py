"""Sampling speed against the machine's own limit.

For every shipped family x dataset, at its default options: network passes per image, wall
time for 16 images after warm-up (median of repeats), FLOPs per image (counted by torch's
FlopCounterMode), and the share of this machine's measured float32 matmul throughput that
sampling reaches. Also: how long `python app.py` takes to answer
its first page.

    python benchmarks/speed.py [--threads 2] [--out benchmarks/results/speed.json] [--write] [--cards]

``--write`` also keeps the table for the docs. ``--cards`` writes each
family's row into its cards as ``speed`` (the app's request cost estimates read it: measure it
with ``--threads 1``, as the app's workers run).
"""
from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import launch_app, parser, save_json, write_table  # noqa: E402
from genimg import checkpoint, pipeline  # noqa: E402
from genimg.bench import median_seconds  # noqa: E402
from genimg.data import DATASETS  # noqa: E402


def matmul_gflops(size: int = 2048) -> float:
    a, b = torch.randn(size, size), torch.randn(size, size)
    return 2 * size**3 / median_seconds(lambda: a @ b, repeats=10, budget_s=15.0, warmup=3) / 1e9


def sampling(family: str, dataset: str, n: int = 16) -> dict:
    model = pipeline.load_model(family, dataset)
    labels = torch.arange(n) % 10

    def run():
        with torch.inference_mode():
            model.sample(labels, torch.Generator().manual_seed(0))

    with FlopCounterMode(display=False) as counter:
        run()
    flops = counter.get_total_flops() / n
    seconds = median_seconds(run, repeats=30, budget_s=15.0, warmup=5)
    return {"family": family, "dataset": dataset, "n": n, "nfe": pipeline.nfe(model, {}), "ms": round(seconds * 1000, 2),
            "mflops_per_image": round(flops / 1e6, 1), "achieved_gflops": round(flops * n / seconds / 1e9, 2)}


def first_page_seconds() -> float:
    proc, _, seconds = launch_app()
    proc.terminate()
    proc.wait()
    return seconds


def main() -> None:
    p = parser(__doc__, "speed", "update the table in the docs")
    p.add_argument("--cards", action="store_true", help="write each row into its family's card as `speed`")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    peak = matmul_gflops()
    rows = [sampling(f, d) for d in DATASETS for f in pipeline.available(d)]
    for r in rows:
        r["share_of_matmul_peak"] = round(r["achieved_gflops"] / peak, 4)
    page = first_page_seconds()
    result = {"date": time.strftime("%Y-%m-%d"), "threads": a.threads,
              "cpu": platform.processor() or platform.machine(), "torch": torch.__version__,
              "matmul_gflops": round(peak, 1), "first_page_s": round(page, 2), "sampling": rows}
    table = markdown(result)
    print(table)
    save_json(a.out, result)
    if a.write:
        write_table("speed", table)
    if a.cards:
        for r in rows:
            checkpoint.update_card(r["family"], r["dataset"], speed={
                **{k: r[k] for k in ("n", "nfe", "ms", "mflops_per_image")}, "threads": a.threads,
                "date": result["date"], "torch": result["torch"], "command": f"python benchmarks/speed.py --threads "
                f"{a.threads} --cards"})


def markdown(result: dict) -> str:
    lines = ["| family | dataset | network passes / image | 16 images | MFLOP / image | GFLOP/s reached | "
             "share of matmul peak |", "|---|---|---:|---:|---:|---:|---:|"]
    for r in result["sampling"]:
        lines.append(f"| {r['family']} | {r['dataset']} | {r['nfe']} | {r['ms']:.1f} ms | {r['mflops_per_image']:.1f} | "
                     f"{r['achieved_gflops']:.2f} | {r['share_of_matmul_peak']:.1%} |")
    lines.append(f"\nMeasured {result['date']} on {result['cpu']}, {result['threads']} threads, torch "
                 f"{result['torch']}: float32 matmul peak {result['matmul_gflops']} GFLOP/s; "
                 f"`python app.py` answered its first page in {result['first_page_s']} s. "
                 f"Regenerate with `python benchmarks/speed.py --write`.")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
