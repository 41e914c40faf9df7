"""How the tabs' handlers are served: each event's cost class (``QUICK`` or ``LONG``, each with
its own queue and workers), the family's endpoint name, the parameter names the API shows, bad
input shown as a message in the visitor's language (``user_errors``, with the Chinese of the
pipeline's and the models' errors, ``chinese.ERRORS``), and a stream thinned to what is worth
sending (``throttled``) while every step is kept for the replay (``Tape``).
"""
from __future__ import annotations

import functools
import inspect
import time

import gradio as gr

from .. import pipeline
from . import chinese, i18n

# Concurrency groups by cost, each with its own queue and workers (app.WORKERS): a one-pass
# request never waits behind a many-step one.
QUICK = "quick"  # one or a few network passes: GAN, VAE, One step, a round trip through an autoencoder
LONG = "long"  # many passes: the streaming samplers, Compare
QUICK_S = 0.05  # the most model time a family's default request may take to be QUICK (One step: 0.025 s)
FRAME_INTERVAL_S = 0.1  # a streaming tab sends at most ten frames a second to each client
i18n.add_errors(chinese.ERRORS)


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


def user_errors(fn):
    """Show ValueErrors (bad input, missing checkpoints) as a message; the server keeps serving.
    Generator handlers (streaming) stay generators."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def streaming(*args):
            try:
                yield from fn(*args)
            except ValueError as e:
                raise gr.Error(i18n.translated(str(e)), print_exception=False) from None
        return streaming

    @functools.wraps(fn)
    def wrapper(*args):
        try:
            return fn(*args)
        except ValueError as e:
            raise gr.Error(i18n.translated(str(e)), print_exception=False) from None
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
