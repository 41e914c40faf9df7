"""Scores of a set of images against another, in the feature space of a network trained on the
dataset (its penultimate layer stands in for the Inception network of the ImageNet scores, as
is usual for 28x28 data). There are two such rulers (``RULERS``): the ``judge``, trained only
for evaluation (``models/judge.py``), and the shipped ``classifier``; every distance is
computed in both, so that an order of the families that holds in one network's features only
shows up as a disagreement.

* ``fid``: the Frechet distance between Gaussians fitted to the two sets' features (Heusel et
  al. 2017): |mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)). 0 for identical sets; it
  means little without the distance between two real sets of the same size (the floor).
* ``inception_score``: exp E_x KL(p(y|x) || p(y)) of the classifier's predictions (Salimans et
  al. 2016): high when each image is clearly one class and all classes occur.
* ``precision_recall``: k-nearest-neighbour precision and recall (Kynkaanniemi et al. 2019):
  the share of generated images inside the real images' k-NN balls (quality), and of real
  images inside the generated images' balls (coverage).
"""
from __future__ import annotations

import functools

import torch

from . import metrics


RULERS = ("judge", "classifier")  # the first is the scoreboard's headline


@torch.no_grad()
def embed(dataset: str, x01: torch.Tensor, ruler: str = "classifier") -> tuple[torch.Tensor, torch.Tensor]:
    """Images (N,1,28,28) in [0,1] -> (features (N, F) float64, class probabilities (N, 10)) in
    the ``ruler`` network of ``dataset``."""
    if ruler not in RULERS:
        raise ValueError(f"ruler must be one of {', '.join(RULERS)}, got {ruler!r}")
    model = metrics.network(ruler, dataset)
    feats, probs = [], []
    for i in range(0, len(x01), 1000):
        x = x01[i:i + 1000] * 2 - 1
        feats.append(model.embedding(x).double())
        probs.append(model(x).softmax(1).double())
    return torch.cat(feats) / unit(dataset, ruler), torch.cat(probs)


@functools.lru_cache(maxsize=None)
def unit(dataset: str, ruler: str) -> float:
    """The ruler's scale: the root mean variance of the test set's raw embedding, so that FID is
    in units of a typical feature's variance (an embedding of ReLU activations averaged over
    positions is small: its raw FIDs read 0.01-0.4). Computed once from the shipped example
    sheet's 100 test images; a fixed number per network, which changes no order."""
    from .pipeline import examples  # the inference layer reads the sheet; it never needs scores

    images, _ = examples(dataset)
    x = torch.from_numpy(images).float().div(255)[:, None] * 2 - 1
    with torch.no_grad():
        return float(metrics.network(ruler, dataset).embedding(x).double().var(0).mean().sqrt())


def _sqrt_psd(m: torch.Tensor) -> torch.Tensor:
    vals, vecs = torch.linalg.eigh((m + m.T) / 2)
    return vecs @ torch.diag(vals.clamp(min=0).sqrt()) @ vecs.T


def fid(a: torch.Tensor, b: torch.Tensor) -> float:
    """Frechet distance between the Gaussians of feature sets ``a`` (N, F) and ``b`` (M, F)."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)
    root = _sqrt_psd(cov_a)
    # Tr((S_a S_b)^(1/2)) = Tr((S_a^(1/2) S_b S_a^(1/2))^(1/2)), a symmetric PSD matrix
    cross = torch.linalg.eigvalsh(root @ cov_b @ root).clamp(min=0).sqrt().sum()
    return float((mu_a - mu_b).pow(2).sum() + cov_a.trace() + cov_b.trace() - 2 * cross)


def inception_score(probs: torch.Tensor) -> float:
    """exp of the mean KL divergence between each image's class distribution and the average one."""
    p = probs.clamp_min(1e-12)
    marginal = p.mean(0, keepdim=True)
    return float(torch.exp((p * (p.log() - marginal.log())).sum(1).mean()))


def _radii(x: torch.Tensor, k: int) -> torch.Tensor:
    """Distance from each point to its k-th nearest other point of the same set."""
    d = torch.cdist(x, x)
    return d.kthvalue(k + 1, dim=1).values  # the 1st is the point itself


def precision_recall(real: torch.Tensor, fake: torch.Tensor, k: int = 3) -> tuple[float, float]:
    """(precision, recall) of ``fake`` features against ``real`` ones with k-NN balls."""
    d = torch.cdist(fake, real)  # (fake, real)
    precision = (d <= _radii(real, k)[None]).any(1).double().mean()
    recall = (d.T <= _radii(fake, k)[None]).any(1).double().mean()
    return float(precision), float(recall)
