"""The PixelCNN tab: watch it paint pixel by pixel, see each pixel's distribution, let it finish
an image you started."""
from __future__ import annotations

import gradio as gr
import numpy as np

from .. import charts, painting, pipeline, render
from ..models import pixelcnn
from . import i18n, lesson
from .controls import ALL, START, option_names, option_sliders, picked_start, seed_input, start_picker
from .handlers import LONG, api_names, user_errors
from .panels import LABEL_ROOM, completion_sheet, how_it_works, result_sheet
from .live import Run, View, live_panel, stream_stats
from .picture import picture
from .i18n import Local, add, say, tr

MASK_COLOURS = {pixelcnn.UNSEEN: (245, 245, 245), pixelcnn.SEEN: (90, 120, 190),
                pixelcnn.TARGET: (230, 40, 40), pixelcnn.SEEN + pixelcnn.TARGET: (160, 60, 170)}


def masks_picture():
    maps = [pixelcnn.mask("A"), pixelcnn.mask("B"), pixelcnn.receptive_field(False),
            pixelcnn.receptive_field(True)]
    # the figure is drawn once, as the app is built, and grid captions have a Latin font: English
    captions = ["mask A (first layer)", "mask B (later layers)", "4 masked layers",
                "4 gated layers"]
    return render.grid(np.stack([render.cells(m, MASK_COLOURS) for m in maps]), captions, scale=1,
                       pad=10, top=LABEL_ROOM)


def _stats(frame: pipeline.Frame) -> str:
    return stream_stats(frame, say("Row {row} of 28 · {done} of 784 pixels per image", row=frame.done // 28,
                                   done=frame.done), "784 network steps each")


def _canvas(frame: pipeline.Frame, run: Run):
    if frame.result is None:
        return render.canvas(frame.images, frame.done, top=LABEL_ROOM)
    return result_sheet(frame.result, scale=6)


def _decision(frame: pipeline.Frame, run: Run):
    """The distribution of the decision the frame shows, the value drawn marked."""
    r, c = divmod(frame.position, 28)
    names = pipeline.class_names(run.dataset)
    title = i18n.drawn("Row {row}, column {col}: p(x | pixels before it, {name})", row=r + 1, col=c + 1,
                        name=Local(names[run.label if run.label != ALL else 0]))
    return charts.bars(frame.probs, frame.value, title, axis=i18n.drawn("grey level (black ... white)"))


def _views() -> list[View]:
    with gr.Row():
        canvas = picture(label=tr("Canvas (blue: not drawn yet · red: the next pixel)"), scale=1)
        dist = picture(label=tr("One decision of image 1: the most uncertain pixel of the last row"), scale=1)
    return [View(canvas, _canvas), View(dist, _decision)]


def build(dataset: gr.Radio) -> None:
    live_panel("pixelcnn", dataset, _views, _stats, former="paint_pixelcnn", frames=painting.paint, n_value=4,
               button="Paint", summary=tr("**{summary}** Each of the 784 pixels is drawn from a distribution the "
                                          "network predicts from every pixel before it.",
                                          summary=Local(pixelcnn.SUMMARY)))
    with gr.Accordion(tr("Complete it"), open=True):
        with gr.Row():
            with gr.Column(scale=1, min_width=300):
                picker = start_picker(dataset)
                rows = gr.Slider(*painting.rows_range("pixelcnn"), value=12, step=1, label=tr("Rows to keep (k)"),
                                 info=tr("the model is given the top k rows and draws the rest"))
                count = gr.Slider(1, painting.MAX_COMPLETIONS, value=5, step=1, label=tr("Completions"))
                c_seed = seed_input()
                (c_temperature,) = option_sliders("pixelcnn")
                c_go = gr.Button(tr("Complete it"), variant="primary")
            with gr.Column(scale=2):
                completed = picture(label=tr("The start · the top k rows the model is given · its completions "
                                             "(captions: what the classifier sees)"))
                c_text = gr.Markdown()

    @user_errors
    @api_names("dataset", *START, "rows", "count", "seed", *option_names("pixelcnn"))
    def complete(dataset_key, source_value, label_value, which, sketch, k, m, seed_value, temp):
        start, label_id, origin = picked_start(dataset_key, source_value, label_value, which, sketch)
        out = painting.complete("pixelcnn", dataset_key, start, label_id, k, m, seed_value, temperature=temp)
        labels = (i18n.drawn("start"), i18n.drawn("top {k} rows", k=int(k)))
        return completion_sheet(dataset_key, start, labels, out, label_id, origin)

    c_go.click(complete, [dataset, *picker, rows, count, c_seed, c_temperature],
               [completed, c_text], api_name="complete_pixelcnn", concurrency_id=LONG)
    how_it_works("pixelcnn", masks_picture(), "Blue: what the prediction for the red pixel may use")


