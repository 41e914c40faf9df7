import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from genimg import checkpoint
from genimg.__main__ import main
from tests.conftest import TINY


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "genimg", *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=600)


def test_sample_png_and_npz(tmp_path):
    png, npz = tmp_path / "grid.png", tmp_path / "x.npz"
    r = run("sample", "--family", "gan", "--dataset", "mnist", "-n", "12", "--label", "3", "--seed", "0",
            "--out", str(png))
    assert r.returncode == 0, r.stderr
    assert Image.open(png).format == "PNG"
    r = run("sample", "--family", "vae", "--dataset", "fashion", "-n", "23", "--seed", "1",
            "--temperature", "0.8", "--out", str(npz))
    assert r.returncode == 0, r.stderr
    data = np.load(npz)
    assert data["images"].shape == (23, 28, 28) and data["images"].dtype == np.uint8
    assert data["labels"].dtype == np.int64 and data["labels"].tolist() == [i % 10 for i in range(23)]


def test_sample_matches_the_api(tmp_path):
    from genimg import pipeline

    r = run("sample", "--family", "gan", "--dataset", "mnist", "-n", "5", "--seed", "4",
            "--truncation", "0.7", "--out", str(tmp_path / "a.npz"))
    assert r.returncode == 0, r.stderr
    api = pipeline.generate("gan", "mnist", None, 5, 4, truncation=0.7)
    assert np.array_equal(np.load(tmp_path / "a.npz")["images"], api.images)


