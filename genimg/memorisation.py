"""Copying, measured: how close a model's samples come to single images it was trained on.

A sample is *memorised* when it is much closer to one training image than to any other: the
distance to its nearest training image is under a third of the distance to the second nearest
(the nearest-neighbour distance ratio of Yoon et al., 2023, "Diffusion probabilistic models
generalize when they fail to memorize"). The distances are taken in the judge's features, the
ruler every FID here uses, so that a sample that differs from a training image by a faint stroke
still counts as its copy. A model that has learned the data's distribution draws new images,
each about as near to several training images; a model that has memorised a small training set
draws those images again, and the ratio falls towards 0.

``measure`` samples a model (class-balanced, the same seed as the learning curves) and returns
the share of memorised samples, the median ratio, and for each class the sample nearest to being
a copy beside its nearest training image (``picture`` draws them).
"""
from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from . import metrics, render, scores
from .data import NUM_CLASSES, to_uint8

RATIO = 1 / 3  # a sample under this nearest / second-nearest distance ratio is a copy
RULER = scores.RULERS[0]  # the judge


def nearest(feats: torch.Tensor, pool: torch.Tensor, chunk: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    """For each row of ``feats``, the index of its nearest row of ``pool`` and the ratio of the
    distances to its nearest and second-nearest rows (Euclidean)."""
    if len(pool) < 2:
        raise ValueError(f"the ratio needs at least 2 training images, got {len(pool)}")
    index, ratio = [], []
    for i in range(0, len(feats), chunk):
        d = torch.cdist(feats[i:i + chunk], pool)
        two = d.topk(2, dim=1, largest=False)
        index.append(two.indices[:, 0])
        ratio.append(two.values[:, 0] / two.values[:, 1].clamp_min(1e-12))
    return torch.cat(index), torch.cat(ratio)


@torch.no_grad()
def measure(model, dataset: str, train01: torch.Tensor, n: int = 1000, seed: int = 0, **opts) -> dict:
    """Memorisation of ``model`` against the images it was trained on (``train01``, (M,1,28,28)
    in [0, 1]) from ``n`` class-balanced samples at ``opts``.

    Returns ``share`` (memorised samples), ``median_ratio``, ``n``, ``images`` (M) and, for the
    picture, ``pairs``: per class, (sample, its nearest training image, the ratio)."""
    labels = torch.arange(n) % NUM_CLASSES
    with torch.random.fork_rng(devices=[]):
        x = metrics.sample_batches(model, labels, torch.Generator().manual_seed(seed), **opts)
    feats, _ = scores.embed(dataset, x, RULER)
    pool, _ = scores.embed(dataset, train01, RULER)
    index, ratio = nearest(feats, pool)
    pairs = []
    for c in range(NUM_CLASSES):
        mine = torch.nonzero(labels == c).flatten()
        i = mine[ratio[mine].argmin()]
        pairs.append((to_uint8(x[i:i + 1])[0], to_uint8(train01[index[i]:index[i] + 1])[0],
                      round(ratio[i].item(), 3)))
    return {"n": n, "images": len(train01), "share": round((ratio < RATIO).float().mean().item(), 4),
            "median_ratio": round(ratio.median().item(), 3), "pairs": pairs}


def picture(pairs: list, sample_word: str = "ratio", train_word: str = "nearest") -> Image.Image:
    """Each class's sample nearest to a copy (top row, its ratio beneath, red when under
    ``RATIO``) above its nearest training image (bottom row)."""
    samples = np.stack([p[0] for p in pairs] + [p[1] for p in pairs])
    captions = [f"{sample_word} {p[2]:.2f}" for p in pairs] + [train_word] * len(pairs)
    marks = [p[2] >= RATIO for p in pairs] + [True] * len(pairs)
    return render.grid(samples, captions, scale=3, cols=len(pairs), marks=marks)
