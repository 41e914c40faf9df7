"""Flow matching on the plane: the straight path x_t = (1 - t) x_0 + t ε joins each data point to
noise, a network learns the velocity ε - x_0 along it, and sampling integrates the learned
field from noise (t = 1) back to data (t = 0) with ``flow_steps`` Euler steps. The paths it
draws are nearly straight, which is why few steps suffice.
"""
from __future__ import annotations

import torch

from ..models import Option
from . import nets

TITLE = "Flow matching"
SUMMARY = "Learn a velocity field from noise to data; sample by following it in a few steps."
IDEA = ("Left: the samples over the data, and the paths of a few of them from noise. "
        "Right: the learned velocity at the chosen t (arrows point from noise towards data).")
LR = 0.03  # its learning rate at scale 1 (tuned for the ring at the default steps)
BATCH = 1024  # points per step
OPTIONS = (Option("flow_steps", "Flow sampler steps", 20, 1, 200, 1,
                  "Euler steps per sample along the learned field", integer=True),)
PATHS = 12
FIELD = 15
ARROW = 0.25  # the arrows are this fraction of a velocity long


class Toy(nets.Integrator):
    PATHS = PATHS

    def __init__(self, width: int, lr: float, gen: torch.Generator, flow_steps: int = 20):
        self.steps = flow_steps
        self.velocity = nets.Regressor(width, lr, gen)  # (x_t, t) -> its velocity; called, the averaged weights answer
        self.optimizers = [self.velocity.opt]

    def step(self, x: torch.Tensor, gen: torch.Generator) -> dict[str, float]:
        t = torch.rand(len(x), generator=gen)
        noise = torch.randn(x.shape, generator=gen)
        xt = (1 - t[:, None]) * x + t[:, None] * noise
        return {"loss": self.velocity.fit(xt, t, noise - x)}

    @torch.no_grad()
    def trajectory(self, n: int, gen: torch.Generator) -> list[torch.Tensor]:
        x = torch.randn(n, 2, generator=gen)
        out, dt = [x], 1.0 / self.steps
        for k in range(self.steps, 0, -1):
            x = x - dt * self.velocity(x, torch.full((1,), k * dt))  # one t for all: its shift is broadcast
            out.append(x)
        return out

    @torch.no_grad()
    def view(self, gen: torch.Generator, at: float, data: torch.Tensor | None = None) -> dict:
        paths = self.drawn_paths(gen)
        where = nets.lattice(FIELD, reach=1.9)
        v = self.velocity(where, torch.full((len(where),), at))
        return {"over": [{"kind": "lines", "lines": paths, "ends": True}],
                "idea": [{"kind": "arrows", "at": where.numpy(), "to": (where - ARROW * v).numpy()}]}
