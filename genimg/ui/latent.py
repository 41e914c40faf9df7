"""The Latent diffusion tab: watch the 7x7 latent channels being denoised next to what they
decode to; what one step costs in latent space against pixel space; what the autoencoder keeps."""
from __future__ import annotations

import gradio as gr
import numpy as np

from .. import checkpoint, denoising, explore, pipeline, render
from ..models import latent
from .common import LABEL_ROOM, MODEL_QUEUE, api_names, how_it_works, live_controls, option_names, seed_input, \
    denoised_pictures, stream_stats, throttled, user_errors
from . import replay
from .picture import picture

FAMILY = "latent"
NAMES = option_names(FAMILY)
SHOWN = 4  # images whose latent channels are drawn
HOW = r"""
**Two models in one** (Rombach et al. 2022, the "L" of Stable Diffusion). An **autoencoder**
(`latent.AutoEncoder`) squeezes each 28×28 image $x$ into a 7×7 grid of $c$ numbers per cell
($c = 4$ for the digits, 8 for the clothes, whose texture needs more),
$z = E(x)$, and a decoder $D$ turns such a grid back into an image. A **flow-matching model**
(the Flow matching tab's loss and samplers, `flow.flow_matching_loss`) then learns the
class-conditional distribution of the codes, not of the pixels:

$$p(x \mid y) = \int p_D(x \mid z)\, p_\theta(z \mid y)\, dz, \qquad
\mathcal{L} = \mathbb{E}\,\big\| v_\theta(z_t, t, y) - (\varepsilon - z) \big\|^2,\quad z_t = (1 - t)\,z + t\,\varepsilon .$$

The autoencoder is trained first (`latent.Trainer._autoencoder_step`: reconstruction + a small
KL term that keeps the codes near a Gaussian, as Stable Diffusion's KL autoencoder), then frozen;
its codes are shifted and scaled to unit variance per channel (`Model.to_latent`), like the noise
they are mixed with. Sampling (`Model.solve`) runs the ODE in latent space and decodes once at
the end (`Model.picture`); the live view decodes every step so that you can watch.

**The saving**: 196 (or 392) numbers instead of 784, and a network at 7×7 only (`latent.LatentNet`), so
each network evaluation is several times cheaper (*What one step costs*). **The price**: an
image can never be better than the decoder makes it — the autoencoder's blur and slips are in
every sample (*What the autoencoder keeps*). At 28×28 the saving is modest; at Stable Diffusion's
512×512×3 (786,432 numbers against a 64×64×4 latent of 16,384) it is what made the model trainable.
"""


def channels(state: np.ndarray, shown: int = SHOWN) -> np.ndarray:
    """Latent grids (N, C, 7, 7), normalised to unit variance -> uint8 tiles (shown * C, 7, 7):
    image by image, channel by channel, -3 black ... +3 white."""
    z = np.asarray(state[:shown], dtype=np.float32)
    tiles = np.clip((z + 3) / 6, 0, 1) * 255
    return tiles.reshape(-1, *z.shape[2:]).round().astype(np.uint8)


def _latents(state: np.ndarray):
    c = state.shape[1]
    return render.grid(channels(state), scale=8, cols=c, pad=2, top=LABEL_ROOM)


def cost(dataset_key: str):
    """The card's measured cost of one network evaluation, latent against pixel space."""
    measured = checkpoint.read_card(FAMILY, dataset_key).get("step_cost")
    if not measured:
        return None, "Not measured for this checkpoint yet (`python benchmarks/latent_cost.py`)."
    rows = measured["rows"]
    names = [r["name"] for r in rows]
    chart = render.stack([
        render.hbars(names, [r["mflops"] for r in rows], "One network evaluation, one image: MFLOPs", " M"),
        render.hbars(names, [r["ms"] for r in rows], f"... and ms for {measured['batch']} images on "
                                                     f"{measured['threads']} threads", " ms")])
    pixel, small = rows[0], rows[1]
    return chart, (f"One evaluation of the latent network costs **{pixel['mflops'] / small['mflops']:.1f}× fewer "
                   f"FLOPs** than the pixel UNet's ({small['mflops']:.0f} M against {pixel['mflops']:.0f} M per "
                   f"image) and takes {small['ms']:.1f} ms against {pixel['ms']:.1f} ms for {measured['batch']} "
                   f"images. The decoder runs once per image at the end: {measured['decoder_mflops']:.1f} M FLOPs. "
                   f"Measured {measured['date']} by `benchmarks/latent_cost.py`.")


