"""Scrub a streamed run (``genimg.ui.replay``): every step is recorded, sent to the browser or
not, the recording is handed over when the run ends, and it plays back as a GIF."""
import io
from types import SimpleNamespace

import gradio as gr
import numpy as np
from PIL import Image

from genimg.ui import replay
from genimg.ui.handlers import Tape, throttled


def frames(count):
    return [SimpleNamespace(images=np.full((2, 28, 28), i, np.uint8), result=None if i < count - 1 else "done")
            for i in range(count)]


def test_every_step_is_recorded_also_those_not_sent():
    tape = Tape()
    sent = list(throttled(iter(frames(30)), interval=3600, tape=tape))
    assert len(sent) == 2 and [int(t[0, 0, 0]) for t in tape] == list(range(30)) and tape.finished


def test_the_recording_is_the_last_output_when_the_run_ends():
    @replay.recording
    def handler(x, tape):
        for frame in throttled(iter(frames(5)), interval=3600, tape=tape):
            yield f"picture {x}", "stats"

    outs = list(handler(7))  # the first frame and the final one are sent
    assert [o[:2] for o in outs] == [("picture 7", "stats")] * 2
    assert isinstance(outs[0][2], type(gr.skip())) and len(outs[1][2]) == 5


def test_a_long_run_is_thinned_evenly_and_keeps_its_ends():
    kept = replay.thinned(list(range(784)), keep=120)
    assert len(kept) == 120 and kept[0] == 0 and kept[-1] == 783 and kept == sorted(kept)
    assert replay.thinned([1, 2, 3]) == [1, 2, 3]


def test_it_plays_back_as_a_looping_gif_at_the_speed_asked():
    tape = [f.images for f in frames(6)]
    gif = Image.open(io.BytesIO(replay.movie(tape, per_second=10)))
    assert gif.format == "GIF" and gif.n_frames == 6 and gif.info["duration"] == 100
