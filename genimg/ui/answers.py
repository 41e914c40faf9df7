"""Same request, same bytes: compute once.

A class opens the teacher's link together: thirty identical requests. Every endpoint gives the
same bytes for the same arguments, so the server keeps finished answers (``Answers``: bounded by
bytes, shared by all visitors, least recently used out first), keyed by the endpoint, its
arguments and the visitor's language (captions and status lines are written in it). A request
identical to one in progress follows that one instead of computing again. The computation runs
on a thread of its own, so it goes on while anyone still waits for it, whoever pressed the
button first (it stops when the last one stops or leaves). A streamed answer is replayed frame
by frame, its pictures the files already written; the status line says where the answer came
from.
"""
from __future__ import annotations

import errno
import functools
import hashlib
import inspect
import os
import pickle
import threading
import time
from collections import OrderedDict

import gradio as gr
import numpy as np

from . import i18n
from .picture import files_of, portable
from .workers import ABANDONED, served
from .i18n import add, say

LIMIT_MB = 200
REPLAY_S = 0.05  # between the frames of a replayed stream: the run is seen, and over at once
REPLAY_FRAMES = 3  # a replayed stream's frames: the first, one halfway, the final (the replay panel has every step)


class Flight:
    """One computation's outputs as they are made, for every visitor waiting on it."""

    def __init__(self):
        self.outputs, self.done, self.error = [], False, None
        self.followers, self.stop = 0, threading.Event()
        self.changed = threading.Condition()

    def put(self, outputs=None, error=None, done=False) -> None:
        with self.changed:
            if outputs is not None:
                self.outputs.append(outputs)
            self.error, self.done = error, done or error is not None
            self.changed.notify_all()

    def follow(self):
        """The outputs as they come, the newest only where several came while the last one was
        being sent (a busy server sends fewer frames, never an old one), the final one always;
        then raise the computation's error, if any."""
        seen = 0
        while True:
            with self.changed:
                self.changed.wait_for(lambda: len(self.outputs) > seen or self.done)
                new, done, error = self.outputs[seen:], self.done, self.error
            seen += len(new)
            if new:
                yield new[-1]
            if done:
                if error is not None:
                    raise gr.Error(error, print_exception=False)
                return


def replayed(frames: list) -> list:
    """The frames of a kept stream sent again: at most ``REPLAY_FRAMES``, evenly spaced, the last
    always (each frame sent costs the server its pictures' files and messages)."""
    if len(frames) <= REPLAY_FRAMES:
        return frames
    last = len(frames) - 1
    return [frames[round(i * last / (REPLAY_FRAMES - 1))] for i in range(REPLAY_FRAMES)]


def size_of(value) -> int:
    """Bytes an output holds: a picture file's size, an array's, a text's; containers summed."""
    if isinstance(value, str):
        return os.path.getsize(value) if os.path.isabs(value) and os.path.isfile(value) else len(value.encode())
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, (list, tuple)):
        return sum(map(size_of, value)) + 8 * len(value)
    if isinstance(value, dict):
        return sum(size_of(v) for v in value.values())
    return 64


def _touched(paths: list[str]) -> bool:
    """Touch every file (Gradio's cache ages a file from its last use); False if one is gone."""
    try:
        for path in paths:
            os.utime(path)
    except OSError:
        return False
    return True


