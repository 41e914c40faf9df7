"""Model work in worker processes, so that a class's requests use every core.

Python runs one thread at a time in a process: the Gradio process that also ran the models kept
about one of two cores busy however long its queue. Here each endpoint's handler runs in a
worker process instead, one torch thread each, a pool per cost class (``Pool({"quick": 1,
"long": 2})``), while the Gradio process does the I/O. A worker builds the app's Blocks once,
as the Gradio process does (a handler is a closure over its tab), loads models as it needs
them, and runs one request at a time in the visitor's language: what the handler yields comes
back over a pipe as it is made, its pictures already written to Gradio's cache as PNG, so the
Gradio process passes on their paths. A visitor who stops or leaves stops the worker's handler
at its next step; a worker that dies is replaced.

The same interface (``Pool.run``) has an in-process form (``InProcess``: the handler on the
calling thread), for a machine with one core and for comparison.
"""
from __future__ import annotations

import errno
import functools
import inspect
import multiprocessing
import os
import pickle
import queue
import threading
import time
import traceback
from contextvars import ContextVar

import gradio as gr
from . import i18n
from .picture import files_of, portable

YIELD, DONE, ERROR, CRASH, STOP = "yield", "done", "error", "crash", "stop"
FULL = (errno.ENOSPC, errno.EDQUOT)  # a full disk (or quota) for the pictures
_END = object()
READY_S = 300  # a worker builds the app and answers within this, or it is replaced
WAIT_S = 300  # a request waits this long for a worker of its class at most
MAX_BACKOFF_S = 60  # the longest pause before a worker that failed to start is tried again
# What the cache of answers sets while it computes for visitors: whether they have all left (then
# a request that has waited for a worker gives it back unused).
ABANDONED: ContextVar = ContextVar("genimg_abandoned", default=lambda: False)


def handled(fn, args, lang: str, picture=portable):
    """Run a handler in ``lang``: yield (kind, value) messages, YIELD per output (its pictures
    made portable by ``picture``), then DONE, or ERROR with a visitor's message, or CRASH.
    Closing this generator stops the handler."""
    out = None
    try:
        with i18n.speaking(lang):  # set for each step: a step may run on another thread
            out = fn(*args)
        if not inspect.isgenerator(out):
            yield YIELD, picture(out)
        else:
            while True:
                with i18n.speaking(lang):
                    item = next(out, _END)
                if item is _END:
                    break
                yield YIELD, picture(item)
        yield DONE, None
    except gr.Error as e:
        yield ERROR, str(e.message)
    except OSError as e:
        with i18n.speaking(lang):
            yield ((ERROR, i18n.say("The server's disk is full; try again shortly.")) if e.errno in FULL else
                   (CRASH, f"{type(e).__name__}: {e}"))
    except Exception as e:  # noqa: BLE001 - the worker goes on serving; the visitor hears of it
        traceback.print_exc()
        yield CRASH, f"{type(e).__name__}: {e}"
    finally:
        if inspect.isgenerator(out):
            out.close()


def run_handler(fn, args, lang: str, send, stopped=lambda: False) -> None:
    """``handled``'s messages, each given to ``send``; ``stopped()`` is asked after each output,
    and a stop ends the run with DONE."""
    messages = handled(fn, args, lang)
    for kind, value in messages:
        try:
            send((kind, value))
        except Unsent:  # the sender answered CRASH for it: the run ends there
            messages.close()
            return
        if kind == YIELD and stopped():
            messages.close()
            send((DONE, None))
            return


