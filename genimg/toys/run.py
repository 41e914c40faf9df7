"""Train the toy families side by side: the same points, seed, stream of batches and step budget,
a frame every ``steps / frames`` steps with every family's samples, losses, score and view.

Each family gets generators seeded alike: one for its weights and training noise, one for the
order of its batches (so every family sees the same batches), and one for the samples a frame
shows, reset at every frame (so the frames show the same noise becoming the data, and a run's
frames are the same bytes every time). The families train on ``THREADS`` threads at once (a toy
step is mostly the overhead of small operations, which run in parallel outside Python's lock);
each family's work depends only on its own generators, so the threads change no number.
"""
from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import torch

from . import TOYS, data, get, score

THREADS = 2  # families trained at once
LAST_LR = 0.05  # the learning rate decays along a cosine to this share of its start
SHOWN = data.HELD_OUT  # samples per frame: as many as the held-out points the score compares them with
FLOOR_DRAWS = 8  # the floor is the mean score of this many fresh sets of real points


@dataclass
class Trace:
    """One family's run so far."""

    samples: np.ndarray | None = None  # (SHOWN, 2) float32 at the latest frame
    view: dict = field(default_factory=dict)  # its ``view`` at the latest frame
    loss: list = field(default_factory=list)  # (step, mean loss since the previous frame)
    score: list = field(default_factory=list)  # (step, sliced Wasserstein distance to the held-out points)
    modes: list = field(default_factory=list)  # (step, modes covered), for a mixture
    between: float | None = None  # share of samples between the modes at the latest frame
    seconds: float = 0.0  # training and drawing time so far
    lr: float = 0.0  # its learning rate at the start (its own times the run's scale)


@dataclass
class Frame:
    step: int
    total: int
    data: np.ndarray  # points of the data (to draw faintly)
    floor: float  # the score of real points against the held-out ones
    modes_total: int | None  # modes of the data when it is a mixture
    families: dict[str, Trace]
    done: bool = False


def decay(step: int, steps: int) -> float:
    """The learning rate's share of its start at ``step`` of ``steps``: a cosine down to LAST_LR."""
    return LAST_LR + (1 - LAST_LR) * 0.5 * (1 + math.cos(math.pi * step / max(steps, 1)))


def floor(points_of, held: torch.Tensor) -> float:
    """The score real points get: the mean over ``FLOOR_DRAWS`` fresh sets (one set is noisy)."""
    gen = torch.Generator().manual_seed(data.DATA_SEED + 1)
    return float(np.mean([score.sliced_wasserstein(points_of(len(held), gen), held) for _ in range(FLOOR_DRAWS)]))


class Learner:
    """One family in a run: its toy, generators and trace."""

    def __init__(self, name: str, width: int, lr_scale: float, seed: int, options: dict):
        fam = get(name)
        own = {o.name: options[o.name] for o in fam.OPTIONS if o.name in options}
        lr = fam.LR * lr_scale
        self.toy, self.batch = fam.Toy(width, lr, torch.Generator().manual_seed(seed), **own), fam.BATCH
        self.noise, self.order = torch.Generator().manual_seed(seed + 1), torch.Generator().manual_seed(seed + 2)
        self.seed, self.lr, self.trace, self.last = seed, lr, Trace(lr=lr), 0.0

    def snapshot(self) -> Trace:
        """The trace as it stands (the run goes on adding to its own)."""
        t = self.trace
        return dataclasses.replace(t, loss=list(t.loss), score=list(t.score), modes=list(t.modes))

    def advance(self, start: int, stop: int, steps: int, train_x, held, mixture, at: float) -> None:
        """Train from step ``start`` to ``stop`` (of ``steps``), then draw and score the samples."""
        began, losses = time.perf_counter(), []
        for i in range(start, stop):
            for opt in self.toy.optimizers:
                for group in opt.param_groups:
                    group["lr"] = self.lr * decay(i, steps)
            idx = torch.randint(len(train_x), (self.batch,), generator=self.order)
            losses.append(self.toy.step(train_x[idx], self.noise)["loss"])
        look = torch.Generator().manual_seed(self.seed + 3)
        with torch.no_grad():
            samples = self.toy.sample(SHOWN, look)
            self.trace.view = self.toy.view(look, at, held)
        t = self.trace
        t.samples = samples.numpy().astype(np.float32)
        if losses:
            t.loss.append((stop, float(np.mean(losses))))
        t.score.append((stop, score.sliced_wasserstein(samples, held)))
        if mixture is not None:
            covered, t.between = score.modes(samples, mixture.centres, mixture.std)
            t.modes.append((stop, covered))
        self.last = time.perf_counter() - began
        t.seconds += self.last


def train(points_of, families=TOYS, steps: int = 600, lr_scale: float = 1.0, width: int = 64, seed: int = 0,
          frames: int = 20, at: float = 0.5, options: dict | None = None,
          threads: int = THREADS) -> Iterator[Frame]:
    """Yield ``frames + 1`` frames (the first before any training) of ``families`` learning the
    points of ``points_of`` (a ``genimg.toys.data`` source). Each family learns at its own rate
    (``LR``) times ``lr_scale``."""
    train_x, held = data.split(points_of)
    low = floor(points_of, held)
    mixture = points_of if isinstance(points_of, data.Mixture) else None
    learners = {name: Learner(name, width, lr_scale, seed, options or {}) for name in families}
    marks = [round(steps * k / frames) for k in range(frames + 1)]
    shown = train_x[:SHOWN].numpy()
    with ThreadPoolExecutor(max(1, min(threads, len(learners)))) as pool:
        for k, mark in enumerate(marks):
            start = marks[k - 1] if k else 0
            # the longest chunks first (by the last ones' times), so that no thread idles long at the frame's end
            jobs = [pool.submit(one.advance, start, mark, steps, train_x, held, mixture, at)
                    for one in sorted(learners.values(), key=lambda one: -one.last)]
            for job in jobs:
                job.result()
            yield Frame(mark, steps, shown, low, len(mixture.centres) if mixture is not None else None,
                        {name: one.snapshot() for name, one in learners.items()}, done=k == frames)
