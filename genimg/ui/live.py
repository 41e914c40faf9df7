"""The live panel: the top of every tab that streams a family's steps, built by one function.

``live_panel`` lays out the family's summary, the live controls (class, number of images, seed,
the family's options, a start button beside Stop), the pictures the tab draws at each step
beside a status line, the replay of every step (``replay``), and wires the handler that streams
the steps into them, with Stop. A tab module brings only its *views* (what it draws for each
step: ``View``) and its accordions, which use the controls ``live_panel`` returns (``Live``).

The panel's endpoint is the family's main action, ``/generate_<family>``; a tab whose endpoint
had another name keeps that name answering for one release (``alias``).
"""
from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import gradio as gr
from PIL import Image

from .. import pipeline, render
from . import links, replay
from .controls import class_dropdown, option_names, option_sliders, seed_input
from .handlers import LONG, api_names, endpoint, throttled, user_errors
from .panels import LABEL_ROOM, result_sheet
from .panels import summary as one_line
from .i18n import say, tr


@dataclass
class Run:
    """One press of the start button: what was asked, and ``times``, the noise level or
    timestep (``Frame.t``) of every step so far, sent to the browser or not."""

    dataset: str
    label: int
    n: int
    seed: int
    options: dict
    times: list = field(default_factory=list)

    def follow(self, frames: Iterator[pipeline.Frame]) -> Iterator[pipeline.Frame]:
        for frame in frames:
            self.times.append(frame.t)
            yield frame


@dataclass
class View:
    """Blocks a streaming tab draws at each step and ``draw(frame, run)``, their values (a tuple
    for several blocks; ``gr.skip()`` leaves a block as it is)."""

    blocks: gr.Component | Sequence[gr.Component]
    draw: Callable[[pipeline.Frame, Run], object]

    def __post_init__(self):
        self.blocks = list(self.blocks) if isinstance(self.blocks, Sequence) else [self.blocks]

    def values(self, frame: pipeline.Frame, run: Run) -> list:
        value = self.draw(frame, run)
        return list(value) if len(self.blocks) > 1 else [value]


@dataclass
class Live:
    """What ``live_panel`` built, for the tab's own accordions."""

    label: gr.Dropdown
    n: gr.Slider
    seed: gr.Number
    options: list  # the family's option controls, in ``OPTIONS`` order
    go: gr.Button
    stop: gr.Button
    stats: gr.Markdown
    recorded: gr.State
    event: object  # the start button's event (what Stop cancels)


def live_controls(dataset: gr.Radio, family: str, max_n: int, n_value: int = 8, button: str = "Generate"):
    """Class, number of images, seed, the family's options, and a start button next to a Stop
    button, for a tab that streams its work. Returns (label, n, seed, options, go, stop)."""
    label = class_dropdown(dataset)
    n = gr.Slider(1, max_n, value=n_value, step=1, label=tr("Number of images"))
    seed = seed_input()
    options = option_sliders(family)
    with gr.Row():
        go = gr.Button(tr(button), variant="primary")
        stop = gr.Button(tr("Stop"), variant="stop")
    links.register(family, go, dataset, max_n, label=label, n=n, seed=seed, **dict(zip(option_names(family), options)))
    return label, n, seed, options, go, stop


