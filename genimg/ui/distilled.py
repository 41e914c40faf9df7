"""The One step tab: the distilled student's 1, 2 and 4 steps beside its teacher's images from the
same noise, with what each costs."""
from __future__ import annotations

import gradio as gr
import numpy as np

from .. import pipeline, render
from ..models import distilled
from .controls import class_dropdown, seed_input
from .handlers import LONG, api_names, user_errors
from .panels import LABEL_ROOM, how_it_works, sample_panel
from .picture import picture
from .i18n import Local, add, drawn_captions, say, tr

FAMILY = "distilled"
TEACHER = distilled.TEACHER
STUDENT_STEPS = (1, 2, 4)
TEACHER_STEPS = (1, None, 50)  # None: the teacher's default options, the images the student learned
ROWS = 3


def build(dataset: gr.Radio) -> None:
    gr.Markdown(tr("**{summary}** The GAN's speed, learned from a flow model.", summary=Local(distilled.SUMMARY)))
    sample_panel(FAMILY, dataset, process_label="From the noise to the sample (first image), one picture a step")
    with gr.Accordion(tr("The student against its teacher, from the same noise"), open=True):
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                label = class_dropdown(dataset, all_label=None, value=5)
                seed = seed_input(2)
                go = gr.Button(tr("Compare with the teacher"), variant="primary")
            with gr.Column(scale=2):
                sheet = picture(label=tr("Columns: the student in 1, 2, 4 steps · the teacher in 1 step, at its "
                                         "default (11 passes), in 50 steps · rows: three seeds"))
                text = gr.Markdown()

    @user_errors
    @api_names("dataset", "label", "seed")
    def compare(dataset_key, label_value, seed_value):
        """One row per seed; the student's step counts, then the teacher's, from the same noise."""
        runs = [(FAMILY, say("student, {k} steps" if s > 1 else "student, {k} step", k=s), {"steps": s})
                for s in STUDENT_STEPS]
        runs += [(TEACHER, say("teacher, its default") if s is None else
                  say("teacher, {k} steps" if s > 1 else "teacher, {k} step", k=s),
                  {} if s is None else {"steps": s}) for s in TEACHER_STEPS]
        results = [(name, pipeline.generate(family, dataset_key, label_value, ROWS, seed_value, **options))
                   for family, name, options in runs]
        tiles = np.stack([r.images[row] for row in range(ROWS) for _, r in results])
        captions = drawn_captions([r.captions()[row] for row in range(ROWS) for _, r in results])
        marks = [bool(r.predicted[row] == r.labels[row]) for row in range(ROWS) for _, r in results]
        lines = [say("- **{name}**: {nfe} network passes an image, {ms:.0f} ms for {rows} images" if r.nfe != 1 else
                     "- **{name}**: {nfe} network pass an image, {ms:.0f} ms for {rows} images",
                     name=name, nfe=r.nfe, ms=r.seconds * 1000, rows=ROWS) for name, r in results]
        return (render.grid(tiles, captions, scale=3, cols=len(runs), marks=marks, top=LABEL_ROOM),
                say("Every column starts from the same noise (seed {seed}):", seed=int(seed_value)) + "\n\n"
                + "\n".join(lines))

    go.click(compare, [dataset, label, seed], [sheet, text], api_name="compare_teacher_distilled",
             concurrency_id=LONG)
    how_it_works("distilled")


add({
    # the tab
    "**{summary}** The GAN's speed, learned from a flow model.": "**{summary}** 有 GAN 的速度，却是从流模型学来的。",
    "From the noise to the sample (first image), one picture a step": "从噪声到样本（第一张图像），每步一张图",
    "The student against its teacher, from the same noise": "学生模型与教师模型对比：从同一噪声出发",
    "Compare with the teacher": "与教师模型对比",
    "Columns: the student in 1, 2, 4 steps · the teacher in 1 step, at its default (11 passes), in 50 steps · "
    "rows: three seeds": "列：学生模型走 1、2、4 步 · 教师模型走 1 步、用默认设置（11 次网络评估）、走 50 步 · 行：三个随机种子",
    "student, {k} step": "学生模型，{k} 步",
    "student, {k} steps": "学生模型，{k} 步",
    "teacher, its default": "教师模型，默认设置",
    "teacher, {k} step": "教师模型，{k} 步",
    "teacher, {k} steps": "教师模型，{k} 步",
    "- **{name}**: {nfe} network pass an image, {ms:.0f} ms for {rows} images":
        "- **{name}**：每张图像 {nfe} 次网络评估，{rows} 张图像用时 {ms:.0f} ms",
    "- **{name}**: {nfe} network passes an image, {ms:.0f} ms for {rows} images":
        "- **{name}**：每张图像 {nfe} 次网络评估，{rows} 张图像用时 {ms:.0f} ms",
    "Every column starts from the same noise (seed {seed}):": "每一列都从同一噪声出发（随机种子 {seed}）：",
})
