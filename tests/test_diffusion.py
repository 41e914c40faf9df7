"""The Diffusion family: the forward process, the two schedulers on one network, guidance."""
import pytest
import torch

from genimg.models import diffusion, schedulers
from tests.conftest import TINY, random_diffusion


@pytest.fixture(scope="module")
def model():
    return random_diffusion()


def test_closed_form_matches_iterating_the_forward_process():
    schedule = schedulers.Schedule()
    g = torch.Generator().manual_seed(0)
    x0 = torch.full((20_000,), 0.7, dtype=torch.float64)
    x = x0.clone()
    for t, beta in enumerate(schedule.betas):
        x = (1 - beta).sqrt() * x + beta.sqrt() * torch.randn(x.shape, generator=g, dtype=torch.float64)
        if t in (0, 99, 499, 999):
            a = schedule.alpha_bar[t]
            assert abs(x.mean() - a.sqrt() * 0.7) < 0.02, t
            assert abs(x.std() - (1 - a).sqrt()) < 0.02, t
            closed = schedule.q_sample(x0.float().view(-1, 1, 1, 1), t, torch.zeros(1))
            assert torch.allclose(closed.flatten()[0].double(), a.sqrt() * 0.7, atol=1e-6)


def test_v_splits_back_into_x0_and_noise():
    schedule = schedulers.Schedule()
    g = torch.Generator().manual_seed(1)
    x0, eps = torch.randn(3, 1, 28, 28, generator=g), torch.randn(3, 1, 28, 28, generator=g)
    t = torch.tensor([0, 500, 999])
    x_t = schedule.q_sample(x0, t, eps)
    got_x0, got_eps = schedule.split(schedule.v_target(x0, t, eps), t, x_t)
    assert torch.allclose(got_x0, x0, atol=1e-4) and torch.allclose(got_eps, eps, atol=1e-4)


def test_timesteps_run_from_noise_to_clean():
    s = schedulers.DDIMScheduler()
    s.set_timesteps(5)
    assert s.timesteps.tolist() == [999, 749, 500, 250, 0] and s.previous(0) == -1
    with pytest.raises(ValueError, match="steps must be a whole number between 1 and 1000"):
        s.set_timesteps(0)


def test_ddim_is_deterministic_and_ddpm_is_not(model):
    """DDIM (eta 0) draws only the start noise; DDPM draws fresh noise at every step."""
    y = torch.tensor([1, 2])

    def after_start_noise():
        g = torch.Generator().manual_seed(3)
        torch.randn(2, 1, 28, 28, generator=g)
        return g.get_state()

    g = torch.Generator().manual_seed(3)
    a = model.sample(y, g, sampler="ddim", steps=10)
    assert torch.equal(g.get_state(), after_start_noise())
    assert torch.equal(a, model.sample(y, torch.Generator().manual_seed(3), sampler="ddim", steps=10))
    g = torch.Generator().manual_seed(3)
    d = model.sample(y, g, sampler="ddpm", steps=10)
    assert not torch.equal(g.get_state(), after_start_noise()) and not torch.equal(d, a)
    assert torch.equal(d, model.sample(y, torch.Generator().manual_seed(3), sampler="ddpm", steps=10))


def test_ddim_inverts_its_own_step(model):
    s = schedulers.DDIMScheduler(model.schedule)
    s.set_timesteps(200)
    x_t = torch.randn(2, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([4, 4])
    with torch.no_grad():
        for t in (799, 399, 99):
            t = int(s.timesteps[(s.timesteps - t).abs().argmin()])
            x_s = s.step(model.predict(x_t, t, y, 1.0), t, x_t).prev
            back = s.invert(model.predict(x_s, s.previous(t), y, 1.0), t, x_s, s.previous(t))
            assert (back - x_t).abs().max() < 0.05 * x_t.abs().max(), t


def test_both_schedulers_share_the_network(model):
    calls = []
    hook = model.net.register_forward_hook(lambda *_: calls.append(1))
    y = torch.tensor([5])
    model.sample(y, torch.Generator().manual_seed(0), sampler="ddim", steps=4, guidance=3.0)
    model.sample(y, torch.Generator().manual_seed(0), sampler="ddpm", steps=4, guidance=3.0)
    hook.remove()
    assert len(calls) == 8  # one batched pass (with and without the class) per step, both samplers
    assert model.nfe(steps=4, guidance=3.0, guide_from=1.0, guide_to=0.0) == 8 and model.nfe(steps=4, guidance=0) == 4


def test_guidance_mixes_conditional_and_unconditional(model):
    x = torch.randn(2, 1, 28, 28, generator=torch.Generator().manual_seed(5))
    y, null = torch.tensor([1, 7]), torch.full((2,), model.net.null_class)
    t = torch.full((2,), 600)
    with torch.no_grad():
        cond, uncond = model.net(x, t, y), model.net(x, t, null)
        assert torch.allclose(model.predict(x, 600, y, 0.0), uncond)
        assert torch.allclose(model.predict(x, 600, y, 1.0), cond)
        assert torch.allclose(model.predict(x, 600, y, 3.0), uncond + 3 * (cond - uncond), atol=1e-5)


def test_sdedit_starts_part_way(model):
    start = torch.zeros(1, 1, 28, 28)
    steps = list(model.stream(torch.tensor([3]), torch.Generator().manual_seed(0), steps=20, start=start,
                               strength=0.5))
    assert len(steps) == 10 and steps[0].t == 500 and steps[-1].done == steps[-1].total == 10


def test_training_moves_the_ema_towards_the_weights():
    m = diffusion.Model(diffusion.Config(**TINY["diffusion"]))
    trainer = diffusion.Trainer(m, total_steps=5)
    before = [p.clone() for p in trainer.ema.parameters()]
    x, y = torch.rand(8, 1, 28, 28) * 2 - 1, torch.arange(8)
    logs = trainer.step(x, y, torch.Generator().manual_seed(0))
    assert logs["loss"] > 0
    moved = [not torch.equal(a, b) for a, b in zip(before, trainer.ema.parameters())]
    assert any(moved)
    final = trainer.inference_model(x, y)
    assert all(torch.equal(a, b) for a, b in zip(final.net.parameters(), trainer.ema.parameters()))
