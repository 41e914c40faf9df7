"""Charts as pictures (PIL only): the bars of a distribution, a curve with a marked point, a
trade-off of two measurements against one setting, and horizontal bars with floors.

Each leaves its top 26 px free for the label ``gr.Image`` draws over it; text with Chinese is
written in a font that has its glyphs (``render.font_for``).
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from .render import font_for, typeface


def bars(probs: np.ndarray, chosen: int, title: str, width: int = 420, height: int = 260,
         swatches: np.ndarray | None = None, names: list[str] | None = None,
         axis: str = "grey level (black ... white)", tallest: float = 1.0) -> Image.Image:
    """A bar chart of a distribution: each bar over a swatch (default: its grey level, for a
    distribution over grey levels) and an optional name, the value that was drawn outlined in
    red, probabilities above the bars. A bar of probability ``tallest`` fills the height (pass
    the largest shown, for a few bars out of many). The top 26 px stay free for an overlaid label."""
    k = len(probs)
    if swatches is None:
        swatches = [(round(255 * i / max(k - 1, 1)),) * 3 for i in range(k)]
    img = Image.new("RGB", (width, height), (255, 255, 255))
    d = ImageDraw.Draw(img)
    font = typeface(12)
    d.text((8, 28), title, fill=(30, 30, 30), font=font_for(title, 12))
    top, bottom, left = 62, height - 40, 8
    slot = (width - 2 * left) / k
    for i, p in enumerate(np.asarray(probs, dtype=float)):
        x0, x1 = left + i * slot + 4, left + (i + 1) * slot - 4
        y0 = bottom - p / tallest * (bottom - top)
        d.rectangle([x0, y0, x1, bottom], fill=(230, 110, 40) if i == chosen else (90, 120, 190))
        d.text((x0, y0 - 15), f"{p:.0%}" if p >= 0.005 else "0%", fill=(30, 30, 30), font=font)
        d.rectangle([x0, bottom + 6, x1, bottom + 22], fill=tuple(int(c) for c in swatches[i]),
                     outline=(120, 120, 120))
        if names:
            d.text((x0, bottom + 8), names[i], fill=(0, 0, 0), font=font_for(names[i], 12))
        if i == chosen:
            d.rectangle([x0 - 3, bottom + 3, x1 + 3, bottom + 25], outline=(230, 40, 40), width=3)
    d.text((left, height - 14), axis, fill=(90, 90, 90), font=font_for(axis, 12))
    return img


def curve(values: np.ndarray, mark: int | None, title: str, xlabel: str, width: int = 420,
          height: int = 240, marks: list[int] | None = None) -> Image.Image:
    """A line plot of ``values`` (in [0, 1]) against their index, with the index ``mark`` shown
    as a red dot and line, and ``marks`` (e.g. every step of a sampler) as small ticks. The top
    26 px stay free for an overlaid label."""
    img = Image.new("RGB", (width, height), (255, 255, 255))
    d = ImageDraw.Draw(img)
    font = typeface(12)
    d.text((8, 28), title, fill=(30, 30, 30), font=font_for(title, 12))
    left, right, top, bottom = 34, width - 12, 50, height - 34
    n = len(values)

    def xy(i, v):
        return left + (right - left) * i / max(n - 1, 1), bottom - (bottom - top) * float(v)

    d.line([left, top, left, bottom, right, bottom], fill=(120, 120, 120))
    for v in (0, 0.5, 1):
        d.text((6, xy(0, v)[1] - 7), f"{v:g}", fill=(90, 90, 90), font=font)
    d.line([xy(i, v) for i, v in enumerate(values)], fill=(90, 120, 190), width=2)
    for i in marks or []:
        x, _ = xy(i, 0)
        d.line([x, bottom, x, bottom + 4], fill=(90, 120, 190))
    if mark is not None:
        x, y = xy(mark, values[mark])
        d.line([x, top, x, bottom], fill=(230, 40, 40))
        d.ellipse([x - 4, y - 4, x + 4, y + 4], fill=(230, 40, 40))
    d.text((left, height - 16), xlabel, fill=(90, 90, 90), font=font_for(xlabel, 12))
    return img


def tradeoff(xs: list[float], left: list[float], right: list[float], mark: float | None, title: str, xlabel: str,
             left_label: str, right_label: str, others: list[tuple[float, float]] | None = None,
             width: int = 460, height: int = 300) -> Image.Image:
    """Two measurements against one setting (e.g. FID and class accuracy against the guidance
    scale): ``left`` in blue on the left axis (from 0), ``right`` in green on the right axis (a
    share, drawn from its lowest value to 100%), the setting ``mark`` as a red line. ``others``:
    more (x, left) points drawn as hollow blue rings (e.g. the same scale in a limited interval).
    The top 26 px stay free for an overlaid label."""
    img = Image.new("RGB", (width, height), (255, 255, 255))
    d = ImageDraw.Draw(img)
    font = typeface(12)
    blue, green, red, grey = (60, 90, 180), (40, 150, 70), (230, 40, 40), (110, 110, 110)
    d.text((8, 28), title, fill=(30, 30, 30), font=font_for(title, 12))
    l, r, t, b = 44, width - 48, 66, height - 40
    lo_x, hi_x = min(xs), max(xs)
    top_left = max([*left, *(v for _, v in others or [])]) * 1.1 or 1.0
    lo_right = min(right) - 0.02 if min(right) < 1 else 0.9

    def px(x):
        return l + (r - l) * (x - lo_x) / ((hi_x - lo_x) or 1)

    def py_left(v):
        return b - (b - t) * v / top_left

    def py_right(v):
        return b - (b - t) * (v - lo_right) / ((1 - lo_right) or 1)

    d.line([l, t, l, b, r, b, r, t], fill=(170, 170, 170))
    for frac in (0, 0.5, 1):
        d.text((4, py_left(frac * top_left) - 7), f"{frac * top_left:.0f}", fill=blue, font=font)
        v = lo_right + frac * (1 - lo_right)
        d.text((r + 4, py_right(v) - 7), f"{v:.0%}", fill=green, font=font)
    for x in xs:
        d.text((px(x) - 6, b + 4), f"{x:g}", fill=grey, font=font)
    d.line([(px(x), py_left(v)) for x, v in zip(xs, left)], fill=blue, width=2)
    d.line([(px(x), py_right(v)) for x, v in zip(xs, right)], fill=green, width=2)
    for x, v in zip(xs, left):
        d.ellipse([px(x) - 3, py_left(v) - 3, px(x) + 3, py_left(v) + 3], fill=blue)
    for x, v in others or []:
        d.ellipse([px(x) - 5, py_left(v) - 5, px(x) + 5, py_left(v) + 5], outline=blue, width=2)
    if mark is not None and lo_x <= mark <= hi_x:
        d.line([px(mark), t, px(mark), b], fill=red, width=2)
    d.text((l, height - 18), xlabel, fill=grey, font=font_for(xlabel, 12))
    d.text((l, t - 18), left_label, fill=blue, font=font_for(left_label, 12))
    right_font = font_for(right_label, 12)
    d.text((r - d.textlength(right_label, font=right_font), t - 18), right_label, fill=green, font=right_font)
    return img


def hbars(labels: list[str], values: list[float], title: str, unit: str = "", floors: list[float] | None = None,
          width: int = 420, bar: int = 22) -> Image.Image:
    """Horizontal bars, one per label, the value written at the end; with ``floors`` a dark tick
    on each bar where its floor is (e.g. FID's real-vs-real floor). The top 26 px stay free."""
    top, left, right = 50, 96, 70
    img = Image.new("RGB", (width, top + len(values) * (bar + 8) + 10), (255, 255, 255))
    d = ImageDraw.Draw(img)
    font = typeface(12)
    d.text((8, 28), title, fill=(30, 30, 30), font=font_for(title, 12))
    most = max([*values, *(floors or [])] or [1.0]) or 1.0
    scale = (width - left - right) / most
    for i, (name, v) in enumerate(zip(labels, values)):
        y = top + i * (bar + 8)
        d.text((8, y + 4), name, fill=(30, 30, 30), font=font_for(name, 12))
        d.rectangle([left, y, left + v * scale, y + bar], fill=(90, 120, 190))
        d.text((left + v * scale + 6, y + 4), f"{v:,.3g}{unit}", fill=(30, 30, 30), font=font)
        if floors:
            x = left + floors[i] * scale
            d.line([x, y - 2, x, y + bar + 2], fill=(230, 40, 40), width=3)
    return img
