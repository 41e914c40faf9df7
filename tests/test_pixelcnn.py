"""The PixelCNN: causal, no blind spot, and the fast sampler is the textbook one, only faster."""
import pytest
import torch

from genimg.models import pixelcnn
from genimg.models.pixelcnn_sampler import Sampler
from tests.conftest import TINY


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    m = pixelcnn.Model(pixelcnn.Config(**TINY["pixelcnn"])).eval()
    with torch.no_grad():  # larger weights than the init, so every path carries signal
        for p in m.parameters():
            p.normal_(0, 0.3)
    return m


def dependencies(model, i: int) -> torch.Tensor:
    """The pixels (flat indices) whose value changes the prediction for pixel i, found by gradients
    of the features the 1x1 head reads (a random head's ReLUs could hide them)."""
    x = torch.rand(1, 1, 28, 28, generator=torch.Generator().manual_seed(i)).mul(2).sub(1).requires_grad_()
    r, c = divmod(i, 28)
    model.features(x, torch.tensor([4]))[0, :, r, c].sum().backward()
    return (x.grad[0, 0].flatten() != 0).nonzero().flatten()


@pytest.mark.parametrize("i", [0, 1, 27, 28, 29, 300, 405, 783])
def test_logits_of_pixel_i_see_only_pixels_before_it(model, i):
    deps = dependencies(model, i)
    assert (deps < i).all(), f"pixel {i} depends on later pixels {deps[deps >= i].tolist()}"
    r, c = divmod(i, 28)
    if c:
        assert i - 1 in deps  # the pixel to the left
    if r:
        assert i - 28 in deps  # the pixel above


def test_no_blind_spot(model):
    """A masked 3x3 PixelCNN never sees the pixels up and to the right; the gated stacks do."""
    r, c = 14, 13
    deps = set(dependencies(model, r * 28 + c).tolist())
    for dr, dc in [(-1, 1), (-1, 2), (-2, 3), (-3, 5), (0, -3), (-4, 0)]:
        assert (r + dr) * 28 + c + dc in deps, f"blind to offset {(dr, dc)}"


def test_cached_logits_equal_the_full_pass(model):
    levels = torch.randint(0, model.config.levels, (3, 1, 28, 28), generator=torch.Generator().manual_seed(0))
    y = torch.tensor([1, 5, 9])
    with torch.no_grad():
        full = model(levels, y)
        cached = Sampler(model, y).teacher_forced_logits(levels)
    assert torch.allclose(full, cached, atol=1e-4)


@pytest.mark.slow  # the naive sampler: 784 full passes (2 s)
def test_fast_sampler_draws_what_the_naive_one_draws(model):
    y = torch.tensor([0, 7])
    fast = model.sample(y, torch.Generator().manual_seed(3))
    naive = model.sample_naive(y, torch.Generator().manual_seed(3))
    assert torch.equal(fast, naive)


def test_samples_are_quantised(model):
    x = model.sample(torch.tensor([2, 3]), torch.Generator().manual_seed(0))
    k = model.config.levels - 1
    assert torch.equal(x * k, (x * k).round())
    assert len((x * k).round().unique()) > 1


def test_completion_keeps_the_given_rows(model):
    given = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    kept = pixelcnn.quantise(given, model.config.levels).float() / (model.config.levels - 1)
    for rows in (0, 1, 13, 27):
        out = model.complete(given, rows, torch.tensor([3, 3, 3, 3]), torch.Generator().manual_seed(2))
        assert torch.equal(out[:, :, :rows], kept[:, :, :rows])
        if rows == 13:  # the rest is sampled: four different completions
            assert len({tuple(o.flatten().tolist()) for o in out[:, :, rows:]}) == 4


def test_paint_reports_each_pixels_distribution(model):
    steps = list(model.stream(torch.tensor([1, 2]), torch.Generator().manual_seed(0), every=28))
    assert [s.done for s in steps] == list(range(28, 785, 28))
    for s in steps:  # the most uncertain pixel of each row of image 0: in that row, drawn as said
        assert s.done - 28 <= s.position < s.done and torch.allclose(s.probs.sum(), torch.tensor(1.0))
        r, c = divmod(s.position, 28)
        assert s.canvas[0, 0, r, c] * (model.config.levels - 1) == s.value
    # pixels not yet sampled stay blank
    assert steps[0].canvas[:, :, 1:].abs().sum() == 0


def test_temperature_sharpens(model):
    logits = torch.tensor([[0.0, 1.0, 2.0]])
    from genimg.models.sampling import draw
    g = torch.Generator().manual_seed(0)
    cold = torch.cat([draw(logits, g, 0.1) for _ in range(200)])
    hot = torch.cat([draw(logits, g, 2.0) for _ in range(200)])
    assert (cold == 2).float().mean() > 0.99 and (hot == 2).float().mean() < 0.7
