"""The Diffusion tab: watch noise become an image, step by step; start from a drawing; see what
fewer steps cost."""
from __future__ import annotations

import gradio as gr
import numpy as np

from .. import denoising, pipeline, render
from ..models import diffusion
from .common import (LABEL_ROOM, MODEL_QUEUE, START, api_names, how_it_works, live_controls, option_names,
                     picked_start, start_picker, throttled, user_errors)
from .picture import picture

FAMILY = "diffusion"
NAMES = option_names(FAMILY)
HOW = r"""
**The forward process** (`schedulers.Schedule.q_sample`) destroys an image $x_0$ with Gaussian
noise over $T = 1000$ small steps, and in closed form

$$q(x_t \mid x_0) = \mathcal{N}\big(\sqrt{\bar\alpha_t}\, x_0,\; (1 - \bar\alpha_t) I\big),$$

where $\bar\alpha_t$ — the plot beside the images — falls from 1 (all image) to 0 (all noise)
along a cosine (Nichol & Dhariwal 2021).

**Training** (`diffusion.Trainer.step`): take a real image, a random $t$ and noise
$\epsilon$, make $x_t$, and teach the UNet to predict $v = \sqrt{\bar\alpha_t}\,\epsilon -
\sqrt{1-\bar\alpha_t}\, x_0$ from $(x_t, t, y)$ by mean squared error, each timestep weighted by
$\min(\mathrm{SNR}_t, 5) / (\mathrm{SNR}_t + 1)$ with $\mathrm{SNR}_t = \bar\alpha_t / (1 -
\bar\alpha_t)$ (min-SNR weighting: no timestep dominates). From $v$ follow the clean image
$\hat x_0 = \sqrt{\bar\alpha_t}\, x_t - \sqrt{1-\bar\alpha_t}\, v$ (right-hand images) and the
noise $\hat\epsilon$ (`Schedule.split`).

**Sampling** walks back from pure noise with a *scheduler*; both use the same network:
- DDPM (`DDPMScheduler.step`) draws $x_s \sim q(x_s \mid x_t, \hat x_0)$, a Gaussian around
  $\frac{\sqrt{\bar\alpha_s}\,\beta}{1-\bar\alpha_t}\hat x_0 + \frac{\sqrt{\alpha}\,(1-\bar\alpha_s)}{1-\bar\alpha_t} x_t$
  with $\alpha = \bar\alpha_t / \bar\alpha_s$, $\beta = 1 - \alpha$: fresh noise at every step.
- DDIM (`DDIMScheduler.step`) sets $x_s = \sqrt{\bar\alpha_s}\,\hat x_0 + \sqrt{1-\bar\alpha_s}\,\hat\epsilon$:
  no new noise, so the same seed gives the same image, and 25 steps do what DDPM needs hundreds for.

**Guidance** (`diffusion.Model.predict`): a tenth of the training images had their class
replaced by "no class", so one network predicts both $v(x_t, y)$ and $v(x_t, \varnothing)$.
Sampling uses $v = v(x_t, \varnothing) + w\,\big(v(x_t, y) - v(x_t, \varnothing)\big)$: $w = 0$ ignores
the class, $w = 1$ is the plain conditional model, $w > 1$ exaggerates what makes a 3 a 3 —
cleaner, more typical images at the price of variety, and two network passes per step.

**Start from a drawing** (SDEdit, Meng et al. 2022): noise your drawing to a middle timestep
and denoise from there — the noise hides the wobbly details, the model redraws them.
"""


def _plot(t: int | None, timesteps: list[int] | None = None):
    abar = denoising.schedule()
    title = "signal left: abar_t" + (f" = {abar[t]:.3f} at t = {t}" if t is not None else "")
    return render.curve(abar, t, title, "timestep t (0: clean ... 999: pure noise)", marks=timesteps)


def _stats(frame: denoising.Frame) -> str:
    if frame.result is None:
        return f"Step {frame.index} of {frame.steps} (t = {frame.t}) · {frame.seconds:.2f} s of model time"
    r = frame.result
    return (f"**{len(r.images)} images in {r.seconds:.2f} s** of model time · {r.nfe} network evaluations "
            f"each · the classifier agrees on {int((r.predicted == r.labels).sum())}/{len(r.images)} · "
            f"seed {r.seed}")


