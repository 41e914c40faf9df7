import json

import pytest
import torch

from genimg import checkpoint
from genimg.models import gan
from tests.conftest import TINY


@pytest.fixture
def saved(tmp_path):
    config = gan.Config(**TINY["gan"])
    model = gan.Model(config).eval()
    checkpoint.save(model, config, "gan", "mnist", {"recipe": {"steps": 0}}, root=tmp_path)
    return tmp_path, model


def test_roundtrip_needs_no_flags(saved):
    root, model = saved
    loaded, card = checkpoint.load("gan", "mnist", gan.Config, gan.Model, root=root)
    assert card["config"]["width"] == TINY["gan"]["width"] and card["family"] == "gan"
    assert card["sha256"] == checkpoint.sha256(root / "mnist" / "gan.safetensors")
    labels = torch.arange(4)
    a = model.sample(labels, torch.Generator().manual_seed(1))
    b = loaded.sample(labels, torch.Generator().manual_seed(1))
    assert torch.equal(a, b)
    assert not any(p.requires_grad for p in loaded.parameters()) and not loaded.training


def test_missing_file_names_the_rebuild_command(tmp_path):
    with pytest.raises(checkpoint.CheckpointError, match="python -m genimg train --family gan --dataset mnist"):
        checkpoint.load("gan", "mnist", gan.Config, gan.Model, root=tmp_path)


def test_tampered_weights_are_refused(saved):
    root, _ = saved
    path = root / "mnist" / "gan.safetensors"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(checkpoint.CheckpointError, match=r"gan\.safetensors.*sha256.*rebuild it with"):
        checkpoint.load("gan", "mnist", gan.Config, gan.Model, root=root)


def test_truncated_weights_are_refused(saved):
    root, _ = saved
    path = root / "mnist" / "gan.safetensors"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(checkpoint.CheckpointError, match="gan.safetensors"):
        checkpoint.load("gan", "mnist", gan.Config, gan.Model, root=root)


@pytest.mark.parametrize("edit, message", [
    (lambda c: c.update(extra=1), "config keys"),  # a field the model does not have
    (lambda c: c.update(width=16), "cannot be loaded"),  # weights of another shape
])
def test_config_mismatch_is_refused(saved, edit, message):
    root, _ = saved
    card_path = root / "mnist" / "gan.json"
    card = json.loads(card_path.read_text())
    edit(card["config"])
    card_path.write_text(json.dumps(card))
    with pytest.raises(checkpoint.CheckpointError, match=message):
        checkpoint.load("gan", "mnist", gan.Config, gan.Model, root=root)


def test_broken_card_is_refused(saved):
    root, _ = saved
    (root / "mnist" / "gan.json").write_text("{not json")
    with pytest.raises(checkpoint.CheckpointError, match="not valid JSON"):
        checkpoint.load("gan", "mnist", gan.Config, gan.Model, root=root)


def test_training_state_roundtrip(tmp_path):
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.999))
    model(torch.randn(4, 3)).sum().backward()
    opt.step()
    state = {"opt": opt.state_dict(), "model": model.state_dict(), "step": 7, "curve": [{"step": 1, "loss": 0.5}],
             "rng": torch.Generator().manual_seed(3).get_state(), "empty": {}}
    checkpoint.save_state(tmp_path / "s.safetensors", state)
    back = checkpoint.load_state(tmp_path / "s.safetensors")
    assert back["step"] == 7 and back["curve"] == state["curve"] and back["empty"] == {}
    assert torch.equal(back["rng"], state["rng"])
    opt2 = torch.optim.Adam(torch.nn.Linear(3, 2).parameters())
    opt2.load_state_dict(back["opt"])
    assert torch.equal(opt2.state_dict()["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])
    assert tuple(opt2.param_groups[0]["betas"]) == (0.5, 0.999)


def test_weights_over_the_limit_are_refused_unless_the_run_is_a_study_s(tmp_path):
    """A shipped checkpoint stays under 10 MB; a study's run under runs/ (never shipped) may be bigger."""
    from genimg.models import vae

    model = vae.Model(vae.Config())
    with pytest.raises(checkpoint.CheckpointError, match="the limit is 10 MB"):
        checkpoint.save(model, model.config, "vae", "mnist", {}, tmp_path / "a", max_bytes=1000)
    checkpoint.save(model, model.config, "vae", "mnist", {}, tmp_path / "b", max_bytes=None)
    assert checkpoint.read_card("vae", "mnist", tmp_path / "b")["file_bytes"] > 1000
