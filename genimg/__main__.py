"""Command line: ``python -m genimg sample | train | eval | bench | docs``.

    python -m genimg sample --family F --dataset D -n N [--label L] [--seed S] [options] --out PATH
    python -m genimg train  --family F --dataset D [--data-dir DIR] [--epochs E] [--set KEY=VALUE] [--device D]
                                                [--threads N] [--root DIR]
    python -m genimg eval   [--family F ...] [--dataset D ...] [-n N] [--data-dir DIR]
    python -m genimg bench  [--family F ...] [--dataset D] [--batch B ...] [--no-tabs] [--out PATH.json]
    python -m genimg docs   [--check]
    python -m genimg toys   [--data ring8|...|word|drawing] [--word W] [--drawing PNG] [--families gan,vae,...]
                            [--steps S] [--lr-scale X] [--width W] [--seed S] [--look-at A] [family options] --out PATH

Speed and quality measurements live in ``benchmarks/``.

Bad arguments exit with status 2 and one line naming the allowed values.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from . import models
from .data import DATASETS
from .facts import Missing


def _sample_options(parser: argparse.ArgumentParser) -> None:
    """Add every family's sampling options as flags (e.g. --temperature); validated later."""
    seen = set()
    for family in models.FAMILIES:
        for opt in models.get(family).OPTIONS:
            if opt.name not in seen:
                seen.add(opt.name)
                flags = dict.fromkeys([f"--{opt.name}", f"--{opt.name.replace('_', '-')}"])
                allowed = "|".join(opt.choices) if opt.choices else f"{opt.minimum}..{opt.maximum}"
                parser.add_argument(*flags, dest=opt.name, type=str if opt.choices else float, default=None,
                                    help=f"{family}: {opt.info} [{allowed}, default {opt.default}]")


