"""Argument checks of the inference layer (no checkpoints needed) and the drawing converter."""
import numpy as np
import pytest

from genimg import drawing, pipeline


@pytest.mark.parametrize("n", [0, -1, 65, 2.5, "many", None, True, float("nan")])
def test_bad_n(n):
    with pytest.raises(ValueError, match="n must be a whole number between 1 and 64"):
        pipeline.check_n(n)


def test_n_limits_differ_for_api():
    assert pipeline.check_n(10_000, pipeline.API_MAX_N) == 10_000
    assert pipeline.check_n(64) == 64 and pipeline.check_n(3.0) == 3


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, "abc", float("inf")])
def test_bad_seed(seed):
    with pytest.raises(ValueError, match="seed must be a whole number between 0 and 4294967295"):
        pipeline.check_seed(seed)


@pytest.mark.parametrize("label", [10, -2, 3.5, "seven", True])
def test_bad_label(label):
    with pytest.raises(ValueError, match="label must be a whole number between 0 and 9"):
        pipeline.check_label(label)


@pytest.mark.parametrize("value", [-0.1, 1.5, float("nan"), float("inf"), "x", None, True, [0.5]])
def test_bad_float(value):
    with pytest.raises(ValueError, match="strength must be a number between 0 and 1, got"):
        pipeline.check_float("strength", value, 0, 1)


def test_good_float():
    assert pipeline.check_float("strength", "0.25", 0, 1) == 0.25 and pipeline.check_float("s", 1, 0, 1) == 1.0


def test_threads_are_shared_between_workers():
    import torch

    before = torch.get_num_threads()
    try:
        assert pipeline.pin_threads(10_000) == 1 == torch.get_num_threads()  # never below one
        assert pipeline.pin_threads(1) >= 1
    finally:
        torch.set_num_threads(before)


def test_all_classes_label():
    assert pipeline.check_label(None) is None and pipeline.check_label(-1) is None
    assert pipeline.labels_for(None, 12).tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    assert pipeline.labels_for(7, 3).tolist() == [7, 7, 7]


def test_options_are_checked_not_clamped():
    assert pipeline.check_options("gan", {}) == {"truncation": 0.9}
    with pytest.raises(ValueError, match="truncation must be a number between 0 and 1, got 1.5"):
        pipeline.check_options("gan", {"truncation": 1.5})
    with pytest.raises(ValueError, match="gan has no option 'temperature'; its options are truncation"):
        pipeline.check_options("gan", {"temperature": 1.0})


def test_unknown_family_and_dataset():
    with pytest.raises(ValueError, match="unknown family 'nonesuch'; choose one of gan, vae"):
        pipeline.generate("nonesuch", "mnist")
    with pytest.raises(ValueError, match="unknown dataset 'cifar'; choose one of mnist, fashion"):
        pipeline.generate("gan", "cifar")


def test_out_path_suffix():
    with pytest.raises(ValueError, match=r"\.png or \.npz"):
        pipeline.check_out_path("x.jpg")


def _stroke(h=280, w=280, rgba=True, paper=255, ink=0):
    a = np.full((h, w, 4 if rgba else 3), paper, np.uint8)
    a[h // 5:4 * h // 5, w // 2 - 10:w // 2 + 10, :3] = ink
    return a


def test_drawing_is_centred_and_scaled_like_mnist():
    x = drawing.prepare(_stroke(), "mnist")
    assert x.shape == (28, 28) and x.dtype == np.uint8 and x.max() == 255
    rows = np.nonzero(x.sum(1))[0]
    assert rows[-1] - rows[0] + 1 == 20  # the longer side fits the 20-pixel box
    cols = np.nonzero(x.sum(0))[0]
    assert abs((cols[0] + cols[-1]) / 2 - 13.5) <= 1.5


def test_drawing_polarity_and_modes():
    white_on_black = drawing.prepare(_stroke(rgba=False, paper=0, ink=255), "mnist")
    black_on_white = drawing.prepare(_stroke(rgba=False), "mnist")
    assert np.array_equal(white_on_black, black_on_white)
    transparent = _stroke()
    transparent[..., 3] = 0
    transparent[56:224, 130:150, 3] = 255
    assert drawing.prepare(transparent, "fashion").max() == 255
    grey = _stroke(rgba=False)[..., 0]
    assert drawing.prepare(grey.astype(np.float32) / 255, "mnist").max() == 255


@pytest.mark.parametrize("bad, message", [
    (None, "empty"),
    (np.full((280, 280, 4), 255, np.uint8), "empty"),
    (np.zeros((280, 280), np.uint8), "empty"),
    (np.zeros((10, 300), np.uint8), "between 28 and 2048"),
    (np.zeros((3000, 300), np.uint8), "between 28 and 2048"),
    (np.zeros((28, 28, 2), np.uint8), "grey, RGB or RGBA"),
    (np.full((28, 28), np.nan), "NaN"),
    (np.full((28, 28), "x"), "numbers"),
])
def test_bad_drawings(bad, message):
    with pytest.raises(ValueError, match=message):
        drawing.prepare(bad, "mnist")


def test_a_streamed_request_is_bounded_by_its_estimated_model_time():
    """One click may not ask for more model time than MAX_MODEL_S, as the card's eval estimates
    it: 16 images of 250 fully guided diffusion steps are refused, with what to ask for instead;
    the same steps for 4 images are served."""
    big = dict(sampler="ddim", steps=250, guidance=3.0, guide_from=1.0, guide_to=0.0)
    with pytest.raises(ValueError, match=r"16 images of 500 network evaluations each would take about \d+ s of "
                                         r"model time; one request may take at most 10 s: ask for fewer images"):
        next(pipeline.stream("diffusion", "mnist", 3, 16, 0, **big))
    assert pipeline.model_seconds("diffusion", "mnist", 4, 500) < pipeline.MAX_MODEL_S
    from genimg.ui import i18n
    zh = i18n.translated(f"16 images of 500 network evaluations each would take about 19 s of model time; one request "
                          f"may take at most {pipeline.MAX_MODEL_S:.0f} s: ask for fewer images or fewer steps", "zh-CN")
    assert zh.startswith("16 张图像、每张 500 次网络评估")


@pytest.mark.parametrize("check, message", [
    (lambda: pipeline.check_options("transformer", {"top_p": 0}), "top_p must be a number between 0.05 and 1, got 0"),
    (lambda: pipeline.check_float("strength", 2, 0, 1), "strength must be a number between 0 and 1, got 2"),
    (lambda: pipeline.check_int("n", 2.5, 1, 64), "n must be a whole number between 1 and 64, got 2.5"),
    (lambda: pipeline.check_options("diffusion", {"sampler": "x"}), "sampler must be one of dpm++, ddim, ddpm, got 'x'"),
])
def test_every_refusal_says_it_one_way(check, message):
    """An option's range and a pipeline argument's are refused in one format (``genimg.checks``)."""
    with pytest.raises(ValueError) as e:
        check()
    assert str(e.value) == message
