"""The scores themselves, checked on the shipped example images (100 real test images per
dataset) and simple distortions of them."""
import math

import pytest
import torch

from genimg import pipeline, scores
from genimg.models import classifier, pixelcnn
from tests.conftest import TINY


def real(dataset: str) -> torch.Tensor:
    images, _ = pipeline.examples(dataset)
    return torch.from_numpy(images).float().div(255)[:, None]


@pytest.mark.parametrize("ruler", scores.RULERS)
@pytest.mark.parametrize("dataset", ["mnist", "fashion"])
def test_fid_of_a_set_with_itself_is_zero(dataset, ruler):
    feats, _ = scores.embed(dataset, real(dataset), ruler)
    assert abs(scores.fid(feats, feats)) < 1e-4 * max(1.0, feats.var(0).sum().item())


@pytest.mark.parametrize("ruler", scores.RULERS)
@pytest.mark.parametrize("dataset", ["mnist", "fashion"])
def test_fid_grows_with_blur_and_noise(dataset, ruler):
    x = real(dataset)
    ref, _ = scores.embed(dataset, x, ruler)

    def fid(y):
        return scores.fid(ref, scores.embed(dataset, y, ruler)[0])

    blurred = [fid(classifier.gaussian_blur(x, s)) for s in (0.5, 1.0, 2.0)]
    g = torch.Generator().manual_seed(0)
    noisy = [fid((x + s * torch.randn(x.shape, generator=g)).clamp(0, 1)) for s in (0.1, 0.3, 0.6)]
    assert 0 < blurred[0] < blurred[1] < blurred[2], blurred
    assert 0 < noisy[0] < noisy[1] < noisy[2], noisy


@pytest.mark.parametrize("ruler", scores.RULERS)
def test_fid_matches_torchmetrics_on_the_same_features(ruler):
    """The Frechet distance arithmetic against torchmetrics' FrechetInceptionDistance, with the
    ruler network as its custom feature extractor."""
    fid_module = pytest.importorskip("torchmetrics.image.fid")

    class Features(torch.nn.Module):
        def forward(self, x01):  # (B,1,28,28) in [0,1] -> the ruler's features
            return scores.embed("mnist", x01, ruler)[0].float()

    x = real("mnist")
    g = torch.Generator().manual_seed(0)
    other = classifier.gaussian_blur(x, 1.0) * 0.8 + 0.1 * torch.rand(x.shape, generator=g)
    ref = fid_module.FrechetInceptionDistance(feature=Features(), normalize=True, input_img_size=(1, 28, 28))
    ref.update(x, real=True)
    ref.update(other, real=False)
    ours = scores.fid(scores.embed("mnist", other, ruler)[0], scores.embed("mnist", x, ruler)[0])
    assert ours == pytest.approx(ref.compute().item(), rel=1e-3)


def test_the_rulers_are_named():
    with pytest.raises(ValueError, match="ruler must be one of judge, classifier"):
        scores.embed("mnist", real("mnist"), "inception")


def test_precision_and_recall_of_clusters():
    g = torch.Generator().manual_seed(0)
    centres = torch.randn(10, 16, generator=g, dtype=torch.float64) * 10
    def sample(n):
        return centres[torch.arange(n) % 10] + torch.randn(n, 16, generator=g, dtype=torch.float64)
    real_a, real_b = sample(500), sample(500)
    assert min(scores.precision_recall(real_a, real_b)) >= 0.7  # the same distribution
    precision, recall = scores.precision_recall(real_a, sample(500)[torch.arange(500) % 10 < 2])
    assert precision >= 0.7 and recall < 0.3  # good images of two classes only: precise, poor coverage
    far = torch.randn(500, 16, generator=g, dtype=torch.float64) + 100
    assert scores.precision_recall(real_a, far) == (0.0, 0.0)


@pytest.mark.parametrize("ruler", scores.RULERS)
def test_precision_and_recall_of_real_digits_and_of_noise(ruler):
    feats, _ = scores.embed("mnist", real("mnist"), ruler)
    a, b = feats[0::2], feats[1::2]  # two halves of the real images, 5 per class each
    precision, recall = scores.precision_recall(a, b)
    assert precision >= 0.6 and recall >= 0.6, (precision, recall)
    noise, _ = scores.embed("mnist", torch.rand(50, 1, 28, 28, generator=torch.Generator().manual_seed(1)), ruler)
    assert scores.precision_recall(a, noise) == (0.0, 0.0)


def test_inception_score_from_one_class_to_all_ten():
    assert scores.inception_score(torch.eye(10)) == pytest.approx(10)  # sure of each, all classes
    assert scores.inception_score(torch.eye(10)[[3] * 10]) == pytest.approx(1)  # one class only
    assert scores.inception_score(torch.full((10, 10), 0.1)) == pytest.approx(1)  # sure of nothing
    _, probs = scores.embed("mnist", real("mnist"))
    assert 8 < scores.inception_score(probs) <= 10  # real digits: close to the ceiling


def test_a_uniform_model_spends_log2_levels_bits_per_dim(synthetic_data):
    model = pixelcnn.Model(pixelcnn.Config(**TINY["pixelcnn"])).eval()
    with torch.no_grad():
        last = model.head[-1]
        last.weight.zero_()
        last.bias.zero_()  # every level equally likely, whatever the pixels before
    out = pixelcnn.bits_per_dim(model, "mnist", data_dir=synthetic_data)
    assert out["test_bits_per_dim"] == pytest.approx(math.log2(model.config.levels), abs=1e-4)
