"""A GAN on the plane: a generator maps 2-D noise z to points, a discriminator tells them from
the data, and each learns against the other.

``loss="plain"`` is the non-saturating loss alone, which on a mixture often collapses onto a few
modes: the generator finds points the discriminator likes and piles up there. ``loss="fix"``
adds two cures the image GAN also uses: the discriminator sees the standard deviation of its
minibatch as a feature (so a collapsed batch gives itself away), and an R1 penalty on its
gradient at the data keeps its landscape smooth enough to lead the generator to every mode.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..models import Option
from . import nets

TITLE = "GAN"
SUMMARY = "A generator against a discriminator: sharp samples, but it may drop modes."
IDEA = ("Left: the samples (black) over the data (grey), and the generator's image of a square grid of z. "
        "Right: the discriminator's belief that a point is real (blue: real, orange: fake, white: it cannot tell).")
LR = 0.02  # its learning rate at scale 1: where the plain loss collapses on the ring and the fix holds
BATCH = 128  # points per step: a GAN learns from small batches (each of its steps runs its discriminator three times)
OPTIONS = (Option("gan_loss", "GAN loss", "fix", 0, 0, 0,
                  "plain: non-saturating loss only (may collapse); fix: + minibatch std and R1",
                  choices=("plain", "fix")),)
Z = 2  # the noise is 2-D, so that its grid can be drawn
R1 = 0.5  # the weight of the R1 penalty in the fix ...
R1_EVERY = 2  # ... applied every few steps with that many times the weight (StyleGAN2's lazy R1: half its cost)
GRID = 13  # lines of the z grid drawn
HEAT = 48  # the discriminator is drawn on a HEAT x HEAT grid


class Critic(nn.Module):
    """The discriminator (tanh between its layers: a smooth belief over the plane); with
    ``batch_std`` it also sees its minibatch's spread."""

    def __init__(self, width: int, gen: torch.Generator, batch_std: bool):
        super().__init__()
        self.batch_std = batch_std
        self.net = nets.mlp(2 + batch_std, 1, width, gen, act=nn.Tanh)

    def forward(self, x: torch.Tensor, batch: torch.Tensor | None = None) -> torch.Tensor:
        if self.batch_std:
            spread = (x if batch is None else batch).std(0).mean().expand(len(x), 1)
            x = torch.cat([x, spread], 1)
        return self.net(x).squeeze(1)


class Toy:
    def __init__(self, width: int, lr: float, gen: torch.Generator, gan_loss: str = "fix"):
        self.fix, self.steps = gan_loss == "fix", 0
        self.g = nets.mlp(Z, 2, width, gen, act=nn.ReLU)
        self.d = Critic(width, gen, self.fix)
        self.g_opt = nets.adam(self.g.parameters(), lr, betas=(0.5, 0.9))
        self.d_opt = nets.adam(self.d.parameters(), lr, betas=(0.5, 0.9))
        self.optimizers = [self.d_opt, self.g_opt]

    def sample(self, n: int, gen: torch.Generator) -> torch.Tensor:
        return self.g(torch.randn(n, Z, generator=gen))

    def step(self, x: torch.Tensor, gen: torch.Generator) -> dict[str, float]:
        fake = self.sample(len(x), gen)
        penalise = self.fix and self.steps % R1_EVERY == 0
        self.steps += 1
        real = x.requires_grad_(penalise)
        real_logit = self.d(real)
        d_loss = F.softplus(-real_logit).mean() + F.softplus(self.d(fake.detach())).mean()
        if penalise:
            grad, = torch.autograd.grad(real_logit.sum(), real, create_graph=True)
            d_loss = d_loss + R1 * R1_EVERY / 2 * grad.pow(2).sum(1).mean()
        d = nets.train_step(self.d_opt, d_loss)
        g = nets.train_step(self.g_opt, F.softplus(-self.d(fake)).mean())
        return {"loss": d, "generator": g}

    @torch.no_grad()
    def view(self, gen: torch.Generator, at: float, data: torch.Tensor | None = None) -> dict:
        z = nets.lattice(GRID, reach=2.0)
        where = nets.lattice(HEAT)
        belief = torch.sigmoid(self.d(where, batch=self.sample(256, gen)))
        return {"over": [{"kind": "lines", "lines": nets.grid_lines(self.g(z), GRID)}],
                "idea": [{"kind": "heat", "values": belief.reshape(HEAT, HEAT).numpy()}]}
