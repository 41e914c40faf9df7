"""Pictures of the plane, for the toy families (PIL and numpy only, no words): the data drawn
faintly, the samples over it, and the layers a family's view returns, by kind:

- ``dots``: points (``points`` (n, 2)); with ``hue`` (n, 2), each coloured by where that point
  of the data lies (its angle around the centre), so codes can be traced back to the data;
- ``lines``: polylines (``lines`` (m, k, 2)), e.g. a warped grid or sampling paths (``ends``:
  mark where each ends);
- ``heat``: values in [0, 1] on a square grid over the box (``values`` (g, g), top row first);
- ``arrows``: from ``at`` (m, 2) to ``to`` (m, 2);
- ``bars``: a distribution over equal bins across the box, along the bottom (``axis`` "x") or
  beside a vertical line at ``at`` (``axis`` "y");
- ``circle``: of ``radius`` around the centre.

And ``series``: several curves over training on one chart, with a dashed floor.
"""
from __future__ import annotations

import colorsys

import numpy as np
from PIL import Image, ImageDraw

from .render import font_for, typeface

SIDE = 240  # pixels of a plane picture
INK, DATA, SAMPLE = (20, 20, 20), (200, 200, 200), (25, 25, 25)
PALETTE = [(214, 39, 40), (31, 119, 180), (44, 160, 44), (148, 103, 189), (255, 127, 14), (23, 190, 207),
           (140, 86, 75), (227, 119, 194), (150, 150, 30)]


class Plane:
    """Box coordinates -> pixels of a ``side`` x ``side`` picture (y up)."""

    def __init__(self, box: float, side: int = SIDE):
        self.box, self.side = box, side

    def px(self, points: np.ndarray) -> np.ndarray:
        p = np.asarray(points, dtype=np.float32).reshape(-1, 2)
        return np.stack([(p[:, 0] + self.box) / (2 * self.box) * (self.side - 1),
                         (self.box - p[:, 1]) / (2 * self.box) * (self.side - 1)], 1)


def _dots(pixels: np.ndarray, at: np.ndarray, colours, size: int = 2) -> None:
    """Square dots straight into an (H, W, 3) array (thousands of points at numpy's speed)."""
    xy = np.round(at).astype(int)
    side = pixels.shape[0]
    colours = np.broadcast_to(np.asarray(colours, dtype=np.uint8), (len(xy), 3))
    for dx in range(size):
        for dy in range(size):
            x, y = xy[:, 0] + dx, xy[:, 1] + dy
            ok = (x >= 0) & (x < side) & (y >= 0) & (y < side)
            pixels[y[ok], x[ok]] = colours[ok]


def hues(points: np.ndarray) -> np.ndarray:
    """A colour per point by its angle around the centre."""
    angle = (np.arctan2(points[:, 1], points[:, 0]) / (2 * np.pi)) % 1
    return np.array([colorsys.hsv_to_rgb(a, 0.8, 0.85) for a in angle]) * 255


def _heat(values: np.ndarray, side: int) -> np.ndarray:
    """Values in [0, 1] as an (side, side, 3) picture, diverging around a half: white at 0.5,
    a deep blue towards 1 ("real"), orange towards 0 ("fake")."""
    v = np.asarray(Image.fromarray((np.clip(values, 0, 1) * 255).astype(np.uint8)).resize((side, side), Image.BILINEAR))
    v = v[..., None] / 255.0 * 2 - 1  # -1 (fake) .. 1 (real)
    real, fake = np.array([215, 160, 60]), np.array([10, 110, 200])  # what is taken from white
    return (255 - np.clip(v, 0, 1) * real - np.clip(-v, 0, 1) * fake).astype(np.uint8)


def picture(box: float, data: np.ndarray | None = None, samples: np.ndarray | None = None,
            layers: list[dict] = (), side: int = SIDE) -> Image.Image:
    """The plane with the data faint, the layers, and the samples on top."""
    plane = Plane(box, side)
    pixels = np.full((side, side, 3), 255, dtype=np.uint8)
    for layer in layers:
        if layer["kind"] == "heat":
            pixels = _heat(layer["values"], side)
    if data is not None:
        _dots(pixels, plane.px(data), DATA)
    for layer in layers:
        if layer["kind"] == "dots":
            colours = hues(layer["hue"]) if layer.get("hue") is not None else INK
            _dots(pixels, plane.px(layer["points"]), colours)
    if samples is not None:
        _dots(pixels, plane.px(samples), SAMPLE)
    img = Image.fromarray(pixels)
    d = ImageDraw.Draw(img)
    for layer in layers:
        draw = _DRAW.get(layer["kind"])
        if draw:
            draw(d, plane, layer)
    d.rectangle([0, 0, side - 1, side - 1], outline=(160, 160, 160))
    return img


