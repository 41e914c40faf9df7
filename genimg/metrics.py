"""Measurements of generated images by the shipped classifier (the network that captions them).

``sample_quality``: the share of samples the classifier recognises as the class asked for, and
diversity as the mean pairwise distance between samples of one class next to the same figure
for real test images of that class (a collapsed generator scores far below the real data).
"""
from __future__ import annotations

from functools import lru_cache

import torch

from . import checkpoint
from .data import NUM_CLASSES, load_tensors


@lru_cache(maxsize=None)
def network(name: str, dataset: str):
    """A shipped helper network of ``dataset`` (eval mode, read-only): the ``classifier`` that
    labels images, or the ``judge``, the second feature network of the scores (it only measures)."""
    from .models import get

    mod = get(name)
    model, _ = checkpoint.load(name, dataset, mod.Config, mod.Model)
    return model


def classifier(dataset: str):
    """The shipped classifier of ``dataset`` (eval mode, read-only)."""
    return network("classifier", dataset)


@torch.no_grad()
def classify(dataset: str, x01: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Images (B,1,28,28) in [0,1] -> (predicted class, its probability), each (B,)."""
    model = classifier(dataset)
    probs = torch.cat([model(x01[i:i + 1000] * 2 - 1).softmax(1) for i in range(0, len(x01), 1000)])
    conf, pred = probs.max(1)
    return pred, conf


def mean_pairwise_distance(x: torch.Tensor) -> float:
    """Mean L2 distance between distinct images of a batch (B,1,28,28), in [0,1] pixel units."""
    flat = x.flatten(1)
    d = torch.cdist(flat, flat)
    n = len(flat)
    return (d.sum() / (n * (n - 1))).item()


@torch.no_grad()
def sample_batches(model, labels: torch.Tensor, generator: torch.Generator, batch: int = 500, **opts):
    return torch.cat([model.sample(labels[i:i + batch], generator, **opts)
                      for i in range(0, len(labels), batch)])


@torch.no_grad()
def sample_quality(model, dataset: str, n_per_class: int = 100, seed: int = 0, data_dir=None,
                   **opts) -> dict:
    """Class accuracy and diversity of ``n_per_class`` samples per class at the given options."""
    labels = torch.arange(NUM_CLASSES).repeat_interleave(n_per_class)
    x = sample_batches(model, labels, torch.Generator().manual_seed(seed), **opts)
    pred, _ = classify(dataset, x)
    per_class = [(pred[labels == c] == c).float().mean().item() for c in range(NUM_CLASSES)]
    out = {
        "n_samples": len(labels),
        "class_accuracy": round((pred == labels).float().mean().item(), 4),
        "class_accuracy_per_class": [round(a, 3) for a in per_class],
        "diversity": round(sum(mean_pairwise_distance(x[labels == c])
                               for c in range(NUM_CLASSES)) / NUM_CLASSES, 3),
    }
    try:
        real, real_y = load_tensors(dataset, "test", data_dir)
    except FileNotFoundError:
        return out
    real = (real + 1) / 2
    out["diversity_real"] = round(sum(mean_pairwise_distance(real[real_y == c][:n_per_class])
                                      for c in range(NUM_CLASSES)) / NUM_CLASSES, 3)
    return out


@torch.no_grad()
def class_histogram(model, dataset: str, n: int = 1000, seed: int = 0, **opts) -> list[int]:
    """How many of ``n`` samples (asked for class i % 10, which an unconditional setting such as
    guidance 0 ignores) the classifier puts in each class."""
    labels = torch.arange(n) % NUM_CLASSES
    x = sample_batches(model, labels, torch.Generator().manual_seed(seed), **opts)
    pred, _ = classify(dataset, x)
    return torch.bincount(pred, minlength=NUM_CLASSES).tolist()