def _toy_parser(sub) -> None:
    from . import playground, toys
    from .toys import data

    d = playground.DEFAULTS
    y = sub.add_parser("toys", help="train the 2-D families side by side (the Train tab) and draw or record the run")
    y.add_argument("--data", default=d.data, help=f"one of {', '.join(data.SOURCES)} (default {d.data})")
    y.add_argument("--word", default="", help=f"the word to learn with --data word (up to {data.MAX_WORD} characters)")
    y.add_argument("--drawing", default=None, help="with --data drawing: a picture, dark strokes on light paper")
    y.add_argument("--families", default=",".join(toys.TOYS), help=f"comma-separated, of {', '.join(toys.TOYS)}")
    y.add_argument("--steps", default=d.steps, help=f"training steps ({playground.MIN_STEPS}-{playground.MAX_STEPS})")
    y.add_argument("--lr-scale", dest="lr_scale", default=d.lr_scale, help="factor on each family's learning rate")
    y.add_argument("--width", default=d.width, help="units in each hidden layer")
    y.add_argument("--seed", default=d.seed)
    y.add_argument("--look-at", dest="look_at", default=d.look_at, help="where the views look, 0-1 (t, or x)")
    for o in toys.options().values():
        y.add_argument(f"--{o.name.replace('_', '-')}", dest=o.name, default=o.default, help=o.info)
    y.add_argument("--out", required=True, help="PATH.png (the last frame), PATH.gif (every frame) or PATH.json (numbers)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m genimg", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("sample", help="generate images to a PNG grid or an .npz")
    s.add_argument("--family", required=True, help=f"one of {', '.join(models.FAMILIES)}")
    s.add_argument("--dataset", required=True, help=f"one of {', '.join(DATASETS)}")
    s.add_argument("-n", type=int, default=16, help="number of images (1-10000)")
    s.add_argument("--label", type=int, default=None, help="class id 0-9 (default: i %% 10)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", required=True, help="PATH.png (grid) or PATH.npz (images, labels)")
    _sample_options(s)

    t = sub.add_parser("train", help="train a checkpoint (resumes from runs/ if present)")
    t.add_argument("--family", required=True, help=f"one of {', '.join(models.TRAINABLE)}")
    t.add_argument("--dataset", required=True, help=f"one of {', '.join(DATASETS)}")
    t.add_argument("--data-dir", default=None, help="folder holding mnist/ or fashion/ idx files")
    t.add_argument("--epochs", type=int, default=None)
    t.add_argument("--max-steps", type=int, default=None,
                   help="stop after this many steps; the schedules end there too (smoke runs, budgets)")
    t.add_argument("--subset", type=int, default=None,
                   help="train on only this many images (class-balanced), as many steps as on all")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    t.add_argument("--device", default="auto",
                   help="auto (default: a GPU when torch sees one, else the CPU), cpu or cuda")
    t.add_argument("--no-resume", action="store_true", help="start from scratch")
    t.add_argument("--from-checkpoint", action="store_true",
                   help="with no state to resume: start from the checkpoint's weights (fresh optimizer)")
    t.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="change a Config default, e.g. --set beta=0.5 (repeatable)")
    t.add_argument("--root", default=None, metavar="DIR",
                   help="write the checkpoint, its sheets and its resumable state under DIR/<dataset>/ "
                        "(default: the shipped checkpoints, state under runs/), e.g. runs/scratch for a "
                        "run that must not replace a shipped checkpoint")

    e = sub.add_parser("eval", help="the scoreboard: FID (with its floor), accuracy, IS, precision/recall, "
                                    "likelihood and cost per family, written into the cards")
    e.add_argument("--family", action="append", default=None, help="repeatable (default: every shipped one)")
    e.add_argument("--dataset", action="append", default=None, help=f"repeatable: {', '.join(DATASETS)}")
    e.add_argument("-n", type=int, default=10_000, help="samples per family and dataset (1000-10000)")
    e.add_argument("--budget", type=float, default=300.0,
                   help="seconds of sampling per family and dataset (1-3600); a slow family gets fewer samples")
    e.add_argument("--data-dir", default=None, help="folder holding mnist/ or fashion/ idx files")
    e.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    e.add_argument("--no-write", action="store_true", help="print only; leave the cards as they are")

    b = sub.add_parser("bench", help="speed only: images/s by batch size, first frame of each streaming tab, "
                                     "fast samplers against naive ones")
    b.add_argument("--family", action="append", default=None, help="repeatable (default: every shipped one)")
    b.add_argument("--dataset", default="mnist", help=f"one of {', '.join(DATASETS)}")
    b.add_argument("--batch", action="append", type=int, default=None, help="repeatable batch size (default 1, 16, 64)")
    b.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    b.add_argument("--no-tabs", action="store_true", help="skip the app's streaming tabs")
    b.add_argument("--out", default="benchmarks/results/bench.json", help="where the JSON goes")
    d = sub.add_parser("docs", help="write README.md, README.zh-CN.md and docs/ from docs/src/, every figure "
                                    "from the cards and the benchmarks' results")
    d.add_argument("--check", action="store_true", help="write nothing; fail when a generated file is stale")
    _toy_parser(sub)
    c = sub.add_parser("scaling", help="a chart of the scaling study (the Scaling tab): FID against training "
                                       "compute, model size, training images or network passes")
    c.add_argument("--chart", default="compute", help="one of compute, size, data, passes")
    c.add_argument("--dataset", default="mnist", help=f"one of {', '.join(DATASETS)}")
    c.add_argument("--family", action="append", default=None, help="repeatable (default: every family measured)")
    c.add_argument("--out", required=True, help="the chart (.png) or its points and reading (.json)")
    return p


def cmd_scaling(a) -> None:
    import os
    from pathlib import Path

    from . import facts, models, scaling
    from .data import dataset_info

    dataset_info(a.dataset)
    if not a.out.endswith((".png", ".json")):
        raise ValueError(f"--out must end in .png or .json, got {a.out!r}")
    for name in a.family or ():
        models.get(name)
    if a.chart not in scaling.CHARTS:  # before any work
        raise ValueError(f"--chart must be one of {', '.join(scaling.CHARTS)}, got {a.chart!r}")
    picture = scaling.chart(a.chart, a.dataset, a.family)
    if picture is None:
        raise ValueError(f"the {a.chart} chart has no measurements on {a.dataset} yet")
    if a.out.endswith(".png"):
        picture.save(a.out)
    else:
        points = [{**p, "sheet": os.path.relpath(p["sheet"], facts.ROOT)}
                  for p in scaling.points(a.chart, a.dataset, a.family)]
        Path(a.out).write_text(json.dumps({"chart": a.chart, "dataset": a.dataset, "reading": scaling.reading(
            a.chart, a.dataset, a.family), "points": points}, indent=1) + "\n")
    print(f"wrote the {a.chart} chart of {a.dataset} to {a.out}")


def cmd_docs(a) -> None:
    from . import docs

    if a.check:
        old = docs.stale()
        if old:
            raise ValueError(f"stale: {', '.join(str(p.relative_to(docs.ROOT)) for p in old)}; "
                             "run `python -m genimg docs`")
        print("every generated file is up to date")
        return
    changed = docs.write()
    print("\n".join(f"wrote {p.relative_to(docs.ROOT)}" for p in changed) or "nothing changed")


