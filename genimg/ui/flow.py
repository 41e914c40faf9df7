"""The Flow matching tab: watch noise flow into an image along (nearly) straight lines; its paths
against the diffusion model's on the same seed; both families at the same few steps."""
from __future__ import annotations

import gradio as gr
import numpy as np
from PIL import Image, ImageDraw

from .. import denoising, pipeline, render
from . import i18n, inpainting, lesson
from .controls import class_dropdown, option_names, seed_input
from .handlers import LONG, api_names, user_errors
from .panels import LABEL_ROOM, how_it_works
from .live import View, denoised_pictures, live_panel, stream_stats
from .picture import picture
from .i18n import add, say, tr

FAMILY = "flow"
NAMES = option_names(FAMILY)
OTHER = "diffusion"  # the family whose paths and steps this tab sets beside its own
STEP_COUNTS = (1, 2, 4, 8, 16)
COLOURS = {FAMILY: (40, 150, 70), OTHER: (60, 90, 180)}


def _write(d: ImageDraw.ImageDraw, xy, text: str, fill) -> None:
    """Pillow's own font for English (as ever), one with Chinese glyphs for Chinese."""
    d.text(xy, text, fill=fill, font=None if text.isascii() else render.font_for(text, 12))


def paths_plot(paths: dict[str, dict], width: int = 460, height: int = 340) -> Image.Image:
    """Each family's path in the plane of its start noise (x axis) and its sample (y axis), one
    dot per step, from the start noise (right) to the image (top left). The top 26 px stay free."""
    img = Image.new("RGB", (width, height), (255, 255, 255))
    d = ImageDraw.Draw(img)
    points = np.concatenate([p["points"] for p in paths.values()])
    hi = float(np.abs(points).max()) * 1.08 or 1.0
    left, right, top, bottom = 40, width - 16, 56, height - 34

    def xy(p):
        return left + (right - left) * max(p[0], 0) / hi, bottom - (bottom - top) * max(p[1], 0) / hi

    _write(d, (8, 30), i18n.drawn("Paths from the same noise: along the noise (x) and towards the image (y)"),
           (30, 30, 30))
    d.line([left, top, left, bottom, right, bottom], fill=(150, 150, 150))
    for i, (family, p) in enumerate(paths.items()):
        colour, line = COLOURS.get(family, (120, 120, 120)), [xy(q) for q in p["points"]]
        d.line(line, fill=colour, width=2)
        for x, y in line:
            d.ellipse([x - 3, y - 3, x + 3, y + 3], fill=colour)
        legend = i18n.drawn("{family}: straightness {s:.3f}, {k} steps", family=family, s=p["straightness"],
                             k=len(p["points"]) - 1)
        _write(d, (left + 8, bottom - 40 + 16 * i), legend, colour)
    _write(d, (left, height - 18), i18n.drawn("noise (start, right) ... image (end, top)"), (90, 90, 90))
    return img


def _stats(frame: pipeline.Frame) -> str:
    return stream_stats(frame, say("Step {done} of {total} (t = {t:.2f})", done=frame.done, total=frame.total,
                                   t=frame.t))


def _views() -> list[View]:
    with gr.Row():
        noisy = picture(label=tr("x_t: the images on their way"))
        clean = picture(label=tr("x_0 = x_t − t·v: where the velocity points"))
    return [View((noisy, clean), denoised_pictures)]


def build(dataset: gr.Radio) -> None:
    live = live_panel(FAMILY, dataset, _views, _stats, former="denoise_flow")
    with gr.Accordion(tr("Flow matching against diffusion, from the same noise"), open=True):
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                path_label = class_dropdown(dataset, all_label=None, value=3)
                path_seed = seed_input(1)
                path_go = gr.Button(tr("Draw the paths"), variant="primary")
                compare_go = gr.Button(tr("Compare {counts} steps of each", counts=", ".join(map(str, STEP_COUNTS))))
            with gr.Column(scale=2):
                path_plot = picture(label=tr("Each family's path, one dot per step (each at its default options)"))
                path_text = gr.Markdown()
                compared = picture(label=tr("Columns: 1, 2, 4, 8, 16 steps · rows: flow matching (top two), "
                                            "diffusion (bottom two), the same seeds"))
                compare_text = gr.Markdown()

    @user_errors
    @api_names("dataset", "label", "seed")
    def paths(dataset_key, label_value, seed_value):
        found = {f: denoising.path(f, dataset_key, label_value, seed_value)
                 for f in (FAMILY, OTHER) if f in pipeline.available(dataset_key)}
        lines = [say("- **{family}**: straightness {s:.3f} (1 = a straight line) in {k} steps, {nfe} network "
                     "evaluations", family=f, s=p["straightness"], k=len(p["points"]) - 1, nfe=p["nfe"])
                 for f, p in found.items()]
        return paths_plot(found), ("\n".join(lines) + "\n\n" + say("Straightness is the distance from the start noise "
                                   "to the image over the length of the path taken, in all 784 dimensions."))

    @user_errors
    @api_names("dataset", "label", "seed")
    def compare(dataset_key, label_value, seed_value):
        """Two images per family and step count, the families one under the other."""
        tiles, captions, marks, lines = [], [], [], []
        for family in (f for f in (FAMILY, OTHER) if f in pipeline.available(dataset_key)):
            results = list(denoising.compare_steps(family, dataset_key, label_value, seed_value, 2,
                                                   counts=STEP_COUNTS))
            for row in range(2):
                for r in results:
                    tiles.append(r.images[row])
                    captions.append(i18n.drawn_captions(r.captions())[row])
                    marks.append(bool(r.predicted[row] == r.labels[row]))
            costs = " · ".join(say("{k} steps: {nfe} evals, {ms:.0f} ms" if s > 1 else
                                   "{k} step: {nfe} evals, {ms:.0f} ms", k=s, nfe=r.nfe, ms=r.seconds * 1000)
                               for s, r in zip(STEP_COUNTS, results))
            lines.append(say("- **{family}**: {costs}", family=family, costs=costs))
        sheet = render.grid(np.stack(tiles), captions, scale=3, cols=len(STEP_COUNTS), marks=marks, top=LABEL_ROOM)
        return sheet, say("Each family at its default guidance, the step count changed:") + "\n\n" + "\n".join(lines)

    path_go.click(paths, [dataset, path_label, path_seed], [path_plot, path_text], api_name="paths_flow",
                  concurrency_id=LONG)
    compare_go.click(compare, [dataset, path_label, path_seed], [compared, compare_text],
                     api_name="compare_steps_flow", concurrency_id=LONG)
    inpainting.panel(FAMILY, dataset, live.seed, live.options, NAMES)
    how_it_works("flow")


