"""The MaskGIT tab: watch 49 tokens being written many at a time, see which step fixed each
one, race the Transformer tab's GPT on the same class and seed, and fill in any region of an image."""
from __future__ import annotations

import gradio as gr
import numpy as np
from PIL import Image

from .. import drawing, painting, pipeline, render
from ..models import maskgit
from .common import (LABEL_ROOM, MODEL_QUEUE, START, api_names, how_it_works, live_controls,
                     option_names, picked_start, result_sheet, start_picker, stream_stats, throttled, user_errors)
from . import replay
from .picture import picture

FAMILY = "maskgit"
RIVAL = "transformer"  # the same tokens, one at a time
NAMES = option_names(FAMILY)
EDITOR_SIDE = 280  # the inpainting canvas: 40 px a token
HOW = r"""
**The same tokens, another order.** The Transformer tab's VQ-VAE turns an image into a 7×7 grid
of codebook ids, and this family reuses it as it is (its weights are copied from that checkpoint
and frozen, `maskgit.Trainer.build_on`). The GPT writes the 49 tokens in reading order, one per
step, each seeing only the ones before it. MaskGIT (Chang et al. 2022) writes them **many at a
time, in any order**.

**Training: fill in the blanks** (`maskgit.masked_token_loss`), as BERT does with words. Hide a
random share $\gamma(u) = \cos(\pi u / 2)$ of an image's tokens ($u$ uniform, so anything from one
token to all 49 is hidden) behind a [MASK] token, and teach a *bidirectional* Transformer — no
causal mask: every position reads every other — to predict them from the class $y$ and the
visible tokens:

$$\mathcal{L} = -\,\mathbb{E}_{u,\,M}\sum_{i \in M} \log p_\theta\big(t_i \mid y,\ t_{\setminus M}\big).$$

**Sampling: the surest first** (`maskgit.Model.decode`). Start with all 49 masked. At step
$k$ of $K$, predict every masked token at once, draw a value for each (*temperature*), and keep
the ones the model is surest of, so that $\lfloor 49\,\gamma(k/K) \rfloor$ stay masked
(`maskgit.still_masked`). The cosine schedule fixes few tokens first, when little is known, and
many at the end (for $K = 8$: 1, 3, 5, 6, 7, 9, 9, 9). A fixed token is never changed. The
confidence is the log-probability of the value drawn plus Gumbel noise scaled by *choice
randomness* × $(1 - k/K)$, so the first steps do not all fix the same easy background tokens.
*Guidance* mixes the prediction with the class and without it, as the diffusion tabs do.

**What it buys**: 8 network passes instead of 49 sequential steps. Each pass reads all 50
positions, so the arithmetic is not smaller — the GPT's key/value cache makes its steps tiny — but
the steps are fewer and each is one large batched computation, which is what parallel hardware
(and a CPU's vector units) does best: the race below measures both on this machine. And since
any token can be the one predicted, MaskGIT can **fill in any region** of an image; the GPT can
only continue one, in reading order (the Transformer tab's *Complete it*).
"""


def _stats(frame: pipeline.Frame) -> str:
    return stream_stats(frame, f"Step {frame.done} of {frame.total}: "
                               f"{int((frame.tokens[0] >= 0).sum())} of 49 tokens fixed",
                        "{nfe} network passes (the last one the decoder) each")


def _race(dataset_key, label_value, n_value, seed_value, opts):
    """MaskGIT and the GPT on the same classes and seed, each timed without drawing its steps."""
    ours = pipeline.generate(FAMILY, dataset_key, label_value, n_value, seed_value, **opts)
    theirs = pipeline.generate(RIVAL, dataset_key, label_value, n_value, seed_value)
    sheet = render.stack([result_sheet(ours, scale=3), result_sheet(theirs, scale=3)])
    steps = int(opts.get("steps", maskgit.OPTIONS[0].default))
    return sheet, (f"**MaskGIT: {len(ours.images)} images in {ours.seconds * 1000:.0f} ms** ({steps} parallel "
                   f"steps, {ours.nfe} network passes each) · **the GPT: {theirs.seconds * 1000:.0f} ms** (49 "
                   f"steps with its KV cache, {theirs.nfe} passes) · {theirs.seconds / ours.seconds:.1f}× "
                   f"· the classifier agrees on {int((ours.predicted == ours.labels).sum())} and "
                   f"{int((theirs.predicted == theirs.labels).sum())} of {len(ours.images)}. Same seed, same "
                   "classes; the top grid is MaskGIT's, the bottom one the GPT's.")


def _editor_value(start: np.ndarray) -> dict:
    big = Image.fromarray(start).resize((EDITOR_SIDE, EDITOR_SIDE), Image.NEAREST).convert("RGBA")
    return {"background": big, "layers": [], "composite": big}


