"""The Train tab (训练): every family learns the same 2-D data side by side, live.

The visitor picks the data (a preset, a word, or a drawing), the families, the steps, learning
rate, width, seed and each family's own setting, and presses Train. Each family's panel shows
its samples over the data, its idea (``genimg.toys``: the discriminator's belief, the codes,
p(y | x), the denoiser's or the velocity field) and its loss; one chart shows every family's
score against the data's floor, and for a mixture another the modes each covers. The run is
recorded for the replay (scrub, Play, a GIF) and a link reproduces it.
"""
from __future__ import annotations

import queue
import threading
import time

import gradio as gr
from PIL import Image

from .. import checks, playground, toyframes, toys
from .. import facts as facts_of
from ..toys import data as toy_data
from . import i18n, lesson, links, replay
from .controls import drawn, option_controls, seed_input, sketchpad
from .handlers import FRAME_INTERVAL_S, LONG, api_names, user_errors
from .i18n import add, say, tr
from .picture import picture

TAB = "train"
DATA = {"ring8": "Ring of 8 Gaussians", "grid25": "5×5 grid of Gaussians", "moons": "Two moons", "spiral": "Spiral",
        "checkerboard": "Checkerboard", "word": "A word", "drawing": "My drawing"}
SETTINGS = ("data", "word", "drawing", "families", "steps", "lr_scale", "width", "seed", "look_at")
INTRO = ("**Watch every family learn.** The same points, seed and number of steps for each: a small network "
         "learns the data in a few seconds, on this CPU. Pick the data (or type a word, or draw), press **Train**, "
         "and compare how each family gets there: which drops modes, which smears between them, which covers them all.")
DEFAULT_WORD = "生成"


def status(frame, began: float) -> str:
    where = say("Step {step} of {total} · {s:.1f} s", step=frame.step, total=frame.total, s=time.perf_counter() - began)
    return f"**{say('Done')}:** {where}" if frame.done else where


def ahead(frames):
    """``frames`` computed on a thread of their own, so that the next frame trains while this one
    is drawn and sent; an error reaches the caller, and a caller that stops stops the run."""
    made, stop = queue.SimpleQueue(), threading.Event()

    def make():
        try:
            for frame in frames:
                made.put(frame)
                if stop.is_set():
                    break
        except Exception as e:  # noqa: BLE001 - raised again where the frames are read
            made.put(e)
        finally:
            made.put(None)

    threading.Thread(target=make, daemon=True).start()
    try:
        while (frame := made.get()) is not None:
            if isinstance(frame, Exception):
                raise frame
            yield frame
    finally:
        stop.set()


def composite(frame) -> Image.Image:
    return toyframes.composite(frame, say)


