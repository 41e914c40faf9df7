"""A small classroom (benchmarks/load.py at test size): eight clients mixing every tab's endpoints
at once get served without errors, and the same seed and arguments give byte-identical images
whether one client or eight are running."""
import pytest

import app
from benchmarks import load
from genimg import pipeline
from tests.conftest import launched


def test_eight_clients_at_once(app_url):
    pipeline.pin_threads(sum(app.workers().values()))  # as app.launch does (the other tests of this process use 2 threads)
    r = load.measure(app_url, None, clients=8, rounds=2, seconds=10, queue_size=app.QUEUE_SIZE, log=lambda _: None)
    assert r["alone"]["errors"] == 0 and set(r["alone"]["endpoints"]) == {api for api, _ in load.MIX}
    for row in r["rounds"]:
        assert row["errors"] == 0, row["unclean_errors"]
        assert row["served"] >= 1  # a round lasts 10 s: how many fit depends on the machine
    assert r["rounds"][1]["reference_identical"] == "8/8"
    for e in r["all_rounds"]["endpoints"].values():
        assert 0 < e["first_p50_s"] <= e["final_p50_s"] and e["first_p95_s"] <= e["final_p95_s"] + 1e-9
    report = load.markdown({**r, "first_page_s": 1.0})
    served = sum(row["served"] for row in r["rounds"])
    assert f"served {served / 20:.1f} requests a second of this mix to 8 clients" in report
    assert "| 2 | " in report and "memory – before" in report  # an app started elsewhere: not measured
    assert all(row["cpu_s"]["server"] is None and row["cpu_s"]["load_generator"] > 0 for row in r["rounds"])
    assert "| – / " in report and "of the cores' time" not in report  # the split needs the server's pid


def test_cpu_time_is_read_from_proc():
    """The load report's CPU split: a process's user + system seconds, as /proc counts them."""
    import os
    import time

    before, t0 = load.cpu_s(os.getpid()), time.process_time()
    while time.process_time() - t0 < 0.3:
        pass
    assert 0.2 < load.cpu_s(os.getpid()) - before < 2


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
        out = load.request(clients[3], "/generate_gan", ("mnist", -1, 16, 0, 1.0))
        waited = time.monotonic() - t0
        assert "error" not in out and waited < 2, waited
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
                outs = list(pool.map(lambda c: load.request(c, "/compare_steps_diffusion",
                                                            ("mnist", 3, 0, "ddim", 3.0, 1.0, 0.0)), clients))
            errors = [o["error"] for o in outs if "error" in o]
            assert errors and all("queue" in e.lower() and "full" in e.lower() for e in errors), errors
            assert len(outs) - len(errors) >= 2 + app.IN_FLIGHT["long"] - 1  # the ones taken and the queued ones
            assert "error" not in load.request(clients[0], "/generate_gan", ("mnist", 3, 1, 0, 1.0))  # still serving
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
