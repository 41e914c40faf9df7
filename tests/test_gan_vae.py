"""What only the GAN or only the VAE does."""
import math

import torch

from genimg.models import gan, vae
from tests.conftest import TINY


def test_slerp_stays_on_the_sphere_and_hits_the_ends():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(1, 64, generator=g), torch.randn(1, 64, generator=g)
    b = b / b.norm() * a.norm()
    path = gan.slerp(a, b, torch.linspace(0, 1, 7)[:, None])
    assert torch.allclose(path[0], a[0], atol=1e-5) and torch.allclose(path[-1], b[0], atol=1e-5)
    assert torch.allclose(path.norm(dim=1), a.norm().expand(7), rtol=1e-4)


def test_truncation_zero_gives_one_image_per_class():
    model = gan.Model(gan.Config(**TINY["gan"])).eval()
    x = model.sample(torch.tensor([4, 4, 4]), torch.Generator().manual_seed(0), truncation=0.0)
    assert torch.allclose(x[0], x[1]) and torch.allclose(x[1], x[2])


def test_gan_losses_have_the_hinge_signs():
    model = gan.Model(gan.Config(**TINY["gan"]))
    trainer = gan.Trainer(model, total_steps=1)
    x = torch.rand(8, 1, 28, 28) * 2 - 1
    y = torch.arange(8)
    assert trainer.d_loss(x, x, y).item() >= 0
    assert torch.isfinite(trainer.g_loss(x, y))


def test_vae_elbo_is_a_bound_with_kl_nonnegative():
    model = vae.Model(vae.Config(**TINY["vae"]))
    x = torch.rand(4, 1, 28, 28)
    rec, kl = model.elbo(x, torch.arange(4), torch.Generator().manual_seed(0))
    assert rec.shape == kl.shape == (4,)
    assert (kl >= 0).all() and (rec <= 0).all()  # Bernoulli log-likelihood of [0,1] targets


def test_reparameterisation_passes_gradients():
    mu = torch.zeros(3, 2, requires_grad=True)
    logvar = torch.zeros(3, 2, requires_grad=True)
    vae.Model.reparameterise(mu, logvar, torch.Generator().manual_seed(0)).sum().backward()
    assert torch.allclose(mu.grad, torch.ones(3, 2)) and logvar.grad.abs().sum() > 0


def test_latent_map_axes_from_training_data():
    model = vae.Model(vae.Config(**TINY["vae"]))
    trainer = vae.Trainer(model, total_steps=1)
    x = torch.rand(1000, 1, 28, 28) * 2 - 1
    m = trainer.inference_model(x, torch.arange(1000) % 10, n=1000)
    assert torch.allclose(m.pca_axes @ m.pca_axes.T, torch.eye(2), atol=1e-4)
    grid = m.latent_map(torch.tensor([3]), 5)
    assert grid.shape == (25, 1, 28, 28)


def test_posterior_samples_vary():
    model = vae.Model(vae.Config(**TINY["vae"])).eval()
    x = torch.rand(1, 1, 28, 28)
    s = model.posterior_samples(x, torch.tensor([1]), 4, torch.Generator().manual_seed(0))
    assert s.shape == (4, 1, 28, 28) and not torch.allclose(s[0], s[1])
    assert math.isfinite(model.reconstruct(x, torch.tensor([1])).sum().item())
