"""The panels every tab shares: a family's one-line summary, its How it works accordion, the
sample panel (class, n, seed and options -> a captioned grid, the process and timings; the
family's ``/generate_<family>``), the captioned sheets of a result and of a completion, and
"Watch it learn", the trainer's samples along the run.
"""
from __future__ import annotations

import gradio as gr
import numpy as np
from PIL import Image

from .. import checkpoint, explore, models, pipeline, render, scaling
from . import i18n, links
from .controls import class_dropdown, option_names, option_sliders, seed_input
from .handlers import api_names, cost, endpoint, user_errors
from .picture import picture
from .i18n import say, tr

LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]
LABEL_ROOM = 26  # px left blank above a picture, where gr.Image draws its label


def summary(family: str) -> gr.Markdown:
    """The family's one-line summary, in bold, in the page's language."""
    return gr.Markdown(tr("**{summary}**", summary=i18n.Local(models.get(family).SUMMARY)))


def how_it_works(name: str, figure=None, figure_label: str = "") -> None:
    """The accordion with ``how/<name>.<lang>.md`` (and a figure under it)."""
    with gr.Accordion(tr("How it works"), open=False):
        gr.Markdown(i18n.how(name), latex_delimiters=LATEX)
        if figure is not None:
            picture(figure, label=tr(figure_label), buttons=[])


def completion_sheet(dataset_key: str, first: np.ndarray, labels: tuple[str, str], out: dict, label_id: int,
                     origin: str):
    """``painting.complete``'s result as one captioned row: ``first`` (the start as shown), the
    part the model is given, the completions; and the line of text under it."""
    tiles = np.concatenate([render.tinted(first[None], 784), render.tinted(out["kept"][None], out["kept_pixels"]),
                            render.tinted(out["completions"], 784)])
    sheet = render.grid(tiles, [*labels, *i18n.drawn_captions(out["captions"])], scale=4, cols=len(tiles),
                        marks=[True, True, *out["agree"]], top=LABEL_ROOM)
    name = say(pipeline.class_names(dataset_key)[label_id])
    return sheet, say("Started from {origin}, class **{name}**; {k} completions in {s:.2f} s.", origin=i18n.translated(origin),
                      name=name, k=len(out["completions"]), s=out["seconds"])


def sample_panel(family: str, dataset: gr.Radio, process_label: str) -> None:
    """Class, n, seed, the family's options -> a labelled grid, the process, and timings.

    Registers the public endpoint ``/generate_<family>``.
    """
    names = option_names(family)
    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            label = class_dropdown(dataset)
            n = gr.Slider(1, pipeline.UI_MAX_N, value=16, step=1, label=tr("Number of images"))
            seed = seed_input()
            opts = option_sliders(family)
            go = gr.Button(tr("Generate"), variant="primary")
            links.register(family, go, dataset, label=label, n=n, seed=seed, **dict(zip(names, opts)))
        with gr.Column(scale=2):
            grid = picture(label=tr("Samples (caption: what the classifier sees, red if not the class asked)"))
            stats = gr.Markdown()
            process = picture(label=tr(process_label))

    @user_errors
    @api_names("dataset", "label", "n", "seed", *names)
    def generate(dataset_key, label_value, n_value, seed_value, *opt_values):
        options = dict(zip(names, opt_values))
        r = pipeline.generate(family, dataset_key, label_value, n_value, seed_value, **options)
        first = [f[0] for f in pipeline.frames(family, dataset_key, label_value, n_value, seed_value, **options)]
        agree = int((r.predicted == r.labels).sum())
        text = say("**{n} images in {ms:.1f} ms** ({each:.2f} ms each) · {nfe} network evaluation"
                   + ("s" if r.nfe != 1 else "") + " per image · the classifier agrees on {agree}/{n} · seed {seed}",
                   n=len(r.images), ms=r.seconds * 1000,
                   each=r.seconds * 1000 / len(r.images), nfe=r.nfe, agree=agree, seed=r.seed)
        sheet = result_sheet(r)
        return sheet, text, render.strip(np.stack(first), scale=5)

    go.click(generate, [dataset, label, n, seed, *opts], [grid, stats, process],
             api_name=endpoint(family), concurrency_id=cost(family))


def result_sheet(r: pipeline.Result, scale: int = 4) -> Image.Image:
    """A ``Result`` as a captioned grid, red where the classifier does not see the class asked for."""
    return render.grid(r.images, i18n.drawn_captions(r.captions()), scale=scale, marks=list(r.predicted == r.labels),
                       top=LABEL_ROOM)


def learning_panel(family: str, dataset: gr.Radio) -> None:
    """"Watch it learn": the samples the trainer drew (same classes, same seeds) at about eight
    points of the run that made this checkpoint, one at a time on a slider."""
    with gr.Accordion(tr("Watch it learn"), open=False) as panel:
        point = gr.Slider(1, 8, value=8, step=1, label=tr("Point in training (1: early · 8: the shipped model)"))
        sheet = picture(label=tr("The trainer's samples: one column per class, the same seeds at every point"))
        said = gr.Markdown()

    def show(dataset_key, k):
        found = explore.training_sheets(family, dataset_key)
        if not found["steps"]:
            return (gr.Slider(minimum=0, maximum=1, value=1, interactive=False), None,
                    say("This checkpoint was trained before the trainer kept sample sheets; its next training "
                        "run will add them."))
        count = len(found["steps"])
        k = min(max(int(k), 1), count)
        step = found["steps"][k - 1]
        curve = checkpoint.read_card(family, dataset_key).get("learning") or []
        at = next((i for i, p in enumerate(curve) if p["step"] == step), None)  # its point (the Scaling tab)
        return (gr.Slider(minimum=min(1, count - 1), maximum=count, value=k, interactive=count > 1),
                render.grid(found["sheets"][k - 1][None], scale=3, top=LABEL_ROOM),
                say("Step {step:,} of {total:,} ({share:.0%} of the training run).", step=step,
                    total=found["total"], share=step / found["total"]) +
                (" " + scaling.caption(curve[at], at >= (scaling.clock_lost_at(curve) or len(curve)), say)
                 if at is not None else ""))

    def refresh(is_open, dataset_key, k):  # a closed panel is drawn when it opens, not before
        return show(dataset_key, k) if is_open else (gr.skip(),) * 3

    opened, private = gr.State(False), dict(queue=False, api_visibility="private", show_progress="hidden")
    panel.expand(lambda *args: (True, *show(*args)), [dataset, point], [opened, point, sheet, said], **private)
    panel.collapse(lambda: False, None, opened, **private)
    for event in (point.release, dataset.change):
        event(refresh, [opened, dataset, point], [point, sheet, said], **private)
    i18n.follow(refresh, [opened, dataset, point], [point, sheet, said])