def build(dataset: gr.Radio) -> None:
    options = list(toys.options().values())
    gr.Markdown(tr(INTRO))
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            source = gr.Radio([(tr(label), key) for key, label in DATA.items()], value=playground.DEFAULTS.data,
                              label=tr("Data"))
            word = gr.Textbox(DEFAULT_WORD, label=tr("The word (up to {n} characters, English or Chinese)",
                                                     n=toy_data.MAX_WORD), visible=False)
            pad = sketchpad(label="Draw the data (strokes become points)", visible=False)
            families = gr.CheckboxGroup([(tr(toys.get(n).TITLE), n) for n in toys.TOYS], value=list(toys.TOYS),
                                        label=tr("Families"))
            steps = gr.Slider(playground.MIN_STEPS, playground.MAX_STEPS, value=playground.DEFAULTS.steps, step=10,
                              label=tr("Training steps"))
            rate = gr.Slider(*playground.LR_SCALE, value=playground.DEFAULTS.lr_scale, step=0.05,
                             label=tr("Learning rate (× each family's own)"),
                             info=tr("1 = the rate each family is tuned to; the table shows each one's"))
            width = gr.Slider(*playground.WIDTH, value=playground.DEFAULTS.width, step=4,
                              label=tr("Width (units in each hidden layer)"))
            seed = seed_input(playground.DEFAULTS.seed)
            with gr.Accordion(tr("Each family's own setting"), open=False):
                own = option_controls(options)
                look = gr.Slider(0, 1, value=playground.DEFAULTS.look_at, step=0.05,
                                 label=tr("Where the views look"),
                                 info=tr("t for the diffusion and flow fields; x across the plane for p(y | x)"))
            with gr.Row():
                go = gr.Button(tr("Train"), variant="primary")
                stop = gr.Button(tr("Stop"), variant="stop")
        with gr.Column(scale=2):
            with gr.Row():
                score = picture(label=tr("Score"), show_label=False)
                modes = picture(label=tr("Modes"), show_label=False)
            stats = gr.Markdown()
            numbers = gr.Markdown()
    with gr.Row():
        panels = [picture(label=tr(toys.get(n).TITLE), visible=True) for n in toys.TOYS[:3]]
    with gr.Row():
        panels += [picture(label=tr(toys.get(n).TITLE), visible=True) for n in toys.TOYS[3:]]
    with gr.Accordion(tr("What each picture shows"), open=False):
        gr.Markdown(tr({lang: "\n".join(f"- **{i18n.in_lang(lang, toys.get(n).TITLE)}**: {i18n.in_lang(lang, toys.get(n).IDEA)}"
                                        for n in toys.TOYS) for lang in i18n.LANGS}))
    recorded = replay.panel(gr.State([]), TAB, draw=composite)
    names = [o.name for o in options]
    controls = dict(zip(SETTINGS, [source, word, pad, families, steps, rate, width, seed, look]))
    del controls["drawing"]  # a drawing travels in no link
    links.register(TAB, go, dataset, checks=link_checks(), unlinked=("drawing",), **controls, **dict(zip(names, own)))
    source.change(lambda d: (gr.Textbox(visible=d == "word"), gr.Sketchpad(visible=d == "drawing")), source,
                  [word, pad], queue=False, api_visibility="private", show_progress="hidden")

    @user_errors
    @api_names(*SETTINGS, *names)
    def train(data_key, word_value, sketch, chosen, steps_value, lr_value, width_value, seed_value, look_value,
              *option_values):
        began, sent, tape = time.perf_counter(), None, []
        args = (data_key, word_value, drawn(sketch) if data_key == "drawing" else None, chosen, steps_value, lr_value,
                width_value, seed_value, look_value)
        playground.check(*args, **dict(zip(names, option_values)))  # bad input is refused here, before any work
        for frame in ahead(playground.train(*args, **dict(zip(names, option_values)))):
            tape.append(frame)
            now = time.perf_counter()
            if sent is not None and not frame.done and now - sent < FRAME_INTERVAL_S:
                continue
            sent = now
            shown = [gr.Image(toyframes.family_picture(frame, n, say), visible=True) if n in frame.families else
                     gr.Image(visible=False) for n in toys.TOYS]
            top, mixture = toyframes.charts(frame, say)
            yield (*shown, top, gr.Image(mixture, visible=mixture is not None), status(frame, began),
                   toyframes.table(frame, say),
                   replay.thinned(tape) if frame.done else gr.skip())

    inputs = [source, word, pad, families, steps, rate, width, seed, look, *own]
    event = go.click(train, inputs, [*panels, score, modes, stats, numbers, recorded], api_name=TAB,
                     concurrency_id=LONG)
    stop.click(None, None, None, cancels=[event], queue=False, api_visibility="private")


LESSON_SEED = 0  # the seed of the lesson's runs (benchmarks/toys.py measures the ring at it)


