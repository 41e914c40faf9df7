"""The tokenizer of the Transformer family: a VQ-VAE (van den Oord et al. 2017, "Neural Discrete
Representation Learning") that turns a 28x28 image into a 7x7 grid of codebook ids and back.

* The encoder maps the image to a 7x7 grid of ``dim``-dimensional vectors.
* ``Quantizer.lookup`` replaces each vector by the id of its nearest codebook entry (squared
  Euclidean distance): the image is now 49 integers, like 49 words of a sentence.
* The decoder maps the 7x7 grid of codebook vectors back to an image.

The nearest-entry lookup has no gradient, so training uses the *straight-through estimator*:
the decoder receives ``z + (q - z).detach()``, which equals ``q`` in the forward pass and
passes the decoder's gradient on to the encoder output ``z`` unchanged. The codebook follows
the encoder outputs assigned to it by exponential moving averages (``CodebookEMA``); entries
that no output has chosen for a while are moved onto random encoder outputs, so that no code
stays dead.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class ResBlock(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.body = nn.Sequential(nn.ReLU(), nn.Conv2d(c, c // 2, 3, padding=1), nn.ReLU(),
                                  nn.Conv2d(c // 2, c, 1))

    def forward(self, x):
        return x + self.body(x)


class Quantizer(nn.Module):
    """A codebook of ``codes`` vectors of size ``dim`` (a buffer: updated by EMA, not by Adam)."""

    def __init__(self, codes: int, dim: int):
        super().__init__()
        self.register_buffer("codebook", torch.randn(codes, dim) * 0.1)

    def lookup(self, z: torch.Tensor) -> torch.Tensor:
        """Encoder outputs (B, dim, H, W) -> ids (B, H, W) of the nearest codebook entries."""
        b, d, h, w = z.shape
        flat = z.permute(0, 2, 3, 1).reshape(-1, d)
        cb = self.codebook
        dist = flat.pow(2).sum(1, keepdim=True) - 2 * flat @ cb.T + cb.pow(2).sum(1)
        return dist.argmin(1).view(b, h, w)

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        """Ids (B, H, W) -> codebook vectors (B, dim, H, W)."""
        return self.codebook[ids].permute(0, 3, 1, 2)

    def forward(self, z: torch.Tensor):
        """-> (straight-through vectors for the decoder, ids, the codebook vectors)."""
        ids = self.lookup(z)
        q = self.embed(ids)
        return z + (q - z).detach(), ids, q


class VQVAE(nn.Module):
    def __init__(self, codes: int = 128, dim: int = 16, width: int = 64):
        super().__init__()
        w = width
        self.encoder = nn.Sequential(
            nn.Conv2d(1, w, 4, 2, 1), nn.ReLU(),  # 14x14
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.ReLU(),  # 7x7
            nn.Conv2d(2 * w, 2 * w, 3, padding=1), ResBlock(2 * w), ResBlock(2 * w), nn.ReLU(),
            nn.Conv2d(2 * w, dim, 1))
        self.quantizer = Quantizer(codes, dim)
        self.decoder = nn.Sequential(
            nn.Conv2d(dim, 2 * w, 3, padding=1), ResBlock(2 * w), ResBlock(2 * w), nn.ReLU(),
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.ReLU(),  # 14x14
            nn.ConvTranspose2d(w, 1, 4, 2, 1))  # 28x28 logits

    def encode(self, x01: torch.Tensor) -> torch.Tensor:
        """Images (B,1,28,28) in [0,1] -> token ids (B, 7, 7)."""
        return self.quantizer.lookup(self.encoder(x01 * 2 - 1))

    def decode(self, ids: torch.Tensor) -> torch.Tensor:
        """Token ids (B, 7, 7) -> images (B,1,28,28) in [0,1]."""
        return torch.sigmoid(self.decoder(self.quantizer.embed(ids)))

    def forward(self, x01: torch.Tensor):
        """-> (reconstruction logits, encoder output z, ids, codebook vectors q)."""
        z = self.encoder(x01 * 2 - 1)
        zq, ids, q = self.quantizer(z)
        return self.decoder(zq), z, ids, q


class CodebookEMA:
    """The codebook's training rule: each entry moves to the running mean of the encoder outputs
    that chose it; an entry chosen less than ``dead`` times per batch (on average lately) is
    restarted at a random encoder output of the batch."""

    def __init__(self, quantizer: Quantizer, decay: float = 0.99, dead: float = 0.03):
        self.q, self.decay, self.dead = quantizer, decay, dead
        k = quantizer.codebook.shape[0]
        self.count = torch.ones(k)
        self.total = quantizer.codebook.detach().clone()
        self.started = False

    @torch.no_grad()
    def update(self, z: torch.Tensor, ids: torch.Tensor, generator: torch.Generator) -> dict:
        d = z.shape[1]
        flat = z.detach().float().permute(0, 2, 3, 1).reshape(-1, d)
        ids = ids.flatten()
        k = self.count.shape[0]
        self.count, self.total = self.count.to(z.device), self.total.to(z.device)  # follow the model
        if not self.started:  # start the codebook on the data, not on random vectors
            pick = torch.randint(len(flat), (k,), generator=generator).to(flat.device)
            self.total.copy_(flat[pick])  # count 1 each: an entry not chosen soon is restarted
            self.q.codebook.copy_(flat[pick])
            self.started = True
            return {"code_perplexity": 0.0, "dead_codes": 0}
        onehot = F.one_hot(ids, k).float()
        n = onehot.sum(0)
        self.count.mul_(self.decay).add_(n, alpha=1 - self.decay)
        self.total.mul_(self.decay).add_(onehot.T @ flat, alpha=1 - self.decay)
        self.q.codebook.copy_(self.total / self.count.clamp_min(1e-5)[:, None])
        dead = self.count < self.dead * len(flat) / k
        if dead.any():
            pick = torch.randint(len(flat), (int(dead.sum()),), generator=generator).to(flat.device)
            self.q.codebook[dead] = flat[pick]
            self.total[dead] = flat[pick]
            self.count[dead] = 1.0
        p = n / n.sum()
        perplexity = torch.exp(-(p * p.clamp_min(1e-12).log()).sum()).item()
        return {"code_perplexity": perplexity, "dead_codes": int(dead.sum())}

    def state_dict(self) -> dict:
        return {"count": self.count, "total": self.total, "started": self.started}

    def load_state_dict(self, state: dict) -> None:
        self.count, self.total, self.started = state["count"], state["total"], bool(state["started"])


def usage(ids: torch.Tensor, codes: int) -> dict:
    """How a set of token ids uses the codebook: the share of entries used at all, and the
    perplexity exp(entropy) of the code frequencies (``codes`` if all are used equally)."""
    n = torch.bincount(ids.flatten(), minlength=codes).float()
    p = n / n.sum()
    return {"codes_used": int((n > 0).sum()), "codes": codes,
            "code_perplexity": round(torch.exp(-(p * p.clamp_min(1e-12).log()).sum()).item(), 1)}


@torch.no_grad()
def token_likelihood(model, dataset: str, data_dir=None) -> dict:
    """A tokenizer + prior model (``tokenize``, ``detokenize``, ``nll``) on the test set: the
    tokenizer's reconstruction error (per pixel, [0,1] units) and codebook usage, and the prior's
    exact negative log-likelihood of the test images' tokens (per token and per image of 49)."""
    from ..data import load_tensors

    x, y = load_tensors(dataset, "test", data_dir)
    x01 = (x + 1) / 2
    tokens = torch.cat([model.tokenize(x01[i:i + 1000]) for i in range(0, len(x), 1000)])
    recon = torch.cat([model.detokenize(tokens[i:i + 1000]) for i in range(0, len(x), 1000)])
    nats = torch.cat([model.nll(tokens[i:i + 1000], y[i:i + 1000]) for i in range(0, len(x), 1000)]).mean().item()
    per_token = nats / tokens[0].numel()
    return {"tokenizer": {"test_mse": round((recon - x01).pow(2).mean().item(), 5),
                          **usage(tokens, model.config.codes)},
            "prior": {"test_nats_per_token": round(per_token, 4),
                      "test_bits_per_token": round(per_token / math.log(2), 4),
                      "test_nats_per_image": round(nats, 2)}}
