"""The temperature trade-off of the VAE, measured: FID, class accuracy, precision and recall at
each prior temperature (z = m_y + T * L_y eps: 1 = the prior fitted to the codes, below 1 = codes
nearer the class's centres, more typical and less varied; above 1 = wider).

Each setting draws N class-balanced samples with the same seed and scores them against the test
set in both rulers' features (the judge's FID is the headline). The results go into each VAE card
(``sweeps.temperature``), into benchmarks/results/temperature_sweep.json and, with ``--write``,
into the docs. The VAE's default temperature is chosen from it.

    python benchmarks/temperature_sweep.py [--dataset D ...] [-n 2000] [--write]
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import one_option_sweep  # noqa: E402

TEMPERATURES = (1.2, 1.0, 0.95, 0.9, 0.85, 0.8, 0.7, 0.5)

if __name__ == "__main__":
    one_option_sweep(__doc__, "vae", "temperature_sweep", "temperature", TEMPERATURES)
