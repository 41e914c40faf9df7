"""Training on several processes (genimg/distributed.py), on the CPU with the gloo backend: the
processes start from the same weights, average their gradients and share their buffers, so they
stay identical; ``torchrun -m genimg train`` writes one checkpoint whose card says how it ran."""
import os
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from genimg import checkpoint, distributed
from benchmarks.common import free_port
from tests.conftest import TINY


def _worker(rank: int, size: int, port: int, out: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(size))
    torch.set_num_threads(1)
    distributed.start()
    torch.manual_seed(rank)  # different weights in each process, on purpose
    net = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 1))
    trainer = SimpleNamespace(model=net, opt=None)
    distributed.synchronise(trainer, size)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    batch = torch.randn(8, 4, generator=torch.Generator().manual_seed(0))
    target = batch.sum(1, keepdim=True)
    for _ in range(3):
        idx = distributed.shard(torch.arange(8), rank, size)
        opt.zero_grad()
        nn.functional.mse_loss(net(batch[idx]), target[idx]).backward()
        opt.step()
        distributed.share_buffers(trainer, size)
    state = torch.cat([t.detach().flatten() for t in [*net.parameters(), *net.buffers()] if t.is_floating_point()])
    gathered = [torch.zeros_like(state) for _ in range(size)]
    dist.all_gather(gathered, state)
    if rank == 0:
        np.save(out, torch.stack(gathered).numpy())
    distributed.stop()


def test_processes_stay_identical(tmp_path):
    out = str(tmp_path / "states.npy")
    mp.spawn(_worker, args=(2, free_port(), out), nprocs=2, join=True)
    a, b = np.load(out, allow_pickle=False)
    assert np.array_equal(a, b)


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
