"""A class-conditional Transformer over image tokens: the language-model recipe applied to images
(VQ-VAE + autoregressive prior, van den Oord et al. 2017; a GPT prior as in Esser et al. 2021).

An image is first turned into 49 tokens by the VQ-VAE in ``vqvae.py`` (a 7x7 grid of codebook
ids). A decoder-only Transformer then models them in raster order, like words of a sentence:

    p(t_1 .. t_49 | y) = prod_i p(t_i | y, t_1 .. t_{i-1})

The class y is the first token of the sequence (a "prefix"), every position has a learned
embedding, and causal self-attention lets position i attend only to positions <= i. Sampling
draws one token per step and keeps every layer's keys and values (the *KV cache*), so each
step runs the network on one new position instead of the whole prefix; ``naive_tokens``
recomputes the prefix every step and draws the same tokens. The decoder of the VQ-VAE turns the
49 tokens into pixels.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from . import Option, autocast
from .vqvae import VQVAE, CodebookEMA, token_likelihood

TITLE = "Transformer"
SUMMARY = ("A VQ-VAE turns each image into 49 tokens; a GPT-style Transformer writes them one at a "
           "time, like words of a sentence, and the decoder turns them into pixels.")
OPTIONS = (
    Option("temperature", "Temperature", 1.0, 0.1, 2.0, 0.05,
           "divides the logits: < 1 picks likely tokens, > 1 takes more chances"),
    Option("top_k", "Top-k", 0, 0, 128, 1, "draw only from the k likeliest tokens (0: all of them)",
           integer=True),
    Option("top_p", "Top-p", 0.95, 0.05, 1.0, 0.05,
           "draw only from the likeliest tokens that together hold this much probability (1: all)"),
)
TOP_P = OPTIONS[2].default  # nucleus sampling by default: the least likely 5% of the mass is never drawn
GRID = 7  # tokens per side: 49 tokens per image


# The tests' config (the real code at a size that runs in milliseconds), and the class
# accuracy the shipped checkpoints' samples must keep (issue #4).
TINY = dict(codes=8, code_dim=4, width=4, d_model=8, layers=2, heads=2)
BARS = {"mnist": 0.97, "fashion": 0.85}


@dataclass
class Config:
    codes: int = 128  # codebook entries: the vocabulary of image tokens
    code_dim: int = 16  # size of a codebook vector
    width: int = 64  # channels of the VQ-VAE's first conv (twice that at 7x7)
    d_model: int = 128  # the Transformer's width
    layers: int = 6
    heads: int = 4
    num_classes: int = 10
    tokenizer_steps: int = 0  # training only: steps of the VQ-VAE stage (0: a sixth of the run)


def attention(q, k, v, offset: int = 0, causal: bool = True):
    """softmax(Q K^T / sqrt(d) + causal mask) V, for queries at positions offset.. and keys at
    positions 0..: a query never attends to a later key (with ``causal``; without it every
    query reads every key, as MaskGIT's network does). Returns (output, weights)."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if causal and q.shape[-2] > 1:  # one query at the newest position sees every key: nothing to mask
        i = torch.arange(q.shape[-2], device=q.device)[:, None] + offset
        scores = scores.masked_fill(torch.arange(k.shape[-2], device=q.device)[None] > i, float("-inf"))
    weights = scores.softmax(-1)
    return weights @ v, weights


def attended(n: int = 12) -> np.ndarray:
    """Which positions each of the first ``n`` positions attends to, read off ``attention``
    itself (uniform scores, one-hot values): (n, n) uint8, 1 where row i reads column j."""
    q = k = torch.zeros(1, n, 1)
    _, weights = attention(q, k, torch.eye(n)[None])
    return (weights[0] > 0).to(torch.uint8).numpy()


class SelfAttention(nn.Module):
    def __init__(self, d: int, heads: int, causal: bool = True):
        super().__init__()
        self.heads, self.causal = heads, causal
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)

    def forward(self, x, cache=None, start: int = 0):
        """``x`` (B, T, d) at positions start..start+T-1. With ``cache`` (key and value buffers of
        shape (B, heads, 49, d/heads)) the new keys and values are stored and the queries attend
        to everything stored so far."""
        b, t, d = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        if cache is not None:
            keys, values = cache
            keys[:, :, start:start + t], values[:, :, start:start + t] = k, v
            k, v = keys[:, :, :start + t], values[:, :, :start + t]
        y, _ = attention(q, k, v, start, self.causal)
        return self.proj(y.transpose(1, 2).reshape(b, t, d))


class Block(nn.Module):
    """Pre-norm: x + attention(LN(x)), then x + MLP(LN(x)); causal for the GPT, not for MaskGIT."""

    def __init__(self, d: int, heads: int, causal: bool = True):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = SelfAttention(d, heads, causal)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x, cache=None, start: int = 0):
        x = x + self.attn(self.ln1(x), cache, start)
        return x + self.mlp(self.ln2(x))


