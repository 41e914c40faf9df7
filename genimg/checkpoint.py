"""The checkpoint format, and the only code that knows it.

``checkpoints/<dataset>/<name>.safetensors`` holds inference weights (no pickle); the sibling
``<name>.json`` card holds the config, the training recipe, the loss curve, the evaluation
metrics and the sha256 of the weights file. Loading checks the hash and the config and fails
with a message naming the file and the command that rebuilds it.

Training state for ``--resume`` (every network and optimizer) is written the same way to
``runs/<dataset>/<name>.state.safetensors``, which is never shipped.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

ROOT = Path(__file__).resolve().parent.parent
CHECKPOINT_DIR = Path(os.environ.get("GENIMG_CHECKPOINTS", ROOT / "checkpoints"))
RUNS_DIR = Path(os.environ.get("GENIMG_RUNS", ROOT / "runs"))
MAX_FILE_BYTES = 10 * 1024 * 1024  # a Space serves files under 10 MB without large-file storage


class CheckpointError(ValueError):
    """A checkpoint is missing, corrupted or does not match its model's config."""


def rebuild_command(family: str, dataset: str) -> str:
    return f"python -m genimg train --family {family} --dataset {dataset}"


def paths(family: str, dataset: str, root: Path | None = None) -> tuple[Path, Path]:
    """Return ``(weights, card)`` paths for one checkpoint."""
    folder = Path(root or CHECKPOINT_DIR) / dataset
    return folder / f"{family}.safetensors", folder / f"{family}.json"


def examples_path(dataset: str, root: Path | None = None) -> Path:
    """The example sheet: 10 test images per class, one class per row, as a lossless PNG."""
    return Path(root or CHECKPOINT_DIR) / dataset / "examples.png"


def exists(family: str, dataset: str, root: Path | None = None) -> bool:
    weights, card = paths(family, dataset, root)
    return weights.exists() and card.exists()


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save(model: torch.nn.Module, config, family: str, dataset: str, card: dict,
         root: Path | None = None, max_bytes: int | None = MAX_FILE_BYTES) -> Path:
    """Write ``model``'s weights and its card; return the weights path. Weights over ``max_bytes``
    are refused (None: any size, for a study's run that is never shipped)."""
    weights, card_path = paths(family, dataset, root)
    weights.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    save_file(tensors, str(weights), metadata={"family": family, "dataset": dataset})
    size = weights.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise CheckpointError(f"{weights} is {size / 2**20:.1f} MB; the limit is 10 MB")
    card = dict(card, family=family, dataset=dataset, config=dataclasses.asdict(config),
                file_bytes=size, sha256=sha256(weights))
    card.setdefault("rebuild", rebuild_command(family, dataset))
    card_path.write_text(json.dumps(card, indent=1) + "\n")
    return weights


def read_card(family: str, dataset: str, root: Path | None = None) -> dict:
    weights, card_path = paths(family, dataset, root)
    fix = f"rebuild it with `{rebuild_command(family, dataset)}`"
    if not card_path.exists():
        raise CheckpointError(f"checkpoint card {card_path} is missing; {fix}")
    try:
        return json.loads(card_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CheckpointError(f"checkpoint card {card_path} is not valid JSON ({e}); {fix}") from None


def load(family: str, dataset: str, config_cls, model_cls, root: Path | None = None):
    """Rebuild a model from its checkpoint with no flags; return ``(model, card)``.

    Raises:
        CheckpointError: naming the file and the command that rebuilds it.
    """
    weights, card_path = paths(family, dataset, root)
    fix = f"rebuild it with `{rebuild_command(family, dataset)}`"
    card = read_card(family, dataset, root)
    if not weights.exists():
        raise CheckpointError(f"checkpoint {weights} is missing; {fix}")
    if sha256(weights) != card.get("sha256"):
        raise CheckpointError(f"checkpoint {weights} does not match the sha256 in {card_path.name} "
                              f"(truncated or modified); {fix}")
    fields = {f.name for f in dataclasses.fields(config_cls)}
    stored = card.get("config", {})
    if not set(stored) <= fields:  # a field added later takes its default; an unknown one is refused
        raise CheckpointError(f"checkpoint card {card_path} has config keys {sorted(set(stored) - fields)} "
                              f"that {config_cls.__name__} does not know; {fix}")
    config = config_cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in stored.items()})
    model = model_cls(config)
    try:
        state = load_file(str(weights))
        model.load_state_dict(state, strict=True)
    except (SafetensorError, RuntimeError, OSError) as e:
        raise CheckpointError(f"checkpoint {weights} cannot be loaded into {model_cls.__name__} "
                              f"({str(e).splitlines()[0]}); {fix}") from None
    model.eval().requires_grad_(False)
    return model, card


def sheets_dir(family: str, dataset: str, root: Path | None = None) -> Path:
    """Where a run keeps its sample sheets, beside the card: ``<family>.sheets/step-NNNNNN.png``."""
    return Path(root or CHECKPOINT_DIR) / dataset / f"{family}.sheets"


