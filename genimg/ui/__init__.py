"""The app's tabs: a family's own module (``genimg.ui.<family>.build``) where it has one, else
the generic sample panel, plus shared controls, and ``build()``, which puts them together into
the app's Blocks (``app.py`` launches it).

Tabs call ``genimg.pipeline`` / ``genimg.explore`` only and receive uint8 arrays, never tensors.
"""
from __future__ import annotations

import importlib
import importlib.util

import gradio as gr

from .. import checkpoint
from ..data import DATASETS
from ..models import FAMILIES, get
from . import aging, answers, compare, i18n, lesson, links, scaling, sessions, train, workers  # noqa: F401 - aging, answers, sessions, workers: app.py's
from .controls import DEFAULT_DATASET, dataset_choices
from .panels import learning_panel, sample_panel, summary
from .strict import strict_numbers
from .i18n import tr

INTRO = """# genimg — {count_word} ways to generate an image
Every tab is a different family of generative model, trained on the same tiny images
(28×28 handwritten digits or clothes), class-conditional, and running live on this CPU.
Pick a dataset, pick a tab, press **Generate**. Each tab's *How it works* explains the idea.
"""
# Every minute, Gradio deletes the pictures it handed out that nobody asked for in 10 minutes (a
# kept answer touches its files when it is sent again): a class's pictures take a bounded folder
# (ui.aging keeps that deletion going under load).
CACHE_AGE = (60, 600)
NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def shown_families() -> list[str]:
    """Families with a checkpoint for at least one dataset (a missing one explains itself)."""
    return [f for f in FAMILIES if any(checkpoint.exists(f, d) for d in DATASETS)]


def own_tab(family: str) -> bool:
    """Whether the family has a tab module of its own."""
    return importlib.util.find_spec(f"{__name__}.{family}") is not None


def family_tab(family: str, dataset: gr.Radio) -> None:
    """The family's own tab, or, for a family without one, its summary over the sample panel."""
    if own_tab(family):
        importlib.import_module(f"{__name__}.{family}").build(dataset)
    else:
        summary(family)
        sample_panel(family, dataset, process_label="From the start to the sample (the first image)")
    learning_panel(family, dataset)


def build() -> gr.Blocks:
    """The whole app: the dataset choice, a tab per shown family, and the Compare tab."""
    links.PANELS.clear()  # the panels of this Blocks register as its tabs are built
    i18n.reset()
    with gr.Blocks(title="genimg", delete_cache=CACHE_AGE) as demo:
        families = shown_families()
        for family in filter(own_tab, families):  # a tab module adds its words as it is imported
            importlib.import_module(f"{__name__}.{family}")
        count = len(families)
        with gr.Row(equal_height=True):
            gr.Markdown(tr(INTRO, count=count, count_word=NUMBERS[count] if count < len(NUMBERS) else count))
            language = i18n.switcher()
        dataset = gr.Radio(dataset_choices(), value=DEFAULT_DATASET, label=tr("Dataset"))
        note = gr.Markdown(visible=False)  # what a link asked for that could not be applied
        titles = [get(family).TITLE for family in families] + ["Compare", "Train", "Scaling", "Lesson"]
        with gr.Tabs() as tabs:
            pages = []
            for family in families:
                with gr.Tab(tr(get(family).TITLE), id=family) as page:
                    family_tab(family, dataset)
                pages.append(page)
            with gr.Tab(tr("Compare"), id="compare") as page:
                compare.build(dataset)
            pages.append(page)
            with gr.Tab(tr("Train"), id=train.TAB) as page:
                train.build(dataset)
            pages.append(page)
            with gr.Tab(tr("Scaling"), id=scaling.TAB) as page:
                scaling.build(dataset)
            pages.append(page)
            with gr.Tab(tr("Lesson"), id="lesson") as page:
                lesson.build(families)
            pages.append(page)
        # The browser relabels a tab it has not drawn yet, but not the tab bar's other names when a
        # link or the switch changes the language: the server names them again in it.
        i18n.follow(lambda: [gr.Tab(label=i18n.say(t)) for t in titles], [], pages)
        links.attach(i18n.attach(demo, language), tabs, dataset, note, families)
    strict_numbers(demo)
    name_endpoints(demo)
    return i18n.serve(demo)


def name_endpoints(demo: gr.Blocks) -> None:
    """Give each public endpoint's function its API name: an MCP client sees the app's
    endpoints as tools named after their functions (``generate_gan``, not ``generate_3``)."""
    for fn in demo.fns.values():
        if fn.fn is not None and fn.api_name and fn.api_visibility != "private":
            fn.fn.__name__ = fn.api_name
