"""Painting live and completing an image, through the shipped PixelCNN and Transformer checkpoints."""
import numpy as np
import pytest

from genimg import explore, painting, pipeline


def test_paint_streams_rows_and_ends_with_the_result():
    frames = list(painting.paint("pixelcnn", "mnist", 3, 2, seed=5))
    assert [f.done for f in frames] == list(range(28, 785, 28))
    assert all(f.images.shape == (2, 28, 28) and f.images.dtype == np.uint8 for f in frames)
    assert all(f.result is None for f in frames[:-1])
    last = frames[-1]
    assert last.result.labels.tolist() == [3, 3] and last.result.nfe == 784
    assert last.levels == pipeline.load_model("pixelcnn", "mnist").config.levels
    assert np.isclose(last.probs.sum(), 1) and 0 <= last.value < last.levels
    # rows below the ones drawn so far are still blank; the seconds only grow
    assert not frames[4].images[:, 6:].any()
    assert all(a.seconds <= b.seconds for a, b in zip(frames, frames[1:]))


def test_paint_is_the_same_as_generate():
    *_, last = painting.paint("pixelcnn", "fashion", None, 3, seed=11)
    assert np.array_equal(last.images, pipeline.generate("pixelcnn", "fashion", None, 3, 11).images)


def test_completion_keeps_the_top_rows_and_varies_below():
    start, label, origin = painting.start_image("mnist", 7, 2)
    out = painting.complete("pixelcnn", "mnist", start, label, rows=12, count=4, seed=1)
    levels = pipeline.load_model("pixelcnn", "mnist").config.levels
    quantised = (np.round(start / 255 * (levels - 1)) / (levels - 1) * 255).round().astype(np.uint8)
    assert origin == "a test image" and label == 7
    assert out["completions"].shape == (4, 28, 28) and len(out["captions"]) == 4
    assert all(np.array_equal(c[:12], quantised[:12]) for c in out["completions"])
    assert np.array_equal(out["kept"][:12], quantised[:12]) and not out["kept"][12:].any()
    assert len({c[12:].tobytes() for c in out["completions"]}) == 4


def test_completing_a_drawing_asks_the_classifier():
    a = np.full((280, 280), 255, np.uint8)
    a[60:220, 130:150] = 0  # a stroke: a "1"
    start, label, origin = painting.start_image("mnist", -1, image=a)
    assert start.shape == (28, 28) and label == 1 and "classifier sees 1" in origin


@pytest.mark.parametrize("kwargs, message", [
    (dict(rows=28), "rows must be a whole number between 0 and 27"),
    (dict(rows=-1), "rows must be a whole number between 0 and 27"),
    (dict(family="transformer", rows=7), "rows must be a whole number between 0 and 6"),
    (dict(family="transformer", top_k=2.5), "top_k must be a whole number between 0 and 128"),
    (dict(family="transformer", top_p=0), "top_p must be a number between 0.05 and 1"),
    (dict(top_k=3), "pixelcnn has no option 'top_k'"),
    (dict(count=9), "count must be a whole number between 1 and 8"),
    (dict(temperature=0), "temperature must be a number between 0.1 and 2"),
    (dict(label=10), "label must be a whole number between 0 and 9"),
])
def test_bad_completion_arguments(kwargs, message):
    args = dict(family="pixelcnn", dataset="mnist", start=np.zeros((28, 28), np.uint8), label=3, rows=5, count=2)
    with pytest.raises(ValueError, match=message):
        painting.complete(**{**args, **kwargs})


@pytest.mark.parametrize("kwargs, message", [
    (dict(label=None, example=0), "pick the class of the test image"),
    (dict(label=3, example=10), "example must be a whole number between 0 and 9"),
    (dict(label=-1, image=np.full((280, 280), 255, np.uint8)), "empty"),
])
def test_bad_start_images(kwargs, message):
    with pytest.raises(ValueError, match=message):
        painting.start_image("mnist", **kwargs)


@pytest.mark.parametrize("n", [0, 17, 2.5])
def test_paint_limits_n(n):
    with pytest.raises(ValueError, match="n must be a whole number between 1 and 16"):
        next(painting.paint("pixelcnn", "mnist", 1, n))


def test_transformer_streams_every_token():
    frames = list(painting.paint("transformer", "mnist", 7, 2, seed=3, every=1))
    assert [f.done for f in frames] == list(range(1, 50)) and frames[0].total == 49
    for f in frames:
        tokens = f.extras["tokens"]
        assert tokens.shape == (2, 7, 7) and (tokens.reshape(2, -1)[:, f.done:] == -1).all()
        assert tokens.reshape(2, -1)[0, f.position] == f.value and np.isclose(f.probs.sum(), 1, atol=1e-4)
    last = frames[-1].result
    assert last.nfe == 50 and last.labels.tolist() == [7, 7] and last.options["top_k"] == 0
    assert np.array_equal(last.images, pipeline.generate("transformer", "mnist", 7, 2, seed=3).images)
    assert [f.done for f in painting.paint("transformer", "mnist", 7, 1)] == list(range(7, 50, 7))


def test_transformer_completes_token_rows():
    start, label, _ = painting.start_image("fashion", 9, 0)
    out = painting.complete("transformer", "fashion", start, label, rows=3, count=3, seed=2, top_p=0.9)
    assert out["kept_pixels"] == 3 * 4 * 28 and out["completions"].shape == (3, 28, 28)
    assert len({c[12:].tobytes() for c in out["completions"]}) == 3


def test_round_trip_through_the_tokens():
    images, labels = pipeline.examples("mnist")
    out = explore.round_trip("transformer", "mnist", images[0])
    assert out["tokens"].shape == (7, 7) and 0 <= out["tokens"].min() and out["tokens"].max() < out["codes"]
    assert out["reconstruction"].shape == (28, 28) and out["mse"] < 0.02
    with pytest.raises(ValueError, match="28x28 uint8"):
        explore.round_trip("transformer", "mnist", np.zeros((28, 27), np.uint8))
