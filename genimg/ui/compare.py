"""The Compare tab: every family draws the same class from the same seed, side by side, as each
finishes (the fast ones first), with the scoreboard of ``python -m genimg eval`` beneath."""
from __future__ import annotations

import secrets

import gradio as gr

from .. import charts, evaluate, models, pipeline, render
from .controls import DEFAULT_DATASET, class_dropdown, seed_input
from .handlers import LONG, api_names, user_errors
from .panels import LABEL_ROOM
from . import i18n, links
from .picture import picture
from .i18n import add, say, tr

N = 8  # images per family
HEADERS = ["family", "samples", "FID (judge)", "its floor", "FID (classifier)", "its floor", "class accuracy", "IS",
           "IS of the test set", "precision", "recall", "network evals / image", "ms / image"]


def _second(r: dict, key: str):
    """The classifier ruler's figure of a scoreboard row ('–' in a card measured before there were two)."""
    return r.get("rulers", {}).get("classifier", {}).get(key, "–")


def _order(dataset: str) -> list[str]:
    """Shipped families, fastest first (by the measured time per image, else by network evaluations)."""
    board = {r["family"]: r["ms_per_image"] for r in evaluate.scoreboard(dataset)}
    return sorted(pipeline.available(dataset), key=lambda f: (board.get(f, float("inf")), models.FAMILIES.index(f)))


def board_outputs(dataset: str):
    """The scoreboard as a table, bar charts and a note, in the visitor's language."""
    rows = evaluate.scoreboard(dataset)
    if not rows:
        return ({"data": [], "headers": [say(h) for h in HEADERS]}, None,
                say("No scoreboard yet: run `python -m genimg eval` to measure the families."))
    table = [[say(r["title"]), r["n_samples"], r["fid"], r["fid_floor"], _second(r, "fid"), _second(r, "fid_floor"),
              f"{r['class_accuracy']:.1%}", r["inception_score"],
              r["inception_score_test"], r["precision"], r["recall"], r["nfe"], r["ms_per_image"]] for r in rows]
    names = [i18n.drawn(r["title"]) for r in rows]
    pictures = [charts.hbars(names, [r["fid"] for r in rows],
                             i18n.drawn("FID in the judge's features (lower is better; red: the real-vs-real floor)"),
                             floors=[r["fid_floor"] for r in rows]),
                charts.hbars(names, [100 * r["class_accuracy"] for r in rows],
                             i18n.drawn("Class accuracy of the samples"), "%"),
                charts.hbars(names, [r["ms_per_image"] for r in rows], i18n.drawn("Time per image (batched)"), " ms")]
    when, where = (", ".join(sorted({r[k] for r in rows})) for k in ("date", "hardware"))
    most = max(r["n_samples"] for r in rows)
    return ({"data": table, "headers": [say(h) for h in HEADERS]}, render.stack(pictures),
            say("Measured {when} on {where} by `python -m genimg eval` ({most:,} samples per family, fewer for the "
                "slow ones). FID, precision and recall are measured in the features of two networks: the judge, "
                "trained only to evaluate, and the classifier that captions the images; where they order the "
                "families alike, the order is the families'.", when=when, where=where, most=most))


