"""Captioned grids: a caption stays under its own image."""
import numpy as np

from genimg import render


def test_a_long_caption_is_drawn_smaller_not_into_its_neighbour():
    images = np.zeros((2, 28, 28), np.uint8)
    for caption in ("T-shirt/top 100%", "T恤/上衣 100%", "a caption far too long for any tile"):
        sheet = np.asarray(render.grid(images, [caption, ""], scale=2, cols=2, pad=2).convert("L"))
        _only_under_its_tile(sheet)


def _only_under_its_tile(sheet):
    band = sheet[2 + 56:2 + 56 + render.CAPTION_PX]  # the captions' row, under the tiles
    next_tile = 2 + 56 + 2  # where the second column begins
    assert (band[:, :next_tile] < 128).any(), "the caption is drawn"
    assert not (band[:, next_tile:] < 128).any(), "the caption runs into the next column"