def build(dataset: gr.Radio) -> None:
    gr.Markdown(f"**{diffusion.SUMMARY}**")
    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            label, n, seed, options, go, stop = live_controls(dataset, FAMILY, denoising.MAX_N)
        with gr.Column(scale=2):
            with gr.Row():
                noisy = picture(label="x_t: the images being denoised")
                clean = picture(label="x_0: what the network thinks they will become")
            plot = picture(_plot(None), label="The noise schedule")
            stats = gr.Markdown()
    with gr.Accordion("Start from a drawing (SDEdit)", open=True):
        with gr.Row():
            with gr.Column(scale=1, min_width=300):
                picker = start_picker(dataset)
                strength = gr.Slider(0, 1, value=0.6, step=0.05, label="Strength",
                                     info="how far towards pure noise the start goes before denoising (0: not at all)")
                edit_go = gr.Button("Denoise it", variant="primary")
            with gr.Column(scale=2):
                edited = picture(label="The start · noised · denoised four times "
                                       "(captions: what the classifier sees)")
                edit_text = gr.Markdown()
    with gr.Accordion("How many steps?", open=False):
        compare_go = gr.Button("Compare 5, 10, 25 and 50 steps")
        compared = picture(label="The same seed and start noise at each step count")
        compare_text = gr.Markdown()

    @user_errors
    @api_names("dataset", "label", "n", "seed", *NAMES)
    def generate(dataset_key, label_value, n_value, seed_value, *option_values):
        opts = dict(zip(NAMES, option_values))
        timesteps = []

        def visited(frames):  # every step's timestep is plotted, also those not sent
            for frame in frames:
                timesteps.append(frame.t)
                yield frame

        for frame in throttled(visited(denoising.denoise(dataset_key, label_value, n_value, seed_value, **opts))):
            chart = _plot(frame.t, timesteps)
            if frame.result is None:
                yield (render.grid(frame.noisy, scale=4, top=LABEL_ROOM), render.grid(frame.predicted, scale=4, top=LABEL_ROOM), chart,
                       _stats(frame))
            else:
                r = frame.result
                sheet = render.grid(r.images, r.captions(), scale=4, marks=list(r.predicted == r.labels), top=LABEL_ROOM)
                yield sheet, render.grid(frame.predicted, scale=4, top=LABEL_ROOM), chart, _stats(frame)

    @user_errors
    @api_names("dataset", *START, "strength", "seed", *NAMES)
    def edit(dataset_key, source_value, label_value, which, sketch, s, seed_value, *option_values):
        opts = dict(zip(NAMES, option_values))
        start, label_id, origin = picked_start(dataset_key, source_value, label_value, which, sketch)
        out = denoising.edit(dataset_key, start, label_id, s, 4, seed_value, **opts)
        tiles = np.concatenate([start[None], out["noised"][None], out["results"]])
        sheet = render.grid(tiles, ["start", f"noised to {float(s):.0%}", *out["captions"]], scale=4,
                            cols=len(tiles), marks=[True, True, *out["agree"]], top=LABEL_ROOM)
        name = pipeline.class_names(dataset_key)[label_id]
        return sheet, (f"Started from {origin}, class **{name}**: {out['steps']} denoising steps, "
                       f"{out['seconds']:.2f} s.")

    @user_errors
    @api_names("dataset", "label", "seed", "sampler", "steps_unused", "guidance")
    def compare(dataset_key, label_value, seed_value, sampler, _steps, guidance):
        """A row per step count, shown as soon as it is done (the fewest steps first)."""
        results, lines = [], []
        for steps, r in zip(denoising.COMPARED_STEPS,
                            denoising.compare_steps(dataset_key, label_value, seed_value, 4, sampler, guidance)):
            results.append(r)
            lines.append(f"{steps} steps: {r.seconds:.2f} s, {r.nfe} network evaluations per image, the classifier "
                         f"agrees on {int((r.predicted == r.labels).sum())}/4")
            marks = [bool(m) for done in results for m in (done.predicted == done.labels)]
            captions = [c for done in results for c in done.captions()]
            sheet = render.grid(np.concatenate([done.images for done in results]), captions, scale=4, cols=4,
                                marks=marks, top=LABEL_ROOM)
            coming = len(denoising.COMPARED_STEPS) - len(results)
            yield sheet, ("Rows, top to bottom:\n\n" + "\n".join(f"- {line}" for line in lines)
                          + (f"\n\n*{coming} more row{'s' if coming > 1 else ''} coming…*" if coming else ""))

    event = go.click(generate, [dataset, label, n, seed, *options], [noisy, clean, plot, stats],
                     api_name="denoise_diffusion", concurrency_id=MODEL_QUEUE)
    stop.click(None, None, None, cancels=[event], queue=False, api_visibility="private")
    edit_go.click(edit, [dataset, *picker, strength, seed, *options], [edited, edit_text],
                  api_name="sdedit_diffusion", concurrency_id=MODEL_QUEUE)
    compare_go.click(compare, [dataset, label, seed, *options], [compared, compare_text],
                     api_name="compare_steps_diffusion", concurrency_id=MODEL_QUEUE)
    how_it_works(HOW)
