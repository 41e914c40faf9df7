"""The VAE tab: sample, reconstruct real images, explore the latent map, encode a drawing."""
from __future__ import annotations

import gradio as gr
import numpy as np

from .. import explore, render
from ..models import vae
from .common import (ALL, MODEL_QUEUE, api_names, class_dropdown, drawn, how_it_works, sample_panel, seed_input,
                     sketchpad, user_errors)
from .picture import picture

HOW = r"""
An **encoder** maps an image $x$ (and its class $y$) to a Gaussian $q(z \mid x, y)$ over a
code $z$ of a few numbers (8 on MNIST, 16 on Fashion-MNIST); a **decoder** maps $z$ and $y$ back to pixel probabilities $p(x \mid z, y)$.
Both are trained together by maximising the evidence lower bound (`Model.elbo`):

$$\log p(x \mid y) \;\ge\; \underbrace{\mathbb{E}_{q(z \mid x, y)}\big[\log p(x \mid z, y)\big]}_{\text{reconstruct well}} \;-\; \underbrace{\mathrm{KL}\big(q(z \mid x, y)\,\|\,\mathcal{N}(0, I)\big)}_{\text{keep codes near the prior}}$$

The expectation is estimated with one sample drawn by the **reparameterisation trick**
(`Model.reparameterise`): $z = \mu + \sigma \odot \varepsilon$, $\varepsilon \sim \mathcal{N}(0, I)$,
so the randomness sits outside the network and gradients flow through $\mu$ and $\sigma$.

Because the KL term pulls every code towards $\mathcal{N}(0, I)$, the textbook way to **sample**
is to decode $z \sim \mathcal{N}(0, I)$. In practice the codes of real images do not fill that
Gaussian: some regions ("holes") hold no image of the class and decode to another digit or a
blend. genimg therefore samples from a Gaussian fitted to the codes of each class's training
images, $z = m_y + L_y\,\varepsilon$ (`Model.prior_sample`; Ghosh et al. 2020) — the card
reports the class accuracy of both samplers. On Fashion-MNIST one Gaussian per class is still too
coarse (a class's codes form several clusters: shirts with and without sleeves), so there the
prior is a mixture of ten Gaussians per class (`fit_mixture`, expectation-maximisation), and
sampling first picks one of them. *Temperature* scales $\varepsilon$: the default 0.9 draws
codes a little nearer the centres, which gives MNIST its lowest FID and makes 90.5% of the
Fashion-MNIST samples their class instead of 89.7%, for some variety (README, VAE section). The class is
given to both networks, so $z$ is free to hold *style* — slant, thickness, width — which the
latent map shows along the two directions in which the class's codes vary most. VAE samples are
smoother than a GAN's: the decoder predicts each pixel's mean, averaging over what it is unsure of.
"""


def _pair_rows(top: np.ndarray, bottom: np.ndarray):
    return render.grid(np.concatenate([top, bottom]), cols=len(top), scale=3)


def build(dataset: gr.Radio) -> None:
    gr.Markdown(f"**{vae.SUMMARY}** One forward pass of the decoder per image.")
    sample_panel("vae", dataset, process_label="From the centre of the class's codes out to the sample "
                                               "(first image): ε × 0, 0.2, …, 1")
    with gr.Accordion("Reconstructions of real test images", open=True):
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                rec_seed = seed_input(0, "Which images (seed)")
                rec_go = gr.Button("Encode and decode", variant="primary")
            rec_out = picture(label="Top: originals · bottom: reconstructions", scale=2)
    with gr.Accordion("Latent map", open=True):
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                map_label = class_dropdown(dataset, all_label=None, value=2)
                map_size = gr.Slider(*explore.MAP_SIZES, value=9, step=1, label="Grid size")
                map_go = gr.Button("Decode the map", variant="primary")
            map_out = picture(label="Around the class centre: rows move along the 1st principal direction, "
                                    "columns the 2nd (±2 std)", scale=2)
    with gr.Accordion("Draw something", open=True):
        with gr.Row():
            with gr.Column(scale=1, min_width=300):
                pad = sketchpad()
                draw_label = class_dropdown(dataset, all_label="Let the classifier decide",
                                            label="What did you draw?")
                draw_go = gr.Button("Encode my drawing", variant="primary")
            with gr.Column(scale=2):
                draw_out = picture(label="Your drawing at 28×28 · its reconstruction")
                draw_samples = picture(label="Samples from q(z | your drawing)")
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
        return pair, render.strip(out["samples"], scale=3), f"Encoded as class **{out['label']}** ({out['how']})."

    rec_go.click(reconstruct, [dataset, rec_seed], rec_out, api_name="reconstruct_vae",
                 concurrency_id=MODEL_QUEUE)
    map_go.click(latent_map, [dataset, map_label, map_size], map_out, api_name="latent_map_vae",
                 concurrency_id=MODEL_QUEUE)
    draw_go.click(encode, [dataset, pad, draw_label], [draw_out, draw_samples, draw_text],
                  api_name="encode_drawing_vae", concurrency_id=MODEL_QUEUE)
    how_it_works(HOW)
