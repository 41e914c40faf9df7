"""The Train tab's inference layer: the toy families (``genimg.toys``) trained side by side on
2-D data, with every argument checked before anything is computed (``ValueError``, one message
format: ``genimg.checks``), and frames of plain numbers and numpy arrays out. The UI, the CLI
and the benchmark call this; none of them touches a tensor.

A run on a preset is the same bytes for the same arguments, so the cache of answers serves a
class that opens one link once. A word or a drawing is each visitor's own: it is capped tighter
(``CUSTOM_MAX_STEPS``), and its ink is bounded (``toys.data.MAX_INK``).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import torch

from . import checks, toys
from .toys import data, run

MAX_STEPS = 3000  # steps of a run on a preset
CUSTOM_MAX_STEPS = 1500  # steps of a run on a word or a drawing (each visitor's own: never cached for the class)
MIN_STEPS = 10
# A run's work, steps times families, is bounded as every long request is (about 20 s at most on two
# cores: a family-step costs about a millisecond and a half, benchmarks/toys.py); a word or a drawing,
# each visitor's own and never shared through the cache, to the default run's.
MAX_WORK, CUSTOM_MAX_WORK = 6000, 3000
LR_SCALE = (0.05, 10)  # the factor on every family's own learning rate
WIDTH = (4, 256)
MAX_SEED = 2**31 - 1
FRAMES = 16  # frames of a run after the first (one every steps / FRAMES steps)


@dataclass(frozen=True)
class Settings:
    """A run's arguments, checked: the API's names and defaults."""

    data: str = "ring8"
    word: str = ""
    families: tuple[str, ...] = toys.TOYS
    steps: int = 600
    lr_scale: float = 1.0
    width: int = 64
    seed: int = 0
    look_at: float = 0.5
    options: dict = field(default_factory=dict)


DEFAULTS = Settings()


def option_defaults() -> dict:
    return {name: o.default for name, o in toys.options().items()}


def check(data_name: str = DEFAULTS.data, word: str = "", drawing=None, families: Iterable[str] = toys.TOYS,
          steps=DEFAULTS.steps, lr_scale=DEFAULTS.lr_scale, width=DEFAULTS.width,
          seed=DEFAULTS.seed, look_at=DEFAULTS.look_at, **options) -> tuple[Settings, object]:
    """The arguments checked (nothing computed yet) -> (settings, the data's source)."""
    checks.choice("data", data_name, data.SOURCES)
    chosen = tuple(families or ())
    if not chosen:
        raise ValueError(f"families must name at least one of {', '.join(toys.TOYS)}, got none")
    for name in chosen:
        checks.choice("family", name, toys.TOYS)
    custom = data_name in ("word", "drawing")
    cap = CUSTOM_MAX_STEPS if custom else MAX_STEPS
    steps = checks.number("steps", steps, MIN_STEPS, cap, integer=True)
    work = CUSTOM_MAX_WORK if custom else MAX_WORK
    lr_scale = checks.number("lr_scale", lr_scale, *LR_SCALE)
    width = checks.number("width", width, *WIDTH, integer=True)
    seed = checks.number("seed", seed, 0, MAX_SEED, integer=True)
    look_at = checks.number("look_at", look_at, 0, 1)
    if steps * len(chosen) > work:
        raise ValueError(f"steps × families may be at most {work:,} for this data, got {steps} × {len(chosen)} = "
                         f"{steps * len(chosen):,}: train fewer steps or fewer families")
    known = toys.options()
    for name in options:
        if name not in known:
            raise ValueError(f"option must be one of {', '.join(known)}, got {name!r}")
    checked = {name: o.check(options.get(name, o.default)) for name, o in known.items()}
    if data_name == "word":
        data.check_word(word)
    if data_name == "drawing" and drawing is None:
        raise ValueError(f"the drawing is empty: draw at least {data.MIN_INK} pixels of strokes")
    source = data.source(data_name, word, drawing)  # a word's or a drawing's ink is counted here, before training
    order = tuple(n for n in toys.TOYS if n in chosen)
    return Settings(data_name, word.strip() if data_name == "word" else "", order, steps, lr_scale, width, seed,
                    look_at, checked), source


def train(data_name: str = DEFAULTS.data, word: str = "", drawing=None, families: Iterable[str] = toys.TOYS,
          steps=DEFAULTS.steps, lr_scale=DEFAULTS.lr_scale, width=DEFAULTS.width, seed=DEFAULTS.seed,
          look_at=DEFAULTS.look_at, frames: int = FRAMES, **options) -> Iterator[run.Frame]:
    """Check the arguments, then yield the frames of the families learning the data side by side
    (``toys.run.Frame``: numpy arrays and numbers)."""
    s, source = check(data_name, word, drawing, families, steps, lr_scale, width, seed, look_at, **options)
    with torch.inference_mode(False):
        yield from run.train(source, s.families, steps=s.steps, lr_scale=s.lr_scale, width=s.width, seed=s.seed,
                             frames=min(frames, s.steps), at=s.look_at, options=s.options)
