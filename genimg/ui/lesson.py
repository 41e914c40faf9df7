"""The Lesson tab: ten steps a teacher can project, one family at a time. Each step has one
thing to try (a link that opens the tab with its settings, ``genimg.ui.links``), a question to
answer *before* pressing the button, and the answer, revealed on request with the class's
prediction beside it. Where an answer quotes a measurement, it is read from the checkpoint
cards (``evaluate.scoreboard``, the sweeps), so it changes when the models do.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import gradio as gr

from .. import checkpoint, evaluate, pipeline
from . import links, words
from .common import DEFAULT_DATASET
from .words import Local, add, say, tr


@dataclass(frozen=True)
class Step:
    tab: str  # the family (or "compare") the step is about
    title: str
    query: dict  # the link's settings (the API's names)
    try_it: str  # what to do there
    question: str
    choices: tuple[str, ...]
    right: int  # the index of the right choice
    answer: str  # may hold {fields} of ``facts``
    holds: Callable[[dict], bool] | None = None  # is the right choice right, by what was measured?


STEPS = (
    Step("gan", "1 · GAN: one pass, and a knob for variety", {"label": 3, "n": 16, "truncation": 0.0},
         "Open the GAN tab with truncation ψ = 0 and press Generate; then move ψ to 1 and press again.",
         "At ψ = 0, will the 16 images of the class differ from one another?",
         ("Yes, as much as at ψ = 1", "A little", "No, they are all the same image"), 2,
         "ψ scales the generator's noise z. At 0 every image gets the same z, the centre of the "
         "distribution: the class's 'average' image, 16 times. Truncation trades variety for typical "
         "images (BigGAN's trick).", lambda m: m["psi0_recall"] < 0.05),
    Step("vae", "2 · VAE: a code you can walk", {"label": 7, "n": 16},
         "Open the VAE tab and generate; then open the latent map below it.",
         "Will the VAE's samples look sharper or blurrier than the GAN's?",
         ("Sharper", "About the same", "Blurrier"), 2,
         "Blurrier. The decoder is trained to reconstruct each pixel, and where it cannot tell, it "
         "averages. The scoreboard agrees: judge FID {vae_fid} for the VAE against {gan_fid} for the "
         "GAN on MNIST (lower is better).", lambda m: m["vae_fid"] > m["gan_fid"]),
    Step("pixelcnn", "3 · PixelCNN: one pixel at a time", {"label": 2, "n": 4},
         "Open the PixelCNN tab and press Paint; watch the red pixel move.",
         "How many network passes does it take to draw one 28×28 image?",
         ("1", "28, one per row", "784, one per pixel"), 2,
         "784: each pixel is drawn from p(x_i | the pixels before it, the class), in reading order. "
         "That is why it is the slowest tab ({pixelcnn_ms} ms per image on the scoreboard).",
         lambda m: m["slowest"] == "PixelCNN" and m["pixelcnn_nfe"] == 784),
    Step("transformer", "4 · Transformer: an image as 49 words", {"label": 5, "n": 4},
         "Open the Transformer tab and press Generate; look at the coloured token map.",
         "How many steps does the GPT take to write one image?",
         ("784", "49", "1"), 1,
         "49: a VQ-VAE turns each 4×4 patch into one of 128 codes, so an image is a 7×7 grid of "
         "tokens, written one after another like words, then decoded in one pass."),
    Step("diffusion", "5 · Diffusion: does it listen to the class?", {"label": 8, "n": 8, "guidance": 0.0},
         "Open the Diffusion tab with guidance 0 and press Generate; then try guidance 2.",
         "With guidance 0, will the images be of the class you asked for?",
         ("Yes, all of them", "About half", "Hardly any more than chance"), 2,
         "Guidance 0 is the model *without* the class. Measured on 2,000 samples, "
         "{guidance0_acc} of them are the class asked for (one in ten would be chance); at the "
         "default guidance, {guided_acc}.", lambda m: m["guidance0_acc"] < 0.2 and m["guided_acc"] > 0.9),
    Step("diffusion", "6 · Diffusion: how many steps?", {"label": 4, "n": 4, "steps": 5},
         "Open the Diffusion tab with 5 steps and generate; then open 'How many steps?' below.",
         "With DPM-Solver++, will 5 steps look as good as 50?",
         ("Just as good", "Close, slightly rougher", "Pure noise"), 1,
         "Close: a second-order solver takes big, accurate steps. A first-order sampler (DDPM) "
         "needs hundreds. Every step is one network pass (two where guidance acts).",
         lambda m: m["steps5_acc"] > 0.9 and m["steps5_fid"] > m["steps10_fid"]),
    Step("flow", "7 · Flow matching: straight paths", {"label": 1, "n": 8},
         "Open the Flow matching tab and press 'Draw the paths' below the sampler.",
         "Whose path from noise to image is straighter: flow matching's or the diffusion model's?",
         ("Flow matching's", "The diffusion model's", "Both are straight"), 0,
         "Flow matching's: it is trained on straight lines from noise to data; the diffusion "
         "model's path bends like a quarter circle. Straighter paths need fewer steps."),
    Step("latent", "8 · Latent diffusion: fewer numbers", {"label": 6, "n": 8},
         "Open the Latent diffusion tab and press Generate; look at the four small channels.",
         "How many numbers does it denoise per image, against the image's 784 pixels?",
         ("784", "196", "10"), 1,
         "196: an autoencoder squeezes the image into 7×7×4 numbers, the flow model works there, "
         "and the decoder paints the pixels once at the end, the 'latent' of Stable Diffusion."),
    Step("compare", "9 · Compare: the race", {"label": 3},
         "Open the Compare tab and press Compare.",
         "Which family finishes first, and which last?",
         ("A one-pass family (GAN, VAE) first, PixelCNN last", "Diffusion first, GAN last", "All at once"), 0,
         "One pass (GAN, VAE) against hundreds of small ones (PixelCNN: 784). The fastest here, "
         "{fastest}, takes {fastest_ms} ms per image; the slowest, {slowest}, {slowest_ms} ms.",
         lambda m: m["fastest_nfe"] == 1 and m["slowest"] == "PixelCNN"),
    Step("compare", "10 · The scoreboard: who draws best?", {},
         "Open the Compare tab and read the scoreboard under the pictures.",
         "Which family has the lowest FID on MNIST (closest to real images)?",
         ("The GAN", "A diffusion-style model", "The VAE"), 1,
         "{best} ({best_fid}, against a floor of {floor} for real images). Speed and quality pull "
         "against each other: the many-step models draw best, the one-pass ones draw fastest.",
         lambda m: m["best"] in DIFFUSION_STYLE),
)


DIFFUSION_STYLE = ("Diffusion", "Flow matching", "Latent diffusion", "One step")  # step 10's right choice


def _row(rows: list[dict], **want) -> dict:
    return next((r for r in rows if all(r.get(k) == v for k, v in want.items())), {})


def measured(dataset: str = DEFAULT_DATASET) -> dict:
    """The measured numbers behind the answers, read from the cards (absent where a card lacks
    one): the scoreboard (``evaluate.scoreboard``) and the sweeps."""
    board = {r["family"]: r for r in evaluate.scoreboard(dataset)}
    out = {f"{f}_fid": board[f]["fid"] for f in ("vae", "gan") if f in board}
    if "pixelcnn" in board:
        out.update(pixelcnn_ms=board["pixelcnn"]["ms_per_image"], pixelcnn_nfe=board["pixelcnn"]["nfe"])
    if board:
        fast, slow = (f(board.values(), key=lambda r: r["ms_per_image"]) for f in (min, max))
        best = min(board.values(), key=lambda r: r["fid"])
        out.update(fastest=fast["title"], fastest_ms=fast["ms_per_image"], fastest_nfe=fast["nfe"],
                   slowest=slow["title"], slowest_ms=slow["ms_per_image"], best=best["title"], best_fid=best["fid"],
                   floor=best["fid_floor"])
    psi = _row((checkpoint.read_sweep("gan", dataset, "truncation") or {}).get("rows", []), truncation=0.0)
    if psi:
        out["psi0_recall"] = psi["recall"]
    guidance = (checkpoint.read_sweep("diffusion", dataset, "guidance") or {}).get("rows", [])
    default = pipeline.check_options("diffusion", {}) if guidance else {}
    for key, want in (("guidance0_acc", {"guidance": 0.0}),
                      ("guided_acc", {k: default.get(k) for k in ("guidance", "guide_from", "guide_to")})):
        if _row(guidance, **want):
            out[key] = _row(guidance, **want)["class_accuracy"]
    steps = (checkpoint.read_card("diffusion", dataset).get("sampling", {}) if "diffusion" in board else {})
    for n in (5, 10):
        row = _row(steps.get("rows", []), sampler="dpm++", steps=n)
        if row:
            out.update({f"steps{n}_fid": row["fid"], f"steps{n}_acc": row["class_accuracy"]})
    return out


def facts(dataset: str = DEFAULT_DATASET) -> dict:
    """The numbers the answers quote, as they are written ('–' where one is missing); the
    families' names are ``Local``, to be said in the visitor's language."""
    m, out = measured(dataset), {}
    for key in ("vae_fid", "gan_fid", "pixelcnn_ms", "guidance0_acc", "guided_acc", "fastest", "fastest_ms",
                "slowest", "slowest_ms", "best", "best_fid", "floor"):
        value = m.get(key)
        if value is None:
            out[key] = "–"
        elif isinstance(value, str):
            out[key] = Local(value)
        elif key.endswith("_acc"):
            out[key] = f"{value:.0%}"
        else:
            out[key] = f"{value:.1f}" if key.endswith(("_fid", "floor")) or value < 10 else f"{value:.0f}"
    return out


def link(step: Step, lang: str = words.DEFAULT) -> str:
    """The step's link, in ``lang``."""
    return "?" + urlencode({"tab": step.tab, "dataset": DEFAULT_DATASET, **step.query, "lang": lang})


