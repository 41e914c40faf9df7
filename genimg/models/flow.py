"""Flow matching (Lipman et al. 2023; rectified flow, Liu et al. 2023; the training target of
Stable Diffusion 3, Esser et al. 2024): learn the velocity that carries noise to images along
straight lines, then follow it.

Training takes a real image x_0, noise eps and a time t in (0, 1), makes the point on the straight
line between them, x_t = (1 - t) x_0 + t eps, and teaches the UNet to predict that line's
velocity, u = eps - x_0, from (x_t, t, y):

    loss = || v_theta(x_t, t, y) - (eps - x_0) ||^2

(``flow_matching_loss``). t is drawn logit-normal (SD3's choice: the middle times, where the image is
decided, get the most practice). Sampling solves the ODE dx/dt = v from pure noise at t = 1 down
to t = 0 (``Model.solve``): Euler takes x <- x - dt v; Heun then evaluates v again at the end of
the step and averages the two (second order, two network passes a step; the last step, which
ends on the image at t = 0, where the network has seen few examples, is Euler's, as in Karras
et al. 2022). From any x_t the
network's guess of the clean image is x_0 = x_t - t v. The network, the class embedding with its
"no class" entry, classifier-free guidance in an interval of times and the EMA weights are the
Diffusion family's; only the path and the target differ.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from . import Option, Step, autocast
from .unet import Denoiser, EmaTrainer

TITLE = "Flow matching"
SUMMARY = ("Learn the velocity that moves noise to an image along a straight line, then follow it in a few "
           "steps.")
SAMPLERS = ("euler", "heun")
OPTIONS = (
    # defaults from benchmarks/flow_sweep.py: Heun in 5 steps, guided only in the middle of the
    # path (11 network evaluations per image, the diffusion model's default takes 12)
    Option("sampler", "Sampler", "heun", 0, 0, 0, "Euler: one network pass a step · Heun: two, second order",
           choices=SAMPLERS),
    Option("steps", "Steps", 5, 1, 100, 1, "ODE steps from noise (t = 1) to image (t = 0)", integer=True),
    Option("guidance", "Guidance scale", 3.0, 0.0, 10.0, 0.25,
           "0: ignore the class · 1: the plain conditional model · more: push harder towards the class"),
    Option("guide_from", "Guide from time", 0.7, 0.0, 1.0, 0.05,
           "guidance acts only at times t from this one (1: pure noise) ..."),
    Option("guide_to", "... down to time", 0.5, 0.0, 1.0, 0.05,
           "... to this one (0: clean); elsewhere the plain conditional model (one pass)"),
)
TIME_SCALE = 999.0  # the UNet embeds times on the diffusion family's 0..999 scale


# The tests' config (the real code at a size that runs in milliseconds), and the class
# accuracy the shipped checkpoints' samples must keep (issue #15).
TINY = dict(widths=(4, 8, 8), emb=8)
BARS = {"mnist": 0.98, "fashion": 0.93}


@dataclass
class Config:
    widths: tuple = (24, 48, 96)  # UNet channels at 28x28, 14x14, 7x7 (the Diffusion family's)
    emb: int = 128  # time + class embedding
    attention: bool = True  # self-attention at 7x7
    num_classes: int = 10


def to01(x: torch.Tensor) -> torch.Tensor:
    return ((x + 1) / 2).clamp(0, 1)


def check_sampler(sampler: str) -> str:
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}, got {sampler!r}")
    return sampler


class Model(Denoiser):
    shape = (1, 28, 28)  # what flows: an image (a family that flows in another space sets its own)
    defaults = {o.name: o.default for o in OPTIONS}  # the options when not given (a family may set its own)

    def picture(self, x: torch.Tensor) -> torch.Tensor:
        """What ``x`` looks like: images (B,1,28,28) in [0,1]."""
        return to01(x)

    def guided(self, t: float, guidance: float, guide_from: float = 1.0, guide_to: float = 0.0) -> float:
        """The guidance scale at time ``t``: ``guidance`` for guide_to <= t <= guide_from, else 1."""
        return self.guidance_at(t, guidance, guide_from, guide_to)

    def velocity(self, x: torch.Tensor, t: float, labels: torch.Tensor, guidance: float) -> torch.Tensor:
        """The guided velocity at (x, t): v(no class) + w (v(y) - v(no class))."""
        return self.guided_net(x, torch.full((len(x),), t * TIME_SCALE), labels, guidance)

    @staticmethod
    def times(steps: int) -> list[float]:
        """The step boundaries from noise to image: 1, 1 - 1/n, ..., 0."""
        return [1 - i / steps for i in range(steps + 1)]

    def settings(self, options: dict) -> tuple:
        """(sampler, steps, guidance, guide_from, guide_to): the options given, the family's
        defaults (``defaults``) for the rest."""
        unknown = set(options) - set(self.defaults)
        if unknown:
            raise TypeError(f"unknown option {sorted(unknown)[0]!r}; the options are {', '.join(self.defaults)}")
        o = {**self.defaults, **options}
        return check_sampler(o["sampler"]), int(o["steps"]), o["guidance"], o["guide_from"], o["guide_to"]

    def nfe(self, **options) -> int:
        """Network evaluations per image: one per velocity (Heun: two a step but the last), two
        where guided."""
        sampler, steps, *guide = self.settings(options)
        ts = self.times(steps)
        points = ts[:-1] + (ts[1:-1] if sampler == "heun" else [])
        return sum(1 if self.guided(t, *guide) in (0, 1) else 2 for t in points)

    def solve(self, labels, generator, noise=None, **options):
        """The ODE from pure noise (``noise``, default drawn from ``generator``) to t = 0 with the
        family's ``OPTIONS`` (sampler, steps, guidance, guide_from, guide_to): yield (t the step
        started from, x after the step, the clean x_0 guessed at its start)."""
        sampler, steps, *guide = self.settings(options)
        self.guided(0, *guide)  # a reversed interval fails before any work
        x = torch.randn(len(labels), *self.shape, generator=generator) if noise is None else noise
        ts = self.times(steps)
        for t, s in zip(ts[:-1], ts[1:]):
            v = self.velocity(x, t, labels, self.guided(t, *guide))
            x0 = x - t * v
            nxt = x + (s - t) * v  # Euler: follow the velocity from t down to s
            if sampler == "heun" and s > 0:  # the velocity at the end of the Euler step, then the average
                v2 = self.velocity(nxt, s, labels, self.guided(s, *guide))
                nxt = x + (s - t) * (v + v2) / 2
            x = nxt
            yield t, x, x0

    @torch.no_grad()
    def stream(self, labels, generator, noise=None, **options):
        """Yield a ``Step`` per ODE step: x and the guessed x_0 as pictures, x itself as ``state``."""
        steps = self.settings(options)[1]
        for i, (t, x, x0) in enumerate(self.solve(labels, generator, noise, **options)):
            yield Step(self.picture(x), i + 1, steps, preview=self.picture(x0), t=t, state=x)

    @torch.no_grad()
    def sample(self, labels, generator, **options):
        """The last x as a picture (only the end is drawn)."""
        *_, (_, x, _) = self.solve(labels, generator, **options)
        return self.picture(x)


def flow_matching_loss(net, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator,
                       drop_class: float = 0.1) -> torch.Tensor:
    """|| v(x_t, t, y) - (eps - x_0) ||^2 on the straight path x_t = (1 - t) x_0 + t eps, with t
    logit-normal and the class replaced by "no class" a ``drop_class`` share of the time."""
    b = len(x)
    # drawn on the CPU from the run's generator, so any device trains on the same numbers
    t = torch.sigmoid(torch.randn(b, generator=generator)).to(x.device)
    noise = torch.randn(x.shape, generator=generator).to(x.device)
    drop = (torch.rand(b, generator=generator) < drop_class).to(x.device)
    y = torch.where(drop, net.null_class, y)
    tt = t.view(-1, *([1] * (x.dim() - 1)))
    with autocast(x.device):
        v = net((1 - tt) * x + tt * noise, t * TIME_SCALE, y)
    return (v.float() - (noise - x)).pow(2).mean()


class Trainer(EmaTrainer):
    """Conditional flow matching on the straight path x_t = (1 - t) x_0 + t eps, velocity target
    eps - x_0, t logit-normal(0, 1), the class dropped 10% of the time; AdamW 1e-3 with 200
    warm-up steps and cosine decay to a tenth, clipping at 1, bfloat16 autocast where the device
    has it; samples from an EMA of the weights (decay up to 0.999)."""

    epochs = 16  # the Diffusion family's checkpoints: 8 epochs, continued for 8 more
    batch_size = 128
    drop_class = 0.1

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> dict:
        loss = flow_matching_loss(self.model.net.train(), x, y, generator, self.drop_class)
        self.update(loss)
        return {"loss": loss.item()}

    @staticmethod
    def evaluate(model: Model, dataset: str, data_dir=None) -> dict:
        from ..metrics import sample_quality

        return sample_quality(model, dataset, data_dir=data_dir)
