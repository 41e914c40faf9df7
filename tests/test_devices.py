"""Training on a device other than the CPU (``--device cuda``), checked without a GPU.

PyTorch's meta device stands in for the GPU, and ``SameDevice`` watches every operation: like
CUDA, it refuses one that mixes tensors of two devices (0-dimensional CPU tensors, which act as
numbers, aside), so a trainer that builds a tensor on the CPU in the middle of a step fails here
as it would on a GPU. Only explicit moves (``.to``, ``copy_``) may cross. Meta tensors hold no
values, so the few places that read one (a loss's ``item()``, ``if dead.any()``) get a stand-in.
"""
import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from genimg import distributed, models
from genimg.__main__ import main
from tests.conftest import TINY

META = torch.device("meta")
STEPS = 24  # the Transformer trains its tokenizer for the first 4 of them, then its prior
BRANCHES = {"classifier": {"blur": 1.0},  # optional parts of a step, switched on to be checked
            "gan": {"loss": "rpgan", "r1": 1.0, "r2": 1.0, "augment": "translation,cutout", "mode_seeking": 1.0}}


class SameDevice(TorchDispatchMode):
    """Fail any operation whose tensors are on more than one device, as CUDA would."""

    MOVES = {torch.ops.aten._to_copy, torch.ops.aten.copy_, torch.ops.aten._copy_from}

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func.overloadpacket not in self.MOVES:
            leaves = tree_leaves((args, kwargs or {}))
            devices = {t.device for t in leaves if isinstance(t, torch.Tensor) and t.dim() > 0}
            assert len(devices) <= 1, f"{func} mixes tensors on {sorted(map(str, devices))}"
        return func(*args, **(kwargs or {}))


@pytest.fixture
def valueless_meta(monkeypatch):
    """Let code read a number out of a meta tensor (0, or True for a test like ``any()``)."""
    for name, stand_in in (("item", 0), ("__int__", 0), ("__float__", 0.0), ("__bool__", True)):
        real = getattr(torch.Tensor, name)
        monkeypatch.setattr(torch.Tensor, name,
                            lambda self, real=real, v=stand_in: v if self.is_meta else real(self))


def _trainer(family: str):
    fam = models.get(family)
    torch.manual_seed(0)
    config = fam.Config(**TINY[family], **BRANCHES.get(family, {}))
    return fam.Trainer(fam.Model(config), total_steps=STEPS)


def _batch(on: torch.device):
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(8, 1, 28, 28, generator=g) * 2 - 1).to(on)
    return x, torch.arange(8).remainder(10).to(on)


@pytest.mark.parametrize("family", models.TRAINABLE)
def test_a_trainer_resumed_on_a_device_keeps_every_tensor_there(family, valueless_meta):
    """Two steps on the CPU, its state loaded into a trainer on the device, four more steps
    there (for the Transformer: two of its tokenizer's, two of its prior's): no tensor is left
    behind."""
    gen = torch.Generator().manual_seed(1)
    cpu = _trainer(family)
    for _ in range(2):
        cpu.step(*_batch(torch.device("cpu")), gen)
    moved = _trainer(family)
    distributed.place(moved, META)
    moved.load_state_dict(cpu.state_dict())
    with SameDevice():
        for _ in range(4):
            logs = moved.step(*_batch(META), gen)
    assert logs and all(isinstance(v, (int, float)) for v in logs.values())
    nets = distributed.networks(moved)
    assert all(t.is_meta for net in nets for t in [*net.parameters(), *net.buffers()])
    optimizers = [v for v in vars(moved).values() if isinstance(v, torch.optim.Optimizer)]
    states = [s for opt in optimizers for s in opt.state.values()]
    assert states and all(t.is_meta for s in states for k, t in s.items() if k != "step")


def test_the_same_noise_on_every_device():
    """The noise comes from the run's CPU generator, so placing a trainer on the CPU explicitly
    changes nothing: the same losses and weights as a trainer that was never placed."""
    runs = []
    for place in (False, True):
        trainer = _trainer("diffusion")
        if place:
            distributed.place(trainer, torch.device("cpu"))
        gen = torch.Generator().manual_seed(1)
        logs = [trainer.step(*_batch(torch.device("cpu")), gen) for _ in range(2)]
        runs.append((logs, [p.clone() for p in trainer.model.parameters()]))
    assert runs[0][0] == runs[1][0]
    assert all(torch.equal(a, b) for a, b in zip(runs[0][1], runs[1][1]))


def test_the_device_is_chosen_or_refused_clearly(monkeypatch):
    assert distributed.device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="--device must be one of auto, cpu, cuda, got 'tpu'"):
        distributed.device("tpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert distributed.device("auto") == torch.device("cpu")
    with pytest.raises(ValueError, match="finds none here; use --device cpu"):
        distributed.device("cuda")


def test_more_processes_than_gpus_is_refused(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setenv("LOCAL_RANK", "2")
    with pytest.raises(ValueError, match=r"has 2 GPU\(s\): start at most 2 processes on it"):
        distributed.device("cuda")


def test_the_cli_refuses_a_device_it_cannot_use(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    base = ["train", "--family", "gan", "--dataset", "mnist", "--max-steps", "1"]
    assert main([*base, "--device", "cuda"]) == 2
    assert main([*base, "--device", "gpu"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: --device cuda needs a GPU that torch can use, and it finds none here; use --device cpu",
                   "error: --device must be one of auto, cpu, cuda, got 'gpu'"]


def test_gpus_talk_over_nccl_and_cpus_over_gloo(monkeypatch):
    from genimg.distributed import dist

    calls = []
    monkeypatch.setattr(dist, "is_initialized", lambda: False)
    monkeypatch.setattr(dist, "init_process_group", lambda backend, **kw: calls.append((backend, kw)))
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert distributed.start(torch.device("cuda", 1)) == (1, 2)
    assert distributed.start(torch.device("cpu")) == (1, 2)
    assert calls == [("nccl", {"device_id": torch.device("cuda", 1)}), ("gloo", {})]


def test_the_device_check_script_runs_here(synthetic_data, tmp_path):
    """benchmarks/device_check.py, made for a lent GPU, on the CPU: no difference, and the
    end-to-end ``train --device`` writes a card that says where it ran."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    out = tmp_path / "device_check.json"
    run = subprocess.run([sys.executable, "benchmarks/device_check.py", "--device", "cpu", "--steps", "2",
                          "--family", "vae", "--data-dir", str(synthetic_data), "--out", str(out)],
                         cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, check=False,
                         timeout=600)
    assert run.returncode == 0, run.stderr
    r = json.loads(out.read_text())
    vae = r["families"]["vae"]
    assert vae["max_relative_difference"] == {"neg_elbo": 0.0, "kl": 0.0}
    assert set(vae["seconds_per_step"]) == {"cpu", "device"}
    assert r["end_to_end"]["ok"] and "CPU threads" in r["end_to_end"]["hardware"], r["end_to_end"]