def _strokes(region):
    """The user's strokes from the editor's value (its layers), or None."""
    if not isinstance(region, dict):
        return region
    return region.get("layers") or None


def build(dataset: gr.Radio) -> None:
    gr.Markdown(f"**{maskgit.SUMMARY}**")
    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            label, n, seed, options, go, stop = live_controls(dataset, FAMILY, pipeline.STREAM_MAX_N)
        with gr.Column(scale=2):
            with gr.Row():
                canvas = picture(label="Tokens fixed so far, decoded (blue: still masked)", scale=3)
                order = picture(label="Image 1: the step that fixed each token", scale=2)
            preview = picture(label="This step's guess for every masked token, decoded")
            stats = gr.Markdown()
    recorded = replay.panel(gr.State([]), "maskgit")
    with gr.Accordion("Race the GPT: the same classes and seed, 49 steps one token at a time", open=True):
        race = picture(label="MaskGIT (top) and the Transformer tab's GPT (bottom)")
        race_text = gr.Markdown("Press **Generate** above: when it is done, both models draw the same classes "
                                "with the same seed and are timed without drawing their steps.")
    with gr.Accordion("Inpaint anything: paint over any part of an image, MaskGIT fills it in", open=True):
        with gr.Row():
            with gr.Column(scale=1, min_width=300):
                picker = start_picker(dataset)
                show = gr.Button("Put it on the canvas")
                count = gr.Slider(1, painting.MAX_COMPLETIONS, value=5, step=1, label="Completions")
                fill = gr.Button("Fill it in", variant="primary")
                gr.Markdown("Fill-ins use the seed and options above. The GPT of the Transformer tab can only "
                            "continue an image in reading order: it cannot fill a hole with the rest kept.")
            with gr.Column(scale=2):
                region = gr.ImageEditor(value=_editor_value(painting.start_image(dataset.value, 7)[0]),
                                        label="Paint over the part to fill in (each 40×40 square is one token)",
                                        canvas_size=(EDITOR_SIDE, EDITOR_SIDE), image_mode="RGBA", format="png",
                                        type="numpy", layers=False, sources=(), transforms=(),
                                        brush=gr.Brush(default_size=30, colors=["#e03030"], color_mode="fixed"))
                filled = picture(label="The start · the tokens MaskGIT is given (blue: to fill) · its fill-ins")
                filled_text = gr.Markdown()

    @user_errors
    @api_names("dataset", "label", "n", "seed", *NAMES)
    @replay.recording
    def generate(dataset_key, label_value, n_value, seed_value, *option_values, tape):
        opts = dict(zip(NAMES, option_values))
        steps = int(opts["steps"])
        frames = pipeline.stream(FAMILY, dataset_key, label_value, n_value, seed_value, **opts)
        for frame in throttled(frames, tape=tape):
            fixed = render.step_map(frame.fixed[0], steps, top=LABEL_ROOM)
            guess = render.grid(frame.preview, scale=4, top=LABEL_ROOM)
            if frame.result is None:
                now = render.grid(render.patches(frame.images, frame.tokens, cursor=False), scale=4, top=LABEL_ROOM)
                yield now, fixed, guess, _stats(frame), gr.skip(), gr.skip()
            else:
                yield (result_sheet(frame.result), fixed, guess, _stats(frame),
                       *_race(dataset_key, label_value, n_value, seed_value, opts))

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
        sheet = render.grid(tiles, ["start", f"{out['hidden']} tokens to fill", *out["captions"]], scale=4,
                            cols=len(tiles), marks=[True, True, *out["agree"]], top=LABEL_ROOM)
        name = pipeline.class_names(dataset_key)[label_id]
        return sheet, (f"Started from {origin}, class **{name}**: {out['hidden']} of 49 tokens filled in "
                       f"{len(out['completions'])} times in {out['seconds']:.2f} s.")

    event = go.click(generate, [dataset, label, n, seed, *options],
                     [canvas, order, preview, stats, race, race_text, recorded],
                     api_name="decode_maskgit", concurrency_id=MODEL_QUEUE)
    stop.click(None, None, None, cancels=[event], queue=False, api_visibility="private")
    show.click(put_on_canvas, [dataset, *picker], region, api_visibility="private", concurrency_id=MODEL_QUEUE)
    fill.click(inpaint, [dataset, *picker, region, count, seed, *options], [filled, filled_text],
               api_name="inpaint_maskgit", concurrency_id=MODEL_QUEUE)
    how_it_works(HOW, render.step_map(np.array([[k] for k in range(1, 9)]).T, 8, side=320),
                 "The colours of the step map: step 1 (light) to step 8 (deep); dark: still masked")
