"""The Diffusion tab: watch noise become an image, step by step; start from a drawing; see what
fewer steps cost."""
from __future__ import annotations

import gradio as gr
import numpy as np

from .. import charts, checkpoint, denoising, pipeline, render
from ..models import diffusion
from . import i18n, inpainting, lesson
from .controls import START, option_names, picked_start, start_picker
from .handlers import LONG, api_names, user_errors
from .panels import LABEL_ROOM, how_it_works
from .live import View, denoised_pictures, live_panel, stream_stats
from .picture import picture
from .i18n import add, say, tr

FAMILY = "diffusion"
NAMES = option_names(FAMILY)
GUIDE = ("guidance", "guide_from", "guide_to")  # the options the guidance trade-off plot follows


def _plot(t: int | None, timesteps: list[int] | None = None):
    abar = denoising.schedule(FAMILY)
    title = (i18n.drawn("signal left: abar_t") if t is None else
             i18n.drawn("signal left: abar_t = {abar:.3f} at t = {t}", abar=abar[t], t=t))
    return charts.curve(abar, t, title, i18n.drawn("timestep t (0: clean ... 999: pure noise)"), marks=timesteps)


def _tradeoff(dataset_key: str, guidance, guide_from, guide_to):
    """The guidance sweep from the card as a plot (FID and class accuracy against the scale,
    guidance everywhere; rings: the same scales in the limited interval), the current scale
    marked, and a line that reads the numbers of the nearest measured setting."""
    sweep = denoising.guidance_sweep(FAMILY, dataset_key)
    if not sweep:
        return None, say("No guidance sweep in this checkpoint's card yet (`python benchmarks/guidance_sweep.py`).")
    rows = sweep["rows"]
    full = [r for r in rows if (r["guide_from"], r["guide_to"]) == (1.0, 0.0)]
    limited = [r for r in rows if r not in full]
    w = float(guidance)
    chart = charts.tradeoff([r["guidance"] for r in full], [r["fid"] for r in full],
                            [r["class_accuracy"] for r in full], w,
                            i18n.drawn("Guidance: quality against variety ({n:,} samples each)", n=sweep["n"]),
                            i18n.drawn("guidance scale w (rings: guided only in the interval {lo:g} to {hi:g} of t/T)",
                                        lo=limited[0]["guide_to"], hi=limited[0]["guide_from"]) if limited else
                            i18n.drawn("guidance scale w"), i18n.drawn("FID (lower is better)"),
                            i18n.drawn("class accuracy"), others=[(r["guidance"], r["fid"]) for r in limited])
    here = min(rows, key=lambda r: (abs(r["guidance"] - w) + abs(r["guide_from"] - float(guide_from))
                                    + abs(r["guide_to"] - float(guide_to))))
    best = min(rows, key=lambda r: r["fid"])

    def said(r):
        return say("w = {w:g}, guided at t/T {lo:g}–{hi:g}: FID **{fid:.1f}** (floor {floor:.1f}), class accuracy "
                   "{acc:.1%}, precision {p:.2f}, recall {rec:.2f}, {nfe} network evaluations", w=r["guidance"],
                   lo=r["guide_to"], hi=r["guide_from"], fid=r["fid"], floor=r["fid_floor"], acc=r["class_accuracy"],
                   p=r["precision"], rec=r["recall"], nfe=r["nfe"])

    return chart, say("Nearest measured setting — {here}.\n\nLowest FID of the sweep — {best}.\n\nMore guidance makes "
                      "every image more surely its class (green) but more alike: past the lowest point FID rises "
                      "again because the samples no longer cover the data's variety (measured with {sampler} in "
                      "{steps} steps).", here=said(here), best=said(best), sampler=sweep["sampler"],
                      steps=sweep["steps"])


def _stats(frame: pipeline.Frame) -> str:
    return stream_stats(frame, say("Step {done} of {total} (t = {t})", done=frame.done, total=frame.total, t=frame.t))


def _views() -> list[View]:
    with gr.Row():
        noisy = picture(label=tr("x_t: the images being denoised"))
        clean = picture(label=tr("x_0: what the network thinks they will become"))
    plot = picture(_plot(None), label=tr("The noise schedule"))
    i18n.follow(lambda: _plot(None), None, plot)
    # every step's timestep is plotted, also those not sent
    return [View((noisy, clean), denoised_pictures), View(plot, lambda frame, run: _plot(frame.t, run.times))]


