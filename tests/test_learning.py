"""Learning curves: every run that draws sample sheets measures quality and training spent there."""
import itertools
import time

import pytest

import torch
from conftest import TINY
from safetensors.torch import load_file

from genimg import checkpoint, learning, train

KEYS = {"step", "fid", "fid_floor", "class_accuracy", "flops", "cpu_s", "wall_s", "sheet"}


def tiny(family: str) -> list[str]:
    return [f"{k}={v}" for k, v in TINY[family].items()]


def test_a_run_records_eight_points_and_a_resumed_run_keeps_them(tmp_path, synthetic_data, monkeypatch):
    monkeypatch.setattr(learning, "N", 20)
    common = {"dataset": "mnist", "data_dir": synthetic_data, "root": tmp_path, "quiet": True,
              "overrides": tiny("vae")}
    train.train("vae", max_steps=4, **common)
    assert (tmp_path / "mnist" / "vae.state.safetensors").exists()  # beside the checkpoint, not in runs/
    card = train.train("vae", max_steps=8, **common)  # resumes at step 4, keeps its 4 points
    points = card["learning"]
    assert [p["step"] for p in points] == list(range(1, 9)) and all(set(p) == KEYS for p in points)
    assert [p["sheet"] for p in points] == [s["file"] for s in card["sheets"]]
    for a, b in itertools.pairwise(points):  # one step's FLOPs (counted after the first) per step
        assert b["flops"] - a["flops"] == points[0]["flops"] > 0
        assert b["cpu_s"] >= a["cpu_s"] and b["wall_s"] >= a["wall_s"]
    assert points[-1]["cpu_s"] > 0
    for p in points:
        assert p["fid"] > p["fid_floor"] > 0 and 0 <= p["class_accuracy"] <= 1


def test_measuring_leaves_the_training_as_it_was(tmp_path, synthetic_data, monkeypatch):
    monkeypatch.setattr(learning, "N", 20)
    common = {"dataset": "mnist", "data_dir": synthetic_data, "quiet": True, "overrides": tiny("vae"), "max_steps": 3}
    torch.manual_seed(0)  # the networks' initial weights
    assert "learning" in train.train("vae", root=tmp_path / "a", **common)
    monkeypatch.setattr(learning.Ruler, "make", classmethod(lambda cls, *a: None))  # no curve at all
    torch.manual_seed(0)
    assert "learning" not in train.train("vae", root=tmp_path / "b", **common)
    a, b = (checkpoint.read_card("vae", "mnist", tmp_path / r)["loss_curve"] for r in "ab")
    assert a == b
    # equal up to the order of float sums (which varies from run to run with memory alignment)
    a, b = (load_file(checkpoint.paths("vae", "mnist", tmp_path / r)[0]) for r in "ab")
    assert all(torch.allclose(a[k], b[k], atol=1e-5) for k in a)


def test_a_trainer_without_options_draws_no_curve(tmp_path, synthetic_data, monkeypatch):
    monkeypatch.setattr(checkpoint, "CHECKPOINT_DIR", tmp_path)  # its example sheet goes there, whatever the root
    card = train.train("classifier", "mnist", synthetic_data, max_steps=2, root=tmp_path, quiet=True)
    assert "learning" not in card and "sheets" not in card


def test_the_flop_counter_against_a_hand_count_for_one_layer():
    class Trainer:
        def __init__(self):
            self.layer = torch.nn.Linear(30, 20)
            self.opt = torch.optim.SGD(self.layer.parameters(), lr=0.1)

        def step(self, x, y, generator):
            loss = self.layer(x).square().mean()
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            return {"loss": loss.item()}

    trainer = Trainer()
    before = trainer.layer.weight.clone()
    x = torch.randn(8, 30)
    # forward: B*in*out multiply-adds, 2 FLOPs each; backward: as many for the weight's gradient
    # (the input's is not needed: the data asks for none); the bias and the loss are not counted
    assert learning.step_flops(trainer, x, None) == 2 * (2 * 8 * 30 * 20)
    assert torch.equal(trainer.layer.weight, before)  # counted on a copy


def test_a_subset_run_sees_only_its_images_for_as_many_steps(tmp_path, synthetic_data, monkeypatch):
    """The data study: --subset N trains on the first N of the class-balanced order, and the card
    says how many images and how to repeat the run."""
    monkeypatch.setattr(learning.Ruler, "make", classmethod(lambda cls, *a: None))
    x, y = torch.randn(200, 1, 28, 28), torch.arange(200) % 10
    small, labels = train.take_subset(x, y, 40, 20)
    assert len(small) == 40 and torch.bincount(labels).tolist() == [4] * 10
    big, _ = train.take_subset(x, y, 80, 20)
    assert torch.equal(big[:40].sort(0).values, small.sort(0).values)  # 40 are within the first 80
    for n in (35, 10, 1000):
        with pytest.raises(ValueError, match="--subset must be a multiple of 10"):
            train.take_subset(x, y, n, 20)
    card = train.train("vae", "mnist", synthetic_data, max_steps=3, root=tmp_path, quiet=True,
                       overrides=tiny("vae"), subset=200)
    assert card["recipe"]["images"] == 200 and card["recipe"]["steps"] == 3
    assert card["recipe"]["command"].split("--family")[1].startswith(" vae --dataset mnist --max-steps 3 --subset 200")


def test_overrides_read_tuples_and_booleans_and_refuse_the_rest():
    from genimg.models import flow, transformer

    assert train.parse_overrides(flow.Config, ["widths=12,24,48", "attention=False"]) == {
        "widths": (12, 24, 48), "attention": False}
    for bad in ("widths=a,b", "attention=no", "emb=wide"):
        with pytest.raises(ValueError, match="needs a"):
            train.parse_overrides(flow.Config, [bad])
    # the size study keeps the tokenizer's stage fixed while the Transformer's steps change
    model = transformer.Model(transformer.Config(tokenizer_steps=30, **transformer.TINY))
    assert transformer.Trainer(model, total_steps=1000).split == 30
    assert transformer.Trainer(transformer.Model(transformer.Config(**transformer.TINY)), 600).split == 100


def test_a_saved_meter_keeps_the_time_since_its_last_point():
    meter = learning.Meter()
    end = time.process_time() + 0.05
    while time.process_time() < end:  # spend some CPU between two points
        pass
    saved = meter.state()
    assert saved["cpu_s"] >= 0.04 and saved["wall_s"] >= 0.04
    again = learning.Meter(**saved)
    assert again.cpu_s == saved["cpu_s"] and again.state()["cpu_s"] >= saved["cpu_s"]

