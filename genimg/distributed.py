"""Training on several processes and on GPUs: ``torchrun --nproc-per-node N -m genimg train ...``.

torchrun starts N copies of the same command and tells each its rank (``RANK``, ``WORLD_SIZE``,
``MASTER_ADDR``/``MASTER_PORT``). Each process then takes its share of every batch (rank r the
rows r, r + N, ...), so the recipe (batch size, steps, learning rate) is the same as in one
process. Every network the trainer's step trains (its ``trained`` paths, e.g. a GAN's ``g``
and ``d``) is wrapped in PyTorch's DistributedDataParallel for the run: the gradients are
averaged across the processes in buckets, each bucket's all-reduce starting while the backward
pass is still computing the rest. The wrapper stands in for the network only where the step
calls it; the network's own state (its names in a checkpoint) is untouched. At the start every
process takes process 0's weights, and after every step process 0's buffers (BatchNorm
statistics, the VQ codebook, a latent code's scale), so every process holds the same model.
Only process 0 writes state, checkpoints and cards.

The device is the CPU, or with ``--device cuda`` (the default ``auto`` picks it when torch sees
a GPU) GPU number ``LOCAL_RANK`` of the machine, one per process. The networks and each batch
move to it; the noise is still drawn on the CPU from the run's generator, so a run draws the
same numbers on any device. Processes talk over gloo on the CPU (what the tests run, with two
processes) and over NCCL on GPUs.
"""
from __future__ import annotations

import contextlib
import copy
import os

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel


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


class Replica(DistributedDataParallel):
    """DistributedDataParallel standing in for one network where the trainer's step uses it:
    calling it runs the network (and readies the gradients' all-reduce); its attributes
    (``g.config``, ``net.null_class``), its state_dict and a deep copy are the network's own."""

    def __getattr__(self, name: str):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self.module, name)

    def state_dict(self, *args, **kwargs):
        return self.module.state_dict(*args, **kwargs)

    def load_state_dict(self, *args, **kwargs):
        return self.module.load_state_dict(*args, **kwargs)

    def __deepcopy__(self, memo):  # a copy of the trainer (a sample sheet) is an ordinary one
        return copy.deepcopy(self.module, memo)


@contextlib.contextmanager
def shared(trainer, size: int, on: torch.device | None = None):
    """For the run: every process starts from process 0's networks, and each network the step
    trains (``trainer.trained``, paths such as ``"model.net"``; default ``("model",)``) is
    called through a Replica. A path into a network (``model.net``) is shadowed in its parent's
    ``__dict__``, so the parent's modules, parameters and state_dict keys stay as they are."""
    if size == 1:
        yield
        return
    for net in networks(trainer):
        for t in [*net.parameters(), *net.buffers()]:
            dist.broadcast(t.data, 0)
    swapped = []
    for path in getattr(trainer, "trained", ("model",)):
        *parents, name = path.split(".")
        parent = trainer
        for p in parents:
            parent = getattr(parent, p)
        net = getattr(parent, name)
        if not any(p.requires_grad for p in net.parameters()):
            continue  # frozen already (a stage finished before this run resumed)
        ids = [on.index] if on is not None and on.type == "cuda" else None
        vars(parent)[name] = Replica(net, device_ids=ids, forward_sync_buffers=False)
        swapped.append((parent, name, net))
    try:
        yield
    finally:
        for parent, name, net in swapped:
            del vars(parent)[name]
            if not isinstance(parent, nn.Module):  # a plain attribute: put the network back
                setattr(parent, name, net)


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
