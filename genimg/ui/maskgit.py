"""The MaskGIT tab: watch 49 tokens being written many at a time, see which step fixed each
one, race the Transformer tab's GPT on the same class and seed, and fill in any region of an image."""
from __future__ import annotations

import gradio as gr
import numpy as np
from PIL import Image

from .. import drawing, painting, pipeline, render
from ..models import maskgit
from . import i18n
from .controls import START, option_names, picked_start, start_picker
from .handlers import LONG, QUICK, api_names, user_errors
from .panels import LABEL_ROOM, how_it_works, result_sheet
from .live import Run, View, live_panel, stream_stats
from .picture import picture
from .i18n import Local, add, say, tr

FAMILY = "maskgit"
RIVAL = "transformer"  # the same tokens, one at a time
NAMES = option_names(FAMILY)
EDITOR_SIDE = 280  # the inpainting canvas: 40 px a token


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


def _editor_value(start: np.ndarray) -> dict:
    big = Image.fromarray(start).resize((EDITOR_SIDE, EDITOR_SIDE), Image.NEAREST).convert("RGBA")
    return {"background": big, "layers": [], "composite": big}


def _strokes(region):
    """The user's strokes from the editor's value (its layers), or None."""
    if not isinstance(region, dict):
        return region
    return region.get("layers") or None


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
    with gr.Accordion(tr("Inpaint anything: paint over any part of an image, MaskGIT fills it in"), open=True):
        with gr.Row():
            with gr.Column(scale=1, min_width=300):
                picker = start_picker(dataset)
                show = gr.Button(tr("Put it on the canvas"))
                count = gr.Slider(1, painting.MAX_COMPLETIONS, value=5, step=1, label=tr("Completions"))
                fill = gr.Button(tr("Fill it in"), variant="primary")
                gr.Markdown(tr("Fill-ins use the seed and options above. The GPT of the Transformer tab can only "
                               "continue an image in reading order: it cannot fill a hole with the rest kept."))
            with gr.Column(scale=2):
                region = gr.ImageEditor(value=_editor_value(painting.start_image(dataset.value, 7)[0]),
                                        label=tr("Paint over the part to fill in (each 40×40 square is one token)"),
                                        canvas_size=(EDITOR_SIDE, EDITOR_SIDE), image_mode="RGBA", format="png",
                                        type="numpy", layers=False, sources=(), transforms=(),
                                        brush=gr.Brush(default_size=30, colors=["#e03030"], color_mode="fixed"))
                filled = picture(label=tr("The start · the tokens MaskGIT is given (blue: to fill) · its fill-ins"))
                filled_text = gr.Markdown()

    @user_errors
    def put_on_canvas(dataset_key, *picked):
        start, _, _ = picked_start(dataset_key, *picked)
        return _editor_value(start)

    @user_errors
    @api_names("dataset", *START, "region", "count", "seed", *NAMES)
    def inpaint(dataset_key, source_value, label_value, which, sketch, painted, m, seed_value, *option_values):
        opts = dict(zip(NAMES, option_values))
        start, label_id, origin = picked_start(dataset_key, source_value, label_value, which, sketch)
        keep = ~drawing.marked_cells(_strokes(painted), maskgit.Model.grid)
        out = painting.inpaint(FAMILY, dataset_key, start, keep, label_id, m, seed_value, **opts)
        given = render.patches(out["kept"][None], np.where(keep, 0, -1)[None], cursor=False)
        tiles = np.concatenate([render.tinted(start[None], 784), given, render.tinted(out["completions"], 784)])
        sheet = render.grid(tiles, [i18n.drawn("start"), i18n.drawn("{k} tokens to fill", k=out["hidden"]),
                                    *i18n.drawn_captions(out["captions"])], scale=4,
                            cols=len(tiles), marks=[True, True, *out["agree"]], top=LABEL_ROOM)
        name = pipeline.class_names(dataset_key)[label_id]
        return sheet, say("Started from {origin}, class **{name}**: {hidden} of 49 tokens filled in {m} times in "
                          "{s:.2f} s.", origin=i18n.translated(origin), name=Local(name), hidden=out["hidden"],
                          m=len(out["completions"]), s=out["seconds"])

    show.click(put_on_canvas, [dataset, *picker], region, api_visibility="private", concurrency_id=QUICK)
    fill.click(inpaint, [dataset, *picker, region, count, live.seed, *live.options], [filled, filled_text],
               api_name="inpaint_maskgit", concurrency_id=LONG)
    how_it_works("maskgit", render.step_map(np.array([[k] for k in range(1, 9)]).T, 8, side=320),
                 "The colours of the step map: step 1 (light) to step 8 (deep); dark: still masked")


add({
    "{k} tokens to fill": "待填 {k} 个词元",
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
    "Inpaint anything: paint over any part of an image, MaskGIT fills it in":
        "任意修复（inpainting）：涂抹图像的任意部分，由 MaskGIT 填补",
    "Put it on the canvas": "放到画布上",
    "Completions": "补全数量",
    "Fill it in": "填补",
    "Fill-ins use the seed and options above. The GPT of the Transformer tab can only continue an image in reading "
    "order: it cannot fill a hole with the rest kept.": "填补使用上面的随机种子和选项。Transformer 标签页的 GPT 只能按阅读"
                                                        "顺序接着往下写：它无法在保留其余部分的同时填补一个空洞。",
    "Paint over the part to fill in (each 40×40 square is one token)": "涂抹要填补的部分（每个 40×40 的方块是一个词元）",
    "The start · the tokens MaskGIT is given (blue: to fill) · its fill-ins":
        "起点 · MaskGIT 拿到的词元（蓝色：待填补）· 它的填补结果",
    "Started from {origin}, class **{name}**: {hidden} of 49 tokens filled in {m} times in {s:.2f} s.":
        "从{origin}开始，类别 **{name}**：把 49 个词元中的 {hidden} 个填补了 {m} 次，用时 {s:.2f} s。",
    "The colours of the step map: step 1 (light) to step 8 (deep); dark: still masked":
        "步骤图的颜色：第 1 步（浅）到第 8 步（深）；暗色：仍被掩码",
})
