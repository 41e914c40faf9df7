"""Autoregressive families (one pixel or token at a time): watch them paint, and let them finish
an image that someone started.

Works for any family whose model has ``grid`` (the rows and columns of its sequence: 28x28
pixels, 7x7 tokens), ``stream(labels, generator, given=, rows=, every=, **options)`` yielding
``models.Step``s with the decision of each step (position, probs, value; extras of its own)
and ``kept(given, rows)``.
Same rules as ``pipeline``: checked arguments, uint8 out, one ``torch.Generator`` per call.
"""
from __future__ import annotations

import time

import numpy as np
import torch
from PIL import Image

from . import drawing, explore, metrics, models, pipeline
from .data import IMAGE_SIZE, NUM_CLASSES, dataset_info, to_uint8

PAINT_MAX_N = pipeline.STREAM_MAX_N  # images painted live at once in the app
MAX_COMPLETIONS = 8
EXAMPLES_PER_CLASS = 10  # test images per class in the shipped example sheet
# The most pixels a picture may have: the largest drawing ``drawing.prepare`` takes (2048x2048,
# 4.2 M pixels, 16 MB as RGBA). The canvases are 280x280; anything bigger would be refused by
# the drawing's own checks after it had been decoded, so the app refuses it before (by its header).
MAX_PIXELS = drawing.MAX_SIDE ** 2


def check_pixels(pixels: int, size: str = "") -> None:
    """Refuse a picture of more than ``MAX_PIXELS`` pixels (``size``: its width x height, if known)."""
    if pixels > MAX_PIXELS:
        raise ValueError(f"a picture may have at most {MAX_PIXELS:,} pixels ({drawing.MAX_SIDE}x{drawing.MAX_SIDE}), "
                         f"got {pixels:,}" + (f" ({size})" if size else ""))


def grid(family: str) -> tuple[int, int]:
    """The rows and columns of a family's sequence (28x28 pixels, 7x7 tokens)."""
    pipeline.check_family(family)
    return models.get(family).Model.grid


def rows_range(family: str) -> tuple[int, int]:
    """The rows ``complete`` may keep: 0 (none) .. all but the last."""
    return 0, grid(family)[0] - 1


def paint(family: str, dataset: str, label=None, n=4, seed=0, every: int | None = None, **options):
    """``pipeline.stream`` with a ``Frame`` every ``every`` positions (default: one row of the
    family's grid) while sampling ``n`` images (1-16); the last one carries the ``Result``."""
    rows, cols = grid(family)
    every = pipeline.check_int("every", cols if every is None else every, 1, rows * cols)
    yield from pipeline.stream(family, dataset, label, n, seed, every=every, **options)


def start_image(dataset: str, label=None, example=0, image=None) -> tuple[np.ndarray, int, str]:
    """The image to complete and the class to condition on, with a note on where they came from.

    Either ``image`` (a drawing: any size, grey/RGB/RGBA) or the shipped test image number
    ``example`` (0-9) of class ``label``. ``label`` None or -1 with a drawing lets the shipped
    classifier decide what it shows. A drawing of more than ``MAX_PIXELS`` pixels is refused
    before anything is done with it (a PIL image is not decoded).
    """
    label = pipeline.check_label(label)
    if isinstance(image, Image.Image):
        check_pixels(image.width * image.height, f"{image.width}x{image.height}")
    elif len(getattr(image, "shape", ())) >= 2:  # an array
        h, w = image.shape[:2]
        check_pixels(int(h) * int(w), f"{w}x{h}")
    if image is None:
        if label is None:
            raise ValueError("pick the class of the test image to start from (0-9)")
        example = pipeline.check_int("example", example, 0, EXAMPLES_PER_CLASS - 1)
        images, labels = pipeline.examples(dataset)
        return images[labels == label][example], label, "a test image"
    x28 = drawing.prepare(image, dataset)
    if label is not None:
        return x28, label, "your drawing"
    label, name, conf = explore.what_was_drawn(dataset, x28)
    return x28, label, f"your drawing (the classifier sees {name}, {conf:.0%})"


