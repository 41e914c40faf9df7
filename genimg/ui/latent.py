"""The Latent diffusion tab: watch the 7x7 latent channels being denoised next to what they
decode to; what one step costs in latent space against pixel space; what the autoencoder keeps."""
from __future__ import annotations

import gradio as gr
import numpy as np

from .. import charts, checkpoint, explore, pipeline, render
from . import i18n, lesson
from .controls import seed_input
from .handlers import QUICK, api_names, user_errors
from .panels import LABEL_ROOM, how_it_works
from .live import View, denoised_pictures, live_panel, stream_stats
from .picture import picture
from .i18n import add, say, tr

FAMILY = "latent"
SHOWN = 4  # images whose latent channels are drawn
LOSS = ("Mean squared error {mse:.4f} per pixel (0–1 units) over these ten: every sample carries this loss too, since "
        "it is decoded by the same decoder.")
FLOOR = ("Measured on 10,000 training images, the decoder's own FID is **{fid}** in the judge's features (the images "
         "themselves: {floor}): no sample can score below it.")


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
        return None, say("Not measured for this checkpoint yet (`python benchmarks/latent_cost.py`).")
    rows = measured["rows"]
    names = [i18n.drawn(r["name"]) for r in rows]
    chart = render.stack([
        charts.hbars(names, [r["mflops"] for r in rows], i18n.drawn("One network evaluation, one image: MFLOPs"),
                     " M"),
        charts.hbars(names, [r["ms"] for r in rows], i18n.drawn("... and ms for {batch} images on {threads} threads",
                                                                 batch=measured["batch"], threads=measured["threads"]),
                     " ms")])
    pixel, small = rows[0], rows[1]
    return chart, say("One evaluation of the latent network costs **{ratio:.1f}× fewer FLOPs** than the pixel UNet's "
                      "({small:.0f} M against {pixel:.0f} M per image) and takes {small_ms:.1f} ms against "
                      "{pixel_ms:.1f} ms for {batch} images. The decoder runs once per image at the end: {decoder:.1f} "
                      "M FLOPs. Measured {date} by `benchmarks/latent_cost.py`.",
                      ratio=pixel["mflops"] / small["mflops"], small=small["mflops"], pixel=pixel["mflops"],
                      small_ms=small["ms"], pixel_ms=pixel["ms"], batch=measured["batch"],
                      decoder=measured["decoder_mflops"], date=measured["date"])


def _stats(frame: pipeline.Frame) -> str:
    return stream_stats(frame, say("Step {done} of {total} (t = {t:.2f})", done=frame.done, total=frame.total,
                                   t=frame.t),
                        "{nfe} latent network evaluations each (decoding every step, to show it)")


def _views() -> list[View]:
    codes = picture(label=tr("z_t: the latent channels of the first {k} images (a row each, one 7×7 square per "
                             "channel)", k=SHOWN))
    with gr.Row():
        noisy = picture(label=tr("D(z_t): what they decode to"))
        clean = picture(label=tr("D(z_0 guess): where the velocity points"))
    return [View(codes, lambda frame, run: _latents(frame.extras["state"])), View((noisy, clean), denoised_pictures)]


def build(dataset: gr.Radio) -> None:
    live_panel(FAMILY, dataset, _views, _stats, former="denoise_latent")
    with gr.Accordion(tr("What one step costs: latent space against pixel space"), open=True):
        with gr.Row():
            first_chart, first_text = cost(dataset.value) if checkpoint.exists(FAMILY, dataset.value) else (None, "")
            cost_chart = picture(first_chart, label=tr("Measured per network evaluation"))
            cost_text = gr.Markdown(first_text)
    with gr.Accordion(tr("What the autoencoder keeps"), open=False):
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                recon_seed = seed_input(0, "Which test images (seed)")
                recon_go = gr.Button(tr("Reconstruct 10 test images"), variant="primary")
            with gr.Column(scale=2):
                recon = picture(label=tr("Test images (top) and the decoder's image of their codes (bottom)"))
                recon_text = gr.Markdown()

    @user_errors
    @api_names("dataset", "seed")
    def reconstruct(dataset_key, seed_value):
        originals, recons = explore.reconstruct(FAMILY, dataset_key, 10, seed_value)
        mse = float(((originals / 255.0 - recons / 255.0) ** 2).mean())
        ae = checkpoint.read_card(FAMILY, dataset_key).get("metrics", {}).get("autoencoder", {})
        said = (say(LOSS + " " + FLOOR, mse=mse, fid=ae["fid"], floor=ae["fid_floor"]) if "fid" in ae else
                say(LOSS, mse=mse))
        return render.grid(np.concatenate([originals, recons]), scale=3, cols=10, top=LABEL_ROOM), said

    dataset.change(user_errors(cost), dataset, [cost_chart, cost_text], api_visibility="private",
                   show_progress="hidden")
    i18n.follow(lambda d: cost(d) if checkpoint.exists(FAMILY, d) else (None, ""), dataset, [cost_chart, cost_text])
    recon_go.click(reconstruct, [dataset, recon_seed], [recon, recon_text], api_name="reconstruct_latent",
                   concurrency_id=QUICK)
    how_it_works("latent")


