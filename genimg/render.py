"""Pictures from uint8 image arrays: captioned grids, strips, token maps and GIFs (PIL only, no
tensors), and the fonts they and the charts (``genimg.charts``) write in.

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
def typeface(size: int, cjk: bool = False):
    """Pillow's own font at ``size`` pixels, or with ``cjk`` the first of ``CJK_FONTS`` this
    machine has (render's grids and the charts of ``genimg.charts`` write in it)."""
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
        font = typeface(size, cjk)
        if draw.textlength(text, font=font) <= width:
            return text, font
    while len(text) > 1 and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…", font


def font_for(text: str, size: int):
    """The font to write ``text`` in: one with Chinese glyphs where it has Chinese."""
    return typeface(size, any(ord(ch) >= 0x2E80 for ch in text))


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
    font = typeface(max(px // 3, 9))
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


def stack(pictures: list[Image.Image]) -> Image.Image:
    """Pictures one above the other on white, left-aligned."""
    out = Image.new("RGB", (max(p.width for p in pictures), sum(p.height for p in pictures)), (255, 255, 255))
    y = 0
    for p in pictures:
        out.paste(p, (0, y))
        y += p.height
    return out
