"""Controls every tab shares: class picker, seed with dice, option sliders, the sample panel."""
from __future__ import annotations

import functools
import inspect
import secrets
import time

import gradio as gr
import numpy as np
from PIL import Image

from .. import explore, models, painting, pipeline, render
from ..data import DATASETS
from . import chinese, links, words
from .picture import picture
from .words import say, tr

DEFAULT_DATASET = "mnist"
ALL = -1  # the class value meaning "all classes" (image i gets class i % 10)
LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]
# Concurrency groups by cost, each with its own queue and workers (app.WORKERS): a one-pass
# request never waits behind a many-step one.
QUICK = "quick"  # one or a few network passes: GAN, VAE, One step, a round trip through an autoencoder
LONG = "long"  # many passes: the streaming samplers, Compare
QUICK_S = 0.05  # the most model time a family's default request may take to be QUICK (One step: 0.025 s)
words.add(chinese.TABLE)
words.add_errors(chinese.ERRORS)
LABEL_ROOM = 26  # px left blank above a picture, where gr.Image draws its label
FRAME_INTERVAL_S = 0.1  # a streaming tab sends at most ten frames a second to each client


def dataset_choices() -> list[tuple[str, str]]:
    return [(tr(info.title), key) for key, info in DATASETS.items()]


def class_choices(dataset: str, all_label: str | None = "All classes") -> list[tuple[str, int]]:
    names = [(tr(name), i) for i, name in enumerate(pipeline.class_names(dataset))]
    return ([(tr(all_label), ALL)] if all_label else []) + names


def class_dropdown(dataset: gr.Radio, all_label: str | None = "All classes", value: int | None = None,
                   label: str = "Class") -> gr.Dropdown:
    """A class picker whose names follow the dataset choice ("7" or "Sneaker")."""
    value = value if value is not None else (ALL if all_label else 0)
    for other in DATASETS:  # the browser gets every dataset's names with the page
        class_choices(other, all_label)
    dd = gr.Dropdown(class_choices(DEFAULT_DATASET, all_label), value=value, label=tr(label))
    # the class is a whole number: say so in the API's schema (Gradio calls every dropdown's value a
    # string, and an MCP client then refuses to send 3, and the enum refuses "3")
    dd.api_info = lambda: {"type": "integer", "enum": [v for _, v in dd.choices]}
    dataset.change(lambda d: gr.Dropdown(choices=class_choices(d, all_label)), dataset, dd,
                   queue=False, api_visibility="private", show_progress="hidden")
    return dd


def seed_input(value: int = 0, label: str = "Seed") -> gr.Number:
    """A seed box with a dice button next to it."""
    with gr.Row(equal_height=True):
        seed = gr.Number(value=value, minimum=0, maximum=pipeline.MAX_SEED, label=tr(label), scale=4)
        dice = gr.Button(tr("🎲 Random"), size="sm", scale=1, min_width=60)
    dice.click(lambda: secrets.randbelow(2**31), None, seed, queue=False, api_visibility="private")
    return seed


def option_sliders(family: str) -> list:
    """A slider per numeric option of the family, a radio per option with choices."""
    return [gr.Radio(list(o.choices), value=o.default, label=tr(o.label), info=tr(o.info)) if o.choices else
            gr.Slider(o.minimum, o.maximum, value=o.default, step=o.step, label=tr(o.label), info=tr(o.info))
            for o in models.get(family).OPTIONS]


def api_names(*names: str):
    """Name a handler's parameters as the API shows them (a handler taking ``*option_values``
    would otherwise show param_4, param_5...)."""
    def name(fn):
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        fn.__signature__ = inspect.Signature([inspect.Parameter(n, kind) for n in names])
        return fn
    return name


def cost(family: str) -> str:
    """A family's concurrency group, by the measured model time of its default request (16
    images; the cards' ``speed``): ``QUICK`` up to ``QUICK_S``, else ``LONG`` (also when no card
    measured it)."""
    seconds = pipeline.default_seconds(family)
    return QUICK if seconds is not None and seconds <= QUICK_S else LONG


def endpoint(family: str) -> str:
    """The name of a family's main action, the same for every family: ``generate_<family>``."""
    return f"generate_{family}"


def option_names(family: str) -> list[str]:
    return [o.name for o in models.get(family).OPTIONS]


START = ("source", "label", "which", "drawing")  # what start_picker's components give, in order