def build(dataset: gr.Radio) -> None:
    live = live_panel(FAMILY, dataset, _views, _stats, former="denoise_diffusion", max_n=denoising.MAX_N)
    label, seed, options = live.label, live.seed, live.options
    with gr.Accordion(tr("Guidance: quality against variety"), open=True):
        with gr.Row():
            defaults = {o.name: o.default for o in diffusion.OPTIONS}
            first_chart, first_text = _tradeoff(dataset.value, *(defaults[k] for k in GUIDE))
            tradeoff = picture(first_chart, label=tr("The guidance sweep, the current scale in red"))
            tradeoff_text = gr.Markdown(first_text)
    with gr.Accordion(tr("Start from a drawing (SDEdit)"), open=True):
        with gr.Row():
            with gr.Column(scale=1, min_width=300):
                picker = start_picker(dataset)
                strength = gr.Slider(0, 1, value=0.6, step=0.05, label=tr("Strength"),
                                     info=tr("how far towards pure noise the start goes before denoising "
                                             "(0: not at all)"))
                edit_go = gr.Button(tr("Denoise it"), variant="primary")
            with gr.Column(scale=2):
                edited = picture(label=tr("The start · noised · denoised four times "
                                          "(captions: what the classifier sees)"))
                edit_text = gr.Markdown()
    with gr.Accordion(tr("How many steps?"), open=False):
        compare_go = gr.Button(tr("Compare 5, 10, 25 and 50 steps"))
        compared = picture(label=tr("The same seed and start noise at each step count"))
        compare_text = gr.Markdown()

    @user_errors
    @api_names("dataset", *START, "strength", "seed", *NAMES)
    def edit(dataset_key, source_value, label_value, which, sketch, s, seed_value, *option_values):
        opts = dict(zip(NAMES, option_values))
        start, label_id, origin = picked_start(dataset_key, source_value, label_value, which, sketch)
        out = denoising.edit(FAMILY, dataset_key, start, label_id, s, 4, seed_value, **opts)
        tiles = np.concatenate([start[None], out["noised"][None], out["results"]])
        sheet = render.grid(tiles, [i18n.drawn("start"), i18n.drawn("noised to {p:.0%}", p=float(s)),
                                    *i18n.drawn_captions(out["captions"])], scale=4,
                            cols=len(tiles), marks=[True, True, *out["agree"]], top=LABEL_ROOM)
        return sheet, say("Started from {origin}, class **{name}**: {steps} denoising steps, {s:.2f} s.",
                          origin=i18n.translated(origin), name=say(pipeline.class_names(dataset_key)[label_id]),
                          steps=out["steps"], s=out["seconds"])

    @user_errors
    @api_names("dataset", "label", "seed", *(name for name in NAMES if name != "steps"))
    def compare(dataset_key, label_value, seed_value, *option_values):
        """A row per step count, shown as soon as it is done (the fewest steps first)."""
        opts = dict(zip((name for name in NAMES if name != "steps"), option_values))
        results, lines = [], []
        for steps, r in zip(denoising.COMPARED_STEPS,
                            denoising.compare_steps(FAMILY, dataset_key, label_value, seed_value, 4, **opts)):
            results.append(r)
            lines.append(say("{steps} steps: {s:.2f} s, {nfe} network evaluations per image, the classifier agrees on "
                             "{agree}/4", steps=steps, s=r.seconds, nfe=r.nfe,
                             agree=int((r.predicted == r.labels).sum())))
            marks = [bool(m) for done in results for m in (done.predicted == done.labels)]
            captions = i18n.drawn_captions([c for done in results for c in done.captions()])
            sheet = render.grid(np.concatenate([done.images for done in results]), captions, scale=4, cols=4,
                                marks=marks, top=LABEL_ROOM)
            coming = len(denoising.COMPARED_STEPS) - len(results)
            more = say("*{k} more rows coming…*" if coming > 1 else "*{k} more row coming…*", k=coming)
            yield sheet, (say("Rows, top to bottom:") + "\n\n" + "\n".join(f"- {line}" for line in lines)
                          + (f"\n\n{more}" if coming else ""))

    edit_go.click(edit, [dataset, *picker, strength, seed, *options], [edited, edit_text],
                  api_name="sdedit_diffusion", concurrency_id=LONG)
    steps_free = [o for name, o in zip(NAMES, options) if name != "steps"]  # the comparison sets the steps
    compare_go.click(compare, [dataset, label, seed, *steps_free], [compared, compare_text],
                     api_name="compare_steps_diffusion", concurrency_id=LONG)
    guide = [options[NAMES.index(name)] for name in GUIDE]
    for trigger in (dataset.change, *(o.change for o in guide)):
        trigger(user_errors(_tradeoff), [dataset, *guide], [tradeoff, tradeoff_text], api_visibility="private",
                show_progress="hidden")
    i18n.follow(user_errors(_tradeoff), [dataset, *guide], [tradeoff, tradeoff_text])
    inpainting.panel(FAMILY, dataset, live.seed, live.options, NAMES)
    how_it_works("diffusion")