add({
    # the tab
    "Paths from the same noise: along the noise (x) and towards the image (y)":
        "从同一噪声出发的路径：沿噪声方向（x）与朝图像方向（y）",
    "{family}: straightness {s:.3f}, {k} steps": "{family}：直线度 {s:.3f}，{k} 步",
    "noise (start, right) ... image (end, top)": "噪声（起点，右）…… 图像（终点，上）",
    "Step {done} of {total} (t = {t:.2f})": "第 {done} 步，共 {total} 步（t = {t:.2f}）",
    "x_t: the images on their way": "x_t：途中的图像",
    "x_0 = x_t − t·v: where the velocity points": "x_0 = x_t − t·v：速度指向的终点",
    "Flow matching against diffusion, from the same noise": "流匹配与扩散模型对比：从同一噪声出发",
    "Draw the paths": "画出路径",
    "Compare {counts} steps of each": "两者各用 {counts} 步对比",
    "Each family's path, one dot per step (each at its default options)": "每个模型家族的路径，每步一个点（各用默认选项）",
    "Columns: 1, 2, 4, 8, 16 steps · rows: flow matching (top two), diffusion (bottom two), the same seeds":
        "列：1、2、4、8、16 步 · 行：流匹配（上两行）、扩散模型（下两行），随机种子相同",
    "- **{family}**: straightness {s:.3f} (1 = a straight line) in {k} steps, {nfe} network evaluations":
        "- **{family}**：{k} 步，直线度 {s:.3f}（1 = 一条直线），{nfe} 次网络评估",
    "Straightness is the distance from the start noise to the image over the length of the path taken, in all 784 "
    "dimensions.": "直线度是从起始噪声到图像的距离除以实际所走路径的长度，在全部 784 个维度中计算。",
    "{k} step: {nfe} evals, {ms:.0f} ms": "{k} 步：{nfe} 次评估，{ms:.0f} ms",
    "{k} steps: {nfe} evals, {ms:.0f} ms": "{k} 步：{nfe} 次评估，{ms:.0f} ms",
    "- **{family}**: {costs}": "- **{family}**：{costs}",
    "Each family at its default guidance, the step count changed:": "各模型家族使用各自默认的引导，只改变步数：",
})


LESSON = (  # this family's steps of the Lesson tab (genimg/ui/lesson.py)
    lesson.Step("flow", "7 · Flow matching: straight paths", {"label": 1, "n": 8},
                "Open the Flow matching tab and press 'Draw the paths' below the sampler.",
                "Whose path from noise to image is straighter: flow matching's or the diffusion model's?",
                ("Flow matching's", "The diffusion model's", "Both are straight"), 0,
                "Flow matching's: it is trained on straight lines from noise to data; the diffusion "
                "model's path bends like a quarter circle. Straighter paths need fewer steps."),
)

add({  # the lesson steps' words
    "7 · Flow matching: straight paths": "7 · 流匹配：笔直的路径",
    "Open the Flow matching tab and press 'Draw the paths' below the sampler.": "打开流匹配页面，按采样器下方的“画出路径”。",
    "Whose path from noise to image is straighter: flow matching's or the diffusion model's?":
        "从噪声到图像，谁的路径更直：流匹配的还是扩散模型的？",
    "Flow matching's": "流匹配的",
    "The diffusion model's": "扩散模型的",
    "Both are straight": "两个都是直的",
    "Flow matching's: it is trained on straight lines from noise to data; the diffusion model's path bends like a "
    "quarter circle. Straighter paths need fewer steps.":
        "流匹配的：它就是在从噪声到数据的直线上训练的；扩散模型的路径弯得像四分之一个圆。路径越直，需要的步数越少。",
})
