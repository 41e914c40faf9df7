"""The Flow matching tab: watch noise flow into an image along (nearly) straight lines; its paths
against the diffusion model's on the same seed; both families at the same few steps."""
from __future__ import annotations

import gradio as gr
import numpy as np
from PIL import Image, ImageDraw

from .. import denoising, pipeline, render
from ..models import flow
from .common import (LABEL_ROOM, MODEL_QUEUE, api_names, class_dropdown, how_it_works, live_controls, option_names,
                     seed_input, denoised_pictures, stream_stats, throttled, user_errors)
from . import replay
from .picture import picture

FAMILY = "flow"
OTHER = "diffusion"  # the family whose paths and steps this tab sets beside its own
NAMES = option_names(FAMILY)
STEP_COUNTS = (1, 2, 4, 8, 16)
COLOURS = {FAMILY: (40, 150, 70), OTHER: (60, 90, 180)}
HOW = r"""
**The path.** Flow matching (Lipman et al. 2023; *rectified flow*, Liu et al. 2023; the training
target of Stable Diffusion 3) joins every real image $x_0$ to a noise image
$\varepsilon \sim \mathcal{N}(0, I)$ by a straight line, with time $t$ running from 0 (the image)
to 1 (pure noise):

$$x_t = (1 - t)\,x_0 + t\,\varepsilon, \qquad \frac{dx_t}{dt} = \varepsilon - x_0 .$$

**The loss** (`flow.flow_matching_loss`): the UNet $v_\theta$ learns that velocity from the point on
the line, the time and the class,

$$\mathcal{L} = \mathbb{E}_{x_0, \varepsilon, t}\,\big\| v_\theta(x_t, t, y) - (\varepsilon - x_0) \big\|^2 ,$$

with $t$ drawn logit-normal (most often near $t = 0.5$, where the image is decided, as in SD3).
Many lines cross at each $x_t$, so the network learns their average direction: the *flow*
whose paths, followed from noise, end on images like the data.

**Sampling** (`flow.Model.stream`) solves $dx/dt = v_\theta$ backwards from $t = 1$ to $0$.
*Euler* takes $x \leftarrow x - \Delta t\, v_\theta(x, t)$; *Heun* also evaluates $v_\theta$ at the end of that
step and averages the two (second order: two network passes a step, but the last, which lands on
the image at $t = 0$, is Euler's). At any step the network's
guess of the clean image is $\hat x_0 = x_t - t\, v_\theta$ (right picture), and Euler's step from
$t$ to $s$ is a move towards it, $x_s = \tfrac{s}{t}\,x_t + \big(1 - \tfrac{s}{t}\big)\,\hat x_0$.
*DPM-Solver++(2M)* (`flow.extrapolate`, the default) makes the same move with a better guess,
extrapolated from this step's and the last step's,
$D = \hat x_0(t) + \frac{\hat x_0(t) - \hat x_0(t')}{2r}$ with $r = \frac{\lambda_t - \lambda_{t'}}{\lambda_s - \lambda_t}$ and
$\lambda = \log\frac{1 - t}{t}$, and spaces its steps evenly in $\lambda$ (short near the noise and
near the image, where the path bends): second order for one network pass a step.

**Straight against curved** (*Paths* below). The diffusion model's noisy images
$x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1 - \bar\alpha_t}\,\varepsilon$ have
$\bar\alpha_t + (1 - \bar\alpha_t) = 1$: from noise to image they swing round a quarter circle,
while flow matching goes along the chord. A straighter path has less to get wrong per step, which
is why flow matching needs few steps; it is not perfectly straight, because the learned flow
averages many crossing lines. The same UNet, class embedding, "no class" entry for
classifier-free guidance, guidance interval and EMA weights as the Diffusion tab: only the path
and the target differ.
"""


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

    d.text((8, 30), "Paths from the same noise: along the noise (x) and towards the image (y)", fill=(30, 30, 30))
    d.line([left, top, left, bottom, right, bottom], fill=(150, 150, 150))
    for i, (family, p) in enumerate(paths.items()):
        colour, line = COLOURS.get(family, (120, 120, 120)), [xy(q) for q in p["points"]]
        d.line(line, fill=colour, width=2)
        for x, y in line:
            d.ellipse([x - 3, y - 3, x + 3, y + 3], fill=colour)
        d.text((left + 8, bottom - 40 + 16 * i), f"{family}: straightness {p['straightness']:.3f}, "
                                             f"{len(p['points']) - 1} steps", fill=colour)
    d.text((left, height - 18), "noise (start, right) ... image (end, top)", fill=(90, 90, 90))
    return img


