"""The scaling study (issue 37, parts 2 and 3): model size and data, measured on MNIST.

**Model size.** The Transformer's GPT and the flow-matching UNet, each at three sizes about 4x
apart in the parameters of the network that changes (the shipped size in the middle), trained
with the shipped recipe on one CPU thread for the same CPU budget: the middle size's recipe,
with the other sizes' steps set from their measured cost per step (``--max-steps``; the
schedules end there). The GPT's tokenizer stage is the same 936 steps for every size. Each run
draws its learning curve (``learning.py``). The chart puts every size's curve on one axis of
training FLOPs with the frontier (the best FID any size reached by then), and a power law
FID - floor = a C^-alpha is fitted to the frontier's points past the first tenth of the budget,
the exponent with a 95% interval from the fit's standard error (Student's t).

**Data.** The GAN and flow matching trained on 600, 6,000 and 60,000 images (``--subset``: the
first of the class-balanced order), for as many steps as on all of them. Beside each run's FID:
the share of 1,000 samples that copy a training image of their run (``memorisation.py``) and a
picture of each class's sample nearest to a copy beside that image.

**Learning curves** (part 1) come from each family's run from scratch with its shipped recipe
(``--root runs/scratch``); a run that was not shipped (it did not beat the shipped checkpoint) is
kept here with the shipped checkpoint measured on the same ruler beside it.

``plan`` prints the training commands of the runs not yet collected (run them in the background,
two at a time, one thread each; they resume from their ``runs/`` state). ``collect`` copies each
finished run's card and sample sheets (not its weights) to ``benchmarks/results/scaling/<run>/``,
measures memorisation while the weights are still in ``runs/``, fits the power laws, and writes
``benchmarks/results/scaling.json``; with ``--write`` also the charts in docs/scaling/ and the
tables for the docs.

    python benchmarks/scaling.py plan
    python benchmarks/scaling.py collect [--write] [--threads 1]
"""
from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import ROOT, save_json, write_table  # noqa: E402
from genimg import checkpoint, learning, memorisation, models, scaling  # noqa: E402
from genimg.data import load_tensors  # noqa: E402
from genimg.train import take_subset  # noqa: E402

DATASET = "mnist"
OUT = ROOT / "benchmarks" / "results" / "scaling.json"
STORE = ROOT / "benchmarks" / "results" / "scaling"
CHARTS = ROOT / "docs" / "scaling"
RUN = "python -m genimg train --family {family} --dataset mnist --threads 1 --root {root} {extra}"
# family -> (the network whose size changes: an attribute of the model, or None for all of it,
#            [(run name, its training options beyond the recipe), ...]); None: the shipped size
SIZES = {
    "transformer": ("prior", [
        ("transformer-d64", "--epochs 18 --max-steps 8026 --set d_model=64 --set tokenizer_steps=936"),
        (None, ""),
        ("transformer-d256", "--epochs 12 --max-steps 3521 --set d_model=256 --set tokenizer_steps=936")]),
    "flow": (None, [
        ("flow-w12", "--epochs 30 --max-steps 13600 --set widths=12,24,48"),
        ("flow-scratch", ""),
        ("flow-w48", "--epochs 7 --max-steps 3130 --set widths=48,96,192")]),
}
FULL = 60000
DATA = {  # family -> [(images, run name, its training options beyond the recipe)]
    "gan": [(600, "gan-600", "--subset 600"), (6000, "gan-6000", "--subset 6000"), (FULL, "gan-scratch", "")],
    "flow": [(600, "flow-600", "--subset 600"), (6000, "flow-6000", "--subset 6000"), (FULL, "flow-scratch", "")],
}
RECIPE = {"gan": "--epochs 4 --set minibatch_std=class"}  # the shipped recipe's options (its card's command)
FIT_FROM = 0.1  # the power law is fitted past this share of the largest compute


