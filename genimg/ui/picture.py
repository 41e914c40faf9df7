"""Pictures handed to browsers, written whole.

Gradio names an output file after the hash of its bytes and writes it in place, so two students
who ask for the same seed get the same file, rewritten while the first one is still downloading
it: the download comes out short ("Too little data for declared Content-Length"). Here a file
is written under a temporary name and renamed into place, and a file that is already there is
left alone (only touched, so ``delete_cache`` ages it from its last use).
"""
from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import gradio as gr
from gradio import processing_utils
from gradio.utils import get_upload_folder
from PIL import Image


def cache_file(data: bytes, name: str, cache_dir: str | Path | None = None) -> str:
    """``data`` as ``<cache>/<hash of data>/<name>`` (Gradio's own layout, so Gradio finds it
    there and does not copy it again); the path."""
    folder = Path(cache_dir or get_upload_folder()) / processing_utils.hash_bytes(data)
    path = folder / name
    if path.exists():
        os.utime(path)
        return str(path)
    folder.mkdir(parents=True, exist_ok=True)
    fd, part = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(part, path)
    except BaseException:
        Path(part).unlink(missing_ok=True)
        raise
    return str(path)


def png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="png")
    return buf.getvalue()


def each_output(outputs, fn):
    """``fn`` applied to each of a handler's outputs (a tuple of them, or a single one)."""
    return tuple(map(fn, outputs)) if isinstance(outputs, tuple) else fn(outputs)


def portable(outputs):
    """A handler's outputs with each picture written to the cache as PNG, as its path (what
    another process or a later visitor can be handed without drawing it again)."""
    return each_output(outputs, lambda v: cache_file(png_bytes(v), "image.png") if isinstance(v, Image.Image) else v)


def files_of(value) -> list[str]:
    """The files an output names (the paths of pictures written to the cache), in order."""
    if isinstance(value, str):
        return [value] if os.path.isabs(value) and os.path.isfile(value) else []
    if isinstance(value, (list, tuple)):
        return [f for v in value for f in files_of(v)]
    return []


def picture(value=None, **kwargs) -> gr.Image:
    """An output-only ``gr.Image`` (PNG, PIL values) whose files are written whole."""
    image = gr.Image(_whole(value), **{"format": "png", "type": "pil", "interactive": False, **kwargs})
    postprocess = image.postprocess
    image.postprocess = lambda v: postprocess(_whole(v, image.GRADIO_CACHE))
    return image


def _whole(value, cache_dir: str | None = None):
    """A PIL picture as the path of its PNG in the cache; anything else as it is."""
    return cache_file(png_bytes(value), "image.png", cache_dir) if isinstance(value, Image.Image) else value
