"""The One step student at 1, 2 and 4 steps, measured: FID, class accuracy, precision and recall
for each, to set beside its teacher's (the Flow matching sweep's default row: the same number of
samples from the same seed). Issue #16's bar: at 1 step, an FID at most 1.5x the teacher's.

Each setting draws N class-balanced samples with the same seed and scores them against the test
set in both rulers' features (the judge's FID is the headline). The results go into each One
step card (``sweeps.steps``), into benchmarks/results/steps_sweep.json and, with ``--write``,
into the docs.

    python benchmarks/steps_sweep.py [--dataset D ...] [-n 2000] [--write]
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import one_option_sweep  # noqa: E402

STEPS = (1, 2, 4)

if __name__ == "__main__":
    one_option_sweep(__doc__, "distilled", "steps_sweep", "steps", STEPS)
