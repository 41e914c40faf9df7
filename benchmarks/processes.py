"""Training steps a second on one process and on two (torchrun's DDP), on this machine's CPU.

    python benchmarks/processes.py [--families gan,vae,pixelcnn,diffusion,flow] [--steps 20] [--write]

Each family at its shipped size and batch size, on real MNIST batches (``--data-dir`` or
GENIMG_DATA), three ways of using the same cores: one process with one thread, one process
with ``--threads`` threads, and ``--threads`` processes of one thread each, every trained network
in DistributedDataParallel and each process taking its share of every batch, as
``torchrun -m genimg train`` runs them (``distributed.shared``). Times ``--steps`` steps after
three warm-up steps; prints the table and, with ``--write``, keeps it for the docs.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import parser, publish  # noqa: E402
from genimg import distributed, models  # noqa: E402
from genimg.data import load_tensors  # noqa: E402
from genimg.testing import free_port  # noqa: E402

WARM = 3


def _run(rank: int, size: int, threads: int, family: str, steps: int, port: int, data_dir, out) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(size))
    torch.set_num_threads(threads)
    distributed.start()
    fam = models.get(family)
    x, y = load_tensors("mnist", "train", data_dir)
    torch.manual_seed(0)
    trainer = fam.Trainer(fam.Model(fam.Config()), total_steps=10_000)
    gen = torch.Generator().manual_seed(7919 * rank)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    bs = fam.Trainer.batch_size
    with distributed.shared(trainer, size):
        for i in range(WARM + steps):
            if i == WARM:
                if size > 1:
                    dist.barrier()
                t0 = time.perf_counter()
            idx = distributed.shard(order[i * bs:(i + 1) * bs], rank, size)
            trainer.step(x[idx], y[idx], gen)
            distributed.share_buffers(trainer, size)
    if size > 1:
        dist.barrier()
    if rank == 0:
        out.put(steps / (time.perf_counter() - t0))
    distributed.stop()


def steps_per_second(family: str, processes: int, threads: int, steps: int, data_dir) -> float:
    queue = mp.get_context("spawn").SimpleQueue()
    mp.spawn(_run, args=(processes, threads, family, steps, free_port(), data_dir, queue), nprocs=processes)
    return queue.get()


def table(result: dict) -> str:
    n = result["threads"]
    lines = [f"| family | batch | 1 process, 1 thread | 1 process, {n} threads | {n} processes (DDP), 1 thread each | "
             f"{n} processes / 1 process of {n} threads |", "|---|---:|---:|---:|---:|---:|"]
    for family, r in result["families"].items():
        lines.append(f"| {family} | {r['batch']} | {r['one']:.2f} | {r['threads']:.2f} | {r['ddp']:.2f} | "
                     f"{r['ddp'] / r['threads']:.2f}x |")
    return "\n".join(lines) + (f"\n\nTraining steps a second, {result['steps']} timed steps after {WARM} warm-up, "
                               f"on {result['hardware']} ({result['date']}, `benchmarks/processes.py`).")


def main() -> None:
    p = parser(__doc__, "processes")
    p.add_argument("--families", default="gan,vae,pixelcnn,diffusion,flow")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--data-dir", default=None)
    a = p.parse_args()
    result = {"date": time.strftime("%Y-%m-%d"), "steps": a.steps, "threads": a.threads,
              "hardware": f"{os.cpu_count()} CPU cores, torch {torch.__version__}", "families": {}}
    for family in a.families.split(","):
        r = {"batch": models.get(family).Trainer.batch_size,
             "one": steps_per_second(family, 1, 1, a.steps, a.data_dir),
             "threads": steps_per_second(family, 1, a.threads, a.steps, a.data_dir),
             "ddp": steps_per_second(family, a.threads, 1, a.steps, a.data_dir)}
        result["families"][family] = r
        print(family, {k: round(v, 2) for k, v in r.items()}, flush=True)
    publish(a, result, table(result), "processes")


if __name__ == "__main__":
    main()