add({
    # drawn under the pictures
    "start": "起点", "noised to {p:.0%}": "加噪至 {p:.0%}",
    # the tab
    "signal left: abar_t": "剩余信号：abar_t",
    "signal left: abar_t = {abar:.3f} at t = {t}": "剩余信号：t = {t} 时 abar_t = {abar:.3f}",
    "timestep t (0: clean ... 999: pure noise)": "时间步 t（0：干净 …… 999：纯噪声）",
    "No guidance sweep in this checkpoint's card yet (`python benchmarks/guidance_sweep.py`).":
        "这个检查点的模型卡（card）里还没有引导扫描的结果（`python benchmarks/guidance_sweep.py`）。",
    "Guidance: quality against variety ({n:,} samples each)": "引导：质量与多样性的权衡（每个设置 {n:,} 个样本）",
    "guidance scale w (rings: guided only in the interval {lo:g} to {hi:g} of t/T)":
        "引导尺度 w（圆圈：只在 t/T 的 {lo:g} 到 {hi:g} 区间内引导）",
    "guidance scale w": "引导尺度 w",
    "FID (lower is better)": "FID（越低越好）",
    "class accuracy": "类别准确率",
    "w = {w:g}, guided at t/T {lo:g}–{hi:g}: FID **{fid:.1f}** (floor {floor:.1f}), class accuracy {acc:.1%}, "
    "precision {p:.2f}, recall {rec:.2f}, {nfe} network evaluations":
        "w = {w:g}，在 t/T {lo:g}–{hi:g} 内引导：FID **{fid:.1f}**（基线 {floor:.1f}），类别准确率 {acc:.1%}，"
        "精确率 {p:.2f}，召回率 {rec:.2f}，{nfe} 次网络评估",
    "Nearest measured setting — {here}.\n\nLowest FID of the sweep — {best}.\n\nMore guidance makes every image "
    "more surely its class (green) but more alike: past the lowest point FID rises again because the samples no "
    "longer cover the data's variety (measured with {sampler} in {steps} steps).":
        "最接近的已测设置——{here}。\n\n扫描中 FID 最低的设置——{best}。\n\n引导越强，每张图像越确定地属于它的类别（绿线），"
        "但图像之间也越相似：过了最低点，FID 又会上升，因为样本不再覆盖数据的多样性（用 {sampler} 采样 {steps} 步测得）。",
    "Step {done} of {total} (t = {t})": "第 {done} 步，共 {total} 步（t = {t}）",
    "x_t: the images being denoised": "x_t：正在去噪的图像",
    "x_0: what the network thinks they will become": "x_0：网络认为它们最终会变成的样子",
    "The noise schedule": "噪声调度",
    "Guidance: quality against variety": "引导：质量与多样性的权衡",
    "The guidance sweep, the current scale in red": "引导扫描，红线是当前的引导尺度",
    "Start from a drawing (SDEdit)": "从手绘开始（SDEdit）",
    "Strength": "强度",
    "how far towards pure noise the start goes before denoising (0: not at all)":
        "去噪之前，起点朝纯噪声推进多远（0：完全不加噪）",
    "Denoise it": "去噪",
    "The start · noised · denoised four times (captions: what the classifier sees)":
        "起点 · 加噪后 · 四次去噪的结果（图注：分类器看到的类别）",
    "How many steps?": "需要多少步？",
    "Compare 5, 10, 25 and 50 steps": "对比 5、10、25 和 50 步",
    "The same seed and start noise at each step count": "每种步数都用相同的随机种子和起始噪声",
    "Started from {origin}, class **{name}**: {steps} denoising steps, {s:.2f} s.":
        "从{origin}开始，类别 **{name}**：{steps} 个去噪步，用时 {s:.2f} s。",
    "{steps} steps: {s:.2f} s, {nfe} network evaluations per image, the classifier agrees on {agree}/4":
        "{steps} 步：{s:.2f} s，每张图像 {nfe} 次网络评估，分类器认同 {agree}/4",
    "Rows, top to bottom:": "各行从上到下：",
    "*{k} more row coming…*": "*还有 {k} 行正在生成……*",
    "*{k} more rows coming…*": "*还有 {k} 行正在生成……*",
})


