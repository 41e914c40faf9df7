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

from dataclasses import dataclass

import torch

from . import Option, Step, autocast
from .schedulers import SCHEDULERS, T, Schedule
from .unet import Denoiser, EmaTrainer

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


# The tests' config (the real code at a size that runs in milliseconds), and the class
# accuracy the shipped checkpoints' samples must keep (issue #5).
TINY = dict(widths=(4, 8, 8), emb=8)
BARS = {"mnist": 0.98, "fashion": 0.90}


@dataclass
class Config:
    widths: tuple = (24, 48, 96)  # UNet channels at 28x28, 14x14, 7x7
    emb: int = 128  # timestep + class embedding
    attention: bool = True  # self-attention at 7x7
    num_classes: int = 10


def to01(x: torch.Tensor) -> torch.Tensor:
    return ((x + 1) / 2).clamp(0, 1)


class Model(Denoiser):
    schedule = Schedule()  # fixed numbers, not weights: the same for every model
    grid = (28, 28)  # what an inpainting mask marks: pixels

    @torch.no_grad()
    def inpaint(self, given, keep, labels, generator, **options):
        """Keep the pixels of ``given`` (B,1,28,28 in [0,1]) where ``keep`` (28, 28) is true and
        draw the rest: denoising with the kept pixels put back at each step's noise level."""
        *_, last = self.stream(labels, generator, known=(given * 2 - 1, keep), **options)
        return last.canvas

    def guided(self, t: int, guidance: float, guide_from: float = 1.0, guide_to: float = 0.0) -> float:
        """The guidance scale at timestep ``t``: ``guidance`` inside the interval of noise levels
        guide_to <= t / (T - 1) <= guide_from, the plain conditional model (1) outside it."""
        return self.guidance_at(t / (T - 1), guidance, guide_from, guide_to)

    def predict(self, x: torch.Tensor, t: int, labels: torch.Tensor, guidance: float) -> torch.Tensor:
        """The guided v at (x, t)."""
        return self.guided_net(x, torch.full((len(x),), t, dtype=torch.long), labels, guidance)

    def nfe(self, sampler="dpm++", steps=10, guidance=2.0, guide_from=0.8, guide_to=0.2, **_) -> int:
        """Network evaluations per image: one per step, two per guided step (batched as one pass)."""
        scheduler = SCHEDULERS[sampler](self.schedule)
        scheduler.set_timesteps(int(steps))
        return sum(1 if self.guided(t, guidance, guide_from, guide_to) in (0, 1) else 2
                   for t in scheduler.timesteps.tolist())

    @torch.no_grad()
    def stream(self, labels, generator, sampler="dpm++", steps=10, guidance=2.0, guide_from=0.8, guide_to=0.2,
               start=None, strength=1.0, noise=None, known=None):
        """Yield a ``Step`` per denoising step, from pure noise (or, with ``start`` (B,1,28,28)
        in [0,1], from ``start`` noised to ``strength`` of the way: SDEdit). ``noise``: the
        starting noise (default: drawn from ``generator``). The extra ``state`` is x after the step.
        ``known`` (x_0 in [-1, 1], keep (28, 28) bool): after every step the kept pixels are set to
        that x_0 noised to the step's level with the starting noise, and to x_0 itself after the
        last (inpainting, RePaint-style)."""
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
            if known is not None:
                s = scheduler.previous(t)
                x = torch.where(known[1], self.schedule.q_sample(known[0], s, noise) if s >= 0 else known[0], x)
            yield Step(to01(x), i + 1, n, preview=to01(out.x0), t=t, extras={"state": x})


class Trainer(EmaTrainer):
    """v-prediction with min-SNR-5 weights on the cosine schedule, the class dropped 10% of the
    time; AdamW 1e-3 with 200 warm-up steps and cosine decay to a tenth, clipping at 1,
    bfloat16 autocast where the device has it; samples from an EMA of the weights (decay up to
    0.999)."""

    epochs = 8
    batch_size = 128
    drop_class = 0.1
    gamma = 5.0

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
        self.update(loss)
        return {"loss": loss.item(), "v_mse": mse.mean().item()}

    @staticmethod
    def evaluate(model: Model, dataset: str, data_dir=None) -> dict:
        from ..metrics import class_histogram, sample_quality

        return {**sample_quality(model, dataset, data_dir=data_dir),
                "unguided_class_histogram": class_histogram(model, dataset, guidance=0.0)}