def user_errors(fn):
    """Show ValueErrors (bad input, missing checkpoints) as a message; the server keeps serving.
    Generator handlers (streaming) stay generators."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def streaming(*args):
            try:
                yield from fn(*args)
            except ValueError as e:
                raise gr.Error(words.translated(str(e)), print_exception=False) from None
        return streaming

    @functools.wraps(fn)
    def wrapper(*args):
        try:
            return fn(*args)
        except ValueError as e:
            raise gr.Error(words.translated(str(e)), print_exception=False) from None
    return wrapper


class Tape(list):
    """Every step's images of a streamed run, in order (``throttled`` fills it for the replay);
    ``finished`` once the final frame has gone by."""

    finished = False


def throttled(frames, interval: float = FRAME_INTERVAL_S, tape: Tape | None = None):
    """The frames worth sending: the first, then at most one per ``interval`` seconds, and always
    the final one (its ``result`` is set). Skipped frames are never rendered, so thirty clients
    watching a model work cost the server little more than thirty results. Every frame's images
    go on ``tape`` (the replay's recording), sent or not."""
    sent = None
    for frame in frames:
        if tape is not None:
            tape.append(frame.images)
            tape.finished = frame.result is not None
        now = time.perf_counter()
        if sent is None or frame.result is not None or now - sent >= interval:
            sent = now
            yield frame


def summary(family: str) -> gr.Markdown:
    """The family's one-line summary, in bold, in the page's language."""
    return gr.Markdown(tr("**{summary}**", summary=words.Local(models.get(family).SUMMARY)))


def how_it_works(name: str, figure=None, figure_label: str = "") -> None:
    """The accordion with ``how/<name>.<lang>.md`` (and a figure under it)."""
    with gr.Accordion(tr("How it works"), open=False):
        gr.Markdown(words.how(name), latex_delimiters=LATEX)
        if figure is not None:
            picture(figure, label=tr(figure_label), buttons=[])


def sketchpad(label: str = "Draw with the mouse (or a finger)", visible: bool = True) -> gr.Sketchpad:
    """A white 280x280 canvas with a black brush in hand."""
    paper = Image.new("RGBA", (280, 280), "white")  # a background puts the brush in hand
    return gr.Sketchpad(value={"background": paper, "layers": [], "composite": paper}, label=tr(label),
                        canvas_size=(280, 280), type="numpy", image_mode="RGBA", format="png",
                        layers=False, visible=visible, brush=gr.Brush(default_size=18, colors=["#000000"], color_mode="fixed"))


def drawn(sketch):
    """What the user drew (the composite of a Sketchpad value), or None."""
    return sketch.get("composite") if isinstance(sketch, dict) else sketch


def start_picker(dataset: gr.Radio) -> list:
    """Where a completion starts: a test image (class + which one) or a drawing. Returns the
    components in the order ``picked_start`` takes their values."""
    source = gr.Radio([(tr("A test image"), "test"), (tr("My drawing"), "drawing")], value="test",
                      label=tr("Start from"))
    label = class_dropdown(dataset, all_label="Let the classifier decide (drawings)", value=7, label="Class")
    example = gr.Slider(1, painting.EXAMPLES_PER_CLASS, value=1, step=1, label=tr("Which test image of the class"))
    pad = sketchpad(visible=False)
    source.change(lambda s: (gr.Slider(visible=s == "test"), gr.Sketchpad(visible=s == "drawing")),
                  source, [example, pad], queue=False, api_visibility="private", show_progress="hidden")
    return [source, label, example, pad]


def picked_start(dataset_key, source_value, label_value, which, sketch):
    """The values of a ``start_picker`` -> (uint8 28x28 image, class, where it came from)."""
    image = drawn(sketch) if source_value == "drawing" else None
    if source_value == "drawing" and image is None:
        raise ValueError("the drawing is empty: draw something first, or start from a test image")
    return painting.start_image(dataset_key, label_value, int(which) - 1, image)


def completion_sheet(dataset_key: str, first: np.ndarray, labels: tuple[str, str], out: dict, label_id: int,
                     origin: str):
    """``painting.complete``'s result as one captioned row: ``first`` (the start as shown), the
    part the model is given, the completions; and the line of text under it."""
    tiles = np.concatenate([render.tinted(first[None], 784), render.tinted(out["kept"][None], out["kept_pixels"]),
                            render.tinted(out["completions"], 784)])
    sheet = render.grid(tiles, [*labels, *words.drawn_captions(out["captions"])], scale=4, cols=len(tiles),
                        marks=[True, True, *out["agree"]], top=LABEL_ROOM)
    name = say(pipeline.class_names(dataset_key)[label_id])
    return sheet, say("Started from {origin}, class **{name}**; {k} completions in {s:.2f} s.", origin=words.translated(origin),
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
    return render.grid(r.images, words.drawn_captions(r.captions()), scale=scale, marks=list(r.predicted == r.labels),
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
        return (gr.Slider(minimum=min(1, count - 1), maximum=count, value=k, interactive=count > 1),
                render.grid(found["sheets"][k - 1][None], scale=3, top=LABEL_ROOM),
                say("Step {step:,} of {total:,} ({share:.0%} of the training run).", step=step,
                    total=found["total"], share=step / found["total"]))

    def refresh(is_open, dataset_key, k):  # a closed panel is drawn when it opens, not before
        return show(dataset_key, k) if is_open else (gr.skip(),) * 3

    opened, private = gr.State(False), dict(queue=False, api_visibility="private", show_progress="hidden")
    panel.expand(lambda *args: (True, *show(*args)), [dataset, point], [opened, point, sheet, said], **private)
    panel.collapse(lambda: False, None, opened, **private)
    for event in (point.release, dataset.change):
        event(refresh, [opened, dataset, point], [point, sheet, said], **private)
    words.follow(refresh, [opened, dataset, point], [point, sheet, said])
