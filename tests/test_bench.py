"""``python -m genimg bench``: what it measures and how it reports it (the numbers themselves are
the benchmark's business, not the tests')."""
import json

import pytest

from genimg import bench, ui
from genimg.__main__ import main


def test_throughput_at_each_batch_size():
    r = bench.throughput("gan", "mnist", batches=(1, 3), repeats=3, budget_s=0.1)
    assert list(r) == ["1", "3"] and all(v > 0 for v in r.values())


def test_fast_and_naive_samplers_side_by_side():
    r = bench.naive_ratio("transformer", "mnist", n=2)
    assert r["same_images"] is True and r["naive_s"] > 0
    # the speed-up is of the unrounded times; the reported times are rounded to the millisecond
    ratio = r["naive_s"] / r["fast_s"]
    assert r["speedup"] == pytest.approx(ratio, abs=0.05 + 0.001 / r["fast_s"] * (1 + ratio))
    assert bench.naive_ratio("gan", "mnist") is None  # nothing naive to compare with


def test_the_app_streaming_tabs_are_found_and_timed():
    found = {s.name: s for s in bench.streams(ui.build())}
    assert {"generate_pixelcnn", "generate_transformer", "generate_diffusion", "compare"} <= set(found)
    assert "generate_gan" not in found and "round_trip_transformer" not in found  # not streaming
    r = bench.first_frame(found["generate_diffusion"], repeats=1)
    assert 0 < r["first_frame_s"] < r["last_frame_s"] and 2 <= r["frames"] <= 10  # of 10 steps


def test_bench_cli_writes_json_and_prints_the_table(tmp_path, capsys):
    out = tmp_path / "b.json"
    assert main(["bench", "--family", "gan", "--family", "vae", "--batch", "1", "--batch", "2", "--no-tabs",
                 "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert set(result["images_per_second"]) == {"gan", "vae"} and result["streaming_tabs"] == {}
    assert set(result["images_per_second"]["vae"]) == {"1", "2"}
    printed = capsys.readouterr().out
    assert "| gan | " in printed and "batch 2" in printed


@pytest.mark.parametrize("args, message", [(["--batch", "0"], "batch must be a whole number between 1 and 256"),
                                            (["--out", "b.txt"], "--out must end in .json"),
                                            (["--family", "nonesuch"], "unknown family 'nonesuch'"),
                                            (["--dataset", "cifar"], "unknown dataset 'cifar'")])
def test_bad_bench_arguments(args, message, capsys):
    assert main(["bench", "--no-tabs", *args]) == 2
    assert message in capsys.readouterr().err
