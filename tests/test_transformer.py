"""The Transformer family: causal, the KV cache changes nothing but the speed, the codebook
lookup and its straight-through gradient, and both training stages."""
import pytest
import torch

from genimg.models import sampling, transformer, vqvae
from genimg.models.transformer_sampler import Sampler
from tests.conftest import TINY


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    m = transformer.Model(transformer.Config(**TINY["transformer"])).eval()
    with torch.no_grad():  # larger weights than the init, so every path carries signal
        for name, p in m.prior.named_parameters():
            if "ln" not in name:
                p.normal_(0, 0.5)
    return m


def tokens(model, b=3, seed=0):
    return torch.randint(0, model.config.codes, (b, 49), generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("j", [0, 1, 20, 47, 48])
def test_a_later_token_never_changes_an_earlier_logit(model, j):
    t, y = tokens(model), torch.tensor([1, 4, 8])
    changed = t.clone()
    changed[:, j] = (changed[:, j] + 1) % model.config.codes
    with torch.no_grad():
        a, b = model.prior(y, t), model.prior(y, changed)
    assert torch.equal(a[:, :j + 1], b[:, :j + 1])  # the logits of tokens 0..j see tokens < their own index
    if j < 48:
        assert not torch.allclose(a[:, j + 1:], b[:, j + 1:])


def test_the_class_reaches_every_position(model):
    t = tokens(model, 1)
    with torch.no_grad():
        a, b = model.prior(torch.tensor([2]), t), model.prior(torch.tensor([3]), t)
    assert ((a - b).abs().amax(-1) > 0).all()


def test_cached_logits_equal_the_full_pass(model):
    t, y = tokens(model), torch.tensor([0, 5, 9])
    with torch.no_grad():
        full = model.prior(y, t)
        cached = Sampler(model, y).teacher_forced_logits(t)
    assert torch.allclose(full, cached, atol=1e-5)


@pytest.mark.parametrize("opts", [{}, {"temperature": 0.7, "top_k": 3}, {"top_p": 0.6}])
def test_cached_and_uncached_sampling_draw_the_same_tokens(model, opts):
    y = torch.tensor([0, 3, 7, 7])
    *_, last = model.stream(y, torch.Generator().manual_seed(4), every=0, **opts)
    uncached = model.naive_tokens(y, torch.Generator().manual_seed(4), **opts)
    assert torch.equal(last.extras["tokens"], uncached)
    assert torch.equal(last.canvas, model.detokenize(uncached))


def test_streaming_fills_tokens_in_raster_order(model):
    steps = list(model.stream(torch.tensor([2, 6]), torch.Generator().manual_seed(1), every=1))
    assert [s.done for s in steps] == list(range(1, 50))
    for s in steps:
        flat = s.extras["tokens"].flatten(1)
        assert (flat[:, :s.done] >= 0).all() and (flat[:, s.done:] == -1).all()
        assert s.position == s.done - 1 and flat[0, s.position] == s.value
        assert torch.isclose(s.probs.sum(), torch.tensor(1.0)) and s.canvas.shape == (2, 1, 28, 28)


def test_completion_keeps_the_first_token_rows(model):
    given = torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([1, 1, 1])
    *_, last = model.stream(y, torch.Generator().manual_seed(0), given=given, rows=3, every=0)
    assert torch.equal(last.extras["tokens"][:, :3], model.tokenize(given)[:, :3])
    kept = model.kept(given[:1], 3)
    assert torch.equal(model.tokenize(kept)[:, 3:], torch.full((1, 4, 7), model.blank_token()))


def test_filtering_keeps_top_k_and_the_nucleus():
    logits = torch.tensor([[4.0, 3.0, 2.0, 1.0, 0.0]])
    p = sampling.filtered(logits)
    assert torch.allclose(p, logits.softmax(-1))
    assert (sampling.filtered(logits, top_k=2)[0, 2:] == 0).all()
    nucleus = sampling.filtered(logits, top_p=0.8)  # p = .64, .24, .09, ...: the first two hold >= .8
    assert (nucleus[0, :2] > 0).all() and (nucleus[0, 2:] == 0).all()
    assert (sampling.filtered(logits, top_p=0.05)[0] == torch.tensor([1.0, 0, 0, 0, 0])).all()
    assert torch.allclose(sampling.filtered(logits, temperature=2.0), (logits / 2).softmax(-1))


def test_lookup_picks_the_nearest_codebook_entry():
    q = vqvae.Quantizer(6, 3)
    z = torch.randn(2, 3, 4, 4, generator=torch.Generator().manual_seed(0))
    ids = q.lookup(z)
    flat = z.permute(0, 2, 3, 1).reshape(-1, 3)
    brute = torch.cdist(flat, q.codebook).argmin(1)
    assert torch.equal(ids.flatten(), brute)
    assert torch.equal(q.embed(ids).permute(0, 2, 3, 1).reshape(-1, 3), q.codebook[brute])


def test_straight_through_gradient():
    q = vqvae.Quantizer(6, 3)
    z = torch.randn(2, 3, 4, 4, generator=torch.Generator().manual_seed(1), requires_grad=True)
    zq, ids, e = q(z)
    assert torch.allclose(zq, e)  # forward: the codebook vectors
    w = torch.randn_like(z)
    (zq * w).sum().backward()
    assert torch.allclose(z.grad, w)  # backward: the decoder's gradient, straight to the encoder


def test_dead_codes_are_restarted_on_encoder_outputs():
    q = vqvae.Quantizer(8, 2)
    ema = vqvae.CodebookEMA(q)
    g = torch.Generator().manual_seed(0)
    z = torch.randn(4, 2, 5, 5, generator=g)
    ema.update(z, q.lookup(z), g)  # starts the codebook on the data
    q.codebook[0] = ema.total[0] = 1e3  # far from every output: never chosen
    restarts = 0
    for _ in range(150):  # its usage decays until it counts as dead
        z = torch.randn(4, 2, 5, 5, generator=g)
        restarts += ema.update(z, q.lookup(z), g)["dead_codes"]
    assert restarts >= 1 and q.codebook[0].abs().max() < 100
    assert vqvae.usage(torch.tensor([0, 0, 1, 1]), 4) == {"codes_used": 2, "codes": 4, "code_perplexity": 2.0}


def test_each_training_stage_moves_only_its_part():
    m = transformer.Model(transformer.Config(**TINY["transformer"]))
    trainer = transformer.Trainer(m, total_steps=6)
    assert trainer.split == 1
    x, y, g = torch.rand(8, 1, 28, 28) * 2 - 1, torch.arange(8) % 10, torch.Generator().manual_seed(0)
    for stage, part in (("recon_mse", "tokenizer"), ("nats_per_token", "prior")):
        before = {k: v.clone() for k, v in m.state_dict().items()}
        logs = trainer.step(x, y, g)
        moved = {k.split(".")[0] for k, v in m.state_dict().items() if not torch.equal(v, before[k])}
        assert stage in logs and moved == {part}


def test_a_longer_run_keeps_its_split():
    m = transformer.Model(transformer.Config(**TINY["transformer"]))
    state = transformer.Trainer(m, total_steps=12).state_dict()
    longer = transformer.Trainer(m, total_steps=60)
    longer.load_state_dict(state)
    assert longer.split == 2 and longer.total_steps == 60
