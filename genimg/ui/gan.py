"""The GAN tab: sample, look inside the generator, and walk between two seeds."""
from __future__ import annotations

import gradio as gr

from .. import explore, render
from . import lesson
from ..models import gan
from .controls import class_dropdown, option_sliders, seed_input
from .handlers import QUICK, api_names, user_errors
from .panels import how_it_works, sample_panel
from .picture import picture, cache_file
from .i18n import Local, add, tr


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


def _lesson_facts(dataset: str) -> dict:
    """What the lesson's GAN step rests on: the recall of the truncation sweep at ψ = 0."""
    return {"psi0_recall": lesson.row(lesson.sweep_rows("gan", dataset, "truncation"), truncation=0.0).get("recall")}


LESSON = (  # this family's steps of the Lesson tab (genimg/ui/lesson.py)
    lesson.Step("gan", "1 · GAN: one pass, and a knob for variety", {"label": 3, "n": 16, "truncation": 0.0},
                "Open the GAN tab with truncation ψ = 0 and press Generate; then move ψ to 1 and press again.",
                "At ψ = 0, will the 16 images of the class differ from one another?",
                ("Yes, as much as at ψ = 1", "A little", "No, they are all the same image"), 2,
                "ψ scales the generator's noise z. At 0 every image gets the same z, the centre of the "
                "distribution: the class's 'average' image, 16 times. Truncation trades variety for typical "
                "images (BigGAN's trick).", lambda m: m["psi0_recall"] < 0.05,
                facts=_lesson_facts),
)

add({  # the lesson steps' words
    "1 · GAN: one pass, and a knob for variety": "1 · 生成对抗网络：一次计算，一个调节多样性的旋钮",
    "Open the GAN tab with truncation ψ = 0 and press Generate; then move ψ to 1 and press again.":
        "打开生成对抗网络页面，截断 ψ = 0，按 生成；然后把 ψ 调到 1，再按一次。",
    "At ψ = 0, will the 16 images of the class differ from one another?": "ψ = 0 时，这个类别的 16 张图像会彼此不同吗？",
    "Yes, as much as at ψ = 1": "会，和 ψ = 1 时一样不同",
    "A little": "有一点不同",
    "No, they are all the same image": "不会，全是同一张图像",
    "ψ scales the generator's noise z. At 0 every image gets the same z, the centre of the distribution: the "
    "class's 'average' image, 16 times. Truncation trades variety for typical images (BigGAN's trick).":
        "ψ 缩放生成器的噪声 z。ψ = 0 时每张图像得到同一个 z，即分布的中心：该类别的“平均”图像，重复 16 次。"
        "截断（truncation）用多样性换取更典型的图像（BigGAN 的技巧）。",
})
