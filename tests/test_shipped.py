"""The shipped checkpoints: they load, and generate what they claim."""
import numpy as np
import pytest
import torch

from genimg import checkpoint, metrics, models, pipeline
from genimg.data import DATASETS

# Share of samples the shipped classifier recognises as the class asked for: each family's BARS.
BARS = {(f, d): models.get(f).BARS[d] for f in models.FAMILIES for d in DATASETS}
CLASSIFIER_BARS = models.get("classifier").BARS  # its test-set accuracy
SHIPPED = [(f, d) for f in models.FAMILIES for d in DATASETS]


@pytest.mark.parametrize("dataset", DATASETS)
def test_classifier_is_accurate(dataset):
    card = checkpoint.read_card("classifier", dataset)
    assert card["metrics"]["test_accuracy"] >= CLASSIFIER_BARS[dataset]
    images, labels = pipeline.examples(dataset)  # real test images shipped with the app
    pred, _ = metrics.classify(dataset, torch.from_numpy(images).float().div(255)[:, None])
    assert (pred.numpy() == labels).mean() >= CLASSIFIER_BARS[dataset] - 0.05


@pytest.mark.parametrize("family, dataset", SHIPPED)
def test_checkpoint_is_small_and_carded(family, dataset):
    weights, card_path = checkpoint.paths(family, dataset)
    assert weights.stat().st_size < checkpoint.MAX_FILE_BYTES
    card = checkpoint.read_card(family, dataset)
    assert card["recipe"]["command"].startswith("python -m genimg train")
    assert len(card["loss_curve"]) > 10 and card["metrics"]["class_accuracy"] >= BARS[(family, dataset)]


@pytest.mark.shipped
@pytest.mark.parametrize("family, dataset", SHIPPED)
def test_samples_are_the_class_asked_for(family, dataset):
    """300 new samples (30 per class) at the default options, judged by the shipped classifier:
    the bar (which the card's 1,000 samples meet) less two standard errors of a 300-sample
    estimate, so that a model at the bar fails this check only by bad luck (about 2%)."""
    n, bar = 300, BARS[(family, dataset)]
    result = pipeline.generate(family, dataset, None, n, seed=123, max_n=pipeline.API_MAX_N)
    floor = bar - 2 * np.sqrt(bar * (1 - bar) / n)
    assert result.accuracy >= floor, f"{family}/{dataset}: {result.accuracy:.3f} < {floor:.3f}"


@pytest.mark.parametrize("family, dataset", SHIPPED)
def test_no_mode_collapse(family, dataset):
    """Samples of one class from different seeds differ about as much as real images do."""
    card = checkpoint.read_card(family, dataset)["metrics"]
    assert card["diversity"] >= 0.5 * card["diversity_real"]
    images = pipeline.generate(family, dataset, 5, 32, seed=7).images.astype(np.float32) / 255
    flat = images.reshape(32, -1)
    d = np.sqrt(((flat[:, None] - flat[None]) ** 2).sum(-1))
    assert d[~np.eye(32, dtype=bool)].min() > 0.5  # no two samples (nearly) identical


@pytest.mark.parametrize("family, dataset", SHIPPED)
def test_same_seed_same_images(family, dataset):
    a = pipeline.generate(family, dataset, 2, 8, seed=99)
    b = pipeline.generate(family, dataset, 2, 8, seed=99)
    c = pipeline.generate(family, dataset, 2, 8, seed=100)
    assert np.array_equal(a.images, b.images) and not np.array_equal(a.images, c.images)


@pytest.mark.parametrize("dataset", DATASETS)
def test_pixelcnn_card_reports_its_likelihood(dataset):
    card = checkpoint.read_card("pixelcnn", dataset)
    m = card["metrics"]
    assert m["levels"] == card["config"]["levels"] >= 4
    assert 0 < m["test_bits_per_dim"] < 1.5  # well below log2(levels) = 3 bits for a uniform guess
    assert abs(m["test_nll_nats"] - m["test_bits_per_dim"] * 784 * np.log(2)) < 0.5


@pytest.mark.parametrize("dataset", DATASETS)
def test_transformer_card_reports_its_tokens_and_likelihood(dataset):
    m = checkpoint.read_card("transformer", dataset)["metrics"]
    tokens, prior = m["tokenizer"], m["prior"]
    assert tokens["codes_used"] >= 0.9 * tokens["codes"]  # a living codebook: few dead codes
    assert tokens["code_perplexity"] >= 0.25 * tokens["codes"]
    assert tokens["test_mse"] < 0.012  # reconstructions close to the originals
    assert 0 < prior["test_bits_per_token"] < np.log2(tokens["codes"])  # better than a uniform guess
    assert abs(prior["test_nats_per_image"] - 49 * prior["test_nats_per_token"]) < 0.1


@pytest.mark.parametrize("dataset", DATASETS)
def test_unguided_diffusion_covers_every_class(dataset):
    """With guidance 0 the class is ignored: the 1,000 samples of the card spread over all ten."""
    histogram = checkpoint.read_card("diffusion", dataset)["metrics"]["unguided_class_histogram"]
    assert sum(histogram) == 1000 and min(histogram) >= 30
