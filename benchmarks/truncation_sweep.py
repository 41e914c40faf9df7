"""The truncation trade-off of the GAN, measured: FID, class accuracy, precision and recall at each
truncation psi (the noise z scaled by psi: 1 = the distribution G was trained on, 0 = one image per
class; Brock et al. 2019, "BigGAN").

Each setting draws N class-balanced samples with the same seed and scores them against the test
set in both rulers' features (the judge's FID is the headline). The results go into each GAN
card (``sweeps.truncation``), into benchmarks/results/truncation_sweep.json and, with ``--write``,
into the docs. The GAN's default truncation is chosen from it.

    python benchmarks/truncation_sweep.py [--dataset D ...] [-n 2000] [--write]
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import one_option_sweep  # noqa: E402

PSIS = (1.0, 0.9, 0.8, 0.7, 0.5, 0.0)

if __name__ == "__main__":
    one_option_sweep(__doc__, "gan", "truncation_sweep", "truncation", PSIS)
