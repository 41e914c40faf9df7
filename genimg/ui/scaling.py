"""The Scaling tab (规模): how quality grows with what is spent, on one ruler for every family.

Four charts, each read from where its numbers live (``genimg.scaling``): FID in the judge's
features against training compute (the learning curves the trainer writes into each card),
against training compute for several model sizes with their frontier and power law, against the
number of training images (with the share of samples that copy one), and against the network
passes per image at sampling time. The visitor picks the chart and the families; a short reading
says what grew and what saturated; every learning point opens the sample sheet drawn there, and
the data chart shows each run's samples nearest to a copy beside the training image they resemble.
"""
from __future__ import annotations

import gradio as gr
from PIL import Image, ImageDraw

from .. import checks, facts, models, render, scaling
from . import i18n, lesson, links
from .controls import DEFAULT_DATASET
from .handlers import api_names, user_errors
from .panels import LABEL_ROOM
from .i18n import add, drawn, say, tr
from .picture import picture

TAB = "scaling"
NAMES = {"compute": "Training compute", "size": "Model size", "data": "Training data", "passes": "Sampling compute"}
FAMILIES = models.FAMILIES + models.DEVELOPING
INTRO = ("**How quality grows with what is spent.** The question behind today's large image models, asked of "
         "every family here on one ruler: FID in the judge's features (lower is better; the dashed line is real "
         "images against real images). Pick a chart: FID against the training compute spent so far; the same for "
         "models of several sizes on one budget; against the number of training images, with how often a sample "
         "copies one; against the network passes each image costs at sampling time.")


def check_families(raw) -> list[str]:
    chosen = [n.strip() for n in raw.split(",") if n.strip()] if isinstance(raw, str) else list(raw or [])
    for name in chosen:
        checks.choice("families", name, FAMILIES)
    return chosen


def show(dataset_key: str, chart: str, families) -> tuple:
    """The chart, its reading, the points that open a sheet, the data pictures and the table."""
    chart = checks.choice("chart", chart, scaling.CHARTS)
    chosen = check_families(families)
    picture_ = scaling.chart(chart, dataset_key, chosen, say=drawn)
    text = scaling.reading(chart, dataset_key, chosen, say=say)
    if picture_ is None:
        text = say("This chart has no measurements on this dataset yet.")
    found = scaling.points(chart, dataset_key, chosen, say=say)
    copies = [(Image.open(r["picture"]).convert("RGB"), say("{family}, {images:,} images: {share:.1%} of the samples copy a training image",
                                      family=say(models.get(f).TITLE), images=r["images"], share=r["memorised"]))
              for f, runs in scaling.data(dataset_key).items() if f in chosen for r in runs] if chart == "data" else []
    return picture_, text, found, copies, table(found)


def captioned(copies: list[tuple]) -> Image.Image | None:
    """The data chart's pictures one above the other, each under its caption (a gallery crops
    wide pictures to squares)."""
    if not copies:
        return None
    parts = [Image.new("RGB", (1, LABEL_ROOM), (255, 255, 255))]  # room for the picture's label
    for img, text in copies:
        line = Image.new("RGB", (img.width, LABEL_ROOM), (255, 255, 255))
        ImageDraw.Draw(line).text((4, 6), text, fill=(30, 30, 30), font=render.font_for(text, 15))
        parts += [line, img]
    return render.stack(parts)


def table(found: list[dict]) -> str:
    if not found:
        return ""
    return "\n".join([f"| {say('Point')} | {say('Measured')} |", "|---|---|"] +
                     [f"| {p['label']} | {p['caption']} |" for p in found])


def sheet(dataset_key: str, chart: str, families, label: str):
    for p in scaling.points(chart, dataset_key, check_families(families), say=say):
        if p["label"] == label:
            with Image.open(p["sheet"]) as img:
                big = img.convert("L").resize((img.width * 3, img.height * 3), Image.NEAREST)
            out = Image.new("L", (big.width, big.height + LABEL_ROOM), 255)  # room for the picture's label
            out.paste(big, (0, LABEL_ROOM))
            return out, p["caption"]
    return None, ""