class Prior(nn.Module):
    """The GPT: position 0 holds the class, position i > 0 the token i-1; the output at position
    i is the distribution of token i."""

    def __init__(self, c: Config, tokens: int = GRID * GRID):
        """``tokens``: positions of the sequence (49 for the 7x7 grid; a benchmark's longer grids)."""
        super().__init__()
        d, n = c.d_model, tokens
        self.cls = nn.Embedding(c.num_classes, d)
        self.tok = nn.Embedding(c.codes, d)
        self.pos = nn.Parameter(torch.randn(n, d) * 0.02)
        self.blocks = nn.ModuleList([Block(d, c.heads) for _ in range(c.layers)])
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, c.codes)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)

    def inputs(self, labels: torch.Tensor, tokens: torch.Tensor, start: int = 0) -> torch.Tensor:
        """Embedded inputs at positions start..: the class at 0, then ``tokens`` (B, T)."""
        parts = [self.cls(labels)[:, None]] if start == 0 else []
        parts.append(self.tok(tokens))
        x = torch.cat(parts, 1)
        return x + self.pos[start:start + x.shape[1]]

    def run(self, x: torch.Tensor, caches=None, start: int = 0) -> torch.Tensor:
        """Embedded inputs (B, T, d) at positions start.. -> logits (B, T, codes)."""
        for i, block in enumerate(self.blocks):
            x = block(x, None if caches is None else caches[i], start)
        return self.head(self.ln(x))

    def forward(self, labels: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: tokens (B, T), 1 <= T <= 49 -> logits (B, T, codes); logits[:, i]
        see only the class and tokens < i."""
        return self.run(self.inputs(labels, tokens[:, :-1]))


class Model(nn.Module):
    grid = (GRID, GRID)  # the sequence, as the rows and columns of the token map

    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        self.tokenizer = VQVAE(config.codes, config.code_dim, config.width)
        self.prior = Prior(config)

    def tokenize(self, x01: torch.Tensor) -> torch.Tensor:
        """Images (B,1,28,28) in [0,1] -> token ids (B, 7, 7)."""
        return self.tokenizer.encode(x01)

    def detokenize(self, tokens: torch.Tensor) -> torch.Tensor:
        """Token ids (B, 7, 7) -> images (B,1,28,28) in [0,1]."""
        return self.tokenizer.decode(tokens)

    def kept(self, given: torch.Tensor, rows: int) -> torch.Tensor:
        """The top ``rows`` token rows of ``given`` (B,1,28,28 in [0,1]) decoded, the rest of the
        grid a blank patch's token."""
        tokens = self.tokenize(given)
        tokens[:, rows:] = self.blank_token()
        return self.detokenize(tokens)

    def blank_token(self) -> int:
        """The token of an empty patch: what not-yet-drawn tokens are decoded as."""
        return int(self.tokenize(torch.zeros(1, 1, 28, 28))[0, GRID // 2, GRID // 2])

    def nll(self, tokens: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Negative log-likelihood of each token grid (B, 7, 7) under the prior, in nats, (B,)."""
        flat = tokens.flatten(1)
        return F.cross_entropy(self.prior(labels, flat).transpose(1, 2), flat, reduction="none").sum(1)

    def nfe(self, **_) -> int:
        return GRID * GRID + 1  # one cached Transformer step per token, then one decoder pass

    @torch.no_grad()
    def sample(self, labels, generator, temperature=1.0, top_k=0, top_p=TOP_P):
        *_, last = self.stream(labels, generator, temperature, top_k, top_p, every=0)
        return last.canvas

    @torch.no_grad()
    def complete(self, given, rows: int, labels, generator, temperature=1.0, top_k=0, top_p=TOP_P):
        """Keep the top ``rows`` token rows of ``given`` (B,1,28,28 in [0,1]) and sample the rest."""
        *_, last = self.stream(labels, generator, temperature, top_k, top_p, given=given, rows=rows, every=0)
        return last.canvas

    @torch.no_grad()
    def frames(self, labels, generator, temperature=1.0, top_k=0, top_p=TOP_P, every: int = GRID):
        """The decoded canvas every ``every`` tokens (tokens not drawn yet blank), ending with
        the sample."""
        for step in self.stream(labels, generator, temperature, top_k, top_p, every=every):
            yield step.canvas

    @torch.no_grad()
    def stream(self, labels, generator, temperature=1.0, top_k=0, top_p=TOP_P, given=None, rows=0, every=1):
        """Yield a ``Step`` every ``every`` sampled tokens (0: only the last one); with ``given``,
        keep its top ``rows`` token rows and draw the rest."""
        from .transformer_sampler import Sampler

        yield from Sampler(self, labels).run(generator, temperature, int(top_k), top_p, given, rows, every)

    @torch.no_grad()
    def sample_naive(self, labels, generator, temperature=1.0, top_k=0, top_p=TOP_P) -> torch.Tensor:
        """``sample`` without the KV cache: the same images, far slower."""
        return self.detokenize(self.naive_tokens(labels, generator, temperature, top_k, top_p))

    @torch.no_grad()
    def naive_tokens(self, labels, generator, temperature=1.0, top_k=0, top_p=TOP_P) -> torch.Tensor:
        """Token ids (B, 7, 7) drawn without the KV cache (the same draws as ``stream``)."""
        from .transformer_sampler import naive_tokens

        return naive_tokens(self, labels, generator, temperature, int(top_k), top_p)


class Trainer:
    """Two stages in one run. First 1/6 of the steps (or ``tokenizer_steps``): the VQ-VAE, with binary cross-entropy
    of the reconstruction + 0.25 x the commitment loss |z - sg(q)|^2 (Adam 1e-3), the codebook
    by moving averages with dead-code restarts. Then the tokenizer is frozen and the rest train
    the Transformer on the tokens of each batch with next-token cross-entropy (AdamW 1e-3,
    betas 0.9/0.95, weight decay 0.01, 100 warm-up steps, cosine decay, clipping at 1, bfloat16
    autocast where the device has it)."""

    epochs = 12
    batch_size = 128
    tokenizer_share = 1 / 6
    beta = 0.25
    trained = ("model.tokenizer", "model.prior")  # what the step calls and trains (distributed.shared)

    def __init__(self, model: Model, total_steps: int, lr: float = 1e-3):
        self.model, self.total_steps, self.done = model, total_steps, 0
        share = model.config.tokenizer_steps or round(total_steps * self.tokenizer_share)
        self.split = min(max(1, share), max(total_steps - 1, 1))
        self.ema = CodebookEMA(model.tokenizer.quantizer)
        self.tok_opt = torch.optim.Adam(model.tokenizer.parameters(), lr=lr)
        self.opt = torch.optim.AdamW(model.prior.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.01)
        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, self._lr_factor)

    def _lr_factor(self, i: int) -> float:
        steps = max(self.total_steps - self.split, 1)
        if i < 100:
            return (i + 1) / 100
        return 0.5 * (1 + math.cos(math.pi * min(i / steps, 1.0)))

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> dict:
        self.done += 1
        x01 = (x + 1) / 2
        if self.done <= self.split:
            return self._tokenizer_step(x01, generator)
        vq = self.model.tokenizer.eval()
        with torch.no_grad():
            tokens = vq.encode(x01).flatten(1)
        self.model.prior.train()
        with autocast(x.device):
            logits = self.model.prior(y, tokens)
        loss = F.cross_entropy(logits.float().transpose(1, 2), tokens)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(self.model.prior.parameters(), 1.0)
        self.opt.step()
        self.sched.step()
        return {"nats_per_token": loss.item()}

    def _tokenizer_step(self, x01, generator) -> dict:
        vq = self.model.tokenizer.train()
        logits, z, ids, q = vq(x01)
        recon = F.binary_cross_entropy_with_logits(logits, x01)
        commit = (z - q.detach()).pow(2).mean()
        self.tok_opt.zero_grad(set_to_none=True)
        (recon + self.beta * commit).backward()
        self.tok_opt.step()
        logs = self.ema.update(z, ids, generator)
        mse = (torch.sigmoid(logits.detach()) - x01).pow(2).mean().item()
        return {"recon_mse": mse, **logs}

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "tok_opt": self.tok_opt.state_dict(),
                "opt": self.opt.state_dict(), "sched": self.sched.state_dict(),
                "ema": self.ema.state_dict(), "done": self.done, "split": self.split}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.tok_opt.load_state_dict(state["tok_opt"])
        self.opt.load_state_dict(state["opt"])
        self.sched.load_state_dict(state["sched"])
        self.ema.load_state_dict(state["ema"])
        self.done, self.split = int(state["done"]), int(state["split"])  # a longer run keeps its split

    def inference_model(self, x: torch.Tensor, y: torch.Tensor) -> Model:
        return self.model.eval()

    @staticmethod
    def evaluate(model: Model, dataset: str, data_dir=None) -> dict:
        from ..metrics import sample_quality

        plain = sample_quality(model, dataset, data_dir=data_dir, top_p=1.0)  # every token may be drawn
        return {**sample_quality(model, dataset, data_dir=data_dir),
                "with_top_p_1": {k: plain[k] for k in ("class_accuracy", "class_accuracy_per_class", "diversity")},
                **token_likelihood(model, dataset, data_dir=data_dir)}


def likelihood(model: Model, dataset: str, data_dir=None) -> dict:
    """The scoreboard's likelihood: the prior's exact test-set NLL of the images' tokens."""
    return {"kind": "exact, over tokens", **token_likelihood(model, dataset, data_dir)["prior"]}
