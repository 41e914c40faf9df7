"""The Transformer tab: watch a GPT write an image token by token, see the tokens and the
next-token probabilities, send an image through the tokenizer, let the Transformer finish it."""
from __future__ import annotations

import gradio as gr
import numpy as np

from .. import explore, painting, pipeline, render
from ..models import transformer
from .common import (LABEL_ROOM, MODEL_QUEUE, START, api_names, completion_sheet, how_it_works, live_controls,
                     option_names, picked_start, start_picker, stream_stats, throttled, user_errors)
from . import replay
from .picture import picture

FAMILY = "transformer"
TOP = 10  # next-token bars shown
HOW = r"""
**1 · Tokens.** A VQ-VAE (van den Oord et al. 2017) turns an image into words. Its encoder
(convolutions, stride 2 twice) maps the 28×28 image to a 7×7 grid of vectors $z$; each vector is
replaced by the *nearest entry of a learned codebook* $e_1 \dots e_K$,

$$t = \arg\min_k \lVert z - e_k \rVert^2, \qquad q = e_t,$$

and the decoder turns the 7×7 grid of codebook vectors back into pixels (`vqvae.Quantizer.lookup`).
The $\arg\min$ has no gradient, so training uses the **straight-through estimator**: the decoder
gets $z + \operatorname{sg}(q - z)$, which *is* $q$ going forward but passes the decoder's gradient
straight to $z$ coming back ($\operatorname{sg}$ = stop gradient, `.detach()` in the code). A
commitment loss $\beta \lVert z - \operatorname{sg}(q) \rVert^2$ keeps the encoder near its codes;
the codebook follows the vectors that chose it (moving averages), and codes nobody picks are
restarted on real vectors so none stays dead (`vqvae.CodebookEMA`).

**2 · A language model over tokens.** The 49 tokens in reading order are a sentence, and a
decoder-only Transformer (GPT) learns $p(t_i \mid y, t_1 \dots t_{i-1})$ with the class $y$ as
the first token and a learned embedding per position. Every layer mixes positions with
causal self-attention (`transformer.attention`):

$$\operatorname{Attention}(Q, K, V) = \operatorname{softmax}\!\Big(\frac{Q K^\top}{\sqrt{d}} + M\Big)\, V,
\qquad M_{ij} = \begin{cases} 0 & j \le i \\ -\infty & j > i \end{cases}$$

so position $i$ only reads positions up to $i$ — training predicts all 49 tokens of a real image
in one pass (teacher forcing) without peeking at the answer.

**3 · Sampling with a KV cache.** Generating is 49 steps: predict, draw a token (after
*temperature*, *top-k*: keep the k likeliest, *top-p*: keep the likeliest until their probability
adds up to p), append it. A token's keys and values never change once written, so each layer
keeps them (`transformer_sampler.py`) and every step runs the network on one new position
instead of the whole prefix — the same trick that makes chat models fast.

**Why 49 and not 784.** A PixelCNN makes 784 sequential decisions per image; here 49, each
about a 4×4 patch, and self-attention's cost grows with the square of the length. Compressing
the image into a short sequence of tokens first is how large image generators scale
(VQGAN, DALL·E, Parti): the tokenizer handles the pixels, the Transformer the composition.
"""


def mask_picture():
    cells = render.cells(transformer.attended(12), {0: (245, 245, 245), 1: (90, 120, 190)}, side=240)
    return render.grid(cells[None], scale=1, pad=10, top=LABEL_ROOM)


def _next_token_bars(frame: pipeline.Frame, codes: int):
    """The ``TOP`` likeliest tokens of image 1's last step, with the drawn one among them."""
    order = list(np.argsort(-frame.probs)[:TOP])
    if frame.value not in order:
        order[-1] = frame.value
    r, c = divmod(frame.pixel, transformer.GRID)
    colours = render.token_colours(codes)
    return render.bars(frame.probs[order], order.index(frame.value),
                       f"Image 1, token {frame.pixel + 1} (row {r + 1}, column {c + 1}): p(next token | before)",
                       swatches=colours[order], names=[str(t) for t in order], axis="token id (top 10)",
                       tallest=max(float(frame.probs.max()), 0.05))


def _stats(frame: pipeline.Frame) -> str:
    return stream_stats(frame, f"Token {frame.done} of {frame.total} per image",
                        f"{frame.total} Transformer steps + 1 decoder pass each")


