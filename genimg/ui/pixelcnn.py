"""The PixelCNN tab: watch it paint pixel by pixel, see each pixel's distribution, let it finish
an image you started."""
from __future__ import annotations

import gradio as gr
import numpy as np

from .. import painting, pipeline, render
from ..models import pixelcnn
from .common import (ALL, LABEL_ROOM, MODEL_QUEUE, START, api_names, completion_sheet, how_it_works, live_controls,
                     option_names, option_sliders, picked_start, seed_input, start_picker, stream_stats, throttled,
                     user_errors)
from . import replay
from .picture import picture

HOW = r"""
A PixelCNN treats an image as a sequence of 784 pixels in reading order and learns each one given
all the pixels before it and the class $y$:

$$p(x \mid y) \;=\; \prod_{i=1}^{784} p\big(x_i \;\big|\; x_1, \dots, x_{i-1},\, y\big)$$

Each factor is a softmax over the grey levels (the shipped models quantise the images to 8
levels, so each pixel is one of 8 classes). Training is *teacher forcing*: the network sees a real image
and predicts all 784 pixels in one pass, the loss is the cross-entropy of the true levels — the
exact negative log-likelihood, reported in bits per pixel in the model card.

**Causal masks.** For that one pass to be honest, the prediction for pixel $i$ must not see
pixel $i$ or anything after it. The original PixelCNN zeroes the convolution weights that would
look ahead (picture, left): *mask A* in the first layer also hides the centre pixel; *mask B*
in later layers may use the centre, which by then only carries information about earlier pixels.

**The blind spot and the gated stacks.** Stacking masked 3×3 convolutions never reaches the
pixels up and to the right (third picture: computed by gradients through a random masked net).
The Gated PixelCNN (van den Oord et al. 2016) splits every layer into a **vertical stack** that
sees whole rows above and a **horizontal stack** that sees the current row to the left and
receives the vertical stack's summary — together they see every earlier pixel (fourth picture,
from this app's own code, `pixelcnn.receptive_field`). Each layer is gated:
$\tanh(W_f * x + V_f * s_y) \odot \sigma(W_g * x + V_g * s_y)$, where $s_y$ is a learned 28×28
map for class $y$ (`Model.class_map`): the class enters every layer, and with it *where* in the
image the layer is, which convolutions alone cannot tell.

**Sampling needs one network step per pixel**: pixel $i$ can only be drawn once pixels
$1..i-1$ are known, so an image takes 784 sequential steps (a GAN or VAE needs one). The
textbook sampler re-runs the whole network on the whole canvas each time; genimg keeps each
layer's earlier results and computes only what the new pixel changes (`pixelcnn_sampler.py`),
which gives the same numbers far faster. *Temperature* divides the logits: below 1 the likeliest
level wins more often (cleaner but duller strokes), above 1 the unlikely ones get more chances.
"""
MASK_COLOURS = {pixelcnn.UNSEEN: (245, 245, 245), pixelcnn.SEEN: (90, 120, 190),
                pixelcnn.TARGET: (230, 40, 40), pixelcnn.SEEN + pixelcnn.TARGET: (160, 60, 170)}


def masks_picture():
    maps = [pixelcnn.mask("A"), pixelcnn.mask("B"), pixelcnn.receptive_field(False),
            pixelcnn.receptive_field(True)]
    captions = ["mask A (first layer)", "mask B (later layers)", "4 masked layers",
                "4 gated layers"]
    return render.grid(np.stack([render.cells(m, MASK_COLOURS) for m in maps]), captions, scale=1,
                       pad=10, top=LABEL_ROOM)


def _stats(frame: pipeline.Frame) -> str:
    return stream_stats(frame, f"Row {frame.done // 28} of 28 · {frame.done} of 784 pixels per image",
                        "784 network steps each")


def build(dataset: gr.Radio) -> None:
    gr.Markdown(f"**{pixelcnn.SUMMARY}** Each of the 784 pixels is drawn from a distribution the "
                "network predicts from every pixel before it.")
    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            label, n, seed, (temperature,), go, stop = live_controls(dataset, "pixelcnn", painting.PAINT_MAX_N,
                                                                    4, "Paint")
        with gr.Column(scale=2):
            with gr.Row():
                canvas = picture(label="Canvas (blue: not drawn yet · red: the next pixel)", scale=1)
                dist = picture(label="One decision of image 1: the most uncertain pixel of the last row", scale=1)
            stats = gr.Markdown()
    recorded = replay.panel(gr.State([]), "pixelcnn")
    with gr.Accordion("Complete it", open=True):
        with gr.Row():
            with gr.Column(scale=1, min_width=300):
                picker = start_picker(dataset)
                rows = gr.Slider(*painting.rows_range("pixelcnn"), value=12, step=1, label="Rows to keep (k)",
                                 info="the model is given the top k rows and draws the rest")
                count = gr.Slider(1, painting.MAX_COMPLETIONS, value=5, step=1, label="Completions")
                c_seed = seed_input()
                (c_temperature,) = option_sliders("pixelcnn")
                c_go = gr.Button("Complete it", variant="primary")
            with gr.Column(scale=2):
                completed = picture(label="The start · the top k rows the model is given · its completions "
                                          "(captions: what the classifier sees)")
                c_text = gr.Markdown()

    @user_errors
    @api_names("dataset", "label", "n", "seed", *option_names("pixelcnn"))
    @replay.recording
    def paint(dataset_key, label_value, n_value, seed_value, temp, tape):
        names = pipeline.class_names(dataset_key)
        for frame in throttled(painting.paint("pixelcnn", dataset_key, label_value, n_value, seed_value,
                                              temperature=temp), tape=tape):
            r, c = divmod(frame.pixel, 28)
            title = (f"Row {r + 1}, column {c + 1}: p(x | pixels before it, "
                     f"{names[label_value if label_value != ALL else 0]})")
            chart = render.bars(frame.probs, frame.value, title)
            if frame.result is None:
                yield render.canvas(frame.images, frame.done, top=LABEL_ROOM), chart, _stats(frame)
            else:
                res = frame.result
                sheet = render.grid(res.images, res.captions(), scale=6, marks=list(res.predicted == res.labels),
                                    top=LABEL_ROOM)
                yield sheet, chart, _stats(frame)

    @user_errors
    @api_names("dataset", *START, "rows", "count", "seed", *option_names("pixelcnn"))
    def complete(dataset_key, source_value, label_value, which, sketch, k, m, seed_value, temp):
        start, label_id, origin = picked_start(dataset_key, source_value, label_value, which, sketch)
        out = painting.complete("pixelcnn", dataset_key, start, label_id, k, m, seed_value, temperature=temp)
        k = int(k)
        return completion_sheet(dataset_key, start, ("start", f"top {k} rows"), out, label_id, origin)

    event = go.click(paint, [dataset, label, n, seed, temperature], [canvas, dist, stats, recorded],
                     api_name="paint_pixelcnn", concurrency_id=MODEL_QUEUE)
    stop.click(None, None, None, cancels=[event], queue=False, api_visibility="private")
    c_go.click(complete, [dataset, *picker, rows, count, c_seed, c_temperature],
               [completed, c_text], api_name="complete_pixelcnn", concurrency_id=MODEL_QUEUE)
    how_it_works(HOW, masks_picture(), "Blue: what the prediction for the red pixel may use")