add({
    "top {k} rows": "上方 {k} 行",
    "**{summary}** Each of the 784 pixels is drawn from a distribution the network predicts from every pixel "
    "before it.": "**{summary}** 784 个像素中的每一个，都从网络根据它之前所有像素预测出的分布中抽取。",
    "Paint": "绘制",
    "Canvas (blue: not drawn yet · red: the next pixel)": "画布（蓝色：尚未画出 · 红色：下一个像素）",
    "One decision of image 1: the most uncertain pixel of the last row": "第 1 张图像的一次决定：最近一行中最不确定的像素",
    "Complete it": "补全",
    "Rows to keep (k)": "保留的行数（k）",
    "the model is given the top k rows and draws the rest": "模型拿到最上面 k 行，画出其余部分",
    "Completions": "补全数量",
    "The start · the top k rows the model is given · its completions (captions: what the classifier sees)":
        "起点 · 模型拿到的最上面 k 行 · 它的补全（图注：分类器看到的类别）",
    "Row {row} of 28 · {done} of 784 pixels per image": "第 {row} 行，共 28 行 · 每张图像已画 {done}/784 个像素",
    "784 network steps each": "每张 784 次网络评估",
    "Row {row}, column {col}: p(x | pixels before it, {name})": "第 {row} 行第 {col} 列：p(x | 之前的像素, {name})",
    "grey level (black ... white)": "灰度级（黑 ... 白）",
    "Blue: what the prediction for the red pixel may use": "蓝色：预测红色像素时可以使用的部分",
})


def _lesson_facts(dataset: str) -> dict:
    """What the lesson's PixelCNN step quotes: its time per image, its passes, and who is slowest."""
    board = lesson.board(dataset)
    mine = board.get("pixelcnn", {})
    slowest = max(board.values(), key=lambda r: r["ms_per_image"])["family"] if board else None
    return {"pixelcnn_ms": mine.get("ms_per_image"), "pixelcnn_nfe": mine.get("nfe"), "slowest_family": slowest}


LESSON = (  # this family's steps of the Lesson tab (genimg/ui/lesson.py)
    lesson.Step("pixelcnn", "3 · PixelCNN: one pixel at a time", {"label": 2, "n": 4},
                "Open the PixelCNN tab and press Paint; watch the red pixel move.",
                "How many network passes does it take to draw one 28×28 image?",
                ("1", "28, one per row", "784, one per pixel"), 2,
                "784: each pixel is drawn from p(x_i | the pixels before it, the class), in reading order. "
                "That is why it is the slowest tab ({pixelcnn_ms} ms per image on the scoreboard).",
                lambda m: m["slowest_family"] == "pixelcnn" and m["pixelcnn_nfe"] == 784,
                facts=_lesson_facts),
)

add({  # the lesson steps' words
    "3 · PixelCNN: one pixel at a time": "3 · PixelCNN：一次一个像素",
    "Open the PixelCNN tab and press Paint; watch the red pixel move.": "打开 PixelCNN 页面，按 绘制；看红色像素移动。",
    "How many network passes does it take to draw one 28×28 image?": "画一张 28×28 的图像需要多少次网络评估？",
    "28, one per row": "28 次，每行一次",
    "784, one per pixel": "784 次，每个像素一次",
    "784: each pixel is drawn from p(x_i | the pixels before it, the class), in reading order. That is why it is "
    "the slowest tab ({pixelcnn_ms} ms per image on the scoreboard).":
        "784 次：每个像素按阅读顺序从 p(x_i | 它之前的像素, 类别) 中采样。所以它是最慢的页面（评分榜上每张图像 {pixelcnn_ms} ms）。",
    "1": "1", "784": "784",
})
