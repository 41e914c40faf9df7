"""Scrub a streamed run, take it home: every step's images are recorded as a streaming tab runs
(``recording``; also the steps not sent to the browser), and beneath the tab (``panel``) a
slider goes back and forth through them without recomputing anything, Play turns them into an
animated GIF at the chosen speed, and the GIF and the final grid can be downloaded.

The recording lives in the visitor's session (a ``gr.State`` of uint8 arrays, 12 KB a step for
16 images, at most ``MAX_FRAMES`` steps, evenly thinned); pictures are drawn only when asked for.
"""
from __future__ import annotations

import functools
import io

import gradio as gr
import numpy as np
from PIL import Image

from .. import render
from .handlers import Tape
from .picture import cache_file, png_bytes, picture
from .i18n import add, say, tr

MAX_FRAMES = 120  # recorded pictures kept per run (a 784-step PixelCNN run is thinned evenly)


def thinned(frames: list, keep: int = MAX_FRAMES) -> list:
    """At most ``keep`` of ``frames``, evenly spaced, always with the first and the last."""
    if len(frames) <= keep:
        return frames
    return [frames[round(i * (len(frames) - 1) / (keep - 1))] for i in range(keep)]


def recording(fn):
    """Wrap a streaming handler that takes a keyword ``tape`` (a ``Tape`` it hands to
    ``throttled``, which puts every step's images on it, sent or not) so that its outputs get
    one more, a ``gr.State``: the recording, with the final frame (a run that stops early
    leaves the last recording as it was)."""
    @functools.wraps(fn)
    def recorded(*args):
        tape = Tape()
        for out in fn(*args, tape=tape):
            yield *out, (thinned(list(tape)) if tape.finished else gr.skip())
    return recorded


def picture_of(images: np.ndarray) -> Image.Image:
    """One recorded step: its images (N, 28, 28) as a grid."""
    return render.grid(images, scale=4)


def movie(tape: list, per_second: float, draw=picture_of) -> bytes:
    """The recorded steps as an animated GIF (each drawn by ``draw``), ``per_second`` steps a
    second, looping, the last one held for a second."""
    pictures = [draw(step) for step in tape]
    ms = max(20, round(1000 / per_second))
    buf = io.BytesIO()
    pictures[0].save(buf, format="gif", save_all=True, append_images=pictures[1:], loop=0,
                     duration=[ms] * (len(pictures) - 1) + [max(ms, 1000)])
    return buf.getvalue()


def panel(recorded: gr.State, name: str, draw=picture_of) -> gr.State:
    """The replay controls under a streaming tab, fed by ``recorded`` (the State that
    ``recording`` fills); ``name`` prefixes the downloaded files; ``draw`` turns a recorded step
    into its picture (default: its images as a grid). Returns ``recorded``."""
    with gr.Accordion(tr("Replay the steps · download"), open=False):
        step = gr.Slider(1, 2, value=1, step=1, label=tr("Recorded step (drag: nothing is recomputed)"),
                         interactive=False)
        shown = picture(label=tr("The step"))
        with gr.Row():
            speed = gr.Slider(1, 30, value=8, step=1, label=tr("Play speed (steps a second)"), scale=3)
            play = gr.Button(tr("▶ Play"), scale=1)
        animation = picture(label=tr("Played back (an animated GIF)"), visible=False)
        with gr.Row():
            get_gif = gr.DownloadButton(tr("Download the GIF"), visible=False)
            get_png = gr.DownloadButton(tr("Download the final picture (PNG)"), visible=False)

    def ready(tape):
        if not tape:
            return gr.skip(), gr.skip(), gr.skip()
        last = cache_file(png_bytes(draw(tape[-1])), f"{name}-final.png")
        return (gr.Slider(1, max(len(tape), 2), value=len(tape), interactive=len(tape) > 1), last,
                gr.DownloadButton(value=last, visible=True))

    def at(tape, k):
        return draw(tape[min(int(k), len(tape)) - 1]) if tape else None

    def played(tape, per_second):
        if not tape:
            raise gr.Error(say("Run the tab first: there is nothing recorded to play yet."))
        path = cache_file(movie(tape, per_second, draw), f"{name}-steps.gif")
        return gr.Image(value=path, visible=True), gr.DownloadButton(value=path, visible=True)

    private = dict(queue=False, api_visibility="private", show_progress="hidden")
    recorded.change(ready, recorded, [step, shown, get_png], **private)
    step.release(at, [recorded, step], shown, **private)
    play.click(played, [recorded, speed], [animation, get_gif], api_visibility="private")
    return recorded


add({
    "Replay the steps · download": "回放各步 · 下载",
    "Recorded step (drag: nothing is recomputed)": "记录的步（拖动：不会重新计算）",
    "The step": "这一步",
    "Play speed (steps a second)": "播放速度（每秒步数）",
    "▶ Play": "▶ 播放",
    "Played back (an animated GIF)": "回放（GIF 动画）",
    "Download the GIF": "下载 GIF",
    "Download the final picture (PNG)": "下载最终图片（PNG）",
    "Run the tab first: there is nothing recorded to play yet.": "请先运行本页：还没有可以播放的记录。",
})
