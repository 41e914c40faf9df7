"""Training on several processes and on GPUs: ``torchrun --nproc-per-node N -m genimg train ...``.

torchrun starts N copies of the same command and tells each its rank (``RANK``, ``WORLD_SIZE``,
``MASTER_ADDR``/``MASTER_PORT``). Each process then takes its share of every batch (rank r the
rows r, r + N, ...), so the recipe (batch size, steps, learning rate) is the same as in one
process. The gradients are averaged across the processes as soon as each is computed (an
all-reduce hook on every trained parameter: the arithmetic of PyTorch's
DistributedDataParallel, without wrapping each family's networks), and after every step process
0's buffers (BatchNorm statistics, the VQ codebook) are copied to the others, so every process
holds the same model. Only process 0 writes state, checkpoints and cards.

The device is the CPU, or with ``--device cuda`` (the default ``auto`` picks it when torch sees
a GPU) GPU number ``LOCAL_RANK`` of the machine, one per process. The networks and each batch
move to it; the noise is still drawn on the CPU from the run's generator, so a run draws the
same numbers on any device. Processes talk over gloo on the CPU (what the tests run, with two
processes) and over NCCL on GPUs.
"""
from __future__ import annotations

import os

import torch
import torch.distributed as dist
from torch import nn


def world() -> tuple[int, int]:
    """(rank, world size) of this process: (0, 1) when not started by torchrun."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


DEVICES = ("auto", "cpu", "cuda")


def device(requested: str = "auto") -> torch.device:
    """The device this process trains on: ``cpu``, ``cuda`` (GPU ``LOCAL_RANK``), or ``auto``:
    ``cuda`` when torch sees a GPU, else ``cpu``."""
    if requested not in DEVICES:
        raise ValueError(f"--device must be one of {', '.join(DEVICES)}, got {requested!r}")
    if requested == "cpu" or (requested == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise ValueError("--device cuda needs a GPU that torch can use, and it finds none here; "
                         "use --device cpu")
    local, count = int(os.environ.get("LOCAL_RANK", 0)), torch.cuda.device_count()
    if local >= count:
        raise ValueError(f"this machine has {count} GPU(s): start at most {count} processes on it "
                         f"(torchrun --nproc-per-node={count})")
    torch.cuda.set_device(local)
    return torch.device("cuda", local)


def start(on: torch.device | None = None) -> tuple[int, int]:
    """Join the process group when started by torchrun with more than one process."""
    rank, size = world()
    if size > 1 and not dist.is_initialized():
        if on is not None and on.type == "cuda":
            dist.init_process_group("nccl", device_id=on)  # bound to this process's GPU
        else:
            dist.init_process_group("gloo")
    return rank, size


def stop() -> None:
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def networks(trainer) -> list[nn.Module]:
    """The trainer's networks (its nn.Module attributes, e.g. a GAN's generator and critic)."""
    return [v for v in vars(trainer).values() if isinstance(v, nn.Module)]


def place(trainer, on: torch.device) -> None:
    """Move the trainer's networks to a device. Their parameters stay the same Python objects
    (their contents are swapped), so the optimizers that hold them follow: their state is made
    on the first step, or loaded after this, next to the parameters."""
    swap = torch.__future__.get_swap_module_params_on_conversion()
    torch.__future__.set_swap_module_params_on_conversion(True)
    try:
        for net in networks(trainer):
            net.to(on)
    finally:
        torch.__future__.set_swap_module_params_on_conversion(swap)


def synchronise(trainer, size: int) -> None:
    """Make every process start from process 0's weights and average every gradient."""
    if size == 1:
        return
    for net in networks(trainer):
        for t in [*net.parameters(), *net.buffers()]:
            dist.broadcast(t.data, 0)
        for p in net.parameters():
            if p.requires_grad:
                p.register_post_accumulate_grad_hook(_average)


def _average(p: torch.Tensor) -> None:
    dist.all_reduce(p.grad)
    p.grad /= dist.get_world_size()


def share_buffers(trainer, size: int) -> None:
    """After a step: copy process 0's buffers to the others."""
    if size > 1:
        for net in networks(trainer):
            for b in net.buffers():
                dist.broadcast(b.data, 0)


def shard(idx: torch.Tensor, rank: int, size: int) -> torch.Tensor:
    """This process's rows of a batch."""
    if len(idx) % size:
        raise ValueError(f"the batch of {len(idx)} does not split evenly over {size} processes")
    return idx[rank::size]
