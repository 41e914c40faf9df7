"""A class-guided diffusion model (Ho et al. 2020; v-prediction, Salimans & Ho 2022; classifier-
free guidance, Ho & Salimans 2022): start from noise and denoise, step by step.

Training takes a real image x_0, a random timestep t and noise eps, makes x_t = sqrt(abar_t) x_0
+ sqrt(1 - abar_t) eps (``Schedule.q_sample``) and teaches the UNet to predict
v = sqrt(abar_t) eps - sqrt(1 - abar_t) x_0 from (x_t, t, y), with the loss of each timestep
weighted by min(SNR_t, 5) / (SNR_t + 1) (min-SNR-5, Hang et al. 2023). A tenth of the time the
class is replaced by "no class", so the same network also predicts unconditionally. Sampling
runs a scheduler (``schedulers.py``: DPM-Solver++(2M), DDIM or DDPM) from pure noise to an
image; guidance mixes the two predictions, v = v(no class) + w (v(y) - v(no class)): w = 0
ignores the class, w = 1 is the plain conditional model, w > 1 pushes further towards the class.
Guidance can act only in an interval of noise levels (Kynkaanniemi et al. 2024, "Applying
Guidance in a Limited Interval Improves Sample and Distribution Quality in Diffusion Models"):
at the noisiest steps it would pull every sample towards the same typical image, at the last
ones it has nothing left to decide; outside the interval the step uses the plain conditional
model (w = 1, one network pass). Samples come from an exponential moving average of the weights
(EMA), which are smoother than the last step's.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import torch
import torch.nn as nn

from . import Option, autocast
from .schedulers import SCHEDULERS, T, Schedule
from .unet import UNet

TITLE = "Diffusion"
SUMMARY = ("Start from pure noise and remove it step by step: a UNet, guided by the class, predicts what to "
           "take away.")
OPTIONS = (
    Option("sampler", "Sampler", "dpm++", 0, 0, 0, "DPM-Solver++(2M): second order, reuses the last step's guess. "
           "DDIM: deterministic, first order. DDPM: fresh noise at every step", choices=("dpm++", "ddim", "ddpm")),
    Option("steps", "Steps", 10, 1, 250, 1, "denoising steps (network evaluations, twice that where guided)",
           integer=True),
    # defaults from benchmarks/guidance_sweep.py: guided only in the middle of the noise levels,
    # w = 2 keeps the class (99.7% MNIST, 95% Fashion-MNIST) at little cost in variety
    Option("guidance", "Guidance scale", 2.0, 0.0, 10.0, 0.25,
           "0: ignore the class · 1: the plain conditional model · more: push harder towards the class"),
    Option("guide_from", "Guide from noise level", 0.8, 0.0, 1.0, 0.05,
           "guidance acts only at noise levels t/T from this one (1: pure noise) ..."),
    Option("guide_to", "... down to noise level", 0.2, 0.0, 1.0, 0.05,
           "... to this one (0: clean); elsewhere the plain conditional model (one pass a step)"),
)


@dataclass
class Config:
    widths: tuple = (24, 48, 96)  # UNet channels at 28x28, 14x14, 7x7
    emb: int = 128  # timestep + class embedding
    attention: bool = True  # self-attention at 7x7
    num_classes: int = 10


@dataclass
class Step:
    """One denoising step: the noisy images after it and the clean images it predicted."""

    x: torch.Tensor  # (B,1,28,28) in [0,1]: x at the next timestep (the sample after the last step)
    x0: torch.Tensor  # (B,1,28,28) in [0,1]: the network's guess of the clean images
    t: int  # the timestep this step started from (T-1 = pure noise)
    index: int  # 1-based step number
    steps: int  # steps in all


def to01(x: torch.Tensor) -> torch.Tensor:
    return ((x + 1) / 2).clamp(0, 1)


class Model(nn.Module):
    # Images per network pass when generating many: at 64 the UNet's activations stay in the CPU's
    # caches; 500 at once was 1.8x slower per image on 2 cores.
    batch = 64

    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        self.net = UNet(tuple(config.widths), config.emb, config.num_classes, config.attention)
        self.schedule = Schedule()  # fixed numbers, not weights

    @staticmethod
    def guided(t: int, guidance: float, guide_from: float = 1.0, guide_to: float = 0.0) -> float:
        """The guidance scale at timestep ``t``: ``guidance`` inside the interval of noise levels
        guide_to <= t / (T - 1) <= guide_from, the plain conditional model (1) outside it."""
        if guide_to > guide_from:
            raise ValueError(f"guide_to must be at most guide_from (the interval runs from noisy to clean), "
                             f"got guide_from={guide_from} and guide_to={guide_to}")
        return guidance if guide_to <= t / (T - 1) <= guide_from else 1.0

    def predict(self, x: torch.Tensor, t: int, labels: torch.Tensor, guidance: float) -> torch.Tensor:
        """The guided v at (x, t): one pass without guidance's extra work when w is 0 or 1."""
        tt = torch.full((len(x),), t, dtype=torch.long)
        null = torch.full_like(labels, self.net.null_class)
        if guidance == 0:
            return self.net(x, tt, null)
        if guidance == 1:
            return self.net(x, tt, labels)
        cond, uncond = self.net(torch.cat([x, x]), torch.cat([tt, tt]), torch.cat([labels, null])).chunk(2)
        return uncond + guidance * (cond - uncond)

    def nfe(self, sampler="dpm++", steps=10, guidance=2.0, guide_from=0.8, guide_to=0.2, **_) -> int:
        """Network evaluations per image: one per step, two per guided step (batched as one pass)."""
        scheduler = SCHEDULERS[sampler](self.schedule)
        scheduler.set_timesteps(int(steps))
        return sum(1 if self.guided(t, guidance, guide_from, guide_to) in (0, 1) else 2
                   for t in scheduler.timesteps.tolist())

    @torch.no_grad()
    def denoise(self, labels, generator, sampler="dpm++", steps=10, guidance=2.0, guide_from=0.8, guide_to=0.2,
                start=None, strength=1.0, noise=None):
        """Yield a ``Step`` per denoising step, from pure noise (or, with ``start`` (B,1,28,28)
        in [0,1], from ``start`` noised to ``strength`` of the way: SDEdit). ``noise``: the
        starting noise (default: drawn from ``generator``)."""
        self.guided(0, guidance, guide_from, guide_to)  # a reversed interval fails before any work
        scheduler = SCHEDULERS[sampler](self.schedule)
        steps = int(steps)
        if noise is None:
            noise = torch.randn(len(labels), 1, 28, 28, generator=generator)
        if start is None:
            scheduler.set_timesteps(steps)
            x = noise
        else:
            top = round(strength * (len(self.schedule) - 1))
            scheduler.set_timesteps(max(1, min(round(steps * strength), top + 1)), start=top)
            x = self.schedule.q_sample(start * 2 - 1, top, noise)
        n = len(scheduler.timesteps)
        for i, t in enumerate(scheduler.timesteps.tolist()):
            w = self.guided(t, guidance, guide_from, guide_to)
            out = scheduler.step(self.predict(x, t, labels, w), t, x, generator)
            x = out.prev
            yield Step(to01(x), to01(out.x0), t, i + 1, n)

    @torch.no_grad()
    def sample(self, labels, generator, sampler="dpm++", steps=10, guidance=2.0, guide_from=0.8, guide_to=0.2):
        *_, last = self.denoise(labels, generator, sampler, steps, guidance, guide_from, guide_to)
        return last.x

    @torch.no_grad()
    def frames(self, labels, generator, sampler="dpm++", steps=10, guidance=2.0, guide_from=0.8, guide_to=0.2,
               count: int = 6):
        """About ``count`` noisy canvases from pure noise to the sample."""
        steps = int(steps)
        keep = {round(i * (steps - 1) / max(count - 1, 1)) + 1 for i in range(count)}
        for step in self.denoise(labels, generator, sampler, steps, guidance, guide_from, guide_to):
            if step.index in keep or step.index == step.steps:
                yield step.x


