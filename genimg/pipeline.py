"""The thin inference layer that the app, the CLI and the tests share.

It turns plain arguments (dataset, family, class, n, seed, options) into model calls, checks
them (a ValueError naming the allowed range; nothing is silently clamped), converts to uint8,
labels images with the shipped classifier, and measures wall time and network evaluations.
Loaded models are cached read-only; every call makes its own ``torch.Generator``, so the same
seed and arguments give the same images whatever else runs at the time.
"""
from __future__ import annotations

import os
from functools import lru_cache
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from . import checkpoint, checks, metrics, models
from .data import DATASETS, IMAGE_SIZE, NUM_CLASSES, dataset_info, to_uint8

UI_MAX_N = 64  # per click in the app
STREAM_MAX_N = 16  # images streamed live at once in the app
API_MAX_N = 10_000  # per call from the CLI or Python (batched internally)
BATCH = 500  # images per model call when generating many (a model's own ``batch`` overrides it)
MAX_SEED = 2**32 - 1
_lock = threading.Lock()
_models: dict[tuple[str, str], torch.nn.Module] = {}


@dataclass
class Result:
    """Generated images and what was measured about them."""

    images: np.ndarray  # uint8 (N, 28, 28)
    labels: np.ndarray  # int64 (N,): the class asked for
    predicted: np.ndarray  # int64 (N,): what the shipped classifier sees
    confidence: np.ndarray  # float (N,): the classifier's probability of `predicted`
    seconds: float  # wall time of sampling (not of the classifier)
    nfe: int  # network evaluations per image
    family: str = ""
    dataset: str = ""
    seed: int = 0
    options: dict = field(default_factory=dict)

    @property
    def accuracy(self) -> float:
        return float((self.predicted == self.labels).mean())

    def captions(self) -> list[str]:
        names = dataset_info(self.dataset).classes
        return [f"{names[p]} {c:.0%}" for p, c in zip(self.predicted, self.confidence)]


# --- checks ---------------------------------------------------------------------------

def check_int(name: str, value, lo: int, hi: int) -> int:
    """A whole number in [lo, hi] (``checks.number``)."""
    return checks.number(name, value, lo, hi, integer=True)


def check_float(name: str, value, lo: float, hi: float) -> float:
    """A number in [lo, hi] (NaN, infinities, text and booleans refused; ``checks.number``)."""
    return checks.number(name, value, lo, hi)


def check_family(family: str) -> str:
    if family not in models.FAMILIES:
        raise ValueError(f"unknown family {family!r}; choose one of {', '.join(models.FAMILIES)}")
    return family


def check_n(n, max_n: int = UI_MAX_N) -> int:
    return check_int("n", n, 1, max_n)


def check_seed(seed) -> int:
    return check_int("seed", seed, 0, MAX_SEED)


def check_label(label) -> int | None:
    """A class id 0-9, or None / -1 for "all classes" (image i gets class i % 10)."""
    if label is None or (isinstance(label, (int, np.integer)) and not isinstance(label, bool) and label == -1):
        return None
    return check_int("label", label, 0, NUM_CLASSES - 1)


def check_options(family: str, opts: dict) -> dict:
    """Fill defaults and check every option against the family's allowed range."""
    allowed = {o.name: o for o in models.get(family).OPTIONS}
    unknown = set(opts) - set(allowed)
    if unknown:
        raise ValueError(f"{family} has no option {sorted(unknown)[0]!r}; its options are "
                         f"{', '.join(allowed) or 'none'}")
    return {name: o.check(opts.get(name, o.default)) for name, o in allowed.items()}


def labels_for(label: int | None, n: int) -> torch.Tensor:
    if label is None:
        return torch.arange(n) % NUM_CLASSES
    return torch.full((n,), label, dtype=torch.long)


# --- models ---------------------------------------------------------------------------

def available(dataset: str) -> list[str]:
    """The families whose checkpoint for ``dataset`` exists, in display order."""
    dataset_info(dataset)
    return [f for f in models.FAMILIES if checkpoint.exists(f, dataset)]


def load_model(family: str, dataset: str) -> torch.nn.Module:
    """The family's model for ``dataset``, loaded once and shared read-only."""
    check_family(family)
    dataset_info(dataset)
    key = (family, dataset)
    with _lock:
        if key not in _models:
            mod = models.get(family)
            model, _ = checkpoint.load(family, dataset, mod.Config, mod.Model)
            with torch.inference_mode():  # warm the kernels, so the first user's timing is typical
                model.sample(torch.zeros(1, dtype=torch.long), torch.Generator().manual_seed(0))
            _models[key] = model
        return _models[key]


