"""The Diffusion tab: watch noise become an image, step by step; start from a drawing; see what
fewer steps cost."""
from __future__ import annotations

import gradio as gr
import numpy as np

from .. import denoising, pipeline, render
from ..models import diffusion
from .common import (LABEL_ROOM, MODEL_QUEUE, START, api_names, how_it_works, live_controls, option_names,
                     picked_start, start_picker, denoised_pictures, stream_stats, throttled, user_errors)
from . import replay
from .picture import picture

FAMILY = "diffusion"
NAMES = option_names(FAMILY)
GUIDE = ("guidance", "guide_from", "guide_to")  # the options the guidance trade-off plot follows
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

**Sampling** walks back from pure noise with a *scheduler*; all three use the same network:
- DDPM (`DDPMScheduler.step`) draws $x_s \sim q(x_s \mid x_t, \hat x_0)$, a Gaussian around
  $\frac{\sqrt{\bar\alpha_s}\,\beta}{1-\bar\alpha_t}\hat x_0 + \frac{\sqrt{\alpha}\,(1-\bar\alpha_s)}{1-\bar\alpha_t} x_t$
  with $\alpha = \bar\alpha_t / \bar\alpha_s$, $\beta = 1 - \alpha$: fresh noise at every step.
- DDIM (`DDIMScheduler.step`) sets $x_s = \sqrt{\bar\alpha_s}\,\hat x_0 + \sqrt{1-\bar\alpha_s}\,\hat\epsilon$:
  no new noise, so the same seed gives the same image, and 25 steps do what DDPM needs hundreds for.
