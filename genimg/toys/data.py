"""The 2-D data the toy families learn: five presets, a word, or a drawing, all as points in the
plane's box ``[-BOX, BOX]²``.

A source is a function ``(n, generator) -> (n, 2)`` float tensor. A training run draws its
``TRAIN`` points once (its dataset) and ``HELD_OUT`` more for the score, always with the data's
own seed, so every family and every run on the same data sees the same points. A word and a
drawing are an ink mask: points are drawn uniformly from the ink, the mask's pixels scaled into
the box, its aspect kept.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageDraw

from .. import checks

BOX = 2.0  # the plane shown is [-BOX, BOX] on both axes
FILL = 0.85  # a word or a drawing fills this share of the box (its longer side)
TRAIN, HELD_OUT = 20_000, 1000 # points learned from; points the score compares against
DATA_SEED = 12345  # the data's own seed: the same points whatever the training seed
MAX_WORD = 12  # characters of a word
WORD_PX = 96  # a word is drawn this many pixels high before it becomes points
MIN_INK, MAX_INK = 20, 40_000  # ink pixels of a word or drawing: enough to learn from, and a bound


@dataclass(frozen=True)
class Mixture:
    """Gaussians of one spread ``std`` at ``centres``: their modes can be counted."""

    centres: np.ndarray  # (K, 2)
    std: float

    def __call__(self, n: int, gen: torch.Generator) -> torch.Tensor:
        pick = torch.randint(len(self.centres), (n,), generator=gen)
        return torch.as_tensor(self.centres, dtype=torch.float32)[pick] + self.std * torch.randn(n, 2, generator=gen)


def ring(k: int = 8, radius: float = 1.5, std: float = 0.08) -> Mixture:
    angles = 2 * math.pi * np.arange(k) / k
    return Mixture(radius * np.stack([np.cos(angles), np.sin(angles)], 1), std)


def grid(side: int = 5, spacing: float = 0.8, std: float = 0.05) -> Mixture:
    ticks = (np.arange(side) - (side - 1) / 2) * spacing
    return Mixture(np.array([(x, y) for y in ticks for x in ticks]), std)


def moons(n: int, gen: torch.Generator, noise: float = 0.06) -> torch.Tensor:
    upper = torch.rand(n, generator=gen) < 0.5
    a = math.pi * torch.rand(n, generator=gen)
    x = torch.where(upper, torch.cos(a), 1 - torch.cos(a))
    y = torch.where(upper, torch.sin(a), 0.5 - torch.sin(a))
    pts = torch.stack([x - 0.5, y - 0.25], 1) * 1.1
    return pts + noise * torch.randn(n, 2, generator=gen)


def spiral(n: int, gen: torch.Generator, turns: float = 2.0, noise: float = 0.05) -> torch.Tensor:
    s = torch.rand(n, generator=gen).sqrt()  # even density along the arm's length
    a = 2 * math.pi * turns * s
    pts = 1.7 * s[:, None] * torch.stack([torch.cos(a), torch.sin(a)], 1)
    return pts + noise * torch.randn(n, 2, generator=gen)


def checkerboard(n: int, gen: torch.Generator, side: int = 4, half: float = 1.6) -> torch.Tensor:
    cell = 2 * half / side
    u = torch.randint(side, (n,), generator=gen)
    v = (torch.randint(side // 2, (n,), generator=gen) * 2 + u % 2) % side  # only the dark squares
    pts = torch.stack([u, v], 1).float() + torch.rand(n, 2, generator=gen)
    return pts * cell - half


PRESETS = {"ring8": ring(), "grid25": grid(), "moons": moons, "spiral": spiral, "checkerboard": checkerboard}
SOURCES = (*PRESETS, "word", "drawing")  # what ``data`` may name


class Ink:
    """Points drawn uniformly from the ink of a mask (True = ink), the mask scaled into the box."""

    def __init__(self, mask: np.ndarray):
        rows, cols = np.nonzero(mask)
        h, w = mask.shape
        self.scale = 2 * BOX * FILL / max(h, w)  # box units per pixel
        self.pixels = torch.as_tensor(np.stack([cols - w / 2, h / 2 - rows], 1), dtype=torch.float32)

    def __call__(self, n: int, gen: torch.Generator) -> torch.Tensor:
        pick = torch.randint(len(self.pixels), (n,), generator=gen)
        return (self.pixels[pick] + torch.rand(n, 2, generator=gen) - 0.5) * self.scale


def check_word(word) -> str:
    """A word to learn: 1 to ``MAX_WORD`` characters, not only spaces."""
    if not isinstance(word, str) or not word.strip():
        raise ValueError(f"word must be 1 to {MAX_WORD} characters, not only spaces, got {word!r}")
    if len(word.strip()) > MAX_WORD:
        raise ValueError(f"word may have at most {MAX_WORD} characters, got {len(word.strip())}")
    return word.strip()


def word_mask(word: str) -> np.ndarray:
    """``word`` drawn in the app's font (one with Chinese glyphs where it has Chinese), as ink."""
    from ..render import font_for

    font = font_for(word, WORD_PX)
    left, top, right, bottom = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), word, font=font)
    picture = Image.new("L", (right - left + 8, bottom - top + 8), 0)
    ImageDraw.Draw(picture).text((4 - left, 4 - top), word, fill=255, font=font)
    return np.asarray(picture) > 127


def drawing_mask(picture: np.ndarray) -> np.ndarray:
    """A drawing (H, W) grey or (H, W, C) colour, dark strokes on light paper, as ink; refuses
    one with too little or too much ink before anything is learned from it."""
    a = np.asarray(picture, dtype=np.float32)
    if a.ndim == 3:
        grey = a[..., :3].mean(-1) if a.shape[-1] >= 3 else a[..., 0]
        if a.shape[-1] == 4:  # transparent paper counts as paper
            grey = np.where(a[..., 3] < 128, 255.0, grey)
    else:
        grey = a
    mask = grey < 128
    return check_ink(mask, "drawing")


def check_ink(mask: np.ndarray, what: str) -> np.ndarray:
    """``mask`` if it has between ``MIN_INK`` and ``MAX_INK`` pixels of ink (``what``: drawing or word)."""
    ink = int(mask.sum())
    if ink < MIN_INK:
        raise ValueError(f"the drawing is empty: draw at least {MIN_INK} pixels of strokes" if what == "drawing" else
                         f"the word has too little ink to learn from: at least {MIN_INK} pixels, got {ink}")
    if ink > MAX_INK:
        raise ValueError(f"a {what} may have at most {MAX_INK:,} points (pixels of ink), got {ink:,}")
    return mask


def source(data: str, word: str = "", drawing=None):
    """The points of ``data`` (one of ``SOURCES``) as a source ``(n, generator) -> points``."""
    checks.choice("data", data, SOURCES)
    if data == "word":
        return Ink(check_ink(word_mask(check_word(word)), "word"))
    if data == "drawing":
        if drawing is None:
            raise ValueError(f"the drawing is empty: draw at least {MIN_INK} pixels of strokes")
        return Ink(drawing_mask(drawing))
    return PRESETS[data]


def split(points_of) -> tuple[torch.Tensor, torch.Tensor]:
    """(training points, held-out points), from the data's own seed."""
    gen = torch.Generator().manual_seed(DATA_SEED)
    return points_of(TRAIN, gen), points_of(HELD_OUT, gen)
