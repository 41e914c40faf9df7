"""The noise schedule and the samplers of the Diffusion family, apart from the network.

The forward process adds Gaussian noise over T = 1000 steps, x_t = sqrt(1 - beta_t) x_{t-1} +
sqrt(beta_t) eps, which in closed form is

    q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I),   abar_t = prod_{s <= t} (1 - beta_s)

with the cosine schedule of Nichol & Dhariwal 2021 for abar_t. The network predicts
v = sqrt(abar_t) eps - sqrt(1 - abar_t) x_0 (Salimans & Ho 2022), from which x_0 and eps follow
(``Schedule.split``). A scheduler walks from noise to an image with any network that gives v:
``set_timesteps(n)`` picks n of the T steps, ``timesteps`` lists them from noisy to clean, and
``step(v, t, x_t, generator)`` returns x at the next timestep and the current guess of x_0.

* ``DDPMScheduler``: ancestral sampling (Ho et al. 2020), a draw from the posterior
  q(x_s | x_t, x_0) with fresh noise at every step;
* ``DDIMScheduler``: Song et al. 2021, deterministic for eta = 0 (the same noise gives the same
  image, with few steps), and invertible (``invert``);
* ``DPMSolverScheduler``: DPM-Solver++(2M) (Lu et al. 2022), a second-order multistep solver of
  the same ODE as DDIM that reuses the previous step's x_0 guess (one network pass a step).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

T = 1000


class Schedule:
    """abar_t for t = 0..T-1 (cosine), and the algebra between x_0, eps, v and x_t."""

    def __init__(self, steps: int = T, offset: float = 0.008):
        s = torch.arange(steps + 1, dtype=torch.float64) / steps
        f = torch.cos((s + offset) / (1 + offset) * math.pi / 2) ** 2
        betas = (1 - f[1:] / f[:-1]).clamp(max=0.999)
        self.betas = betas
        self.alpha_bar = torch.cumprod(1 - betas, 0)  # float64: exact enough to invert steps

    def __len__(self) -> int:
        return len(self.alpha_bar)

    def abar(self, t) -> torch.Tensor:
        """abar at timesteps ``t`` (int or (B,) long; -1 means before any noise: 1), as float32
        (B,1,1,1) ready to broadcast over images."""
        t = torch.as_tensor(t).reshape(-1)
        a = torch.where(t >= 0, self.alpha_bar.to(t.device)[t.clamp(min=0)], torch.ones((), dtype=torch.float64))
        return a.float().view(-1, 1, 1, 1)

    def q_sample(self, x0: torch.Tensor, t, noise: torch.Tensor) -> torch.Tensor:
        """x_t ~ q(x_t | x_0) in closed form, with the given noise."""
        a = self.abar(t)
        return a.sqrt() * x0 + (1 - a).sqrt() * noise

    def v_target(self, x0: torch.Tensor, t, noise: torch.Tensor) -> torch.Tensor:
        a = self.abar(t)
        return a.sqrt() * noise - (1 - a).sqrt() * x0

    def split(self, v: torch.Tensor, t, x_t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The network's v at x_t -> (x_0, eps) it implies."""
        a = self.abar(t)
        return a.sqrt() * x_t - (1 - a).sqrt() * v, (1 - a).sqrt() * x_t + a.sqrt() * v

    def snr(self, t) -> torch.Tensor:
        a = self.abar(t)
        return a / (1 - a)


@dataclass
class StepOutput:
    prev: torch.Tensor  # x at the next (less noisy) timestep
    x0: torch.Tensor  # the clean image this step predicts


