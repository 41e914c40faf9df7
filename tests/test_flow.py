"""The Flow matching family: its samplers' numbers, its network evaluations, and its straight paths."""
import pytest
import torch

from genimg.models import flow


def tiny():
    torch.manual_seed(0)
    return flow.Model(flow.Config(**flow.TINY)).eval()


def final_x(model, **options):
    """The sampler's last x in the model's units (unclamped)."""
    *_, last = model.stream(torch.tensor([0]), torch.Generator().manual_seed(0), **options)
    return last.extras["state"]


def test_heun_is_second_order_and_euler_first_order(monkeypatch):
    """On dx/dt = k x (exact: x(0) = x(1) e^-k), halving the step halves Euler's error and
    quarters Heun's."""
    model, k = tiny(), 0.8
    monkeypatch.setattr(model, "velocity", lambda x, t, labels, guidance: k * x)
    noise = torch.randn(1, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    exact = noise * torch.exp(torch.tensor(-k))

    def error(sampler, steps):
        return (final_x(model, sampler=sampler, steps=steps, noise=noise) - exact).abs().max().item()

    assert error("euler", 8) / error("euler", 16) == pytest.approx(2, rel=0.1)
    assert error("heun", 8) / error("heun", 16) == pytest.approx(4, rel=0.1)
    assert error("heun", 4) < error("euler", 16)
    # DPM-Solver++(2M): one pass a step like Euler, but second order: it extrapolates the guess
    # of x_0 from the step before
    assert error("dpm++", 8) / error("dpm++", 16) > 3


def test_dpm_solver_without_its_correction_is_euler():
    """On the first step (no earlier guess to extrapolate from) dpm++'s move towards the guessed
    x_0, x_s = (s / t) x_t + (1 - s / t) x_0, is Euler's x_t + (s - t) v exactly."""
    model = tiny()
    noise = torch.randn(1, 1, 28, 28, generator=torch.Generator().manual_seed(3))
    one = dict(steps=1, noise=noise)
    assert torch.allclose(final_x(model, sampler="dpm++", **one), final_x(model, sampler="euler", **one), atol=1e-6)
    assert flow.Model.times(1, "dpm++") == [1.0, 0.0]
    ts = flow.Model.times(10, "dpm++")
    assert ts[0] == 1 and ts[-1] == 0 and all(a > b for a, b in zip(ts, ts[1:]))


@pytest.mark.parametrize("options", [dict(sampler="euler", steps=10), dict(sampler="heun", steps=10),
                                     dict(sampler="euler", steps=1), dict(sampler="heun", steps=3, guidance=1.0),
                                     dict(sampler="euler", steps=7, guidance=0.0),
                                     dict(sampler="dpm++", steps=10)])
def test_nfe_counts_the_network_passes(options):
    """What ``nfe`` reports is what the network does per image (a guided pass counts twice)."""
    model = tiny()
    images = []
    model.net.register_forward_hook(lambda net, args, out: images.append(len(args[0])))
    model.sample(torch.tensor([1, 2]), torch.Generator().manual_seed(0), **options)
    assert sum(images) / 2 == model.nfe(**options)


def test_one_euler_step_lands_where_the_velocity_points():
    """Euler from pure noise over the whole way (t = 1 -> 0) ends at x - v: the network's guess
    of the clean image at the start, which the stream shows as the first preview."""
    model = tiny()
    steps = list(model.stream(torch.tensor([5]), torch.Generator().manual_seed(2), steps=1))
    assert len(steps) == 1 and torch.equal(steps[0].canvas, steps[0].preview)


@pytest.mark.parametrize("options, message", [
    (dict(sampler="nonesuch"), r"sampler must be one of euler, heun, dpm\+\+"),
    (dict(steps=0), "steps must be a whole number between 1 and 100"),
    (dict(steps=101), "steps must be a whole number between 1 and 100"),
    (dict(guidance=-1), "guidance must be a number between 0 and 10"),
])
def test_bad_options_are_refused_with_the_allowed_values(options, message):
    allowed = {o.name: o for o in flow.OPTIONS}
    with pytest.raises(ValueError, match=message):
        for name, value in options.items():
            allowed[name].check(value)
    with pytest.raises(ValueError, match=r"sampler must be one of euler, heun, dpm\+\+"):
        tiny().sample(torch.tensor([0]), torch.Generator(), sampler="ddim")


def test_a_reversed_guidance_interval_is_refused():
    with pytest.raises(ValueError, match="guide_to must be at most guide_from"):
        tiny().sample(torch.tensor([0]), torch.Generator(), guide_from=0.2, guide_to=0.8)


@pytest.mark.parametrize("dataset", ["mnist", "fashion"])
def test_flow_paths_are_straighter_than_diffusion_paths(dataset):
    """The lesson of the tab, on the shipped checkpoints: from the same noise, flow matching's
    path to its image is nearer a straight line than the diffusion model's."""
    from genimg import denoising

    for seed in (0, 1, 2):
        straight = denoising.path("flow", dataset, seed % 10, seed)["straightness"]
        curved = denoising.path("diffusion", dataset, seed % 10, seed)["straightness"]
        assert straight > curved + 0.03, (seed, straight, curved)


def test_the_flow_tab_streams_draws_paths_and_compares_steps(client):
    from PIL import Image

    job = client.submit("mnist", 3, 2, 0, "heun", 4, 1.0, 0.8, 0.2, api_name="/generate_flow")
    updates = list(job)
    assert 2 <= len(updates) <= 4 and "Step 1 of 4 (t = 1.00)" in updates[0][2]
    grid, clean, stats = job.result()
    assert "2 images in" in stats and "7 network evaluations" in stats  # Heun: two a step but the last, unguided
    assert Image.open(grid).format == "PNG" and Image.open(clean).format == "PNG"
    plot, text = client.predict("fashion", 7, 1, api_name="/paths_flow")
    assert Image.open(plot).size == (460, 340) and "**flow**: straightness" in text and "**diffusion**" in text
    sheet, text = client.predict("mnist", 2, 0, api_name="/compare_steps_flow")
    assert Image.open(sheet).size[0] > 5 * 28 * 3 and "16 steps" in text and "**diffusion**" in text


@pytest.mark.parametrize("args, message", [
    (("mnist", 3, 2, 0, "heun", 0, 1.0, 0.8, 0.2), "must be a number between"),
    (("mnist", 3, 2, 0, "ddim", 4, 1.0, 0.8, 0.2), "ddim"),
    (("mnist", 3, 17, 0, "euler", 4, 1.0, 0.8, 0.2), "must be a number between"),
    (("mnist", 3, 2, 0, "euler", 4, 1.0, 0.2, 0.8), "guide_to must be at most guide_from"),
])
def test_bad_flow_input_is_a_message(client, args, message):
    with pytest.raises(Exception, match=message):
        client.predict(*args, api_name="/generate_flow")
