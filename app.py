"""genimg: generate images with five families of generators, side by side, live on a CPU.

    python app.py            # http://127.0.0.1:7860
"""
from __future__ import annotations

import importlib
import os

import gradio as gr

from genimg import checkpoint
from genimg.data import DATASETS
from genimg.models import FAMILIES, get
from genimg.ui import compare
from genimg.ui.common import DEFAULT_DATASET, dataset_choices

INTRO = """# genimg — five ways to generate an image
Every tab is a different family of generative model, trained on the same tiny images
(28×28 handwritten digits or clothes), class-conditional, and running live on this CPU.
Pick a dataset, pick a tab, press **Generate**. Each tab's *How it works* explains the idea.
"""
CSS = "img { image-rendering: pixelated; }"


def shown_families() -> list[str]:
    """Families with a checkpoint for at least one dataset (a missing one explains itself)."""
    return [f for f in FAMILIES if any(checkpoint.exists(f, d) for d in DATASETS)]


def build_demo() -> gr.Blocks:
    with gr.Blocks(title="genimg", delete_cache=(3600, 3600)) as demo:
        gr.Markdown(INTRO)
        dataset = gr.Radio(dataset_choices(), value=DEFAULT_DATASET, label="Dataset")
        with gr.Tabs():
            for family in shown_families():
                with gr.Tab(get(family).TITLE, id=family):
                    importlib.import_module(f"genimg.ui.{family}").build(dataset)
            with gr.Tab("Compare", id="compare"):
                compare.build(dataset)
    return demo


def launch(demo: gr.Blocks, **kwargs):
    demo.queue(max_size=64, default_concurrency_limit=2)
    return demo.launch(css=CSS, max_file_size="2mb", enable_monitoring=False, show_error=False,
                       blocked_paths=[str(checkpoint.CHECKPOINT_DIR), str(checkpoint.RUNS_DIR)],
                       footer_links=["api"], **kwargs)


if __name__ == "__main__":
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    launch(build_demo(), server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
