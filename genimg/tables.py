"""The docs' tables, each written from the cards or a benchmark's results file: the families at
a glance, the scoreboard, the models, the sweeps, the training commands. ``render(name, *args)``
is what a ``{{ table name args }}`` placeholder calls (``genimg.facts``); a benchmark whose
table is its own (a serving benchmark's, a ruler study's) writes it beside its results as
``benchmarks/results/tables/<name>.md``, and ``render`` reads it from there.
"""
from __future__ import annotations

import json

from . import checkpoint, models, pipeline
from .data import DATASETS
from .facts import RESULTS, Missing, fid

NETWORKS = ("classifier", "judge")  # the two networks that measure the families
ZH = {"family": "模型家族", "what it generates, and how": "生成什么、怎样生成", "network passes / image": "每张图的网络前向次数",
      "FID MNIST (floor)": "FID MNIST（真实数据基线）", "FID Fashion-MNIST (floor)": "FID Fashion-MNIST（真实数据基线）",
      "dataset": "数据集", "samples": "样本数", "FID judge (real floor)": "FID 评判网络（真实数据基线）",
      "FID classifier (real floor)": "FID 分类器（真实数据基线）", "class accuracy": "类别准确率",
      "IS (test set)": "IS（测试集）", "precision": "精确率", "recall": "召回率", "likelihood": "似然",
      "parameters": "参数量", "network evals / image": "每张图的网络评估次数", "ms / image": "每张图的毫秒数",
      "class accuracy MNIST": "类别准确率 MNIST", "class accuracy Fashion-MNIST": "类别准确率 Fashion-MNIST",
      "ms for 16 images": "16 张图的毫秒数", "training FLOPs (MNIST)": "训练 FLOPs（MNIST）"}
LABEL = {"mnist": "MNIST", "fashion": "Fashion-MNIST"}


def cards(names=None) -> list[tuple[str, str, dict]]:
    return [(name, dataset, checkpoint.read_card(name, dataset))
            for name in (names or (*models.FAMILIES, *NETWORKS)) for dataset in DATASETS
            if checkpoint.exists(name, dataset)]


def _table(header: list[str], align: str, rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|",
            *("| " + " | ".join(r) + " |" for r in rows)]


def _fid(e: dict | None) -> str:
    return f"{fid(e['fid'])} ({fid(e['fid_floor'])})" if e else "–"


def glance(lang: str = "en") -> str:
    """One row per family: what it generates and how, network passes per image, the headline
    FID with its floor and class accuracy on both datasets (``eval``), the time of 16 images at
    the defaults (``speed``: one run of ``benchmarks/speed.py`` for every family), and the FLOPs
    its MNIST checkpoint's training spent (the card's learning curve, where it has one)."""
    header = ["family", "what it generates, and how", "network passes / image",
              *(f"FID {LABEL[d]} (floor)" for d in DATASETS), *(f"class accuracy {LABEL[d]}" for d in DATASETS),
              "ms for 16 images", "training FLOPs (MNIST)"]
    rows, runs = [], set()
    for family in models.FAMILIES:
        mod = models.get(family)
        got = {d: checkpoint.read_card(family, d) for d in DATASETS if checkpoint.exists(family, d)}
        speed = next((c["speed"] for c in got.values() if "speed" in c), None)
        evals = {d: c.get("eval") for d, c in got.items()}
        runs |= {e["date"] for e in evals.values() if e}
        rows.append([mod.TITLE, mod.SUMMARY, str(speed["nfe"]) if speed else "–",
                     *(_fid(evals.get(d)) for d in DATASETS),
                     *(f"{evals[d]['class_accuracy']:.1%}" if evals.get(d) else "–" for d in DATASETS),
                     f"{speed['ms']:.1f}" if speed else "–", _trained(got.get("mnist"))])
        if speed:
            runs.add(f"speed {speed['date']}")
    dates = ", ".join(sorted(d for d in runs if not d.startswith("speed")))
    speed = ", ".join(sorted(d.split()[1] for d in runs if d.startswith("speed")))
    note = (f"FID: the judge's, against its floor (as many real images); class accuracy: the share of samples the "
            f"shipped classifier sees as their class; both from `python -m genimg eval` ({dates}). ms: 16 images at "
            f"the defaults on one CPU thread, every family in one run of `python benchmarks/speed.py --threads 1 "
            f"--cards` ({speed}). Training FLOPs: forward and backward passes of the run that made the MNIST "
            f"checkpoint, counted by torch's FLOP counter (docs/scaling.md); – where it was trained before the count.")
    if lang != "en":
        from .ui import i18n  # (each family's words are its locale file)

        header = [ZH.get(h, h) for h in header]
        rows = [[i18n.in_lang(lang, c) if i < 2 else c for i, c in enumerate(r)] for r in rows]
        note = (f"FID：评判网络（judge）特征中的 FID，括号里是真实数据基线（同样数量的真实图像）；类别准确率：随附的分类器认为属于所要求"
                f"类别的样本比例；两者都来自 `python -m genimg eval`（{dates}）。毫秒数：默认选项下 16 张图、单个 CPU 线程，"
                f"所有家族在同一次 `python benchmarks/speed.py --threads 1 --cards` 中测得（{speed}）。训练 FLOPs：训练出 MNIST "
                f"检查点的那次运行的前向和反向计算，由 torch 的 FLOP 计数器统计（见 docs/scaling.md）；在开始统计之前训练的记为 –。")
    rows = [[f"[**{r[0]}**](docs/families/{family}.md)", *r[1:]] for family, r in zip(models.FAMILIES, rows)]
    return "\n".join(_table(header, "llrrrrrrr", rows) + ["", note])