def build(dataset: gr.Radio) -> None:
    gr.Markdown(tr("**Every family draws the same class from the same seed.** They finish at very different "
                   "speeds: the fast ones appear first. Beneath, the scoreboard measured on thousands of samples."))
    with gr.Row():
        label = class_dropdown(dataset, all_label=None, value=3)
        seed = seed_input()
    with gr.Row():
        go = gr.Button(tr("Compare"), variant="primary")
        again = gr.Button(tr("New seed and compare"))
    links.register("compare", go, dataset, all_classes=False, label=label, seed=seed)
    pictures, notes = [], []
    with gr.Row():
        for family in models.FAMILIES:
            with gr.Column(min_width=130):
                pictures.append(picture(label=tr(models.get(family).TITLE)))
                notes.append(gr.Markdown())
    first = board_outputs(DEFAULT_DATASET)
    table = gr.Dataframe(first[0]["data"], headers=HEADERS, label=tr("Scoreboard"), interactive=False)
    chart = picture(first[1], label=tr("The scoreboard as bars"))
    board_note = gr.Markdown(first[2])

    @user_errors
    @api_names("dataset", "label", "seed")
    def compare(dataset_key, label_value, seed_value):
        shown = [None] * len(models.FAMILIES)
        texts = [say("waiting…")] * len(models.FAMILIES)
        order = _order(dataset_key)
        for family in models.FAMILIES:
            if family not in order:
                texts[models.FAMILIES.index(family)] = say("no checkpoint for this dataset")
        for family in order:
            r = pipeline.generate(family, dataset_key, label_value, N, seed_value)
            i = models.FAMILIES.index(family)
            shown[i] = render.grid(r.images, i18n.drawn_captions(r.captions()), scale=2, cols=2,
                                   marks=list(r.predicted == r.labels), top=LABEL_ROOM)
            texts[i] = say("{ms:.0f} ms for {n} · {nfe} network evaluation" + ("s" if r.nfe != 1 else "")
                           + " per image · {ok}/{n} recognised",
                           ms=r.seconds * 1000, n=N, nfe=r.nfe, ok=int((r.predicted == r.labels).sum()))
            yield *shown, *texts

    inputs, outputs = [dataset, label, seed], [*pictures, *notes]
    go.click(compare, inputs, outputs, api_name="compare", concurrency_id=LONG)
    again.click(lambda: secrets.randbelow(2**31), None, seed, queue=False, api_visibility="private").then(
        compare, inputs, outputs, concurrency_id=LONG, api_visibility="private")
    dataset.change(board_outputs, dataset, [table, chart, board_note], api_name="scoreboard")
    i18n.follow(board_outputs, dataset, [table, chart, board_note])


add({
    **{h: zh for h, zh in zip(HEADERS, ["模型家族", "样本数", "FID（评判网络）", "其基线", "FID（分类器）", "其基线", "类别准确率", "IS",
                                    "测试集的 IS", "精确率", "召回率", "每张图像的网络评估次数", "每张图像 ms"])},
    "No scoreboard yet: run `python -m genimg eval` to measure the families.":
        "还没有评分榜：运行 `python -m genimg eval` 来测量各个模型家族。",
    "FID in the judge's features (lower is better; red: the real-vs-real floor)":
        "评判网络特征中的 FID（越低越好；红线：真实数据基线）",
    "Class accuracy of the samples": "样本的类别准确率",
    "Time per image (batched)": "每张图像的时间（批量计算）",
    "Measured {when} on {where} by `python -m genimg eval` ({most:,} samples per family, fewer for the slow ones). "
    "FID, precision and recall are measured in the features of two networks: the judge, trained only to evaluate, "
    "and the classifier that captions the images; where they order the families alike, the order is the families'.":
        "{when} 在 {where} 上由 `python -m genimg eval` 测量（每个模型家族 {most:,} 个样本，慢的家族少一些）。"
        "FID、精确率和召回率在两个网络的特征中测量：只为评估而训练的评判网络，以及给图像写图注的分类器；"
        "两者给出的排序一致时，这个排序才属于模型家族本身。",
    "**Every family draws the same class from the same seed.** They finish at very different speeds: the fast ones "
    "appear first. Beneath, the scoreboard measured on thousands of samples.":
        "**每个模型家族用同一个随机种子画同一个类别。** 它们完成的速度差别很大：快的先出现。"
        "下面是在数千个样本上测得的评分榜。",
    "New seed and compare": "换个种子再对比",
    "Scoreboard": "评分榜",
    "The scoreboard as bars": "评分榜的条形图",
    "waiting…": "等待中…",
    "no checkpoint for this dataset": "这个数据集没有检查点",
    **{"{ms:.0f} ms for {n} · {nfe} network evaluation" + s + " per image · {ok}/{n} recognised":
       "{n} 张用时 {ms:.0f} ms · 每张图像 {nfe} 次网络评估 · 认出 {ok}/{n}" for s in ("", "s")},
})
