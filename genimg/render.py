"""Pictures from uint8 image arrays: captioned grids, strips and GIFs (PIL only, no tensors).

Everything is upscaled with nearest-neighbour and saved losslessly, so each of the 28x28
pixels stays a crisp square.
"""
from __future__ import annotations

import io
import math
from functools import lru_cache

import numpy as np
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

CAPTION_PX = 14


# Fonts with Chinese glyphs, tried in order for text that needs them (Debian's fonts-wqy-microhei,
# fonts-noto-cjk); Latin text keeps Pillow's own font, so its pictures do not depend on the machine.
CJK_FONTS = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
             "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


@lru_cache(maxsize=32)
def _font(size: int, cjk: bool = False):
    for path in CJK_FONTS if cjk else ():
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType
        return ImageFont.load_default()


def _fitting(draw: ImageDraw.ImageDraw, text: str, width: int, cjk: bool):
    """``text`` and the font to draw it in under a tile ``width`` wide: a pixel smaller at a time
    (down to 7 px), and past that cut short with an ellipsis."""
    for size in range(CAPTION_PX - 3, 6, -1):
        font = _font(size, cjk)
        if draw.textlength(text, font=font) <= width:
            return text, font
    while len(text) > 1 and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…", font


def font_for(text: str, size: int):
    """The font to write ``text`` in: one with Chinese glyphs where it has Chinese."""
    return _font(size, any(ord(ch) >= 0x2E80 for ch in text))


@lru_cache(maxsize=1)
def writes_chinese() -> bool:
    """Whether this machine has a font to write Chinese into pictures."""
    return any(Path(path).exists() for path in CJK_FONTS)