add({
    # the tab
    "Not measured for this checkpoint yet (`python benchmarks/latent_cost.py`).":
        "这个检查点还没有测量过（`python benchmarks/latent_cost.py`）。",
    "pixel UNet": "像素 UNet",
    "latent net": "潜在网络",
    "One network evaluation, one image: MFLOPs": "一次网络评估、一张图像：MFLOPs",
    "... and ms for {batch} images on {threads} threads": "…… 以及 {threads} 个线程处理 {batch} 张图像的 ms",
    "One evaluation of the latent network costs **{ratio:.1f}× fewer FLOPs** than the pixel UNet's ({small:.0f} M "
    "against {pixel:.0f} M per image) and takes {small_ms:.1f} ms against {pixel_ms:.1f} ms for {batch} images. The "
    "decoder runs once per image at the end: {decoder:.1f} M FLOPs. Measured {date} by `benchmarks/latent_cost.py`.":
        "潜在网络一次评估的 **FLOPs 只有像素 UNet 的 1/{ratio:.1f}**（每张图像 {small:.0f} M 对 {pixel:.0f} M），"
        "处理 {batch} 张图像用时 {small_ms:.1f} ms 对 {pixel_ms:.1f} ms。解码器只在最后对每张图像运行一次："
        "{decoder:.1f} M FLOPs。由 `benchmarks/latent_cost.py` 于 {date} 测得。",
    "Step {done} of {total} (t = {t:.2f})": "第 {done} 步，共 {total} 步（t = {t:.2f}）",
    "{nfe} latent network evaluations each (decoding every step, to show it)":
        "每张 {nfe} 次潜在网络评估（为了展示，每步都解码）",
    "z_t: the latent channels of the first {k} images (a row each, one 7×7 square per channel)":
        "z_t：前 {k} 张图像的潜在通道（每张一行，每个通道一个 7×7 方格）",
    "D(z_t): what they decode to": "D(z_t)：它们解码出的图像",
    "D(z_0 guess): where the velocity points": "D(z_0 的估计)：速度指向的终点",
    "What one step costs: latent space against pixel space": "一步的代价：潜在空间与像素空间对比",
    "Measured per network evaluation": "按每次网络评估测量",
    "What the autoencoder keeps": "自编码器保留了什么",
    "Which test images (seed)": "哪些测试图像（随机种子）",
    "Reconstruct 10 test images": "重建 10 张测试图像",
    "Test images (top) and the decoder's image of their codes (bottom)": "测试图像（上）和解码器由它们的潜在编码还原的图像（下）",
    LOSS: "这十张图像的每像素均方误差为 {mse:.4f}（以 0–1 为单位）：每个样本也带着这份损失，因为它们由同一个解码器解码。",
    LOSS + " " + FLOOR: "这十张图像的每像素均方误差为 {mse:.4f}（以 0–1 为单位）：每个样本也带着这份损失，因为它们由同一个解码器"
                        "解码。在 10,000 张训练图像上测得，解码器自身在评判网络特征中的 FID 为 **{fid}**（图像本身：{floor}）："
                        "任何样本的分数都不可能低于它。",
})


LESSON = (  # this family's steps of the Lesson tab (genimg/ui/lesson.py)
    lesson.Step("latent", "8 · Latent diffusion: fewer numbers", {"label": 6, "n": 8},
                "Open the Latent diffusion tab and press Generate; look at the four small channels.",
                "How many numbers does it denoise per image, against the image's 784 pixels?",
                ("784", "196", "10"), 1,
                "196: an autoencoder squeezes the image into 7×7×4 numbers, the flow model works there, "
                "and the decoder paints the pixels once at the end, the 'latent' of Stable Diffusion."),
)

add({  # the lesson steps' words
    "784": "784", "196": "196", "10": "10",
    "8 · Latent diffusion: fewer numbers": "8 · 潜在扩散：更少的数",
    "Open the Latent diffusion tab and press Generate; look at the four small channels.": "打开潜在扩散页面，按 生成；看那四个小通道。",
    "How many numbers does it denoise per image, against the image's 784 pixels?": "和图像的 784 个像素相比，它每张图像要去噪多少个数？",
    "196: an autoencoder squeezes the image into 7×7×4 numbers, the flow model works there, and the decoder paints "
    "the pixels once at the end, the 'latent' of Stable Diffusion.":
        "196 个：自编码器把图像压缩成 7×7×4 个数，流模型在那里工作，最后解码器一次画出像素——这就是 Stable Diffusion 里的“潜在”。",
})