def _serve(conn, threads: int) -> None:
    """A worker process: build the app's handlers, then run requests until the pipe closes."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import torch

    from .. import pipeline
    from ..data import DATASETS
    from . import build

    torch.set_num_threads(threads)
    handlers = {fn.api_name: fn.fn for fn in build().fns.values() if fn.api_name}
    for dataset in DATASETS:  # every model loaded and warmed before the first visitor waits for one
        for family in pipeline.available(dataset):
            pipeline.load_model(family, dataset)
    conn.send((DONE, os.getpid()))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job == STOP:  # a stop that crossed the end of the run it was meant for
            continue
        api, args, lang = job
        if api not in handlers:
            conn.send((CRASH, f"no endpoint {api!r}"))
            continue
        run_handler(handlers[api], args, lang, _sender(conn), lambda: conn.poll() and conn.recv() == STOP)


class Unsent(Exception):
    """An output could not be sent; CRASH was sent in its place."""


def _sender(conn):
    """``conn.send``, answering CRASH for an output that cannot be sent (the worker goes on)."""
    def send(message):
        try:
            conn.send(message)
        except (pickle.PicklingError, TypeError, AttributeError) as e:
            conn.send((CRASH, f"an output that cannot be sent: {e}"))
            raise Unsent from e
    return send


class Worker:
    """One worker process and the Gradio process's end of its pipe."""

    def __init__(self, threads: int):
        ctx = multiprocessing.get_context("spawn")  # no fork of a process with torch's threads in it
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, threads), daemon=True, name="genimg-worker")
        self.process.start()
        child.close()
        self.ready = False

    def wait_ready(self) -> None:
        if not self.ready:
            if not self.conn.poll(READY_S):
                raise RuntimeError(f"a model worker did not start within {READY_S} s")
            self.conn.recv()
            self.ready = True

    def close(self) -> None:
        self.conn.close()
        self.process.terminate()


class Pool:
    """Worker processes per cost class (``sizes``: class -> processes), ``threads`` torch threads
    each. ``run`` takes an idle worker of the class (waiting for one), runs an endpoint's
    handler there and yields its outputs. ``files``: every picture a worker wrote, sent on or
    not, for Gradio's cache to age out."""

    def __init__(self, sizes: dict[str, int], threads: int = 1):
        self.threads, self.idle = threads, {cls: queue.Queue() for cls in sizes}
        self.files, self.lock, self.closed, self.failures = set(), threading.Lock(), False, 0
        self.workers = [(cls, Worker(threads)) for cls, count in sizes.items() for _ in range(count)]
        for cls, worker in self.workers:
            self._when_ready(cls, worker)

    def _when_ready(self, cls: str, worker: Worker) -> None:
        """Make ``worker`` idle once it has started (requests go to the workers already up); one
        that fails to start is replaced after a pause that doubles with each failure in a row."""
        def wait():
            try:
                worker.wait_ready()
            except (RuntimeError, EOFError, OSError) as e:
                self.failures += 1
                print(f"genimg: a model worker failed to start ({e or type(e).__name__}); "
                      f"{self.failures} failures in a row", flush=True)
                time.sleep(min(MAX_BACKOFF_S, 2 ** self.failures))
                self._replace(cls, worker)
                return
            self.failures = 0
            self.idle[cls].put(worker)
        threading.Thread(target=wait, daemon=True).start()

    def run(self, cls: str, api: str, args: tuple, lang: str):
        job = pickle.dumps((api, args, lang))  # before a worker is taken: what cannot be sent costs none
        try:
            worker = self.idle[cls].get(timeout=WAIT_S)
        except queue.Empty:
            raise gr.Error(i18n.say("The server could not finish this request; try again.")) from None
        if ABANDONED.get()():  # nobody waits for it any more
            self.idle[cls].put(worker)
            return
        settled = False
        try:
            worker.conn.send_bytes(job)
            while True:
                kind, value = worker.conn.recv()
                if kind == YIELD:
                    self._written(value)
                    yield value
                    continue
                settled = True
                if kind == ERROR:
                    raise gr.Error(value, print_exception=False)
                if kind == CRASH:
                    raise RuntimeError(value)
                return
        except (EOFError, OSError) as e:  # the worker died: a new one takes its place
            settled, worker = True, self._replace(cls, worker)
            raise gr.Error(i18n.say("The server could not finish this request; try again.")) from e
        finally:
            if settled and worker is not None:
                self.idle[cls].put(worker)
            elif not settled:  # the visitor stopped or left mid-run: stop the handler, then free the worker
                threading.Thread(target=self._settle, args=(cls, worker), daemon=True).start()

    def _written(self, outputs) -> None:
        with self.lock:
            self.files.update(files_of(outputs))

    def _settle(self, cls: str, worker: Worker) -> None:
        try:
            worker.conn.send(STOP)
            while True:
                kind, value = worker.conn.recv()
                if kind != YIELD:
                    break
                self._written(value)
        except (EOFError, OSError):
            self._replace(cls, worker)
            return
        self.idle[cls].put(worker)

    def _replace(self, cls: str, dead: Worker) -> None:
        """Close ``dead`` and start a worker in its place (none once the pool is closed)."""
        dead.close()
        with self.lock:
            if self.closed:
                return None
            new = Worker(self.threads)
            self.workers = [(c, new if w is dead else w) for c, w in self.workers]
        self._when_ready(cls, new)
        return None

    def pids(self) -> list[int]:
        return [w.process.pid for _, w in self.workers]

    def close(self) -> None:
        with self.lock:
            self.closed = True
            for _, worker in self.workers:
                worker.close()


