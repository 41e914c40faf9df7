"""A small classroom (benchmarks/load.py at test size): eight clients mixing every tab's endpoints
at once get served without errors, and the same seed and arguments give byte-identical images
whether one client or eight are running."""
import app
from benchmarks import load
from genimg import pipeline
from tests.conftest import launched


def test_eight_clients_at_once(app_url):
    pipeline.pin_threads(app.WORKERS)  # as app.launch does (the other tests of this process use 2 threads)
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


def test_past_the_queue_size_a_clean_queue_full_answer():
    from concurrent.futures import ThreadPoolExecutor

    from gradio_client import Client

    with launched(queue_size=2) as (_, url):
        clients = [Client(url, verbose=False) for _ in range(10)]
        try:
            with ThreadPoolExecutor(10) as pool:
                outs = list(pool.map(lambda c: load.request(c, "/compare_steps_diffusion",
                                                            ("mnist", 3, 0, "ddim", 3.0, 1.0, 0.0)), clients))
            errors = [o["error"] for o in outs if "error" in o]
            assert errors and all("queue" in e.lower() and "full" in e.lower() for e in errors), errors
            assert len(outs) - len(errors) >= 2 + app.WORKERS - 1  # the running ones and the queued ones
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
