"""What only the GAN or only the VAE does."""
import math

import pytest
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


def test_gan_losses_have_the_hinge_and_pairing_signs():
    hinge = gan.Trainer(gan.Model(gan.Config(**TINY["gan"])), total_steps=1)
    high, low = torch.full((8,), 2.0), torch.full((8,), -2.0)
    assert hinge.d_loss(high, low).item() == 0 and hinge.d_loss(low, high).item() == 6
    assert hinge.g_loss(high, low).item() == 2  # raise D's score of the fakes
    rp = gan.Trainer(gan.Model(gan.Config(**TINY["gan"], loss="rpgan")), total_steps=1)
    assert rp.d_loss(high, high).item() == pytest.approx(math.log(2))  # a pair D cannot tell apart
    assert rp.d_loss(high, low) < rp.d_loss(low, high) and rp.g_loss(low, high) < rp.g_loss(high, low)
    # only the difference within each pair counts
    assert rp.d_loss(high + 5, low + 5).item() == pytest.approx(rp.d_loss(high, low).item())
    with pytest.raises(ValueError, match="loss must be rpgan or hinge"):
        gan.Trainer(gan.Model(gan.Config(**TINY["gan"], loss="wgan")), total_steps=1)


def test_gradient_penalty_is_the_squared_input_gradient():
    x = torch.randn(4, 1, 28, 28, requires_grad=True)
    w = torch.randn(1, 1, 28, 28, requires_grad=True)  # D's one weight
    penalty = gan.Trainer.gradient_penalty((x * w).sum((1, 2, 3)), x)  # D linear in x: grad = w
    assert penalty.item() == pytest.approx(w.detach().pow(2).sum().item(), rel=1e-5)
    assert penalty.requires_grad  # D's weights are trained through it


def test_diff_augment_shifts_and_cuts_out_differentiably():
    x = torch.full((6, 1, 28, 28), -1.0)
    x[:, :, 10:18, 10:18] = 1.0  # a square in the middle
    g = torch.Generator().manual_seed(0)
    moved = gan.diff_augment(x, "translation", g)
    assert (moved == 1).sum((1, 2, 3)).tolist() == [64] * 6  # the square is shifted, not cropped
    assert not torch.equal(moved, x)
    cut = gan.diff_augment(torch.ones(6, 1, 28, 28), "cutout", g)
    assert ((cut == -1).sum((1, 2, 3)) == 14 * 14).all()
    src = torch.rand(2, 1, 28, 28, requires_grad=True)
    gan.diff_augment(src, "translation,cutout", g).sum().backward()
    assert src.grad is not None and src.grad.abs().sum() > 0
    assert torch.equal(gan.diff_augment(x, "translation,cutout", torch.Generator().manual_seed(5)),
                       gan.diff_augment(x, "translation,cutout", torch.Generator().manual_seed(5)))
    with pytest.raises(ValueError, match="augment takes translation and/or cutout"):
        gan.diff_augment(x, "flip", g)


def test_a_training_step_with_pairing_penalties_and_augmentation():
    config = gan.Config(**TINY["gan"], loss="rpgan", r1=1.0, r2=1.0, augment="translation,cutout")
    trainer = gan.Trainer(gan.Model(config), total_steps=2)
    x, y = torch.rand(8, 1, 28, 28) * 2 - 1, torch.arange(8)
    logs = trainer.step(x, y, torch.Generator().manual_seed(0))
    assert set(logs) == {"loss_d", "r1", "r2", "loss_g"} and all(math.isfinite(v) for v in logs.values())
    assert logs["r1"] > 0 and logs["r2"] > 0


def test_minibatch_std_by_class_sees_one_image_per_class():
    """Mixed groups of four show a spread even when every image of a class is the same; the
    class-grouped spread is zero then, and the images' own spread otherwise."""
    y = torch.tensor([0, 1, 2, 3, 0, 1, 2, 3])
    per_class = torch.randn(4, 3, 7, 7)[y]  # one image per class, repeated
    group, by_class = gan.MinibatchStd(), gan.MinibatchStd(by_class=True)
    assert group(per_class, y)[:, -1].min() > 0.1
    assert by_class(per_class, y)[:, -1].max() < 1e-3
    varied = per_class + torch.randn_like(per_class)
    std = gan.MinibatchStd.class_std(varied, y)
    pair = varied[y == 0]
    assert std[0].item() == pytest.approx(((pair - pair.mean(0)).pow(2).mean(0) + 1e-8).sqrt().mean().item(), rel=1e-5)
    assert torch.equal(std[0], std[4])
    config = gan.Config(**TINY["gan"], minibatch_std="class")
    logs = gan.Trainer(gan.Model(config), total_steps=2).step(torch.rand(8, 1, 28, 28) * 2 - 1, y,
                                                               torch.Generator().manual_seed(0))
    assert all(math.isfinite(v) for v in logs.values())
    with pytest.raises(ValueError, match="minibatch_std must be group or class"):
        gan.Trainer(gan.Model(gan.Config(**TINY["gan"], minibatch_std="batch")), total_steps=2)


