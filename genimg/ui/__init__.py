"""The app's tabs: one module per family (``genimg.ui.<family>.build``) plus shared controls,
and ``build()``, which puts them together into the app's Blocks (``app.py`` launches it).

Tabs call ``genimg.pipeline`` / ``genimg.explore`` only and receive uint8 arrays, never tensors.
"""
from __future__ import annotations

import importlib

import gradio as gr

from .. import checkpoint
from ..data import DATASETS
from ..models import FAMILIES, get
from . import compare
from .common import DEFAULT_DATASET, dataset_choices, strict_numbers

INTRO = """# genimg — five ways to generate an image
Every tab is a different family of generative model, trained on the same tiny images
(28×28 handwritten digits or clothes), class-conditional, and running live on this CPU.
Pick a dataset, pick a tab, press **Generate**. Each tab's *How it works* explains the idea.
"""


def shown_families() -> list[str]:
    """Families with a checkpoint for at least one dataset (a missing one explains itself)."""
    return [f for f in FAMILIES if any(checkpoint.exists(f, d) for d in DATASETS)]


def build() -> gr.Blocks:
    """The whole app: the dataset choice, a tab per shown family, and the Compare tab."""
    with gr.Blocks(title="genimg", delete_cache=(3600, 3600)) as demo:
        gr.Markdown(INTRO)
        dataset = gr.Radio(dataset_choices(), value=DEFAULT_DATASET, label="Dataset")
        with gr.Tabs():
            for family in shown_families():
                with gr.Tab(get(family).TITLE, id=family):
                    importlib.import_module(f"genimg.ui.{family}").build(dataset)
            with gr.Tab("Compare", id="compare"):
                compare.build(dataset)
    strict_numbers(demo)
    return demo
