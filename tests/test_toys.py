"""The 2-D families of the Train tab (genimg.toys): every one learns, the same settings give the
same frames, flow matching covers the ring, bad input is refused before anything is computed, and
the endpoint answers through gradio_client."""
import math

import numpy as np
import pytest
import torch
from gradio_client import handle_file
from PIL import Image

from genimg import playground, toyframes, toys
from genimg.toys import data, run, score


def frames(**kw):
    return list(playground.train(**kw))


@pytest.mark.parametrize("name", toys.TOYS)
def test_training_improves_every_family(name):
    """Training brings the samples nearer the data; a family that minimises one loss (not a game
    of two networks) also lowers it."""
    torch.set_num_threads(1)
    run_ = frames(data_name="ring8", families=[name], steps=150, frames=3)
    trace = run_[-1].families[name]
    assert trace.score[-1][1] < trace.score[0][1]
    toy = toys.get(name).Toy(16, toys.get(name).LR, torch.Generator().manual_seed(0))
    if len(toy.optimizers) == 1:
        assert trace.loss[-1][1] < trace.loss[0][1]


@pytest.mark.parametrize("name", toys.TOYS)
def test_contract(name):
    fam = toys.get(name)
    assert fam.TITLE and fam.SUMMARY and fam.IDEA and fam.LR > 0 and fam.BATCH > 0
    gen = torch.Generator().manual_seed(0)
    toy = fam.Toy(8, fam.LR, gen)
    out = toy.step(data.split(data.source("ring8"))[0][: fam.BATCH], gen)
    assert math.isfinite(out["loss"])
    assert toy.sample(5, gen).shape == (5, 2)
    view = toy.view(gen, 0.5, torch.zeros(4, 2))
    assert set(view) >= {"over", "idea"}
    for layer in view["over"] + view["idea"]:
        assert layer["kind"] in ("dots", "lines", "heat", "arrows", "bars", "circle")


def test_the_same_settings_give_the_same_frames():
    kw = dict(data_name="moons", steps=40, frames=2, seed=3)
    a, b = frames(**kw), frames(**kw)
    for x, y in zip(a, b, strict=True):
        for name in toys.TOYS:
            np.testing.assert_array_equal(x.families[name].samples, y.families[name].samples)
    assert toyframes.composite(a[-1]).tobytes() == toyframes.composite(b[-1]).tobytes()
    other = frames(**{**kw, "seed": 4})
    assert not np.array_equal(other[-1].families["flow"].samples, a[-1].families["flow"].samples)


def test_flow_matching_covers_the_ring():
    last = frames(data_name="ring8", families=["flow"])[-1]
    assert last.modes_total == 8 and last.families["flow"].modes[-1][1] == 8
    assert last.families["flow"].score[-1][1] < 3 * last.floor


def test_score_and_modes():
    ring = data.source("ring8")
    gen = torch.Generator().manual_seed(0)
    a, b = ring(1000, gen), ring(1000, gen)
    assert score.sliced_wasserstein(a, b) < 0.1
    assert score.modes(a, ring.centres, ring.std)[0] == 8
    one_mode = torch.as_tensor(ring.centres[:1], dtype=torch.float32).repeat(1000, 1)
    assert score.modes(one_mode, ring.centres, ring.std) == (1, 0.0)
    assert score.modes(torch.zeros(1000, 2), ring.centres, ring.std) == (0, 1.0)  # all between the modes


def test_every_source_gives_points_in_the_box():
    for name in data.PRESETS:
        pts = data.source(name)(500, torch.Generator().manual_seed(0))
        assert pts.shape == (500, 2) and pts.abs().max() < data.BOX
    word = data.source("word", "生成")(500, torch.Generator().manual_seed(0))
    assert word.abs().max() < data.BOX
    pad = np.full((280, 280, 4), 255, np.uint8)
    pad[100:180, 50:230, :3] = 0
    assert data.source("drawing", drawing=pad)(100, torch.Generator().manual_seed(0)).shape == (100, 2)


@pytest.mark.parametrize("kw, message", [
    (dict(steps=10**9), "steps must be a whole number between 10 and 3000"),
    (dict(lr_scale=float("nan")), "lr_scale must be a number between"),
    (dict(width=0), "width must be a whole number between 4 and 256"),
    (dict(data_name="drawing"), "the drawing is empty"),
    (dict(data_name="drawing", drawing=np.full((280, 280), 255, np.uint8)), "the drawing is empty"),
    (dict(data_name="drawing", drawing=np.zeros((1000, 1000), np.uint8)), "at most 40,000 points"),
    (dict(data_name="word", word="x" * 500), "word may have at most 12 characters, got 500"),
    (dict(data_name="word", word="   "), "not only spaces"),
    (dict(data_name="word", word="生成", steps=2000), "steps must be a whole number between 10 and 1500"),
    (dict(families=[]), "families must name at least one"),
    (dict(steps=3000), "steps × families may be at most 6,000 for this data, got 3000 × 5 = 15,000"),
    (dict(data_name="word", word="生成", steps=1000), "steps × families may be at most 3,000"),
    (dict(families=["gan", "nope"]), "family must be one of"),
    (dict(data_name="circle"), "data must be one of"),
    (dict(gan_loss="none"), "gan_loss must be one of plain, fix"),
    (dict(nope=1), "option must be one of"),
])
def test_bad_input_is_refused_before_training(kw, message, monkeypatch):
    monkeypatch.setattr(run, "train", lambda *a, **k: pytest.fail("trained on bad input"))
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        frames(**kw)


def test_the_cli_draws_a_run(tmp_path):
    from genimg.__main__ import main

    assert main(["toys", "--families", "bins,flow", "--steps", "20", "--out", str(tmp_path / "run.png")]) == 0
    assert Image.open(tmp_path / "run.png").size[0] > 400
    assert main(["toys", "--steps", "1000000000", "--out", str(tmp_path / "x.png")]) == 2


def test_the_endpoint(client, tmp_path):
    names = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    params = [p["parameter_name"] for p in names["/train"]["parameters"]]
    assert params[:9] == ["data", "word", "drawing", "families", "steps", "lr_scale", "width", "seed", "look_at"]
    out = client.predict(data="grid25", families=["bins", "flow"], steps=30, api_name="/train")
    *pictures, score_chart, modes_chart, status, table = out
    shown = [p for p in pictures if p.get("visible") is not False and p.get("value")]
    assert len(shown) == 2
    assert "25" in table and "Flow matching" in table
    again = client.predict(data="grid25", families=["bins", "flow"], steps=30, api_name="/train")
    assert again[-1] == table and again[-2] != status and "cache" in again[-2]  # computed once
    with pytest.raises(Exception, match="steps must be a (whole )?number between 10 and 3000"):
        client.predict(steps=10**9, api_name="/train")
    pad = np.full((280, 280, 4), 255, np.uint8)
    pad[60:220, 130:150, :3] = 0
    Image.fromarray(pad).save(tmp_path / "pad.png")
    drawing = {"background": handle_file(str(tmp_path / "pad.png")), "layers": [],
               "composite": handle_file(str(tmp_path / "pad.png"))}
    out = client.predict(data="drawing", drawing=drawing, families=["flow"], steps=20, api_name="/train")
    assert "Flow matching" in out[-1]