def run_dir(name: str) -> Path:
    """Where a run trains: the learning runs of part 1 under runs/scratch, the others their own.
    One step's student learns from the shipped Flow matching teacher, which its root must hold
    (runs/scratch holds the flow run from scratch), so it has a root of its own."""
    if name == "distilled-scratch":
        return checkpoint.RUNS_DIR / "scratch-distilled"
    if name.endswith("-scratch"):
        return checkpoint.RUNS_DIR / "scratch"
    return checkpoint.RUNS_DIR / ("sizes" if name in {n for _, rs in SIZES.values() for n, _ in rs} else "data") / name


def shipped_is(family: str, name: str) -> bool:
    """Whether the shipped checkpoint is this run's (a learning run of part 1 that was shipped)."""
    if name is None:
        return True
    card = run_dir(name) / DATASET / f"{family}.json"
    return (name.endswith("-scratch") and card.exists() and
            json.loads(card.read_text())["sha256"] == checkpoint.read_card(family, DATASET)["sha256"])


def runs():
    """(family, study, run name, options, images) for every run of the study."""
    for family, (_, entries) in SIZES.items():
        for name, extra in entries:
            yield family, "size", name, extra, FULL
    for family, entries in DATA.items():
        for images, name, extra in entries:
            yield family, "data", name, extra, images


def plan() -> None:
    seen = set()
    for family, _, name, extra, _ in runs():
        if name and name not in seen and not (STORE / name).exists() and not shipped_is(family, name):
            seen.add(name)
            root = run_dir(name).relative_to(ROOT)
            print(RUN.format(family=family, root=root, extra=f"{RECIPE.get(family, '')} {extra}".strip()))
    for family in models.FAMILIES:  # part 1: a shipped checkpoint without a curve gets a run from scratch
        name = f"{family}-scratch"
        done = run_dir(name) / DATASET / f"{family}.json"
        card = checkpoint.read_card(family, DATASET)
        recipe = card["recipe"]
        if card.get("learning") or (
                done.exists() and bool(json.loads(done.read_text())["recipe"].get("continued_from")) ==
                bool(recipe.get("continued_from"))):
            continue
        stages = []
        while recipe:  # the shipped recipe's runs, the first first
            stages.insert(0, recipe["command"])
            recipe = recipe.get("continued_from") or recipe.get("earlier")
        root = run_dir(name).relative_to(ROOT)
        for role, source in (card["recipe"].get("builds_on") or {}).items():
            print(f"# its {role}, the shipped {source['family']}, beside it: cp checkpoints/{DATASET}/{source['family']}.json "
                  f"checkpoints/{DATASET}/{source['family']}.safetensors {root}/{DATASET}/")
        for k, command in enumerate(stages):
            if k:
                print(f"# then, once it has finished, without its state ({root}/{DATASET}/{family}.state.safetensors):")
            print(f"{command} --threads 1 --root {root}")


def collect_run(family: str, name: str | None) -> str | None:
    """Copy a finished run's card and sheets into the store; the root the study reads it from
    (None: the shipped checkpoint), or "" when the run has not finished."""
    if shipped_is(family, name):
        return None
    source, target = run_dir(name) / DATASET, STORE / name / DATASET
    if (source / f"{family}.json").exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(source / f"{family}.json", target / f"{family}.json")
        shutil.copytree(source / f"{family}.sheets", target / f"{family}.sheets", dirs_exist_ok=True)
    return str((STORE / name).relative_to(ROOT)) if (target / f"{family}.json").exists() else ""


def params(family: str, root, part: str | None) -> int:
    fam = models.get(family)
    config = checkpoint.read_card(family, DATASET, root and ROOT / root)["config"]
    model = fam.Model(fam.Config(**{k: tuple(v) if isinstance(v, list) else v for k, v in config.items()}))
    return sum(p.numel() for p in (getattr(model, part) if part else model).parameters())