def _ring(dataset: str) -> dict:
    """What the benchmark measured on the ring at the defaults and the lesson's seed
    (``benchmarks/results/toys.json``): ``<family>_modes`` and ``<family>_share`` (between the
    modes); a run with an option changed, ``<family> (<option>=<value>)``, as ``<value>_...``."""
    try:
        rows = facts_of.results("toys", "quality")
    except facts_of.Missing:
        return {}
    at = {key.partition("=")[2].rstrip(")") or key: next(r for r in v if r["seed"] == LESSON_SEED)
          for key, v in rows.items()}
    out = {f"{k}_modes": r["modes"] for k, r in at.items()}
    out |= {f"{k}_share": r["between"] for k, r in at.items()}
    return out


LESSON = (  # the Train tab's steps of the Lesson tab (genimg/ui/lesson.py)
    lesson.Step(TAB, "11 · Train: who drops modes?", {"data": "ring8", "seed": LESSON_SEED, "gan_loss": "plain"},
                "Open the Train tab on the ring of 8 with the plain GAN loss and press Train; then choose the fix "
                "under each family's own setting and press Train again.",
                "Which family will miss modes of the ring?",
                ("The GAN with the plain loss", "Diffusion", "Flow matching"), 0,
                "The plain GAN covers {plain_modes} of the 8 modes: its generator finds a few points the "
                "discriminator believes and piles up there (mode collapse). With the fix (the discriminator sees its "
                "batch's spread, and R1 smooths it) it covers {gan_modes}. Diffusion covers {diffusion_modes} and flow "
                "matching {flow_modes}: they learn every part of the data, never one against another.",
                lambda m: m["plain_modes"] <= 4 and m["gan_modes"] >= 7 and m["diffusion_modes"] == 8
                and m["flow_modes"] == 8, facts=_ring),
    lesson.Step(TAB, "12 · Train: who draws between the modes?", {"data": "ring8", "seed": LESSON_SEED},
                "Open the Train tab on the ring of 8 and press Train; read the column 'Between the modes'.",
                "Which family puts the most samples between the modes, where there is no data?",
                ("The VAE", "The autoregressive model", "Flow matching"), 0,
                "The VAE: {vae_share} of its samples lie between the modes (flow matching: {flow_share}). Its "
                "decoder is smooth and its prior has no gaps, so codes between two clusters decode to points between "
                "two modes: the blur of a VAE's images, in two dimensions.",
                lambda m: m["vae_share"] == max(v for k, v in m.items() if k.endswith("_share")), facts=_ring),
)


def link_checks() -> dict:
    """How a link's settings of this tab are read: as the API checks them."""
    def families(raw: str) -> list[str]:
        chosen = [n.strip() for n in raw.split(",") if n.strip()]
        playground.check(families=chosen)
        return chosen

    def number(name):
        return lambda raw: getattr(playground.check(**{name: raw})[0], name)

    return {"data": lambda raw: checks.choice("data", raw, [s for s in toy_data.SOURCES if s != "drawing"]),
            "word": lambda raw: toy_data.check_word(raw), "families": families,
            **{n: number(n) for n in ("steps", "lr_scale", "width", "seed", "look_at")},
            **{o.name: o.check for o in toys.options().values()}}


