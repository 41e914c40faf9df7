"""The MaskGIT tab: watch 49 tokens being written many at a time, see which step fixed each
one, race the Transformer tab's GPT on the same class and seed, and fill in any region of an image."""
from __future__ import annotations

import gradio as gr
import numpy as np

from .. import pipeline, render
from ..models import maskgit
from . import inpainting
from .controls import option_names
from .panels import LABEL_ROOM, how_it_works, result_sheet
from .live import Run, View, live_panel, stream_stats
from .picture import picture
from .i18n import add, say, tr

FAMILY = "maskgit"
RIVAL = "transformer"  # the same tokens, one at a time
NAMES = option_names(FAMILY)


def _stats(frame: pipeline.Frame) -> str:
    return stream_stats(frame, say("Step {done} of {total}: {fixed} of 49 tokens fixed", done=frame.done,
                                   total=frame.total, fixed=int((frame.extras["tokens"][0] >= 0).sum())),
                        "{nfe} network passes (the last one the decoder) each")


def _race(dataset_key, label_value, n_value, seed_value, opts):
    """MaskGIT and the GPT on the same classes and seed, each timed without drawing its steps."""
    ours = pipeline.generate(FAMILY, dataset_key, label_value, n_value, seed_value, **opts)
    theirs = pipeline.generate(RIVAL, dataset_key, label_value, n_value, seed_value)
    sheet = render.stack([result_sheet(ours, scale=3), result_sheet(theirs, scale=3)])
    steps = int(opts.get("steps", maskgit.OPTIONS[0].default))
    return sheet, say("**MaskGIT: {n} images in {ms:.0f} ms** ({steps} parallel steps, {nfe} network passes each) · "
                      "**the GPT: {gpt_ms:.0f} ms** (49 steps with its KV cache, {gpt_nfe} passes) · {ratio:.1f}× · the "
                      "classifier agrees on {agree} and {gpt_agree} of {n}. Same seed, same classes; the top grid is "
                      "MaskGIT's, the bottom one the GPT's.", n=len(ours.images), ms=ours.seconds * 1000, steps=steps,
                      nfe=ours.nfe, gpt_ms=theirs.seconds * 1000, gpt_nfe=theirs.nfe,
                      ratio=theirs.seconds / ours.seconds, agree=int((ours.predicted == ours.labels).sum()),
                      gpt_agree=int((theirs.predicted == theirs.labels).sum()))


def _canvas(frame: pipeline.Frame, run: Run):
    if frame.result is None:
        return render.grid(render.patches(frame.images, frame.extras["tokens"], cursor=False), scale=4, top=LABEL_ROOM)
    return result_sheet(frame.result)


def _views() -> list[View]:
    with gr.Row():
        canvas = picture(label=tr("Tokens fixed so far, decoded (blue: still masked)"), scale=3)
        order = picture(label=tr("Image 1: the step that fixed each token"), scale=2)
    preview = picture(label=tr("This step's guess for every masked token, decoded"))
    return [View(canvas, _canvas),
            View(order, lambda frame, run: render.step_map(frame.extras["fixed"][0], int(run.options["steps"]),
                                                           top=LABEL_ROOM)),
            View(preview, lambda frame, run: render.grid(frame.preview, scale=4, top=LABEL_ROOM))]


def _race_views() -> list[View]:
    """The race, run once the stream is done."""
    with gr.Accordion(tr("Race the GPT: the same classes and seed, 49 steps one token at a time"), open=True):
        race = picture(label=tr("MaskGIT (top) and the Transformer tab's GPT (bottom)"))
        race_text = gr.Markdown(tr("Press **Generate** above: when it is done, both models draw the same classes "
                                   "with the same seed and are timed without drawing their steps."))

    def raced(frame: pipeline.Frame, run: Run):
        if frame.result is None:
            return gr.skip(), gr.skip()
        return _race(run.dataset, run.label, run.n, run.seed, run.options)
    return [View((race, race_text), raced)]


def build(dataset: gr.Radio) -> None:
    live = live_panel(FAMILY, dataset, _views, _stats, former="decode_maskgit", below=_race_views)
    inpainting.panel(FAMILY, dataset, live.seed, live.options, NAMES, note=(
        "The GPT of the Transformer tab can only continue an image in reading order: it cannot fill a hole with "
        "the rest kept."))
    how_it_works("maskgit", render.step_map(np.array([[k] for k in range(1, 9)]).T, 8, side=320),
                 "The colours of the step map: step 1 (light) to step 8 (deep); dark: still masked")


add({
    "Step {done} of {total}: {fixed} of 49 tokens fixed": "第 {done} 步，共 {total} 步：49 个词元中已确定 {fixed} 个",
    "{nfe} network passes (the last one the decoder) each": "每张 {nfe} 次网络评估（最后一次是解码器）",
    "**MaskGIT: {n} images in {ms:.0f} ms** ({steps} parallel steps, {nfe} network passes each) · **the GPT: "
    "{gpt_ms:.0f} ms** (49 steps with its KV cache, {gpt_nfe} passes) · {ratio:.1f}× · the classifier agrees on "
    "{agree} and {gpt_agree} of {n}. Same seed, same classes; the top grid is MaskGIT's, the bottom one the GPT's.":
        "**MaskGIT：{n} 张图像，用时 {ms:.0f} ms**（{steps} 个并行步，每张 {nfe} 次网络评估）· **GPT：{gpt_ms:.0f} ms**"
        "（借助键值缓存走 49 步，{gpt_nfe} 次网络评估）· {ratio:.1f}× · 分类器分别认同 {agree} 张和 {gpt_agree} 张"
        "（共 {n} 张）。同样的随机种子，同样的类别；上面的网格是 MaskGIT 的，下面的是 GPT 的。",
    "Tokens fixed so far, decoded (blue: still masked)": "目前已确定的词元，解码后（蓝色：仍被掩码）",
    "Image 1: the step that fixed each token": "第 1 张图像：每个词元在哪一步确定",
    "This step's guess for every masked token, decoded": "这一步对每个被掩码词元的猜测，解码后",
    "Race the GPT: the same classes and seed, 49 steps one token at a time":
        "和 GPT 赛跑：同样的类别和随机种子，GPT 走 49 步，每步一个词元",
    "MaskGIT (top) and the Transformer tab's GPT (bottom)": "MaskGIT（上）和 Transformer 标签页的 GPT（下）",
    "Press **Generate** above: when it is done, both models draw the same classes with the same seed and are timed "
    "without drawing their steps.": "按上面的 **生成**：完成后，两个模型用同样的随机种子画同样的类别，计时时不画出中间步骤。",
    "The GPT of the Transformer tab can only continue an image in reading order: it cannot fill a hole with the rest "
    "kept.": "Transformer 标签页的 GPT 只能按阅读顺序接着往下写：它无法在保留其余部分的同时填补一个空洞。",
    "The colours of the step map: step 1 (light) to step 8 (deep); dark: still masked":
        "步骤图的颜色：第 1 步（浅）到第 8 步（深）；暗色：仍被掩码",
})