def final(family: str, root: str | None) -> dict:
    """The last point of a run's learning curve (its card's): what the docs quote of it."""
    points = checkpoint.read_card(family, DATASET, root and ROOT / root).get("learning") or [{}]
    return {k: v for k, v in points[-1].items() if k != "sheet"}


def lost_cpu(points: list[dict]) -> bool:
    """Whether the run's CPU clock lost time somewhere (``scaling.clock_lost_at``): its
    CPU-seconds are then a lower bound."""
    return scaling.clock_lost_at(points) is not None


def power_law(curves: list[list[tuple[float, float]]], floor: float) -> dict | None:
    """FID - floor = a C^-alpha fitted (least squares in log-log) to the frontier's points past
    FIT_FROM of the largest compute: alpha, its 95% interval, the points used, R^2."""
    from scipy import stats

    edge = scaling.frontier(curves)
    top = max(x for x, _ in edge)
    use = [(x, y) for x, y in edge if x >= FIT_FROM * top and y > floor]
    if len(use) < 3:
        return None
    fit = stats.linregress([math.log10(x) for x, _ in use], [math.log10(y - floor) for _, y in use])
    half = stats.t.ppf(0.975, len(use) - 2) * fit.stderr
    return {"exponent": round(-fit.slope, 3), "low": round(-fit.slope - half, 3), "high": round(-fit.slope + half, 3),
            "points": len(use), "r2": round(fit.rvalue ** 2, 3), "from_flops": min(x for x, _ in use),
            "to_flops": top, "floor": floor}


def memorised(family: str, name: str, images: int) -> dict:
    """Memorisation of the run's model against its own training images (its weights in runs/,
    or the shipped checkpoint's)."""
    fam = models.get(family)
    model, _ = checkpoint.load(family, DATASET, fam.Config, fam.Model, None if shipped_is(family, name) else run_dir(name))
    x, y = load_tensors(DATASET, "train")
    if images < FULL:
        x, y = take_subset(x, y, images, fam.Trainer.batch_size)
    found = memorisation.measure(model.eval(), DATASET, (x + 1) / 2, **{o.name: o.default for o in fam.OPTIONS})
    picture = STORE / f"{name}.nearest.png"
    memorisation.picture(found["pairs"]).save(picture)
    return {"memorised": found["share"], "median_ratio": found["median_ratio"], "n": found["n"],
            "picture": str(picture.relative_to(ROOT))}


def kept_back(family: str, root: str, old: dict) -> dict:
    """A learning run (part 1) that was not shipped: its root, and the shipped checkpoint measured
    on the same ruler as the run's last point (the learning curves' N samples, seed and options)."""
    shipped = checkpoint.read_card(family, DATASET)
    same = old.get("learning", {}).get(family)
    if same and same.get("root") == root and same.get("shipped_sha256") == shipped["sha256"]:
        return same
    fam = models.get(family)
    model, _ = checkpoint.load(family, DATASET, fam.Config, fam.Model)
    found = learning.Ruler(DATASET).measure(model.eval(), **{o.name: o.default for o in fam.OPTIONS})
    return {"root": root, "kept": "shipped", "shipped_sha256": shipped["sha256"], "shipped_fid": found["fid"],
            "shipped_class_accuracy": found["class_accuracy"], "n": learning.N}


