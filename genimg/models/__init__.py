"""The registry: family name -> the module that defines its Config, Model and Trainer.

A family module holds a ``@dataclass Config``, ``Model(config)`` with ``sample`` and ``frames``,
a ``Trainer``, ``TITLE`` / ``SUMMARY`` for the UI, and ``OPTIONS``: the sampling options the UI,
the CLI and the pipeline build their controls and checks from. A family whose ``sample`` is a
fast version of a textbook algorithm also has ``sample_naive`` (same arguments, the same images):
``python -m genimg bench`` times the two side by side. Nothing outside a family's file branches
on its name.
"""
from __future__ import annotations

import contextlib
import functools
import importlib
from dataclasses import dataclass
from types import ModuleType

# In the order the app shows them. A family appears once its module is listed here and its
# checkpoints exist.
FAMILIES: tuple[str, ...] = ("gan", "vae", "pixelcnn", "transformer", "diffusion")
# Families being built: trained and tested at tiny size, not yet shipped, shown or scored.
DEVELOPING: tuple[str, ...] = ()
# Everything `python -m genimg train` can build: the families, the classifier that labels the
# app's images, and the judge, a second feature network for the scores alone.
TRAINABLE: tuple[str, ...] = FAMILIES + DEVELOPING + ("classifier", "judge")


@dataclass(frozen=True)
class Option:
    """A sampling option: a number in a range (e.g. temperature), or one of named ``choices``
    (e.g. the sampler; then the range is unused)."""

    name: str  # keyword passed to Model.sample / frames, and the CLI flag --name
    label: str  # what the UI shows
    default: float | str
    minimum: float
    maximum: float
    step: float
    info: str  # one line the UI shows under the slider
    integer: bool = False  # whole numbers only (e.g. top-k)
    choices: tuple[str, ...] = ()

    def check(self, value) -> float | int | str:
        if self.choices:
            if not isinstance(value, str) or value not in self.choices:
                raise ValueError(f"{self.name} must be one of {', '.join(self.choices)}, got {value!r}")
            return value
        if isinstance(value, bool):
            raise ValueError(f"{self.name} must be a number between {self.minimum} and {self.maximum}, "
                             f"got {value!r}")
        kind = "a whole number" if self.integer else "a number"
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{self.name} must be {kind} between {self.minimum} and "
                             f"{self.maximum}, got {value!r}") from None
        if not (self.minimum <= v <= self.maximum) or (self.integer and not v.is_integer()):
            raise ValueError(f"{self.name} must be {kind} between {self.minimum} and "
                             f"{self.maximum}, got {value!r}")  # also rejects NaN
        return int(v) if self.integer else v


@functools.cache
def cpu_bf16() -> bool:
    """Whether this CPU has bfloat16 units (oneDNN), where bfloat16 training is about 2x faster."""
    import torch

    return torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()


def autocast(device):
    """Trainers' mixed precision: bfloat16 autocast on a CPU with bfloat16 units or a GPU that
    has bfloat16, otherwise full float32."""
    import torch

    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.autocast("cuda", dtype=torch.bfloat16)
    if device.type == "cpu" and cpu_bf16():
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def get(name: str) -> ModuleType:
    """Return the module of a family (or of the classifier)."""
    if name not in TRAINABLE:
        raise ValueError(f"unknown family {name!r}; choose one of {', '.join(FAMILIES)}")
    return importlib.import_module(f"{__name__}.{name}")


class OneModelTrainer:
    """``state_dict`` / ``load_state_dict`` for a trainer with ``model``, ``opt`` and ``sched``.

    On resume the schedule is stretched to the run's ``total_steps``, which may have changed
    (a run continued with more epochs).
    """

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "opt": self.opt.state_dict(),
                "sched": self.sched.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        self.sched.load_state_dict(state["sched"])
        length = "T_max" if hasattr(self.sched, "T_max") else "total_steps"  # cosine / one-cycle
        setattr(self.sched, length, self.total_steps)
