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
network's guess of the clean image is x_0 = x_t - t v, and Euler's step can be written as a move
towards that guess, x_s = (s / t) x_t + (1 - s / t) x_0: on this path it is the DDIM step.
DPM-Solver++(2M) (Lu et al. 2022, the Diffusion family's default) makes the same move with a
better guess, x_0 extrapolated from this step's and the last step's (``extrapolate``), and spaces
its steps evenly in lambda = log((1 - t) / t): second order at one network pass a step. The network, the class embedding with its
"no class" entry, classifier-free guidance in an interval of times and the EMA weights are the
Diffusion family's; only the path and the target differ.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from . import Option, Step, autocast
from .unet import Denoiser, EmaTrainer

TITLE = "Flow matching"
SUMMARY = ("Learn the velocity that moves noise to an image along a straight line, then follow it in a few "
           "steps.")
SAMPLERS = ("euler", "heun", "dpm++")
OPTIONS = (
    # defaults from benchmarks/flow_sweep.py: DPM-Solver++ in 10 steps, guided only in the middle
    # of the path (11 network evaluations per image, the diffusion model's default takes 12)
    Option("sampler", "Sampler", "dpm++", 0, 0, 0, "Euler: one network pass a step · Heun: two, second order · "
           "DPM-Solver++(2M): one, second order from the step before", choices=SAMPLERS),
    Option("steps", "Steps", 10, 1, 100, 1, "ODE steps from noise (t = 1) to image (t = 0)", integer=True),
    Option("guidance", "Guidance scale", 3.0, 0.0, 10.0, 0.25,
           "0: ignore the class · 1: the plain conditional model · more: push harder towards the class"),
    Option("guide_from", "Guide from time", 0.7, 0.0, 1.0, 0.05,
           "guidance acts only at times t from this one (1: pure noise) ..."),
    Option("guide_to", "... down to time", 0.5, 0.0, 1.0, 0.05,
           "... to this one (0: clean); elsewhere the plain conditional model (one pass)"),
)
LAMBDAS = (-4.0, 4.0)  # dpm++'s steps span lambda -4 .. 4, t 0.98 .. 0.018 (benchmarks/flow_sweep.py)
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
    grid = (28, 28)  # what an inpainting mask marks: pixels
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
    def times(steps: int, sampler: str = "euler") -> list[float]:
        """The step boundaries from noise to image. Euler and Heun: evenly in t, 1, 1 - 1/n, ...,
        0. dpm++: evenly in lambda = log((1 - t) / t), n values over ``LAMBDAS`` of which the first
        is taken at the noise itself (t = 1), then 0: its steps are steps in lambda, short near
        the noise and near the image, where the path bends, long in the middle."""
        if sampler != "dpm++" or steps == 1:
            return [1 - i / steps for i in range(steps + 1)]
        lo, hi = LAMBDAS
        inner = [lo + (hi - lo) * i / (steps - 1) for i in range(1, steps)]
        return [1.0] + [1 / (1 + math.exp(lam)) for lam in inner] + [0.0]

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
        ts = self.times(steps, sampler)
        points = ts[:-1] + (ts[1:-1] if sampler == "heun" else [])
        return sum(1 if self.guided(t, *guide) in (0, 1) else 2 for t in points)

    def solve(self, labels, generator, noise=None, known=None, **options):
        """The ODE from pure noise (``noise``, default drawn from ``generator``) to t = 0 with the
        family's ``OPTIONS`` (sampler, steps, guidance, guide_from, guide_to): yield (t the step
        started from, x after the step, the clean x_0 guessed at its start). ``known`` (x_0 in the
        model's units, keep (28, 28) bool): after every step the kept pixels are set to that x_0
        on the path to the same noise, (1 - s) x_0 + s eps, so the last step ends on them
        (inpainting, RePaint-style)."""
        sampler, steps, *guide = self.settings(options)
        self.guided(0, *guide)  # a reversed interval fails before any work
        x = torch.randn(len(labels), *self.shape, generator=generator) if noise is None else noise
        eps = x
        ts = self.times(steps, sampler)
        last = None  # (t, x_0 guessed there) of the step before, for dpm++
        for t, s in zip(ts[:-1], ts[1:]):
            v = self.velocity(x, t, labels, self.guided(t, *guide))
            x0 = x - t * v
            nxt = x + (s - t) * v  # Euler: follow the velocity from t down to s
            if sampler == "heun" and s > 0:  # the velocity at the end of the Euler step, then the average
                v2 = self.velocity(nxt, s, labels, self.guided(s, *guide))
                nxt = x + (s - t) * (v + v2) / 2
            if sampler == "dpm++":
                guess = x0 if last is None or s == 0 else extrapolate(last, (t, x0), s)
                last = (t, x0) if t < 1 else None
                nxt = (s / t) * x + (1 - s / t) * guess  # Euler, written as a step towards a guess of x_0
            x = nxt if known is None else torch.where(known[1], (1 - s) * known[0] + s * eps, nxt)
            yield t, x, x0

    @torch.no_grad()
    def stream(self, labels, generator, noise=None, **options):
        """Yield a ``Step`` per ODE step: x and the guessed x_0 as pictures, x itself as the extra ``state``."""
        steps = self.settings(options)[1]
        for i, (t, x, x0) in enumerate(self.solve(labels, generator, noise, **options)):
            yield Step(self.picture(x), i + 1, steps, preview=self.picture(x0), t=t, extras={"state": x})

    @torch.no_grad()
    def inpaint(self, given, keep, labels, generator, **options):
        """Keep the pixels of ``given`` (B,1,28,28 in [0,1]) where ``keep`` (28, 28) is true and
        draw the rest: the ODE with the kept pixels put back on their path after every step."""
        *_, (_, x, _) = self.solve(labels, generator, known=(given * 2 - 1, keep), **options)
        return self.picture(x)

    @torch.no_grad()
    def sample(self, labels, generator, **options):
        """The last x as a picture (only the end is drawn)."""
        *_, (_, x, _) = self.solve(labels, generator, **options)
        return self.picture(x)


def logsnr(t: float) -> float:
    """lambda = log((1 - t) / t): the log of signal over noise at t (half the log-SNR)."""
    return math.log((1 - t) / t)


def extrapolate(last: tuple, now: tuple, s: float) -> torch.Tensor:
    """DPM-Solver++(2M)'s guess of x_0 for the step from t to s, from x_0 guessed at t and at
    the step before (times ``last[0]`` > ``now[0]`` = t > s > 0), in lambda: D = x_0(t) + (x_0(t) -
    x_0(t_prev)) / (2 r), r = (lambda_t - lambda_prev) / (lambda_s - lambda_t)."""
    (tp, x0p), (t, x0) = last, now
    r = (logsnr(t) - logsnr(tp)) / (logsnr(s) - logsnr(t))
    return x0 + (x0 - x0p) / (2 * r)


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
