"""The denoising network of the Diffusion family: a small class-conditional UNet for 28x28.

x_t (B,1,28,28), the timestep t and the class y -> the network's prediction (B,1,28,28)
(v, see ``schedulers.py``). Three resolutions (28, 14, 7) with residual blocks; the timestep
and the class (or "no class", for classifier-free guidance) are embedded together and added
inside every block; self-attention over the 49 positions at 7x7, where it is cheap; skip
connections carry each resolution's features from the way down to the way up.

The families that denoise (Diffusion, Flow matching, and Latent diffusion with a network of its
own) also share ``Denoiser`` (guidance in an interval, sample and frames read off ``stream``)
and ``EmaTrainer`` (AdamW, warm-up and cosine decay, EMA weights).
"""
from __future__ import annotations

import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def timestep_embedding(t: torch.Tensor, dim: int, period: float = 10_000.0) -> torch.Tensor:
    """Sinusoidal features of the timesteps (B,) as in the Transformer's positions, (B, dim)."""
    half = dim // 2
    freqs = torch.exp(-math.log(period) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    angles = t.float()[:, None] * freqs[None]
    return torch.cat([angles.sin(), angles.cos()], 1)


def norm(c: int) -> nn.GroupNorm:
    return nn.GroupNorm(min(8, c // 4) or 1, c)


class ResBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, emb: int):
        super().__init__()
        self.n1, self.c1 = norm(c_in), nn.Conv2d(c_in, c_out, 3, padding=1)
        self.emb = nn.Linear(emb, 2 * c_out)  # scale and shift of the second norm
        self.n2, self.c2 = norm(c_out), nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()
        nn.init.zeros_(self.c2.weight)  # each block starts as the identity
        nn.init.zeros_(self.c2.bias)

    def forward(self, x, e):
        h = self.c1(F.silu(self.n1(x)))
        scale, shift = self.emb(e)[:, :, None, None].chunk(2, 1)
        h = self.c2(F.silu(self.n2(h) * (1 + scale) + shift))
        return self.skip(x) + h


class Attention(nn.Module):
    def __init__(self, c: int, heads: int = 4):
        super().__init__()
        self.heads, self.n = heads, norm(c)
        self.qkv, self.out = nn.Conv2d(c, 3 * c, 1), nn.Conv2d(c, c, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x):
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.n(x)).view(b, 3, self.heads, c // self.heads, h * w).unbind(1)
        y = F.scaled_dot_product_attention(q.transpose(-1, -2), k.transpose(-1, -2), v.transpose(-1, -2))
        return x + self.out(y.transpose(-1, -2).reshape(b, c, h, w))


class Passthrough(nn.Module):
    """Where a block was dropped: hands its input on unchanged."""

    def forward(self, x, e):
        return x


class UNet(nn.Module):
    def __init__(self, widths=(24, 48, 96), emb: int = 128, num_classes: int = 10, attention: bool = True,
                 first_block: bool = True):
        """``first_block=False`` leaves out the block at full resolution on the way down (its
        convolutions on 28x28 are a fifth of the network's time; the One step student drops it)."""
        super().__init__()
        self.widths, self.emb_dim = tuple(widths), emb
        self.time = nn.Sequential(nn.Linear(emb, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.label = nn.Embedding(num_classes + 1, emb)  # the last entry: no class
        self.null_class = num_classes
        a, b, c = widths
        self.inp = nn.Conv2d(1, a, 3, padding=1)
        first = ResBlock(a, a, emb) if first_block else Passthrough()
        self.down = nn.ModuleList([first, ResBlock(a, b, emb), ResBlock(b, c, emb)])
        self.pool = nn.ModuleList([nn.Conv2d(a, a, 3, 2, 1), nn.Conv2d(b, b, 3, 2, 1)])  # 28->14->7
        self.mid = ResBlock(c, c, emb)
        self.attn = Attention(c) if attention else nn.Identity()
        self.up = nn.ModuleList([ResBlock(2 * c, c, emb), ResBlock(2 * b, b, emb), ResBlock(2 * a, a, emb)])
        # to the next width at the low resolution (cheap), then nearest-neighbour upsampling
        self.unpool = nn.ModuleList([nn.Conv2d(c, b, 3, padding=1), nn.Conv2d(b, a, 3, padding=1)])
        self.out = nn.Sequential(norm(a), nn.SiLU(), nn.Conv2d(a, 1, 3, padding=1))
        nn.init.zeros_(self.out[-1].weight)
        nn.init.zeros_(self.out[-1].bias)

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """``t`` (B,) timesteps, ``y`` (B,) classes with ``null_class`` for "no class"."""
        e = self.time(timestep_embedding(t, self.emb_dim)) + self.label(y)
        h = self.inp(x)
        skips = []
        for i, block in enumerate(self.down):
            h = block(h, e)
            skips.append(h)
            if i < len(self.pool):
                h = self.pool[i](h)
        h = self.attn(self.mid(h, e))
        for i, block in enumerate(self.up):
            h = block(torch.cat([h, skips.pop()], 1), e)
            if i < len(self.unpool):
                h = F.interpolate(self.unpool[i](h), scale_factor=2, mode="nearest")
        return self.out(h)


class Denoiser(nn.Module):
    """What the families that denoise with this UNet share (Diffusion, Flow matching): the
    network, classifier-free guidance in an interval of noise levels, and ``sample`` and
    ``frames`` read off the family's ``stream`` (which yields a ``Step`` per step)."""

    batch = 64  # images per network pass when generating many: at 64 the UNet's activations stay
    # in the CPU's caches; 500 at once was 1.8x slower per image on 2 cores

    def __init__(self, config, net: nn.Module | None = None):
        """``net``: the denoising network (default: the UNet of ``config``'s widths); it takes
        (x, t, y) and has ``null_class``, the class id that means "no class"."""
        super().__init__()
        self.config = config
        self.net = net if net is not None else UNet(tuple(config.widths), config.emb, config.num_classes,
                                                    config.attention)

    @staticmethod
    def guidance_at(level: float, guidance: float, guide_from: float = 1.0, guide_to: float = 0.0) -> float:
        """The guidance scale at noise level ``level`` (1: pure noise, 0: clean): ``guidance``
        inside guide_to <= level <= guide_from, the plain conditional model (1) outside it."""
        if guide_to > guide_from:
            raise ValueError(f"guide_to must be at most guide_from (the interval runs from noisy to clean), "
                             f"got guide_from={guide_from} and guide_to={guide_to}")
        return guidance if guide_to <= level <= guide_from else 1.0

    def guided_net(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor, guidance: float) -> torch.Tensor:
        """out(no class) + w (out(y) - out(no class)) at (x, t): one pass without guidance's extra
        work when w is 0 (ignore the class) or 1 (the plain conditional model)."""
        null = torch.full_like(labels, self.net.null_class)
        if guidance == 0:
            return self.net(x, t, null)
        if guidance == 1:
            return self.net(x, t, labels)
        cond, uncond = self.net(torch.cat([x, x]), torch.cat([t, t]), torch.cat([labels, null])).chunk(2)
        return uncond + guidance * (cond - uncond)

    @torch.no_grad()
    def sample(self, labels, generator, **options) -> torch.Tensor:
        *_, last = self.stream(labels, generator, **options)
        return last.canvas

    @torch.no_grad()
    def frames(self, labels, generator, count: int = 6, **options):
        """About ``count`` noisy canvases from pure noise to the sample."""
        for step in self.stream(labels, generator, **options):
            keep = {round(i * (step.total - 1) / max(count - 1, 1)) + 1 for i in range(count)}
            if step.done in keep or step.done == step.total:
                yield step.canvas


class EmaTrainer:
    """The trainer of a family with one network ``model.net`` trained by gradient descent and
    sampled from an exponential moving average of its weights (the Diffusion, Flow matching and Latent diffusion families):
    AdamW with ``warmup`` steps and cosine decay to a tenth, clipping at 1, EMA decay up to
    ``ema_decay``. A subclass's ``step`` computes its loss and hands it to ``update``."""

    warmup = 200
    ema_decay = 0.999
    trained = ("model.net",)  # what the step calls and trains (distributed.shared)

    def __init__(self, model, total_steps: int, lr: float = 1e-3):
        self.model, self.total_steps, self.done = model, total_steps, 0
        self.ema = copy.deepcopy(model.net).eval().requires_grad_(False)
        self.opt = torch.optim.AdamW(model.net.parameters(), lr=lr, weight_decay=0.0)
        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, self._lr_factor)

    def _lr_factor(self, i: int) -> float:
        if i < self.warmup:
            return (i + 1) / self.warmup
        return 0.1 + 0.45 * (1 + math.cos(math.pi * min(i / max(self.total_steps, 1), 1.0)))

    def update(self, loss) -> None:
        """One optimizer step on ``loss``, then the EMA (its decay warms up over the first steps)."""
        net = self.model.net
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        self.opt.step()
        self.sched.step()
        self.done += 1
        decay = min(self.ema_decay, (1 + self.done) / (10 + self.done))
        with torch.no_grad():
            for e, p in zip(self.ema.parameters(), net.parameters()):
                e.lerp_(p, 1 - decay)

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "ema": self.ema.state_dict(), "opt": self.opt.state_dict(),
                "sched": self.sched.state_dict(), "done": self.done}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.ema.load_state_dict(state["ema"])
        self.opt.load_state_dict(state["opt"])
        self.sched.load_state_dict(state["sched"])
        self.done = int(state["done"])

    def inference_model(self, x, y):
        self.model.net.load_state_dict(self.ema.state_dict())
        return self.model.eval()
