"""The Transformer tab: watch a GPT write an image token by token, see the tokens and the
next-token probabilities, send an image through the tokenizer, let the Transformer finish it."""
from __future__ import annotations

import functools

import gradio as gr
import numpy as np

from .. import charts, explore, painting, pipeline, render
from ..models import transformer
from . import i18n, lesson
from .controls import START, option_names, picked_start, start_picker
from .handlers import LONG, QUICK, api_names, user_errors
from .panels import LABEL_ROOM, completion_sheet, how_it_works, result_sheet
from .live import Run, View, live_panel, stream_stats
from .picture import picture
from .i18n import Local, add, say, tr

FAMILY = "transformer"
TOP = 10  # next-token bars shown


def mask_picture():
    cells = render.cells(transformer.attended(12), {0: (245, 245, 245), 1: (90, 120, 190)}, side=240)
    return render.grid(cells[None], scale=1, pad=10, top=LABEL_ROOM)


def _next_token_bars(frame: pipeline.Frame, codes: int):
    """The ``TOP`` likeliest tokens of image 1's last step, with the drawn one among them."""
    order = list(np.argsort(-frame.probs)[:TOP])
    if frame.value not in order:
        order[-1] = frame.value
    r, c = divmod(frame.position, transformer.GRID)
    colours = render.token_colours(codes)
    return charts.bars(frame.probs[order], order.index(frame.value),
                       i18n.drawn("Image 1, token {token} (row {row}, column {col}): p(next token | before)",
                                   token=frame.position + 1, row=r + 1, col=c + 1),
                       swatches=colours[order], names=[str(t) for t in order],
                       axis=i18n.drawn("token id (top {k})", k=TOP),
                       tallest=max(float(frame.probs.max()), 0.05))


def _stats(frame: pipeline.Frame) -> str:
    # the cost is an English template over {nfe}; its Chinese is keyed by the 49 tokens of an image
    return stream_stats(frame, say("Token {done} of {total} per image", done=frame.done, total=frame.total),
                        f"{frame.total} Transformer steps + 1 decoder pass each")


def _codes(run: Run) -> int:
    return pipeline.load_model(FAMILY, run.dataset).config.codes


def _canvas(frame: pipeline.Frame, run: Run):
    if frame.result is None:
        return render.grid(render.patches(frame.images, frame.extras["tokens"]), scale=5, top=LABEL_ROOM)
    return result_sheet(frame.result, scale=5)


def _views() -> list[View]:
    with gr.Row():
        canvas = picture(label=tr("Decoded so far (blue: tokens not written yet · red: the next one)"), scale=3)
        tokens = picture(label=tr("Image 1 as tokens (codebook ids)"), scale=2)
    bars = picture(label=tr("The Transformer's next-token probabilities"))
    return [View(canvas, _canvas),
            View(tokens, lambda frame, run: render.token_map(frame.extras["tokens"][0], _codes(run), top=LABEL_ROOM)),
            View(bars, lambda frame, run: _next_token_bars(frame, _codes(run)))]


def build(dataset: gr.Radio) -> None:
    live = live_panel(FAMILY, dataset, _views, _stats, former="paint_transformer",
                      frames=functools.partial(painting.paint, every=1))
    with gr.Accordion(tr("Round trip and Complete it"), open=True):
        with gr.Row():
            with gr.Column(scale=1, min_width=300):
                picker = start_picker(dataset)
                trip = gr.Button(tr("Tokenise and decode"))
                rows = gr.Slider(*painting.rows_range(FAMILY), value=3, step=1, label=tr("Token rows to keep (k)"),
                                 info=tr("of 7; each is a 4-pixel band of the image. The Transformer writes the rest"))
                count = gr.Slider(1, painting.MAX_COMPLETIONS, value=5, step=1, label=tr("Completions"))
                finish = gr.Button(tr("Complete it"), variant="primary")
                gr.Markdown(tr("Completions use the seed and sampling options above."))
            with gr.Column(scale=2):
                trip_image = picture(label=tr("The image · its 49 tokens · the image decoded from them"))
                trip_text = gr.Markdown()
                completed = picture(label=tr("The start decoded · the top k token rows the Transformer is given · "
                                             "its completions (captions: what the classifier sees)"))
                done_text = gr.Markdown()

    @user_errors
    @api_names("dataset", *START)
    def round_trip(dataset_key, *picked):
        start, label_id, origin = picked_start(dataset_key, *picked)
        out = explore.round_trip(FAMILY, dataset_key, start)
        side = 28 * 6
        tokens_img = np.asarray(render.token_map(out["tokens"], out["codes"], side=side).resize((side, side)))
        pics = [np.asarray(render.grid(im[None], scale=6, pad=0)) for im in (start, out["reconstruction"])]
        captions = i18n.drawn_captions(["image (784 pixels)", "49 tokens", "decoded"])
        sheet = render.grid(np.stack([pics[0], tokens_img, pics[1]]), captions, scale=1, cols=3, top=LABEL_ROOM)
        bits = 49 * np.log2(out["codes"])
        where = origin.capitalize() if i18n.visitor() == i18n.DEFAULT else i18n.translated(origin)
        return sheet, say("{origin}, class **{name}**: 784 grey values (6,272 bits) → 49 tokens of {codes} possible "
                          "({bits:.0f} bits) → decoded with mean squared error {mse:.4f}.", origin=where,
                          name=Local(pipeline.class_names(dataset_key)[label_id]), codes=out["codes"], bits=bits,
                          mse=out["mse"])

    @user_errors
    @api_names("dataset", *START, "rows", "count", "seed", *option_names(FAMILY))
    def complete(dataset_key, source_value, label_value, which, sketch, k, m, seed_value, *option_values):
        opts = dict(zip(option_names(FAMILY), option_values))
        start, label_id, origin = picked_start(dataset_key, source_value, label_value, which, sketch)
        out = painting.complete(FAMILY, dataset_key, start, label_id, k, m, seed_value, **opts)
        recon = explore.round_trip(FAMILY, dataset_key, start)["reconstruction"]
        labels = (i18n.drawn("start, decoded"), i18n.drawn("top {k} token rows", k=int(k)))
        return completion_sheet(dataset_key, recon, labels, out, label_id, origin)

    trip.click(round_trip, [dataset, *picker], [trip_image, trip_text], api_name="round_trip_transformer",
               concurrency_id=QUICK)
    finish.click(complete, [dataset, *picker, rows, count, live.seed, *live.options], [completed, done_text],
                 api_name="complete_transformer", concurrency_id=LONG)
    how_it_works("transformer", mask_picture(), "The causal mask, from transformer.attention: row i is position i "
                 "(the class, then tokens 1-11), blue the positions it attends to")


