"""The scoreboard, on the shipped models against a small synthetic test set (random images:
the numbers mean nothing here, the code paths and the bookkeeping are what is checked)."""
import numpy as np
import pytest
import torch

from genimg import checkpoint, evaluate
from genimg.__main__ import main


@pytest.mark.shipped
def test_one_row_per_family_with_every_measurement(synthetic_data):
    rows = evaluate.run(["gan", "vae"], ["mnist"], n=1000, data_dir=synthetic_data, write=False)
    assert [(r["family"], r["dataset"]) for r in rows] == [("gan", "mnist"), ("vae", "mnist")]
    for r in rows:
        assert r["n_samples"] == 1000 and sum(r["class_histogram"]) == 1000
        assert r["fid"] > 0 and r["fid_floor"] > 0 and 1 <= r["inception_score"] <= 10
        assert 0 <= r["precision"] <= 1 and 0 <= r["recall"] <= 1
        assert set(r["rulers"]) == {"judge", "classifier"} and r["fid"] == r["rulers"]["judge"]["fid"]
        assert all(m["fid"] > 0 and m["fid_floor"] > 0 for m in r["rulers"].values())
        assert r["parameters"] > 0 and r["nfe"] == 1 and r["ms_per_image"] > 0
    assert "likelihood" not in rows[0] and rows[1]["likelihood"]["kind"] == "ELBO bound"


def test_real_images_are_drawn_at_random_and_class_balanced():
    labels = torch.arange(60_000) // 6_000  # sorted by class, as a dataset ordered by writer could be
    order = evaluate.balanced_order(labels)
    assert len(order) == 60_000 and len(set(order.tolist())) == 60_000
    for n in (10, 1000, 10_000):
        assert torch.bincount(labels[order[:n]], minlength=10).tolist() == [n // 10] * 10
    assert not torch.equal(order[:10].sort().values, torch.arange(0, 60_000, 6_000))  # not the first of each class
    assert torch.equal(order, evaluate.balanced_order(labels))  # the same every time


@pytest.mark.shipped
def test_a_slow_family_gets_fewer_samples():
    few = evaluate.sample_within("gan", "mnist", 10_000, budget_s=1e-9)
    assert len(few.labels) == evaluate.MIN_N and np.bincount(few.labels).tolist() == [100] * 10
    many = evaluate.sample_within("gan", "mnist", 2500, budget_s=1e9, seed=3)
    assert len(many.labels) == 2500 and many.seconds > 0 and many.nfe == 1
    assert np.array_equal(many.images[:1000], evaluate.sample_within("gan", "mnist", 1000, 1e9, seed=3).images)
    assert not np.array_equal(many.images[:1000], many.images[1000:2000])  # each chunk its own seed


@pytest.mark.shipped
def test_eval_writes_the_card(synthetic_data, tmp_path, monkeypatch):
    import shutil

    root = tmp_path / "ck"
    shutil.copytree(checkpoint.CHECKPOINT_DIR, root)
    monkeypatch.setattr(checkpoint, "CHECKPOINT_DIR", root)
    assert main(["eval", "--family", "gan", "--dataset", "fashion", "-n", "1000",
                 "--data-dir", str(synthetic_data)]) == 0
    assert checkpoint.read_card("gan", "fashion", root)["eval"]["n_samples"] == 1000


@pytest.mark.parametrize("args, message", [(["-n", "50"], "n must be a whole number between 1000 and 10000"),
                                            (["--family", "nonesuch"], "unknown family 'nonesuch'"),
                                            (["--budget", "0"], "budget must be between 1 and 3600 seconds")])
def test_bad_eval_arguments(args, message, capsys, synthetic_data):
    assert main(["eval", "--dataset", "mnist", "--data-dir", str(synthetic_data), *args]) == 2
    assert message in capsys.readouterr().err