def _stats(frame: pipeline.Frame) -> str:
    return stream_stats(frame, f"Step {frame.done} of {frame.total} (t = {frame.t:.2f})")


def build(dataset: gr.Radio) -> None:
    gr.Markdown(f"**{flow.SUMMARY}**")
    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            label, n, seed, options, go, stop = live_controls(dataset, FAMILY, pipeline.STREAM_MAX_N)
        with gr.Column(scale=2):
            with gr.Row():
                noisy = picture(label="x_t: the images on their way")
                clean = picture(label="x_0 = x_t − t·v: where the velocity points")
            stats = gr.Markdown()
    recorded = replay.panel(gr.State([]), "flow")
    with gr.Accordion("Flow matching against diffusion, from the same noise", open=True):
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                path_label = class_dropdown(dataset, all_label=None, value=3)
                path_seed = seed_input(1)
                path_go = gr.Button("Draw the paths", variant="primary")
                compare_go = gr.Button(f"Compare {', '.join(map(str, STEP_COUNTS))} steps of each")
            with gr.Column(scale=2):
                path_plot = picture(label="Each family's path, one dot per step (each at its default options)")
                path_text = gr.Markdown()
                compared = picture(label="Columns: 1, 2, 4, 8, 16 steps · rows: flow matching (top two), "
                                         "diffusion (bottom two), the same seeds")
                compare_text = gr.Markdown()

    @user_errors
    @api_names("dataset", "label", "n", "seed", *NAMES)
    @replay.recording
    def generate(dataset_key, label_value, n_value, seed_value, *option_values, tape):
        opts = dict(zip(NAMES, option_values))
        frames = denoising.denoise(FAMILY, dataset_key, label_value, n_value, seed_value, **opts)
        for frame in throttled(frames, tape=tape):
            yield *denoised_pictures(frame), _stats(frame)

    @user_errors
    @api_names("dataset", "label", "seed")
    def paths(dataset_key, label_value, seed_value):
        found = {f: denoising.path(f, dataset_key, label_value, seed_value)
                 for f in (FAMILY, OTHER) if f in pipeline.available(dataset_key)}
        lines = [f"- **{f}**: straightness {p['straightness']:.3f} (1 = a straight line) in {len(p['points']) - 1} "
                 f"steps, {p['nfe']} network evaluations" for f, p in found.items()]
        return paths_plot(found), ("\n".join(lines) + "\n\nStraightness is the distance from the start noise to "
                                   "the image over the length of the path taken, in all 784 dimensions.")

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
                    captions.append(r.captions()[row])
                    marks.append(bool(r.predicted[row] == r.labels[row]))
            lines.append(f"- **{family}**: " + " · ".join(f"{s} step{'s' if s > 1 else ''}: {r.nfe} evals, {r.seconds * 1000:.0f} ms"
                                                          for s, r in zip(STEP_COUNTS, results)))
        sheet = render.grid(np.stack(tiles), captions, scale=3, cols=len(STEP_COUNTS), marks=marks, top=LABEL_ROOM)
        return sheet, "Each family at its default guidance, the step count changed:\n\n" + "\n".join(lines)

    event = go.click(generate, [dataset, label, n, seed, *options], [noisy, clean, stats, recorded],
                     api_name="denoise_flow", concurrency_id=MODEL_QUEUE)
    stop.click(None, None, None, cancels=[event], queue=False, api_visibility="private")
    path_go.click(paths, [dataset, path_label, path_seed], [path_plot, path_text], api_name="paths_flow",
                  concurrency_id=MODEL_QUEUE)
    compare_go.click(compare, [dataset, path_label, path_seed], [compared, compare_text],
                     api_name="compare_steps_flow", concurrency_id=MODEL_QUEUE)
    how_it_works(HOW)
