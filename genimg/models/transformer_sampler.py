"""Sampling the Transformer prior with a key/value cache.

Self-attention at position t needs the keys and values of positions 0..t. Without a cache a
sampler runs the network over the whole prefix at every step (``naive_tokens``): 49
passes over 1, 2, .., 49 positions. A token's keys and values never change once it is written
(the causal mask stops later tokens from reaching back into it), so each layer keeps them in a
buffer and every step runs the network on the one new position only. Completing an image fills
the cache for the kept tokens in one pass first (a language model's "prefill").
"""
from __future__ import annotations

import torch

from . import Step
from .sampling import draw_from, filtered


class Sampler:
    def __init__(self, model, labels: torch.Tensor):
        self.model, self.labels = model, labels
        prior = model.prior
        rows, cols = model.grid
        self.n = rows * cols
        b, d = len(labels), prior.pos.shape[1]
        heads = prior.blocks[0].attn.heads
        self.caches = [(torch.zeros(b, heads, self.n, d // heads), torch.zeros(b, heads, self.n, d // heads))
                       for _ in prior.blocks]
        self.tokens = torch.full((b, self.n), -1, dtype=torch.long)
        self.blank = model.blank_token()  # what an unknown token is decoded as

    def canvas(self) -> torch.Tensor:
        rows, cols = self.model.grid
        known = self.tokens.where(self.tokens >= 0, self.blank)
        return self.model.detokenize(known.view(-1, rows, cols))

    def step(self, filled: int, shown: tuple) -> Step:
        """The images after ``filled`` tokens, and the last decision of the first image: its
        position, its sampling distribution and the token drawn."""
        rows, cols = self.model.grid
        position, probs, value = shown
        return Step(self.canvas(), filled, self.n, position=position, probs=probs, value=value,
                    extras={"tokens": self.tokens.view(-1, rows, cols).clone()})

    def run(self, generator: torch.Generator, temperature: float = 1.0, top_k: int = 0,
            top_p: float = 1.0, given=None, rows: int = 0, every: int = 1):
        """Sample every token after the first ``rows`` token rows of ``given`` (B,1,28,28 in
        [0,1], tokenised); yield a ``Step`` every ``every`` sampled tokens (0: only at the end)."""
        prior, start = self.model.prior, rows * self.model.grid[1]
        if start:  # prefill: the class and the kept tokens in one pass
            self.tokens[:, :start] = self.model.tokenize(given).flatten(1)[:, :start]
            logits = prior.run(prior.inputs(self.labels, self.tokens[:, :start]), self.caches, 0)[:, -1]
        else:
            logits = prior.run(prior.inputs(self.labels, self.tokens[:, :0]), self.caches, 0)[:, -1]
        shown = (start - 1, torch.zeros(logits.shape[-1]), -1)
        for t in range(start, self.n):
            probs = filtered(logits, temperature, top_k, top_p)
            value = draw_from(probs, generator)
            self.tokens[:, t] = value
            shown = (t, probs[0], int(value[0]))
            if every and (t + 1 - start) % every == 0 and t + 1 < self.n:
                yield self.step(t + 1, shown)
            if t + 1 < self.n:
                logits = prior.run(prior.inputs(self.labels, value[:, None], t + 1), self.caches, t + 1)[:, -1]
        yield self.step(self.n, shown)

    def teacher_forced_logits(self, tokens: torch.Tensor) -> torch.Tensor:
        """Logits (B, 49, codes) of given token grids, one position at a time through the cache
        (the tests compare them with the full pass)."""
        prior, flat = self.model.prior, tokens.flatten(1)
        out = [prior.run(prior.inputs(self.labels, flat[:, :0]), self.caches, 0)[:, -1]]
        for t in range(1, self.n):
            out.append(prior.run(prior.inputs(self.labels, flat[:, t - 1:t], t), self.caches, t)[:, -1])
        return torch.stack(out, 1)


def naive_tokens(model, labels, generator, temperature=1.0, top_k=0, top_p=1.0) -> torch.Tensor:
    """Token ids (B, 7, 7) drawn without the cache: the whole prefix through the whole network
    at every step, the textbook loop (the same draws as ``Sampler.run``)."""
    rows, cols = model.grid
    tokens = torch.zeros(len(labels), 0, dtype=torch.long)
    for _ in range(rows * cols):
        probs = filtered(model.prior.run(model.prior.inputs(labels, tokens))[:, -1], temperature, top_k, top_p)
        tokens = torch.cat([tokens, draw_from(probs, generator)[:, None]], 1)
    return tokens.view(-1, rows, cols)