def test_mode_seeking_pairs_fakes_of_one_class_and_rewards_their_spread():
    z = torch.randn(8, 4)
    same = torch.zeros(8, 1, 28, 28)  # every z gives the same image: no spread
    assert gan.Trainer.mode_spread(same, z).item() == 0
    apart = torch.cat([torch.zeros(4, 1, 28, 28), torch.ones(4, 1, 28, 28)])
    assert gan.Trainer.mode_spread(apart, z).item() == pytest.approx(1 / (z[:4] - z[4:]).abs().mean().item())
    config = gan.Config(**TINY["gan"], mode_seeking=1.0)
    trainer = gan.Trainer(gan.Model(config), total_steps=2)
    seen = []
    trainer.d.register_forward_pre_hook(lambda _, args: seen.append(args[1].clone()))
    x, y = torch.rand(8, 1, 28, 28) * 2 - 1, torch.arange(8)
    logs = trainer.step(x, y, torch.Generator().manual_seed(0))
    assert logs["spread"] > 0 and math.isfinite(logs["loss_g"])
    real_labels, fake_labels = seen[0], seen[1]
    assert torch.equal(real_labels, y)  # D judges the real images with their own labels
    assert torch.equal(fake_labels[:4], fake_labels[4:]) and torch.equal(fake_labels[:4], y[:4])


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


def test_class_priors_fitted_to_the_codes():
    model = vae.Model(vae.Config(**TINY["vae"]))
    trainer = vae.Trainer(model, total_steps=1)
    x = torch.rand(500, 1, 28, 28) * 2 - 1
    y = torch.arange(500) % 10
    m = trainer.inference_model(x, y)
    mu, _ = m.encode((x[y == 3] + 1) / 2, y[y == 3])
    assert torch.allclose(m.prior_mean[3], mu.mean(0), atol=1e-5)
    assert torch.allclose(m.prior_cov, m.prior_cov.transpose(1, 2))
    assert (torch.linalg.eigvalsh(m.prior_cov) > 0).all()
    z = m.prior_sample(torch.tensor([3, 3]), torch.Generator().manual_seed(0), temperature=0.0)
    assert torch.allclose(z, m.prior_mean[[3, 3]])
    assert m.latent_map(torch.tensor([3]), 5).shape == (25, 1, 28, 28)


def test_mixture_prior_finds_the_clusters_and_samples_from_them():
    g = torch.Generator().manual_seed(0)
    x = torch.cat([torch.randn(300, 2, generator=g) * 0.1 + 3, torch.randn(100, 2, generator=g) * 0.1 - 3])
    w, means, covs = vae.fit_mixture(x, 2, torch.Generator().manual_seed(0))
    order = means[:, 0].argsort(descending=True)
    assert torch.allclose(w[order], torch.tensor([0.75, 0.25]), atol=0.01)
    assert torch.allclose(means[order], torch.tensor([[3.0, 3.0], [-3.0, -3.0]]), atol=0.05)
    assert torch.allclose(covs[order[0]], 0.01 * torch.eye(2), atol=0.005)
    model = vae.Model(vae.Config(**TINY["vae"], prior_components=3))
    x = torch.rand(500, 1, 28, 28) * 2 - 1
    y = torch.arange(500) % 10
    m = vae.Trainer(model, total_steps=1).inference_model(x, y)
    assert torch.allclose(m.mix_weight.sum(1), torch.ones(10), atol=1e-4)
    assert (torch.linalg.eigvalsh(m.mix_cov) > 0).all()
    z = m.prior_sample(torch.full((20,), 3), torch.Generator().manual_seed(0), temperature=0.0)
    assert torch.cdist(z, m.mix_mean[3]).min(1).values.max() < 1e-5  # each z is one of the class's centres
    assert m.sample(torch.arange(10), torch.Generator().manual_seed(0)).shape == (10, 1, 28, 28)


def test_unfitted_prior_is_the_standard_normal():
    model = vae.Model(vae.Config(**TINY["vae"]))
    z = model.prior_sample(torch.zeros(4000, dtype=torch.long), torch.Generator().manual_seed(0))
    assert z.mean().abs() < 0.05 and (z.std() - 1).abs() < 0.05


def test_posterior_samples_vary():
    model = vae.Model(vae.Config(**TINY["vae"])).eval()
    x = torch.rand(1, 1, 28, 28)
    s = model.posterior_samples(x, torch.tensor([1]), 4, torch.Generator().manual_seed(0))
    assert s.shape == (4, 1, 28, 28) and not torch.allclose(s[0], s[1])
    assert math.isfinite(model.reconstruct(x, torch.tensor([1])).sum().item())


def test_classifier_blur_augmentation_keeps_mass():
    from genimg.models.classifier import gaussian_blur

    x = torch.zeros(2, 1, 9, 9)
    x[:, 0, 4, 4] = 1
    y = gaussian_blur(x, 1.0)
    assert torch.allclose(y.sum((1, 2, 3)), torch.ones(2)) and y[0, 0, 4, 4] < 0.5
    assert torch.equal(gaussian_blur(x, 0.0), x)
