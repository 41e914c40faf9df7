"""``python -m genimg eval``: one scoreboard for every family, measured the same way.

For each family x dataset: N samples (100 per class at least) at the default options against
the test set, in the feature space of each of the two rulers (``scores.RULERS``: the judge,
trained only for evaluation, and the shipped classifier): FID with its real-vs-real floor (as
many training images as samples, drawn at random and class-balanced, against the same test set:
a score means nothing without its floor) and k-NN precision and recall; then class accuracy,
Inception Score with the test set's own score as the ceiling and the predicted-class histogram
(by the classifier, which labels the app's images), the likelihood where the family has one (its
module's ``likelihood``), and the cost: parameters, file size, network evaluations and wall
time per image (batched, at the default options). The top-level ``fid``, ``fid_floor``,
``precision`` and ``recall`` are the judge's; ``rulers`` holds both.

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


def balanced_order(labels: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """Indices of every image, shuffled within each class and interleaved class by class, so
    that any first 10 k of them are a random, class-balanced sample (datasets are often
    ordered: MNIST's training set by groups of writers)."""
    g = torch.Generator().manual_seed(seed)
    per_class = [torch.nonzero(labels == c).flatten() for c in range(NUM_CLASSES)]
    per_class = [idx[torch.randperm(len(idx), generator=g)] for idx in per_class]
    rounds = min(len(idx) for idx in per_class)
    return torch.stack([idx[:rounds] for idx in per_class], 1).flatten()


class Reference:
    """The test set's and a random, class-balanced part of the training set's features for one
    dataset, in each ruler's features, computed once."""

    def __init__(self, dataset: str, data_dir=None):
        test, test_y = load_tensors(dataset, "test", data_dir)
        train, train_y = load_tensors(dataset, "train", data_dir)
        fair_train = balanced_order(train_y)[:DEFAULT_N]
        self.test_order = balanced_order(test_y)  # the real images that k-NN recall must cover
        self.test, self.train = {}, {}
        for ruler in scores.RULERS:
            self.test[ruler], probs = scores.embed(dataset, (test + 1) / 2, ruler)
            self.train[ruler], _ = scores.embed(dataset, (train[fair_train] + 1) / 2, ruler)
            if ruler == "classifier":
                self.test_is = scores.inception_score(probs)
        self._floors: dict[tuple[str, int], float] = {}

    def floor(self, n: int, ruler: str = scores.RULERS[0]) -> float:
        """FID of ``n`` random, class-balanced training images against the test set."""
        if (ruler, n) not in self._floors:
            self._floors[ruler, n] = scores.fid(self.train[ruler][:n], self.test[ruler])
        return self._floors[ruler, n]

    def measure(self, x01: torch.Tensor, dataset: str) -> dict:
        """FID (with its floor), precision and recall of images (N,1,28,28) in [0,1], per ruler."""
        n = len(x01)
        out = {}
        for ruler in scores.RULERS:
            feats, _ = scores.embed(dataset, x01, ruler)
            precision, recall = scores.precision_recall(self.test[ruler][self.test_order[:n]], feats)
            out[ruler] = {"fid": round(scores.fid(feats, self.test[ruler]), 2),
                          "fid_floor": round(self.floor(n, ruler), 2),
                          "precision": round(precision, 3), "recall": round(recall, 3)}
        return out


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
    _, probs = scores.embed(dataset, x, "classifier")
    rulers = ref.measure(x, dataset)
    card = checkpoint.read_card(family, dataset)
    out = {
        "n_samples": n, "seed": seed, "options": result.options, "budget_s": budget_s,
        **rulers[scores.RULERS[0]], "rulers": rulers,
        "class_accuracy": round(result.accuracy, 4),
        "inception_score": round(scores.inception_score(probs), 3), "inception_score_test": round(ref.test_is, 3),
        "class_histogram": np.bincount(result.predicted, minlength=NUM_CLASSES).tolist(),
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
