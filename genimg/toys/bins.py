"""Autoregressive on the plane: the chain rule p(x, y) = p(x) p(y | x), as the PixelCNN and the
GPT factorise an image pixel by pixel or token by token, here in two steps.

The plane is cut into ``BINS`` columns and rows. p(x) is a categorical over the columns (its
logits are learned directly), p(y | x) a categorical over the rows, computed by an MLP from the
column. The loss is the negative log-likelihood of the data's bins; a sample draws a column, then
a row given it, then a point uniformly inside the cell: the model is exact up to its bins.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from . import nets
from .data import BOX

TITLE = "Autoregressive"
SUMMARY = "The chain rule: p(x) then p(y | x), each a choice among bins, like a PixelCNN in two steps."
IDEA = ("Left: the samples over the data; the grey bars along the bottom are the learned p(x). "
        "Right: p(y | x) at the chosen x (the vertical line), one bar per row of bins, beside the data.")
LR = 0.02  # its learning rate at scale 1 (tuned for the ring at the default steps)
BATCH = 512  # points per step
OPTIONS = ()
BINS = 40


def to_bins(v: torch.Tensor) -> torch.Tensor:
    return ((v + BOX) / (2 * BOX) * BINS).long().clamp(0, BINS - 1)


class Toy:
    def __init__(self, width: int, lr: float, gen: torch.Generator):
        self.px = nn.Parameter(torch.zeros(BINS))  # logits of p(x): uniform before training
        self.py = nets.mlp(BINS, BINS, width, gen)  # one-hot column -> logits of p(y | x)
        self.opt = nets.adam([self.px, *self.py.parameters()], lr)
        self.optimizers = [self.opt]

    def conditional(self, column: torch.Tensor) -> torch.Tensor:
        return self.py(F.one_hot(column, BINS).float())

    def step(self, x: torch.Tensor, gen: torch.Generator) -> dict[str, float]:
        col, row = to_bins(x[:, 0]), to_bins(x[:, 1])
        nll = F.cross_entropy(self.px.expand(len(x), BINS), col) + F.cross_entropy(self.conditional(col), row)
        return {"loss": nets.train_step(self.opt, nll)}

    @torch.no_grad()
    def sample(self, n: int, gen: torch.Generator) -> torch.Tensor:
        col = torch.multinomial(self.px.softmax(0), n, replacement=True, generator=gen)
        row = torch.multinomial(self.conditional(col).softmax(1), 1, generator=gen).squeeze(1)
        cells = torch.stack([col, row], 1).float() + torch.rand(n, 2, generator=gen)
        return cells / BINS * 2 * BOX - BOX

    @torch.no_grad()
    def view(self, gen: torch.Generator, at: float, data: torch.Tensor | None = None) -> dict:
        x = -BOX + at * 2 * BOX  # ``at`` in [0, 1] across the plane
        col = to_bins(torch.tensor([x]))
        return {"over": [{"kind": "bars", "axis": "x", "probs": self.px.softmax(0).numpy()}],
                "idea": [{"kind": "bars", "axis": "y", "at": float(x),
                          "probs": self.conditional(col).softmax(1)[0].numpy()}]}