def _stats(frame: pipeline.Frame) -> str:
    return stream_stats(frame, f"Step {frame.done} of {frame.total} (t = {frame.t:.2f})",
                        "{nfe} latent network evaluations each (decoding every step, to show it)")


def build(dataset: gr.Radio) -> None:
    gr.Markdown(f"**{latent.SUMMARY}**")
    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            label, n, seed, options, go, stop = live_controls(dataset, FAMILY, pipeline.STREAM_MAX_N)
        with gr.Column(scale=2):
            codes = picture(label=f"z_t: the latent channels of the first {SHOWN} images (a row each, "
                                  "one 7×7 square per channel)")
            with gr.Row():
                noisy = picture(label="D(z_t): what they decode to")
                clean = picture(label="D(z_0 guess): where the velocity points")
            stats = gr.Markdown()
    recorded = replay.panel(gr.State([]), "latent")
    with gr.Accordion("What one step costs: latent space against pixel space", open=True):
        with gr.Row():
            first_chart, first_text = cost(dataset.value) if checkpoint.exists(FAMILY, dataset.value) else (None, "")
            cost_chart = picture(first_chart, label="Measured per network evaluation")
            cost_text = gr.Markdown(first_text)
    with gr.Accordion("What the autoencoder keeps", open=False):
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                recon_seed = seed_input(0, "Which test images (seed)")
                recon_go = gr.Button("Reconstruct 10 test images", variant="primary")
            with gr.Column(scale=2):
                recon = picture(label="Test images (top) and the decoder's image of their codes (bottom)")
                recon_text = gr.Markdown()

    @user_errors
    @api_names("dataset", "label", "n", "seed", *NAMES)
    @replay.recording
    def generate(dataset_key, label_value, n_value, seed_value, *option_values, tape):
        opts = dict(zip(NAMES, option_values))
        frames = denoising.denoise(FAMILY, dataset_key, label_value, n_value, seed_value, **opts)
        for frame in throttled(frames, tape=tape):
            yield _latents(frame.state), *denoised_pictures(frame), _stats(frame)

    @user_errors
    @api_names("dataset", "seed")
    def reconstruct(dataset_key, seed_value):
        originals, recons = explore.reconstruct(FAMILY, dataset_key, 10, seed_value)
        mse = float(((originals / 255.0 - recons / 255.0) ** 2).mean())
        ae = checkpoint.read_card(FAMILY, dataset_key).get("metrics", {}).get("autoencoder", {})
        floor = (f" Measured on 10,000 training images, the decoder's own FID is **{ae['fid']}** in the judge's "
                 f"features (the images themselves: {ae['fid_floor']}): no sample can score below it."
                 if "fid" in ae else "")
        return (render.grid(np.concatenate([originals, recons]), scale=3, cols=10, top=LABEL_ROOM),
                f"Mean squared error {mse:.4f} per pixel (0–1 units) over these ten: every sample carries this "
                f"loss too, since it is decoded by the same decoder.{floor}")

    event = go.click(generate, [dataset, label, n, seed, *options], [codes, noisy, clean, stats, recorded],
                     api_name="denoise_latent", concurrency_id=MODEL_QUEUE)
    stop.click(None, None, None, cancels=[event], queue=False, api_visibility="private")
    dataset.change(user_errors(cost), dataset, [cost_chart, cost_text], api_visibility="private",
                   show_progress="hidden")
    recon_go.click(reconstruct, [dataset, recon_seed], [recon, recon_text], api_name="reconstruct_latent",
                   concurrency_id=MODEL_QUEUE)
    how_it_works(HOW)
