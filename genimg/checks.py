"""Every value a visitor, a caller or a command line sends is checked here, with one message
format, so a wrong value says the same thing wherever it is refused: "<name> must be a whole
number between 1 and 64, got 99", "<name> must be a number between 0.05 and 1, got 0",
"<name> must be one of dpm++, ddim, ddpm, got 'x'". Nothing is clamped. The messages are English
and language-free in form; the UI puts them in the visitor's language by these patterns
(``genimg/ui/chinese.py``).
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np


def _bound(value: float) -> str:
    """A range's end as the messages write it: 1 rather than 1.0, 0.05 as it is."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def number(name: str, value, lo: float, hi: float, integer: bool = False) -> float | int:
    """``value`` as a number in [lo, hi] (a whole number with ``integer``); booleans, text that is
    not a number, NaN and infinities are refused."""
    kind = "a whole number" if integer else "a number"
    wrong = ValueError(f"{name} must be {kind} between {_bound(lo)} and {_bound(hi)}, got {value!r}")
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating, str)):
        raise wrong
    try:
        v = float(value)
    except ValueError:
        raise wrong from None
    if math.isnan(v) or not lo <= v <= hi or (integer and not v.is_integer()):
        raise wrong
    return int(v) if integer else v


def choice(name: str, value, allowed: Iterable[str]) -> str:
    """``value`` if it is one of ``allowed``."""
    allowed = tuple(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value