def live_panel(family: str, dataset: gr.Radio, views: Callable[[], list[View]],
               status: Callable[[pipeline.Frame], str], *, former: str | None = None,
               below: Callable[[], list[View]] | None = None,
               frames: Callable[..., Iterator[pipeline.Frame]] = pipeline.stream, max_n: int = pipeline.STREAM_MAX_N,
               n_value: int = 8, button: str = "Generate", summary: gr.I18n | None = None) -> Live:
    """Build a streaming tab's summary, controls, pictures, status line and replay, and wire them.

    Args:
        family: the registry name of the family streamed.
        dataset: the app's dataset choice.
        views: builds the pictures beside the controls (its own rows and columns) and returns
            their ``View``s, in the order of the handler's outputs.
        status: the status line under the pictures for a frame (``stream_stats``).
        former: the endpoint's former name, kept answering for one release (``alias``).
        below: builds views of its own under the replay (an accordion the run also fills).
        frames: ``(family, dataset, label, n, seed, **options)`` -> the ``Frame``s of a run.
        max_n, n_value, button: the number-of-images slider's maximum and value; the start
            button's text.
        summary: the text over the tab, instead of the family's one-line summary.
    """
    if summary is None:
        one_line(family)
    else:
        gr.Markdown(summary)
    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            label, n, seed, options, go, stop = live_controls(dataset, family, max_n, n_value, button)
        with gr.Column(scale=2):
            beside = views()
            stats = gr.Markdown()
    recorded = replay.panel(gr.State([]), family)
    under = below() if below else []
    names = option_names(family)

    @user_errors
    @api_names("dataset", "label", "n", "seed", *names)
    @replay.recording
    def generate(dataset_key, label_value, n_value, seed_value, *option_values, tape):
        run = Run(dataset_key, label_value, n_value, seed_value, dict(zip(names, option_values)))
        steps = frames(family, dataset_key, label_value, n_value, seed_value, **run.options)
        for frame in throttled(run.follow(steps), tape=tape):
            yield (*(v for view in beside for v in view.values(frame, run)), status(frame),
                   *(v for view in under for v in view.values(frame, run)))

    outputs = [*(b for view in beside for b in view.blocks), stats, *(b for view in under for b in view.blocks),
               recorded]
    inputs = [dataset, label, n, seed, *options]
    event = go.click(generate, inputs, outputs, api_name=endpoint(family), concurrency_id=LONG)
    stop.click(None, None, None, cancels=[event], queue=False, api_visibility="private")
    if former:
        alias(former, endpoint(family), generate, inputs, outputs, LONG)
    return Live(label, n, seed, options, go, stop, stats, recorded, event)


def alias(name: str, current: str, fn, inputs: list, outputs: list, concurrency_id: str) -> None:
    """Keep an endpoint's former ``name`` answering for one release: a public endpoint without a
    button that runs ``current``'s handler ``fn`` on the same inputs and outputs (the same
    parameters, the same answers). Its handler is a function of its own, named ``name`` (an MCP
    client names its tool after it), whose ``alias_of`` is ``current``: the model workers and
    the cache of answers serve it as ``current`` (``workers.served``), so both names share one
    computation and one kept answer."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def former(*args):
            yield from fn(*args)
    else:
        @functools.wraps(fn)
        def former(*args):
            return fn(*args)
    former.__name__ = former.__qualname__ = name
    former.alias_of = current
    gr.on([], former, inputs, outputs, api_name=name, concurrency_id=concurrency_id,
          api_description=f"The former name of /{current}, answering until the next release.")


def stream_stats(frame: pipeline.Frame, where: str, cost: str = "{nfe} network evaluations each") -> str:
    """The line under a streaming tab: ``where`` the sampler is while it runs (already in the
    visitor's language); at the end the tally, with ``cost`` per image (English, a template over
    ``{nfe}``: the result's network evaluations)."""
    if frame.result is None:
        return say("{where} · {s:.2f} s of model time", where=where, s=frame.seconds)
    r = frame.result
    return say("**{n} images in {s:.2f} s** of model time · {cost} · the classifier agrees on {agree}/{n} · "
               "seed {seed}", n=len(r.images), s=r.seconds, cost=say(cost, nfe=r.nfe),
               agree=int((r.predicted == r.labels).sum()), seed=r.seed)


def denoised_pictures(frame: pipeline.Frame, run: Run | None = None) -> tuple[Image.Image, Image.Image]:
    """A denoiser's frame as its two pictures: the images on their way (at the end, the
    captioned result) and the network's guess of where they will end."""
    now = render.grid(frame.images, scale=4, top=LABEL_ROOM) if frame.result is None else result_sheet(frame.result)
    return now, render.grid(frame.preview, scale=4, top=LABEL_ROOM)