def complete(family: str, dataset: str, start: np.ndarray, label: int, rows=3, count=5, seed=0,
             **options) -> dict:
    """Keep the top ``rows`` rows of the family's grid (pixel rows, or token rows of 4 pixels)
    of ``start`` (uint8 28x28) and let the model draw the rest ``count`` times.

    Returns ``kept`` (the start as the model sees it, with the rest blank), ``kept_pixels`` (how
    many pixels of it are kept, in raster order), ``completions`` uint8 (count, 28, 28), the
    classifier's ``captions`` and ``agree``, and ``seconds``."""
    rows = pipeline.check_int("rows", rows, *rows_range(family))
    count = pipeline.check_int("count", count, 1, MAX_COMPLETIONS)
    seed, label = pipeline.check_seed(seed), pipeline.check_int("label", label, 0, NUM_CLASSES - 1)
    options = pipeline.check_options(family, options)
    start = np.asarray(start)
    if start.shape != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"the start image must be {IMAGE_SIZE}x{IMAGE_SIZE}, got shape {start.shape}")
    model = pipeline.load_model(family, dataset)
    given = torch.from_numpy(start.astype(np.float32) / 255)[None, None].expand(count, -1, -1, -1)
    labels = torch.full((count,), label, dtype=torch.long)
    t0 = time.perf_counter()
    with torch.inference_mode():
        *_, last = model.stream(labels, torch.Generator().manual_seed(seed), given=given, rows=rows,
                               every=0, **options)
        seconds = time.perf_counter() - t0
        kept = to_uint8(model.kept(given[:1], rows))[0]
        pred, conf = metrics.classify(dataset, last.canvas)
    names = dataset_info(dataset).classes
    kept_pixels = rows * (IMAGE_SIZE // model.grid[0]) * IMAGE_SIZE
    return {"kept": kept, "kept_pixels": kept_pixels, "completions": to_uint8(last.canvas), "seconds": seconds,
            "captions": [f"{names[p]} {c:.0%}" for p, c in zip(pred.tolist(), conf.tolist())],
            "agree": (pred == label).tolist()}



def inpainters() -> tuple[str, ...]:
    """The families whose model has ``inpaint(given, keep, labels, generator, **options)``."""
    return tuple(f for f in models.FAMILIES + models.DEVELOPING if callable(getattr(models.get(f).Model, "inpaint", None)))


def inpaint(family: str, dataset: str, start: np.ndarray, keep: np.ndarray, label: int, count=5, seed=0,
            **options) -> dict:
    """Keep the tokens or pixels of ``start`` (uint8 28x28) where ``keep`` (a bool grid of the
    family's: ``grid``) is true and let the model fill in the rest, any region, ``count`` times.

    Returns ``kept`` (the start as the model is given it: the kept tokens decoded or the kept
    pixels, the rest blank), ``hidden`` (tokens or pixels to fill), ``completions`` uint8
    (count, 28, 28) in which the kept pixels of a pixel family are the start's exactly, the
    classifier's ``captions`` and ``agree``, and ``seconds``."""
    pipeline.check_family(family)
    if family not in inpainters():
        raise ValueError(f"{family} cannot fill in any region; the families that can are {', '.join(inpainters())}")
    count = pipeline.check_int("count", count, 1, MAX_COMPLETIONS)
    seed, label = pipeline.check_seed(seed), pipeline.check_int("label", label, 0, NUM_CLASSES - 1)
    options = pipeline.check_options(family, options)
    keep = np.asarray(keep)
    if keep.shape != tuple(grid(family)) or keep.dtype != bool:
        raise ValueError(f"the region to keep must be a {grid(family)[0]}x{grid(family)[1]} grid of true/false, "
                         f"got {keep.dtype} of shape {keep.shape}")
    if keep.all():
        raise ValueError("nothing to fill in: mark at least one part of the image")
    start = np.asarray(start)
    if start.shape != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"the start image must be {IMAGE_SIZE}x{IMAGE_SIZE}, got shape {start.shape}")
    model = pipeline.load_model(family, dataset)
    given = torch.from_numpy(start.astype(np.float32) / 255)[None, None].expand(count, -1, -1, -1)
    labels, mask = torch.full((count,), label, dtype=torch.long), torch.from_numpy(keep)
    t0 = time.perf_counter()
    with torch.inference_mode():
        out = model.inpaint(given, mask, labels, torch.Generator().manual_seed(seed), **options)
        seconds = time.perf_counter() - t0
        if hasattr(model, "tokenize"):  # the kept tokens decoded, the rest a blank patch
            tokens = model.tokenize(given[:1])
            kept = to_uint8(model.detokenize(tokens.where(mask, model.blank_token())))[0]
        else:  # the kept pixels, the rest black
            kept = np.where(keep, start, 0).astype(np.uint8)
        pred, conf = metrics.classify(dataset, out)
    names = dataset_info(dataset).classes
    return {"kept": kept, "hidden": int((~keep).sum()), "completions": to_uint8(out), "seconds": seconds,
            "captions": [f"{names[p]} {c:.0%}" for p, c in zip(pred.tolist(), conf.tolist())],
            "agree": (pred == label).tolist()}
