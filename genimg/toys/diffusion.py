"""Diffusion on the plane: noise is added to the data by a schedule, a network learns to predict
the noise in a noisy point, and sampling starts from pure noise and removes a little at a time
(the ancestral DDPM sampler, ``sampler_steps`` steps).

x_t = sqrt(ᾱ_t) x_0 + sqrt(1 - ᾱ_t) ε with the cosine schedule ᾱ_t over continuous t in [0, 1];
the loss is ||ε̂(x_t, t) - ε||².
"""
from __future__ import annotations

import itertools
import math

import torch

from ..models import Option
from . import nets

TITLE = "Diffusion"
SUMMARY = "Learn to remove noise; sample by denoising step by step from pure noise."
IDEA = ("Left: the samples over the data, and the reverse paths of a few of them from noise. "
        "Right: the denoiser's field at the chosen t: arrows from each point towards its guess of the clean point (a third of the way).")
LR = 0.03  # its learning rate at scale 1 (tuned for the ring at the default steps)
BATCH = 1024  # points per step
OPTIONS = (Option("diffusion_steps", "Diffusion sampler steps", 80, 2, 200, 1,
                  "denoising steps per sample (ancestral DDPM)", integer=True),)
PATHS = 8
FIELD = 15
ARROW = 0.3  # the arrows go this share of the way to the denoiser's guess


def alpha_bar(t: torch.Tensor) -> torch.Tensor:
    s = 0.008
    return (torch.cos((t + s) / (1 + s) * math.pi / 2) ** 2).clamp(1e-5, 1.0)


class Toy(nets.Integrator):
    PATHS = PATHS

    def __init__(self, width: int, lr: float, gen: torch.Generator, diffusion_steps: int = 80):
        self.steps = diffusion_steps
        self.eps = nets.Regressor(width, lr, gen)  # (x_t, t) -> its noise; called, the averaged weights answer
        self.optimizers = [self.eps.opt]

    def step(self, x: torch.Tensor, gen: torch.Generator) -> dict[str, float]:
        t = torch.rand(len(x), generator=gen)
        noise = torch.randn(x.shape, generator=gen)
        a = alpha_bar(t)[:, None]
        return {"loss": self.eps.fit(a.sqrt() * x + (1 - a).sqrt() * noise, t, noise)}

    @torch.no_grad()
    def trajectory(self, n: int, gen: torch.Generator) -> list[torch.Tensor]:
        x = torch.randn(n, 2, generator=gen)
        out = [x]
        times = torch.linspace(1, 0, self.steps + 1)
        for t, s in itertools.pairwise(times):
            a_t, a_s = alpha_bar(t), alpha_bar(s)
            x0 = (x - (1 - a_t).sqrt() * self.eps(x, t.reshape(1))) / a_t.sqrt()  # one t for all: its shift is broadcast
            x0 = x0.clamp(-3, 3)
            # the posterior q(x_s | x_t, x0) of the forward process, between two of the sampler's times
            alpha = a_t / a_s
            mean = (a_s.sqrt() * (1 - alpha) * x0 + alpha.sqrt() * (1 - a_s) * x) / (1 - a_t)
            var = (1 - alpha) * (1 - a_s) / (1 - a_t)
            x = mean + (var.sqrt() * torch.randn(n, 2, generator=gen) if s > 0 else 0)
            out.append(x)
        return out

    @torch.no_grad()
    def view(self, gen: torch.Generator, at: float, data: torch.Tensor | None = None) -> dict:
        paths = self.drawn_paths(gen)
        where = nets.lattice(FIELD, reach=1.9)
        t = torch.full((len(where),), at)
        a = alpha_bar(t)[:, None]
        guess = (where - (1 - a).sqrt() * self.eps(where, t)) / a.sqrt()
        return {"over": [{"kind": "lines", "lines": paths, "ends": True}],
                "idea": [{"kind": "arrows", "at": where.numpy(), "to": (where + ARROW * (guess - where)).numpy()}]}
