"""One score for every family: how far its samples are from held-out points of the data.

The sliced Wasserstein distance projects both point sets onto ``DIRECTIONS`` evenly spaced
directions of the plane and averages, over them, the distance the sorted projections must move
to match (W1 in one dimension). Its *floor* is the same distance between two fresh sets of real
points of the same size: the noise of the ruler, which no model beats. For a mixture of
Gaussians the modes can also be counted: a sample within ``NEAR`` spreads of a centre belongs to
that mode; a mode is covered when at least ``SHARE`` of its fair share of samples (n / K) belong
to it; the rest of the samples lie *between* the modes.
"""
from __future__ import annotations

import math

import torch

DIRECTIONS = 64
NEAR = 3.0  # a sample within this many standard deviations of a centre belongs to that mode
SHARE = 0.25  # a mode is covered with at least this share of its fair share of the samples


def _directions(k: int = DIRECTIONS) -> torch.Tensor:
    angles = torch.arange(k, dtype=torch.float64) * math.pi / k
    return torch.stack([angles.cos(), angles.sin()], 1).float()


def sliced_wasserstein(a: torch.Tensor, b: torch.Tensor) -> float:
    """SW1 between two (n, 2) point sets of the same size."""
    if len(a) != len(b):
        raise ValueError(f"sliced_wasserstein compares sets of the same size, got {len(a)} and {len(b)}")
    d = _directions()
    pa, pb = (a.double() @ d.T.double()).sort(0).values, (b.double() @ d.T.double()).sort(0).values
    return float((pa - pb).abs().mean())


def modes(samples: torch.Tensor, centres, std: float) -> tuple[int, float]:
    """(modes covered, share of samples between the modes)."""
    c = torch.as_tensor(centres, dtype=torch.float32)
    dist = torch.cdist(samples.float(), c)
    near, which = dist.min(1)
    belongs = near <= NEAR * std
    counts = torch.bincount(which[belongs], minlength=len(c))
    covered = int((counts >= SHARE * len(samples) / len(c)).sum())
    return covered, float(1 - belongs.float().mean())
