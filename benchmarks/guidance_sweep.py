"""The guidance trade-off of the diffusion model, measured: FID, class accuracy, precision and
recall at each guidance scale, with guidance everywhere and in a limited interval of noise
levels (Kynkaenniemi et al. 2024).

Each setting draws N samples (class-balanced, the same seed for every setting) with the default
sampler and steps, and scores them against the test set in both rulers' features (the judge's
FID is the headline). The results go into each diffusion card (``sweeps.guidance``), where the
Diffusion tab reads them for its trade-off plot, into benchmarks/results/guidance_sweep.json,
and with ``--write`` into the docs. The defaults of the Diffusion family are chosen from it.

    python benchmarks/guidance_sweep.py [--dataset D ...] [-n 2000] [--write]
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import sweep_main  # noqa: E402
from genimg import pipeline  # noqa: E402

FAMILY = "diffusion"
SCALES = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0)
INTERVALS = ((1.0, 0.0), (0.8, 0.2))  # (guide_from, guide_to): everywhere, and the middle of the noise levels
INTERVAL_SCALES = (1.5, 2.0, 3.0, 5.0)  # a limited interval only matters where the scale is not 0 or 1


def settings():
    for lo_hi in INTERVALS:
        for w in SCALES if lo_hi == INTERVALS[0] else INTERVAL_SCALES:
            yield {"guidance": w, "guide_from": lo_hi[0], "guide_to": lo_hi[1]}


def main() -> None:
    defaults = pipeline.check_options(FAMILY, {})
    sweep_main(__doc__, FAMILY, "guidance_sweep", "guidance", ("guidance", "guide_from", "guide_to"), settings,
               extra={"sampler": defaults["sampler"], "steps": defaults["steps"]})


if __name__ == "__main__":
    main()