def build(shown: list[str]) -> None:
    """The walkthrough over the steps whose tab is shown (``?tab=lesson`` opens it)."""
    links.register_tab("lesson")
    steps = [s for s in STEPS if s.tab in shown or s.tab == "compare"]
    gr.Markdown(tr("**A lesson in ten steps.** At each step: open the tab it links to (a new browser tab), "
                   "*predict* the answer with the class, then press the button and reveal it."))
    with gr.Walkthrough(selected=0) as walk:
        for i, step in enumerate(steps):
            with gr.Step(tr(step.title), id=i):
                gr.Markdown(tr({lang: words.in_lang(lang, "**Try it:** {try_it} [Open it ↗]({link})",
                                                    try_it=Local(step.try_it), link=link(step, lang))
                                for lang in words.LANGS}))
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
                return f"{said} **{say(right)}**{say('.')} {say(step.answer, **facts())}"

            reveal.click(revealed, guess, answer, queue=False, api_visibility="private")
            back.click(lambda i=i: gr.Walkthrough(selected=i - 1), None, walk, queue=False, api_visibility="private")
            onward.click(lambda i=i: gr.Walkthrough(selected=i + 1), None, walk, queue=False,
                         api_visibility="private")


add({
    "**A lesson in ten steps.** At each step: open the tab it links to (a new browser tab), *predict* the answer "
    "with the class, then press the button and reveal it.":
        "**十步课程。** 每一步：打开它链接的页面（新的浏览器标签页），和全班一起*预测*答案，然后按下按钮，揭晓答案。",
    "**Try it:** {try_it} [Open it ↗]({link})": "**试一试：** {try_it} [打开 ↗]({link})",
    "Reveal the answer": "揭晓答案",
    "← Back": "← 上一步",
    "Next →": "下一步 →",
    "You predicted **{choice}**: right.": "你的预测是 **{choice}**：对了。",
    "You predicted **{choice}**: not quite.": "你的预测是 **{choice}**：不太对。",
    "No prediction made.": "没有做预测。",
    ".": "。",
    # 1 GAN
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
    # 2 VAE
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
    # 3 PixelCNN
    "3 · PixelCNN: one pixel at a time": "3 · PixelCNN：一次一个像素",
    "Open the PixelCNN tab and press Paint; watch the red pixel move.": "打开 PixelCNN 页面，按 绘制；看红色像素移动。",
    "How many network passes does it take to draw one 28×28 image?": "画一张 28×28 的图像需要多少次网络评估？",
    "28, one per row": "28 次，每行一次",
    "784, one per pixel": "784 次，每个像素一次",
    "784: each pixel is drawn from p(x_i | the pixels before it, the class), in reading order. That is why it is "
    "the slowest tab ({pixelcnn_ms} ms per image on the scoreboard).":
        "784 次：每个像素按阅读顺序从 p(x_i | 它之前的像素, 类别) 中采样。所以它是最慢的页面（评分榜上每张图像 {pixelcnn_ms} ms）。",
    # 4 Transformer
    "4 · Transformer: an image as 49 words": "4 · Transformer：把图像写成 49 个词",
    "Open the Transformer tab and press Generate; look at the coloured token map.": "打开 Transformer 页面，按 生成；看彩色的词元图。",
    "How many steps does the GPT take to write one image?": "GPT 写一张图像要多少步？",
    "784": "784", "49": "49", "1": "1", "196": "196", "10": "10",
    "49: a VQ-VAE turns each 4×4 patch into one of 128 codes, so an image is a 7×7 grid of tokens, written one "
    "after another like words, then decoded in one pass.":
        "49 步：VQ-VAE 把每个 4×4 的图块变成 128 个码字之一，所以一张图像是 7×7 的词元（token）网格，"
        "像写词一样一个接一个写出来，最后一次解码成图像。",
    # 5, 6 Diffusion
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
    # 7 Flow
    "7 · Flow matching: straight paths": "7 · 流匹配：笔直的路径",
    "Open the Flow matching tab and press 'Draw the paths' below the sampler.": "打开流匹配页面，按采样器下方的“画出路径”。",
    "Whose path from noise to image is straighter: flow matching's or the diffusion model's?":
        "从噪声到图像，谁的路径更直：流匹配的还是扩散模型的？",
    "Flow matching's": "流匹配的",
    "The diffusion model's": "扩散模型的",
    "Both are straight": "两个都是直的",
    "Flow matching's: it is trained on straight lines from noise to data; the diffusion model's path bends like a "
    "quarter circle. Straighter paths need fewer steps.":
        "流匹配的：它就是在从噪声到数据的直线上训练的；扩散模型的路径弯得像四分之一个圆。路径越直，需要的步数越少。",
    # 8 Latent
    "8 · Latent diffusion: fewer numbers": "8 · 潜在扩散：更少的数",
    "Open the Latent diffusion tab and press Generate; look at the four small channels.": "打开潜在扩散页面，按 生成；看那四个小通道。",
    "How many numbers does it denoise per image, against the image's 784 pixels?": "和图像的 784 个像素相比，它每张图像要去噪多少个数？",
    "196: an autoencoder squeezes the image into 7×7×4 numbers, the flow model works there, and the decoder paints "
    "the pixels once at the end, the 'latent' of Stable Diffusion.":
        "196 个：自编码器把图像压缩成 7×7×4 个数，流模型在那里工作，最后解码器一次画出像素——这就是 Stable Diffusion 里的“潜在”。",
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
