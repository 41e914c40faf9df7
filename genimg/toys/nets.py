"""What the toy families are built from: a small MLP whose weights come from an explicit
``torch.Generator`` (never torch's global one), a time embedding, Adam, and the grids the views
evaluate the networks on."""
from __future__ import annotations

import copy
import itertools
import math

import numpy as np
import torch
from torch import nn

from .data import BOX

DEPTH = 3  # hidden layers of every toy MLP


def mlp(inputs: int, outputs: int, width: int, gen: torch.Generator, act=nn.SiLU) -> nn.Sequential:
    """inputs -> width (x DEPTH, ``act`` between) -> outputs, initialised from ``gen`` as
    ``nn.Linear`` initialises itself (uniform, bound 1/sqrt(fan_in))."""
    sizes = [inputs, *[width] * DEPTH, outputs]
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers += [nn.Linear(a, b)] + ([act()] if i < len(sizes) - 2 else [])
    net = nn.Sequential(*layers)
    for layer in net:
        if isinstance(layer, nn.Linear):
            init_linear(layer, gen)
    return net


@torch.no_grad()
def init_linear(layer: nn.Linear, gen: torch.Generator) -> None:
    """As ``nn.Linear`` initialises itself (uniform within 1/sqrt(fan_in)), from ``gen``."""
    bound = 1 / math.sqrt(layer.in_features)
    layer.weight.uniform_(-bound, bound, generator=gen)
    layer.bias.uniform_(-bound, bound, generator=gen)


def adam(params, lr: float, betas=(0.9, 0.999)) -> torch.optim.Adam:
    """Adam in one fused kernel (a toy step is mostly overhead: this saves a fifth of it)."""
    return torch.optim.Adam(params, lr=lr, betas=betas, fused=True)


def time_features(t: torch.Tensor, k: int = 4) -> torch.Tensor:
    """(n,) times in [0, 1] -> (n, 1 + 2k): t and sines and cosines of it at k frequencies."""
    f = math.pi * torch.arange(1, k + 1, dtype=t.dtype) * t[:, None]
    return torch.cat([t[:, None], f.sin(), f.cos()], 1)


def lattice(side: int, reach: float = BOX) -> torch.Tensor:
    """(side * side, 2) points of a square grid over [-reach, reach]², row by row from the top."""
    ticks = torch.linspace(-reach, reach, side)
    y, x = torch.meshgrid(ticks.flip(0), ticks, indexing="ij")
    return torch.stack([x.reshape(-1), y.reshape(-1)], 1)


def grid_lines(points: torch.Tensor, side: int) -> np.ndarray:
    """The images of a ``lattice`` (side * side, 2) as its rows and columns: (2 * side, side, 2)."""
    p = points.reshape(side, side, 2)
    return torch.cat([p, p.transpose(0, 1)]).numpy().astype(np.float32)


def train_step(opt: torch.optim.Optimizer, loss: torch.Tensor) -> float:
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return float(loss.detach())


class Averaged:
    """An exponential moving average of a network's weights (what a diffusion or flow model
    samples with: the last steps' noise averaged out)."""

    def __init__(self, net: nn.Module, decay: float = 0.98):
        self.net, self.decay = net, decay
        self.copy = copy.deepcopy(net).requires_grad_(False)
        self.params, self.averaged = list(net.parameters()), list(self.copy.parameters())

    @torch.no_grad()
    def update(self) -> None:
        torch._foreach_lerp_(self.averaged, self.params, 1 - self.decay)


class TimeMLP(nn.Module):
    """An MLP of (x, t) whose every hidden layer also hears t: its time features, projected, are
    added before each activation, as a diffusion model's U-Net adds its time embedding to every
    block (a toy learns the field at every t far faster than from t fed in once)."""

    def __init__(self, inputs: int, outputs: int, width: int, gen: torch.Generator, k: int = 4):
        super().__init__()
        self.k = k
        self.hidden = nn.ModuleList([nn.Linear(inputs, width)] + [nn.Linear(width, width) for _ in range(DEPTH - 1)])
        self.out = nn.Linear(width, outputs)
        self.time = nn.Linear(1 + 2 * k, DEPTH * width)  # one shift per hidden layer, computed at once
        for layer in [*self.hidden, self.out, self.time]:
            init_linear(layer, gen)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        shifts = self.time(time_features(t, self.k)).chunk(DEPTH, 1)
        h = x
        for layer, shift in zip(self.hidden, shifts, strict=True):
            h = torch.nn.functional.silu(layer(h) + shift)
        return self.out(h)


class Regressor:
    """What diffusion and flow matching share: a ``TimeMLP`` regressing a target from (x_t, t)
    with Adam, and the moving average of its weights that samples (calling it)."""

    def __init__(self, width: int, lr: float, gen: torch.Generator):
        self.net = TimeMLP(2, 2, width, gen)
        self.opt = adam(self.net.parameters(), lr)
        self.ema = Averaged(self.net)

    def fit(self, x: torch.Tensor, t: torch.Tensor, target: torch.Tensor) -> float:
        """One step on the squared error; the loss before it."""
        loss = train_step(self.opt, (self.net(x, t) - target).pow(2).mean())
        self.ema.update()
        return loss

    def __call__(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.ema.copy(x, t)


class Integrator:
    """What a family that samples along a path (diffusion, flow matching) shares: ``sample``
    runs its ``trajectory`` and keeps the first ``PATHS`` paths, which its view draws."""

    PATHS = 8
    paths = None

    def sample(self, n: int, gen: torch.Generator) -> torch.Tensor:
        steps = self.trajectory(n, gen)
        self.paths = torch.stack([x[: self.PATHS] for x in steps], 1)
        return steps[-1]

    def drawn_paths(self, gen: torch.Generator) -> np.ndarray:
        """The last samples' first paths (a few drawn now if nothing was sampled yet)."""
        if self.paths is None:
            self.sample(self.PATHS, gen)
        return self.paths.numpy()
