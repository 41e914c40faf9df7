"""Pictures sent to the app, checked before Gradio decodes them, and faults put in words.

A picture's size is in its header: a 10,000 x 10,000 one-colour PNG is 100 KB on the wire (under
the upload limit) and 1 GB once decoded. ``check`` reads only the headers of an image input's
files (``Image.open`` is lazy) and refuses a picture over ``painting.MAX_PIXELS``, or in a format
the app does not take, before Gradio's preprocessing decodes it. ``explain`` turns what can still
go wrong later (a file whose header is fine and whose data is not, a full disk) into a message
for the visitor instead of Gradio's generic "The upstream Gradio app has raised an exception".
"""
from __future__ import annotations

import errno
import io
import os
import re
from pathlib import Path

import gradio as gr
import PIL
from gradio import utils
from gradio_client.utils import is_http_url_like
from PIL import Image

from .. import painting
from .i18n import say, translated

# The canvases send PNG; browsers, phones and Gradio make the rest (a phone's multi-picture JPEG
# opens as JPEG too, as Pillow's MPO).
ACCEPTED = ("PNG", "JPEG", "WEBP", "GIF")
# All the pictures of one input together (a drawing is a background, layers and a composite):
# a full-size background, one layer and the composite. More layers of that size are refused.
MAX_TOTAL = 3 * painting.MAX_PIXELS
UNREADABLE = "This file is not a picture the app can read: send a PNG, JPEG, WEBP or GIF image."
TOO_MANY = "The pictures of one drawing may have at most {most:,} pixels in all, got {got:,}."
DISK_FULL = "The server's disk is full; try again shortly."
PIL_DIR = Path(PIL.__file__).parent


def second_line() -> None:
    """Make Pillow itself refuse to open a picture of more than twice the budget (it warns above
    the budget), for any picture that reaches it without ``check`` (one Gradio downloads from a
    URL, say): ``explain`` words that refusal too."""
    Image.MAX_IMAGE_PIXELS = painting.MAX_PIXELS


def is_picture_input(block) -> bool:
    return isinstance(block, (gr.Image, gr.ImageEditor))  # a Sketchpad is an ImageEditor


def files(block, payload) -> list:
    """The files of an image input's ``payload`` that are already here: paths in the upload
    folder (what Gradio accepts from a visitor), or an editor's blobs, sent as bytes. A URL is
    left to Gradio (it downloads it; ``second_line`` bounds it)."""
    if isinstance(block, gr.ImageEditor):
        if not isinstance(payload, dict):
            return []
        blobs = payload.get("id") is not None and block.blob_storage.get(payload["id"])
        if blobs:
            return [b for b in (blobs.background, *blobs.layers, blobs.composite) if b is not None]
        layers = payload.get("layers")
        given = [payload.get("background"), *(layers if isinstance(layers, list) else []), payload.get("composite")]
    else:
        given = [payload]
    folder, found = utils.get_upload_folder(), []
    for file in given:
        path = file.get("path") if isinstance(file, dict) else None
        if isinstance(path, str) and not is_http_url_like(path):
            path = str(utils.abspath(path))
            if utils.is_in_or_equal(path, folder) and os.path.isfile(path):
                found.append(path)
    return found


def size(file) -> tuple[int, int]:
    """A picture's width and height, from its header only."""
    try:
        with Image.open(io.BytesIO(file) if isinstance(file, (bytes, bytearray)) else file, formats=ACCEPTED) as im:
            return im.size
    except Image.DecompressionBombError as e:
        raise gr.Error(_bomb(e), print_exception=False) from None
    except (OSError, SyntaxError, ValueError, EOFError) as e:  # not a picture, or not in an accepted format
        raise gr.Error(say(UNREADABLE), print_exception=False) from e


def check(block, payload) -> None:
    """Raise a ``gr.Error`` in the visitor's language unless every picture of an image input's
    ``payload`` is in an accepted format and within the pixel budget: before it is decoded."""
    total = 0
    for file in files(block, payload):
        w, h = size(file)
        try:
            painting.check_pixels(w * h, f"{w}x{h}")
        except ValueError as e:
            raise gr.Error(translated(str(e)), print_exception=False) from None
        total += w * h
    if total > MAX_TOTAL:
        raise gr.Error(say(TOO_MANY, most=MAX_TOTAL, got=total), print_exception=False)


def _chain(e: BaseException):
    """``e`` and the exceptions it was raised from or while handling."""
    seen = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        yield e
        e = e.__cause__ or e.__context__


def _raised_by_pillow(e: BaseException) -> bool:
    tb = e.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and Path(tb.tb_frame.f_code.co_filename).is_relative_to(PIL_DIR)


def _bomb(e: BaseException) -> str:
    """Pillow's refusal of a picture over twice the budget, as the budget's own message."""
    pixels = re.search(r"\((\d+) pixels\)", str(e))
    if pixels:
        try:
            painting.check_pixels(int(pixels[1]))
        except ValueError as refused:
            return translated(str(refused))
    return say(UNREADABLE)


def disk_full(e: BaseException) -> bool:
    """Whether ``e`` comes from a full disk (or a full quota)."""
    return any(isinstance(x, OSError) and x.errno in (errno.ENOSPC, errno.EDQUOT) for x in _chain(e))


def explain(e: BaseException, pictures: bool = False) -> str | None:
    """What went wrong, for the visitor, or None: a full disk; with ``pictures`` (``e`` was
    raised while the inputs, pictures among them, were read), a picture Pillow could not read."""
    if disk_full(e):
        return say(DISK_FULL)
    if pictures:
        for x in _chain(e):
            if isinstance(x, Image.DecompressionBombError):
                return _bomb(x)
            if _raised_by_pillow(x):
                return say(UNREADABLE)
    return None
