"""Training on several processes (genimg/distributed.py), on the CPU with the gloo backend: the
processes start from the same weights, average their gradients and share their buffers, so they
stay identical; ``torchrun -m genimg train`` writes one checkpoint whose card says how it ran."""
import os
import subprocess
import sys

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from genimg import checkpoint, distributed, models
from genimg.testing import free_port
from tests.conftest import TINY
from tests.test_devices import STEPS, _batch, _trainer


def _worker(rank: int, size: int, port: int, out: str) -> None:
    """Every trainable family, as train.py runs it: each process its rows of the batch and its
    own noise, every trained network called through DDP, process 0's buffers after each step."""
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(size))
    torch.set_num_threads(1)
    distributed.start()
    states = {}
    for family in models.TRAINABLE:
        trainer = _trainer(family)
        with torch.no_grad():  # different weights in each process, on purpose
            for net in distributed.networks(trainer):
                for p in net.parameters():
                    p.add_(rank)
        start = _state(trainer)
        gen = torch.Generator().manual_seed(7919 * rank)
        x, y = _batch(torch.device("cpu"))
        with distributed.shared(trainer, size):
            for _ in range(STEPS):
                idx = distributed.shard(torch.arange(len(x)), rank, size)
                trainer.step(x[idx], y[idx], gen)
                distributed.share_buffers(trainer, size)
        state = _state(trainer)
        assert len(state) == len(start) and not torch.equal(state, start), family
        gathered = [torch.zeros_like(state) for _ in range(size)]
        dist.all_gather(gathered, state)
        states[family] = torch.stack(gathered).numpy()
    if rank == 0:
        np.savez(out, **states)
    distributed.stop()


def _state(trainer) -> torch.Tensor:
    """Every number of every network of the trainer, its EMA copies included, in one vector."""
    return torch.cat([t.detach().float().flatten() for net in distributed.networks(trainer)
                      for t in [*net.parameters(), *net.buffers()] if t.is_floating_point()])


def test_every_family_trains_identically_on_two_processes(tmp_path):
    """The processes start from different weights and see different rows and noise; with the
    weights of process 0 to start and the gradients averaged by DDP, they end bit-identical."""
    out = str(tmp_path / "states.npz")
    mp.spawn(_worker, args=(2, free_port(), out), nprocs=2, join=True)
    states = np.load(out, allow_pickle=False)
    assert sorted(states.files) == sorted(models.TRAINABLE)
    for family in states.files:
        a, b = states[family]
        assert np.array_equal(a, b), f"{family}: the processes differ in {(a != b).sum()} of {a.size} numbers"


def test_the_trained_networks_are_called_through_ddp_and_keep_their_names():
    """Inside ``shared`` the step reaches DDP where it calls a trained network; its names in the
    checkpoint, its attributes and a copy of the trainer are the network's own."""
    import copy

    from torch.nn.parallel import DistributedDataParallel

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(free_port()), RANK="0", WORLD_SIZE="1")
    dist.init_process_group("gloo", rank=0, world_size=1)
    try:
        trainer = _trainer("diffusion")
        keys = list(trainer.state_dict()["model"])
        with distributed.shared(trainer, 2):
            assert isinstance(trainer.model.net, DistributedDataParallel)
            assert trainer.model.net.null_class == trainer.model.config.num_classes
            assert list(trainer.state_dict()["model"]) == keys
            assert not isinstance(copy.deepcopy(trainer).model.net, DistributedDataParallel)
        assert not isinstance(trainer.model.net, DistributedDataParallel)
        gan = _trainer("gan")
        with distributed.shared(gan, 2):
            assert isinstance(gan.g, DistributedDataParallel) and gan.g.config is gan.g.module.config
            assert list(gan.state_dict()["g"]) == list(gan.g.module.state_dict())
        assert not isinstance(gan.g, DistributedDataParallel)
    finally:
        dist.destroy_process_group()


def test_a_full_batch_splits_evenly_or_is_refused():
    assert distributed.shard(torch.arange(8), 1, 4).tolist() == [1, 5]
    try:
        distributed.shard(torch.arange(10), 0, 4)
    except ValueError as e:
        assert "does not split evenly over 4 processes" in str(e)
    else:
        raise AssertionError("an uneven batch was split")


def test_torchrun_trains_a_tiny_gan_on_two_processes(tmp_path, synthetic_data):
    env = {**os.environ, "GENIMG_CHECKPOINTS": str(tmp_path / "ck"), "GENIMG_RUNS": str(tmp_path / "runs"),
           "OMP_NUM_THREADS": "1"}
    common = ["--dataset", "mnist", "--data-dir", str(synthetic_data)]
    subprocess.run([sys.executable, "-m", "genimg", "train", "--family", "classifier", *common, "--max-steps", "1"],
                   env=env, check=True, capture_output=True, timeout=300)
    tiny = [x for k, v in TINY["gan"].items() for x in ("--set", f"{k}={v}")]
    r = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc-per-node=2",
                        f"--master-port={free_port()}", "-m", "genimg", "train", "--family", "gan", *common,
                        "--max-steps", "3", "--device", "cpu", *tiny], env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    card = checkpoint.read_card("gan", "mnist", root=tmp_path / "ck")
    assert card["recipe"]["steps"] == 3 and card["recipe"]["command"].startswith("torchrun --nproc-per-node=2 -m genimg")
    assert card["recipe"]["command"].endswith("--device cpu")
    assert card["recipe"]["hardware"].endswith("2 processes") and "class_accuracy" in card["metrics"]
