"""The VAE tab: sample, reconstruct real images, explore the latent map, encode a drawing."""
from __future__ import annotations

import re

import gradio as gr
import numpy as np

from .. import explore, render
from . import lesson
from ..models import vae
from .controls import ALL, class_dropdown, drawn, seed_input, sketchpad
from .handlers import QUICK, api_names, user_errors
from .panels import how_it_works, sample_panel
from .picture import picture
from .i18n import Local, add, say, tr

SEEN = re.compile(r"the classifier sees (?P<name>.+) \((?P<conf>\d+%)\)")  # explore.encode_drawing's "how"


def _pair_rows(top: np.ndarray, bottom: np.ndarray):
    return render.grid(np.concatenate([top, bottom]), cols=len(top), scale=3)


def _how(how: str) -> str:
    """How the drawing's class was chosen (explore's English) in the visitor's language."""
    seen = SEEN.fullmatch(how)
    if seen:
        return say("the classifier sees {name} ({conf})", name=Local(seen["name"]), conf=seen["conf"])
    return say(how)


def build(dataset: gr.Radio) -> None:
    gr.Markdown(tr("**{summary}** One forward pass of the decoder per image.", summary=Local(vae.SUMMARY)))
    sample_panel("vae", dataset, process_label="From the centre of the class's codes out to the sample "
                                               "(first image): ε × 0, 0.2, …, 1")
    with gr.Accordion(tr("Reconstructions of real test images"), open=True):
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                rec_seed = seed_input(0, "Which images (seed)")
                rec_go = gr.Button(tr("Encode and decode"), variant="primary")
            rec_out = picture(label=tr("Top: originals · bottom: reconstructions"), scale=2)
    with gr.Accordion(tr("Latent map"), open=True):
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                map_label = class_dropdown(dataset, all_label=None, value=2)
                map_size = gr.Slider(*explore.MAP_SIZES, value=9, step=1, label=tr("Grid size"))
                map_go = gr.Button(tr("Decode the map"), variant="primary")
            map_out = picture(label=tr("Around the class centre: rows move along the 1st principal direction, "
                                       "columns the 2nd (±2 std)"), scale=2)
    with gr.Accordion(tr("Draw something"), open=True):
        with gr.Row():
            with gr.Column(scale=1, min_width=300):
                pad = sketchpad()
                draw_label = class_dropdown(dataset, all_label="Let the classifier decide",
                                            label="What did you draw?")
                draw_go = gr.Button(tr("Encode my drawing"), variant="primary")
            with gr.Column(scale=2):
                draw_out = picture(label=tr("Your drawing at 28×28 · its reconstruction"))
                draw_samples = picture(label=tr("Samples from q(z | your drawing)"))
                draw_text = gr.Markdown()

    @user_errors
    @api_names("dataset", "seed")
    def reconstruct(dataset_key, seed):
        originals, recon = explore.reconstruct("vae", dataset_key, 10, seed)
        return _pair_rows(originals, recon)

    @user_errors
    @api_names("dataset", "label", "size")
    def latent_map(dataset_key, label, size):
        return render.grid(explore.latent_map("vae", dataset_key, label, size), cols=int(size), scale=2, pad=0)

    @user_errors
    @api_names("dataset", "drawing", "label")
    def encode(dataset_key, sketch, label):
        out = explore.encode_drawing("vae", dataset_key, drawn(sketch), None if label == ALL else label)
        pair = render.strip(np.stack([out["input"], out["reconstruction"]]), scale=5)
        return pair, render.strip(out["samples"], scale=3), say("Encoded as class **{label}** ({how}).",
                                                                  label=out["label"], how=_how(out["how"]))

    rec_go.click(reconstruct, [dataset, rec_seed], rec_out, api_name="reconstruct_vae",
                 concurrency_id=QUICK)
    map_go.click(latent_map, [dataset, map_label, map_size], map_out, api_name="latent_map_vae",
                 concurrency_id=QUICK)
    draw_go.click(encode, [dataset, pad, draw_label], [draw_out, draw_samples, draw_text],
                  api_name="encode_drawing_vae", concurrency_id=QUICK)
    how_it_works("vae")


add({
    "**{summary}** One forward pass of the decoder per image.": "**{summary}** 每张图像只需解码器前向计算一次。",
    "From the centre of the class's codes out to the sample (first image): ε × 0, 0.2, …, 1":
        "从该类别潜在编码的中心走到样本（第一张图像）：ε × 0、0.2、…、1",
    "Reconstructions of real test images": "真实测试图像的重建",
    "Which images (seed)": "哪些图像（随机种子）",
    "Encode and decode": "编码再解码",
    "Top: originals · bottom: reconstructions": "上：原图 · 下：重建",
    "Latent map": "潜在空间图",
    "Grid size": "网格大小",
    "Decode the map": "解码潜在空间图",
    "Around the class centre: rows move along the 1st principal direction, columns the 2nd (±2 std)":
        "围绕该类别的中心：行沿第 1 主方向移动，列沿第 2 主方向移动（±2 个标准差）",
    "Draw something": "画点什么",
    "Let the classifier decide": "由分类器判断",
    "What did you draw?": "你画的是什么？",
    "Encode my drawing": "编码我的手绘",
    "Your drawing at 28×28 · its reconstruction": "你的手绘（28×28）· 它的重建",
    "Samples from q(z | your drawing)": "从 q(z | 你的手绘) 采样的样本",
    "Encoded as class **{label}** ({how}).": "编码为类别 **{label}**（{how}）。",
    "the classifier sees {name} ({conf})": "分类器认为是 {name}，{conf}",
    "as you chose": "按你的选择",
})


def _lesson_facts(dataset: str) -> dict:
    """What the lesson's VAE step quotes: its FID on the scoreboard and the GAN's."""
    board = lesson.board(dataset)
    return {f"{f}_fid": board[f]["fid"] for f in ("vae", "gan") if f in board}


LESSON = (  # this family's steps of the Lesson tab (genimg/ui/lesson.py)
    lesson.Step("vae", "2 · VAE: a code you can walk", {"label": 7, "n": 16},
                "Open the VAE tab and generate; then open the latent map below it.",
                "Will the VAE's samples look sharper or blurrier than the GAN's?",
                ("Sharper", "About the same", "Blurrier"), 2,
                "Blurrier. The decoder is trained to reconstruct each pixel, and where it cannot tell, it "
                "averages. The scoreboard agrees: judge FID {vae_fid} for the VAE against {gan_fid} for the "
                "GAN on MNIST (lower is better).", lambda m: m["vae_fid"] > m["gan_fid"],
                facts=_lesson_facts),
)

add({  # the lesson steps' words
    "2 · VAE: a code you can walk": "2 · 变分自编码器：可以漫步的潜在编码",
    "Open the VAE tab and generate; then open the latent map below it.": "打开变分自编码器页面并生成；然后打开下面的潜在空间图。",
    "Will the VAE's samples look sharper or blurrier than the GAN's?": "变分自编码器的样本会比生成对抗网络的更清晰还是更模糊？",
    "Sharper": "更清晰",
    "About the same": "差不多",
    "Blurrier": "更模糊",
    "Blurrier. The decoder is trained to reconstruct each pixel, and where it cannot tell, it averages. The "
    "scoreboard agrees: judge FID {vae_fid} for the VAE against {gan_fid} for the GAN on MNIST (lower is better).":
        "更模糊。解码器被训练去重建每个像素，拿不准的地方就取平均。评分榜也这么说：在 MNIST 上，"
        "变分自编码器的评判网络 FID 是 {vae_fid}，生成对抗网络是 {gan_fid}（越低越好）。",
})
