"""What a discriminator sees beyond one image: differentiable augmentation of image batches, so
it cannot memorise its training images (DiffAugment, Zhao et al. 2020: the same random transforms
on real and generated images, with gradients flowing through them to the generator), and the
spread of a group of images as one more feature channel (``MinibatchStd``)."""
from __future__ import annotations

import torch
import torch.nn as nn
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


class MinibatchStd(nn.Module):
    """Append the spread of features across a group of images as one more channel (Karras et
    al. 2018), so the discriminator can see a generator that makes the same image every time.

    A group is four images of any class, or, with ``by_class``, every image of the batch with the
    same label: in a mixed group the classes differ anyway, so a generator that gives one image
    per class still shows a spread; among the images of one class it shows none."""

    def __init__(self, group: int = 4, by_class: bool = False):
        super().__init__()
        self.group, self.by_class = group, by_class

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        if self.by_class:
            return torch.cat([x, self.class_std(x, y)[:, None, None, None].expand(b, 1, h, w)], 1)
        g = self.group if b % self.group == 0 else 1
        if g == 1:
            return torch.cat([x, x.new_zeros(b, 1, h, w)], 1)
        # sqrt(var + eps): a pixel that is the same in every image of a group (the background, a
        # cutout) has var 0, where the plain std's gradient is infinite (NaN under R1/R2)
        std = (x.view(g, b // g, c, h, w).var(0, unbiased=False) + 1e-8).sqrt().mean((1, 2, 3))  # (b/g,)
        return torch.cat([x, std.repeat(g)[:, None, None, None].expand(b, 1, h, w)], 1)

    @staticmethod
    def class_std(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """(B,) the mean feature std among the batch's images of each image's class (0 alone)."""
        onehot = F.one_hot(y, int(y.max()) + 1).to(x.dtype)  # (B, K)
        count = onehot.sum(0).clamp(min=1)[:, None]  # (K, 1)
        flat = x.flatten(1)
        mean = onehot.T @ flat / count  # (K, CHW)
        var = onehot.T @ (flat - mean[y]).pow(2) / count
        return (var + 1e-8).sqrt().mean(1)[y]