add({
    # drawn under the pictures
    "start, decoded": "起点（解码后）", "top {k} token rows": "上方 {k} 行词元",
    "image (784 pixels)": "图像（784 个像素）", "49 tokens": "49 个词元", "decoded": "解码后",
    "Decoded so far (blue: tokens not written yet · red: the next one)": "目前解码的结果（蓝色：尚未写出的词元 · 红色：下一个）",
    "Image 1 as tokens (codebook ids)": "第 1 张图像的词元（码本编号）",
    "The Transformer's next-token probabilities": "Transformer 给出的下一个词元的概率",
    "Round trip and Complete it": "往返与补全",
    "Tokenise and decode": "分词再解码",
    "Token rows to keep (k)": "保留的词元行数（k）",
    "of 7; each is a 4-pixel band of the image. The Transformer writes the rest":
        "共 7 行；每行是图像中 4 像素高的一条。其余由 Transformer 写出",
    "Completions": "补全数量",
    "Complete it": "补全",
    "Completions use the seed and sampling options above.": "补全使用上面的随机种子和采样选项。",
    "The image · its 49 tokens · the image decoded from them": "图像 · 它的 49 个词元 · 从词元解码出的图像",
    "The start decoded · the top k token rows the Transformer is given · its completions (captions: what the "
    "classifier sees)": "解码后的起点 · Transformer 拿到的最上面 k 行词元 · 它的补全（图注：分类器看到的类别）",
    "Image 1, token {token} (row {row}, column {col}): p(next token | before)":
        "第 1 张图像，第 {token} 个词元（第 {row} 行第 {col} 列）：p(下一个词元 | 之前)",
    "token id (top {k})": "词元编号（前 {k} 个）",
    "Token {done} of {total} per image": "每张图像第 {done} 个词元，共 {total} 个",
    "49 Transformer steps + 1 decoder pass each": "每张 49 步 Transformer + 1 次解码器计算",
    "{origin}, class **{name}**: 784 grey values (6,272 bits) → 49 tokens of {codes} possible ({bits:.0f} bits) → "
    "decoded with mean squared error {mse:.4f}.": "{origin}，类别 **{name}**：784 个灰度值（6,272 比特）→ 49 个词元，"
                                                  "每个有 {codes} 种可能（{bits:.0f} 比特）→ 解码后的均方误差为 {mse:.4f}。",
    "The causal mask, from transformer.attention: row i is position i (the class, then tokens 1-11), blue the "
    "positions it attends to": "因果掩码，取自 transformer.attention：第 i 行是位置 i（先是类别，然后是词元 1-11），"
                               "蓝色是它关注的位置",
})


LESSON = (  # this family's steps of the Lesson tab (genimg/ui/lesson.py)
    lesson.Step("transformer", "4 · Transformer: an image as 49 words", {"label": 5, "n": 4},
                "Open the Transformer tab and press Generate; look at the coloured token map.",
                "How many steps does the GPT take to write one image?",
                ("784", "49", "1"), 1,
                "49: a VQ-VAE turns each 4×4 patch into one of 128 codes, so an image is a 7×7 grid of "
                "tokens, written one after another like words, then decoded in one pass."),
)

add({  # the lesson steps' words
    "4 · Transformer: an image as 49 words": "4 · Transformer：把图像写成 49 个词",
    "Open the Transformer tab and press Generate; look at the coloured token map.": "打开 Transformer 页面，按 生成；看彩色的词元图。",
    "How many steps does the GPT take to write one image?": "GPT 写一张图像要多少步？",
    "784": "784", "49": "49", "1": "1",
    "49: a VQ-VAE turns each 4×4 patch into one of 128 codes, so an image is a 7×7 grid of tokens, written one "
    "after another like words, then decoded in one pass.":
        "49 步：VQ-VAE 把每个 4×4 的图块变成 128 个码字之一，所以一张图像是 7×7 的词元（token）网格，"
        "像写词一样一个接一个写出来，最后一次解码成图像。",
})
