"""The scaling study's numbers, read from where they live, and its four charts.

- **Training compute**: each family's learning curve, the ``learning`` points its trainer writes
  into the card (FID in the judge's features with its floor, class accuracy, training FLOPs and
  CPU-seconds at eight points of the run).
- **Model size**: a family trained at several sizes with the same recipe, data and CPU budget.
  ``benchmarks/results/scaling.json`` lists the runs (the shipped checkpoint, or a copy of a
  run's card and sheets under ``benchmarks/results/scaling/<run>/``), the parameters of the
  network that changed, and the power law fitted to the frontier.
- **Data**: a family trained on 600, 6,000 and 60,000 images for as many steps, with the share of
  its samples that copy a training image (``memorisation.py``) and a picture of each class's
  sample nearest to a copy beside that training image.
- **Sampling compute**: FID against network passes per image (``benchmarks/results/passes.json``).

Nothing here trains or samples: the app, the CLI (``python -m genimg scaling``) and the docs draw
what the study measured. Labels go through ``say`` (the visitor's language in the app).
"""
from __future__ import annotations

from pathlib import Path

from . import checkpoint, facts, models, plane

CHARTS = ("compute", "size", "data", "passes")
YTICKS = (1, 2, 3, 5, 10, 20, 50, 100, 200, 500)


def _plain(text: str, **values) -> str:
    return text.format(**values) if values else text


def _results(name: str, dataset: str) -> dict:
    try:
        if facts.results(name, "dataset") != dataset:
            return {}
        return facts.results(name, "")
    except facts.Missing:
        return {}


def _root(entry: dict) -> Path | None:
    return facts.ROOT / entry["root"] if entry.get("root") else None


def learning(dataset: str) -> dict[str, list[dict]]:
    """Each family's learning curve on ``dataset``: the shipped card's ``learning``, or that of the
    run from scratch the study kept where the shipped checkpoint stayed (``scaling.json``'s
    ``learning``)."""
    return {f: points for f, (points, _) in _curves(dataset).items()}


def _curves(dataset: str) -> dict[str, tuple[list[dict], Path]]:
    """family -> (its learning points, the folder their sheets are in)."""
    kept = _results("scaling", dataset).get("learning", {})
    out = {}
    for family in models.FAMILIES + models.DEVELOPING:
        if checkpoint.exists(family, dataset):
            points = checkpoint.read_card(family, dataset).get("learning") or []
            if points:
                out[family] = (points, checkpoint.CHECKPOINT_DIR / dataset)
            elif family in kept:
                root = _root(kept[family])
                out[family] = (checkpoint.read_card(family, dataset, root).get("learning") or [], root / dataset)
    return {f: c for f, c in out.items() if c[0]}


def passes(dataset: str) -> dict[str, list[dict]]:
    """FID against passes per image by family (``benchmarks/results/passes.json``), on its dataset."""
    return _results("passes", dataset).get("families", {})


def _runs(entries: list[dict], family: str, dataset: str) -> list[dict]:
    """The study's runs of ``family`` with their cards' learning points and sheets' folder."""
    out = []
    for entry in entries:
        root = _root(entry)
        card = checkpoint.read_card(family, dataset, root)
        out.append({**entry, "points": card.get("learning") or [], "command": card["recipe"]["command"],
                    "folder": Path(root or checkpoint.CHECKPOINT_DIR) / dataset})
    return out


def sizes(dataset: str) -> dict[str, list[dict]]:
    """family -> its size runs, smallest first: ``label``, ``params`` (of the network that
    changed), ``points``, ``command``, ``folder`` (where the points' sheets are)."""
    study = _results("scaling", dataset).get("sizes", {})
    return {f: _runs(sorted(s["runs"], key=lambda r: r["params"]), f, dataset) for f, s in study.items()}


def fits(dataset: str) -> dict[str, dict]:
    """family -> the power law fitted to its size runs' frontier (``benchmarks/scaling.py``)."""
    return _results("scaling", dataset).get("fits", {})


def data(dataset: str) -> dict[str, list[dict]]:
    """family -> its data runs, fewest images first: ``images``, ``memorised`` (share),
    ``median_ratio``, ``picture`` (path), ``points``, ``command``, ``folder``."""
    study = _results("scaling", dataset).get("data", {})
    out = {}
    for family, runs in study.items():
        found = _runs(sorted(runs, key=lambda r: r["images"]), family, dataset)
        out[family] = [dict(r, picture=facts.ROOT / r["picture"]) for r in found]
    return out


