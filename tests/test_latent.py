"""The Latent diffusion family: two training stages, one decoder pass per sample, and the
saving per network evaluation that is its reason to exist."""
import pytest
import torch

from genimg.bench import flops
from genimg.models import diffusion, latent


def tiny():
    torch.manual_seed(0)
    return latent.Model(latent.Config(**latent.TINY)).eval()


def batch(n=16):
    g = torch.Generator().manual_seed(0)
    return torch.rand(n, 1, 28, 28, generator=g) * 2 - 1, torch.arange(n) % 10


def test_each_training_stage_moves_only_its_part():
    model = tiny()
    trainer = latent.Trainer(model, total_steps=8)
    x, y = batch()
    g = torch.Generator().manual_seed(0)

    def moved(module, steps):
        before = [p.detach().clone() for p in module.parameters()]
        for _ in range(steps):
            logs = trainer.step(x, y, g)
        return any(not torch.equal(a, b) for a, b in zip(before, module.parameters())), logs

    net_before = [p.detach().clone() for p in model.net.parameters()]
    ae_moved, logs = moved(model.ae, trainer.split)
    assert ae_moved and "recon_mse" in logs
    assert all(torch.equal(a, b) for a, b in zip(net_before, model.net.parameters()))
    ae_after = [p.detach().clone() for p in model.ae.parameters()]
    net_moved, logs = moved(model.net, 8 - trainer.split)
    assert net_moved and "loss" in logs
    assert all(torch.equal(a, b) for a, b in zip(ae_after, model.ae.parameters()))


def test_codes_are_normalised_when_the_autoencoder_is_done():
    model = tiny()
    trainer = latent.Trainer(model, total_steps=4)
    x, y = batch(64)
    for _ in range(trainer.split + 1):
        trainer.step(x, y, torch.Generator().manual_seed(0))
    z = model.to_latent((x + 1) / 2)
    assert z.mean((0, 2, 3)).abs().max() < 1e-4 and (z.std((0, 2, 3)) - 1).abs().max() < 1e-3


def test_sampling_decodes_once_and_evaluates_the_network_nfe_times():
    model = tiny()
    decoded, evaluated = [], []
    model.ae.decoder.register_forward_hook(lambda m, args, out: decoded.append(len(args[0])))
    model.net.register_forward_hook(lambda m, args, out: evaluated.append(len(args[0])))
    out = model.sample(torch.tensor([1, 2, 3]), torch.Generator().manual_seed(0), steps=5)
    assert out.shape == (3, 1, 28, 28) and decoded == [3]
    assert sum(evaluated) / 3 == model.nfe(steps=5)


def test_the_latent_network_is_at_least_4x_cheaper_than_the_pixel_unet():
    """Issue #15's bar, at the shipped configs: FLOPs of one evaluation for one image."""
    pixel, small = diffusion.Model(diffusion.Config()).eval(), latent.Model(latent.Config()).eval()
    t, y = torch.tensor([500.0]), torch.tensor([3])
    big = flops(lambda: pixel.net(torch.randn(1, 1, 28, 28), t, y))
    little = flops(lambda: small.net(torch.randn(1, *small.shape), t, y))
    assert big / little >= 4, (big, little)


def test_detail_blocks_refine_at_14_and_28_and_train():
    """The decoder's optional detail blocks (Fashion-MNIST's checkpoint): the same interface,
    more layers at 14x14 and 28x28; without them the decoder is the one MNIST's card holds."""
    plain = latent.AutoEncoder(2, 4)
    detailed = latent.AutoEncoder(2, 4, k=2)
    refines = [m for m in detailed.decoder if isinstance(m, latent.Refine)]
    assert len(refines) == 4 and not any(isinstance(m, latent.Refine) for m in plain.decoder)
    assert detailed.decoder(torch.randn(3, 2, 7, 7)).shape == (3, 1, 28, 28)
    model = latent.Model(latent.Config(**{**latent.TINY, "detail_blocks": 1}))
    trainer = latent.Trainer(model, total_steps=4)
    x, y = batch()
    before = [p.detach().clone() for p in model.ae.decoder.parameters()]
    assert "recon_mse" in trainer.step(x, y, torch.Generator().manual_seed(0))
    assert all(not torch.equal(a, b) for a, b in zip(before, model.ae.decoder.parameters()))


def test_reconstructions_are_images():
    model = tiny()
    x01 = (batch(4)[0] + 1) / 2
    recon = model.reconstruct(x01)
    assert recon.shape == x01.shape and recon.min() >= 0 and recon.max() <= 1


def test_the_latent_tab_streams_latents_and_reconstructs(client):
    from PIL import Image

    job = client.submit("mnist", 3, 2, 0, "euler", 4, 2.0, 0.8, 0.2, api_name="/generate_latent")
    updates = list(job)
    assert 2 <= len(updates) <= 4 and "Step 1 of 4 (t = 1.00)" in updates[0][3]
    codes, grid, clean, stats = job.result()
    assert "2 images in" in stats and "latent network evaluations" in stats
    assert all(Image.open(p).format == "PNG" for p in (codes, grid, clean))
    sheet, text = client.predict("fashion", 5, api_name="/reconstruct_latent")
    assert Image.open(sheet).size[0] > 10 * 28 * 3 and "Mean squared error" in text


@pytest.mark.parametrize("args, message", [
    (("mnist", 3, 2, 0, "euler", 0, 2.0, 0.8, 0.2), "must be a number between"),
    (("mnist", 3, 2, 0, "ddpm", 4, 2.0, 0.8, 0.2), "ddpm"),
])
def test_bad_latent_input_is_a_message(client, args, message):
    with pytest.raises(Exception, match=message):
        client.predict(*args, api_name="/generate_latent")
