"""The Latent diffusion family's sampler, steps and guidance, measured as the Flow matching
family's are (``flow_sweep.py``, the same settings, and a few with more steps): FID, class accuracy, precision, recall and
the latent network evaluations per image. Results go into each latent card (``sweeps.samplers``),
benchmarks/results/latent_sweep.json and, with ``--write``, the docs.

    python benchmarks/latent_sweep.py [--dataset D ...] [-n 2000] [--write]
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import sweep_main  # noqa: E402
from benchmarks.flow_sweep import KEYS, SETTINGS  # noqa: E402

FAMILY = "latent"
# a latent network evaluation costs a fifth of a pixel one: more steps are affordable here
MORE_STEPS = (("heun", 8, 2.0, 0.7, 0.3), ("heun", 12, 2.0, 0.7, 0.3), ("heun", 8, 1.5, 0.8, 0.2),
              ("dpm++", 20, 2.0, 0.7, 0.3), ("dpm++", 20, 2.0, 0.8, 0.2), ("dpm++", 12, 3.0, 0.8, 0.2),
              ("dpm++", 20, 3.0, 0.8, 0.2), ("dpm++", 30, 3.0, 0.8, 0.2))


def settings():
    for values in SETTINGS + MORE_STEPS:
        yield dict(zip(KEYS, values))


if __name__ == "__main__":
    sweep_main(__doc__, FAMILY, "latent_sweep", "samplers", KEYS, settings)
