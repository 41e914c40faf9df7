"""Inpaint anything: the panel a tab adds when its family can fill in any region of an image
(``painting.inpainters``: a model that sees the whole image at every step). The visitor puts a
test image or a drawing on the canvas, paints over any part of it, picks the class, and the model
fills the painted cells (tokens or pixels, the family's ``grid``) a few times, keeping the rest."""
from __future__ import annotations

import gradio as gr
import numpy as np
from PIL import Image

from .. import drawing, models, painting, pipeline, render
from . import i18n
from .controls import START, picked_start, start_picker
from .handlers import LONG, QUICK, api_names, user_errors
from .i18n import Local, add, say, tr
from .panels import LABEL_ROOM
from .picture import picture

EDITOR_SIDE = 280  # the canvas: 40 px a token of a 7x7 grid, 10 px a pixel
PIXEL_NOTE = ("At every step the kept pixels are put back, noised to the step's level: the model sees the whole image, "
              "so the fill-in fits what is around it on every side. The PixelCNN and the GPT write in reading order, "
              "each pixel or token from the ones before it only: they can finish an image from its top rows, not fill "
              "a hole with what lies below it kept.")


def editor_value(start: np.ndarray) -> dict:
    big = Image.fromarray(start).resize((EDITOR_SIDE, EDITOR_SIDE), Image.NEAREST).convert("RGBA")
    return {"background": big, "layers": [], "composite": big}


def strokes(region):
    """The user's strokes from the editor's value (its layers), or None."""
    if not isinstance(region, dict):
        return region
    return region.get("layers") or None


def shown(kept: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """What the model is given, (1, 28, 28, 3): the kept part, the cells to fill tinted."""
    side = kept.shape[0] // keep.shape[0]
    hidden = ~np.kron(keep, np.ones((side, side), bool))
    out = np.repeat(kept[..., None], 3, -1)
    out[hidden] = render.UNDRAWN
    return out[None]


def panel(family: str, dataset: gr.Radio, seed: gr.Number, options: list, names: list[str],
          note: str | None = None) -> None:
    """The inpainting accordion of ``family``'s tab and its endpoint ``/inpaint_<family>``, with the
    tab's ``seed`` and ``options`` controls (named ``names``); ``note`` is said under the buttons
    (a pixel family's default: ``PIXEL_NOTE``)."""
    title, grid = models.get(family).TITLE, painting.grid(family)
    unit = "token" if grid[0] < 28 else "pixel"
    note = PIXEL_NOTE if note is None and unit == "pixel" else note
    with gr.Accordion(tr("Inpaint anything: paint over any part of an image, {family} fills it in",
                         family=Local(title)), open=False):
        with gr.Row():
            with gr.Column(scale=1, min_width=300):
                picker = start_picker(dataset)
                put = gr.Button(tr("Put it on the canvas"))
                count = gr.Slider(1, painting.MAX_COMPLETIONS, value=5, step=1, label=tr("Completions"))
                fill = gr.Button(tr("Fill it in"), variant="primary")
                gr.Markdown(tr("Fill-ins use the seed and options above."))
                if note:
                    gr.Markdown(tr(note))
            with gr.Column(scale=2):
                side = EDITOR_SIDE // grid[0]
                region = gr.ImageEditor(value=editor_value(painting.start_image(dataset.value, 7)[0]),
                                        label=tr(f"Paint over the part to fill in (each {{n}}×{{n}} square is one {unit})",
                                                 n=side),
                                        canvas_size=(EDITOR_SIDE, EDITOR_SIDE), image_mode="RGBA", format="png",
                                        type="numpy", layers=False, sources=(), transforms=(),
                                        brush=gr.Brush(default_size=30, colors=["#e03030"], color_mode="fixed"))
                filled = picture(label=tr("The start · what {family} is given (blue: to fill) · its fill-ins",
                                          family=Local(title)))
                filled_text = gr.Markdown()

    @user_errors
    def put_on_canvas(dataset_key, *picked):
        start, _, _ = picked_start(dataset_key, *picked)
        return editor_value(start)

    @user_errors
    @api_names("dataset", *START, "region", "count", "seed", *names)
    def inpaint(dataset_key, source_value, label_value, which, sketch, painted, m, seed_value, *option_values):
        start, label_id, origin = picked_start(dataset_key, source_value, label_value, which, sketch)
        keep = ~drawing.marked_cells(strokes(painted), grid)
        out = painting.inpaint(family, dataset_key, start, keep, label_id, m, seed_value,
                               **dict(zip(names, option_values)))
        tiles = np.concatenate([render.tinted(start[None], 784), shown(out["kept"], keep),
                                render.tinted(out["completions"], 784)])
        sheet = render.grid(tiles, [i18n.drawn("start"), i18n.drawn(f"{{k}} {unit}s to fill", k=out["hidden"]),
                                    *i18n.drawn_captions(out["captions"])], scale=4,
                            cols=len(tiles), marks=[True, True, *out["agree"]], top=LABEL_ROOM)
        name = pipeline.class_names(dataset_key)[label_id]
        return sheet, say(f"Started from {{origin}}, class **{{name}}**: {{hidden}} of {{total}} {unit}s filled in "
                          "{m} times in {s:.2f} s.", origin=i18n.translated(origin), name=Local(name),
                          hidden=out["hidden"], total=grid[0] * grid[1], m=len(out["completions"]), s=out["seconds"])

    put.click(put_on_canvas, [dataset, *picker], region, api_visibility="private", concurrency_id=QUICK)
    fill.click(inpaint, [dataset, *picker, region, count, seed, *options], [filled, filled_text],
               api_name=f"inpaint_{family}", concurrency_id=LONG)


add({
    PIXEL_NOTE: "每一步都把保留的像素放回去，并加噪到这一步的噪声水平：模型看得到整张图像，所以填补的内容和四周都衔接得上。"
                "PixelCNN 和 GPT 按阅读顺序书写，每个像素或词元只依据它前面的那些：它们能从图像顶部几行接着画完，"
                "却无法在保留洞下方内容的同时填补这个洞。",
    "Inpaint anything: paint over any part of an image, {family} fills it in":
        "任意修复（inpainting）：涂抹图像的任意部分，由 {family} 填补",
    "Put it on the canvas": "放到画布上",
    "Completions": "补全数量",
    "Fill it in": "填补",
    "Fill-ins use the seed and options above.": "填补使用上面的随机种子和选项。",
    "Paint over the part to fill in (each {n}×{n} square is one token)": "涂抹要填补的部分（每个 {n}×{n} 的方块是一个词元）",
    "Paint over the part to fill in (each {n}×{n} square is one pixel)": "涂抹要填补的部分（每个 {n}×{n} 的方块是一个像素）",
    "The start · what {family} is given (blue: to fill) · its fill-ins": "起点 · {family} 拿到的内容（蓝色：待填补）· 它的填补结果",
    "{k} tokens to fill": "待填 {k} 个词元",
    "{k} pixels to fill": "待填 {k} 个像素",
    "Started from {origin}, class **{name}**: {hidden} of {total} tokens filled in {m} times in {s:.2f} s.":
        "从{origin}开始，类别 **{name}**：把 {total} 个词元中的 {hidden} 个填补了 {m} 次，用时 {s:.2f} s。",
    "Started from {origin}, class **{name}**: {hidden} of {total} pixels filled in {m} times in {s:.2f} s.":
        "从{origin}开始，类别 **{name}**：把 {total} 个像素中的 {hidden} 个填补了 {m} 次，用时 {s:.2f} s。",
})