class Scheduler:
    def __init__(self, schedule: Schedule | None = None):
        self.schedule = schedule or Schedule()
        self.timesteps = torch.arange(len(self.schedule) - 1, -1, -1)

    def set_timesteps(self, n: int, start: int | None = None) -> None:
        """Use ``n`` evenly spaced timesteps from ``start`` (default: the noisiest, T-1) to 0."""
        top = len(self.schedule) - 1 if start is None else start
        if not 1 <= n <= top + 1:
            raise ValueError(f"steps must be a whole number between 1 and {top + 1}, got {n}")
        self.timesteps = torch.linspace(top, 0, n, dtype=torch.float64).round().long()

    def previous(self, t: int) -> int:
        """The timestep after ``t`` in ``timesteps`` (-1 after the last: the clean image)."""
        i = (self.timesteps == t).nonzero()[0, 0].item()
        return int(self.timesteps[i + 1]) if i + 1 < len(self.timesteps) else -1


class DDIMScheduler(Scheduler):
    """x_s = sqrt(abar_s) x_0 + sqrt(1 - abar_s - sigma^2) eps + sigma z; eta scales sigma
    (0: deterministic)."""

    def __init__(self, schedule: Schedule | None = None, eta: float = 0.0):
        super().__init__(schedule)
        self.eta = eta

    def step(self, v, t: int, x_t, generator=None) -> StepOutput:
        s = self.previous(t)
        a_t, a_s = self.schedule.abar(t), self.schedule.abar(s)
        x0, eps = self.schedule.split(v, t, x_t)
        sigma = self.eta * ((1 - a_s) / (1 - a_t) * (1 - a_t / a_s)).sqrt()
        prev = a_s.sqrt() * x0 + (1 - a_s - sigma ** 2).clamp(min=0).sqrt() * eps
        if self.eta > 0 and s >= 0:
            prev = prev + sigma * torch.randn(x_t.shape, generator=generator)
        return StepOutput(prev, x0)

    def invert(self, v, t: int, x_s, s: int) -> torch.Tensor:
        """The deterministic step backwards, from x_s to x_t (t > s), given the network's v at
        (x_s, s): the DDIM ODE run towards noise."""
        x0, eps = self.schedule.split(v, s, x_s)
        a_t = self.schedule.abar(t)
        return a_t.sqrt() * x0 + (1 - a_t).sqrt() * eps


class DDPMScheduler(Scheduler):
    """x_s ~ q(x_s | x_t, x_0): mean = (sqrt(abar_s) beta / (1 - abar_t)) x_0 +
    (sqrt(alpha) (1 - abar_s) / (1 - abar_t)) x_t, variance beta (1 - abar_s) / (1 - abar_t),
    with alpha = abar_t / abar_s and beta = 1 - alpha for the (possibly skipped) step t -> s."""

    def step(self, v, t: int, x_t, generator=None) -> StepOutput:
        s = self.previous(t)
        a_t, a_s = self.schedule.abar(t), self.schedule.abar(s)
        x0, _ = self.schedule.split(v, t, x_t)
        alpha = a_t / a_s
        beta = 1 - alpha
        mean = (a_s.sqrt() * beta / (1 - a_t)) * x0 + (alpha.sqrt() * (1 - a_s) / (1 - a_t)) * x_t
        if s < 0:
            return StepOutput(mean, x0)
        var = beta * (1 - a_s) / (1 - a_t)
        return StepOutput(mean + var.sqrt() * torch.randn(x_t.shape, generator=generator), x0)