- DPM-Solver++(2M) (`DPMSolverScheduler.step`, Lu et al. 2022, the default) solves the same ODE
  as DDIM in $\lambda_t = \log(\alpha_t / \sigma_t)$ with $\alpha_t = \sqrt{\bar\alpha_t}$,
  $\sigma_t = \sqrt{1-\bar\alpha_t}$: $x_s = \frac{\sigma_s}{\sigma_t} x_t - \alpha_s (e^{-h} - 1)\, D$ with
  $h = \lambda_s - \lambda_t$ and $D = \hat x_0 + \frac{1}{2r}(\hat x_0 - \hat x_0^{\text{prev}})$,
  $r = h_{\text{prev}} / h$: it reuses the previous step's guess to take a second-order step for
  the price of one network pass (the same images as diffusers' `DPMSolverMultistepScheduler`).
  Its steps are spread evenly in $\lambda$ from $-5$ to $5$ (`spacing="logsnr"`; the dots on the
  plot): evenly spaced $t$ would end with one jump from $t = 100$, where some noise is left, to
  the clean image, and blur it.

**Guidance** (`diffusion.Model.predict`): a tenth of the training images had their class
replaced by "no class", so one network predicts both $v(x_t, y)$ and $v(x_t, \varnothing)$.
Sampling uses $v = v(x_t, \varnothing) + w\,\big(v(x_t, y) - v(x_t, \varnothing)\big)$: $w = 0$ ignores
the class, $w = 1$ is the plain conditional model, $w > 1$ exaggerates what makes a 3 a 3 —
cleaner, more typical images at the price of variety, and two network passes per step.
The plot above measures that trade-off: FID (how far the samples are, as a set, from real
images) against class accuracy, at each scale. Guidance can also act only in an *interval* of
noise levels (`diffusion.Model.guided`, Kynkäänniemi et al. 2024): at the noisiest steps it drags
every sample towards the same typical image, at the last ones there is nothing left to decide;
outside the interval the step takes the plain conditional model, one pass.

**Start from a drawing** (SDEdit, Meng et al. 2022): noise your drawing to a middle timestep
and denoise from there — the noise hides the wobbly details, the model redraws them.
"""


def _plot(t: int | None, timesteps: list[int] | None = None):
    abar = denoising.schedule(FAMILY)
    title = "signal left: abar_t" + (f" = {abar[t]:.3f} at t = {t}" if t is not None else "")
    return render.curve(abar, t, title, "timestep t (0: clean ... 999: pure noise)", marks=timesteps)


def _tradeoff(dataset_key: str, guidance, guide_from, guide_to):
    """The guidance sweep from the card as a plot (FID and class accuracy against the scale,
    guidance everywhere; rings: the same scales in the limited interval), the current scale
    marked, and a line that reads the numbers of the nearest measured setting."""
    sweep = denoising.guidance_sweep(FAMILY, dataset_key)
    if not sweep:
        return None, "No guidance sweep in this checkpoint's card yet (`python benchmarks/guidance_sweep.py`)."
    rows = sweep["rows"]
    full = [r for r in rows if (r["guide_from"], r["guide_to"]) == (1.0, 0.0)]
    limited = [r for r in rows if r not in full]
    w = float(guidance)
    chart = render.tradeoff([r["guidance"] for r in full], [r["fid"] for r in full],
                            [r["class_accuracy"] for r in full], w,
                            f"Guidance: quality against variety ({sweep['n']:,} samples each)",
                            "guidance scale w (rings: guided only in the interval "
                            f"{limited[0]['guide_to']:g} to {limited[0]['guide_from']:g} of t/T)" if limited else
                            "guidance scale w", "FID (lower is better)", "class accuracy",
                            others=[(r["guidance"], r["fid"]) for r in limited])
    here = min(rows, key=lambda r: (abs(r["guidance"] - w) + abs(r["guide_from"] - float(guide_from))
                                    + abs(r["guide_to"] - float(guide_to))))
    best = min(rows, key=lambda r: r["fid"])

    def said(r):
        return (f"w = {r['guidance']:g}, guided at t/T {r['guide_to']:g}–{r['guide_from']:g}: FID **{r['fid']:.1f}** "
                f"(floor {r['fid_floor']:.1f}), class accuracy {r['class_accuracy']:.1%}, precision "
                f"{r['precision']:.2f}, recall {r['recall']:.2f}, {r['nfe']} network evaluations")

    return chart, (f"Nearest measured setting — {said(here)}.\n\nLowest FID of the sweep — {said(best)}.\n\n"
                   "More guidance makes every image more surely its class (green) but more alike: past the "
                   "lowest point FID rises again because the samples no longer cover the data's variety "
                   f"(measured with {sweep['sampler']} in {sweep['steps']} steps).")


def _stats(frame: pipeline.Frame) -> str:
    return stream_stats(frame, f"Step {frame.done} of {frame.total} (t = {frame.t})")


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
    recorded = replay.panel(gr.State([]), "diffusion")
    with gr.Accordion("Guidance: quality against variety", open=True):
        with gr.Row():
            defaults = {o.name: o.default for o in diffusion.OPTIONS}
            first_chart, first_text = _tradeoff(dataset.value, *(defaults[k] for k in GUIDE))
            tradeoff = picture(first_chart, label="The guidance sweep, the current scale in red")
            tradeoff_text = gr.Markdown(first_text)
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
    @replay.recording
    def generate(dataset_key, label_value, n_value, seed_value, *option_values, tape):
        opts = dict(zip(NAMES, option_values))
        timesteps = []

        def visited(frames):  # every step's timestep is plotted, also those not sent
            for frame in frames:
                timesteps.append(frame.t)
                yield frame

        for frame in throttled(visited(denoising.denoise(FAMILY, dataset_key, label_value, n_value, seed_value,
                                                         **opts)), tape=tape):
            yield *denoised_pictures(frame), _plot(frame.t, timesteps), _stats(frame)

    @user_errors
    @api_names("dataset", *START, "strength", "seed", *NAMES)
    def edit(dataset_key, source_value, label_value, which, sketch, s, seed_value, *option_values):
        opts = dict(zip(NAMES, option_values))
        start, label_id, origin = picked_start(dataset_key, source_value, label_value, which, sketch)
        out = denoising.edit(FAMILY, dataset_key, start, label_id, s, 4, seed_value, **opts)
        tiles = np.concatenate([start[None], out["noised"][None], out["results"]])
        sheet = render.grid(tiles, ["start", f"noised to {float(s):.0%}", *out["captions"]], scale=4,
                            cols=len(tiles), marks=[True, True, *out["agree"]], top=LABEL_ROOM)
        name = pipeline.class_names(dataset_key)[label_id]
        return sheet, (f"Started from {origin}, class **{name}**: {out['steps']} denoising steps, "
                       f"{out['seconds']:.2f} s.")

    @user_errors
    @api_names("dataset", "label", "seed", *(name for name in NAMES if name != "steps"))
    def compare(dataset_key, label_value, seed_value, *option_values):
        """A row per step count, shown as soon as it is done (the fewest steps first)."""
        opts = dict(zip((name for name in NAMES if name != "steps"), option_values))
        results, lines = [], []
        for steps, r in zip(denoising.COMPARED_STEPS,
                            denoising.compare_steps(FAMILY, dataset_key, label_value, seed_value, 4, **opts)):
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

    event = go.click(generate, [dataset, label, n, seed, *options], [noisy, clean, plot, stats, recorded],
                     api_name="denoise_diffusion", concurrency_id=MODEL_QUEUE)
    stop.click(None, None, None, cancels=[event], queue=False, api_visibility="private")
    edit_go.click(edit, [dataset, *picker, strength, seed, *options], [edited, edit_text],
                  api_name="sdedit_diffusion", concurrency_id=MODEL_QUEUE)
    steps_free = [o for name, o in zip(NAMES, options) if name != "steps"]  # the comparison sets the steps
    compare_go.click(compare, [dataset, label, seed, *steps_free], [compared, compare_text],
                     api_name="compare_steps_diffusion", concurrency_id=MODEL_QUEUE)
    guide = [options[NAMES.index(name)] for name in GUIDE]
    for trigger in (dataset.change, *(o.change for o in guide)):
        trigger(user_errors(_tradeoff), [dataset, *guide], [tradeoff, tradeoff_text], api_visibility="private",
                show_progress="hidden")
    how_it_works(HOW)

