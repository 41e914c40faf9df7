"""The scaling study: its charts come from the cards' learning curves, the size and data runs the
study file lists, and the passes benchmark; the frontier, the crossover, the power law and the
memorisation ratio do what they say; the tab, its endpoint and the CLI answer and refuse as
every tab does."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from genimg import checkpoint, facts, memorisation, models, scaling
from genimg.__main__ import main
from genimg.ui import scaling as tab

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def test_the_charts_read_the_cards_learning_curves():
    curves = scaling.learning("mnist")
    kept = facts.results("scaling", "learning")  # runs from scratch that were not shipped
    for family, points in curves.items():
        card = checkpoint.read_card(family, "mnist")
        if "learning" not in card:
            card = checkpoint.read_card(family, "mnist", facts.ROOT / kept[family]["root"])
        assert points == card["learning"]
        assert all(a["flops"] < b["flops"] for a, b in zip(points, points[1:]))
    assert (scaling.chart("compute", "mnist") is not None) == bool(curves)
    found = scaling.points("compute", "mnist")
    assert len(found) == sum(len(p) for p in curves.values())
    assert all(p["sheet"].exists() for p in found)


def test_the_passes_chart_reads_the_benchmark():
    found = scaling.passes("mnist")
    assert (scaling.chart("passes", "mnist") is not None) == bool(found)
    for points in found.values():
        assert all(p["nfe"] >= 1 and p["fid"] > p["fid_floor"] for p in points)
    assert scaling.passes("no-such-dataset") == {}


def test_the_frontier_keeps_the_best_fid_at_each_compute_and_finds_the_crossover():
    small = [(1, 50.0), (2, 20.0), (4, 12.0), (8, 10.0)]
    big = [(4, 30.0), (8, 9.0), (16, 5.0)]
    assert scaling.frontier([small, big]) == [(1, 50.0), (2, 20.0), (4, 12.0), (8, 9.0), (16, 5.0)]
    assert scaling.overtakes(small, big) == 8  # below the smaller curve from 8 on, where both reached
    assert scaling.overtakes(big, small) is None  # the smaller one never gets below the bigger one there
    assert scaling._at(small, 3) == pytest.approx(np.exp(np.interp(np.log(3), np.log([2, 4]), np.log([20, 12]))))


def test_the_power_law_fit_recovers_a_known_exponent():
    from benchmarks import scaling as study

    floor, alpha = 2.0, 0.4
    curve = [(x, floor + 300 * x ** -alpha * (1 + 0.01 * (-1) ** i)) for i, x in enumerate(np.logspace(10, 14, 9))]
    fit = study.power_law([curve], floor)
    assert fit["low"] < alpha < fit["high"] and fit["exponent"] == pytest.approx(alpha, abs=0.02)
    assert fit["r2"] > 0.99 and fit["points"] == sum(x >= study.FIT_FROM * 1e14 for x, _ in curve)
    assert study.power_law([curve[:2]], floor) is None  # too few points to fit


def test_a_run_whose_clock_lost_time_is_found_and_its_cpu_seconds_read_as_a_bound(monkeypatch):
    from benchmarks import scaling as study

    steady = [{"flops": 10 * k, "cpu_s": 5.0 * k} for k in range(1, 9)]
    lost = [dict(p, cpu_s=p["cpu_s"] - (4.0 if p["flops"] >= 50 else 0)) for p in steady]  # a resume between 40 and 50
    assert not study.lost_cpu(steady) and study.lost_cpu(lost)
    assert not study.lost_cpu(lost[:2])  # too few stretches to tell
    assert scaling.clock_lost_at(lost) == 4  # from the fifth point on, CPU-seconds are a lower bound
    points = [dict(p, step=p["flops"], fid=3.0, fid_floor=2.0, class_accuracy=0.9, sheet="s.png") for p in lost]
    monkeypatch.setattr(scaling, "_curves", lambda dataset: {"gan": (points, Path("."))})
    captions = [p["caption"] for p in scaling.points("compute", "mnist")]
    assert ["at least" in c for c in captions] == [False] * 4 + [True] * 4


def test_memorisation_flags_a_copy_and_not_a_new_image():
    pool = torch.randn(50, 8, dtype=torch.float64)
    copy = pool[7:8] + 1e-3  # all but identical to one training image
    new = torch.randn(1, 8, dtype=torch.float64) * 3
    index, ratio = memorisation.nearest(torch.cat([copy, new]), pool)
    assert index[0] == 7 and ratio[0] < memorisation.RATIO < ratio[1] <= 1
    with pytest.raises(ValueError, match="at least 2 training images"):
        memorisation.nearest(copy, pool[:1])
    pairs = [(np.zeros((28, 28), np.uint8), np.full((28, 28), 255, np.uint8), r) for r in (0.1, 0.9)]
    assert memorisation.picture(pairs).size[0] > 2 * 28 * 3


def _run(root: Path, family: str, step0: int, fid0: float, extra: dict | None = None) -> None:
    """A finished run's card with a learning curve and its sheets, as the study copies one."""
    folder = root / "mnist"
    sheet = np.zeros((40, 28, 28), np.uint8)
    points = []
    for k in range(1, 4):
        name = checkpoint.save_sheet(sheet, family, "mnist", step0 * k, 10, root)
        points.append({"step": step0 * k, "fid": fid0 / k, "fid_floor": 2.0, "class_accuracy": 0.9, "flops": 1e12 * k,
                       "cpu_s": 10.0 * k, "wall_s": 11.0 * k, "sheet": name})
    card = {"recipe": {"command": f"python -m genimg train --family {family} --dataset mnist"},
            "config": {}, "learning": points, **(extra or {})}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{family}.json").write_text(json.dumps(card))


