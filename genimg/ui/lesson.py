"""The Lesson tab: ten steps a teacher can project, one family at a time. Each step has one
thing to try (a link that opens the tab with its settings, ``genimg.ui.links``), a question to
answer *before* pressing the button, and the answer, revealed on request with the class's
prediction beside it. Where an answer quotes a measurement, it is read from the checkpoint
cards (``evaluate.scoreboard``, the sweeps), so it changes when the models do.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import gradio as gr

from .. import denoising, evaluate, pipeline
from . import links
from .common import DEFAULT_DATASET


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


STEPS = (
    Step("gan", "1 · GAN: one pass, and a knob for variety", {"label": 3, "n": 16, "truncation": 0.0},
         "Open the GAN tab with truncation ψ = 0 and press Generate; then move ψ to 1 and press again.",
         "At ψ = 0, will the 16 images of the class differ from one another?",
         ("Yes, as much as at ψ = 1", "A little", "No, they are all the same image"), 2,
         "ψ scales the generator's noise z. At 0 every image gets the same z, the centre of the "
         "distribution: the class's 'average' image, 16 times. Truncation trades variety for typical "
         "images (BigGAN's trick)."),
    Step("vae", "2 · VAE: a code you can walk", {"label": 7, "n": 16},
         "Open the VAE tab and generate; then open the latent map below it.",
         "Will the VAE's samples look sharper or blurrier than the GAN's?",
         ("Sharper", "About the same", "Blurrier"), 2,
         "Blurrier. The decoder is trained to reconstruct each pixel, and where it cannot tell, it "
         "averages. The scoreboard agrees: judge FID {vae_fid} for the VAE against {gan_fid} for the "
         "GAN on MNIST (lower is better)."),
    Step("pixelcnn", "3 · PixelCNN: one pixel at a time", {"label": 2, "n": 4},
         "Open the PixelCNN tab and press Paint; watch the red pixel move.",
         "How many network passes does it take to draw one 28×28 image?",
         ("1", "28, one per row", "784, one per pixel"), 2,
         "784: each pixel is drawn from p(x_i | the pixels before it, the class), in reading order. "
         "That is why it is the slowest tab ({pixelcnn_ms} ms per image on the scoreboard)."),
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
         "default guidance, {guided_acc}."),
    Step("diffusion", "6 · Diffusion: how many steps?", {"label": 4, "n": 4, "steps": 5},
         "Open the Diffusion tab with 5 steps and generate; then open 'How many steps?' below.",
         "With DPM-Solver++, will 5 steps look as good as 50?",
         ("Just as good", "Close, slightly rougher", "Pure noise"), 1,
         "Close: a second-order solver takes big, accurate steps. A first-order sampler (DDPM) "
         "needs hundreds. Every step is one network pass (two where guidance acts)."),
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
         "{fastest}, takes {fastest_ms} ms per image; the slowest, {slowest}, {slowest_ms} ms."),
    Step("compare", "10 · The scoreboard: who draws best?", {},
         "Open the Compare tab and read the scoreboard under the pictures.",
         "Which family has the lowest FID on MNIST (closest to real images)?",
         ("The GAN", "A diffusion-style model", "The VAE"), 1,
         "{best} ({best_fid}, against a floor of {floor} for real images). Speed and quality pull "
         "against each other: the many-step models draw best, the one-pass ones draw fastest."),
)


def facts(dataset: str = DEFAULT_DATASET) -> dict:
    """The measured numbers the answers quote, read from the cards ('–' where one is missing)."""
    board = {r["family"]: r for r in evaluate.scoreboard(dataset)}
    out = {"vae_fid": "–", "gan_fid": "–", "pixelcnn_ms": "–", "guidance0_acc": "–", "guided_acc": "–",
           "fastest": "–", "fastest_ms": "–", "slowest": "–", "slowest_ms": "–", "best": "–", "best_fid": "–",
           "floor": "–"}
    for family in ("vae", "gan"):
        if family in board:
            out[f"{family}_fid"] = f"{board[family]['fid']:.1f}"
    if "pixelcnn" in board:
        out["pixelcnn_ms"] = f"{board['pixelcnn']['ms_per_image']:.0f}"
    if board:
        fast, slow = (f(board.values(), key=lambda r: r["ms_per_image"]) for f in (min, max))
        best = min(board.values(), key=lambda r: r["fid"])
        out.update(fastest=fast["title"], fastest_ms=f"{fast['ms_per_image']:.1f}", slowest=slow["title"],
                   slowest_ms=f"{slow['ms_per_image']:.0f}", best=best["title"], best_fid=f"{best['fid']:.1f}",
                   floor=f"{best['fid_floor']:.1f}")
    sweep = (denoising.guidance_sweep("diffusion", dataset) or {}).get("rows", []) if "diffusion" in board else []
    default = pipeline.check_options("diffusion", {}) if sweep else {}
    keys = ("guidance", "guide_from", "guide_to")
    for key, want in (("guidance0_acc", {"guidance": 0.0}), ("guided_acc", {k: default.get(k) for k in keys})):
        row = next((r for r in sweep if all(r.get(k) == v for k, v in want.items())), None)
        if row:
            out[key] = f"{row['class_accuracy']:.0%}"
    return out


def link(step: Step) -> str:
    return "?" + urlencode({"tab": step.tab, "dataset": DEFAULT_DATASET, **step.query})


def build(shown: list[str]) -> None:
    """The walkthrough over the steps whose tab is shown (``?tab=lesson`` opens it)."""
    links.register_tab("lesson")
    steps = [s for s in STEPS if s.tab in shown or s.tab == "compare"]
    gr.Markdown("**A lesson in ten steps.** At each step: open the tab it links to (a new browser tab), "
                "*predict* the answer with the class, then press the button and reveal it.")
    with gr.Walkthrough(selected=0) as walk:
        for i, step in enumerate(steps):
            with gr.Step(step.title, id=i):
                gr.Markdown(f"**Try it:** {step.try_it} [Open it ↗]({link(step)})")
                guess = gr.Radio(list(step.choices), label=step.question)
                reveal = gr.Button("Reveal the answer", variant="primary")
                answer = gr.Markdown()
                with gr.Row():
                    back = gr.Button("← Back", visible=i > 0)
                    onward = gr.Button("Next →", visible=i < len(steps) - 1)

            def revealed(choice, step=step):
                said = (f"You predicted **{choice}**: {'right' if choice == step.choices[step.right] else 'not quite'}."
                        if choice else "No prediction made.")
                return f"{said} **{step.choices[step.right]}.** {step.answer.format(**facts())}"

            reveal.click(revealed, guess, answer, queue=False, api_visibility="private")
            back.click(lambda i=i: gr.Walkthrough(selected=i - 1), None, walk, queue=False, api_visibility="private")
            onward.click(lambda i=i: gr.Walkthrough(selected=i + 1), None, walk, queue=False,
                         api_visibility="private")
