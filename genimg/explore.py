"""Views beyond sampling for the families whose models offer them: interpolation between two
seeds (a model with ``latent`` and ``interpolate``, e.g. the GAN), reconstruction, the latent
map and encoding a drawing (``reconstruct``, ``latent_map``, ``posterior_samples``: the VAE),
and an image's round trip through its tokens (``tokenize`` / ``detokenize``: the Transformer).
Each takes the family first; a family without the capability gets a ValueError. Same rules as
``pipeline``: checked arguments, uint8 out.
"""
from __future__ import annotations

import numpy as np
import torch

from . import checkpoint, drawing, metrics, pipeline
from .data import dataset_info, to_uint8

MAX_STEPS = 32  # interpolation frames
MAP_SIZES = (3, 15)  # latent map side, min..max
MAX_POSTERIOR = 16


def _label(label) -> torch.Tensor:
    """One class id 0-9 (these views show a single class; "all classes" is not an option)."""
    if label is None or label == -1:
        raise ValueError("label must be one class between 0 and 9 here, not all classes")
    return pipeline.labels_for(pipeline.check_label(label), 1)


def _model(family: str, dataset: str, *needs: str):
    """The family's shipped model, if it has every method in ``needs``."""
    pipeline.check_family(family)
    model = pipeline.load_model(family, dataset)
    missing = [name for name in needs if not callable(getattr(model, name, None))]
    if missing:
        raise ValueError(f"the {family} family has no {missing[0]}: this view is not for it")
    return model


def interpolate(family: str, dataset: str, label, seed_a, seed_b, steps=9, truncation=None) -> np.ndarray:
    """``steps`` images along the great circle between the noise of two seeds (truncation: the
    family's default when None)."""
    steps = pipeline.check_int("steps", steps, 2, MAX_STEPS)
    seed_a, seed_b = pipeline.check_seed(seed_a), pipeline.check_seed(seed_b)
    psi = pipeline.check_options(family, {} if truncation is None else {"truncation": truncation})["truncation"]
    model = _model(family, dataset, "latent", "interpolate")
    z_a = model.latent(1, torch.Generator().manual_seed(seed_a)) * psi
    z_b = model.latent(1, torch.Generator().manual_seed(seed_b)) * psi
    with torch.inference_mode():
        return to_uint8(model.interpolate(z_a, z_b, _label(label), steps))


def reconstruct(family: str, dataset: str, count=10, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """``count`` example test images picked by ``seed`` and their reconstructions."""
    count = pipeline.check_int("count", count, 1, 20)
    images, labels = pipeline.examples(dataset)
    pick = torch.randperm(len(images), generator=torch.Generator().manual_seed(pipeline.check_seed(seed)))[:count]
    x = torch.from_numpy(images[pick.numpy()]).float().div(255).unsqueeze(1)
    model = _model(family, dataset, "reconstruct")
    with torch.inference_mode():
        recon = model.reconstruct(x, torch.from_numpy(labels[pick.numpy()]))
    return images[pick.numpy()], to_uint8(recon)


def latent_map(family: str, dataset: str, label, size=9) -> np.ndarray:
    """A size x size grid decoded over the two leading principal directions of z."""
    size = pipeline.check_int("size", size, *MAP_SIZES)
    model = _model(family, dataset, "latent_map")
    with torch.inference_mode():
        return to_uint8(model.latent_map(_label(label), size))


def what_was_drawn(dataset: str, x28: np.ndarray) -> tuple[int, str, float]:
    """The shipped classifier's reading of a prepared drawing (uint8 28x28): class, name, probability."""
    pred, conf = metrics.classify(dataset, torch.from_numpy(x28).float().div(255)[None, None])
    return int(pred[0]), dataset_info(dataset).classes[int(pred[0])], float(conf[0])


def encode_drawing(family: str, dataset: str, image, label=None, k=8, seed=0) -> dict:
    """A drawing -> the 28x28 input, its reconstruction and k posterior samples.

    ``label`` None or -1 lets the shipped classifier decide what was drawn.
    """
    k = pipeline.check_int("k", k, 1, MAX_POSTERIOR)
    seed = pipeline.check_seed(seed)
    label = pipeline.check_label(label)
    x28 = drawing.prepare(image, dataset)
    x = torch.from_numpy(x28).float().div(255)[None, None]
    if label is None:
        label, name, conf = what_was_drawn(dataset, x28)
        how = f"the classifier sees {name} ({conf:.0%})"
    else:
        how = "as you chose"
    y = torch.tensor([label])
    model = _model(family, dataset, "reconstruct", "posterior_samples")
    with torch.inference_mode():
        recon = model.reconstruct(x, y)
        samples = model.posterior_samples(x, y, k, torch.Generator().manual_seed(seed))
    return {"input": x28, "reconstruction": to_uint8(recon)[0], "samples": to_uint8(samples),
            "label": label, "how": how}


def round_trip(family: str, dataset: str, image: np.ndarray) -> dict:
    """An image (uint8 28x28) -> its ``tokens`` (7x7 codebook ids) -> the
    ``reconstruction`` the tokenizer's decoder makes of them, with the mean squared error in
    [0,1] units and the size of the codebook."""
    image = np.asarray(image)
    if image.shape != (28, 28) or image.dtype != np.uint8:
        raise ValueError(f"the image must be 28x28 uint8, got shape {image.shape} {image.dtype}")
    model = _model(family, dataset, "tokenize", "detokenize")
    x = torch.from_numpy(image).float().div(255)[None, None]
    with torch.inference_mode():
        tokens = model.tokenize(x)
        recon = model.detokenize(tokens)
    return {"tokens": tokens[0].numpy(), "reconstruction": to_uint8(recon)[0],
            "mse": float((recon - x).pow(2).mean()), "codes": model.config.codes}


def training_sheets(family: str, dataset: str) -> dict:
    """How the family learned: the sample sheets its trainer drew at about eight points of its
    run (the same classes and seeds each time), with the step of each and the run's length.
    Empty for a checkpoint trained before the trainer kept sheets."""
    pipeline.check_family(family)
    dataset_info(dataset)
    if not checkpoint.exists(family, dataset):
        return {"steps": [], "sheets": [], "total": 0}
    card = checkpoint.read_card(family, dataset)
    found = checkpoint.read_sheets(family, dataset, card=card)
    total = card.get("recipe", {}).get("steps", 0)
    return {"steps": [step for step, _ in found], "sheets": [sheet for _, sheet in found],
            "total": max([total, *(step for step, _ in found)])}
