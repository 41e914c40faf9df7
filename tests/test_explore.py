"""The GAN and VAE explorations through the inference layer (shipped checkpoints)."""
import numpy as np
import pytest

from genimg import explore


def test_interpolation_ends_at_the_two_seeds():
    from genimg import pipeline

    path = explore.interpolate("gan", "mnist", 3, 11, 12, steps=5)  # the default truncation, as generate's
    assert path.shape == (5, 28, 28) and path.dtype == np.uint8
    a = pipeline.generate("gan", "mnist", 3, 1, 11).images[0]
    assert np.abs(path[0].astype(int) - a).max() <= 1  # same z, same image (up to rounding)


def test_reconstructions_resemble_the_originals():
    originals, recon = explore.reconstruct("vae", "mnist", 10, seed=0)
    assert originals.shape == recon.shape == (10, 28, 28)
    err = np.abs(originals.astype(float) - recon).mean()
    shuffled = np.abs(originals.astype(float) - recon[::-1]).mean()
    assert err < 0.6 * shuffled


def test_latent_map_and_drawing():
    assert explore.latent_map("vae", "fashion", 7, 4).shape == (16, 28, 28)
    a = np.full((280, 280, 4), 255, np.uint8)
    a[40:240, 130:150, :3] = 0
    out = explore.encode_drawing("vae", "mnist", a, None, k=3)
    assert out["input"].shape == (28, 28) and out["samples"].shape == (3, 28, 28)
    assert out["label"] == 1 and "classifier sees 1" in out["how"]


@pytest.mark.parametrize("call, message", [
    (lambda: explore.interpolate("gan", "mnist", -1, 0, 1), "one class"),
    (lambda: explore.interpolate("gan", "mnist", 3, 0, 1, steps=1), "steps must be a whole number between 2 and 32"),
    (lambda: explore.interpolate("gan", "mnist", 3, 0, 1, truncation=2), "truncation must be a number between"),
    (lambda: explore.latent_map("vae", "mnist", 3, 40), "size must be a whole number between 3 and 15"),
    (lambda: explore.encode_drawing("vae", "mnist", np.zeros((280, 280)), None), "empty"),
    (lambda: explore.encode_drawing("vae", "mnist", np.zeros((5, 5)), None), "between 28 and 2048"),
    (lambda: explore.reconstruct("vae", "mnist", 0), "count must be"),
])
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_view_refuses_a_family_without_its_capability():
    with pytest.raises(ValueError, match="the pixelcnn family has no latent_map"):
        explore.latent_map("pixelcnn", "mnist", 3)


def test_the_training_sheets_show_how_a_family_learned():
    """About eight sheets per run (same classes and seeds), in training order, the last at the
    shipped step; a checkpoint trained before the trainer kept sheets has none."""
    found = explore.training_sheets("diffusion", "mnist")
    assert len(found["steps"]) == len(found["sheets"]) == 8
    assert found["steps"] == sorted(found["steps"]) and found["steps"][-1] == found["total"]
    assert all(s.dtype == np.uint8 and s.shape[1] == 10 * 28 for s in found["sheets"])
    assert explore.training_sheets("pixelcnn", "fashion")["sheets"] == []
    with pytest.raises(ValueError, match="unknown dataset"):
        explore.training_sheets("gan", "cifar")