def _trained(card: dict | None) -> str:
    """The training FLOPs at the last point of the card's learning curve (``learning.py``)."""
    points = (card or {}).get("learning")
    return f"{points[-1]['flops']:.1e}" if points else "–"


def _likelihood(e: dict) -> str:
    lk = e.get("likelihood")
    if not lk:
        return "–"
    bound = "≤ " if lk["kind"].startswith(("ELBO", "bound")) else ""
    if "test_bits_per_token" in lk:
        return bound + f"{lk['test_bits_per_token']:.2f} bits/token"
    return bound + f"{lk['test_bits_per_dim']:.3f} bits/dim"


def scoreboard(lang: str = "en") -> str:
    """``python -m genimg eval``'s results, from the cards: the same measurements for every family."""
    header = ["family", "dataset", "samples", "FID judge (real floor)", "FID classifier (real floor)", "class accuracy",
              "IS (test set)", "precision", "recall", "likelihood", "parameters", "network evals / image", "ms / image"]
    rows, runs = [], set()
    for name, dataset, card in cards(models.FAMILIES):
        e = card.get("eval")
        if not e:
            continue
        runs.add((e["date"], e["hardware"], e.get("budget_s", 300)))
        rows.append([name, dataset, f"{e['n_samples']:,}", _fid(e), _fid(e.get("rulers", {}).get("classifier")),
                     f"{e['class_accuracy']:.1%}", f"{e['inception_score']:.2f} ({e['inception_score_test']:.2f})",
                     f"{e['precision']:.2f}", f"{e['recall']:.2f}", _likelihood(e), f"{e['parameters']:,}",
                     str(e["nfe"]), f"{e['ms_per_image']:.2f}"])
    when = "; ".join(f"{d} on {h} with `python -m genimg eval --budget {b:g}`" for d, h, b in sorted(runs))
    note = (f"Measured {when}. A family too slow for 10,000 samples within the budget of sampling seconds gets "
            "fewer (the samples column); ms / image is measured during the evaluation, beside other work.")
    if lang != "en":
        header = [ZH.get(h, h) for h in header]
        note = (f"测量：{when}。在采样时间预算内画不完 10,000 个样本的慢家族会少一些（见样本数一列）；每张图的毫秒数"
                "是在评估过程中、和其他任务一起测得的。")
    return "\n".join(_table(header, "llrrrrrrrrrrr", rows) + ["", note])


def _bits(m: dict) -> str:
    if "prior" in m:
        return f"{m['prior']['test_bits_per_token']:.2f} bits per token (exact)"
    if "test_bits_per_dim" not in m:
        return "–"
    if "levels" in m:
        return f"{m['test_bits_per_dim']:.3f} (exact, {m['levels']} levels)"
    return f"≤ {m['test_bits_per_dim']:.3f} (ELBO, Bernoulli)"


def _runs(recipe: dict) -> tuple[list[dict], float]:
    """Every run that made a checkpoint, the first first, and their wall seconds together."""
    runs, earlier = [recipe], recipe.get("continued_from")
    while earlier:  # a run continued from a checkpoint: count every run before it
        runs.insert(0, earlier)
        earlier = earlier.get("earlier")
    return runs, sum(r["wall_time_s"] for r in runs)


def models_table() -> str:
    """Every checkpoint: size, training, class accuracy of its samples (or the test set's)."""
    header = ["model", "dataset", "parameters", "file", "training", "class accuracy", "diversity (real)",
              "test bits/dim"]
    rows = []
    for name, dataset, card in cards():
        r, m = card["recipe"], card.get("metrics", {})
        acc, what = (m["class_accuracy"], "samples") if "class_accuracy" in m else (m.get("test_accuracy"), "test set")
        runs, wall = _runs(r)
        div = f"{m['diversity']:.2f} ({m['diversity_real']:.2f})" if "diversity_real" in m else "–"
        rows.append([name, dataset, f"{card['parameters']:,}", f"{card['file_bytes'] / 2**20:.2f} MB",
                     " + ".join(f"{x['steps']:,}" for x in runs) + f" steps, {wall / 60:.0f} min on "
                     f"{r['hardware'].split(',')[1].strip()}", f"{acc:.1%} ({what})", div, _bits(m)])
    return "\n".join(_table(header, "llrrlrrr", rows))