def _lines(d: ImageDraw.ImageDraw, plane: Plane, layer: dict) -> None:
    for k, line in enumerate(layer["lines"]):
        colour = PALETTE[k % len(PALETTE)] if layer.get("ends") else (70, 130, 200)
        d.line([tuple(p) for p in plane.px(line)], fill=colour, width=1)
        if layer.get("ends"):
            x, y = plane.px(line[-1])[0]
            d.ellipse([x - 3, y - 3, x + 3, y + 3], outline=colour, width=2)


def _arrows(d: ImageDraw.ImageDraw, plane: Plane, layer: dict) -> None:
    for a, b in zip(plane.px(layer["at"]), plane.px(layer["to"])):
        d.line([tuple(a), tuple(b)], fill=(200, 70, 40), width=1)
        v = b - a
        n = np.hypot(*v)
        if n > 2:
            u = v / n
            for turn in (np.array([[-0.5, -0.87], [0.87, -0.5]]), np.array([[-0.5, 0.87], [-0.87, -0.5]])):
                tip = b + 4 * (turn @ u)
                d.line([tuple(b), tuple(tip)], fill=(200, 70, 40), width=1)
        d.point(tuple(a), fill=(90, 90, 90))


def _bars(d: ImageDraw.ImageDraw, plane: Plane, layer: dict) -> None:
    probs = np.asarray(layer["probs"], dtype=float)
    k, tall = len(probs), max(float(probs.max()), 1e-9)
    edges = np.linspace(-plane.box, plane.box, k + 1)
    if layer["axis"] == "x":
        for p, a, b in zip(probs, edges, edges[1:]):
            (x0, _), (x1, y1) = plane.px([[a, 0], [b, -plane.box]])
            d.rectangle([x0, y1 - p / tall * plane.side * 0.25, x1, y1], fill=(150, 150, 150))
        return
    (xa, _), = plane.px([[layer["at"], 0]])
    d.line([xa, 0, xa, plane.side], fill=(230, 110, 40), width=1)
    for p, a, b in zip(probs, edges, edges[1:]):
        (_, y0), (_, y1) = plane.px([[0, b], [0, a]])
        d.rectangle([xa, y0, xa + p / tall * plane.side * 0.4, y1], fill=(230, 110, 40))


def _circle(d: ImageDraw.ImageDraw, plane: Plane, layer: dict) -> None:
    (x0, y0), (x1, y1) = plane.px([[-layer["radius"], layer["radius"]], [layer["radius"], -layer["radius"]]])
    d.ellipse([x0, y0, x1, y1], outline=(90, 90, 90), width=1)


_DRAW = {"lines": _lines, "arrows": _arrows, "bars": _bars, "circle": _circle}


