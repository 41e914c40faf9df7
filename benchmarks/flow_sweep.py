"""The Flow matching family's sampler, steps and guidance, measured: FID, class accuracy,
precision and recall for each setting, with the network evaluations per image it costs (a
guided step is two), so that the defaults are chosen at a cost no higher than the diffusion
model's 12 evaluations.

Each setting draws N samples (class-balanced, the same seed for every setting) and scores them
against the test set in both rulers' features (the judge's FID is the headline). The results go
into each flow card (``sweeps.samplers``), into benchmarks/results/flow_sweep.json, and with
``--write`` into the docs.

    python benchmarks/flow_sweep.py [--dataset D ...] [-n 2000] [--missing] [--write]
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import sweep_main  # noqa: E402

FAMILY = "flow"
KEYS = ("sampler", "steps", "guidance", "guide_from", "guide_to")
SETTINGS = (  # (sampler, steps, guidance, guide_from, guide_to)
    ("euler", 10, 1.0, 0.8, 0.2), ("euler", 12, 1.0, 0.8, 0.2), ("heun", 5, 1.0, 0.8, 0.2),
    ("heun", 6, 1.0, 0.8, 0.2), ("euler", 6, 2.0, 0.8, 0.2), ("euler", 7, 2.0, 0.8, 0.2),
    ("euler", 8, 2.0, 0.7, 0.3), ("euler", 8, 1.5, 0.7, 0.3), ("heun", 5, 2.0, 0.7, 0.3),
    ("euler", 10, 2.0, 0.8, 0.2), ("euler", 50, 2.0, 0.8, 0.2),
    ("heun", 4, 2.0, 0.7, 0.3), ("heun", 5, 2.0, 0.7, 0.5), ("heun", 5, 3.0, 0.7, 0.5),
    ("dpm++", 10, 1.0, 0.8, 0.2), ("dpm++", 6, 2.0, 0.7, 0.5), ("dpm++", 10, 2.0, 0.7, 0.5),
    ("dpm++", 10, 3.0, 0.7, 0.5),
)


def settings():
    for values in SETTINGS:
        yield dict(zip(KEYS, values))


def main() -> None:
    sweep_main(__doc__, FAMILY, "flow_sweep", "samplers", KEYS, settings)


if __name__ == "__main__":
    main()
