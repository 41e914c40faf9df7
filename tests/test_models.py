"""The family contract, checked for every registered family on a tiny config."""
import dataclasses
import re

import pytest
import torch
from safetensors.torch import load_file

from genimg import checkpoint, models
from genimg.data import DATASETS
from tests.conftest import TINY


def tiny(family: str):
    mod = models.get(family)
    config = mod.Config(**TINY[family])
    return mod, config, mod.Model(config)


def batch(n=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 28, 28, generator=g) * 2 - 1, torch.arange(n) % 10


@pytest.mark.parametrize("family", models.TRAINABLE)
def test_one_training_step_updates_weights(family):
    mod, _, model = tiny(family)
    trainer = mod.Trainer(model, total_steps=10)
    before = [p.detach().clone() for p in model.parameters()]
    x, y = batch()
    logs = trainer.step(x, y, torch.Generator().manual_seed(0))
    assert logs and all(torch.isfinite(torch.tensor(v)) for v in logs.values())
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))


@pytest.mark.parametrize("family", models.TRAINABLE)
def test_trainer_state_roundtrip(family, tmp_path):
    mod, config, model = tiny(family)
    trainer = mod.Trainer(model, total_steps=10)
    x, y = batch()
    trainer.step(x, y, torch.Generator().manual_seed(0))
    checkpoint.save_state(tmp_path / "s.safetensors", {"trainer": trainer.state_dict()})
    other = mod.Trainer(mod.Model(config), total_steps=10)
    other.load_state_dict(checkpoint.load_state(tmp_path / "s.safetensors")["trainer"])
    checkpoint.save_state(tmp_path / "t.safetensors", {"trainer": other.state_dict()})
    first = load_file(str(tmp_path / "s.safetensors"))
    second = load_file(str(tmp_path / "t.safetensors"))
    assert first.keys() == second.keys() and len(first) > 0
    assert all(torch.equal(first[k], second[k]) for k in first)


@pytest.mark.parametrize("family", models.FAMILIES + models.DEVELOPING)
def test_sample_shape_range_determinism(family):
    _, _, model = tiny(family)
    model.eval()
    labels = torch.tensor([0, 3, 9, 9])
    a = model.sample(labels, torch.Generator().manual_seed(5))
    b = model.sample(labels, torch.Generator().manual_seed(5))
    c = model.sample(labels, torch.Generator().manual_seed(6))
    assert a.shape == (4, 1, 28, 28) and a.dtype == torch.float32
    assert a.min() >= 0 and a.max() <= 1
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize("family", models.FAMILIES + models.DEVELOPING)
def test_frames_end_with_the_sample(family):
    _, _, model = tiny(family)
    model.eval()
    labels = torch.tensor([1, 2])
    frames = list(model.frames(labels, torch.Generator().manual_seed(2)))
    assert len(frames) >= 2 and all(f.shape == (2, 1, 28, 28) for f in frames)
    assert all(f.min() >= 0 and f.max() <= 1 for f in frames)
    assert torch.allclose(frames[-1], model.sample(labels, torch.Generator().manual_seed(2)))


@pytest.mark.parametrize("family", models.FAMILIES + models.DEVELOPING)
def test_every_option_has_a_sane_range(family):
    mod = models.get(family)
    assert mod.TITLE and mod.SUMMARY
    for opt in mod.OPTIONS:
        if opt.choices:
            assert opt.check(opt.default) == opt.default
            with pytest.raises(ValueError, match=re.escape(f"{opt.name} must be one of {', '.join(opt.choices)}")):
                opt.check("other")
            continue
        assert opt.minimum <= opt.default <= opt.maximum
        assert opt.check(opt.default) == opt.default
        with pytest.raises(ValueError, match=f"{opt.name} must be (a|a whole) number between"):
            opt.check(opt.maximum + 1)
        with pytest.raises(ValueError, match=opt.name):
            opt.check(float("nan"))
        with pytest.raises(ValueError, match=opt.name):
            opt.check("much")


def test_unknown_family():
    with pytest.raises(ValueError, match="choose one of gan, vae"):
        models.get("nonesuch")


@pytest.mark.parametrize("family", [f for f in models.FAMILIES + models.DEVELOPING
                                    if hasattr(models.get(f).Model, "stream")])
def test_streamed_steps_are_one_type_and_end_with_the_sample(family):
    """Every streaming family yields ``models.Step``s, counting up to ``total``, whose last
    canvas is the sample of the same seed."""
    _, _, model = tiny(family)
    model.eval()
    labels = torch.tensor([4, 8])
    steps = list(model.stream(labels, torch.Generator().manual_seed(3)))
    assert steps and all(isinstance(s, models.Step) for s in steps)
    assert [s.done for s in steps] == sorted(s.done for s in steps) and steps[-1].done == steps[-1].total
    assert all(s.canvas.shape == (2, 1, 28, 28) for s in steps)
    assert torch.equal(steps[-1].canvas, model.sample(labels, torch.Generator().manual_seed(3)))


@pytest.mark.parametrize("family", models.TRAINABLE)
def test_every_family_keeps_the_contract(family):
    mod = models.get(family)
    assert isinstance(mod.TINY, dict) and set(mod.TINY) <= {f.name for f in dataclasses.fields(mod.Config)}
    if family in models.FAMILIES + models.DEVELOPING:
        assert set(mod.BARS) == set(DATASETS) and all(0 < b < 1 for b in mod.BARS.values())
        assert isinstance(mod.Model(mod.Config(**mod.TINY)), models.Sampler)
        for name in ("step", "state_dict", "load_state_dict", "inference_model", "evaluate"):
            assert callable(getattr(mod.Trainer, name)), name
        assert mod.Trainer.epochs > 0 and mod.Trainer.batch_size > 0


def test_a_family_trains_after_the_families_it_builds_on():
    from genimg import models

    order = models.training_order()
    for name in (*models.FAMILIES, *models.DEVELOPING):
        for base in models.builds_on(name):
            assert base in models.FAMILIES and order.index(base) < order.index(name)
    assert models.builds_on("gan") == () and set(order) == set(models.TRAINABLE)


def test_no_shared_module_names_a_family():
    """Only a family's own files (its model, its samplers, its tab) and the registry may name it:
    every shared module works for any family (issue 35)."""
    import ast
    from pathlib import Path

    from genimg import models

    from genimg import toys

    names = set(models.FAMILIES + models.DEVELOPING + toys.TOYS)  # the 2-D families too (genimg/toys)
    root = Path(models.__file__).resolve().parent.parent
    registries = {Path(models.__file__).resolve(), Path(toys.__file__).resolve()}
    found = []
    for path in sorted(root.rglob("*.py")):
        stem = path.stem.removesuffix("_sampler")
        if stem in names or path in registries:
            continue
        tree = ast.parse(path.read_text())
        docs = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
        found += [(path.name, n.value) for n in ast.walk(tree)
                  if isinstance(n, ast.Constant) and n.value in names and id(n) not in docs]
    assert found == [("explore.py", "latent")], found  # (there: the method ``latent`` a view needs, not the family)
