"""``python -m genimg eval``: one scoreboard for every family, measured the same way.

For each family x dataset: N samples (100 per class at least) at the default options against
the test set, in the shipped classifier's feature space (``scores``): FID with its real-vs-real
floor (as many training images as samples, against the same test set: a score means nothing
without its floor), class accuracy, Inception Score with the test set's own score as the
ceiling, the predicted-class histogram, k-NN precision and recall, the likelihood where the
family has one (its module's ``likelihood``), and the cost: parameters, file size, network
evaluations and wall time per image (batched, at the default options).

A slow family gets fewer samples: as many chunks of 1,000 (100 per class) as fit in
``budget_s`` seconds of sampling, and the result says how many it used.
"""
from __future__ import annotations

import time

import numpy as np
import torch

from . import checkpoint, models, pipeline, scores
from .data import DATASETS, NUM_CLASSES, dataset_info, load_tensors

DEFAULT_N = 10_000
MIN_N = 100 * NUM_CLASSES
DEFAULT_BUDGET_S = 300.0


class Reference:
    """The test set's and the training set's features for one dataset, computed once."""

    def __init__(self, dataset: str, data_dir=None):
        test, _ = load_tensors(dataset, "test", data_dir)
        train, _ = load_tensors(dataset, "train", data_dir)
        self.test, test_probs = scores.embed(dataset, (test + 1) / 2)
        self.train, _ = scores.embed(dataset, (train[:DEFAULT_N] + 1) / 2)
        self.test_is = scores.inception_score(test_probs)
        self._floors: dict[int, float] = {}

    def floor(self, n: int) -> float:
        """FID of ``n`` training images against the test set."""
        if n not in self._floors:
            self._floors[n] = scores.fid(self.train[:n], self.test)
        return self._floors[n]


def sample_within(family: str, dataset: str, n: int, budget_s: float, seed: int = 0) -> pipeline.Result:
    """``n`` samples at the default options (100 per class per chunk of 1,000), or fewer for a
    slow family: chunks are drawn until the next one would not fit in ``budget_s`` seconds of
    sampling (at least one chunk). Chunk ``i`` uses seed ``seed + i``. The times are the chunks'
    own, so a busy machine shows up as slower sampling, not as a different sample count rule."""
    parts: list[pipeline.Result] = []
    done, seconds = 0, 0.0
    while done < n and not (parts and seconds + seconds / len(parts) > budget_s):
        size = min(MIN_N, n - done)
        parts.append(pipeline.generate(family, dataset, None, size, seed=seed + len(parts), max_n=pipeline.API_MAX_N))
        done, seconds = done + size, seconds + parts[-1].seconds
    cat = lambda name: np.concatenate([getattr(r, name) for r in parts])  # noqa: E731
    first = parts[0]
    return pipeline.Result(cat("images"), cat("labels"), cat("predicted"), cat("confidence"), seconds, first.nfe,
                           family, dataset, seed, first.options)


def evaluate(family: str, dataset: str, ref: Reference, n: int = DEFAULT_N, budget_s: float = DEFAULT_BUDGET_S,
             seed: int = 0, data_dir=None) -> dict:
    """Every measurement of one family on one dataset (see the module docstring)."""
    from .train import hardware  # training's description of this machine (not needed at app start-up)

    result = sample_within(family, dataset, n, budget_s, seed)
    n = len(result.labels)
    x = torch.from_numpy(result.images).float().div(255)[:, None]
    feats, probs = scores.embed(dataset, x)
    precision, recall = scores.precision_recall(ref.test[:n], feats)
    card = checkpoint.read_card(family, dataset)
    out = {
        "n_samples": n, "seed": seed, "options": result.options, "budget_s": budget_s,
        "fid": round(scores.fid(feats, ref.test), 2), "fid_floor": round(ref.floor(n), 2),
        "class_accuracy": round(result.accuracy, 4),
        "inception_score": round(scores.inception_score(probs), 3), "inception_score_test": round(ref.test_is, 3),
        "class_histogram": np.bincount(result.predicted, minlength=NUM_CLASSES).tolist(),
        "precision": round(precision, 3), "recall": round(recall, 3),
        "parameters": card["parameters"], "file_bytes": card["file_bytes"], "nfe": result.nfe,
        "ms_per_image": round(result.seconds / n * 1000, 3),
        "date": time.strftime("%Y-%m-%d"),
        "hardware": hardware(),
    }
    mod = models.get(family)
    if hasattr(mod, "likelihood"):
        with torch.inference_mode():
            out["likelihood"] = mod.likelihood(pipeline.load_model(family, dataset), dataset, data_dir)
    return out


def run(families=None, datasets=None, n: int = DEFAULT_N, budget_s: float = DEFAULT_BUDGET_S, data_dir=None,
        write: bool = True, log=print) -> list[dict]:
    """Evaluate the named (default: all shipped) families on the named datasets; with ``write``
    each card gets an ``eval`` entry. Returns one row per family x dataset."""
    rows = []
    for dataset in datasets or list(DATASETS):
        dataset_info(dataset)
        chosen = [pipeline.check_family(f) for f in families] if families else pipeline.available(dataset)
        ref = Reference(dataset, data_dir)
        for family in chosen:
            t0 = time.perf_counter()
            row = evaluate(family, dataset, ref, n, budget_s, data_dir=data_dir)
            row["eval_seconds"] = round(time.perf_counter() - t0, 1)
            if write:
                checkpoint.update_card(family, dataset, eval=row)
            rows.append({"family": family, "dataset": dataset, **row})
            log(f"{family}/{dataset}: FID {row['fid']} (floor {row['fid_floor']}), accuracy "
                f"{row['class_accuracy']:.1%}, {row['n_samples']} samples, {row['eval_seconds']} s")
    return rows


def scoreboard(dataset: str) -> list[dict]:
    """The last ``eval`` of every shipped family on ``dataset``, from the cards (the app shows
    these; nothing here is typed by hand)."""
    dataset_info(dataset)
    rows = []
    for family in pipeline.available(dataset):
        e = checkpoint.read_card(family, dataset).get("eval")
        if e:
            rows.append({"family": family, "title": models.get(family).TITLE, **e})
    return rows
