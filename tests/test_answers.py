"""Same request, same bytes, computed once: the cache of finished answers and the computations in
progress (genimg.ui.answers), alone and through the app."""
import threading
import time

import gradio as gr
import numpy as np
import pytest

from genimg.ui import i18n
from genimg.ui.answers import Answers, size_of


def counting(outputs, pause=0.0, calls=None):
    """A computation yielding ``outputs`` with ``pause`` seconds before each, counting its runs."""
    def compute():
        if calls is not None:
            calls.append(1)
        for out in outputs:
            time.sleep(pause)
            yield out
    return compute


def take(answers, key, compute, lang="en"):
    return [(out, how) for out, how, _ in answers.ask(key, compute, lang)]


def test_identical_requests_at_once_are_computed_once():
    answers, calls, got = Answers(10), [], []
    compute = counting(["a", "b", "c"], pause=0.05, calls=calls)
    threads = [threading.Thread(target=lambda: got.append(take(answers, "k", compute))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    for g in got:  # every one ends with the final output; one that fell behind skips old frames
        outs = [out for out, _ in g]
        assert outs[-1] == "c" and outs == sorted(set(outs))
    hows = sorted(g[0][1] for g in got)
    assert hows.count("computed") == 1 and set(hows) <= {"computed", "joined", "kept"}
    assert take(answers, "k", compute) == [("a", "kept"), ("b", "kept"), ("c", "kept")]
    assert len(calls) == 1
    stats = answers.stats()
    assert stats["computed"] == 1 and stats["entries"] == 1 and stats["in_progress"] == 0


def test_a_computation_goes_on_while_anyone_waits_and_stops_when_nobody_does():
    answers, calls = Answers(10), []
    compute = counting(list(range(20)), pause=0.02, calls=calls)
    first = answers.ask("k", compute, "en")
    next(first)
    rest = []
    second = threading.Thread(target=lambda: rest.extend(out for out, _, _ in answers.ask("k", compute, "en")))
    second.start()
    time.sleep(0.05)
    first.close()  # the first visitor presses Stop
    second.join()
    assert rest[-1] == 19 and len(calls) == 1  # the second still got the whole answer, computed once
    produced = []

    def slow():
        for i in range(100):
            produced.append(i)
            time.sleep(0.01)
            yield i
    alone = answers.ask("other", slow, "en")
    next(alone)
    alone.close()  # the only visitor leaves: the computation stops
    time.sleep(0.1)
    assert len(produced) < 20 and answers.stats()["in_progress"] == 0
    assert "other" not in answers.kept  # an answer cut short is not kept


def test_errors_reach_every_follower_and_are_not_kept():
    answers = Answers(10)

    def failing():
        yield "start"
        raise gr.Error("n must be a whole number between 1 and 64, got 99")
    with pytest.raises(gr.Error, match="between 1 and 64"):
        take(answers, "bad", failing)
    assert "bad" not in answers.kept


def test_the_cache_is_bounded_by_bytes_least_recently_used_out_first(tmp_path):
    answers = Answers(1)  # 1 MB
    block = np.zeros(300_000, np.uint8)
    for k in "abcd":
        take(answers, k, counting([block]))
    assert answers.bytes <= 2**20 and list(answers.kept) == ["b", "c", "d"]
    take(answers, "b", counting([block]))  # b is used again: c goes first
    take(answers, "e", counting([block]))
    assert list(answers.kept) == ["d", "b", "e"]
    assert size_of([block, "xy"]) == block.nbytes + 2 + 16


def test_an_answer_whose_files_are_gone_is_computed_again(tmp_path):
    answers, calls = Answers(10), []
    picture = tmp_path / "image.png"
    picture.write_bytes(b"png")
    compute = counting([(str(picture), "text")], calls=calls)
    take(answers, "k", compute)
    assert answers.bytes > 0 and len(calls) == 1
    picture.unlink()  # Gradio's cache aged it out
    assert take(answers, "k", compute)[0][1] == "computed" and len(calls) == 2


def test_the_key_holds_the_endpoint_the_arguments_and_the_language():
    key = Answers.key
    drawing = {"composite": np.ones((4, 4), np.uint8)}
    assert key("/a", (1, drawing), "en") == key("/a", (1, {"composite": np.ones((4, 4), np.uint8)}), "en")
    assert len({key("/a", (1,), "en"), key("/b", (1,), "en"), key("/a", (2,), "en"), key("/a", (1,), "zh-CN")}) == 4
    assert key("/a", (lambda: 0,), "en") is None  # not comparable: not cached


def test_the_app_answers_a_repeated_request_from_the_cache_and_says_so(app_url):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    args = ("fashion", 4, 5, 91, 0.9)
    first = client.predict(*args, api_name="/generate_gan")
    again = client.predict(*args, api_name="/generate_gan")
    assert open(first[0], "rb").read() == open(again[0], "rb").read()
    assert "cache" not in first[1] and "from the server's cache" in again[1]
    assert first[1] in again[1]  # the same status line, with the note under it
    streamed = [client.predict("mnist", 2, 3, 77, "ddim", 5, 2.0, 0.8, 0.2, api_name="/generate_diffusion")
                for _ in range(2)]
    assert open(streamed[0][0], "rb").read() == open(streamed[1][0], "rb").read()
    assert "from the server's cache" in streamed[1][-1]
    with i18n.speaking("zh-CN"):
        assert "缓存" in i18n.say("*This answer came from the server's cache: the same request was answered {ago} "
                                   "ago.*", ago="1 秒")
    client.close()


def test_a_kept_stream_is_replayed_in_a_few_frames_ending_with_the_last():
    from genimg.ui.answers import REPLAY_FRAMES, replayed

    assert replayed([1, 2]) == [1, 2]
    frames = list(range(11))
    assert replayed(frames) == [0, 5, 10] and len(replayed(frames)) == REPLAY_FRAMES


def test_cost_classes_come_from_the_measured_cost_of_a_default_request():
    """One step streams its single step, yet costs what a GAN costs: it is quick."""
    from genimg import models, pipeline
    from genimg.ui.handlers import LONG, QUICK, QUICK_S, cost

    for family in models.FAMILIES:
        seconds = pipeline.default_seconds(family)
        assert seconds is not None, f"{family}'s cards have no cost: python benchmarks/speed.py --threads 1 --cards"
        assert cost(family) == (QUICK if seconds <= QUICK_S else LONG)
    assert [f for f in models.FAMILIES if cost(f) == QUICK] == ["gan", "vae", "distilled"]
    assert pipeline.default_seconds("pixelcnn", 32) == pytest.approx(2 * pipeline.default_seconds("pixelcnn", 16))


def test_the_serving_docs_show_the_saved_measurements(tmp_path):
    """The classroom tables the docs show (benchmarks/results/tables/, rendered into
    docs/serving.md) are those of the saved results: ``benchmarks/classroom.py --table-only``, run
    on a copy of the benchmarks, writes the same tables."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    shutil.copytree(root / "benchmarks", tmp_path / "benchmarks", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "genimg").symlink_to(root / "genimg")
    for saved, marker in (("classroom", "classroom"), ("classroom_before", "classroom-before")):
        subprocess.run([sys.executable, "benchmarks/classroom.py", "--table-only", f"benchmarks/results/{saved}.json",
                        "--marker", marker], cwd=tmp_path, check=True, capture_output=True, timeout=300)
    for name in ("classroom", "classroom-before", "classroom-targets"):
        table = f"benchmarks/results/tables/{name}.md"
        assert (tmp_path / table).read_text() == (root / table).read_text(), \
            f"{table} is stale: python benchmarks/classroom.py --table-only benchmarks/results/classroom.json"


def test_a_computation_being_given_up_is_not_joined():
    answers, calls = Answers(10), []

    def slow():
        calls.append(1)
        for i in range(50):
            time.sleep(0.02)
            yield i
    first = answers.ask("k", slow, "en")
    next(first)
    first.close()  # the only visitor leaves; its computation is being stopped
    got = [out for out, _, _ in answers.ask("k", slow, "en")]  # the same request, at once
    assert got[-1] == 49 and len(calls) == 2  # a whole answer, computed anew
