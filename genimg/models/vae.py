"""A class-conditional convolutional VAE (Kingma & Welling 2014; Sohn et al. 2015).

The encoder q(z|x,y) gives a Gaussian over a small latent z; the decoder p(x|z,y) gives a
Bernoulli per pixel. Training maximises the evidence lower bound (``Model.elbo``)

    log p(x|y) >= E_{q(z|x,y)}[log p(x|z,y)] - KL(q(z|x,y) || N(0, I))

with the reparameterisation z = mu + sigma * eps, eps ~ N(0, I) (``Model.reparameterise``),
so the gradient flows through the sample. Sampling decodes z drawn from a Gaussian (or, with
``prior_components`` > 1, a mixture of Gaussians) fitted to the codes of the class's training
images (``Model.prior_sample``), which avoids the holes that N(0, I) leaves between them (Ghosh
et al. 2020, "From Variational to Deterministic Autoencoders").
"""
from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import OneModelTrainer, Option

TITLE = "VAE"
SUMMARY = "An encoder squeezes each image into a few numbers; a decoder learns to rebuild it."
OPTIONS = (
    # 0.9 from benchmarks/temperature_sweep.py: MNIST's lowest FID, and Fashion-MNIST class accuracy
    # 90% (89.5% at 1.0) for some FID and recall; 1.0 is the prior as fitted
    Option("temperature", "Temperature", 0.9, 0.0, 2.0, 0.05,
           "scales the spread of z: 0 = a centre of the class, >1 = wilder"),
)


# The tests' config (the real code at a size that runs in milliseconds), and the class
# accuracy the shipped checkpoints' samples must keep (issue #2).
TINY = dict(z_dim=2, width=4, hidden=16)
BARS = {"mnist": 0.93, "fashion": 0.80}


@dataclass
class Config:
    z_dim: int = 8  # latent size: a larger z starts to hold the class too, and samples drift
    width: int = 32  # conv channels at 14x14 (twice that at 7x7)
    hidden: int = 256  # fully connected layer between the convs and the latent
    beta: float = 1.0  # weight of the KL term; < 1 keeps more detail in z (Higgins et al. 2017)
    prior_components: int = 1  # Gaussians per class in the fitted prior (> 1: a mixture, fitted by EM)
    num_classes: int = 10