add({
    "11 · Train: who drops modes?": "11 · 训练：谁丢了模式？",
    "Open the Train tab on the ring of 8 with the plain GAN loss and press Train; then choose the fix under each "
    "family's own setting and press Train again.":
        "打开训练页面，数据选 8 个高斯分布组成的环，GAN 损失选 plain，按 训练；然后在“每个家族自己的设置”里选 fix，再按一次 训练。",
    "Which family will miss modes of the ring?": "哪个模型家族会漏掉环上的模式？",
    "The GAN with the plain loss": "用 plain 损失的生成对抗网络",
    "The plain GAN covers {plain_modes} of the 8 modes: its generator finds a few points the discriminator believes "
    "and piles up there (mode collapse). With the fix (the discriminator sees its batch's spread, and R1 smooths it) "
    "it covers {gan_modes}. Diffusion covers {diffusion_modes} and flow matching {flow_modes}: they learn every part "
    "of the data, never one against another.":
        "plain 损失的生成对抗网络只覆盖 8 个模式中的 {plain_modes} 个：生成器找到几个判别器相信的点，就堆在那里（模式崩溃）。"
        "用了 fix（判别器看到整批样本的分散程度，R1 让它更平滑）后，它覆盖 {gan_modes} 个。扩散模型覆盖 {diffusion_modes} 个，"
        "流匹配覆盖 {flow_modes} 个：它们学习数据的每一部分，而不是两个网络互相对抗。",
    "12 · Train: who draws between the modes?": "12 · 训练：谁在模式之间作画？",
    "Open the Train tab on the ring of 8 and press Train; read the column 'Between the modes'.":
        "打开训练页面，数据选 8 个高斯分布组成的环，按 训练；看“模式之间”这一列。",
    "Which family puts the most samples between the modes, where there is no data?": "哪个模型家族把最多的样本放在模式之间、没有数据的地方？",
    "The autoregressive model": "自回归模型",
    "The VAE: {vae_share} of its samples lie between the modes (flow matching: {flow_share}). Its decoder is smooth "
    "and its prior has no gaps, so codes between two clusters decode to points between two modes: the blur of a "
    "VAE's images, in two dimensions.":
        "变分自编码器：它有 {vae_share} 的样本落在模式之间（流匹配：{flow_share}）。它的解码器是平滑的，先验没有空隙，"
        "所以两团编码之间的编码会被解码成两个模式之间的点：这就是变分自编码器图像模糊的原因，只不过是在二维里。",
    "Train": "训练",
    INTRO: "**看每个模型家族如何学习。** 每个家族用同样的点、同样的随机种子和同样的步数：一个小网络在这台 CPU 上几秒钟就学会这些数据。"
           "选择数据（或输入一个词，或自己画），按 **训练**，比较每个家族怎样学会它：谁丢了模式，谁在模式之间涂抹，谁把它们都覆盖了。",
    "Ring of 8 Gaussians": "8 个高斯分布组成的环",
    "5×5 grid of Gaussians": "5×5 高斯网格",
    "Two moons": "两个月牙",
    "Spiral": "螺旋",
    "Checkerboard": "棋盘",
    "A word": "一个词",
    "My drawing": "我的手绘",
    "Data": "数据",
    "The word (up to {n} characters, English or Chinese)": "词（最多 {n} 个字符，英文或中文）",
    "Draw the data (strokes become points)": "画出数据（笔画变成点）",
    "Families": "模型家族",
    "Training steps": "训练步数",
    "Learning rate": "学习率",
    "Learning rate (× each family's own)": "学习率（× 每个家族自己的）",
    "1 = the rate each family is tuned to; the table shows each one's": "1 = 每个家族调好的学习率；表格里列出每个家族的学习率",
    "Width (units in each hidden layer)": "宽度（每个隐藏层的单元数）",
    "Each family's own setting": "每个家族自己的设置",
    "Where the views look": "视图观察的位置",
    "t for the diffusion and flow fields; x across the plane for p(y | x)": "扩散和流的场所在的 t；p(y | x) 在平面上的 x",
    "Score": "分数",
    "Modes": "模式",
    "What each picture shows": "每张图显示什么",
    "loss": "损失",
    "Distance to held-out data (sliced Wasserstein, lower is better)": "到留出数据的距离（切片 Wasserstein，越低越好）",
    "training step": "训练步",
    "real data": "真实数据",
    "Modes covered (of {k})": "覆盖的模式（共 {k} 个）",
    "all": "全部",
    "Step {step} of {total} · {s:.1f} s": "第 {step} 步，共 {total} 步 · {s:.1f} 秒",
    "Done": "完成",
    "Family": "家族",
    "Distance (× floor)": "距离（× 基线）",
    "Modes covered": "覆盖的模式",
    "Between the modes": "模式之间",
    "Loss": "损失",
    "Seconds": "秒",
    "Floor: real data against the held-out points, {floor:.3f}.": "基线：真实数据对留出点的距离，{floor:.3f}。",
})