def commands() -> str:
    """The command behind each checkpoint, from its card (a continued run after its first)."""
    out = ["```bash"]
    for _, _, card in cards():
        runs, _ = _runs(card["recipe"])
        out += [f"{r['command']}  # then:" for r in runs[:-1]] + [runs[-1]["command"]]
    return "\n".join(out + ["```"])


def order() -> str:
    """The order to train the families in: each after the ones it builds on (``BUILDS_ON``)."""
    names = models.training_order((*models.FAMILIES, *models.DEVELOPING))
    said = [f"`{n}`" + (f" (after {', '.join(f'`{b}`' for b in models.builds_on(n))})" if models.builds_on(n) else "")
            for n in names]
    return ", ".join(said)


def sweep(family: str, name: str) -> str:
    """A sweep from the family's cards (``sweeps``, one layout for every family): a row per
    setting and dataset, the default and the best FID marked."""
    found = {d: checkpoint.read_sweep(family, d, name) for d in DATASETS}
    found = {d: s for d, s in found.items() if s}
    if not found:
        raise Missing(f"no {name!r} sweep in the {family} cards")
    keys = next(iter(found.values()))["settings"]
    shown = [k for k in keys if k not in ("guide_from", "guide_to")]
    interval = "guide_from" in keys
    header = ["dataset", *shown, *(["interval (t)"] if interval else []), "network evals", "FID judge (floor)",
              "FID classifier (floor)", "class accuracy", "precision", "recall"]
    default, rows = pipeline.check_options(family, {}), []
    for dataset, sw in found.items():
        best = min(sw["rows"], key=lambda r: r["fid"])
        for r in sw["rows"]:
            mark = " **(best FID)**" if r is best else ""
            mark += " **(default)**" if all(r[k] == default.get(k) for k in keys) else ""
            j, c = r.get("rulers", {}).get("judge", r), r.get("rulers", {}).get("classifier")
            rows.append([dataset, *(_setting(r, k) for k in shown),
                         *([f"{r['guide_to']:g}–{r['guide_from']:g}"] if interval else []), str(r["nfe"]),
                         _fid(j) + mark, _fid(c), f"{r['class_accuracy']:.1%}", f"{j['precision']:.2f}",
                         f"{j['recall']:.2f}"])
    first = next(iter(found.values()))
    dates = ", ".join(sorted({s["date"] for s in found.values()}))
    how = f", {first['sampler']} with {first['steps']} steps" if "sampler" in first else ""
    how += f". {first['note'].rstrip('.')}" if "note" in first else ""
    return "\n".join(_table(header, "l" + "l" * len(shown) + "l" * interval + "rrrrrr", rows) + [
        "", f"{first['n']:,} samples per setting, the same seed for every setting{how}; precision and recall in "
            f"the judge's features. Measured {dates} with `{first['command']}`."])


def _setting(row: dict, key: str) -> str:
    """A setting's cell: its description where the row has one (``what``), else its value."""
    value = row.get("what", row[key]) if key == "recipe" else row[key]
    return f"{value:g}" if isinstance(value, float) else str(value)


def tokens() -> str:
    """Each tokenizer and token prior on the test set (the cards whose metrics have them)."""
    rows = []
    for name, dataset, card in cards(models.FAMILIES):
        m = card.get("metrics", {})
        if "prior" in m and "tokenizer" in m:
            t, p = m["tokenizer"], m["prior"]
            rows.append([name, dataset, f"{t['codes_used']} of {t['codes']}", f"{t['code_perplexity']:.1f}",
                         f"{t['test_mse']:.4f}", f"{p['test_nats_per_token']:.3f}", f"{p['test_bits_per_token']:.3f}",
                         f"{p['test_nats_per_image']:.1f}"])
    return "\n".join(_table(["family", "dataset", "codes used", "code perplexity", "reconstruction MSE",
                             "prior NLL (nats / token)", "(bits / token)", "(nats / image)"], "llrrrrrr", rows))


def bench() -> str:
    from . import bench as speed

    file = RESULTS / "bench.json"
    if not file.exists():
        raise Missing("no results file bench.json")
    return speed.table(json.loads(file.read_text()))


def fragment(name: str) -> str:
    """A table a benchmark wrote beside its results (``benchmarks/results/tables/<name>.md``)."""
    file = RESULTS / "tables" / f"{name}.md"
    if not file.exists():
        raise Missing(f"no table {file.name} in benchmarks/results/tables")
    return file.read_text().strip()


TABLES = {"glance": glance, "scoreboard": scoreboard, "models": models_table, "commands": commands, "order": order,
          "sweep": sweep, "tokens": tokens, "bench": bench, "fragment": fragment}


def render(name: str, *args: str) -> str:
    if name not in TABLES:
        raise Missing(f"no table {name!r}; the tables are {', '.join(TABLES)}")
    return TABLES[name](*args)
