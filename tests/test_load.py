"""A small classroom (benchmarks/load.py at test size): eight clients mixing every tab's endpoints
at once get served without errors, and the same seed and arguments give byte-identical images
whether one client or eight are running."""
import app
from benchmarks import load
from genimg import pipeline


def test_eight_clients_at_once(app_url):
    pipeline.pin_threads(app.WORKERS)  # as app.launch does (the other tests of this process use 2 threads)
    r = load.measure(app_url, None, clients=8, rounds=2, seconds=10, queue_size=app.QUEUE_SIZE, log=lambda _: None)
    assert r["alone"]["errors"] == 0 and set(r["alone"]["endpoints"]) == {api for api, _ in load.MIX}
    for row in r["rounds"]:
        assert row["errors"] == 0, row["unclean_errors"]
        assert row["served"] >= 4
    assert r["rounds"][1]["reference_identical"] == "8/8"
    for e in r["all_rounds"]["endpoints"].values():
        assert 0 < e["first_p50_s"] <= e["final_p50_s"] and e["first_p95_s"] <= e["final_p95_s"] + 1e-9