def class_names(dataset: str) -> tuple[str, ...]:
    return dataset_info(dataset).classes


def pin_threads(workers: int) -> int:
    """Give each of ``workers`` concurrent requests an equal share of this machine's cores as
    torch threads (at least one), so they never oversubscribe the CPU; return the share."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    threads = max(1, cores // workers)
    torch.set_num_threads(threads)
    return threads


# --- generation -----------------------------------------------------------------------

def generate(family: str, dataset: str, label=None, n=16, seed=0, max_n: int = UI_MAX_N,
             **opts) -> Result:
    """Sample ``n`` images of class ``label`` (None: i % 10) with ``seed`` and the family's options.

    Raises:
        ValueError: naming the argument and its allowed values.
    """
    check_family(family)
    dataset_info(dataset)
    n, seed, label = check_n(n, max_n), check_seed(seed), check_label(label)
    opts = check_options(family, opts)
    model = load_model(family, dataset)
    labels = labels_for(label, n)
    gen = torch.Generator().manual_seed(seed)
    t0 = time.perf_counter()
    with torch.inference_mode():
        b = getattr(model, "batch", BATCH)
        x = torch.cat([model.sample(labels[i:i + b], gen, **opts) for i in range(0, n, b)])
    seconds = time.perf_counter() - t0
    return judged(x, labels, seconds, nfe(model, opts), family, dataset, seed, opts)


def nfe(model, opts: dict) -> int:
    """Network evaluations per image at these options (1 for a family that does not say)."""
    return model.nfe(**opts) if hasattr(model, "nfe") else 1


def judged(x: torch.Tensor, labels: torch.Tensor, seconds: float, nfe: int, family: str, dataset: str,
           seed: int, opts: dict) -> Result:
    """Samples (N,1,28,28) in [0,1] as a ``Result``, labelled by the shipped classifier."""
    pred, conf = metrics.classify(dataset, x)
    return Result(to_uint8(x), labels.numpy(), pred.numpy(), conf.numpy(), seconds, nfe,
                  family, dataset, seed, opts)


def frames(family: str, dataset: str, label=None, n=16, seed=0, **opts):
    """Yield the family's intermediate canvases as uint8 (N,28,28) arrays, the last one final."""
    check_family(family)
    dataset_info(dataset)
    n, seed, label = check_n(n), check_seed(seed), check_label(label)
    opts = check_options(family, opts)
    model = load_model(family, dataset)
    gen = torch.Generator().manual_seed(seed)
    with torch.inference_mode():
        for x in model.frames(labels_for(label, n), gen, **opts):
            yield to_uint8(x)


@dataclass
class Frame:
    """A streaming family's images after one step (``models.Step`` as uint8 and numpy)."""

    images: np.ndarray  # uint8 (N, 28, 28): x_t for a denoiser; what is not drawn yet is blank
    done: int  # steps done (denoising steps, or positions drawn in raster order) ...
    total: int  # ... of this many
    seconds: float  # model time so far (not counting what the caller does between frames)
    preview: np.ndarray | None = None  # uint8 (N, 28, 28): the network's guess of the finished images
    t: float | None = None  # the noise level or timestep the step started from
    position: int | None = None  # a drawing family's decision shown: where (raster order),
    probs: np.ndarray | None = None  # its distribution,
    value: int | None = None  # the value drawn
    extras: dict = field(default_factory=dict)  # the step's extras, tensors as numpy (``as_numpy``)
    result: Result | None = None  # after the last step: labels, the classifier's view, timing

    @property
    def levels(self) -> int:
        return len(self.probs)


def as_numpy(value):
    """A tensor as a numpy array (floating point as float32), anything else as it is."""
    if not isinstance(value, torch.Tensor):
        return value
    return value.float().numpy() if value.is_floating_point() else value.numpy()


def streams(family: str) -> bool:
    """Whether the family can be watched step by step (``Model.stream``)."""
    check_family(family)
    return callable(getattr(models.get(family).Model, "stream", None))


MAX_MODEL_S = 10.0  # the model time one streamed request may ask for, as the card's eval estimates it


@lru_cache(maxsize=64)
def _ms_per_evaluation(family: str, dataset: str) -> float | None:
    """Milliseconds per image and network evaluation, from the card (read once): its ``speed``
    (16 images on one thread, as the app's workers run them), else its ``eval``."""
    card = checkpoint.read_card(family, dataset)
    c, e = card.get("speed") or {}, card.get("eval") or {}
    if c.get("ms") and c.get("nfe") and c.get("n"):
        return c["ms"] / c["n"] / c["nfe"]
    return e["ms_per_image"] / e["nfe"] if e.get("ms_per_image") and e.get("nfe") else None