class Model(nn.Module):
    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        w, k, h = config.width, config.num_classes, config.hidden
        self.encoder = nn.Sequential(
            nn.Conv2d(1, w, 4, 2, 1), nn.SiLU(),  # 14x14
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.SiLU(),  # 7x7
            nn.Flatten(),
        )
        self.enc_fc = nn.Sequential(nn.Linear(2 * w * 49 + k, h), nn.SiLU(), nn.Linear(h, 2 * config.z_dim))
        self.dec_fc = nn.Sequential(nn.Linear(config.z_dim + k, h), nn.SiLU(), nn.Linear(h, 2 * w * 49), nn.SiLU())
        # the class is also fed to every decoder stage as constant channels, so the decoder
        # leans on y for "which digit" and z is left to hold style
        self.up1 = nn.ConvTranspose2d(2 * w + k, w, 4, 2, 1)  # 14x14
        self.up2 = nn.ConvTranspose2d(w + k, w // 2, 4, 2, 1)  # 28x28
        self.out = nn.Conv2d(w // 2, 1, 3, padding=1)
        # Where the codes of each class's real images lie: a Gaussian per class fitted to the
        # aggregate posterior by Trainer.inference_model (N(0, I) until then).
        self.register_buffer("prior_mean", torch.zeros(k, config.z_dim))
        self.register_buffer("prior_cov", torch.eye(config.z_dim).repeat(k, 1, 1))
        if config.prior_components > 1:  # the mixture that sampling draws from (the Gaussian above
            # stays the class's centre and principal axes for frames and the latent map)
            c = config.prior_components
            self.register_buffer("mix_weight", torch.full((k, c), 1 / c))
            self.register_buffer("mix_mean", torch.zeros(k, c, config.z_dim))
            self.register_buffer("mix_cov", torch.eye(config.z_dim).repeat(k, c, 1, 1))

    def _onehot(self, y: torch.Tensor) -> torch.Tensor:
        return F.one_hot(y, self.config.num_classes).float()

    def encode(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B,1,28,28) in [0,1] -> (mu, logvar), each (B, z_dim)."""
        h = self.enc_fc(torch.cat([self.encoder(x * 2 - 1), self._onehot(y)], 1))
        mu, logvar = h.chunk(2, dim=1)
        return mu, logvar.clamp(-12, 6)

    def decode_logits(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        onehot = self._onehot(y)
        h = self.dec_fc(torch.cat([z, onehot], 1)).view(len(z), -1, 7, 7)  # (B, 2w, 7, 7)

        def with_class(h):
            return torch.cat([h, onehot[:, :, None, None].expand(-1, -1, *h.shape[2:])], 1)

        h = F.silu(self.up1(with_class(h)))  # (B, w, 14, 14)
        h = F.silu(self.up2(with_class(h)))  # (B, w/2, 28, 28)
        return self.out(h)  # (B,1,28,28) Bernoulli logits

    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The decoder's mean image, (B,1,28,28) in [0, 1]."""
        return torch.sigmoid(self.decode_logits(z, y))

    @staticmethod
    def reparameterise(mu, logvar, generator: torch.Generator | None = None) -> torch.Tensor:
        """z = mu + sigma * eps: a sample of q(z|x) that gradients can flow through."""
        eps = torch.randn(mu.shape, generator=generator).to(mu.device)
        return mu + torch.exp(0.5 * logvar) * eps

    def elbo(self, x01: torch.Tensor, y: torch.Tensor, generator=None) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-image (reconstruction log-likelihood, KL) in nats; ELBO = rec - kl."""
        mu, logvar = self.encode(x01, y)
        z = self.reparameterise(mu, logvar, generator)
        logits = self.decode_logits(z, y)
        rec = -F.binary_cross_entropy_with_logits(logits, x01, reduction="none").sum((1, 2, 3))
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1)
        return rec, kl

    def forward(self, x01: torch.Tensor, y: torch.Tensor, generator=None) -> tuple[torch.Tensor, torch.Tensor]:
        """Training's pass: the ELBO's two terms (``elbo``)."""
        return self.elbo(x01, y, generator)

    def prior_sample(self, labels: torch.Tensor, generator: torch.Generator, temperature: float = 1.0):
        """z = m_y + temperature * L_y eps, eps ~ N(0, I), with L_y L_y^T the class's fitted covariance.

        Sampling from N(0, I) lands, for some z, where no real image of the class was encoded
        (the "holes" of the prior) and decodes to another class or a blend; a Gaussian fitted
        to the codes of real images of the class avoids them (Ghosh et al. 2020, ex-post density
        estimation). With the fit left at N(0, I) this is the textbook sampler.
        """
        eps = torch.randn(len(labels), self.config.z_dim, generator=generator) * temperature
        if self.config.prior_components > 1:  # first which Gaussian of the class's mixture
            comp = torch.multinomial(self.mix_weight[labels], 1, generator=generator).squeeze(1)
            mean, cov = self.mix_mean[labels, comp], self.mix_cov[labels, comp]
        else:
            mean, cov = self.prior_mean[labels], self.prior_cov[labels]
        return mean + (torch.linalg.cholesky(cov) @ eps.unsqueeze(-1)).squeeze(-1)

    @torch.no_grad()
    def sample(self, labels: torch.Tensor, generator: torch.Generator, temperature: float = 1.0):
        return self.decode(self.prior_sample(labels, generator, temperature), labels)

    @torch.no_grad()
    def frames(self, labels: torch.Tensor, generator: torch.Generator, temperature: float = 1.0,
               steps: int = 6):
        """From the class's centre (eps = 0) out along z to the sample: what z encodes."""
        z = self.prior_sample(labels, generator, temperature)
        centre = self.prior_mean[labels]
        for t in torch.linspace(0, 1, steps):
            yield self.decode(centre + t * (z - centre), labels)

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Encode to the posterior mean and decode: (B,1,28,28) in [0,1] -> same."""
        return self.decode(self.encode(x, labels)[0], labels)

    @torch.no_grad()
    def posterior_samples(self, x: torch.Tensor, label: torch.Tensor, k: int,
                          generator: torch.Generator) -> torch.Tensor:
        """k decodes of z ~ q(z|x,y) for one image x (1,1,28,28): what the encoder is unsure of."""
        mu, logvar = self.encode(x, label)
        z = self.reparameterise(mu.expand(k, -1), logvar.expand(k, -1), generator)
        return self.decode(z, label.expand(k))

    @torch.no_grad()
    def latent_map(self, label: torch.Tensor, size: int, span: float = 2.0) -> torch.Tensor:
        """Decode a size x size grid around the class's centre along the two directions in which
        its codes vary most (principal axes of the fitted covariance), +-span standard deviations."""
        var, axes = torch.linalg.eigh(self.prior_cov[label[0]])  # ascending eigenvalues
        top = axes[:, -2:].flip(1) * var[-2:].flip(0).sqrt()  # (z, 2), scaled to one std
        t = torch.linspace(-span, span, size)
        a, b = torch.meshgrid(t, t, indexing="ij")
        z = self.prior_mean[label[0]] + torch.stack([a.flatten(), b.flatten()], 1) @ top.T
        return self.decode(z, label.expand(len(z)))


def fit_mixture(x: torch.Tensor, k: int, generator: torch.Generator, iters: int = 50):
    """A mixture of k full-covariance Gaussians fitted to points x (N, D) by expectation-
    maximisation, started from k random points: (weights (k,), means (k, D), covariances (k, D, D))."""
    n, d = x.shape
    means = x[torch.randperm(n, generator=generator)[:k]].clone()
    covs = torch.eye(d).repeat(k, 1, 1) * x.var(0).mean()
    weights = torch.full((k,), 1 / k)
    for _ in range(iters):
        # E: how much each Gaussian is responsible for each point; M: refit each to its share
        logp = torch.distributions.MultivariateNormal(means, covs).log_prob(x[:, None]) + weights.log()  # (N, k)
        resp = logp.softmax(1)
        share = resp.sum(0) + 1e-6
        weights, means = share / n, resp.T @ x / share[:, None]
        diff = x[:, None] - means  # (N, k, D)
        covs = torch.einsum("nk,nki,nkj->kij", resp, diff, diff) / share[:, None, None] + 1e-4 * torch.eye(d)
    return weights, means, covs


class Trainer(OneModelTrainer):
    """Negative ELBO (Bernoulli likelihood, analytic KL weighted by config.beta), Adam 1e-3 with
    cosine decay."""

    epochs = 10
    batch_size = 128

    def __init__(self, model: Model, total_steps: int, lr: float = 1e-3):
        self.model = model
        self.total_steps = total_steps
        self.opt = torch.optim.Adam(model.parameters(), lr=lr)
        self.sched = torch.optim.lr_scheduler.CosineAnnealingLR(self.opt, T_max=total_steps)

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> dict:
        self.model.train()
        rec, kl = self.model((x + 1) / 2, y, generator)  # the ELBO's terms
        loss = (self.model.config.beta * kl - rec).mean()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.sched.step()
        return {"neg_elbo": (kl - rec).mean().item(), "kl": kl.mean().item()}

    @torch.no_grad()
    def inference_model(self, x: torch.Tensor, y: torch.Tensor) -> Model:
        """The trained model with each class's prior fitted to the codes of its training images:
        the aggregate posterior's mean and covariance, Cov(mu) + E[sigma^2]."""
        m = self.model.eval()
        mu, logvar = zip(*[m.encode((x[i:i + 1000] + 1) / 2, y[i:i + 1000]) for i in range(0, len(x), 1000)])
        mu, var = torch.cat(mu), torch.cat(logvar).exp()
        for c in range(m.config.num_classes):
            mc = mu[y == c]
            m.prior_mean[c] = mc.mean(0)
            m.prior_cov[c] = torch.cov(mc.T) + torch.diag(var[y == c].mean(0))
            if m.config.prior_components > 1:
                w, means, covs = fit_mixture(mc, m.config.prior_components, torch.Generator().manual_seed(c))
                m.mix_weight[c], m.mix_mean[c] = w, means
                m.mix_cov[c] = covs + torch.diag(var[y == c].mean(0))
        return m

    @staticmethod
    def evaluate(model: Model, dataset: str, data_dir=None) -> dict:
        from ..metrics import sample_quality

        textbook = copy.deepcopy(model)  # the same decoder, sampled from N(0, I)
        textbook.config = dataclasses.replace(model.config, prior_components=1)
        textbook.prior_mean.zero_()
        textbook.prior_cov.copy_(torch.eye(model.config.z_dim))
        plain = sample_quality(textbook, dataset, data_dir=data_dir)["class_accuracy"]
        return {**sample_quality(model, dataset, data_dir=data_dir),
                "class_accuracy_standard_normal_prior": plain,
                **bits_per_dim(model, dataset, data_dir=data_dir)}


@torch.no_grad()
def bits_per_dim(model: Model, dataset: str, data_dir=None, seed: int = 0) -> dict:
    """Test-set negative ELBO (one z sample per image) in nats and in bits per dimension.

    The likelihood is a Bernoulli per pixel on grey levels in [0,1], as is usual for MNIST VAEs;
    it is a bound for that model, not a discrete likelihood of the 256-level images.
    """
    from ..data import load_tensors

    x, y = load_tensors(dataset, "test", data_dir)
    gen = torch.Generator().manual_seed(seed)
    nelbo = []
    for i in range(0, len(x), 1000):
        rec, kl = model.elbo((x[i:i + 1000] + 1) / 2, y[i:i + 1000], gen)
        nelbo.append(kl - rec)
    nats = torch.cat(nelbo).mean().item()
    return {"test_neg_elbo_nats": round(nats, 2),
            "test_bits_per_dim": round(nats / (x[0].numel() * math.log(2)), 4)}


def likelihood(model: Model, dataset: str, data_dir=None) -> dict:
    """The scoreboard's likelihood: the test-set negative ELBO (a bound), in bits per dimension."""
    return {"kind": "ELBO bound", **bits_per_dim(model, dataset, data_dir)}
