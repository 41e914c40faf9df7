"""The One step tab: the distilled student's 1, 2 and 4 steps beside its teacher's images from the
same noise, with what each costs."""
from __future__ import annotations

import gradio as gr
import numpy as np

from .. import pipeline, render
from ..models import distilled
from .common import LABEL_ROOM, MODEL_QUEUE, api_names, class_dropdown, how_it_works, sample_panel, seed_input, user_errors
from .picture import picture

FAMILY = "distilled"
TEACHER = distilled.TEACHER
STUDENT_STEPS = (1, 2, 4)
TEACHER_STEPS = (1, None, 50)  # None: the teacher's default options, the images the student learned
ROWS = 3
HOW = r"""
**The teacher's map.** The Flow matching tab's sampler is an ODE: from a noise image
$\varepsilon$ and a class $y$ its solver, at the tab's default options (DPM-Solver++, 10 steps,
guidance 3 in the middle of the path: 11 network passes), always lands on the same image
$x = T(\varepsilon, y)$. A map from noise to images is exactly what a one-step generator is, so
a student can learn it (*knowledge distillation*, Luhman & Luhman 2021).

**Reflow's straight lines** (Liu et al. 2023; InstaFlow, Liu et al. 2024). Before training, the
teacher draws its images from fixed noise (`distilled.teacher_pairs`, 30,000 pairs). The student,
the teacher's UNet less its first block at full resolution (a fifth of a pass's time), starts from
the teacher's other weights and learns the *straight* line from each
pair's noise to its image, $x_t = (1 - t)\,x + t\,\varepsilon$, whose velocity is the constant
$\varepsilon - x$ (`distilled.distillation_loss`):

$$\mathcal{L} = \mathbb{E}_{(\varepsilon, y, x),\, t}\,\big\| v_\theta(x_t, t, y) - (\varepsilon - T(\varepsilon, y)) \big\|^2,
\qquad t \in \{1, \tfrac34, \tfrac12, \tfrac14\}$$

with $t = 1$ for half of each batch: the one-step case. The teacher's paths bend, so it needs
many small steps; the student's are straight, so **one Euler step**,
$x = \varepsilon - v_\theta(\varepsilon, 1, y)$, goes all the way. Two or four steps walk the same line
and can correct some of the first step's error. Guidance is distilled in as well: the student
makes one pass a step, with the class, where the teacher makes two.

**What is lost.** The student knows its teacher only through the pairs it saw; where it cannot
tell two pairs apart, the squared error averages their images, and averages look blurred. The
teacher in one step (the first column of its row) shows the extreme case: its guess of the image
from pure noise is the average of every image of the class. Compare the student's first column
with the teacher's default: the gap is the price of going from 11 passes to 1.
"""


def build(dataset: gr.Radio) -> None:
    gr.Markdown(f"**{distilled.SUMMARY}** The GAN's speed, learned from a flow model.")
    sample_panel(FAMILY, dataset, process_label="From the noise to the sample (first image), one picture a step")
    with gr.Accordion("The student against its teacher, from the same noise", open=True):
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                label = class_dropdown(dataset, all_label=None, value=5)
                seed = seed_input(2)
                go = gr.Button("Compare with the teacher", variant="primary")
            with gr.Column(scale=2):
                sheet = picture(label="Columns: the student in 1, 2, 4 steps · the teacher in 1 step, at its "
                                      "default (11 passes), in 50 steps · rows: three seeds")
                text = gr.Markdown()

    @user_errors
    @api_names("dataset", "label", "seed")
    def compare(dataset_key, label_value, seed_value):
        """One row per seed; the student's step counts, then the teacher's, from the same noise."""
        runs = [(FAMILY, f"student, {s} step{'s' if s > 1 else ''}", {"steps": s}) for s in STUDENT_STEPS]
        runs += [(TEACHER, "teacher, " + ("its default" if s is None else f"{s} step{'s' if s > 1 else ''}"),
                  {} if s is None else {"steps": s}) for s in TEACHER_STEPS]
        results = [(name, pipeline.generate(family, dataset_key, label_value, ROWS, seed_value, **options))
                   for family, name, options in runs]
        tiles = np.stack([r.images[row] for row in range(ROWS) for _, r in results])
        captions = [r.captions()[row] for row in range(ROWS) for _, r in results]
        marks = [bool(r.predicted[row] == r.labels[row]) for row in range(ROWS) for _, r in results]
        lines = [f"- **{name}**: {r.nfe} network pass{'es' if r.nfe != 1 else ''} an image, "
                 f"{r.seconds * 1000:.0f} ms for {ROWS} images" for name, r in results]
        return (render.grid(tiles, captions, scale=3, cols=len(runs), marks=marks, top=LABEL_ROOM),
                f"Every column starts from the same noise (seed {int(seed_value)}):\n\n" + "\n".join(lines))

    go.click(compare, [dataset, label, seed], [sheet, text], api_name="compare_teacher_distilled",
             concurrency_id=MODEL_QUEUE)
    how_it_works(HOW)
