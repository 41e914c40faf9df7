"""Model work in worker processes (genimg.ui.workers): the same answers as in this process,
streamed, stopped, in the visitor's language, and a dead worker replaced."""
import os
import signal
import time

import gradio as gr
import pytest

from genimg import ui
from genimg.ui import workers

pytestmark = pytest.mark.slow
GAN = ("generate_gan", ("fashion", 2, 3, 17, 0.9))
DIFFUSION = ("generate_diffusion", ("mnist", 3, 2, 5, "ddim", 8, 2.0, 0.8, 0.2))


@pytest.fixture(scope="module")
def pool():
    p = workers.Pool({"quick": 1})
    yield p
    p.close()


@pytest.fixture(scope="module")
def here():
    demo = ui.build()
    return workers.InProcess({fn.api_name: fn.fn for fn in demo.fns.values() if fn.api_name})


def picture_bytes(outputs) -> bytes:
    return open(outputs[0], "rb").read()


def test_a_worker_answers_with_the_bytes_of_this_process(pool, here):
    api, args = GAN
    there = list(pool.run("quick", api, args, "en"))
    assert len(there) == 1 and picture_bytes(there[0]) == picture_bytes(list(here.run("quick", api, args, "en"))[0])
    assert "images in" in there[0][1]


def test_a_stream_comes_frame_by_frame_and_ends_with_the_tally(pool):
    frames = list(pool.run("quick", *DIFFUSION, "en"))
    assert len(frames) >= 2 and "the classifier agrees" in frames[-1][3]
    assert all(os.path.isfile(f[0]) for f in frames)  # pictures written once, passed on as paths


def test_stopping_a_stream_frees_the_worker(pool):
    api, args = "generate_pixelcnn", ("mnist", 1, 16, 3, 1.0)  # about a second of work
    run = pool.run("quick", api, args, "en")
    next(run)
    t0 = time.perf_counter()
    run.close()  # the visitor pressed Stop
    assert list(pool.run("quick", *GAN, "en")) and time.perf_counter() - t0 < 0.8


def test_errors_come_back_in_the_visitors_language(pool):
    api, (dataset, label, _, seed, truncation) = GAN
    with pytest.raises(gr.Error, match="between 1 and 64"):
        list(pool.run("quick", api, (dataset, label, 0, seed, truncation), "en"))
    with pytest.raises(gr.Error) as zh:
        list(pool.run("quick", api, (dataset, label, 0, seed, truncation), "zh-CN"))
    assert "1" in zh.value.message and "64" in zh.value.message and "must" not in zh.value.message


def test_a_dead_worker_is_replaced(pool):
    (_, worker), = pool.workers
    os.kill(worker.process.pid, signal.SIGKILL)
    with pytest.raises(gr.Error, match="could not finish"):
        list(pool.run("quick", *GAN, "en"))
    assert "images in" in list(pool.run("quick", *GAN, "en"))[0][1]  # a new worker, started for it
    assert pool.workers[0][1] is not worker


def test_what_cannot_be_sent_takes_no_worker(pool):
    with pytest.raises(Exception):
        list(pool.run("quick", "generate_gan", (lambda: 0,), "en"))
    assert "images in" in list(pool.run("quick", *GAN, "en"))[0][1]


def test_a_request_nobody_waits_for_gives_its_worker_back_unused(pool):
    token = workers.ABANDONED.set(lambda: True)
    try:
        assert list(pool.run("quick", *GAN, "en")) == []
    finally:
        workers.ABANDONED.reset(token)
    assert "images in" in list(pool.run("quick", *GAN, "en"))[0][1]


def test_every_picture_a_worker_wrote_is_known_to_gradios_cache(pool):
    frames = list(pool.run("quick", *DIFFUSION, "en"))
    assert {f[0] for f in frames} <= pool.files


def test_the_workers_serve_every_event_that_runs_a_public_handler():
    """Compare's "New seed and compare" is private but runs ``compare``: it goes to the workers too."""
    demo = ui.build()
    chosen = list(workers.served(demo, ("quick", "long")))
    apis = {api for _, api in chosen}
    assert {"generate_gan", "generate_diffusion", "compare"} <= apis
    assert any(fn.api_visibility == "private" and api == "compare" for fn, api in chosen)
    # a former name runs in the workers as the endpoint it now names (and shares its kept answers)
    assert any(fn.api_name == "denoise_diffusion" and api == "generate_diffusion" for fn, api in chosen)
    assert all(fn.concurrency_id in ("quick", "long") for fn, _ in chosen)


def test_gradios_cache_is_aged_while_handlers_add_to_it(tmp_path):
    """Gradio's own deletion fails with "Set changed size during iteration" under load and its
    schedule ends; ``aging.delete_old_files`` reads each set from a copy."""
    import threading
    import types

    from genimg.ui import aging

    old, kept = tmp_path / "old.png", tmp_path / "kept.png"
    for path in (old, kept):
        path.write_bytes(b"png")
    files = {str(old), str(kept)}
    block = types.SimpleNamespace(keep_in_cache={str(kept)})
    blocks = types.SimpleNamespace(blocks={1: block}, temp_file_sets=[files])
    stop = threading.Event()

    def adding():
        for i in range(20_000):
            if stop.is_set():
                return
            files.add(str(tmp_path / f"new{i}.png"))
    t = threading.Thread(target=adding)
    t.start()
    try:
        for _ in range(20):
            aging.delete_old_files(blocks, age=-1)  # everything is old
    finally:
        stop.set()
        t.join()
    assert not old.exists() and kept.exists() and str(old) not in files
