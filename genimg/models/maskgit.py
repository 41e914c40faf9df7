"""MaskGIT (Chang et al. 2022, "MaskGIT: Masked Generative Image Transformer"): the Transformer
family's tokens, written many at a time instead of one after another.

An image is the same 7x7 grid of VQ-VAE tokens as in the Transformer family (this family starts
from that family's shipped tokenizer, ``Trainer.build_on``, and keeps it frozen). A
*bidirectional* Transformer sees the class and all 49 positions, some of them replaced by a
[MASK] token, and predicts what stands under every mask at once. Training hides a random share
r of each image's tokens, r = gamma(u) = cos(pi u / 2) with u ~ U(0, 1), and scores only the
hidden ones (``masked_token_loss``):

    loss = - E_{u, mask} sum_{i masked} log p(t_i | y, the tokens left visible)

Sampling (``Model.decode``) starts from 49 masks and runs K steps. Step k predicts every masked
token, draws a value for each, and commits the ones it is surest of, so that gamma(k / K) x 49
stay masked afterwards (``still_masked``): the cosine schedule commits few tokens first, when
little is known, and many at the end. A committed token is never changed. The surest are chosen
by the log-probability of the value drawn plus Gumbel noise scaled by ``randomness`` x (1 - k/K),
MaskGIT's annealed "choice temperature": early steps do not all commit the same easy tokens.
K = 8 writes 49 tokens in 8 network passes where the GPT takes 49; each pass sees all 50
positions, so the saving is in sequential steps, not in arithmetic.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import Option, Step, autocast
from .sampling import draw_from, filtered
from .transformer import Block
from .unet import EmaTrainer
from .vqvae import VQVAE

TITLE = "MaskGIT"
BUILDS_ON = ("transformer",)  # the Transformer family's tokenizer, copied in and frozen
SUMMARY = ("The Transformer tab's 49 tokens, written many at a time: a bidirectional Transformer fills in "
           "masked tokens, the surest first, in a few parallel steps.")
SCHEDULES = ("cosine", "linear", "square")
OPTIONS = (
    Option("steps", "Steps", 8, 1, 49, 1, "parallel decoding steps: 49 tokens in this many network passes",
           integer=True),
    Option("schedule", "Mask schedule", "cosine", 0, 0, 0, "how many tokens stay masked after each step: "
           "cos(π/2 · k/K) · 49, (1 − k/K) · 49 or (1 − (k/K)²) · 49", choices=SCHEDULES),
    Option("temperature", "Temperature", 1.0, 0.1, 2.0, 0.05,
           "divides the logits when a token's value is drawn: < 1 likely values, > 1 more chances"),
    Option("top_p", "Top-p", 0.9, 0.05, 1.0, 0.05,
           "draw only from the likeliest values that together hold this much probability (1: all); the "
           "training's label smoothing leaves a tenth of the mass spread over every code"),
    Option("randomness", "Choice randomness", 4.5, 0.0, 10.0, 0.5,
           "Gumbel noise on the confidences that pick which tokens to commit, fading to 0 by the last step"),
    Option("guidance", "Guidance scale", 1.0, 0.0, 10.0, 0.25,
           "0: ignore the class · 1: the plain conditional model (one pass a step) · more: push towards "
           "the class (two passes a step)"),
)
GRID = 7  # tokens per side, as the Transformer family's tokenizer makes them
TOKENS = GRID * GRID

# The tests' config (the real code at a size that runs in milliseconds), and the class accuracy
# the shipped checkpoints' samples must keep (issue #16).
TINY = dict(codes=8, code_dim=4, width=4, d_model=8, layers=2, heads=2)
BARS = {"mnist": 0.97, "fashion": 0.88}
FID_OVER_GPT = 1.5  # the scoreboard FID the shipped checkpoints keep, at most this times the GPT's (issue 38)


@dataclass
class Config:
    codes: int = 128  # the tokenizer's: the Transformer family's codebook (its weights are copied in)
    code_dim: int = 16
    width: int = 64
    # the bidirectional Transformer at the GPT's size (128 x 6): parallel decoding saves sequential
    # steps, not arithmetic (benchmarks/maskgit_speed.py), so it gets the same network to learn with
    d_model: int = 128
    layers: int = 6
    heads: int = 4
    num_classes: int = 10


def check_schedule(schedule: str) -> str:
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, got {schedule!r}")
    return schedule


def gamma(r: float, schedule: str = "cosine") -> float:
    """The share of tokens still masked at progress r in [0, 1]: 1 at the start, 0 at the end."""
    check_schedule(schedule)
    if schedule == "cosine":
        return math.cos(math.pi / 2 * r)
    return 1 - r if schedule == "linear" else 1 - r * r


def still_masked(steps: int, masked: int = TOKENS, schedule: str = "cosine") -> list[int]:
    """How many of ``masked`` tokens stay masked after each of ``steps`` steps: gamma(k / steps)
    of them, rounded down, but always at least one fewer than before (0 after the last step)."""
    left, out = masked, []
    for k in range(1, steps + 1):
        left = max(min(int(math.floor(masked * gamma(k / steps, schedule) + 1e-9)), left - 1), 0)
        out.append(left)
    return out


class BiTransformer(nn.Module):
    """(tokens (B, 49) with ``mask_id`` where hidden, class (B,)) -> logits (B, 49, codes).
    Position 0 holds the class (or "no class", the last entry, for guidance). The blocks are the
    GPT's (``transformer.Block``) without the causal mask: every position reads every other one."""

    def __init__(self, c: Config, tokens: int = TOKENS):
        """``tokens``: positions after the class (49 for the 7x7 grid; a benchmark's longer grids)."""
        super().__init__()
        d = c.d_model
        self.mask_id, self.null_class = c.codes, c.num_classes
        self.cls = nn.Embedding(c.num_classes + 1, d)
        self.tok = nn.Embedding(c.codes + 1, d)
        self.pos = nn.Parameter(torch.randn(tokens + 1, d) * 0.02)
        self.blocks = nn.ModuleList([Block(d, c.heads, causal=False) for _ in range(c.layers)])
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, c.codes)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)

    def forward(self, tokens: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        x = torch.cat([self.cls(labels)[:, None], self.tok(tokens)], 1) + self.pos
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln(x))[:, 1:]


