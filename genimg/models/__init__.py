"""The registry: family name -> the module that defines it, and the contract every family keeps.

A family is one module (``genimg/models/<name>.py``, with helper files of its own if it needs
them) holding what ``Family`` below lists: a ``@dataclass Config``, ``Model(config)`` with
``sample`` and ``frames`` (and ``stream`` for a family the app shows step by step), a
``Trainer``, ``TITLE`` / ``SUMMARY`` for the UI, ``OPTIONS`` (the sampling options the UI, the
CLI and the pipeline build their controls and checks from), ``TINY`` (the config overrides that
make it small enough for the tests) and ``BARS`` (the class accuracy its shipped checkpoints
must keep). A family whose ``sample`` is a fast version of a textbook algorithm also has
``sample_naive`` (same arguments, the same images): ``python -m genimg bench`` times the two
side by side. A family with a likelihood has ``likelihood(model, dataset)``. Nothing outside a
family's files branches on its name: a new family is its module, one line below, its
checkpoints and, optionally, a tab of its own in ``genimg/ui/<name>.py``.
"""
from __future__ import annotations

import contextlib
import functools
import importlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Protocol, runtime_checkable

# In the order the app shows them. A family appears once its module is listed here and its
# checkpoints exist.
FAMILIES: tuple[str, ...] = ("gan", "vae", "pixelcnn", "transformer", "diffusion", "flow", "latent", "distilled",
                             "maskgit")
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
        """``value`` if the option allows it (``genimg.checks``: one message format everywhere)."""
        from .. import checks

        if self.choices:
            return checks.choice(self.name, value, self.choices)
        return checks.number(self.name, value, self.minimum, self.maximum, integer=self.integer)


@dataclass
class Step:
    """One step of a streaming family's sampler, the same type for every family: the images as
    they stand, how far along they are, the decision the step shows, and ``extras``: whatever
    else the family shows of the step, under names of its own (the inference layer passes them
    on without knowing them)."""

    canvas: Any  # torch (B,1,28,28) in [0,1]: x_t for a denoiser; what is not drawn yet is blank
    done: int  # steps done (denoising steps, or positions drawn in raster order) ...
    total: int  # ... of this many
    preview: Any = None  # (B,1,28,28) in [0,1]: the network's guess of the finished images (x_0)
    t: float | None = None  # the noise level or timestep the step started from
    position: int | None = None  # a drawing family's decision shown: where (a pixel or token, raster order),
    probs: Any = None  # its distribution (levels or codes,),
    value: int | None = None  # and the value drawn there
    # name -> a tensor or a number, e.g. "tokens" (B, rows, cols) token ids so far; "fixed" the step
    # at which a parallel decoder committed each token; "state" a denoiser's x in its own units
    extras: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Sampler(Protocol):
    """What the pipeline, the app and the benchmarks call on a family's ``Model``. Every option
    is a keyword named as in the family's ``OPTIONS``, with the option's default. Optional:
    ``batch`` (images per call when generating many; default 500) and ``nfe(**options)``
    (network evaluations per image; default 1)."""

    def sample(self, labels, generator, **options) -> Any:
        """(B,) class ids and a ``torch.Generator`` -> images (B,1,28,28) in [0,1]."""

    def frames(self, labels, generator, **options) -> Iterator[Any]:
        """A few canvases (B,1,28,28) from the start to the sample, the last one ``sample``'s."""


@runtime_checkable
class Streamer(Protocol):
    """A family the app shows step by step: ``stream`` yields a ``Step`` per step (with
    ``every``, a drawing family's positions per step), the last one the finished images."""

    def stream(self, labels, generator, **options) -> Iterator[Step]: ...


class Family(Protocol):
    """The module of a family (``get(name)``)."""

    TITLE: str
    SUMMARY: str
    OPTIONS: tuple[Option, ...]
    TINY: dict  # Config overrides for a model small enough for the tests
    BARS: dict  # dataset -> the class accuracy its shipped checkpoint must reach
    BUILDS_ON: tuple[str, ...]  # optional: the families whose shipped checkpoints its training starts
    #                             from (a teacher, a tokenizer); default ()
    Config: type
    Model: type  # Model(config) is a torch.nn.Module and a Sampler
    Trainer: type  # Trainer(model, total_steps); .step(x, y, generator) -> logs; .state_dict(),
    #                .load_state_dict(state), .inference_model(x, y); Trainer.evaluate(model, dataset)
    #                -> the card's metrics; class attributes epochs and batch_size; optional
    #                .build_on(dataset, root, fresh) -> dict: loads what the run starts from in
    #                another family's shipped checkpoint (a tokenizer, a teacher) and names it for
    #                the card; fresh is False when the run continues the family's own checkpoint
    #                trained: the paths of the networks its step calls and trains by gradient
    #                descent (default ("model",)); under torchrun each is called through DDP, so
    #                the step calls them (their forward), not their other methods


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


def get(name: str) -> ModuleType:  # a Family
    """Return the module of a family (or of the classifier)."""
    if name not in TRAINABLE:
        raise ValueError(f"unknown family {name!r}; choose one of {', '.join(FAMILIES)}")
    return importlib.import_module(f"{__name__}.{name}")


def builds_on(name: str) -> tuple[str, ...]:
    """The families whose shipped checkpoints ``name``'s training starts from (its ``BUILDS_ON``)."""
    return tuple(getattr(get(name), "BUILDS_ON", ()))


def training_order(names=TRAINABLE) -> list[str]:
    """``names`` with every family after the ones it builds on (``BUILDS_ON``), else in order."""
    done: list[str] = []

    def visit(name: str, path: tuple = ()) -> None:
        if name in path:
            raise ValueError(f"families build on each other in a circle: {' -> '.join((*path, name))}")
        for base in builds_on(name):
            visit(base, (*path, name))
        if name not in done:
            done.append(name)

    for name in names:
        visit(name)
    return done


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
