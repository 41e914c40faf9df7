"""The Scaling tab: its charts come from the cards' learning curves and the passes benchmark, and
it names the families not yet measured while learning."""
from genimg import checkpoint, models
from genimg.ui import scaling


def test_the_charts_read_the_cards_learning_curves():
    curves = scaling.learning("mnist")
    for family, points in curves.items():
        assert points == checkpoint.read_card(family, "mnist")["learning"]
        assert all(a["flops"] < b["flops"] for a, b in zip(points, points[1:]))
    trained, spent, table, note = scaling.charts("mnist")
    assert (trained is not None) == bool(curves)
    assert table.count("\n") == 1 + sum(len(p) for p in curves.values()) if curves else table == ""
    unmeasured = [f for f in models.FAMILIES if checkpoint.exists(f, "mnist") and f not in curves]
    for family in unmeasured:
        assert models.get(family).TITLE in note


def test_the_passes_chart_reads_the_benchmark():
    found = scaling.passes("mnist")
    assert (scaling.charts("mnist")[1] is not None) == bool(found)
    for points in found.values():
        assert all(p["nfe"] >= 1 and p["fid"] > p["fid_floor"] for p in points)
    assert scaling.passes("no-such-dataset") == {}