class Answers:
    """Finished answers (at most ``limit_mb`` MB of them) and the computations in progress."""

    def __init__(self, limit_mb: float = LIMIT_MB):
        self.limit = int(limit_mb * 2**20)
        self.kept: OrderedDict[str, tuple[list, int, list[str], float]] = OrderedDict()  # key -> outputs, bytes, files, when
        self.flying: dict[str, Flight] = {}
        self.bytes, self.hits, self.joined, self.computed = 0, 0, 0, 0
        self.files = set()  # every picture written for an answer, sent on or not, for Gradio's cache to age out
        self.lock = threading.Lock()

    @staticmethod
    def key(api: str, args: tuple, lang: str) -> str | None:
        try:
            return hashlib.sha256(pickle.dumps((api, args, lang), protocol=5)).hexdigest()
        except (pickle.PicklingError, TypeError, AttributeError):
            return None

    def ask(self, key: str, compute, lang: str):
        """Yield (outputs, how, age) for a request: ``how`` is "kept" (a finished answer replayed,
        finished ``age`` seconds ago), "joined" (another visitor's computation followed) or
        "computed"; ``compute()`` gives the handler's outputs (an iterator) and runs on a thread
        of its own."""
        with self.lock:
            kept = self.kept.get(key)
            if kept is not None and not _touched(kept[2]):  # Gradio's cache aged its files out: compute again
                self._drop(key)
                kept = None
            if kept is not None:
                self.kept.move_to_end(key)
                self.hits += 1
            flight = None if kept else self.flying.get(key)
            if flight is not None and flight.stop.is_set():  # being given up: not an answer to follow
                flight = None
            how = "kept" if kept else "joined" if flight else "computed"
            if how == "joined":
                self.joined += 1
            if how == "computed":
                flight = self.flying[key] = Flight()
                self.computed += 1
                try:
                    threading.Thread(target=self._compute, args=(key, flight, compute, lang), daemon=True).start()
                except RuntimeError:
                    del self.flying[key]
                    raise
            if flight:
                flight.followers += 1
        if kept:
            for i, outputs in enumerate(replayed(kept[0])):
                if i:
                    time.sleep(REPLAY_S)
                yield outputs, how, time.time() - kept[3]
            return
        try:
            for outputs in flight.follow():
                yield outputs, how, 0.0
        finally:
            with self.lock:
                flight.followers -= 1
                if not flight.followers and not flight.done:
                    flight.stop.set()  # nobody waits for it any more

    def _compute(self, key: str, flight: Flight, compute, lang: str) -> None:
        token = ABANDONED.set(flight.stop.is_set)  # a request still waiting for a worker is dropped
        try:
            with i18n.speaking(lang):
                try:
                    out, complete = compute(), True
                    for outputs in out:
                        outputs = portable(outputs)
                        self._written(outputs)
                        flight.put(outputs)
                        if flight.stop.is_set():
                            out.close()
                            complete = False
                            break
                    if complete:  # kept before the followers hear it is done: the next one finds it
                        self._keep(key, flight, flight.outputs)
                    flight.put(done=True)
                except gr.Error as e:
                    flight.put(error=str(e.message))
                except OSError as e:
                    flight.put(error=say("The server's disk is full; try again shortly.")
                               if e.errno in (errno.ENOSPC, errno.EDQUOT) else
                               say("The server could not finish this request; try again."))
                except Exception:  # noqa: BLE001 - the followers hear of it; Gradio logs nothing for a thread
                    import traceback

                    traceback.print_exc()
                    flight.put(error=say("The server could not finish this request; try again."))
        finally:
            ABANDONED.reset(token)
            with self.lock:
                if self.flying.get(key) is flight:
                    del self.flying[key]

    def _written(self, outputs) -> None:
        with self.lock:
            self.files.update(files_of(outputs))

    def _keep(self, key: str, flight: Flight, outputs: list) -> None:
        size = size_of(outputs)
        if size > self.limit:
            return
        with self.lock:
            if self.flying.get(key) is flight:  # from now on the finished answer is found
                del self.flying[key]
            self.kept[key] = (list(outputs), size, sorted(set(files_of(outputs))), time.time())
            self.bytes += size
            while self.bytes > self.limit:
                self._drop(next(iter(self.kept)))

    def _drop(self, key: str) -> None:
        self.bytes -= self.kept.pop(key)[1]

    def stats(self) -> dict:
        with self.lock:
            return {"entries": len(self.kept), "mb": round(self.bytes / 2**20, 2), "limit_mb": self.limit / 2**20,
                    "hits": self.hits, "joined": self.joined, "computed": self.computed,
                    "in_progress": len(self.flying)}


NOTES = {"kept": "*This answer came from the server's cache: the same request was answered {ago} ago.*",
         "joined": "*Computed once for several visitors: the same request was already on its way.*"}


def remember(demo: gr.Blocks, answers: Answers, classes: tuple[str, ...]) -> None:
    """Answer the events of ``demo`` in one of ``classes`` that the model workers serve
    (``workers.served``) through ``answers``. The first Markdown among an event's outputs is
    its status line, where a note says when an answer was not computed for this visitor."""
    chosen = list(served(demo, classes))
    handlers = {}
    for fn, api in chosen:
        texts = [i for i, block in enumerate(fn.outputs) if isinstance(block, gr.Markdown)]
        handlers.setdefault(id(fn.fn), _through(answers, api, fn.fn, texts[0] if texts else None, len(fn.outputs)))
    for fn, _ in chosen:
        fn.fn = handlers[id(fn.fn)]
    demo.temp_file_sets.append(answers.files)


def _through(answers: Answers, api: str, original, status: int | None, count: int):
    streaming = inspect.isgeneratorfunction(original)

    def answered(args):
        """(outputs, how, age) as ``Answers.ask`` gives them."""
        lang = i18n.visitor()
        key = answers.key(api, args, lang)
        compute = lambda: original(*args) if streaming else iter([original(*args)])  # noqa: E731
        if key is None:  # arguments that cannot be compared: computed for this visitor only
            return ((out, "computed", 0.0) for out in compute())
        return answers.ask(key, compute, lang)

    def noted(outputs, how: str, age: float):
        """The outputs with a note in the status line on where they came from."""
        values = list(outputs) if count > 1 else [outputs]
        if status is not None and isinstance(values[status], str):
            values[status] += "\n\n" + say(NOTES[how], ago=_ago(age))
        return tuple(values) if count > 1 else values[0]

    if streaming:
        @functools.wraps(original)
        def stream(*args):
            last = None
            for last in answered(args):
                yield last[0]
            if last is not None and last[1] != "computed":
                yield noted(*last)  # the final frame once more, saying where it came from
        return stream

    @functools.wraps(original)
    def once(*args):
        *_, last = answered(args)
        return last[0] if last[1] == "computed" else noted(*last)
    return once


def _ago(seconds: float) -> str:
    return say("{s:.0f} s", s=seconds) if seconds < 120 else say("{m:.0f} min", m=seconds / 60)


add({NOTES["kept"]: "*此结果来自服务器缓存：同样的请求已在 {ago}前算过。*",
     NOTES["joined"]: "*为几位访客只算了一次：同样的请求已在计算中。*",
     "The server's disk is full; try again shortly.": "服务器磁盘已满，请稍后再试。",
     "The server could not finish this request; try again.": "服务器未能完成此请求，请重试。",
     "{s:.0f} s": "{s:.0f} 秒", "{m:.0f} min": "{m:.0f} 分钟"})
