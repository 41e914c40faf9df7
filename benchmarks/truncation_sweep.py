"""The truncation trade-off of the GAN, measured: FID, class accuracy, precision and recall at each
truncation psi (the noise z scaled by psi: 1 = the distribution G was trained on, 0 = one image per
class; Brock et al. 2019, "BigGAN").

Each setting draws N class-balanced samples with the same seed and scores them against the test
set in both rulers' features (the judge's FID is the headline). The results go into each GAN
card (``truncation_sweep``), into benchmarks/results/truncation_sweep.json and, with ``--write``,
into README.md. The GAN's default truncation is chosen from it.

    python benchmarks/truncation_sweep.py [--dataset D ...] [-n 2000] [--write]
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import sweep_main, sweep_table  # noqa: E402

FAMILY = "gan"
PSIS = (1.0, 0.9, 0.8, 0.7, 0.5, 0.0)


def table() -> str:
    return sweep_table(FAMILY, "truncation_sweep", {"truncation ψ": ("---:", lambda r: f"{r['truncation']:g}")},
                       ("truncation",))


def main() -> None:
    sweep_main(__doc__, FAMILY, "truncation_sweep", lambda: ({"truncation": psi} for psi in PSIS), table)


if __name__ == "__main__":
    main()
