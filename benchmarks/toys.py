"""The Train tab's targets, measured: how fast a run is as a visitor sees it, and what each 2-D
family learns of the ring of 8 at the defaults.

    python benchmarks/toys.py [--url URL] [--seeds 10] [--write]

Speed: ``python app.py`` is launched with the cache of answers off (``GENIMG_CACHE_MB=0``, so
every run computes), and its ``/train`` endpoint is called with gradio_client, streaming, as a
page would: for each preset, the default run of every family (seconds until done, frames that
arrived), then each family alone on the ring. Targets: every family in 10 s or less with at least
10 frames; one family alone in 3 s or less. Quality, in this process (the function the endpoint
runs): on the ring at the default settings, seeds 0 to ``--seeds`` - 1, each GAN loss: modes
covered, the share of samples between the modes, the distance against the data's floor. Run it on
a quiet machine; ``--write`` keeps the table for the docs (``docs/train.md``).
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from benchmarks import common  # noqa: E402
from genimg import playground, toys  # noqa: E402
from genimg.toys import data  # noqa: E402

from genimg.ui.train import LESSON_SEED  # noqa: E402 - the seed of the lesson's steps on the ring

TARGETS = {"every_family_s": 10, "frames": 10, "alone_s": 3, "ratio": 2}  # the issue's, checked in the table


def one_run(client, **kw) -> dict:
    t0 = time.perf_counter()
    job = client.submit(api_name="/train", **kw)
    frames = sum(1 for _ in job)
    job.result()
    return {"seconds": round(time.perf_counter() - t0, 2), "frames": frames}


def speed(url: str, pid) -> dict:
    from gradio_client import Client

    client = Client(url, verbose=False)
    one_run(client, steps=20)  # the worker's first run pays for its imports
    every = {name: one_run(client, data=name) for name in data.PRESETS}
    alone = {name: one_run(client, families=[name]) for name in toys.TOYS}
    client.close()
    return {"every_family": every, "alone": alone}


def quality(seeds: int) -> dict:
    rows: dict[str, list] = {}
    for gan_loss in ("fix", "plain"):
        for seed in range(seeds):
            names = toys.TOYS if gan_loss == "fix" else ("gan",)
            last = list(playground.train("ring8", families=names, seed=seed, gan_loss=gan_loss))[-1]
            for name, t in last.families.items():
                key = name if gan_loss == "fix" else f"{name} (gan_loss={gan_loss})"  # a variant: its option
                rows.setdefault(key, []).append({"seed": seed, "modes": t.modes[-1][1], "between": round(t.between, 3),
                                                 "ratio": round(t.score[-1][1] / last.floor, 2)})
            print(f"seed {seed} {gan_loss}: " + ", ".join(f"{n} {r[-1]['modes']}/8 {r[-1]['ratio']}x"
                                                            for n, r in rows.items() if r[-1]["seed"] == seed),
                  file=sys.stderr)
    return rows


def table(result: dict) -> str:
    lines = ["| Data | Every family: seconds | frames |", "|---|---|---|"]
    for name, r in result["speed"]["every_family"].items():
        lines.append(f"| {name} | {r['seconds']:.1f} | {r['frames']} |")
    lines += ["", "| Family alone (ring8) | seconds | frames |", "|---|---|---|"]
    for name, r in result["speed"]["alone"].items():
        lines.append(f"| {toys.get(name).TITLE} | {r['seconds']:.1f} | {r['frames']} |")
    lines += ["", f"| On the ring, seeds 0-{result['seeds'] - 1} | modes covered (median, fewest) | between the modes "
              f"(median) | distance / floor (median, worst) | seed {LESSON_SEED}: modes, distance / floor |",
              "|---|---|---|---|---|"]
    for key, rows in result["quality"].items():
        name, _, variant = key.partition(" (")
        title = toys.get(name).TITLE + (f" ({variant}" if variant else "")
        modes, ratios = [r["modes"] for r in rows], [r["ratio"] for r in rows]
        lesson = rows[LESSON_SEED]
        lines.append(f"| {title} | {statistics.median(modes):g}, {min(modes)} | "
                     f"{statistics.median(r['between'] for r in rows):.0%} | {statistics.median(ratios):.2f}, "
                     f"{max(ratios):.2f} | {lesson['modes']}, {lesson['ratio']:.2f} |")
    return "\n".join(lines)


def main() -> None:
    p = common.parser(__doc__, "toys", threads=False)
    p.add_argument("--url", default=None, help="an app already running (default: launch python app.py)")
    p.add_argument("--seeds", type=int, default=10)
    args = p.parse_args()
    import os

    os.environ["GENIMG_CACHE_MB"] = "0"  # every run computes
    torch.set_num_threads(1)
    result = {"date": time.strftime("%Y-%m-%d"), "command": "python benchmarks/toys.py --write", "seeds": args.seeds,
              "targets": TARGETS,
              "defaults": {k: v for k, v in vars(playground.DEFAULTS).items() if k != "options"},
              "speed": common.against_app(args.url, speed), "quality": quality(args.seeds)}
    common.publish(args, result, table(result), "toys")


if __name__ == "__main__":
    main()