def build(dataset: gr.Radio) -> None:
    gr.Markdown(tr(INTRO))
    # the page as built (English); a visitor's language redraws it (i18n.follow)
    a, text, found, _, listed = show(DEFAULT_DATASET, "compute", FAMILIES)
    first = found[-1]["label"] if found else None
    img, cap = sheet(DEFAULT_DATASET, "compute", FAMILIES, first) if first else (None, "")
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            chart = gr.Radio([(tr(NAMES[k]), k) for k in scaling.CHARTS], value="compute", label=tr("Chart"))
            families = gr.CheckboxGroup([(tr(models.get(f).TITLE), f) for f in FAMILIES], value=list(FAMILIES),
                                        label=tr("Families"))
            go = gr.Button(tr("Show"), variant="primary")
        with gr.Column(scale=2):
            shown = picture(a, label=tr("Chart"), show_label=False)
            said = gr.Markdown(text)
    links.register(TAB, go, dataset, all_classes=False, checks={"chart": lambda raw: checks.choice(
        "chart", raw, scaling.CHARTS), "families": check_families}, chart=chart, families=families)
    copies = picture(label=tr("Each class's sample nearest to a copy (its distance ratio), above that training image"),
                     visible=False)
    with gr.Row():
        point = gr.Dropdown([p["label"] for p in found], value=first, label=tr("Open a point's sample sheet"), scale=1)
        with gr.Column(scale=2):
            opened = picture(img, label=tr("Sample sheet: a column per class, a row per seed"))
            caption = gr.Markdown(cap)
    with gr.Accordion(tr("Every point"), open=False):
        rows = gr.Markdown(listed)

    @user_errors
    @api_names("dataset", "chart", "families")
    def draw(dataset_key, chart_key, chosen):
        a, text, found, pictures, listed = show(dataset_key, chart_key, chosen)
        first = found[-1]["label"] if found else None
        img, cap = sheet(dataset_key, chart_key, chosen, first) if first else (None, "")
        return (a, text, gr.Image(captioned(pictures), visible=bool(pictures)),
                gr.Dropdown([p["label"] for p in found], value=first), img, cap, listed)

    outputs = [shown, said, copies, point, opened, caption, rows]
    go.click(draw, [dataset, chart, families], outputs, api_name=TAB, queue=False)
    for control in (chart, dataset):
        control.change(draw, [dataset, chart, families], outputs, queue=False, api_visibility="private",
                       show_progress="hidden")
    families.input(draw, [dataset, chart, families], outputs, queue=False, api_visibility="private",
                   show_progress="hidden")
    point.input(sheet, [dataset, chart, families, point], [opened, caption], queue=False, api_visibility="private",
                show_progress="hidden")
    i18n.follow(draw, [dataset, chart, families], outputs)