def build(dataset: gr.Radio) -> None:
    gr.Markdown(f"**{transformer.SUMMARY}**")
    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            label, n, seed, options, go, stop = live_controls(dataset, FAMILY, painting.PAINT_MAX_N)
        with gr.Column(scale=2):
            with gr.Row():
                canvas = picture(label="Decoded so far (blue: tokens not written yet · red: the next one)", scale=3)
                tokens = picture(label="Image 1 as tokens (codebook ids)", scale=2)
            bars = picture(label="The Transformer's next-token probabilities")
            stats = gr.Markdown()
    recorded = replay.panel(gr.State([]), "transformer")
    with gr.Accordion("Round trip and Complete it", open=True):
        with gr.Row():
            with gr.Column(scale=1, min_width=300):
                picker = start_picker(dataset)
                trip = gr.Button("Tokenise and decode")
                rows = gr.Slider(*painting.rows_range(FAMILY), value=3, step=1, label="Token rows to keep (k)",
                                 info="of 7; each is a 4-pixel band of the image. The Transformer writes the rest")
                count = gr.Slider(1, painting.MAX_COMPLETIONS, value=5, step=1, label="Completions")
                finish = gr.Button("Complete it", variant="primary")
                gr.Markdown("Completions use the seed and sampling options above.")
            with gr.Column(scale=2):
                trip_image = picture(label="The image · its 49 tokens · the image decoded from them")
                trip_text = gr.Markdown()
                completed = picture(label="The start decoded · the top k token rows the Transformer is given · "
                                          "its completions (captions: what the classifier sees)")
                done_text = gr.Markdown()

    @user_errors
    @api_names("dataset", "label", "n", "seed", *option_names(FAMILY))
    @replay.recording
    def generate(dataset_key, label_value, n_value, seed_value, *option_values, tape):
        opts = dict(zip(option_names(FAMILY), option_values))
        codes = pipeline.load_model(FAMILY, dataset_key).config.codes
        frames = painting.paint(FAMILY, dataset_key, label_value, n_value, seed_value, every=1, **opts)
        for frame in throttled(frames, tape=tape):
            chart = _next_token_bars(frame, codes)
            token_view = render.token_map(frame.tokens[0], codes, top=LABEL_ROOM)
            if frame.result is None:
                canvas_view = render.grid(render.patches(frame.images, frame.tokens), scale=5, top=LABEL_ROOM)
                yield canvas_view, token_view, chart, _stats(frame)
            else:
                res = frame.result
                sheet = render.grid(res.images, res.captions(), scale=5, marks=list(res.predicted == res.labels),
                                    top=LABEL_ROOM)
                yield sheet, token_view, chart, _stats(frame)

    @user_errors
    @api_names("dataset", *START)
    def round_trip(dataset_key, *picked):
        start, label_id, origin = picked_start(dataset_key, *picked)
        out = explore.round_trip(FAMILY, dataset_key, start)
        side = 28 * 6
        tokens_img = np.asarray(render.token_map(out["tokens"], out["codes"], side=side).resize((side, side)))
        pics = [np.asarray(render.grid(im[None], scale=6, pad=0)) for im in (start, out["reconstruction"])]
        sheet = render.grid(np.stack([pics[0], tokens_img, pics[1]]), ["image (784 pixels)", "49 tokens", "decoded"],
                            scale=1, cols=3, top=LABEL_ROOM)
        bits = 49 * np.log2(out["codes"])
        return sheet, (f"{origin.capitalize()}, class **{pipeline.class_names(dataset_key)[label_id]}**: "
                       f"784 grey values (6,272 bits) → 49 tokens of {out['codes']} possible ({bits:.0f} bits) → "
                       f"decoded with mean squared error {out['mse']:.4f}.")

    @user_errors
    @api_names("dataset", *START, "rows", "count", "seed", *option_names(FAMILY))
    def complete(dataset_key, source_value, label_value, which, sketch, k, m, seed_value, *option_values):
        opts = dict(zip(option_names(FAMILY), option_values))
        start, label_id, origin = picked_start(dataset_key, source_value, label_value, which, sketch)
        out = painting.complete(FAMILY, dataset_key, start, label_id, k, m, seed_value, **opts)
        recon = explore.round_trip(FAMILY, dataset_key, start)["reconstruction"]
        labels = ("start, decoded", f"top {int(k)} token rows")
        return completion_sheet(dataset_key, recon, labels, out, label_id, origin)

    event = go.click(generate, [dataset, label, n, seed, *options], [canvas, tokens, bars, stats, recorded],
                     api_name="paint_transformer", concurrency_id=MODEL_QUEUE)
    stop.click(None, None, None, cancels=[event], queue=False, api_visibility="private")
    trip.click(round_trip, [dataset, *picker], [trip_image, trip_text], api_name="round_trip_transformer",
               concurrency_id=MODEL_QUEUE)
    finish.click(complete, [dataset, *picker, rows, count, seed, *options], [completed, done_text],
                 api_name="complete_transformer", concurrency_id=MODEL_QUEUE)
    how_it_works(HOW, mask_picture(), "The causal mask, from transformer.attention: row i is position i "
                 "(the class, then tokens 1-11), blue the positions it attends to")