def model_seconds(family: str, dataset: str, n: int, evaluations: int) -> float | None:
    """The model time ``n`` images of ``evaluations`` network evaluations each take, estimated
    from the time per image and evaluation that the card measured (None without one)."""
    per = _ms_per_evaluation(family, dataset)
    return None if per is None else n * evaluations * per / 1000


def default_seconds(family: str, n: int = STREAM_MAX_N) -> float | None:
    """The model time of ``n`` images at the family's default options, from the cards' ``speed``
    (measured at the defaults), the most over the datasets it has checkpoints for (None where no
    card measured it)."""
    check_family(family)
    found = [(checkpoint.read_card(family, d).get("speed") or {}) for d in DATASETS if checkpoint.exists(family, d)]
    found = [c["ms"] / 1000 * n / c["n"] for c in found if c.get("ms") and c.get("n")]
    return max(found) if found else None


def check_budget(family: str, dataset: str, n: int, evaluations: int) -> None:
    """Refuse a request whose estimated model time is over ``MAX_MODEL_S`` (the same answer
    whatever the load, so a click is refused or served the same way every time)."""
    seconds = model_seconds(family, dataset, n, evaluations)
    if seconds is not None and seconds > MAX_MODEL_S:
        raise ValueError(f"{n} images of {evaluations} network evaluations each would take about {seconds:.0f} s "
                         f"of model time; one request may take at most {MAX_MODEL_S:.0f} s: ask for fewer "
                         f"images or fewer steps")


def stream(family: str, dataset: str, label=None, n=4, seed=0, every: int | None = None, **opts):
    """Yield a ``Frame`` per step of the family's sampler while it makes ``n`` images (1-16); the
    last one carries the ``Result``. ``every``: positions per frame, for a family that draws
    positions one by one (default: the family's own)."""
    if not streams(family):
        raise ValueError(f"{family} does not stream its steps; the families that do are "
                         f"{', '.join(f for f in models.FAMILIES if streams(f))}")
    dataset_info(dataset)
    n, seed, label = check_int("n", n, 1, STREAM_MAX_N), check_seed(seed), check_label(label)
    opts = check_options(family, opts)
    model = load_model(family, dataset)
    check_budget(family, dataset, n, nfe(model, opts))
    labels = labels_for(label, n)
    extra = {} if every is None else {"every": every}
    steps = model.stream(labels, torch.Generator().manual_seed(seed), **extra, **opts)
    seconds = 0.0
    while True:
        # inference mode per step, not around the loop: a streaming handler may resume this
        # generator on another thread, where a mode entered before the yield is not active
        with torch.inference_mode():
            t0 = time.perf_counter()
            step = next(steps, None)
            seconds += time.perf_counter() - t0
            if step is None:
                return
            frame = Frame(to_uint8(step.canvas), step.done, step.total, seconds,
                          preview=None if step.preview is None else to_uint8(step.preview), t=step.t,
                          position=step.position, probs=as_numpy(step.probs), value=step.value,
                          extras={name: as_numpy(value) for name, value in step.extras.items()})
            if step.done == step.total:
                frame.result = judged(step.canvas, labels, seconds, nfe(model, opts), family, dataset, seed, opts)
        yield frame


def check_out_path(path: str) -> Path:
    out = Path(path)
    if out.suffix not in (".png", ".npz"):
        raise ValueError(f"--out must end in .png or .npz, got {path!r}")
    return out


def write_output(result: Result, path: str) -> Path:
    """``.png``: a captioned grid; ``.npz``: ``images`` uint8 (N,28,28) and ``labels`` int64."""
    from . import render

    out = check_out_path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".npz":
        np.savez_compressed(out, images=result.images, labels=result.labels.astype(np.int64))
    else:
        render.grid(result.images, result.captions(), cols=min(len(result.images), 10),
                    marks=list(result.predicted == result.labels)).save(out)
    return out


def examples(dataset: str) -> tuple[np.ndarray, np.ndarray]:
    """The shipped example sheet: 100 test images (10 per class) and their labels."""
    from PIL import Image

    from . import render

    path = checkpoint.examples_path(dataset)
    if not path.exists():
        raise checkpoint.CheckpointError(f"example sheet {path} is missing; rebuild it with "
                                         f"`{checkpoint.rebuild_command('classifier', dataset)}`")
    images = render.from_grid(Image.open(path), IMAGE_SIZE)
    return images, np.repeat(np.arange(NUM_CLASSES), len(images) // NUM_CLASSES)
