"""A small classroom (benchmarks/load.py at test size): eight clients mixing every tab's endpoints
at once get served without errors, and the same seed and arguments give byte-identical images
whether one client or eight are running."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import app
from genimg import pipeline
from tests.conftest import launched


def error_of(client, api: str, args: tuple) -> str | None:
    """The error the app answers a request with, or None when it answers."""
    try:
        client.predict(*args, api_name=api)
    except Exception as e:  # noqa: BLE001 - the message is what is checked
        return str(e) or type(e).__name__
    return None


def test_eight_clients_at_once(app_url, tmp_path):
    """benchmarks/load.py against the app of this process (``--pid``: its CPU time and memory, read
    from /proc)."""
    pipeline.pin_threads(sum(app.workers().values()))  # as app.launch does (the other tests of this process use 2 threads)
    out = tmp_path / "load.json"
    run = subprocess.run([sys.executable, "benchmarks/load.py", "--url", app_url, "--pid", str(os.getpid()),
                          "--clients", "8", "--rounds", "2", "--seconds", "10", "--out", str(out)],
                         cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, check=False,
                         timeout=600)
    assert run.returncode == 0, run.stderr
    r = json.loads(out.read_text())
    assert r["alone"]["errors"] == 0 and r["alone"]["served"] == len(r["alone"]["endpoints"]) >= 10
    for row in r["rounds"]:
        assert row["errors"] == 0, row["unclean_errors"]
        assert row["served"] >= 1  # a round lasts 10 s: how many fit depends on the machine
        assert row["cpu_s"]["server"] > 0 and row["peak_rss_mb"] > 0  # the app's, read from /proc
    assert r["rounds"][1]["reference_identical"] == "8/8"
    for e in r["all_rounds"]["endpoints"].values():
        assert 0 < e["first_p50_s"] <= e["final_p50_s"] and e["first_p95_s"] <= e["final_p95_s"] + 1e-9
    served = sum(row["served"] for row in r["rounds"])
    assert f"served {served / 20:.1f} requests a second of this mix to 8 clients" in run.stdout
    assert "| 2 | " in run.stdout and "of the cores' time" in run.stdout  # the server's share, from its pid


def test_a_quick_click_is_not_held_behind_long_runs(app_url):
    """Each cost class has its own queue: while three clients keep long diffusion runs going
    (about 4 s of model time each, so two wait behind the first), a GAN click is served
    at once (benchmarks/fairness.py measures it at scale)."""
    import time

    from gradio_client import Client

    clients = [Client(app_url, verbose=False) for _ in range(4)]
    try:
        jobs = [c.submit("mnist", 3, 4, i, "ddim", 250, 3.0, 0.8, 0.2, api_name="/generate_diffusion")
                for i, c in enumerate(clients[:3])]
        end = time.monotonic() + 30
        while time.monotonic() < end and not any(job.outputs() for job in jobs):  # one run has begun (any of them)
            time.sleep(0.05)
        t0 = time.monotonic()
        error = error_of(clients[3], "/generate_gan", ("mnist", -1, 16, 0, 1.0))
        waited = time.monotonic() - t0
        assert error is None and waited < 2, (error, waited)
        assert sum(job.done() for job in jobs) < 2  # the others still run or wait
    finally:
        for job in jobs:
            job.cancel()
        for c in clients:
            c.close()


@pytest.mark.parametrize("setting, limits", [("", {"quick": 1, "long": 2}), ("long=1", {"quick": 1, "long": 1}),
                                             ("quick=2,long=3", {"quick": 2, "long": 3})])
def test_the_workers_of_each_cost_class_can_be_set(monkeypatch, setting, limits):
    monkeypatch.setenv("GENIMG_WORKERS", setting)
    assert app.workers() == limits


def test_where_the_model_work_runs_can_be_set(monkeypatch):
    for kind in app.POOLS:
        monkeypatch.setenv("GENIMG_POOL", kind)
        assert app.pool_kind() == kind
    monkeypatch.setenv("GENIMG_POOL", "gpu")
    with pytest.raises(SystemExit, match="GENIMG_POOL takes one of processes, ray, threads, got 'gpu'"):
        app.pool_kind()


@pytest.mark.parametrize("setting", ["long=0", "slow=2", "long=two", "long"])
def test_a_wrong_workers_setting_stops_the_app_with_one_line(monkeypatch, setting):
    monkeypatch.setenv("GENIMG_WORKERS", setting)
    with pytest.raises(SystemExit, match="GENIMG_WORKERS takes quick=N,long=N with N >= 1"):
        app.workers()


def test_past_the_queue_size_a_clean_queue_full_answer():
    from concurrent.futures import ThreadPoolExecutor

    from gradio_client import Client

    with launched(queue_size=2) as (_, url):
        clients = [Client(url, verbose=False) for _ in range(app.IN_FLIGHT["long"] + 8)]  # past those taken at once
        try:
            with ThreadPoolExecutor(len(clients)) as pool:
                outs = list(pool.map(lambda c: error_of(c, "/compare_steps_diffusion",
                                                        ("mnist", 3, 0, "ddim", 3.0, 1.0, 0.0)), clients))
            errors = [e for e in outs if e is not None]
            assert errors and all("queue" in e.lower() and "full" in e.lower() for e in errors), errors
            assert len(outs) - len(errors) >= 2 + app.IN_FLIGHT["long"] - 1  # the ones taken and the queued ones
            assert error_of(clients[0], "/generate_gan", ("mnist", 3, 1, 0, 1.0)) is None  # still serving
        finally:
            for c in clients:
                c.close()


def test_the_server_keeps_the_state_of_the_last_visitors_only(monkeypatch):
    """Gradio keeps a copy of every block's config for each visitor (about 0.5 MB here) and by
    default forgets none until 10,000: a day of classes would hold gigabytes."""
    from gradio_client import Client

    monkeypatch.setattr(app, "SESSIONS", 3)
    with launched() as (demo, url):
        for _ in range(6):
            visitor = Client(url, verbose=False)
            assert visitor.predict("fashion", api_name="/scoreboard")
            visitor.close()
        assert len(demo.state_holder.session_data) == 3


def test_malloc_arenas_are_capped_where_there_is_glibc():
    import platform

    assert app.fewer_malloc_arenas() is (platform.libc_ver()[0] == "glibc")
