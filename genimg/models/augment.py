"""Differentiable augmentation of image batches, for a discriminator that should not memorise
its training images (DiffAugment, Zhao et al. 2020): the same random transforms are applied to
real and generated images, and gradients flow through them to the generator."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def diff_augment(x: torch.Tensor, policy: str, generator: torch.Generator) -> torch.Tensor:
    """DiffAugment (Zhao et al. 2020) of a batch (B,1,28,28) in [-1, 1], differentiable in x:
    ``translation`` shifts each image by up to 1/8 of its size (the border filled with the
    background, -1); ``cutout`` blanks one random square of half its size. The random numbers
    come from ``generator`` (on the CPU), so any device sees the same augmentation."""
    b, _, h, w = x.shape
    for name in filter(None, policy.split(",")):
        if name == "translation":
            pad = h // 8
            shift = torch.randint(-pad, pad + 1, (2, b), generator=generator).to(x.device)
            padded = F.pad(x, (pad, pad, pad, pad), value=-1.0)
            rows = (torch.arange(h, device=x.device)[None] + pad - shift[0][:, None])  # (B, H)
            cols = (torch.arange(w, device=x.device)[None] + pad - shift[1][:, None])  # (B, W)
            x = padded[torch.arange(b, device=x.device)[:, None, None], 0, rows[:, :, None], cols[:, None, :]][:, None]
        elif name == "cutout":
            size = h // 2
            corner = torch.randint(0, h - size + 1, (2, b), generator=generator).to(x.device)
            r = torch.arange(h, device=x.device)[None]
            inside_r = (r >= corner[0][:, None]) & (r < corner[0][:, None] + size)  # (B, H)
            inside_c = (r >= corner[1][:, None]) & (r < corner[1][:, None] + size)  # (B, W)
            hole = (inside_r[:, :, None] & inside_c[:, None, :])[:, None]
            x = torch.where(hole, torch.full_like(x, -1.0), x)
        else:
            raise ValueError(f"augment takes translation and/or cutout, got {name!r}")
    return x
