"""Denoising families beyond sampling: watch them denoise step by step, start from a drawing
(SDEdit), and compare step counts. Works for any family whose model streams ``Step``s with a
``preview`` (its guess of the clean images); SDEdit for one whose ``stream`` also takes
``start``, ``strength`` and ``noise`` and that has a noise ``schedule``; ``path`` for one whose
steps carry the extra ``state`` (x in the model's own units). Same rules as
``pipeline``: checked arguments, uint8 out, one ``torch.Generator`` per call.
"""
from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np
import torch

from . import models, pipeline
from .data import NUM_CLASSES, dataset_info, to_uint8

MAX_N = pipeline.STREAM_MAX_N  # images denoised live at once in the app
COMPARED_STEPS = (5, 10, 25, 50)


def schedule(family: str) -> np.ndarray:
    """abar_t for t = 0..T-1 of the family's noise schedule (its models' ``schedule``): how much
    of the image is left at each timestep (1 = all, 0 = noise). No checkpoint is loaded."""
    pipeline.check_family(family)
    return models.get(family).Model.schedule.alpha_bar.float().numpy()


def guidance_sweep(family: str, dataset: str) -> dict | None:
    """The guidance sweep of ``benchmarks/guidance_sweep.py`` from the family's card: ``rows``
    of guidance, guide_from, guide_to, fid, class_accuracy, precision, recall (None if not run)."""
    pipeline.check_family(family)
    dataset_info(dataset)
    from . import checkpoint

    return checkpoint.read_sweep(family, dataset, "guidance")


def denoise(family: str, dataset: str, label=None, n=4, seed=0, **options):
    """``pipeline.stream``: a ``Frame`` per step while sampling ``n`` images (1-16); each frame's
    ``preview`` is the network's guess of the clean images, the last carries the ``Result``."""
    yield from pipeline.stream(family, dataset, label, n, seed, **options)


def edit(family: str, dataset: str, start: np.ndarray, label, strength=0.6, count=4, seed=0, **options) -> dict:
    """SDEdit: noise ``start`` (uint8 28x28) to ``strength`` of the way to pure noise (0-1) and
    denoise it ``count`` times as class ``label``. Returns the ``noised`` start (of the first
    draw), the ``results``, the classifier's ``captions`` and ``agree``, ``seconds``, ``steps``."""
    dataset_info(dataset)
    label = pipeline.check_int("label", label, 0, NUM_CLASSES - 1)
    count = pipeline.check_int("count", count, 1, 8)
    seed = pipeline.check_seed(seed)
    strength = pipeline.check_float("strength", strength, 0, 1)
    options = pipeline.check_options(family, options)
    start = np.asarray(start)
    if start.shape != (28, 28):
        raise ValueError(f"the start image must be 28x28, got shape {start.shape}")
    x = torch.from_numpy(start.astype(np.float32) / 255)[None, None].expand(count, -1, -1, -1)
    if strength == 0:  # no noise: nothing to undo
        return {"noised": start, "results": np.repeat(start[None], count, 0), "seconds": 0.0, "steps": 0,
                **_captions(dataset, x, label)}
    model = pipeline.load_model(family, dataset)
    labels = torch.full((count,), label, dtype=torch.long)
    gen = torch.Generator().manual_seed(seed)
    t0 = time.perf_counter()
    noise = torch.randn(count, 1, 28, 28, generator=gen)
    with torch.inference_mode():
        steps = list(model.stream(labels, gen, start=x, strength=strength, noise=noise, **options))
    seconds = time.perf_counter() - t0
    noised = model.schedule.q_sample(x[:1] * 2 - 1, steps[0].t, noise[:1])
    return {"noised": to_uint8(((noised + 1) / 2).clamp(0, 1))[0], "results": to_uint8(steps[-1].canvas),
            "seconds": seconds, "steps": len(steps), **_captions(dataset, steps[-1].canvas, label)}


def path(family: str, dataset: str, label=0, seed=0, **options) -> dict:
    """The path one image of class ``label`` takes from its start noise to the sample (the image
    ``pipeline.generate`` makes with n=1 and this seed), in the plane of its two ends: ``points``
    (steps + 1, 2), each x along the start noise and along the part of the sample orthogonal to
    it, in the model's units; ``straightness``: the distance from start to end over the length
    of the path (1: a straight line); ``image`` (uint8 28x28) and ``nfe``."""
    pipeline.check_family(family)
    dataset_info(dataset)
    label, seed = pipeline.check_int("label", label, 0, NUM_CLASSES - 1), pipeline.check_seed(seed)
    options = pipeline.check_options(family, options)
    model = pipeline.load_model(family, dataset)
    gen = torch.Generator().manual_seed(seed)
    noise = torch.randn(1, 1, 28, 28, generator=gen)  # what stream would draw first
    with torch.inference_mode():
        steps = list(model.stream(torch.tensor([label]), gen, noise=noise, **options))
        xs = torch.stack([noise.flatten(), *(s.extras["state"].flatten() for s in steps)]).double()
    along = xs[0] / xs[0].norm()
    across = xs[-1] - (xs[-1] @ along) * along
    across = across / across.norm().clamp_min(1e-12)
    length = (xs[1:] - xs[:-1]).norm(dim=1).sum().item()
    return {"points": torch.stack([xs @ along, xs @ across], 1).numpy(),
            "straightness": (xs[-1] - xs[0]).norm().item() / max(length, 1e-12),
            "image": to_uint8(steps[-1].canvas)[0], "nfe": pipeline.nfe(model, options)}


def _captions(dataset: str, x: torch.Tensor, label: int) -> dict:
    from . import metrics

    pred, conf = metrics.classify(dataset, x)
    names = dataset_info(dataset).classes
    return {"captions": [f"{names[p]} {c:.0%}" for p, c in zip(pred.tolist(), conf.tolist())],
            "agree": (pred == label).tolist()}


def compare_steps(family: str, dataset: str, label=None, seed=0, n=4, counts=COMPARED_STEPS,
                  **options) -> Iterator[pipeline.Result]:
    """The same seed and start noise at each step count of ``counts`` (the other ``options`` as
    given): one ``Result`` per step count, each as soon as it is done."""
    options.pop("steps", None)
    for s in counts:
        yield pipeline.generate(family, dataset, label, n, seed, steps=s, **options)