def series(curves: dict[str, list[tuple[float, float]]], title: str, xlabel: str, floor: float | None = None,
           floor_label: str = "", width: int = 480, height: int = 260, log: bool = True,
           colours: dict[str, tuple] | None = None, xlog: bool = False, marks: bool = False,
           yticks: tuple[float, ...] = (), legend: int = 120, faint: tuple[str, ...] = ()) -> Image.Image:
    """Curves (name -> [(x, y)]) on one chart, a legend of their names, and a dashed ``floor``
    (the lowest a curve can honestly reach); ``log`` puts y on a log scale, ``xlog`` x (x > 0,
    ticks at 1, 2, 5 per decade; else x runs from 0), ``marks`` puts a dot on every point, and
    ``yticks`` (those in range) replace the evenly spread y labels, ``legend`` is the width kept
    on the right for the names, and the curves named in ``faint`` are drawn thick and pale
    beneath the others (a frontier under the curves it follows). The top 26 px stay free for an
    overlaid label."""
    img = Image.new("RGB", (width, height), (255, 255, 255))
    d = ImageDraw.Draw(img)
    font = typeface(12)
    d.text((8, 28), title, fill=(30, 30, 30), font=font_for(title, 12))
    left, right, top, bottom = 46, width - legend, 50, height - 34
    ys = [y for c in curves.values() for _, y in c if y > 0] + ([floor] if floor else [])
    xs = [x for c in curves.values() for x, _ in c] or [0, 1]
    lo, hi = (min(ys), max(ys)) if ys else (0.1, 1)
    f = np.log10 if log else (lambda v: v)
    lo, hi = f(lo) - 0.05 * (f(hi) - f(lo) + 1e-9), f(hi) + 0.05 * (f(hi) - f(lo) + 1e-9)
    x_hi = max(max(xs), 1)
    if xlog:
        x_lo, x_top = np.log10(max(min(xs), 1e-9)), np.log10(max(max(xs), 1e-9))
        pad = 0.05 * (x_top - x_lo) + 0.05
        x_lo, x_top = x_lo - pad, x_top + pad

    def px_x(x):
        if xlog:
            return left + (right - left) * (np.log10(max(x, 1e-9)) - x_lo) / (x_top - x_lo)
        return left + (right - left) * x / x_hi

    def xy(x, y):
        return px_x(x), bottom - (bottom - top) * (f(max(y, 1e-9)) - lo) / (hi - lo + 1e-12)

    d.line([left, top, left, bottom, right, bottom], fill=(120, 120, 120))
    ticks = [10 ** v for v in np.linspace(lo, hi, 4)] if log else _round_ticks(lo, hi)
    if yticks:
        ticks = [t for t in yticks if t > 0 and lo <= f(t) <= hi]
    for value in ticks:
        d.text((4, xy(x_hi, value)[1] - 7), f"{value:.3g}", fill=(90, 90, 90), font=font)
    if xlog:
        for tick in (m * 10 ** e for e in range(int(np.floor(x_lo)), int(np.ceil(x_top)) + 1) for m in (1, 2, 5)):
            if x_lo <= np.log10(tick) <= x_top:
                x = px_x(tick)
                d.line([x, bottom, x, bottom + 3], fill=(120, 120, 120))
                d.text((x - 3 * len(f"{tick:g}"), bottom + 4), f"{tick:g}", fill=(90, 90, 90), font=font)
    else:
        d.text((right - 30, bottom + 4), f"{x_hi:g}", fill=(90, 90, 90), font=font)
    d.text((left, height - 16), xlabel, fill=(90, 90, 90), font=font_for(xlabel, 12))
    if floor:
        y = xy(0, floor)[1]
        for x in range(left, right, 8):
            d.line([x, y, x + 4, y], fill=(90, 90, 90))
        d.text((right + 6, y - 7), floor_label, fill=(90, 90, 90), font=font_for(floor_label, 12))
    order = sorted(enumerate(curves.items()), key=lambda kc: kc[1][0] not in faint)  # the faint ones first
    for k, (name, c) in order:
        colour = (colours or {}).get(name, PALETTE[k % len(PALETTE)])
        if name in faint:
            colour = tuple(int(v + (255 - v) * 0.6) for v in colour)
            d.line([xy(x, y) for x, y in c], fill=colour, width=7)
            d.text((right + 6, top + 16 * k), name, fill=colour, font=font_for(name, 12))
            continue
        if len(c) > 1:
            d.line([xy(x, y) for x, y in c], fill=colour, width=2)
        if marks:
            for x, y in (xy(*p) for p in c):
                d.ellipse([x - 3, y - 3, x + 3, y + 3], fill=colour)
        elif len(c) == 1:
            x, y = xy(*c[0])
            d.ellipse([x - 2, y - 2, x + 2, y + 2], fill=colour)
        d.text((right + 6, top + 16 * k), name, fill=colour, font=font_for(name, 12))
    return img


def _round_ticks(lo: float, hi: float) -> list[float]:
    """Three to six round values between lo and hi (whole numbers where the range is)."""
    span = max(hi - lo, 1e-9)
    step = 10 ** np.floor(np.log10(span / 3))
    for m in (1, 2, 5, 10):
        if span / (m * step) <= 5:
            step *= m
            break
    return list(np.arange(np.ceil(lo / step) * step, hi + 1e-9, step))


def strip(values: list[tuple[float, float]], word: str, width: int, height: int = 54) -> Image.Image:
    """A small curve of (x, y) pairs (a loss over training), with ``word`` and its last value."""
    img = Image.new("RGB", (width, height), (255, 255, 255))
    d = ImageDraw.Draw(img)
    label = f"{word} {values[-1][1]:.3g}" if values else word
    d.text((4, 2), label, fill=(60, 60, 60), font=font_for(label, 11))
    if len(values) > 1:
        xs, ys = np.array(values, dtype=float).T
        lo, hi = ys.min(), ys.max()
        span = hi - lo if hi > lo else 1.0
        pts = [(4 + (width - 8) * (x - xs[0]) / max(xs[-1] - xs[0], 1), height - 4 - (height - 22) * (y - lo) / span)
               for x, y in zip(xs, ys)]
        d.line(pts, fill=(90, 120, 190), width=2)
    return img


def panel(box: float, data: np.ndarray, samples: np.ndarray, view: dict, loss: list, loss_word: str,
          side: int = SIDE) -> Image.Image:
    """A family at one moment: its samples over the data with the layers it draws over them, its
    idea in a picture beside it, and its loss under both."""
    left = picture(box, data, samples, view.get("over", []), side)
    right = picture(box, None if view.get("codes") else data, None, view.get("idea", []), side)
    gap = 8
    out = Image.new("RGB", (2 * side + gap, side + 54), (255, 255, 255))
    out.paste(left, (0, 0))
    out.paste(right, (side + gap, 0))
    out.paste(strip(loss, loss_word, 2 * side + gap), (0, side))
    return out
