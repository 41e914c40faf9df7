"""The controls every tab shares: the dataset and class pickers, the seed with its dice, a
family's option sliders, the drawing pad, and where a completion starts (a test image or a
drawing). Importing it adds the Chinese of what every tab shares (``chinese.TABLE``).
"""
from __future__ import annotations

import secrets

import gradio as gr
from PIL import Image

from .. import models, painting, pipeline
from ..data import DATASETS
from . import chinese, i18n
from .i18n import tr

DEFAULT_DATASET = "mnist"
ALL = -1  # the class value meaning "all classes" (image i gets class i % 10)
START = ("source", "label", "which", "drawing")  # what start_picker's components give, in order
i18n.add(chinese.TABLE)


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
    return option_controls(models.get(family).OPTIONS)


def option_controls(options) -> list:
    """A slider per numeric ``models.Option``, a radio per option with choices."""
    return [gr.Radio(list(o.choices), value=o.default, label=tr(o.label), info=tr(o.info)) if o.choices else
            gr.Slider(o.minimum, o.maximum, value=o.default, step=o.step, label=tr(o.label), info=tr(o.info))
            for o in options]


def option_names(family: str) -> list[str]:
    return [o.name for o in models.get(family).OPTIONS]


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
