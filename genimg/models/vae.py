"""A class-conditional convolutional VAE (Kingma & Welling 2014; Sohn et al. 2015).

The encoder q(z|x,y) gives a Gaussian over a small latent z; the decoder p(x|z,y) gives a
Bernoulli per pixel. Training maximises the evidence lower bound (``Model.elbo``)

    log p(x|y) >= E_{q(z|x,y)}[log p(x|z,y)] - KL(q(z|x,y) || N(0, I))

with the reparameterisation z = mu + sigma * eps, eps ~ N(0, I) (``Model.reparameterise``),
so the gradient flows through the sample. Sampling draws z ~ N(0, I) and decodes it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import Option

TITLE = "VAE"
SUMMARY = "An encoder squeezes each image into a few numbers; a decoder learns to rebuild it."
OPTIONS = (
    Option("temperature", "Temperature", 1.0, 0.0, 2.0, 0.05,
           "scales the latent z ~ N(0, I): 0 = the class's average, >1 = wilder"),
)


@dataclass
class Config:
    z_dim: int = 16  # latent size: small enough to stay smooth, large enough for style
    width: int = 32  # conv channels at 14x14 (twice that at 7x7)
    hidden: int = 256  # fully connected layer between the convs and the latent
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
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.SiLU(),  # 14x14
            nn.ConvTranspose2d(w, w // 2, 4, 2, 1), nn.SiLU(),  # 28x28
            nn.Conv2d(w // 2, 1, 3, padding=1),
        )
        # Two leading principal directions of the encoded training set (for the latent map),
        # measured by Trainer.inference_model.
        self.register_buffer("pca_mean", torch.zeros(config.z_dim))
        self.register_buffer("pca_axes", torch.eye(2, config.z_dim))
        self.register_buffer("pca_std", torch.ones(2))

    def _onehot(self, y: torch.Tensor) -> torch.Tensor:
        return F.one_hot(y, self.config.num_classes).float()

    def encode(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B,1,28,28) in [0,1] -> (mu, logvar), each (B, z_dim)."""
        h = self.enc_fc(torch.cat([self.encoder(x * 2 - 1), self._onehot(y)], 1))
        mu, logvar = h.chunk(2, dim=1)
        return mu, logvar.clamp(-12, 6)

    def decode_logits(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.dec_fc(torch.cat([z, self._onehot(y)], 1)).view(len(z), -1, 7, 7)
        return self.decoder(h)  # (B,1,28,28) Bernoulli logits

    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The decoder's mean image, (B,1,28,28) in [0, 1]."""
        return torch.sigmoid(self.decode_logits(z, y))

    @staticmethod
    def reparameterise(mu, logvar, generator: torch.Generator | None = None) -> torch.Tensor:
        """z = mu + sigma * eps: a sample of q(z|x) that gradients can flow through."""
        eps = torch.randn(mu.shape, generator=generator)
        return mu + torch.exp(0.5 * logvar) * eps

    def elbo(self, x01: torch.Tensor, y: torch.Tensor, generator=None) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-image (reconstruction log-likelihood, KL) in nats; ELBO = rec - kl."""
        mu, logvar = self.encode(x01, y)
        z = self.reparameterise(mu, logvar, generator)
        logits = self.decode_logits(z, y)
        rec = -F.binary_cross_entropy_with_logits(logits, x01, reduction="none").sum((1, 2, 3))
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1)
        return rec, kl

    @torch.no_grad()
    def sample(self, labels: torch.Tensor, generator: torch.Generator, temperature: float = 1.0):
        z = torch.randn(len(labels), self.config.z_dim, generator=generator) * temperature
        return self.decode(z, labels)

    @torch.no_grad()
    def frames(self, labels: torch.Tensor, generator: torch.Generator, temperature: float = 1.0,
               steps: int = 6):
        """From the class's average (z = 0) out along z to the sample: what z encodes."""
        z = torch.randn(len(labels), self.config.z_dim, generator=generator) * temperature
        for t in torch.linspace(0, 1, steps):
            yield self.decode(z * t, labels)

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
        """Decode a size x size grid over the two leading principal directions of z, +-span std."""
        t = torch.linspace(-span, span, size)
        a, b = torch.meshgrid(t, t, indexing="ij")
        coords = torch.stack([a.flatten(), b.flatten()], 1) * self.pca_std  # (size^2, 2)
        z = self.pca_mean + coords @ self.pca_axes
        return self.decode(z, label.expand(len(z)))


class Trainer:
    """Negative ELBO (Bernoulli likelihood, analytic KL), Adam 1e-3 with cosine decay."""

    epochs = 10
    batch_size = 128

    def __init__(self, model: Model, total_steps: int, lr: float = 1e-3):
        self.model = model
        self.total_steps = total_steps
        self.opt = torch.optim.Adam(model.parameters(), lr=lr)
        self.sched = torch.optim.lr_scheduler.CosineAnnealingLR(self.opt, T_max=total_steps)

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> dict:
        self.model.train()
        rec, kl = self.model.elbo((x + 1) / 2, y, generator)
        loss = (kl - rec).mean()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.sched.step()
        return {"neg_elbo": loss.item(), "kl": kl.mean().item()}

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "opt": self.opt.state_dict(),
                "sched": self.sched.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        self.sched.load_state_dict(state["sched"])
        self.sched.T_max = self.total_steps

    @torch.no_grad()
    def inference_model(self, x: torch.Tensor, y: torch.Tensor, n: int = 10_000) -> Model:
        """The trained model with the latent map's axes: PCA of posterior means of n images."""
        m = self.model.eval()
        mu = torch.cat([m.encode((x[i:i + 1000] + 1) / 2, y[i:i + 1000])[0] for i in range(0, n, 1000)])
        m.pca_mean.copy_(mu.mean(0))
        _, s, v = torch.linalg.svd(mu - mu.mean(0), full_matrices=False)
        m.pca_axes.copy_(v[:2])
        m.pca_std.copy_(s[:2] / math.sqrt(len(mu) - 1))
        return m

    @staticmethod
    def evaluate(model: Model, dataset: str, data_dir=None) -> dict:
        from ..metrics import sample_quality, vae_bits_per_dim

        return {**sample_quality(model, dataset, data_dir=data_dir),
                **vae_bits_per_dim(model, dataset, data_dir=data_dir)}
