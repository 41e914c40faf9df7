"""Learning curves: at each sample sheet of a run, how good the model is and what it has cost.

A point holds the step; FID in the judge's features (``scores``) of ``N`` class-balanced samples
at the family's default options against the test set, with its floor (as many random,
class-balanced training images against the same test set, as ``evaluate.Reference.floor``
measures it); the class accuracy of those samples by the shipped classifier; and the training
spent so far: FLOPs, CPU-seconds (``time.process_time``, every thread of the process) and wall
seconds, the measuring itself left out.

The FLOPs are ``torch.utils.flop_counter.FlopCounterMode``'s count of one training step (forward
and backward: the matrix products and convolutions, not the element-wise work), taken on a copy of
the trainer after the first step and again whenever the step's logged quantities change (a family
that trains in stages: a tokenizer, then the prior), times the steps taken.

Measuring never touches the training: it works on copies, with its own ``torch.Generator``, and
restores the global random state.
"""
from __future__ import annotations

import copy
import sys
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from . import checkpoint, metrics, scores
from .data import NUM_CLASSES, load_tensors

N = 1000  # samples per point, class-balanced (tests shrink it)
SEED = 0  # the samples' seed, the same at every point
RULER = scores.RULERS[0]  # the judge


def step_flops(trainer, x: torch.Tensor, y: torch.Tensor) -> int:
    """FLOPs of the trainer's next step (forward and backward) on ``x``, ``y``, counted on a copy."""
    twin = copy.deepcopy(trainer)
    with torch.random.fork_rng(devices=[]), FlopCounterMode(display=False) as counter:
        twin.step(x, y, torch.Generator().manual_seed(SEED))
    return int(counter.get_total_flops())


class Ruler:
    """The judge's features of the test set and of ``n`` random, class-balanced training images
    (the floor), computed once per run. ``None`` from ``make`` where the judge or the classifier
    is not shipped (a run in a bare checkpoint folder draws no curve)."""

    def __init__(self, dataset: str, data_dir=None, n: int = N):
        from .evaluate import balanced_order

        test, _ = load_tensors(dataset, "test", data_dir)
        train, train_y = load_tensors(dataset, "train", data_dir)
        self.dataset, self.n = dataset, n
        self.test, _ = scores.embed(dataset, (test + 1) / 2, RULER)
        fair, _ = scores.embed(dataset, (train[balanced_order(train_y)[:n]] + 1) / 2, RULER)
        self.floor = scores.fid(fair, self.test)
        metrics.classifier(dataset)

    @classmethod
    def make(cls, dataset: str, data_dir=None) -> Ruler | None:
        try:
            return cls(dataset, data_dir, N)
        except checkpoint.CheckpointError as e:
            print(f"no learning curve: {e}", file=sys.stderr)
            return None

    @torch.no_grad()
    def measure(self, model, **opts) -> dict:
        """FID (with the floor) and class accuracy of ``n`` samples of ``model``, class i % 10."""
        labels = torch.arange(self.n) % NUM_CLASSES
        with torch.random.fork_rng(devices=[]):
            x = metrics.sample_batches(model, labels, torch.Generator().manual_seed(SEED), **opts)
        feats, _ = scores.embed(self.dataset, x, RULER)
        pred, _ = metrics.classify(self.dataset, x)
        return {"fid": round(scores.fid(feats, self.test), 3), "fid_floor": round(self.floor, 3),
                "class_accuracy": round((pred == labels).float().mean().item(), 4)}


class Meter:
    """What a run has spent, measuring left out, and its points so far (kept in the resumable
    state: ``state()``, ``Meter(**state)``)."""

    def __init__(self, points: list | None = None, flops: int = 0, cpu_s: float = 0.0, wall_s: float = 0.0):
        self.points, self.flops, self.cpu_s, self.wall_s = list(points or []), flops, cpu_s, wall_s
        self.per_step, self.phase = 0, None
        self.resume()

    def resume(self) -> None:
        """Start the clocks (after measuring, or at the start of a run)."""
        self.cpu0, self.wall0 = time.process_time(), time.time()

    def pause(self) -> None:
        self.cpu_s += time.process_time() - self.cpu0
        self.wall_s += time.time() - self.wall0

    def add(self, logs: dict, trainer, x: torch.Tensor, y: torch.Tensor) -> None:
        """One step was taken and logged ``logs``: add its FLOPs. They are counted (on a copy of the
        trainer, its next step on ``x``, ``y``; the counting left out of the clocks) after the
        first step of the run and again where the logs name other quantities (a new stage)."""
        if tuple(sorted(logs)) != self.phase:
            self.pause()
            self.per_step = step_flops(trainer, x, y)
            self.phase = tuple(sorted(logs))
            self.resume()
        self.flops += self.per_step

    def point(self, step: int, measured: dict, sheet: str) -> dict:
        self.points.append({"step": step, **measured, "flops": self.flops, "cpu_s": round(self.cpu_s, 1),
                            "wall_s": round(self.wall_s, 1), "sheet": sheet})
        return self.points[-1]

    def state(self) -> dict:
        """What has been spent up to now, the clocks read (a run resumed from a save made between
        two points would otherwise lose the time since the last one)."""
        self.pause()
        self.resume()
        return {"points": self.points, "flops": self.flops, "cpu_s": self.cpu_s, "wall_s": self.wall_s}