def _lesson_facts(dataset: str) -> dict:
    """What the lesson's Diffusion steps rest on: the guidance sweep at guidance 0 and at the
    defaults, and the sampler study at 5 and 10 DPM-Solver++ steps."""
    rows, default = lesson.sweep_rows(FAMILY, dataset, "guidance"), pipeline.check_options(FAMILY, {})
    guided = lesson.row(rows, **{k: default[k] for k in ("guidance", "guide_from", "guide_to")})
    out = {"guidance0_acc": lesson.row(rows, guidance=0.0).get("class_accuracy"),
           "guided_acc": guided.get("class_accuracy")}
    study = (checkpoint.read_card(FAMILY, dataset).get("sampling", {}) if checkpoint.exists(FAMILY, dataset) else {})
    for n in (5, 10):
        found = lesson.row(study.get("rows", []), sampler="dpm++", steps=n)
        out.update({f"steps{n}_fid": found.get("fid"), f"steps{n}_acc": found.get("class_accuracy")})
    return out


LESSON = (  # this family's steps of the Lesson tab (genimg/ui/lesson.py)
    lesson.Step("diffusion", "5 · Diffusion: does it listen to the class?", {"label": 8, "n": 8, "guidance": 0.0},
                "Open the Diffusion tab with guidance 0 and press Generate; then try guidance 2.",
                "With guidance 0, will the images be of the class you asked for?",
                ("Yes, all of them", "About half", "Hardly any more than chance"), 2,
                "Guidance 0 is the model *without* the class. Measured on 2,000 samples, "
                "{guidance0_acc} of them are the class asked for (one in ten would be chance); at the "
                "default guidance, {guided_acc}.", lambda m: m["guidance0_acc"] < 0.2 and m["guided_acc"] > 0.9,
                facts=_lesson_facts),
    lesson.Step("diffusion", "6 · Diffusion: how many steps?", {"label": 4, "n": 4, "steps": 5},
                "Open the Diffusion tab with 5 steps and generate; then open 'How many steps?' below.",
                "With DPM-Solver++, will 5 steps look as good as 50?",
                ("Just as good", "Close, slightly rougher", "Pure noise"), 1,
                "Close: a second-order solver takes big, accurate steps. A first-order sampler (DDPM) "
                "needs hundreds. Every step is one network pass (two where guidance acts).",
                lambda m: m["steps5_acc"] > 0.9 and m["steps5_fid"] > m["steps10_fid"],
                facts=_lesson_facts),
)

add({  # the lesson steps' words
    "5 · Diffusion: does it listen to the class?": "5 · 扩散模型：它听从类别吗？",
    "Open the Diffusion tab with guidance 0 and press Generate; then try guidance 2.":
        "打开扩散模型页面，引导尺度设为 0，按 生成；然后试试引导尺度 2。",
    "With guidance 0, will the images be of the class you asked for?": "引导尺度为 0 时，图像会是你要求的类别吗？",
    "Yes, all of them": "会，全部都是",
    "About half": "大约一半",
    "Hardly any more than chance": "几乎和随机猜一样",
    "Guidance 0 is the model *without* the class. Measured on 2,000 samples, {guidance0_acc} of them are the class "
    "asked for (one in ten would be chance); at the default guidance, {guided_acc}.":
        "引导尺度 0 就是*不带*类别的模型。在 2,000 个样本上测得，{guidance0_acc} 是所要求的类别（随机猜是十分之一）；"
        "默认引导尺度下是 {guided_acc}。",
    "6 · Diffusion: how many steps?": "6 · 扩散模型：要多少步？",
    "Open the Diffusion tab with 5 steps and generate; then open 'How many steps?' below.":
        "打开扩散模型页面，步数设为 5 并生成；然后打开下面的“需要多少步？”。",
    "With DPM-Solver++, will 5 steps look as good as 50?": "用 DPM-Solver++，5 步会和 50 步一样好吗？",
    "Just as good": "一样好",
    "Close, slightly rougher": "接近，稍微粗糙一点",
    "Pure noise": "纯噪声",
    "Close: a second-order solver takes big, accurate steps. A first-order sampler (DDPM) needs hundreds. Every "
    "step is one network pass (two where guidance acts).":
        "接近：二阶求解器的每一步又大又准。一阶采样器（DDPM）需要几百步。每一步是一次网络评估（引导起作用时是两次）。",
})