class Trainer:
    """v-prediction with min-SNR-5 weights on the cosine schedule, the class dropped 10% of the
    time; AdamW 1e-3 with 200 warm-up steps and cosine decay to a tenth, clipping at 1,
    bfloat16 autocast where the device has it; samples from an EMA of the weights (decay up to
    0.999)."""

    epochs = 8
    batch_size = 128
    drop_class = 0.1
    gamma = 5.0

    def __init__(self, model: Model, total_steps: int, lr: float = 1e-3):
        self.model, self.total_steps, self.done = model, total_steps, 0
        self.ema = copy.deepcopy(model.net).eval().requires_grad_(False)
        self.opt = torch.optim.AdamW(model.net.parameters(), lr=lr, weight_decay=0.0)
        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, self._lr_factor)

    def _lr_factor(self, i: int) -> float:
        if i < 200:
            return (i + 1) / 200
        return 0.1 + 0.45 * (1 + math.cos(math.pi * min(i / max(self.total_steps, 1), 1.0)))

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> dict:
        net, schedule = self.model.net.train(), self.model.schedule
        b = len(x)
        # drawn on the CPU from the run's generator, so any device trains on the same numbers
        t = torch.randint(0, len(schedule), (b,), generator=generator).to(x.device)
        noise = torch.randn(x.shape, generator=generator).to(x.device)
        drop = (torch.rand(b, generator=generator) < self.drop_class).to(x.device)
        y = torch.where(drop, net.null_class, y)
        with autocast(x.device):
            v = net(schedule.q_sample(x, t, noise), t, y)
        mse = (v.float() - schedule.v_target(x, t, noise)).pow(2).mean((1, 2, 3))
        snr = schedule.snr(t).flatten()
        loss = (mse * snr.clamp(max=self.gamma) / (snr + 1)).mean()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        self.opt.step()
        self.sched.step()
        self.done += 1
        decay = min(0.999, (1 + self.done) / (10 + self.done))
        with torch.no_grad():
            for e, p in zip(self.ema.parameters(), net.parameters()):
                e.lerp_(p, 1 - decay)
        return {"loss": loss.item(), "v_mse": mse.mean().item()}

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "ema": self.ema.state_dict(), "opt": self.opt.state_dict(),
                "sched": self.sched.state_dict(), "done": self.done}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.ema.load_state_dict(state["ema"])
        self.opt.load_state_dict(state["opt"])
        self.sched.load_state_dict(state["sched"])
        self.done = int(state["done"])

    def inference_model(self, x: torch.Tensor, y: torch.Tensor) -> Model:
        self.model.net.load_state_dict(self.ema.state_dict())
        return self.model.eval()

    @staticmethod
    def evaluate(model: Model, dataset: str, data_dir=None) -> dict:
        from ..metrics import class_histogram, sample_quality

        return {**sample_quality(model, dataset, data_dir=data_dir),
                "unguided_class_histogram": class_histogram(model, dataset, guidance=0.0)}