class Model(nn.Module):
    grid = (GRID, GRID)

    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        self.tokenizer = VQVAE(config.codes, config.code_dim, config.width)
        self.net = BiTransformer(config)

    def tokenize(self, x01: torch.Tensor) -> torch.Tensor:
        """Images (B,1,28,28) in [0,1] -> token ids (B, 7, 7)."""
        return self.tokenizer.encode(x01)

    def detokenize(self, tokens: torch.Tensor) -> torch.Tensor:
        """Token ids (B, 7, 7) -> images (B,1,28,28) in [0,1]."""
        return self.tokenizer.decode(tokens)

    def blank_token(self) -> int:
        """The token of an empty patch: what a masked position is drawn as."""
        return int(self.tokenize(torch.zeros(1, 1, 28, 28))[0, GRID // 2, GRID // 2])

    def logits(self, tokens: torch.Tensor, labels: torch.Tensor, guidance: float) -> torch.Tensor:
        """Logits (B, 49, codes) for tokens (B, 49), -1 where masked, with classifier-free guidance:
        l(no class) + w (l(y) - l(no class)); w = 1 is one pass, anything else two in one batch."""
        inp = tokens.where(tokens >= 0, self.net.mask_id)
        null = torch.full_like(labels, self.net.null_class)
        if guidance == 1:
            return self.net(inp, labels)
        if guidance == 0:
            return self.net(inp, null)
        cond, uncond = self.net(inp.repeat(2, 1), torch.cat([labels, null])).chunk(2)
        return uncond + guidance * (cond - uncond)

    def nfe(self, steps=8, guidance=1.0, **_) -> int:
        """Transformer passes per image (two a step when guided), then one decoder pass."""
        return int(steps) * (1 if guidance in (0, 1) else 2) + 1

    def decode(self, labels, generator, steps=8, schedule="cosine", temperature=1.0, top_p=0.9, randomness=4.5,
               guidance=1.0, given=None, keep=None):
        """The parallel decoding loop: yield (tokens (B, 49), -1 where still masked; the step at
        which each token was committed (0: given or not yet); this step's draw at every position)
        after each of ``steps`` steps. With ``given`` (B,1,28,28 in [0,1]) and ``keep`` (7, 7)
        bool, the kept tokens of ``given`` are fixed and only the rest are drawn (inpainting)."""
        steps, schedule = int(steps), check_schedule(schedule)
        if steps < 1:
            raise ValueError(f"steps must be at least 1, got {steps}")
        b, n = len(labels), self.net.pos.shape[0] - 1  # n: 49 tokens (a benchmark's grids: more)
        tokens = torch.full((b, n), -1, dtype=torch.long)
        if given is not None:
            kept = keep.flatten().bool()
            tokens[:, kept] = self.tokenize(given).flatten(1)[:, kept]
        fixed = torch.zeros(b, n, dtype=torch.long)
        for k, left in enumerate(still_masked(steps, int((tokens < 0).sum(1).max()), schedule), 1):
            masked = tokens < 0
            probs = filtered(self.logits(tokens, labels, guidance), temperature, top_p=top_p)  # (B, 49, codes)
            drawn = draw_from(probs.reshape(-1, probs.shape[-1]), generator).view(b, n)
            conf = probs.gather(-1, drawn[..., None])[..., 0].clamp_min(1e-30).log()
            u = torch.rand(b, n, generator=generator).clamp(1e-20, 1 - 1e-7)
            conf = conf + randomness * (1 - k / steps) * -torch.log(-torch.log(u))  # Gumbel noise
            conf = conf.masked_fill(~masked, -math.inf)  # only masked positions compete
            commit = masked.sum(1) - left  # the surest ``commit`` of them are fixed for good
            rank = torch.empty_like(fixed).scatter_(1, conf.argsort(1, descending=True),
                                                    torch.arange(n).expand(b, -1))
            now = masked & (rank < commit[:, None])
            tokens, fixed = tokens.where(~now, drawn), fixed.where(~now, k)
            yield tokens, fixed, drawn

    @torch.no_grad()
    def stream(self, labels, generator, **options):
        """Yield a ``Step`` per decoding step (``decode``'s options): the committed tokens decoded
        (masked ones as a blank patch), the preview with this step's draw in every masked place,
        and as extras the ``tokens`` and ``fixed``, the step at which each token was committed."""
        steps, blank, b = int(options.get("steps", 8)), self.blank_token(), len(labels)
        for k, (tokens, fixed, drawn) in enumerate(self.decode(labels, generator, **options), 1):
            grid = tokens.view(b, GRID, GRID)
            yield Step(self.detokenize(grid.where(grid >= 0, blank)), k, steps,
                       preview=self.detokenize(tokens.where(tokens >= 0, drawn).view(b, GRID, GRID)),
                       extras={"tokens": grid.clone(), "fixed": fixed.view(b, GRID, GRID)})

    @torch.no_grad()
    def sample(self, labels, generator, **options):
        """Decode in parallel steps, then turn the tokens into pixels once."""
        *_, (tokens, _, _) = self.decode(labels, generator, **options)
        return self.detokenize(tokens.view(-1, GRID, GRID))

    @torch.no_grad()
    def frames(self, labels, generator, **options):
        """The decoded canvas after every step (masked tokens blank), ending with the sample."""
        for step in self.stream(labels, generator, **options):
            yield step.canvas

    @torch.no_grad()
    def inpaint(self, given, keep, labels, generator, **options):
        """Keep the tokens of ``given`` (B,1,28,28 in [0,1]) where ``keep`` (7, 7) is true; draw the rest."""
        return self.sample(labels, generator, given=given, keep=keep, **options)


def masked_token_loss(model: Model, x01: torch.Tensor, y: torch.Tensor, generator: torch.Generator,
                      drop_class: float = 0.1, smoothing: float = 0.0) -> torch.Tensor:
    """Cross-entropy of the masked tokens only: each image hides ceil(cos(pi u / 2) x 49) of its
    tokens (u uniform, at least one), chosen at random; its class is dropped a ``drop_class``
    share of the time (guidance needs the model without a class too). ``smoothing``: the target
    puts that share of its mass evenly on every code (label smoothing), so the network is never
    pushed to certainty about a hidden token."""
    with torch.no_grad():
        tokens = model.tokenize(x01).flatten(1)
    b = len(tokens)
    u = torch.rand(b, generator=generator)
    hidden = (TOKENS * torch.cos(math.pi / 2 * u)).ceil().clamp(1, TOKENS).to(x01.device)
    rank = torch.rand(b, TOKENS, generator=generator).argsort(1).argsort(1).to(x01.device)
    mask = rank < hidden[:, None]
    drop = (torch.rand(b, generator=generator) < drop_class).to(x01.device)
    net = model.net.train()
    with autocast(x01.device):
        logits = net(tokens.masked_fill(mask, net.mask_id), torch.where(drop, net.null_class, y))
    per_token = F.cross_entropy(logits.float().transpose(1, 2), tokens, reduction="none",
                                label_smoothing=smoothing)  # (B, 49)
    return (per_token * mask).sum() / mask.sum()  # the mean over the masked positions only


@torch.no_grad()
def any_order_nll(model: Model, tokens: torch.Tensor, labels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """An upper bound on -log p(tokens | class) in nats, (B,), tokens (B, 49): the any-order
    autoregressive bound (Uria et al. 2014). Writing the tokens in a random order sigma, each read
    from the network with the ones not yet written masked, is a proper model for every order; by
    Jensen's inequality -log p(x) <= E_sigma sum_k -log p(x_sigma(k) | x_sigma(<k)), which is
    N E_{m ~ U{1..N}} E_{|M| = m} (1/m) sum_{i in M} -log p(x_i | x_{not M}): one draw of (m, M)
    per image estimates it without bias, in the GPT's units (an unweighted mean of masked
    cross-entropies is not a likelihood)."""
    b, n = tokens.shape
    m = torch.randint(1, n + 1, (b,), generator=generator)
    masked = torch.rand(b, n, generator=generator).argsort(1).argsort(1) < m[:, None]
    logits = model.net.eval()(tokens.masked_fill(masked, model.net.mask_id), labels)
    ce = F.cross_entropy(logits.float().transpose(1, 2), tokens, reduction="none")  # (B, 49)
    return n * (ce * masked).sum(1) / m


def likelihood(model: Model, dataset: str, data_dir=None, draws: int = 4) -> dict:
    """The scoreboard's likelihood: the any-order bound on the test images' tokens (``draws``
    estimates per image, averaged), in the GPT's units."""
    from ..data import load_tensors

    x, y = load_tensors(dataset, "test", data_dir)
    gen, nats = torch.Generator().manual_seed(0), []
    for i in range(0, len(x), 1000):
        tokens = model.tokenize((x[i:i + 1000] + 1) / 2).flatten(1)
        nats += [any_order_nll(model, tokens, y[i:i + 1000], gen) for _ in range(draws)]
    per_image = torch.cat(nats).mean().item()
    per_token = per_image / TOKENS
    return {"kind": "bound: any order, over tokens", "test_nats_per_token": round(per_token, 4),
            "test_bits_per_token": round(per_token / math.log(2), 4), "test_nats_per_image": round(per_image, 2)}


class Trainer(EmaTrainer):
    """The Transformer family's shipped tokenizer, frozen; the bidirectional Transformer trained on
    each batch's tokens with the masked-token loss (cosine masking ratio, label smoothing 0.1, the
    class dropped 10% of the time); AdamW 1e-3 with 200 warm-up steps and cosine decay to a tenth, clipping at 1,
    bfloat16 autocast where the device has it; samples from an EMA of the weights (decay up to
    0.999)."""

    epochs = 12
    batch_size = 128
    drop_class = 0.1
    smoothing = 0.1  # label smoothing of the masked tokens' targets (MaskGIT's recipe)

    def __init__(self, model: Model, total_steps: int, lr: float = 1e-3):
        super().__init__(model, total_steps, lr)
        model.tokenizer.eval().requires_grad_(False)

    def build_on(self, dataset: str, root=None, fresh: bool = True) -> dict:
        """Copy in the Transformer family's tokenizer for ``dataset``; the card names it."""
        from .. import checkpoint
        from . import transformer

        shipped, card = checkpoint.load(BUILDS_ON[0], dataset, transformer.Config, transformer.Model, root)
        self.model.tokenizer.load_state_dict(shipped.tokenizer.state_dict())
        return {"tokenizer": {"family": BUILDS_ON[0], "dataset": dataset, "sha256": card["sha256"]}}

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> dict:
        loss = masked_token_loss(self.model, (x + 1) / 2, y, generator, self.drop_class, self.smoothing)
        self.update(loss)
        return {"nats_per_masked_token": loss.item()}

    @staticmethod
    def evaluate(model: Model, dataset: str, data_dir=None) -> dict:
        from ..metrics import sample_quality

        # the bars go into the card beside what was measured, for the docs and the tests to read
        bars = {"class_accuracy": BARS[dataset], "fid_over_gpt": FID_OVER_GPT}
        return {**sample_quality(model, dataset, data_dir=data_dir), "bars": bars}