def collect(old: dict) -> dict:
    result = {"dataset": DATASET, "date": time.strftime("%Y-%m-%d"), "ratio": round(memorisation.RATIO, 4),
              "fit_from": FIT_FROM, "learning": {}, "sizes": {}, "fits": {}, "data": {}}
    for family in models.FAMILIES:  # part 1: the learning runs from scratch that were not shipped
        name = f"{family}-scratch"
        if (run_dir(name) / DATASET / f"{family}.json").exists() and not shipped_is(family, name):
            result["learning"][family] = kept_back(family, collect_run(family, name), old)
            print(f"{name}: kept the shipped checkpoint; {result['learning'][family]}", flush=True)
    for family, (part, entries) in SIZES.items():
        found = []
        for name, _ in entries:
            root = collect_run(family, name)
            if root != "":
                found.append({"name": name or "shipped", "root": root, "params": params(family, root, part),
                              "network": part or "all", "final": final(family, root)})
        if found:
            result["sizes"][family] = {"network": part or "all", "runs": found}
    for family, (part, _) in SIZES.items():
        runs_ = scaling._runs(result["sizes"].get(family, {}).get("runs", []), family, DATASET)
        if len(runs_) > 1:
            curves = [[(p["flops"], p["fid"]) for p in r["points"]] for r in runs_]
            floor = min(p["fid_floor"] for r in runs_ for p in r["points"])
            result["fits"][family] = power_law(curves, floor)
    kept = {(f, r["name"]): r for f, rs in old.get("data", {}).items() for r in rs}
    for family, entries in DATA.items():
        for images, name, _ in entries:
            root = collect_run(family, name)
            if root == "":
                continue
            entry = {"images": images, "name": name, "root": root, "final": final(family, root)}
            same = kept.get((family, name))
            if same and same.get("root") == root and (ROOT / same["picture"]).exists():
                entry.update({k: same[k] for k in ("memorised", "median_ratio", "n", "picture")})
            else:
                t0 = time.perf_counter()
                entry.update(memorised(family, name, images))
                print(f"{name}: memorised {entry['memorised']:.1%} ({time.perf_counter() - t0:.0f} s)", flush=True)
            result["data"].setdefault(family, []).append(entry)
    return result


def _table(header: str, align: str, study: dict, cells) -> str:
    """A markdown table with a row per run of ``study`` (family -> runs): the family's title, then
    ``cells(run, its last learning point)``."""
    rows = [f"| {models.get(f).TITLE} | " + " | ".join(cells(r, r["points"][-1])) + " |"
            for f, runs_ in study.items() for r in runs_]
    return "\n".join([header, align, *rows])


def tables() -> tuple[str, str]:
    def fid(p):  # two decimals: the sizes end close together
        return f"{p['fid']:.2f} ({p['fid_floor']:.2f})"

    size = _table("| family | network | parameters | steps | training FLOPs | CPU-seconds | final FID (floor) | class accuracy |",
                  "|---|---|---:|---:|---:|---:|---:|---:|", scaling.sizes(DATASET),
                  lambda r, p: [r["network"], f"{r['params']:,}", f"{p['step']:,}", f"{p['flops']:.2e}",
                                ("≥ " if lost_cpu(r["points"]) else "") + f"{p['cpu_s']:,.0f}", fid(p), f"{p['class_accuracy']:.1%}"])
    data = _table("| family | training images | final FID (floor) | class accuracy | memorised | median distance ratio |",
                  "|---|---:|---:|---:|---:|---:|", scaling.data(DATASET),
                  lambda r, p: [f"{r['images']:,}", fid(p), f"{p['class_accuracy']:.1%}", f"{r['memorised']:.1%}",
                                f"{r['median_ratio']:.2f}"])
    return size, data


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", choices=("plan", "collect"))
    p.add_argument("--write", action="store_true", help="draw docs/scaling/*.png and keep the tables for the docs")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    if args.what == "plan":
        return plan()
    torch.set_num_threads(args.threads)
    STORE.mkdir(parents=True, exist_ok=True)
    old = json.loads(OUT.read_text()) if OUT.exists() else {}
    save_json(OUT, collect(old))
    size, data = tables()
    print(size, data, sep="\n\n")
    if args.write:
        CHARTS.mkdir(parents=True, exist_ok=True)
        for kind in ("compute", "size", "data"):
            picture = scaling.chart(kind, DATASET, width=720, height=460)
            if picture is not None:
                picture.save(CHARTS / f"{kind}.png")
        write_table("scaling_sizes", size)
        write_table("scaling_data", data)


if __name__ == "__main__":
    main()