class InProcess:
    """``Pool``'s interface with each handler run on a thread of this process (one core's
    worth of Python: for tests, the CLI's machine, or to compare)."""

    def __init__(self, handlers: dict):
        self.handlers = handlers

    def run(self, cls: str, api: str, args: tuple, lang: str):
        out, stop = queue.SimpleQueue(), threading.Event()
        threading.Thread(target=run_handler, args=(self.handlers[api], args, lang, out.put, stop.is_set),
                         daemon=True).start()
        try:
            while True:
                kind, value = out.get()
                if kind == YIELD:
                    yield value
                elif kind == ERROR:
                    raise gr.Error(value, print_exception=False)
                elif kind == CRASH:
                    raise RuntimeError(value)
                else:
                    return
        finally:
            stop.set()

    def close(self) -> None:
        pass


def takes_request(fn) -> bool:
    """Whether a handler asks for the visitor's request (then it runs where the request is)."""
    return fn is None or any(p.annotation in (gr.Request, "gr.Request") for p in inspect.signature(fn).parameters.values())


def served(demo: gr.Blocks, classes: tuple[str, ...]):
    """(event, its endpoint's name) for every event of ``demo`` in one of ``classes`` that the
    model workers serve: the public ones, and a private one that runs a public one's handler
    (Compare's "New seed and compare" runs ``compare``). A former name (``live.alias``, its
    handler's ``alias_of``) is served as the endpoint it now names."""
    public = {id(fn.fn): getattr(fn.fn, "alias_of", fn.api_name) for fn in demo.fns.values()
              if fn.fn and fn.api_name and fn.api_visibility == "public"}
    for fn in demo.fns.values():
        if fn.concurrency_id in classes and id(fn.fn) in public and not takes_request(fn.fn):
            yield fn, public[id(fn.fn)]


def offload(demo: gr.Blocks, pool, classes: tuple[str, ...]) -> None:
    """Run the events of ``demo`` in one of ``classes`` (their concurrency id) through ``pool``
    (each handler there is the same endpoint's, built in the worker)."""
    chosen = list(served(demo, classes))
    handlers = {}
    for fn, api in chosen:
        handlers.setdefault(id(fn.fn), _through(pool, fn.concurrency_id, api, fn.fn))
    for fn, _ in chosen:
        fn.fn = handlers[id(fn.fn)]
    if hasattr(pool, "files"):
        demo.temp_file_sets.append(pool.files)  # Gradio ages out what the workers wrote, sent on or not


def _through(pool, cls: str, api: str, original):
    if inspect.isgeneratorfunction(original):
        @functools.wraps(original)
        def streaming(*args):
            yield from pool.run(cls, api, args, i18n.visitor())
        return streaming

    @functools.wraps(original)
    def once(*args):
        *_, last = pool.run(cls, api, args, i18n.visitor())
        return last
    return once