class DPMSolverScheduler(Scheduler):
    """DPM-Solver++(2M), Lu et al. 2022 ("DPM-Solver++: Fast Solver for Guided Sampling of
    Diffusion Probabilistic Models"), Algorithm 2, in the time variable
    lambda_t = log(alpha_t / sigma_t) (half the log-SNR), alpha_t = sqrt(abar_t), sigma_t =
    sqrt(1 - abar_t). With h = lambda_s - lambda_t and D the data prediction x_0 (from v):

        x_s = (sigma_s / sigma_t) x_t - alpha_s (e^-h - 1) D                        (first order = DDIM)
        D   = x_0(t) + (x_0(t) - x_0(t_prev)) / (2 r),   r = (lambda_t - lambda_prev) / h   (2M)

    The first step has no earlier x_0 and the last one, to the clean image (sigma = 0), is taken
    to first order, which makes it x_0 itself.

    Where the steps go matters as much as the solver. ``spacing="logsnr"`` (the default) puts
    them evenly in lambda between -5 and +5 (the timesteps nearest to those lambdas): the image
    is formed over that range of log-SNR, and the solver's step is a step in lambda. The last
    network call is then at sigma ~ 0.007, where "linspace" (diffusers' ``timestep_spacing=
    "linspace"``: n + 1 timesteps evenly from the noisiest to 0, without the last) calls it at
    t = 100 of 1000 for 10 steps, sigma ~ 0.17, and jumps from there to the clean image in one
    step: a blur that DDIM at 50 steps does not have (1,000 MNIST samples, benchmarks/
    diffusion_speed.py: linspace FID 5.6 against DDIM-50's 3.2 at guidance 1.5; log-SNR 3.2
    against 3.7 at guidance 2).
    With many steps, nearby lambdas can round to one timestep; each is used once, so there can
    be fewer steps than asked for.
    """

    LAMBDA_RANGE = (-5.0, 5.0)

    def __init__(self, schedule: Schedule | None = None, spacing: str = "logsnr"):
        super().__init__(schedule)
        if spacing not in ("logsnr", "linspace"):
            raise ValueError(f"spacing must be logsnr or linspace, got {spacing!r}")
        self.spacing = spacing
        a = self.schedule.alpha_bar
        self._lambdas = 0.5 * (a.log() - torch.log1p(-a))  # lambda_t for every t, float64
        self._last: tuple[float, torch.Tensor] | None = None  # (lambda, x_0) of the step before

    def set_timesteps(self, n: int, start: int | None = None) -> None:
        top = len(self.schedule) - 1 if start is None else start
        if not 1 <= n <= top + 1:
            raise ValueError(f"steps must be a whole number between 1 and {top + 1}, got {n}")
        if self.spacing == "linspace":
            t = torch.linspace(0, top, n + 1, dtype=torch.float64).round().long().flip(0)[:-1]
        else:
            lam = self.lambdas()  # decreasing in t
            lo, hi = max(self.LAMBDA_RANGE[0], float(lam[top])), min(self.LAMBDA_RANGE[1], float(lam[0]))
            grid = torch.linspace(lo, hi, n, dtype=torch.float64)  # noisy -> clean
            t = (lam[: top + 1][None] - grid[:, None]).abs().argmin(1)  # the nearest timestep to each
        self.timesteps = torch.unique_consecutive(t)  # few noise levels left (SDEdit): no repeats
        self._last = None

    def lambdas(self) -> torch.Tensor:
        """lambda_t = log(alpha_t / sigma_t) for every timestep, float64 (T,)."""
        return self._lambdas

    def _lambda(self, t: int) -> float:
        return float(self._lambdas[t])

    def step(self, v, t: int, x_t, generator=None) -> StepOutput:
        s = self.previous(t)
        x0, _ = self.schedule.split(v, t, x_t)
        if s < 0:  # sigma_s = 0: the first-order step lands exactly on x_0
            self._last = None
            return StepOutput(x0, x0)
        a_t, a_s = self.schedule.abar(t), self.schedule.abar(s)
        lam_t, lam_s = self._lambda(t), self._lambda(s)
        h = lam_s - lam_t
        d = x0
        if self._last is not None:
            lam_prev, x0_prev = self._last
            r = (lam_t - lam_prev) / h
            d = x0 + (x0 - x0_prev) / (2 * r)
        self._last = (lam_t, x0)
        prev = ((1 - a_s) / (1 - a_t)).sqrt() * x_t - a_s.sqrt() * math.expm1(-h) * d
        return StepOutput(prev, x0)


SCHEDULERS = {"dpm++": DPMSolverScheduler, "ddim": DDIMScheduler, "ddpm": DDPMScheduler}
