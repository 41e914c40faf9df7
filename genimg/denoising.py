"""Diffusion beyond sampling: watch it denoise step by step, start from a drawing (SDEdit), and
compare step counts. Same rules as ``pipeline``: checked arguments, uint8 out, one
``torch.Generator`` per call.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from . import pipeline
from .data import NUM_CLASSES, dataset_info, to_uint8

FAMILY = "diffusion"
MAX_N = 16  # images denoised live at once in the app
COMPARED_STEPS = (5, 10, 25, 50)


@dataclass
class Frame:
    """The images after one denoising step."""

    noisy: np.ndarray  # uint8 (N, 28, 28): x at the next timestep (the samples after the last step)
    predicted: np.ndarray  # uint8 (N, 28, 28): the network's guess of the clean images
    t: int  # the timestep the step started from (999 = pure noise)
    index: int  # 1-based
    steps: int
    seconds: float  # model time so far
    result: pipeline.Result | None = None  # after the last step


def schedule() -> np.ndarray:
    """abar_t for t = 0..T-1: how much of the image is left at each timestep (1 = all, 0 = noise)."""
    from .models.schedulers import Schedule

    return Schedule().alpha_bar.float().numpy()


def guidance_sweep(dataset: str) -> dict | None:
    """The guidance sweep of ``benchmarks/guidance_sweep.py`` from the diffusion card: ``rows``
    of guidance, guide_from, guide_to, fid, class_accuracy, precision, recall (None if not run)."""
    dataset_info(dataset)
    from . import checkpoint

    return checkpoint.read_card(FAMILY, dataset).get("guidance_sweep")


def denoise(dataset: str, label=None, n=4, seed=0, **options):
    """Yield a ``Frame`` per step while sampling ``n`` images (1-16); the last carries the ``Result``."""
    dataset_info(dataset)
    n = pipeline.check_int("n", n, 1, MAX_N)
    seed, label = pipeline.check_seed(seed), pipeline.check_label(label)
    options = pipeline.check_options(FAMILY, options)
    model = pipeline.load_model(FAMILY, dataset)
    labels = pipeline.labels_for(label, n)
    yield from _frames(model, model.denoise(labels, torch.Generator().manual_seed(seed), **options),
                       labels, dataset, seed, options)


def _frames(model, steps, labels, dataset, seed, options):
    seconds = 0.0
    while True:
        with torch.inference_mode():  # per step: a streaming handler may resume on another thread
            t0 = time.perf_counter()
            step = next(steps, None)
            seconds += time.perf_counter() - t0
            if step is None:
                return
            frame = Frame(to_uint8(step.x), to_uint8(step.x0), step.t, step.index, step.steps, seconds)
            if step.index == step.steps:
                nfe = model.nfe(**{**options, "steps": step.steps})
                frame.result = pipeline.judged(step.x, labels, seconds, nfe, FAMILY, dataset, seed, options)
        yield frame


def edit(dataset: str, start: np.ndarray, label, strength=0.6, count=4, seed=0, **options) -> dict:
    """SDEdit: noise ``start`` (uint8 28x28) to ``strength`` of the way to pure noise (0-1) and
    denoise it ``count`` times as class ``label``. Returns the ``noised`` start (of the first
    draw), the ``results``, the classifier's ``captions`` and ``agree``, ``seconds``, ``steps``."""
    dataset_info(dataset)
    label = pipeline.check_int("label", label, 0, NUM_CLASSES - 1)
    count = pipeline.check_int("count", count, 1, 8)
    seed = pipeline.check_seed(seed)
    strength = pipeline.check_float("strength", strength, 0, 1)
    options = pipeline.check_options(FAMILY, options)
    start = np.asarray(start)
    if start.shape != (28, 28):
        raise ValueError(f"the start image must be 28x28, got shape {start.shape}")
    x = torch.from_numpy(start.astype(np.float32) / 255)[None, None].expand(count, -1, -1, -1)
    if strength == 0:  # no noise: nothing to undo
        return {"noised": start, "results": np.repeat(start[None], count, 0), "seconds": 0.0, "steps": 0,
                **_judge(dataset, x, label)}
    model = pipeline.load_model(FAMILY, dataset)
    labels = torch.full((count,), label, dtype=torch.long)
    gen = torch.Generator().manual_seed(seed)
    t0 = time.perf_counter()
    noise = torch.randn(count, 1, 28, 28, generator=gen)
    with torch.inference_mode():
        steps = list(model.denoise(labels, gen, start=x, strength=strength, noise=noise, **options))
    seconds = time.perf_counter() - t0
    noised = model.schedule.q_sample(x[:1] * 2 - 1, steps[0].t, noise[:1])
    return {"noised": to_uint8(((noised + 1) / 2).clamp(0, 1))[0], "results": to_uint8(steps[-1].x),
            "seconds": seconds, "steps": len(steps), **_judge(dataset, steps[-1].x, label)}


def _judge(dataset: str, x: torch.Tensor, label: int) -> dict:
    from . import metrics

    pred, conf = metrics.classify(dataset, x)
    names = dataset_info(dataset).classes
    return {"captions": [f"{names[p]} {c:.0%}" for p, c in zip(pred.tolist(), conf.tolist())],
            "agree": (pred == label).tolist()}


def compare_steps(dataset: str, label=None, seed=0, n=4, **options) -> Iterator[pipeline.Result]:
    """The same seed and start noise at 5, 10, 25 and 50 steps (the other ``options`` as given):
    one ``Result`` per step count, each as soon as it is done."""
    options.pop("steps", None)
    for s in COMPARED_STEPS:
        yield pipeline.generate(FAMILY, dataset, label, n, seed, steps=s, **options)
