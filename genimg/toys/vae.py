"""A VAE on the plane: an encoder maps each point to a Gaussian in a 2-D latent z, a decoder maps
z back to a point, and the loss is the reconstruction error plus β times the KL divergence of
the encoder's Gaussians from the prior N(0, I).

Its samples are the decoder's means at z drawn from the prior. Where the prior's mass between
two clusters of codes decodes to points between two modes, the VAE draws between them: the
smear that a larger β makes worse.
"""
from __future__ import annotations

import torch

from ..models import Option
from . import nets

TITLE = "VAE"
SUMMARY = "An encoder to a 2-D code and a decoder back: covers everything, smears between modes."
IDEA = ("Left: the decoder's means (black) over the data, and its image of a square grid of z. "
        "Right: the latent plane, each data point at its code (coloured by where it came from); the circle is one prior standard deviation.")
LR = 0.02  # its learning rate at scale 1 (tuned for the ring at the default steps)
BATCH = 512  # points per step
OPTIONS = (Option("beta", "VAE β", 1.0, 0.01, 10.0, 0.01,
                  "the weight of the KL term: larger, the codes fill the prior and the samples smear"),)
NOISE = 0.1  # the decoder's fixed standard deviation: the reconstruction term is the squared error / (2 NOISE²)
GRID = 13


class Toy:
    def __init__(self, width: int, lr: float, gen: torch.Generator, beta: float = 1.0):
        self.beta = beta
        self.enc = nets.mlp(2, 4, width, gen)
        self.dec = nets.mlp(2, 2, width, gen)
        self.opt = nets.adam([*self.enc.parameters(), *self.dec.parameters()], lr)
        self.optimizers = [self.opt]

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_var = self.enc(x).chunk(2, 1)
        return mean, log_var

    def sample(self, n: int, gen: torch.Generator) -> torch.Tensor:
        return self.dec(torch.randn(n, 2, generator=gen))

    def step(self, x: torch.Tensor, gen: torch.Generator) -> dict[str, float]:
        mean, log_var = self.encode(x)
        z = mean + (0.5 * log_var).exp() * torch.randn(mean.shape, generator=gen)
        recon = (self.dec(z) - x).pow(2).sum(1) / (2 * NOISE**2)
        kl = 0.5 * (mean.pow(2) + log_var.exp() - 1 - log_var).sum(1)
        return {"loss": nets.train_step(self.opt, (recon + self.beta * kl).mean()), "kl": float(kl.detach().mean())}

    @torch.no_grad()
    def view(self, gen: torch.Generator, at: float, data: torch.Tensor | None = None) -> dict:
        z = nets.lattice(GRID, reach=2.0)
        idea = []
        if data is not None:
            idea.append({"kind": "dots", "points": self.encode(data)[0].numpy(), "hue": data.numpy()})
        idea.append({"kind": "circle", "radius": 1.0})
        return {"over": [{"kind": "lines", "lines": nets.grid_lines(self.dec(z), GRID)}], "idea": idea,
                "codes": True}  # the idea is drawn in the plane of codes, not over the data