def grid(images: np.ndarray, captions: list[str] | None = None, scale: int = 4,
         cols: int | None = None, pad: int = 2, marks: list[bool] | None = None, top: int = 0) -> Image.Image:
    """Tile (N,H,W) grey or (N,H,W,3) RGB uint8 images into one RGB picture, each with an
    optional caption beneath.

    Args:
        marks: per image, False draws its caption in red (e.g. the classifier disagrees).
        top: blank pixels above the tiles (room for a label the app draws over the picture).
    """
    n, h, w = images.shape[:3]
    cols = cols or min(n, max(1, math.ceil(math.sqrt(n))))
    rows = math.ceil(n / cols)
    cap = CAPTION_PX if captions else 0
    cw, ch = w * scale + pad, h * scale + pad + cap
    sheet = Image.new("RGB", (cols * cw + pad, rows * ch + pad + top), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    cjk = not all(c.isascii() for c in captions or ())
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        x, y = pad + c * cw, top + pad + r * ch
        tile = Image.fromarray(img, "L" if img.ndim == 2 else "RGB").resize((w * scale, h * scale), Image.NEAREST)
        sheet.paste(tile.convert("RGB"), (x, y))
        if captions:
            ok = marks is None or marks[i]
            text, font = _fitting(draw, captions[i], w * scale + pad - 1, cjk)
            draw.text((x + 1, y + h * scale + 1), text, fill=(40, 40, 40) if ok else (200, 0, 0), font=font)
    return sheet


UNDRAWN = np.array([34, 56, 92], np.uint8)  # pixels a painter has not reached yet
CURSOR = np.array([230, 40, 40], np.uint8)  # the pixel it draws next


def tinted(images: np.ndarray, filled: int, cursor: bool = False) -> np.ndarray:
    """(N,H,W) grey -> (N,H,W,3) RGB with the pixels past the first ``filled`` (raster order)
    tinted as not drawn yet, and with ``cursor`` the next one to draw in red."""
    rgb = np.repeat(images[..., None], 3, axis=-1)
    flat = rgb.reshape(len(images), -1, 3)
    flat[:, filled:] = UNDRAWN
    if cursor and filled < flat.shape[1]:
        flat[:, filled] = CURSOR
    return rgb


def canvas(images: np.ndarray, filled: int, scale: int = 6, cols: int | None = None, top: int = 0) -> Image.Image:
    """Partly painted images: not drawn yet tinted, the next pixel in red."""
    return grid(tinted(images, filled, cursor=True), scale=scale, cols=cols, top=top)


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
    font = _font(12)
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


# --- image tokens -------------------------------------------------------------------------

UNKNOWN = np.array([34, 56, 92], np.uint8)  # a token not drawn yet (the colour of UNDRAWN)


def token_colours(codes: int) -> np.ndarray:
    """(codes, 3) uint8: a distinct light colour per token id (hues a golden angle apart)."""
    import colorsys

    return np.array([[round(255 * c) for c in colorsys.hsv_to_rgb((i * 0.618034) % 1, 0.45 + 0.3 * (i % 3) / 2,
                                                                    0.95 - 0.15 * (i % 2))]
                     for i in range(codes)], np.uint8)


def token_map(tokens: np.ndarray, codes: int, side: int = 224, numbers: bool = True, top: int = 0) -> Image.Image:
    """A (rows, cols) grid of token ids as coloured cells with the id written in each (-1: not
    drawn yet, dark), below ``top`` blank pixels (room for an overlaid label)."""
    colours = token_colours(codes)
    return _cells_with_text(tokens, lambda t: colours[t] if t >= 0 else UNKNOWN,
                            lambda t: str(t) if numbers and t >= 0 else "", side, top)


def _cells_with_text(values: np.ndarray, fill, text, side: int, top: int, ink=lambda v: (20, 20, 20)) -> Image.Image:
    """A (rows, cols) grid as square cells: ``fill(v)`` the colour of a cell, ``text(v)`` what is
    written in it in ``ink(v)``."""
    rows, cols = values.shape
    px = side // max(rows, cols)
    img = Image.new("RGB", (cols * px + 1, rows * px + 1 + top), (255, 255, 255))
    d = ImageDraw.Draw(img)
    font = _font(max(px // 3, 9))
    for (r, c), v in np.ndenumerate(values):
        d.rectangle([c * px, top + r * px, (c + 1) * px, top + (r + 1) * px],
                    fill=tuple(int(x) for x in fill(v)), outline=(255, 255, 255))
        if text(v):
            d.text((c * px + px // 2, top + r * px + px // 2), text(v), fill=ink(v), font=font, anchor="mm")
    return img


def patches(images: np.ndarray, tokens: np.ndarray, cursor: bool = True) -> np.ndarray:
    """(N,28,28) grey -> RGB with the patch of every token not drawn yet (id -1 in ``tokens``,
    (N, rows, cols)) tinted, and (``cursor``) the next one in reading order in red."""
    n, h, w = images.shape
    hidden = tokens < 0
    nxt = np.zeros_like(hidden)
    flat = hidden.reshape(n, -1)
    for i, row in enumerate(flat):
        if row.any():
            nxt.reshape(n, -1)[i, row.argmax()] = True
    up = h // tokens.shape[1]
    rgb = np.repeat(images[..., None], 3, axis=-1)
    rgb[hidden.repeat(up, 1).repeat(up, 2)] = UNDRAWN
    if cursor:
        rgb[nxt.repeat(up, 1).repeat(up, 2)] = CURSOR
    return rgb


def step_map(fixed: np.ndarray, steps: int, side: int = 224, top: int = 0) -> Image.Image:
    """A (rows, cols) grid of the step at which each token was decided (0: not yet, dark), from
    early (light) to late (deep), with the step written in each cell."""
    early, late = np.array([255, 236, 160]), np.array([40, 90, 170])

    def share(k):
        return (k - 1) / max(steps - 1, 1)

    return _cells_with_text(fixed, lambda k: early + (late - early) * share(k) if k > 0 else UNKNOWN,
                            lambda k: str(k) if k > 0 else "", side, top,
                            ink=lambda k: (20, 20, 20) if share(k) < 0.5 else (250, 250, 250))


def cells(codes: np.ndarray, colours: dict[int, tuple[int, int, int]], side: int = 130) -> np.ndarray:
    """A small integer map (e.g. a conv mask) as an RGB square of ``side`` pixels, one coloured
    cell per entry, with grid lines."""
    px = side // max(codes.shape)
    rgb = np.zeros(codes.shape + (3,), np.uint8)
    for code, colour in colours.items():
        rgb[codes == code] = colour
    big = rgb.repeat(px, 0).repeat(px, 1)
    big[::px], big[:, ::px] = 180, 180
    out = np.full((side, side, 3), 255, np.uint8)
    out[:big.shape[0], :big.shape[1]] = big
    return out


def strip(images: np.ndarray, scale: int = 4, captions: list[str] | None = None) -> Image.Image:
    """One row of images."""
    return grid(images, captions, scale=scale, cols=len(images))


def gif(images: np.ndarray, scale: int = 6, ms_per_frame: int = 80, bounce: bool = True) -> bytes:
    """An animated GIF of the frames (forth and back when ``bounce``), looping forever."""
    frames = [Image.fromarray(f, "L").resize((f.shape[1] * scale, f.shape[0] * scale), Image.NEAREST)
              for f in images]
    if bounce and len(frames) > 2:
        frames = frames + frames[-2:0:-1]
    buf = io.BytesIO()
    frames[0].save(buf, format="gif", save_all=True, append_images=frames[1:], duration=ms_per_frame, loop=0)
    return buf.getvalue()


def from_grid(sheet: Image.Image, size: int = 28) -> np.ndarray:
    """Split an uncaptioned, unpadded grid of size x size tiles back into (N, size, size)."""
    a = np.asarray(sheet.convert("L"))
    rows, cols = a.shape[0] // size, a.shape[1] // size
    return a.reshape(rows, size, cols, size).transpose(0, 2, 1, 3).reshape(-1, size, size)


def curve(values: np.ndarray, mark: int | None, title: str, xlabel: str, width: int = 420,
          height: int = 240, marks: list[int] | None = None) -> Image.Image:
    """A line plot of ``values`` (in [0, 1]) against their index, with the index ``mark`` shown
    as a red dot and line, and ``marks`` (e.g. every step of a sampler) as small ticks. The top
    26 px stay free for an overlaid label."""
    img = Image.new("RGB", (width, height), (255, 255, 255))
    d = ImageDraw.Draw(img)
    font = _font(12)
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
    font = _font(12)
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
    font = _font(12)
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


def stack(pictures: list[Image.Image]) -> Image.Image:
    """Pictures one above the other on white, left-aligned."""
    out = Image.new("RGB", (max(p.width for p in pictures), sum(p.height for p in pictures)), (255, 255, 255))
    y = 0
    for p in pictures:
        out.paste(p, (0, y))
        y += p.height
    return out
