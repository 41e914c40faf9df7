"""Pictures from uint8 image arrays: captioned grids, strips and GIFs (PIL only, no tensors).

Everything is upscaled with nearest-neighbour and saved losslessly, so each of the 28x28
pixels stays a crisp square.
"""
from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

CAPTION_PX = 14


@lru_cache(maxsize=4)
def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType
        return ImageFont.load_default()


def grid(images: np.ndarray, captions: list[str] | None = None, scale: int = 4,
         cols: int | None = None, pad: int = 2, marks: list[bool] | None = None) -> Image.Image:
    """Tile (N,H,W) uint8 images into one RGB picture, each with an optional caption beneath.

    Args:
        marks: per image, False draws its caption in red (e.g. the classifier disagrees).
    """
    n, h, w = images.shape
    cols = cols or min(n, max(1, math.ceil(math.sqrt(n))))
    rows = math.ceil(n / cols)
    cap = CAPTION_PX if captions else 0
    cw, ch = w * scale + pad, h * scale + pad + cap
    sheet = Image.new("RGB", (cols * cw + pad, rows * ch + pad), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    font = _font(CAPTION_PX - 3)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        x, y = pad + c * cw, pad + r * ch
        tile = Image.fromarray(img, "L").resize((w * scale, h * scale), Image.NEAREST)
        sheet.paste(tile.convert("RGB"), (x, y))
        if captions:
            ok = marks is None or marks[i]
            draw.text((x + 1, y + h * scale + 1), captions[i], fill=(40, 40, 40) if ok else (200, 0, 0),
                      font=font)
    return sheet


def strip(images: np.ndarray, scale: int = 4, captions: list[str] | None = None) -> Image.Image:
    """One row of images."""
    return grid(images, captions, scale=scale, cols=len(images))


def gif(images: np.ndarray, path: str | Path, scale: int = 6, ms_per_frame: int = 80,
        bounce: bool = True) -> Path:
    """An animated GIF of the frames (forth and back when ``bounce``), looping forever."""
    frames = [Image.fromarray(f, "L").resize((f.shape[1] * scale, f.shape[0] * scale), Image.NEAREST)
              for f in images]
    if bounce and len(frames) > 2:
        frames = frames + frames[-2:0:-1]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=ms_per_frame, loop=0)
    return Path(path)


def from_grid(sheet: Image.Image, size: int = 28) -> np.ndarray:
    """Split an uncaptioned, unpadded grid of size x size tiles back into (N, size, size)."""
    a = np.asarray(sheet.convert("L"))
    rows, cols = a.shape[0] // size, a.shape[1] // size
    return a.reshape(rows, size, cols, size).transpose(0, 2, 1, 3).reshape(-1, size, size)