@pytest.fixture
def study(tmp_path, monkeypatch):
    """A study file naming two size runs of the GAN and two data runs, in a results folder of its own."""
    results = tmp_path / "results"
    results.mkdir()
    _run(tmp_path / "small", "gan", 10, 40.0)
    _run(tmp_path / "big", "gan", 5, 30.0)
    _run(tmp_path / "few", "gan", 10, 60.0)
    Image.new("RGB", (30, 20)).save(tmp_path / "few.png")
    (results / "scaling.json").write_text(json.dumps({
        "dataset": "mnist",
        "sizes": {"gan": {"network": "all", "runs": [
            {"name": "big", "root": str(tmp_path / "big"), "params": 4000},
            {"name": "small", "root": str(tmp_path / "small"), "params": 1000}]}},
        "fits": {"gan": {"exponent": 0.5, "low": 0.3, "high": 0.7, "points": 4, "r2": 0.95, "from_flops": 1e12,
                         "to_flops": 3e12, "floor": 2.0}},
        "data": {"gan": [{"images": 600, "name": "few", "root": str(tmp_path / "few"), "memorised": 0.25,
                          "median_ratio": 0.5, "n": 1000, "picture": str(tmp_path / "few.png")}]}}))
    monkeypatch.setattr(facts, "RESULTS", results)
    return tmp_path


def test_the_size_and_data_charts_read_the_study(study):
    runs = scaling.sizes("mnist")["gan"]
    assert [r["params"] for r in runs] == [1000, 4000]  # smallest first
    assert runs[0]["points"] == checkpoint.read_card("gan", "mnist", study / "small")["learning"]
    assert scaling.chart("size", "mnist") is not None and scaling.chart("data", "mnist") is not None
    assert scaling.chart("size", "mnist", ["vae"]) is None  # no size runs of that family
    text = scaling.reading("size", "mnist")
    assert "α = 0.50 (95%: 0.30 to 0.70)" in text and "4k model" in text
    assert "600 images: FID 20.00, 25.0% copied" in scaling.reading("data", "mnist")
    opened = scaling.points("size", "mnist")
    assert len(opened) == 6 and all(p["sheet"].exists() for p in opened)
    picture, said, found, copies, rows = tab.show("mnist", "data", ["gan"])
    assert picture is not None and len(copies) == 1 and "25.0%" in copies[0][1] and rows.count("\n") == 4
    img, caption = tab.sheet("mnist", "size", ["gan"], opened[0]["label"])
    assert img.size == (3 * 10 * 28, 3 * 4 * 28 + tab.LABEL_ROOM) and "FID 40.00" in caption
    assert scaling.sizes("fashion") == {}  # the study is of one dataset


def test_the_tab_refuses_what_it_does_not_know():
    with pytest.raises(ValueError, match="chart must be one of compute, size, data, passes"):
        tab.show("mnist", "speed", [])
    with pytest.raises(ValueError, match="families must be one of"):
        tab.check_families("gan,nobody")
    assert tab.check_families("gan, flow") == ["gan", "flow"]
    assert set(tab.FAMILIES) == set(models.FAMILIES + models.DEVELOPING)


def test_the_cli_draws_a_chart_and_refuses_bad_input(tmp_path, capsys):
    assert main(["scaling", "--chart", "passes", "--out", str(tmp_path / "p.png")]) == 0
    assert (tmp_path / "p.png").stat().st_size > 1000
    assert main(["scaling", "--chart", "compute", "--out", str(tmp_path / "c.json")]) == 0
    found = json.loads((tmp_path / "c.json").read_text())
    assert found["chart"] == "compute" and all(not Path(p["sheet"]).is_absolute() for p in found["points"])
    capsys.readouterr()
    for bad in (["--chart", "speed"], ["--family", "nobody"], ["--dataset", "cifar"]):
        assert main(["scaling", *bad, "--out", str(tmp_path / "x.png")]) == 2
    assert main(["scaling", "--out", str(tmp_path / "x.gif")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4 and all(line.startswith("error: ") for line in err)
