"""The One step student against its teacher and the GAN, side by side in one run: 16 images at
1, 2 and 4 student steps, the Flow matching teacher at its default options (the images the
student learned) and the GAN (one generator pass), from their shipped checkpoints, best of
``--repeats`` runs interleaved so that all see the same machine. Issue #16's bar: the student's
one step under 30 ms for 16 images on 2 threads.

    python benchmarks/distilled_speed.py [--threads 2] [--dataset mnist] [--write]

``--write`` puts the result into the docs (its table: benchmarks/results/tables/distilled-speed.md) and into the
One step cards (``speed``).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import load_checkpoint, parser, publish_speed, timed  # noqa: E402
from genimg import models  # noqa: E402

FAMILY = "distilled"
STEPS = (1, 2, 4)
BAR_S = 0.030


def main() -> None:
    p = parser(__doc__, "distilled_speed", "update the docs and the cards")
    p.add_argument("--dataset", default="mnist")
    p.add_argument("-n", type=int, default=16)
    p.add_argument("--repeats", type=int, default=15)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    labels = torch.arange(a.n) % 10
    student = load_checkpoint(FAMILY, a.dataset)
    teacher_name = models.get(FAMILY).TEACHER
    runs = {f"student, {s} step{'s' if s > 1 else ''}": (student, {"steps": s}) for s in STEPS}
    runs["teacher (Flow matching), its default"] = (load_checkpoint(teacher_name, a.dataset), {})
    runs["GAN, one generator pass"] = (load_checkpoint("gan", a.dataset), {})
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(a.repeats):  # interleaved: every sampler sees the same machine
        for name, (model, options) in runs.items():
            best[name] = min(best[name], timed(lambda: model.sample(labels, torch.Generator().manual_seed(0),
                                                                     **options))[1])
    rows = [{"sampler": name, "nfe": model.nfe(**options) if hasattr(model, "nfe") else 1,
             "seconds": round(best[name], 4)} for name, (model, options) in runs.items()]
    result = {"date": time.strftime("%Y-%m-%d"), "dataset": a.dataset, "n": a.n, "threads": a.threads,
              "torch": torch.__version__, "rows": rows, "bar_s": BAR_S}
    lines = [f"| sampler | network passes per image | ms for {a.n} images |", "|---|---:|---:|"]
    lines += [f"| {r['sampler']} | {r['nfe']} | {r['seconds'] * 1000:.1f} |" for r in rows]
    one = rows[0]["seconds"]
    text = "\n".join(lines) + (
        f"\n\nThe student's one step: {one * 1000:.1f} ms for {a.n} images "
        f"({'under' if one < BAR_S else 'over'} the bar of {BAR_S * 1000:.0f} ms). {a.dataset}, {a.threads} CPU "
        f"threads, best of {a.repeats} interleaved runs; measured {result['date']}, torch {result['torch']}; "
        "`python benchmarks/distilled_speed.py --write`.")
    publish_speed(a, FAMILY, "distilled-speed", result, text)


if __name__ == "__main__":
    main()
