"""The Scaling tab (规模): how quality grows with what is spent, on one ruler for every family.

Two charts, both read from where the numbers live: FID (the judge's, with its floor) against the
training compute spent so far, from the learning curves the trainer writes into each card
(``learning``: eight points of the run that made the checkpoint), and FID against the network
passes per image at sampling time, from ``benchmarks/passes.py``'s results. A table lists the
learning points, and a family's sample sheets show what it drew at each of them. A family whose
checkpoint was trained before the trainer kept learning curves is named as such; its next
training run adds one.
"""
from __future__ import annotations

import gradio as gr

from .. import checkpoint, facts, models, plane
from . import i18n, links
from .controls import DEFAULT_DATASET
from .i18n import add, say, tr
from .picture import picture

TAB = "scaling"
INTRO = ("**How quality grows with what is spent.** The question behind today's large image models, asked of "
         "every family here on one ruler: FID in the judge's features (lower is better; the dashed line is real "
         "images against real images). Left, against the training compute spent so far, at eight points of the "
         "run that made each checkpoint. Right, against the network passes each image costs at sampling time.")


def learning(dataset: str) -> dict[str, list[dict]]:
    """Each family's learning curve on ``dataset`` (the card's ``learning``), where it has one."""
    out = {}
    for family in models.FAMILIES + models.DEVELOPING:
        if checkpoint.exists(family, dataset):
            points = checkpoint.read_card(family, dataset).get("learning") or []
            if points:
                out[family] = points
    return out


def passes(dataset: str) -> dict[str, list[dict]]:
    """FID against passes per image by family (``benchmarks/results/passes.json``), on its dataset."""
    try:
        if facts.results("passes", "dataset") != dataset:
            return {}
        return facts.results("passes", "families")
    except facts.Missing:
        return {}


def charts(dataset: str):
    """(the training-compute chart, the passes chart, the table, the note) in the visitor's language."""
    curves, sampled = learning(dataset), passes(dataset)
    title = lambda f: say(models.get(f).TITLE)  # noqa: E731
    floor = min((p["fid_floor"] for ps in curves.values() for p in ps), default=None)
    trained = plane.series({title(f): [(p["flops"], p["fid"]) for p in ps] for f, ps in curves.items()},
                           say("FID against training compute"), say("training FLOPs so far (log scale)"), floor,
                           say("real images"), width=560, height=320, xlog=True, marks=True) if curves else None
    floor = min((p["fid_floor"] for ps in sampled.values() for p in ps), default=None)
    spent = plane.series({title(f): [(p["nfe"], p["fid"]) for p in ps] for f, ps in sampled.items()},
                         say("FID against network passes per image"), say("passes per image (log scale)"), floor,
                         say("real images"), width=560, height=320, xlog=True, marks=True) if sampled else None
    head = [say("Family"), say("Step"), say("Training FLOPs"), say("CPU-seconds"), "FID", say("Class accuracy")]
    rows = [[title(f), f"{p['step']:,}", f"{p['flops']:.2e}", f"{p['cpu_s']:,.0f}", f"{p['fid']:.2f} ({p['fid_floor']:.2f})",
             f"{p['class_accuracy']:.1%}"] for f, ps in curves.items() for p in ps]
    table = "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] +
                      ["| " + " | ".join(r) + " |" for r in rows]) if rows else ""
    missing = [title(f) for f in models.FAMILIES if checkpoint.exists(f, dataset) and f not in curves]
    note = say("Not yet measured while learning (trained before the trainer kept learning curves): {names}.",
               names=", ".join(missing)) if missing else ""
    return trained, spent, table, note


def build(dataset: gr.Radio) -> None:
    links.register_tab(TAB)
    gr.Markdown(tr(INTRO))
    a, b, rows, said = charts(DEFAULT_DATASET)  # the page as built (English); a visitor's language redraws it
    with gr.Row():
        trained = picture(a, label=tr("Quality against training compute"), visible=a is not None)
        spent = picture(b, label=tr("Quality against network passes per image"), visible=b is not None)
    note = gr.Markdown(said)
    with gr.Accordion(tr("The learning points"), open=False):
        table = gr.Markdown(rows)

    def show(dataset_key):
        a, b, rows, said = charts(dataset_key)
        return (gr.Image(a, visible=a is not None), gr.Image(b, visible=b is not None), rows, said)

    outputs = [trained, spent, table, note]
    dataset.change(show, dataset, outputs, queue=False, api_visibility="private", show_progress="hidden")
    i18n.follow(show, [dataset], outputs)


add({
    "Scaling": "规模",
    INTRO: "**质量怎样随投入增长。** 这是当今大型图像模型背后的问题，这里对每个模型家族用同一把尺子来问：裁判网络特征上的 FID"
           "（越低越好；虚线是真实图像对真实图像）。左图：对训练至今花费的计算量，取自训练出每个检查点的那次运行中的八个点。"
           "右图：对采样时每张图像花费的网络计算次数。",
    "Quality against training compute": "质量与训练计算量",
    "Quality against network passes per image": "质量与每张图像的网络计算次数",
    "The learning points": "训练过程中的测量点",
    "FID against training compute": "FID 与训练计算量",
    "training FLOPs so far (log scale)": "至今的训练 FLOPs（对数刻度）",
    "real images": "真实图像",
    "FID against network passes per image": "FID 与每张图像的网络计算次数",
    "passes per image (log scale)": "每张图像的计算次数（对数刻度）",
    "Step": "步",
    "Training FLOPs": "训练 FLOPs",
    "CPU-seconds": "CPU 秒",
    "Class accuracy": "类别准确率",
    "FID {fid:.2f} (real images: {floor:.2f}), class accuracy {acc:.1%}, after {flops:.2e} training FLOPs and "
    "{cpu:,.0f} CPU-seconds.": "FID {fid:.2f}（真实图像：{floor:.2f}），类别准确率 {acc:.1%}，此时已花费 {flops:.2e} 训练 FLOPs、"
                               "{cpu:,.0f} CPU 秒。",
    "Not yet measured while learning (trained before the trainer kept learning curves): {names}.":
        "还没有训练过程中的测量（它们在训练器记录学习曲线之前训练）：{names}。",
})