def frontier(curves: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    """The points no other point beats on both compute and FID: the best FID reached for each
    compute, whichever size reached it."""
    best, out = float("inf"), []
    for x, y in sorted(p for c in curves for p in c):
        if y < best:
            best = y
            out.append((x, y))
    return out


def _title(family: str, say) -> str:
    return say(models.get(family).TITLE)


def clock_lost_at(points: list[dict]) -> int | None:
    """The first point whose stretch of training counted under a third of the run's usual
    CPU-seconds per FLOP, or None. A run resumed from a state saved between two points, before
    ``learning.Meter.state`` read its clocks, lost the time since the last point: from there on
    its CPU-seconds are a lower bound (its FLOPs are whole)."""
    rates = [(b["cpu_s"] - a["cpu_s"]) / (b["flops"] - a["flops"]) if b["flops"] > a["flops"] else None
             for a, b in zip([{"cpu_s": 0, "flops": 0}, *points], points)]
    known = sorted(r for r in rates if r is not None)
    if len(known) < 3:
        return None
    return next((i for i, r in enumerate(rates) if r is not None and r < known[len(known) // 2] / 3), None)


def caption(p: dict, bound: bool, say=_plain) -> str:
    """What a learning point measured and what its run had spent by then (``bound``: the
    CPU-seconds are a lower bound, from ``clock_lost_at`` on)."""
    spent = ("training FLOPs and at least {cpu:,.0f} CPU-seconds (a resumed run lost some of its clock)."
             if bound else "training FLOPs and {cpu:,.0f} CPU-seconds.")
    return say("FID {fid:.2f} (real images: {floor:.2f}), class accuracy {acc:.1%}, after {flops:.2e} " + spent,
               fid=p["fid"], floor=p["fid_floor"], acc=p["class_accuracy"], flops=p["flops"], cpu=p["cpu_s"])


def points(chart: str, dataset: str, families=None, say=_plain) -> list[dict]:
    """Every point of ``chart`` that has a sample sheet: ``label``, ``sheet`` (path), ``caption``."""
    keep = (lambda f: True) if families is None else (lambda f: f in families)
    out = []

    def add(name: str, folder: Path, ps: list[dict]):
        lost = clock_lost_at(ps)
        for i, p in enumerate(ps):
            out.append({"label": say("{name}, step {step:,}: FID {fid:.2f}", name=name, step=p["step"], fid=p["fid"]),
                        "sheet": folder / p["sheet"], "caption": caption(p, lost is not None and i >= lost, say)})

    if chart == "compute":
        for f, (ps, folder) in _curves(dataset).items():
            if keep(f):
                add(_title(f, say), folder, ps)
    elif chart in ("size", "data"):
        study = sizes(dataset) if chart == "size" else data(dataset)
        for f, runs in study.items():
            for r in runs if keep(f) else ():
                add(_run_name(f, r, chart, say), r["folder"], r["points"])
    return out


def _run_name(family: str, run: dict, chart: str, say) -> str:
    if chart == "size":
        return say("{family} {params}", family=_title(family, say), params=count(run["params"]))
    return say("{family}, {images:,} images", family=_title(family, say), images=run["images"])


def count(n: int) -> str:
    return f"{n / 1e6:.2f}M" if n >= 1e6 else f"{n / 1e3:.0f}k"


def chart(kind: str, dataset: str, families=None, say=_plain, width: int = 640, height: int = 380):
    """The picture of one of ``CHARTS`` for the ``families`` chosen (all: None), or None when
    the study has nothing for it yet."""
    if kind not in CHARTS:
        raise ValueError(f"chart must be one of {', '.join(CHARTS)}, got {kind!r}")
    keep = (lambda f: True) if families is None else (lambda f: f in families)
    curves, floors, faint = {}, [], []
    if kind == "compute":
        for f, ps in learning(dataset).items():
            if keep(f):
                curves[_title(f, say)] = [(p["flops"], p["fid"]) for p in ps]
                floors += [p["fid_floor"] for p in ps]
        title, xlabel = say("FID against training compute"), say("training FLOPs so far (log scale)")
    elif kind == "size":
        for f, runs in sizes(dataset).items():
            if keep(f):
                for r in runs:
                    curves[_run_name(f, r, kind, say)] = [(p["flops"], p["fid"]) for p in r["points"]]
                    floors += [p["fid_floor"] for p in r["points"]]
                edge = frontier([[(p["flops"], p["fid"]) for p in r["points"]] for r in runs])
                faint.append(say("{family}: the frontier", family=_title(f, say)))
                curves[faint[-1]] = edge
        title, xlabel = say("FID against training compute, one curve per model size"), say("training FLOPs so far (log scale)")
    elif kind == "data":
        for f, runs in data(dataset).items():
            if keep(f):
                curves[_title(f, say)] = [(r["images"], r["points"][-1]["fid"]) for r in runs if r["points"]]
                floors += [r["points"][-1]["fid_floor"] for r in runs if r["points"]]
        title, xlabel = say("FID against the training images, the same steps"), say("training images (log scale)")
    else:
        for f, ps in passes(dataset).items():
            if keep(f):
                curves[_title(f, say)] = [(p["nfe"], p["fid"]) for p in ps]
                floors += [p["fid_floor"] for p in ps]
        title, xlabel = say("FID against network passes per image"), say("passes per image (log scale)")
    curves = {k: v for k, v in curves.items() if v}
    if not curves:
        return None
    legend = min(260, 24 + 7 * max(len(name) for name in curves))  # room for the longest name
    return plane.series(curves, title, xlabel, min(floors), say("real images"), width=width + legend - 120,
                        height=height, xlog=True, marks=True, yticks=YTICKS, legend=legend, faint=tuple(faint))


def _at(points: list[tuple[float, float]], x: float) -> float | None:
    """A curve's FID at compute ``x``, interpolated in log-log between its points (None outside)."""
    import math

    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if x0 <= x <= x1:
            t = 0.0 if x1 == x0 else (math.log(x) - math.log(x0)) / (math.log(x1) - math.log(x0))
            return math.exp(math.log(y0) + t * (math.log(y1) - math.log(y0)))
    return None


def overtakes(small: list[tuple[float, float]], big: list[tuple[float, float]]) -> float | None:
    """The compute from which the bigger model's curve stays below the smaller's (None: never,
    within the compute both reached)."""
    found = None
    for x, y in big:
        there = _at(small, x)
        if there is None:
            continue
        if y < there:
            found = x if found is None else found
        else:
            found = None
    return found


def reading(kind: str, dataset: str, families=None, say=_plain) -> str:
    """A few lines on what ``kind``'s chart shows: what grew, what saturated, what the power law says."""
    keep = (lambda f: True) if families is None else (lambda f: f in families)
    lines = []
    if kind == "compute":
        kept = _results("scaling", dataset).get("learning", {})
        for f, ps in learning(dataset).items():
            if not keep(f) or len(ps) < 2:
                continue
            last = ps[-1]
            near = next(p for p in ps if p["fid"] - last["fid_floor"] <= 1.25 * (last["fid"] - last["fid_floor"]))
            lines.append(say("**{family}** went from FID {first:.1f} to {last:.2f}; it was within a quarter of its "
                             "final distance to the floor after {share:.0%} of its training compute.",
                             family=_title(f, say), first=ps[0]["fid"], last=last["fid"], share=near["flops"] / last["flops"]))
            if f in kept:
                lines[-1] += " " + say("(A run from scratch that was not shipped: the shipped checkpoint measures "
                                       "{fid:.2f} on the same ruler.)", fid=kept[f]["shipped_fid"])
    elif kind == "size":
        fitted = fits(dataset)
        for f, runs in sizes(dataset).items():
            if not keep(f):
                continue
            ends = ", ".join(say("{params}: {fid:.2f}", params=count(r["params"]), fid=r["points"][-1]["fid"])
                             for r in runs if r["points"])
            lines.append(say("**{family}**, final FID by parameters at the same CPU budget: {ends}.",
                             family=_title(f, say), ends=ends))
            for a, b in zip(runs, runs[1:]):
                x = overtakes(*([(p["flops"], p["fid"]) for p in r["points"]] for r in (a, b)))
                lines.append(say("The {big} model overtakes the {small} one at {flops:.1e} training FLOPs.",
                                 big=count(b["params"]), small=count(a["params"]), flops=x) if x else
                             say("The {big} model never overtakes the {small} one within this budget.",
                                 big=count(b["params"]), small=count(a["params"])))
            fit = fitted.get(f)
            if fit:
                lines.append(say("Power law on the frontier, FID − floor ∝ C^−α: α = {a:.2f} (95%: {lo:.2f} to {hi:.2f}) "
                                 "over {n} points from {x0:.1e} to {x1:.1e} FLOPs, R² {r2:.2f}.", a=fit["exponent"],
                                 lo=fit["low"], hi=fit["high"], n=fit["points"], x0=fit["from_flops"],
                                 x1=fit["to_flops"], r2=fit["r2"]))
                if fit["low"] <= 0 or fit["r2"] < 0.8:
                    lines.append(say("At this scale the power law does not hold: the interval reaches 0 or the fit "
                                     "explains little of the frontier."))
            elif len(runs) > 1:
                lines.append(say("Too few frontier points for a power law."))
    elif kind == "data":
        for f, runs in data(dataset).items():
            if keep(f):
                each = ", ".join(say("{images:,} images: FID {fid:.2f}, {share:.1%} copied", images=r["images"],
                                     fid=r["points"][-1]["fid"], share=r["memorised"]) for r in runs if r["points"])
                lines.append(say("**{family}**: {each}.", family=_title(f, say), each=each))
    else:
        for f, ps in passes(dataset).items():
            if keep(f) and len(ps) > 1:
                best = min(p["fid"] for p in ps)
                enough = next(p for p in ps if p["fid"] <= 1.1 * best)
                lines.append(say("**{family}** is within 10% of its best FID ({best:.2f}) from {nfe} passes per image.",
                                 family=_title(f, say), best=best, nfe=enough["nfe"]))
    return "\n".join(f"- {line}" for line in lines)