@pytest.mark.parametrize("args, message", [
    (["-n", "0"], "n must be a whole number between 1 and 10000"),
    (["-n", "10001"], "between 1 and 10000"),
    (["--label", "10"], "label must be a whole number between 0 and 9"),
    (["--seed", "-3"], "seed must be"),
    (["--truncation", "2"], "truncation must be a number between 0 and 1"),
    (["--temperature", "1"], "--temperature does not apply to gan"),
    (["--out", "x.gif"], ".png or .npz"),
    (["--top-k", "3"], "--top_k does not apply to gan"),
    (["--family", "transformer", "--top-k", "2.5"], "top_k must be a whole number between 0 and 128"),
    (["--family", "transformer", "--top_p", "0"], "top_p must be a number between 0.05 and 1"),
    (["--family", "diffusion", "--sampler", "euler"], "sampler must be one of dpm++, ddim, ddpm"),
    (["--family", "diffusion", "--steps", "0"], "steps must be a whole number between 1 and 250"),
])
def test_bad_arguments_exit_2_with_one_line(args, message, tmp_path, capsys):
    base = ["sample", "--family", "gan", "--dataset", "mnist", "--out", str(tmp_path / "x.npz")]
    assert main([*base, *args]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_transformer_sampling_flags(tmp_path):
    out = tmp_path / "t.npz"
    assert main(["sample", "--family", "transformer", "--dataset", "mnist", "-n", "3", "--top-k", "20",
                 "--top-p", "0.9", "--temperature", "0.8", "--out", str(out)]) == 0
    assert np.load(out)["images"].shape == (3, 28, 28)


def test_diffusion_sampler_flags(tmp_path):
    out = tmp_path / "d.npz"
    assert main(["sample", "--family", "diffusion", "--dataset", "fashion", "-n", "2", "--sampler", "ddpm",
                 "--steps", "4", "--guidance", "2", "--out", str(out)]) == 0
    assert np.load(out)["images"].shape == (2, 28, 28)


@pytest.mark.slow
def test_train_a_tiny_transformer_through_both_stages(tmp_path, synthetic_data):
    env = {"GENIMG_CHECKPOINTS": str(tmp_path / "ck"), "GENIMG_RUNS": str(tmp_path / "runs")}
    tiny = [x for k, v in TINY["transformer"].items() for x in ("--set", f"{k}={v}")]
    common = ["--dataset", "mnist", "--data-dir", str(synthetic_data)]
    assert run("train", "--family", "classifier", *common, "--max-steps", "1", env=env).returncode == 0
    r = run("train", "--family", "transformer", *common, "--max-steps", "3", *tiny, env=env)
    assert r.returncode == 0, r.stderr
    card = checkpoint.read_card("transformer", "mnist", root=tmp_path / "ck")
    assert card["recipe"]["steps"] == 3 and card["config"]["codes"] == TINY["transformer"]["codes"]
    m = card["metrics"]
    assert m["tokenizer"]["codes"] == 8 and m["prior"]["test_nats_per_token"] > 0 and "class_accuracy" in m
    # another day, without the runs/ state: continue from the checkpoint's weights
    r = run("train", "--family", "transformer", *common, "--max-steps", "2", *tiny, "--no-resume",
            "--from-checkpoint", env=env)
    assert r.returncode == 0 and "continuing transformer/mnist from its checkpoint (3 steps)" in r.stderr
    recipe = checkpoint.read_card("transformer", "mnist", root=tmp_path / "ck")["recipe"]
    assert recipe["continued_from"]["steps"] == 3 and recipe["command"].endswith("--from-checkpoint")
    # sample sheets at fixed seeds through training, the continued run's after the first run's
    sheets = checkpoint.read_card("transformer", "mnist", root=tmp_path / "ck")["sheets"]
    assert [s["step"] for s in sheets] == [1, 2, 3, 4, 5]
    for s in sheets:
        sheet = np.asarray(Image.open(tmp_path / "ck" / "mnist" / s["file"]))
        assert sheet.shape == (4 * 28, 10 * 28) and sheet.dtype == np.uint8
    # MaskGIT starts from this tokenizer: the card names the checkpoint it took it from
    tiny = [x for k, v in TINY["maskgit"].items() for x in ("--set", f"{k}={v}")]
    r = run("train", "--family", "maskgit", *common, "--max-steps", "2", *tiny, env=env)
    assert r.returncode == 0, r.stderr
    source = checkpoint.read_card("transformer", "mnist", root=tmp_path / "ck")["sha256"]
    card = checkpoint.read_card("maskgit", "mnist", root=tmp_path / "ck")
    assert card["recipe"]["builds_on"]["tokenizer"] == {"family": "transformer", "dataset": "mnist", "sha256": source}


@pytest.mark.parametrize("family, dataset, message", [
    ("nonesuch", "mnist", "choose one of gan, vae"), ("gan", "cifar", "choose one of mnist, fashion")])
def test_unknown_family_and_dataset(family, dataset, message, tmp_path, capsys):
    assert main(["sample", "--family", family, "--dataset", dataset, "--out", str(tmp_path / "x.npz")]) == 2
    assert message in capsys.readouterr().err


def test_a_bad_argument_in_a_real_process(tmp_path):
    r = run("sample", "--family", "vae", "--dataset", "mnist", "-n", "-4", "--out", str(tmp_path / "x.png"))
    assert r.returncode == 2 and r.stderr.strip() == "error: n must be a whole number between 1 and 10000, got -4"


@pytest.mark.slow
def test_train_writes_a_card_and_resumes(tmp_path, synthetic_data):
    env = {"GENIMG_CHECKPOINTS": str(tmp_path / "ck"), "GENIMG_RUNS": str(tmp_path / "runs")}
    common = ["--dataset", "mnist", "--data-dir", str(synthetic_data)]
    r = run("train", "--family", "classifier", *common, "--max-steps", "2", env=env)
    assert r.returncode == 0, r.stderr
    r = run("train", "--family", "vae", *common, "--max-steps", "1", env=env)
    assert r.returncode == 0, r.stderr
    r = run("train", "--family", "vae", *common, "--max-steps", "2", env=env)
    assert r.returncode == 0 and "resuming vae/mnist from step 1" in r.stderr
    card = checkpoint.read_card("vae", "mnist", root=tmp_path / "ck")
    assert card["recipe"]["steps"] == 2 and card["sha256"] and "class_accuracy" in card["metrics"]
    r = run("train", "--family", "vae", *common, "--max-steps", "3", "--set", "beta=0.5", env=env)
    assert r.returncode == 2 and "--no-resume" in r.stderr  # a different config does not resume
    assert (tmp_path / "ck" / "mnist" / "examples.png").exists()


def test_config_overrides_are_typed_and_checked():
    from genimg.models import vae
    from genimg.train import parse_overrides

    assert parse_overrides(vae.Config, ["beta=0.5", "z_dim=16"]) == {"beta": 0.5, "z_dim": 16}
    with pytest.raises(ValueError, match="KEY one of z_dim, width"):
        parse_overrides(vae.Config, ["depth=3"])
    with pytest.raises(ValueError, match="needs a int"):
        parse_overrides(vae.Config, ["z_dim=big"])
