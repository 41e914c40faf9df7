"""Datasets: MNIST and Fashion-MNIST as idx files, and the pixel conversions.

Training and evaluation read the four standard idx ``.gz`` files. They are found, in order, in
``--data-dir DIR`` (or ``$GENIMG_DATA``) under ``mnist/`` or ``fashion/``, in the folder Debian's
``dataset-fashion-mnist`` package installs, or (last resort) through torchvision's downloader.
The app never needs them: what it shows of real data ships as an example sheet per dataset.
"""
from __future__ import annotations

import gzip
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch


@dataclass(frozen=True)
class DatasetInfo:
    key: str  # the name used by the API, the CLI and the checkpoint folders
    title: str  # what the UI shows
    classes: tuple[str, ...]  # class names by id
    subdirs: tuple[str, ...]  # folder names tried under the data dir
    fit: int  # side of the box a drawing is scaled into (MNIST digits sit in 20x20, centred)
    system_dirs: tuple[str, ...] = ()  # folders a system package installs


DATASETS: dict[str, DatasetInfo] = {
    "mnist": DatasetInfo(
        key="mnist",
        title="MNIST digits",
        classes=tuple(str(i) for i in range(10)),
        subdirs=("mnist", "MNIST", "MNIST/raw"),
        fit=20,
    ),
    "fashion": DatasetInfo(
        key="fashion",
        title="Fashion-MNIST clothes",
        classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
        subdirs=("fashion", "fashion-mnist", "FashionMNIST/raw"),
        fit=26,
        system_dirs=("/usr/share/datasets/fashion-mnist",),
    ),
}

NUM_CLASSES = 10
IMAGE_SIZE = 28
_FILES = {
    ("train", "images"): "train-images-idx3-ubyte.gz",
    ("train", "labels"): "train-labels-idx1-ubyte.gz",
    ("test", "images"): "t10k-images-idx3-ubyte.gz",
    ("test", "labels"): "t10k-labels-idx1-ubyte.gz",
}


def dataset_info(dataset: str) -> DatasetInfo:
    """Return the description of ``dataset``, or raise a ValueError naming the allowed keys."""
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}")
    return DATASETS[dataset]


def read_idx(path: Path) -> np.ndarray:
    """Read one (optionally gzipped) idx file into a uint8 array."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        zero, dtype, ndim = struct.unpack(">HBB", f.read(4))
        if zero != 0 or dtype != 0x08:
            raise ValueError(f"{path} is not an idx file of unsigned bytes")
        shape = struct.unpack(">" + "I" * ndim, f.read(4 * ndim))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(shape)


def find_data_dir(dataset: str, data_dir: str | os.PathLike | None = None) -> Path:
    """Locate the folder holding ``dataset``'s four idx files.

    Raises:
        FileNotFoundError: naming every folder that was tried and how to provide the data.
    """
    info = dataset_info(dataset)
    roots = [Path(d) for d in (data_dir, os.environ.get("GENIMG_DATA")) if d]
    candidates = [r / s for r in roots for s in info.subdirs] + roots
    candidates += [Path(d) for d in info.system_dirs]
    for c in candidates:
        if all((c / name).exists() for name in _FILES.values()):
            return c
    tried = ", ".join(str(c) for c in candidates) or "(none)"
    raise FileNotFoundError(
        f"{info.title}: idx files not found (tried {tried}). Pass --data-dir DIR or set "
        f"GENIMG_DATA=DIR with {info.subdirs[0]}/ inside holding the four idx .gz files"
        + (", or run `apt-get install -y dataset-fashion-mnist`" if info.system_dirs else "")
    )


def _torchvision_fallback(dataset: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    import tempfile

    from torchvision import datasets as tvd

    cls = tvd.MNIST if dataset == "mnist" else tvd.FashionMNIST
    root = Path(os.environ.get("GENIMG_DATA") or tempfile.gettempdir()) / "torchvision"
    ds = cls(str(root), train=(split == "train"), download=True)
    return ds.data.numpy(), ds.targets.numpy()


def load_arrays(dataset: str, split: str = "train", data_dir=None) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(images uint8 (N,28,28), labels int64 (N,))`` for ``split`` in train|test."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    try:
        folder = find_data_dir(dataset, data_dir)
    except FileNotFoundError:
        try:
            return _torchvision_fallback(dataset, split)
        except Exception:  # no network here: report where we looked, not the download error
            pass
        raise
    images = read_idx(folder / _FILES[(split, "images")])
    labels = read_idx(folder / _FILES[(split, "labels")]).astype(np.int64)
    return images, labels


def load_tensors(dataset: str, split: str = "train", data_dir=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(x float32 (N,1,28,28) in [-1,1], y int64 (N,))``."""
    images, labels = load_arrays(dataset, split, data_dir)
    return to_model(images), torch.from_numpy(labels)


def to_model(images: np.ndarray) -> torch.Tensor:
    """uint8 (N,28,28) -> float32 (N,1,28,28) in [-1, 1]."""
    x = torch.from_numpy(np.array(images, dtype=np.uint8)).float().div_(127.5).sub_(1.0)
    return x.unsqueeze(1)


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """float (N,1,28,28) in [0, 1] -> uint8 (N,28,28), rounding to the nearest level."""
    return x.detach().clamp(0, 1).mul(255).round().to(torch.uint8).squeeze(1).cpu().numpy()


def write_example_sheet(dataset: str, data_dir=None, per_class: int = 10):
    """Save the first ``per_class`` test images of each class as one PNG (a row per class).

    The app shows real data (reconstructions, inputs to complete) from this sheet alone, so it
    never needs the dataset.
    """
    from PIL import Image

    from .checkpoint import examples_path

    images, labels = load_arrays(dataset, "test", data_dir)
    rows = [np.concatenate(list(images[labels == c][:per_class]), axis=1) for c in range(NUM_CLASSES)]
    path = examples_path(dataset)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate(rows, axis=0), "L").save(path, optimize=True)
    return path
