"""Turn a user's drawing (any size, grey, RGB or RGBA) into a 28x28 image like the dataset's.

As MNIST was made: crop to the ink, scale the longer side into a box (20 px for digits),
and centre by the centre of mass in a 28x28 frame.
"""
from __future__ import annotations

import numpy as np
from PIL import Image

from .data import IMAGE_SIZE, dataset_info

MIN_SIDE, MAX_SIDE = 28, 2048
INK_LEVEL = 0.1  # share of full ink below which a pixel counts as background


def prepare(drawing, dataset: str) -> np.ndarray:
    """Return uint8 (28, 28), white ink on black, from a drawing array or PIL image.

    Raises:
        ValueError: an empty drawing, or one whose sides are not within 28..2048 pixels.
    """
    info = dataset_info(dataset)
    if drawing is None:
        raise ValueError("the drawing is empty: draw something first")
    a = np.asarray(drawing.convert("RGBA") if isinstance(drawing, Image.Image) else drawing)
    if a.dtype == object or a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (1, 3, 4)):
        raise ValueError(f"a drawing must be a grey, RGB or RGBA image, got an array of shape {a.shape}")
    h, w = a.shape[:2]
    if not (MIN_SIDE <= h <= MAX_SIDE and MIN_SIDE <= w <= MAX_SIDE):
        raise ValueError(f"a drawing's sides must be between {MIN_SIDE} and {MAX_SIDE} pixels, got {w}x{h}")
    if a.dtype.kind not in "uif" or a.dtype.kind == "b":
        raise ValueError(f"a drawing must hold numbers, got {a.dtype}")
    floats = a.dtype.kind == "f"
    a = a.astype(np.float32)
    if not np.isfinite(a).all():
        raise ValueError("a drawing must not contain NaN or infinite values")
    if floats and a.max() <= 1.0:  # floats in [0, 1]
        a = a * 255
    if a.ndim == 3 and a.shape[2] == 4:  # composite over white: transparent means untouched paper
        alpha = a[..., 3:] / 255
        a = a[..., :3] * alpha + 255 * (1 - alpha)
    grey = a.mean(2) if a.ndim == 3 else a
    # the paper is whatever covers most of the border; ink is what differs from it
    border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
    ink = 255 - grey if np.median(border) > 127 else grey
    ink = np.clip(ink, 0, 255)
    if ink.max() < 255 * INK_LEVEL:
        raise ValueError("the drawing is empty: draw something first")
    ys, xs = np.nonzero(ink > ink.max() * INK_LEVEL)
    crop = ink[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    ch, cw = crop.shape
    scale = info.fit / max(ch, cw)
    size = (max(1, round(cw * scale)), max(1, round(ch * scale)))
    small = np.asarray(Image.fromarray(crop.astype(np.uint8)).resize(size, Image.LANCZOS), np.float32)
    small = np.clip(small, 0, 255)
    out = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    total = small.sum() or 1.0
    cy = (small.sum(1) * np.arange(small.shape[0])).sum() / total
    cx = (small.sum(0) * np.arange(small.shape[1])).sum() / total
    top = int(np.clip(round(IMAGE_SIZE / 2 - cy), 0, IMAGE_SIZE - small.shape[0]))
    left = int(np.clip(round(IMAGE_SIZE / 2 - cx), 0, IMAGE_SIZE - small.shape[1]))
    out[top:top + small.shape[0], left:left + small.shape[1]] = small
    return (out * (255 / out.max())).round().astype(np.uint8)


MARKED_SHARE = 0.2  # share of a cell's pixels that must be painted for the cell to count as marked


def marked_cells(strokes, grid: tuple[int, int]) -> np.ndarray:
    """Where a user painted over an image, as a (rows, cols) bool grid: a cell is marked when at
    least ``MARKED_SHARE`` of its pixels are painted. ``strokes`` is an RGBA image (painted where
    alpha > 0), a grey or RGB image (painted where not black), or a list of such layers.

    Raises:
        ValueError: nothing painted, or not an image.
    """
    layers = strokes if isinstance(strokes, (list, tuple)) else [strokes]
    painted = None
    for layer in layers:
        if layer is None:
            continue
        a = np.asarray(layer.convert("RGBA") if isinstance(layer, Image.Image) else layer)
        if a.dtype == object or a.ndim not in (2, 3) or a.dtype.kind not in "uif":
            raise ValueError(f"a painted region must be a grey, RGB or RGBA image, got {a.dtype} of shape {a.shape}")
        h, w = a.shape[:2]
        if not (MIN_SIDE <= h <= MAX_SIDE and MIN_SIDE <= w <= MAX_SIDE):
            raise ValueError(f"a painted region's sides must be between {MIN_SIDE} and {MAX_SIDE} pixels, got {w}x{h}")
        here = a[..., 3] > 0 if a.ndim == 3 and a.shape[2] == 4 else (a.reshape(h, w, -1).max(2) > 0)
        if painted is not None and here.shape != painted.shape:
            raise ValueError(f"the painted layers differ in size: {painted.shape} and {here.shape}")
        painted = here if painted is None else painted | here
    rows, cols = grid
    if painted is None or not painted.any():
        raise ValueError("nothing is painted: paint over the part of the image to fill in")
    cells = np.asarray(Image.fromarray(painted.astype(np.uint8) * 255).resize((cols, rows), Image.BOX), np.float32)
    marked = cells >= 255 * MARKED_SHARE
    if not marked.any():
        raise ValueError("the painted strokes are too thin: paint over a larger part of the image")
    return marked