def save_sheet(images, family: str, dataset: str, step: int, cols: int, root: Path | None = None) -> str:
    """Write one sample sheet: uint8 images (N, H, W), ``cols`` to a row, unscaled grey PNG (a few
    KB). Returns the file name, relative to the dataset's folder."""
    import numpy as np
    from PIL import Image

    n, h, w = images.shape
    rows = -(-n // cols)
    tiles = np.zeros((rows * cols, h, w), np.uint8)
    tiles[:n] = images
    sheet = tiles.reshape(rows, cols, h, w).transpose(0, 2, 1, 3).reshape(rows * h, cols * w)
    folder = sheets_dir(family, dataset, root)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"step-{step:06d}.png"
    Image.fromarray(sheet, "L").save(path, optimize=True)
    return f"{folder.name}/{path.name}"


def read_sheets(family: str, dataset: str, root: Path | None = None, card: dict | None = None) -> list[tuple]:
    """The sample sheets the card (``card``, if already read) lists, in training order:
    (step, uint8 (H, W) picture)."""
    import numpy as np
    from PIL import Image

    folder = Path(root or CHECKPOINT_DIR) / dataset
    return [(int(s["step"]), np.asarray(Image.open(folder / s["file"]).convert("L")))
            for s in (card or read_card(family, dataset, root)).get("sheets", [])]


def clear_sheets(family: str, dataset: str, root: Path | None = None) -> None:
    """Remove a previous run's sheets (a run that starts from scratch draws its own)."""
    folder = sheets_dir(family, dataset, root)
    for old in folder.glob("step-*.png"):
        old.unlink()


def update_card(family: str, dataset: str, root: Path | None = None, **fields) -> dict:
    """Merge ``fields`` into a checkpoint's card (e.g. new evaluation metrics)."""
    card = read_card(family, dataset, root)
    card.update(fields)
    paths(family, dataset, root)[1].write_text(json.dumps(card, indent=1) + "\n")
    return card


# --- training state (resume) -------------------------------------------------------------

def read_sweep(family: str, dataset: str, name: str, root: Path | None = None) -> dict | None:
    """A sweep in a card (``sweeps``: one layout for every family): ``settings`` (the options that
    make a setting), ``rows`` (one per setting: those options and what was measured), ``n``,
    ``date``, ``command``; None when the card has none by that name."""
    if not exists(family, dataset, root):
        return None
    return read_card(family, dataset, root).get("sweeps", {}).get(name)


def update_sweep(family: str, dataset: str, name: str, sweep: dict, root: Path | None = None) -> dict:
    """Write the sweep ``name`` into a checkpoint's card, keeping its other sweeps."""
    sweeps = read_card(family, dataset, root).get("sweeps", {})
    return update_card(family, dataset, root, sweeps={**sweeps, name: sweep})


def _flatten(prefix: str, obj, tensors: dict, meta: dict) -> None:
    if isinstance(obj, torch.Tensor):
        tensors[prefix] = obj.detach().contiguous().cpu()
    elif isinstance(obj, dict):
        meta[prefix + "/"] = "dict"
        for k, v in obj.items():
            _flatten(f"{prefix}/{k}", v, tensors, meta)
    elif isinstance(obj, (list, tuple)):
        meta[prefix + "/"] = "list"
        for i, v in enumerate(obj):
            _flatten(f"{prefix}/{i}", v, tensors, meta)
    else:
        meta[prefix] = json.dumps(obj)


def _unflatten(tensors: dict, meta: dict):
    root: dict = {}
    kinds = {k[:-1]: v for k, v in meta.items() if k.endswith("/")}
    leaves = {k: json.loads(v) for k, v in meta.items() if not k.endswith("/")}
    leaves.update(tensors)
    for path in sorted(kinds, key=len):  # empty containers have no leaves of their own
        node = root
        for p in path.split("/")[1:]:
            node = node.setdefault(p, {})
    for key, value in leaves.items():
        parts = key.split("/")[1:]
        node = root
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value

    def rebuild(node, path):
        if not isinstance(node, dict):
            return node
        kids = {k: rebuild(v, f"{path}/{k}") for k, v in node.items()}
        if kinds.get(path) == "list":
            return [kids[str(i)] for i in range(len(kids))]
        if kinds.get(path) == "dict" and path.rsplit("/", 1)[-1] == "state":
            return {int(k) if k.isdigit() else k: v for k, v in kids.items()}
        return kids

    return rebuild(root, "")


def save_state(path: Path, state: dict) -> None:
    """Write a nested dict of tensors and JSON values (modules, optimizers, step) atomically."""
    tensors, meta = {}, {}
    _flatten("", state, tensors, meta)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    save_file(tensors, str(tmp), metadata=meta)
    os.replace(tmp, path)


def load_state(path: Path) -> dict:
    """Inverse of :func:`save_state`."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    return _unflatten(tensors, meta)
