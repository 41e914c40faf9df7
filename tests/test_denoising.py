"""Denoising live, SDEdit and the steps comparison, through the shipped diffusion checkpoints."""
import numpy as np
import pytest

from genimg import denoising, painting, pipeline


def test_denoise_streams_every_step_and_ends_with_the_result():
    frames = list(denoising.denoise("diffusion", "mnist", 3, 2, seed=1, steps=6))
    assert [f.done for f in frames] == list(range(1, 7))
    # DPM-Solver++, evenly in log-SNR from lambda = -5 to 5: the last step lands on x_0
    assert [f.t for f in frames] == [995, 967, 773, 217, 24, 0]
    assert all(f.images.shape == f.preview.shape == (2, 28, 28) for f in frames)
    assert all(f.result is None for f in frames[:-1])
    last = frames[-1].result
    # guided (two passes) only at the steps inside t/T in [0.2, 0.8]: 773 and 217
    assert last.nfe == 6 + 2 and last.labels.tolist() == [3, 3] and last.options["sampler"] == "dpm++"
    assert np.array_equal(last.images, pipeline.generate("diffusion", "mnist", 3, 2, 1, steps=6).images)


def test_guidance_zero_and_one_take_one_pass():
    *_, last = denoising.denoise("diffusion", "fashion", 1, 1, seed=0, steps=4, guidance=0)
    assert last.result.nfe == 4


def test_sdedit_keeps_the_shape_at_low_strength():
    start, label, _ = painting.start_image("mnist", 7, 0)
    light = denoising.edit("diffusion", "mnist", start, label, strength=0.2, count=2, seed=0)
    heavy = denoising.edit("diffusion", "mnist", start, label, strength=1.0, count=2, seed=0)
    assert light["results"].shape == (2, 28, 28) and light["steps"] == 2 and heavy["steps"] == 10
    near = np.abs(light["results"].astype(float) - start).mean()
    far = np.abs(heavy["results"].astype(float) - start).mean()
    assert near < far
    same = denoising.edit("diffusion", "mnist", start, label, strength=0, count=1)
    assert np.array_equal(same["results"][0], start) and same["steps"] == 0


def test_steps_comparison_shares_the_start_noise():
    results = list(denoising.compare_steps("diffusion", "mnist", 5, seed=2, n=2))
    model = pipeline.load_model("diffusion", "mnist")
    assert [r.nfe for r in results] == [model.nfe(steps=s) for s in denoising.COMPARED_STEPS]
    assert [r.nfe for r in results] == [6, 12, 30, 60]  # one pass a step, two inside the guided interval
    assert all(r.images.shape == (2, 28, 28) for r in results)


@pytest.mark.parametrize("call, message", [
    (lambda: next(denoising.denoise("diffusion", "mnist", 1, 2, steps=0)), "steps must be a whole number between 1 and 250"),
    (lambda: next(denoising.denoise("diffusion", "mnist", 1, 2, guidance=11)), "guidance must be a number between 0 and 10"),
    (lambda: next(denoising.denoise("diffusion", "mnist", 1, 2, sampler="euler")), "sampler must be one of dpm\+\+, ddim, ddpm"),
    (lambda: next(denoising.denoise("diffusion", "mnist", 1, 17)), "n must be a whole number between 1 and 16"),
    (lambda: denoising.edit("diffusion", "mnist", np.zeros((28, 28), np.uint8), 3, strength=1.5),
     "strength must be a number between 0 and 1"),
    (lambda: denoising.edit("diffusion", "mnist", np.zeros((28, 28), np.uint8), 3, strength=-0.1),
     "strength must be a number between 0 and 1"),
    (lambda: denoising.edit("diffusion", "mnist", np.zeros((28, 28), np.uint8), 3, strength="x"),
     "strength must be a number between 0 and 1"),
])
def test_bad_diffusion_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_the_path_runs_from_the_start_noise_to_the_generated_image():
    out = denoising.path("diffusion", "mnist", 3, seed=4, steps=8)
    assert out["points"].shape == (9, 2) and 0 < out["straightness"] <= 1
    assert out["points"][0, 1] == pytest.approx(0, abs=1e-6)  # the start lies on its own axis
    assert np.array_equal(out["image"], pipeline.generate("diffusion", "mnist", 3, 1, seed=4, steps=8).images[0])
