"""Drawing one value per row from a categorical distribution, shared by the autoregressive
families. One uniform number per row and the inverse CDF: two samplers that compute the same
probabilities with the same generator draw the same values (the tests rely on it)."""
from __future__ import annotations

import torch


def draw_from(probs: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One index per row of ``probs`` (B, K), by inverting the CDF at a uniform number."""
    u = torch.rand(len(probs), 1, generator=generator)
    return (probs.cumsum(-1) < u).sum(-1).clamp(max=probs.shape[-1] - 1)


def draw(logits: torch.Tensor, generator: torch.Generator, temperature: float) -> torch.Tensor:
    """One index per row of ``logits`` (B, K), from softmax(logits / temperature)."""
    return draw_from((logits / temperature).softmax(-1), generator)


def filtered(logits: torch.Tensor, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0) -> torch.Tensor:
    """The sampling distribution (B, K): softmax(logits / temperature), then only the ``top_k``
    likeliest values (0: all), then only the smallest set of likeliest values whose probability
    adds up to ``top_p`` ("nucleus" sampling; 1: all), renormalised."""
    probs = (logits.float() / temperature).softmax(-1)
    keep = torch.ones_like(probs, dtype=torch.bool)
    if 0 < top_k < probs.shape[-1]:
        keep = torch.zeros_like(keep).scatter_(-1, probs.topk(top_k, -1).indices, True)
    if top_p < 1.0:
        p, order = probs.masked_fill(~keep, 0).sort(-1, descending=True)
        before = p.cumsum(-1) - p  # mass of the values likelier than this one
        keep &= torch.zeros_like(keep).scatter_(-1, order, before < top_p)
    probs = probs.masked_fill(~keep, 0)
    return probs / probs.sum(-1, keepdim=True)
