"""The Lesson tab: thirteen steps a teacher can project, one family at a time. Each step has one
thing to try (a link that opens the tab with its settings, ``genimg.ui.links``), a question to
answer *before* pressing the button, and the answer, revealed on request with the class's
prediction beside it. Where an answer quotes a measurement, it is read from the checkpoint
cards, so it changes when the models do; each step says what must hold for its right choice to
be right (``holds``), and a test checks it on the shipped cards.

A family's steps live in its tab module (``LESSON``, with the facts they quote); the steps here
are the ones about every family at once (Compare and the scoreboard).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import gradio as gr

import importlib
import importlib.util
import re

from .. import checkpoint, evaluate, models
from . import i18n, links
from .controls import DEFAULT_DATASET
from .i18n import Local, add, say, tr


@dataclass(frozen=True)
class Step:
    tab: str  # the family (or "compare") the step is about
    title: str
    query: dict  # the link's settings (the API's names)
    try_it: str  # what to do there
    question: str
    choices: tuple[str, ...]
    right: int  # the index of the right choice
    answer: str  # may hold {fields} of what ``facts`` measured
    holds: Callable[[dict], bool] | None = None  # is the right choice right, by what was measured?
    facts: Callable[[str], dict] | None = None  # dataset -> the measured numbers the step rests on


def board(dataset: str) -> dict[str, dict]:
    """The scoreboard of ``dataset`` by family (``evaluate.scoreboard``: the cards' ``eval``)."""
    return {r["family"]: r for r in evaluate.scoreboard(dataset)}


def sweep_rows(family: str, dataset: str, name: str) -> list[dict]:
    """The rows of a sweep in the family's card (none where it has none)."""
    return (checkpoint.read_sweep(family, dataset, name) or {}).get("rows", [])


def row(rows: list[dict], **want) -> dict:
    """The first row whose fields have the values ``want`` (empty if none)."""
    return next((r for r in rows if all(r.get(k) == v for k, v in want.items())), {})


def _race(dataset: str) -> dict:
    """Who is fastest and slowest on the scoreboard, with their network passes."""
    found = board(dataset)
    if not found:
        return {}
    fast, slow = (f(found.values(), key=lambda r: r["ms_per_image"]) for f in (min, max))
    return {"fastest": fast["title"], "fastest_ms": fast["ms_per_image"], "fastest_nfe": fast["nfe"],
            "slowest": slow["title"], "slowest_ms": slow["ms_per_image"], "slowest_nfe": slow["nfe"],
            "most_nfe": max(r["nfe"] for r in found.values())}


def _best(dataset: str) -> dict:
    """The lowest FID on the scoreboard, and whether its family draws in many steps (or learned
    from one that does)."""
    found = board(dataset)
    if not found:
        return {}
    best = min(found.values(), key=lambda r: r["fid"])
    many = best["nfe"] > 1 or any(found.get(b, {}).get("nfe", 1) > 1 for b in models.builds_on(best["family"]))
    return {"best": best["title"], "best_fid": best["fid"], "floor": best["fid_floor"], "best_many_steps": many}


COMPARE = (
    Step("compare", "9 · Compare: the race", {"label": 3},
         "Open the Compare tab and press Compare.",
         "Which family finishes first, and which last?",
         ("A one-pass family (GAN, VAE) first, PixelCNN last", "Diffusion first, GAN last", "All at once"), 0,
         "One pass (GAN, VAE) against hundreds of small ones (PixelCNN: 784). The fastest here, "
         "{fastest}, takes {fastest_ms} ms per image; the slowest, {slowest}, {slowest_ms} ms.",
         lambda m: m["fastest_nfe"] == 1 and m["slowest_nfe"] == m["most_nfe"], _race),
    Step("compare", "10 · The scoreboard: who draws best?", {},
         "Open the Compare tab and read the scoreboard under the pictures.",
         "Which family has the lowest FID on MNIST (closest to real images)?",
         ("The GAN", "A diffusion-style model", "The VAE"), 1,
         "{best} ({best_fid}, against a floor of {floor} for real images). Speed and quality pull "
         "against each other: the many-step models draw best, the one-pass ones draw fastest.",
         lambda m: m["best_many_steps"], _best),
)


TABS_AFTER = ("train", "scaling")  # tabs that are not a family's whose modules hold steps, after Compare's


def steps(shown=models.FAMILIES) -> list[Step]:
    """Every step, in order: each shown family's own (its tab module's ``LESSON``), Compare's, then
    those of the tabs in ``TABS_AFTER``."""
    found = []
    for family in shown:
        if importlib.util.find_spec(f"{__package__}.{family}"):
            found += getattr(importlib.import_module(f"{__package__}.{family}"), "LESSON", ())
    found += COMPARE
    for tab in TABS_AFTER:
        found += getattr(importlib.import_module(f"{__package__}.{tab}"), "LESSON", ())
    return found


def measured(step: Step, dataset: str = DEFAULT_DATASET) -> dict:
    """The measured numbers a step rests on (absent where a card lacks one)."""
    return {k: v for k, v in (step.facts(dataset) if step.facts else {}).items() if v is not None}


def facts(step: Step, dataset: str = DEFAULT_DATASET) -> dict:
    """The numbers a step's answer quotes, as they are written ('–' where one is missing); the
    families' names are ``Local``, to be said in the visitor's language."""
    found, out = measured(step, dataset), {}
    for key in re.findall(r"\{(\w+)\}", step.answer):
        value = found.get(key)
        if value is None:
            out[key] = "–"
        elif isinstance(value, str):
            out[key] = Local(value)
        elif isinstance(value, int):
            out[key] = str(value)
        elif key.endswith(("_acc", "_share")):
            out[key] = f"{value:.0%}"
        else:
            out[key] = f"{value:.1f}" if key.endswith(("_fid", "floor")) or value < 10 else f"{value:.0f}"
    return out


def link(step: Step, lang: str = i18n.DEFAULT) -> str:
    """The step's link, in ``lang``."""
    return "?" + urlencode({"tab": step.tab, "dataset": DEFAULT_DATASET, **step.query, "lang": lang})


def build(shown: list[str]) -> None:
    """The walkthrough over the steps whose tab is shown (``?tab=lesson`` opens it)."""
    links.register_tab("lesson")
    steps = globals()["steps"](shown)
    gr.Markdown(tr("**A lesson in thirteen steps.** At each step: open the tab it links to (a new browser tab), "
                   "*predict* the answer with the class, then press the button and reveal it."))
    with gr.Walkthrough(selected=0) as walk:
        for i, step in enumerate(steps):
            with gr.Step(tr(step.title), id=i):
                gr.Markdown(tr({lang: i18n.in_lang(lang, "**Try it:** {try_it} [Open it ↗]({link})",
                                                    try_it=Local(step.try_it), link=link(step, lang))
                                for lang in i18n.LANGS}))
                guess = gr.Radio([(tr(c), c) for c in step.choices], label=tr(step.question))
                reveal = gr.Button(tr("Reveal the answer"), variant="primary")
                answer = gr.Markdown()
                with gr.Row():
                    back = gr.Button(tr("← Back"), visible=i > 0)
                    onward = gr.Button(tr("Next →"), visible=i < len(steps) - 1)

            def revealed(choice, step=step):
                right = step.choices[step.right]
                said = (say("You predicted **{choice}**: right.", choice=Local(choice)) if choice == right else
                        say("You predicted **{choice}**: not quite.", choice=Local(choice)) if choice else
                        say("No prediction made."))
                return f"{said} **{say(right)}**{say('.')} {say(step.answer, **facts(step))}"

            reveal.click(revealed, guess, answer, queue=False, api_visibility="private")
            back.click(lambda i=i: gr.Walkthrough(selected=i - 1), None, walk, queue=False, api_visibility="private")
            onward.click(lambda i=i: gr.Walkthrough(selected=i + 1), None, walk, queue=False,
                         api_visibility="private")


add({
    "**A lesson in thirteen steps.** At each step: open the tab it links to (a new browser tab), *predict* the answer "
    "with the class, then press the button and reveal it.":
        "**十三步课程。** 每一步：打开它链接的页面（新的浏览器标签页），和全班一起*预测*答案，然后按下按钮，揭晓答案。",
    "**Try it:** {try_it} [Open it ↗]({link})": "**试一试：** {try_it} [打开 ↗]({link})",
    "Reveal the answer": "揭晓答案",
    "← Back": "← 上一步",
    "Next →": "下一步 →",
    "You predicted **{choice}**: right.": "你的预测是 **{choice}**：对了。",
    "You predicted **{choice}**: not quite.": "你的预测是 **{choice}**：不太对。",
    "No prediction made.": "没有做预测。",
    ".": "。",
    # 1 GAN
    # 2 VAE
    # 3 PixelCNN
    # 4 Transformer
    # 5, 6 Diffusion
    # 7 Flow
    # 8 Latent
    # 9, 10 Compare
    "9 · Compare: the race": "9 · 对比：赛跑",
    "Open the Compare tab and press Compare.": "打开对比页面，按 对比。",
    "Which family finishes first, and which last?": "哪个模型家族最先完成，哪个最后？",
    "A one-pass family (GAN, VAE) first, PixelCNN last": "一次计算的家族（生成对抗网络、变分自编码器）最先，PixelCNN 最后",
    "Diffusion first, GAN last": "扩散模型最先，生成对抗网络最后",
    "All at once": "同时完成",
    "One pass (GAN, VAE) against hundreds of small ones (PixelCNN: 784). The fastest here, {fastest}, takes "
    "{fastest_ms} ms per image; the slowest, {slowest}, {slowest_ms} ms.":
        "一次计算（生成对抗网络、变分自编码器）对几百次小计算（PixelCNN：784 次）。这里最快的是{fastest}，每张图像 "
        "{fastest_ms} ms；最慢的是{slowest}，{slowest_ms} ms。",
    "10 · The scoreboard: who draws best?": "10 · 评分榜：谁画得最好？",
    "Open the Compare tab and read the scoreboard under the pictures.": "打开对比页面，读图片下方的评分榜。",
    "Which family has the lowest FID on MNIST (closest to real images)?": "在 MNIST 上哪个模型家族的 FID 最低（最接近真实图像）？",
    "The GAN": "生成对抗网络",
    "A diffusion-style model": "扩散类模型",
    "The VAE": "变分自编码器",
    "{best} ({best_fid}, against a floor of {floor} for real images). Speed and quality pull against each other: "
    "the many-step models draw best, the one-pass ones draw fastest.":
        "{best}（{best_fid}，真实图像的基线是 {floor}）。速度和质量此消彼长：多步的模型画得最好，一次计算的模型画得最快。",
})
