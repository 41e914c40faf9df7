"""Numbers checked in the visitor's language: before Gradio preprocesses an event's inputs, every
Slider and Number among them is checked for a number within its range, so a request that sends
text, null, a list or a number out of range gets a message naming the allowed range, in the
visitor's language (Gradio's own checks would fail with a TypeError the user never sees, or
answer in English).

The check wraps the Blocks' ``preprocess_data``, not each component's ``preprocess``: Gradio
makes a new component for a visitor whose page updated it (``gr.skip()`` included), and a
patched component would be forgotten there; the range checked is that visitor's own.
"""
from __future__ import annotations

import functools

import gradio as gr

from .words import built, say


def check(block, payload) -> None:
    """Raise a ``gr.Error`` unless ``payload`` is a number within ``block``'s range."""
    lo, hi = block.minimum, block.maximum
    wrong = isinstance(payload, bool) or not isinstance(payload, (int, float))
    if wrong or (lo is not None and payload < lo) or (hi is not None and payload > hi):
        show = lambda v: str(int(v)) if float(v).is_integer() else f"{v:g}"  # noqa: E731
        name = built(block.label) if block.label else say("this value")
        if lo is not None and hi is not None:
            raise gr.Error(say("{name} must be a number between {lo} and {hi}, got {got}", name=name,
                               lo=show(lo), hi=show(hi), got=repr(payload)), print_exception=False)
        raise gr.Error(say("{name} must be a number, got {got}", name=name, got=repr(payload)), print_exception=False)


def strict_numbers(demo: gr.Blocks) -> None:
    """Check the Sliders' and Numbers' values of every event of ``demo`` before Gradio does."""
    preprocess_data = demo.preprocess_data

    @functools.wraps(preprocess_data)
    async def checked(block_fn, inputs, state, *args, **kwargs):
        for block, payload in zip(block_fn.inputs, inputs):
            if isinstance(block, (gr.Slider, gr.Number)):
                check(state[block._id] if state is not None and block._id in state else block, payload)
        return await preprocess_data(block_fn, inputs, state, *args, **kwargs)

    demo.preprocess_data = checked
