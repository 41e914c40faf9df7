"""The GAN tab: sample, look inside the generator, and walk between two seeds."""
from __future__ import annotations

import gradio as gr

from .. import explore, render
from ..models import gan
from .common import QUICK, api_names, class_dropdown, how_it_works, option_sliders, sample_panel, seed_input, user_errors
from .picture import picture, cache_file
from .words import Local, add, tr


def build(dataset: gr.Radio) -> None:
    gr.Markdown(tr("**{summary}** One forward pass of the generator per image.", summary=Local(gan.SUMMARY)))
    sample_panel("gan", dataset, process_label="Inside the generator (first image): mean activation "
                                               "at 7×7, 14×14, 28×28, then the output")
    with gr.Accordion(tr("Interpolate between two seeds"), open=True):
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                label = class_dropdown(dataset, all_label=None, value=3)
                seed_a = seed_input(6, "Seed A")
                seed_b = seed_input(8, "Seed B")
                steps = gr.Slider(2, explore.MAX_STEPS, value=10, step=1, label=tr("Images along the path"))
                (truncation,) = option_sliders("gan")
                go = gr.Button(tr("Interpolate"), variant="primary")
            with gr.Column(scale=2):
                path_strip = picture(label=tr("From seed A to seed B"))
                animation = picture(label=tr("Animated"), height=200)

    @user_errors
    @api_names("dataset", "label", "seed_a", "seed_b", "frames", "truncation")
    def interpolate(dataset_key, label_value, a, b, k, psi):
        frames = explore.interpolate("gan", dataset_key, label_value, a, b, k, psi)
        name = f"gan-{dataset_key}-{label_value}-seeds{a}-{b}.gif"
        return render.strip(frames, scale=3), cache_file(render.gif(frames), name)

    go.click(interpolate, [dataset, label, seed_a, seed_b, steps, truncation], [path_strip, animation],
             api_name="interpolate_gan", concurrency_id=QUICK)
    how_it_works("gan")


add({
    "**{summary}** One forward pass of the generator per image.": "**{summary}** 每张图像只需生成器前向计算一次。",
    "Inside the generator (first image): mean activation at 7×7, 14×14, 28×28, then the output":
        "生成器内部（第一张图像）：7×7、14×14、28×28 处的平均激活，然后是输出",
    "Interpolate between two seeds": "在两个随机种子之间插值",
    "Images along the path": "路径上的图像数",
    "Interpolate": "插值",
    "From seed A to seed B": "从随机种子 A 到随机种子 B",
    "Animated": "动画",
})
