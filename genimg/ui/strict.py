"""Numbers checked in the visitor's language: before Gradio preprocesses an event's inputs, every
Slider and Number among them is checked for a number within its range, so a request that sends
text, null, a list or a number out of range gets a message naming the allowed range, in the
visitor's language (Gradio's own checks would fail with a TypeError the user never sees, or
answer in English).

The check wraps the Blocks' ``preprocess_data``, not each component's ``preprocess``: Gradio
makes a new component for a visitor whose page updated it (``gr.skip()`` included), and a
patched component would be forgotten there; the range checked is that visitor's own.

The same wrapper refuses a Radio or Dropdown sent null (Gradio would pass None on, and the
handler fall back to a default), naming the allowed values, and checks every picture of an image
input by its header before Gradio decodes it (``uploads``); a picture Gradio then fails to read,
and a full disk anywhere in an event, are answered with a clear message too.
"""
from __future__ import annotations

import functools

import gradio as gr

from . import uploads
from .i18n import built, say


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


def check_choice(block, payload) -> None:
    """Raise a ``gr.Error`` if a Radio or a single-choice Dropdown is sent null (or a list)."""
    if getattr(block, "multiselect", False) or getattr(block, "allow_custom_value", False):
        return
    if payload is None or isinstance(payload, list):
        name = built(block.label) if block.label else say("this value")
        allowed = ", ".join(str(value) for _, value in block.choices)
        raise gr.Error(say("{name} must be one of {allowed}, got {got}", name=name, allowed=allowed,
                           got=repr(payload)), print_exception=False)


def strict_numbers(demo: gr.Blocks) -> None:
    """Check the Sliders', Numbers', Radios', Dropdowns' and pictures' values of every event of
    ``demo`` before Gradio does, and say what went wrong when a picture is unreadable or the disk
    is full."""
    preprocess_data, process_api = demo.preprocess_data, demo.process_api
    uploads.second_line()

    @functools.wraps(preprocess_data)
    async def checked(block_fn, inputs, state, *args, **kwargs):
        for block, payload in zip(block_fn.inputs, inputs):
            block = state[block._id] if state is not None and block._id in state else block
            if isinstance(block, (gr.Slider, gr.Number)):
                check(block, payload)
            elif isinstance(block, (gr.Radio, gr.Dropdown)):
                check_choice(block, payload)
            elif uploads.is_picture_input(block):
                uploads.check(block, payload)
        try:
            return await preprocess_data(block_fn, inputs, state, *args, **kwargs)
        except gr.Error:
            raise
        except Exception as e:
            said = uploads.explain(e, pictures=any(map(uploads.is_picture_input, block_fn.inputs)))
            if said is None:
                raise
            raise gr.Error(said, print_exception=False) from None

    @functools.wraps(process_api)
    async def served(*args, **kwargs):
        try:
            return await process_api(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as e:
            if not uploads.disk_full(e):
                raise
            raise gr.Error(uploads.explain(e)) from e  # printed with its cause: the operator should know

    demo.preprocess_data = checked
    demo.process_api = served