def cmd_bench(a) -> None:
    from pathlib import Path

    import torch

    from . import bench, pipeline

    torch.set_num_threads(pipeline.check_int("threads", a.threads, 1, 64))
    batches = [pipeline.check_int("batch", b, 1, pipeline.UI_MAX_N * 4) for b in a.batch or bench.BATCHES]
    if not a.out.endswith(".json"):
        raise ValueError(f"--out must end in .json, got {a.out!r}")
    result = bench.run(a.dataset, a.family, batches, tabs=not a.no_tabs, log=lambda line: print(line, file=sys.stderr))
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result, indent=1) + "\n")
    print(bench.table(result))
    print(f"\nwrote {a.out}")


def cmd_eval(a) -> None:
    import torch

    from . import evaluate, pipeline

    torch.set_num_threads(a.threads)
    n = pipeline.check_int("n", a.n, evaluate.MIN_N, evaluate.DEFAULT_N)
    if not 1 <= a.budget <= 3600:
        raise ValueError(f"budget must be between 1 and 3600 seconds, got {a.budget:g}")
    rows = evaluate.run(a.family, a.dataset, n, a.budget, a.data_dir, write=not a.no_write,
                        log=lambda line: print(line, file=sys.stderr))
    print(json.dumps(rows, indent=1))


def cmd_sample(a) -> None:
    from . import pipeline

    pipeline.check_family(a.family)
    pipeline.check_out_path(a.out)
    own = {o.name for o in models.get(a.family).OPTIONS}
    every = {o.name for f in models.FAMILIES for o in models.get(f).OPTIONS}
    opts = {k: v for k, v in vars(a).items() if k in every and v is not None}
    if set(opts) - own:
        raise ValueError(f"--{sorted(set(opts) - own)[0]} does not apply to {a.family}; its options "
                         f"are {', '.join('--' + o for o in sorted(own)) or 'none'}")
    result = pipeline.generate(a.family, a.dataset, label=a.label, n=a.n, seed=a.seed,
                               max_n=pipeline.API_MAX_N, **opts)
    pipeline.write_output(result, a.out)
    print(f"wrote {a.n} {a.family} images of {a.dataset} to {a.out} "
          f"({result.seconds:.2f} s, class accuracy {result.accuracy:.1%})")


def cmd_train(a) -> None:
    import torch

    from .train import train

    if a.threads:
        torch.set_num_threads(a.threads)
    card = train(a.family, a.dataset, data_dir=a.data_dir, epochs=a.epochs,
                 resume=not a.no_resume, seed=a.seed, max_steps=a.max_steps, overrides=a.set, subset=a.subset,
                 from_checkpoint=a.from_checkpoint, device=a.device, root=a.root)
    if card:  # process 0 of a torchrun writes and reports; the others return nothing
        print(json.dumps({"metrics": card.get("metrics"), "recipe": card["recipe"]}, indent=1))


def cmd_toys(a) -> None:
    from pathlib import Path

    from . import playground, toyframes, toys

    if not a.out.endswith((".png", ".gif", ".json")):
        raise ValueError(f"--out must end in .png, .gif or .json, got {a.out!r}")
    drawing = None
    if a.drawing:
        from PIL import Image

        from .painting import check_pixels

        with Image.open(a.drawing) as picture:  # the header first: a huge picture is refused before it is decoded
            check_pixels(picture.width * picture.height, f"{picture.width}x{picture.height}")
            drawing = np.asarray(picture.convert("RGBA"))
    options = {o.name: getattr(a, o.name) for o in toys.options().values()}
    frames = list(playground.train(a.data, a.word, drawing, a.families.split(","), a.steps, a.lr_scale, a.width,
                                   a.seed, a.look_at, **options))
    last = frames[-1]
    if a.out.endswith(".png"):
        toyframes.composite(last).save(a.out)
    elif a.out.endswith(".gif"):
        pictures = [toyframes.composite(f) for f in frames]
        pictures[0].save(a.out, save_all=True, append_images=pictures[1:], loop=0, duration=250)
    else:
        head, body = toyframes.rows(last)
        Path(a.out).write_text(json.dumps({"settings": vars(a), "floor": last.floor,
                                           "families": {n: dict(zip(head, r)) for n, r in zip(last.families, body)}},
                                          indent=1, ensure_ascii=False) + "\n")
    print(toyframes.table(last))
    print(f"\nwrote {a.out}")


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        {"sample": cmd_sample, "train": cmd_train, "eval": cmd_eval, "bench": cmd_bench,
         "docs": cmd_docs, "toys": cmd_toys,
         "scaling": cmd_scaling}[args.command](args)
    except (ValueError, FileNotFoundError, Missing) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