def _sizes(dataset: str) -> dict:
    """What the lesson's step rests on: the first family of the size study with three finished
    sizes, at its smallest, middle and biggest, each planned for the same CPU time (the study is
    of one dataset, whatever the lesson's)."""
    study = scaling.sizes(facts.results("scaling", "dataset"))
    found = next(((f, runs) for f, runs in study.items() if len(runs) >= 3 and all(r["points"] for r in runs)), None)
    if not found:
        return {}
    family, runs = found
    out = {"family": models.get(family).TITLE, "floor": runs[0]["points"][-1]["fid_floor"]}
    for key, run in zip(("small", "mid", "big"), (runs[0], runs[len(runs) // 2], runs[-1])):
        last = run["points"][-1]
        out |= {key: scaling.count(run["params"]), f"{key}_fid": last["fid"], f"{key}_steps": last["step"],
                f"{key}_cpu": round(last["cpu_s"])}
    return out


LESSON = (  # the Scaling tab's step of the Lesson tab (genimg/ui/lesson.py)
    lesson.Step(TAB, "13 · Scaling: double the model or double the training?", {"chart": "size"},
                "Open the Scaling tab's Model size chart: one network trained at three sizes, each planned for the "
                "same CPU time, so the smaller ones take more steps.",
                "With the same CPU time, which size ends with the best FID?",
                ("The biggest, with the fewest steps", "The middle one", "The smallest, with the most steps"), 1,
                "{family}: {small} parameters after {small_steps} steps end at FID {small_fid}, {mid} after {mid_steps} "
                "steps at {mid_fid}, {big} after {big_steps} steps at {big_fid} (real images: {floor}). The middle one "
                "even spent the least CPU time ({mid_cpu} CPU-seconds against {small_cpu} and {big_cpu}). At this "
                "scale a bigger network does not pay for its slower steps within the budget, and a smaller one runs "
                "out of room: neither doubling wins on its own.",
                lambda m: m["mid_fid"] < min(m["small_fid"], m["big_fid"]) and m["mid_cpu"] <= min(m["small_cpu"], m["big_cpu"]),
                _sizes),
)


add({
    "Scaling": "规模",
    INTRO: "**质量怎样随投入增长。** 这是当今大型图像模型背后的问题，这里对每个模型家族用同一把尺子来问：裁判网络特征上的 FID"
           "（越低越好；虚线是真实图像对真实图像）。选一张图：FID 与至今花费的训练计算量；几种规模的模型在同一预算下的同一张图；"
           "FID 与训练图像的数量，以及样本复制训练图像的频率；FID 与采样时每张图像花费的网络计算次数。",
    "Training compute": "训练计算量",
    "Model size": "模型规模",
    "Training data": "训练数据",
    "Sampling compute": "采样计算量",
    "Chart": "图表",
    "Show": "显示",
    "Open a point's sample sheet": "打开一个测量点的样本表",
    "Sample sheet: a column per class, a row per seed": "样本表：每列一个类别，每行一个种子",
    "Every point": "所有测量点",
    "Point": "测量点",
    "Measured": "测得",
    "Each class's sample nearest to a copy (its distance ratio), above that training image":
        "每个类别中最接近复制的样本（及其距离比），下方是它最接近的训练图像",
    "This chart has no measurements on this dataset yet.": "这张图在这个数据集上还没有测量结果。",
    "{family}, {images:,} images: {share:.1%} of the samples copy a training image":
        "{family}，{images:,} 张图像：{share:.1%} 的样本复制了一张训练图像",
    "FID against training compute": "FID 与训练计算量",
    "FID against training compute, one curve per model size": "FID 与训练计算量，每种模型规模一条曲线",
    "FID against the training images, the same steps": "FID 与训练图像数量（相同步数）",
    "FID against network passes per image": "FID 与每张图像的网络计算次数",
    "training FLOPs so far (log scale)": "至今的训练 FLOPs（对数刻度）",
    "training images (log scale)": "训练图像数（对数刻度）",
    "passes per image (log scale)": "每张图像的计算次数（对数刻度）",
    "real images": "真实图像",
    "{family}: the frontier": "{family}：前沿",
    "{family} {params}": "{family} {params}",
    "{family}, {images:,} images": "{family}，{images:,} 张图像",
    "{name}, step {step:,}: FID {fid:.2f}": "{name}，第 {step:,} 步：FID {fid:.2f}",
    "FID {fid:.2f} (real images: {floor:.2f}), class accuracy {acc:.1%}, after {flops:.2e} training FLOPs and "
    "{cpu:,.0f} CPU-seconds.": "FID {fid:.2f}（真实图像：{floor:.2f}），类别准确率 {acc:.1%}，此时已花费 {flops:.2e} 训练 FLOPs、"
                               "{cpu:,.0f} CPU 秒。",
    "FID {fid:.2f} (real images: {floor:.2f}), class accuracy {acc:.1%}, after {flops:.2e} training FLOPs and at "
    "least {cpu:,.0f} CPU-seconds (a resumed run lost some of its clock).":
        "FID {fid:.2f}（真实图像：{floor:.2f}），类别准确率 {acc:.1%}，此时已花费 {flops:.2e} 训练 FLOPs、"
        "至少 {cpu:,.0f} CPU 秒（这次训练中途恢复时丢了一段计时）。",
    "**{family}** went from FID {first:.1f} to {last:.2f}; it was within a quarter of its final distance to the floor "
    "after {share:.0%} of its training compute.":
        "**{family}** 的 FID 从 {first:.1f} 降到 {last:.2f}；花费 {share:.0%} 的训练计算量时，它与真实数据基线的距离已不超过最终距离的 1.25 倍。",
    "{params}: {fid:.2f}": "{params}：{fid:.2f}",
    "(A run from scratch that was not shipped: the shipped checkpoint measures {fid:.2f} on the same ruler.)":
        "（这是一次没有发布的从头训练：发布的检查点用同一把尺子量得 {fid:.2f}。）",
    "**{family}**, final FID by parameters at the same CPU budget: {ends}.": "**{family}**，相同 CPU 预算下各参数量的最终 FID：{ends}。",
    "The {big} model overtakes the {small} one at {flops:.1e} training FLOPs.":
        "{big} 的模型在 {flops:.1e} 训练 FLOPs 处超过 {small} 的模型。",
    "The {big} model never overtakes the {small} one within this budget.": "在这个预算内，{big} 的模型始终没有超过 {small} 的模型。",
    "Power law on the frontier, FID − floor ∝ C^−α: α = {a:.2f} (95%: {lo:.2f} to {hi:.2f}) over {n} points from "
    "{x0:.1e} to {x1:.1e} FLOPs, R² {r2:.2f}.":
        "前沿上的幂律 FID − 基线 ∝ C^−α：α = {a:.2f}（95%：{lo:.2f} 到 {hi:.2f}），用 {n} 个点，从 {x0:.1e} 到 {x1:.1e} FLOPs，R² {r2:.2f}。",
    "At this scale the power law does not hold: the interval reaches 0 or the fit explains little of the frontier.":
        "在这个规模上幂律不成立：区间包含 0，或者拟合几乎解释不了前沿。",
    "Too few frontier points for a power law.": "前沿上的点太少，无法拟合幂律。",
    "{images:,} images: FID {fid:.2f}, {share:.1%} copied": "{images:,} 张图像：FID {fid:.2f}，{share:.1%} 是复制",
    "**{family}**: {each}.": "**{family}**：{each}。",
    "**{family}** is within 10% of its best FID ({best:.2f}) from {nfe} passes per image.":
        "**{family}** 从每张图像 {nfe} 次计算起，FID 就在其最佳值（{best:.2f}）的 10% 以内。",
    # 13 the lesson's step
    "13 · Scaling: double the model or double the training?": "13 · 规模：模型加倍，还是训练加倍？",
    "Open the Scaling tab's Model size chart: one network trained at three sizes, each planned for the same CPU "
    "time, so the smaller ones take more steps.":
        "打开规模页面的“模型规模”图：同一个网络训练成三种规模，每种都计划花同样的 CPU 时间，所以较小的模型走更多步。",
    "With the same CPU time, which size ends with the best FID?": "在同样的 CPU 时间下，哪种规模最终的 FID 最好？",
    "The biggest, with the fewest steps": "最大的，步数最少",
    "The middle one": "中间的",
    "The smallest, with the most steps": "最小的，步数最多",
    "{family}: {small} parameters after {small_steps} steps end at FID {small_fid}, {mid} after {mid_steps} steps at "
    "{mid_fid}, {big} after {big_steps} steps at {big_fid} (real images: {floor}). The middle one even spent the least "
    "CPU time ({mid_cpu} CPU-seconds against {small_cpu} and {big_cpu}). At this scale a bigger network does not pay "
    "for its slower steps within the budget, and a smaller one runs out of room: neither doubling wins on its own.":
        "{family}：{small} 参数训练 {small_steps} 步后 FID 为 {small_fid}，{mid} 参数 {mid_steps} 步后为 {mid_fid}，"
        "{big} 参数 {big_steps} 步后为 {big_fid}（真实图像：{floor}）。中间的那个花的 CPU 时间甚至最少（{mid_cpu} CPU 秒，"
        "另两个是 {small_cpu} 和 {big_cpu}）。在这个规模上，更大的网络在预算内补不回它更慢的每一步，更小的网络则容量不够："
        "单独加倍哪一样都赢不了。",
})
