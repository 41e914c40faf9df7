"""DPM-Solver++(2M) against the field's reference (diffusers), against DDIM, and guidance in a
limited interval of noise levels."""
import pytest
import torch

from genimg import pipeline
from genimg.models import diffusion, schedulers
from tests.conftest import random_diffusion


@pytest.fixture(scope="module")
def model():
    return random_diffusion()


def solve(model, scheduler, noise, labels, guidance=1.0):
    x = noise.clone()
    with torch.no_grad():
        for t in scheduler.timesteps.tolist():
            x = scheduler.step(model.predict(x, t, labels, guidance), t, x).prev
    return x


@pytest.mark.parametrize("spacing", ["logsnr", "linspace"])
@pytest.mark.parametrize("family_model", ["tiny", "shipped"])
@pytest.mark.parametrize("steps", [1, 2, 5, 10, 20])
def test_matches_diffusers_dpm_solver_multistep(family_model, steps, spacing, model):
    """The same network, noise and steps through diffusers' DPMSolverMultistepScheduler
    (dpmsolver++, second order, v-prediction, on our betas) give the same images: with diffusers'
    own "linspace" timesteps, and with our log-SNR ones handed to it as custom timesteps."""
    diffusers = pytest.importorskip("diffusers")
    net = model if family_model == "tiny" else pipeline.load_model("diffusion", "mnist")
    labels = torch.tensor([0, 3, 7])
    noise = torch.randn(3, 1, 28, 28, generator=torch.Generator().manual_seed(steps))
    ours = schedulers.DPMSolverScheduler(net.schedule, spacing=spacing)
    ours.set_timesteps(steps)
    ref = diffusers.DPMSolverMultistepScheduler(
        num_train_timesteps=len(net.schedule), trained_betas=net.schedule.betas.numpy(), solver_order=2,
        algorithm_type="dpmsolver++", prediction_type="v_prediction", timestep_spacing="linspace")
    if spacing == "linspace":
        ref.set_timesteps(steps)
        assert ours.timesteps.tolist() == ref.timesteps.tolist()
    else:
        ref.set_timesteps(timesteps=ours.timesteps.tolist())
    x = noise.clone()
    with torch.no_grad():
        for t in ref.timesteps:
            x = ref.step(net.predict(x, int(t), labels, 2.0), t, x).prev_sample
    got = solve(net, ours, noise, labels, 2.0)
    # float32 arithmetic in a different order: errors of ~1e-4 of the largest value over 20 steps
    assert (got - x).abs().max() <= 3e-4 * max(1.0, x.abs().max().item())


def test_logsnr_spacing_is_even_in_lambda_and_ends_near_the_clean_image():
    s = schedulers.DPMSolverScheduler()
    s.set_timesteps(10)
    lam = s.lambdas()[s.timesteps]
    assert lam[0] == pytest.approx(-5, abs=0.1) and lam[-1] == pytest.approx(5, abs=0.1)
    gaps = lam.diff()
    assert (gaps > 0).all() and gaps.max() - gaps.min() < 0.3  # even, up to rounding to whole timesteps
    assert s.timesteps[-1] == 0
    with pytest.raises(ValueError, match="spacing must be logsnr or linspace"):
        schedulers.DPMSolverScheduler(spacing="karras")


@pytest.mark.shipped
def test_agrees_with_ddim_as_steps_grow():
    """Both solve the same ODE: with many steps they land on the same image (which of the two
    reaches it in fewer steps is measured in benchmarks/diffusion_speed.py, by FID)."""
    net = pipeline.load_model("diffusion", "mnist")
    labels = torch.tensor([2, 5])
    noise = torch.randn(2, 1, 28, 28, generator=torch.Generator().manual_seed(0))

    def run(kind, steps):
        s = schedulers.SCHEDULERS[kind](net.schedule)
        s.set_timesteps(steps)
        return solve(net, s, noise, labels)

    exact = run("ddim", 500)
    assert (run("dpm++", 100) - exact).abs().mean() < 0.01 < (run("dpm++", 5) - exact).abs().mean()


def test_deterministic_per_seed_and_draws_only_the_start_noise(model):
    y = torch.tensor([1, 2])
    g = torch.Generator().manual_seed(3)
    a = model.sample(y, g, sampler="dpm++", steps=6)
    after = torch.Generator().manual_seed(3)
    torch.randn(2, 1, 28, 28, generator=after)
    assert torch.equal(g.get_state(), after.get_state())
    assert torch.equal(a, model.sample(y, torch.Generator().manual_seed(3), sampler="dpm++", steps=6))


def test_takes_the_same_network_as_the_others(model):
    calls = []
    hook = model.net.register_forward_hook(lambda *_: calls.append(1))
    for sampler in ("dpm++", "ddim", "ddpm"):
        model.sample(torch.tensor([5]), torch.Generator().manual_seed(0), sampler=sampler, steps=4, guidance=3.0)
    hook.remove()
    assert len(calls) == 12 and model.nfe(sampler="dpm++", steps=4, guidance=3.0, guide_from=1.0, guide_to=0.0) == 8


def test_sdedit_timesteps_never_repeat():
    s = schedulers.DPMSolverScheduler()
    s.set_timesteps(4, start=3)
    assert s.timesteps.tolist() == sorted(set(s.timesteps.tolist()), reverse=True)
    with pytest.raises(ValueError, match="steps must be a whole number between 1 and 1000"):
        s.set_timesteps(0)


def test_guidance_only_inside_its_interval(model):
    """Outside guide_to <= t/T <= guide_from the step uses the plain conditional model (one
    pass); inside it, the guided mix (two passes)."""
    assert model.guided(999, 3.0, 0.8, 0.2) == 1.0 and model.guided(0, 3.0, 0.8, 0.2) == 1.0
    assert model.guided(500, 3.0, 0.8, 0.2) == 3.0 and model.guided(999, 3.0) == 3.0
    s = schedulers.DPMSolverScheduler(model.schedule)
    s.set_timesteps(10)
    inside = sum(0.2 <= t / 999 <= 0.8 for t in s.timesteps.tolist())
    assert model.nfe(steps=10, guidance=3.0, guide_from=0.8, guide_to=0.2) == 10 + inside
    y = torch.tensor([4])
    widths = []
    hook = model.net.register_forward_hook(lambda _m, args, _o: widths.append(len(args[0])))
    model.sample(y, torch.Generator().manual_seed(0), steps=10, guidance=3.0, guide_from=0.8, guide_to=0.2)
    hook.remove()
    assert widths.count(2) == inside and widths.count(1) == 10 - inside
    # the whole range is plain guidance; an interval that no step falls in is the conditional model
    full = model.sample(y, torch.Generator().manual_seed(0), steps=5, guidance=3.0, guide_from=1.0, guide_to=0.0)
    s = schedulers.DPMSolverScheduler(model.schedule)
    s.set_timesteps(5)
    x = torch.randn(1, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():  # the textbook loop: guided at every step
        for t in s.timesteps.tolist():
            x = s.step(model.predict(x, t, y, 3.0), t, x).prev
    assert torch.allclose(full, diffusion.to01(x))
    assert not any(0.2 <= t / 999 <= 0.3 for t in s.timesteps.tolist())
    none = model.sample(y, torch.Generator().manual_seed(0), steps=5, guidance=3.0, guide_from=0.3, guide_to=0.2)
    assert torch.equal(none, model.sample(y, torch.Generator().manual_seed(0), steps=5, guidance=1.0))
    with pytest.raises(ValueError, match="guide_to must be at most guide_from"):
        model.sample(y, torch.Generator().manual_seed(0), guide_from=0.3, guide_to=0.6)
