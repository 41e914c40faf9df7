"""The app, launched for real and called through gradio_client, as a user's browser would."""
from types import SimpleNamespace

import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image


def png(path) -> Image.Image:
    img = Image.open(path)
    assert img.format == "PNG"
    return img


def sketch(tmp_path, blank=False):
    a = np.full((280, 280, 4), 255, np.uint8)
    if not blank:
        a[60:220, 130:150, :3] = 0
    path = tmp_path / ("blank.png" if blank else "one.png")
    Image.fromarray(a).save(path)
    return {"background": handle_file(str(path)), "layers": [], "composite": handle_file(str(path))}


def test_every_family_has_a_stable_endpoint(client):
    from genimg import ui

    names = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {f"/generate_{family}" for family in ui.shown_families()} <= set(names)  # every family's main action
    for name in ("/interpolate_gan", "/reconstruct_vae", "/latent_map_vae", "/encode_drawing_vae",
                 "/complete_pixelcnn", "/round_trip_transformer", "/complete_transformer", "/sdedit_diffusion",
                 "/compare_steps_diffusion"):
        assert name in names


# The streaming families' main actions before they were all named /generate_<family>: each keeps
# answering at its former name for one release.
FORMER = {"paint_pixelcnn": "pixelcnn", "paint_transformer": "transformer", "denoise_diffusion": "diffusion",
          "denoise_flow": "flow", "denoise_latent": "latent", "decode_maskgit": "maskgit"}


def test_a_former_endpoint_name_answers_as_the_new_one(client):
    """A former name has the new name's parameters and gives its answers: the same pictures and
    status line, and the same kept answer (the second call of the two is served from the cache)."""
    from genimg import ui

    api = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    shown = {old: family for old, family in FORMER.items() if family in ui.shown_families()}
    assert shown and all(f"/{old}" in api for old in shown)
    for seed, (old, family) in enumerate(shown.items(), 100):
        new = f"/generate_{family}"
        assert api[f"/{old}"]["parameters"] == api[new]["parameters"]
        args = [p["parameter_default"] for p in api[new]["parameters"]]
        args[:4] = ["mnist", 3, 1, seed]  # one image, a seed no other test asks for
        if "steps" in (names := [p["parameter_name"] for p in api[new]["parameters"]]):
            args[names.index("steps")] = 2
        before = client.predict(*args, api_name=f"/{old}")
        after = client.predict(*args, api_name=new)
        pictures = [i for i, v in enumerate(before) if isinstance(v, str) and v.endswith(".png")]
        assert pictures and [png(before[i]).tobytes() for i in pictures] == [png(after[i]).tobytes() for i in pictures]
        status = next(v for v in before if isinstance(v, str) and "seed" in v)
        assert status in after[before.index(status)] and "cache" in after[before.index(status)], old


@pytest.mark.parametrize("api, option", [("/generate_gan", 0.8), ("/generate_vae", 1.0)])
def test_generate(client, api, option):
    grid, stats, process = client.predict("fashion", 7, 9, 3, option, api_name=api)
    assert png(grid).size[0] > 28 * 3 and "9 images in" in stats and "seed 3" in stats
    assert png(process).size[1] > 28


def test_interpolate_gives_strip_and_gif(client):
    strip, gif = client.predict("mnist", 3, 0, 1, 6, 1.0, api_name="/interpolate_gan")
    assert png(strip).size[0] > png(strip).size[1]
    anim = Image.open(gif)
    assert anim.format == "GIF" and anim.n_frames == 10  # 6 forward, 4 back


def test_vae_extras(client, tmp_path):
    assert png(client.predict("mnist", 0, api_name="/reconstruct_vae")).size[0] > 28 * 10
    assert png(client.predict("fashion", 7, 5, api_name="/latent_map_vae")).size == (5 * 56, 5 * 56)
    pair, samples, text = client.predict("mnist", sketch(tmp_path), -1, api_name="/encode_drawing_vae")
    assert png(pair) and png(samples) and "classifier sees" in text
    _, _, text = client.predict("mnist", sketch(tmp_path), 4, api_name="/encode_drawing_vae")
    assert "class **4**" in text


@pytest.mark.parametrize("api, args, message", [
    ("/generate_gan", ("mnist", 3, 65, 0, 1.0), "must be a number between"),
    ("/generate_gan", ("mnist", 3, 4, -5, 1.0), "must be a number between"),
    ("/generate_gan", ("mnist", 3, 4, 2.5, 1.0), "seed must be a whole number"),
    ("/generate_gan", ("mnist", 3, 4, 0, 1.5), "must be a number between"),
    ("/generate_vae", ("mnist", 3, 4, 0, -1.0), "must be a number between"),
    ("/generate_vae", ("svhn", 3, 4, 0, 1.0), "svhn"),
    ("/interpolate_gan", ("mnist", 3, 0, 1, 99, 1.0), "must be a number between"),
    ("/latent_map_vae", ("mnist", 12, 5), "not in the list of choices"),
])
def test_bad_input_is_a_message_and_the_server_keeps_serving(client, api, args, message):
    with pytest.raises(Exception, match=message):
        client.predict(*args, api_name=api)
    _, stats, _ = client.predict("mnist", -1, 2, 0, 1.0, api_name="/generate_gan")
    assert "2 images in" in stats


def test_empty_drawing_is_refused(client, tmp_path):
    with pytest.raises(Exception, match="empty"):
        client.predict("mnist", sketch(tmp_path, blank=True), -1, api_name="/encode_drawing_vae")
    with pytest.raises(Exception, match="empty"):
        client.predict("mnist", None, -1, api_name="/encode_drawing_vae")


def test_paint_streams_to_the_final_grid(client):
    job = client.submit("mnist", 4, 2, 0, 1.0, api_name="/generate_pixelcnn")
    updates = list(job)
    assert 2 <= len(updates) <= 28  # one per row at most ten a second, and always the first and last
    grid, chart, stats = job.result()
    assert png(grid).size[0] > 2 * 28 * 6 and png(chart).size == (420, 260)
    assert "2 images in" in stats and "784 network steps" in stats
    assert "Row 1 of 28" in updates[0][2]


def test_complete_a_test_image_and_a_drawing(client, tmp_path):
    sheet, text = client.predict("fashion", "test", 9, 3, None, 14, 3, 0, 1.0, api_name="/complete_pixelcnn")
    assert png(sheet).size[0] > 5 * 28 * 4 and "Ankle boot" in text and "3 completions" in text
    sheet, text = client.predict("mnist", "drawing", -1, 1, sketch(tmp_path), 10, 2, 0, 1.0,
                                 api_name="/complete_pixelcnn")
    assert "your drawing (the classifier sees 1" in text


@pytest.mark.parametrize("args, message", [
    (("mnist", "test", 3, 1, None, 28, 3, 0, 1.0), "must be a number between"),
    (("mnist", "test", 3, 1, None, -1, 3, 0, 1.0), "must be a number between"),
    (("mnist", "test", -1, 1, None, 5, 3, 0, 1.0), "pick the class"),
    (("mnist", "drawing", 3, 1, None, 5, 3, 0, 1.0), "empty"),
    (("mnist", "test", 3, 1, None, 5, 9, 0, 1.0), "must be a number between"),
])
def test_bad_completion_input(client, args, message):
    with pytest.raises(Exception, match=message):
        client.predict(*args, api_name="/complete_pixelcnn")


def test_paint_refuses_too_many_images(client):
    with pytest.raises(Exception, match="must be a number between"):
        client.predict("mnist", 4, 17, 0, 1.0, api_name="/generate_pixelcnn")


def test_transformer_writes_49_tokens_live(client):
    job = client.submit("mnist", 3, 2, 0, 1.0, 0, 1.0, api_name="/generate_transformer")
    updates = list(job)
    assert 2 <= len(updates) <= 49 and "Token 1 of 49" in updates[0][3]
    grid, tokens, bars, stats = job.result()
    assert "2 images in" in stats and "49 Transformer steps" in stats
    assert png(grid).size[0] > 2 * 28 * 5 and png(tokens).size[0] > 100 and png(bars).size == (420, 260)


def test_transformer_round_trip_and_completion(client, tmp_path):
    sheet, text = client.predict("mnist", "test", 7, 1, None, api_name="/round_trip_transformer")
    assert png(sheet).size[0] > 3 * 28 * 6 and "49 tokens of 128 possible" in text and "squared error" in text
    _, text = client.predict("mnist", "drawing", -1, 1, sketch(tmp_path), api_name="/round_trip_transformer")
    assert "classifier sees 1" in text
    sheet, text = client.predict("fashion", "test", 9, 3, None, 3, 4, 0, 1.0, 0, 1.0,
                                 api_name="/complete_transformer")
    assert png(sheet).size[0] > 6 * 28 * 4 and "Ankle boot" in text and "4 completions" in text


@pytest.mark.parametrize("api, args, message", [
    ("/generate_transformer", ("mnist", 3, 17, 0, 1.0, 0, 1.0), "must be a number between"),
    ("/generate_transformer", ("mnist", 3, 2, 0, 1.0, 2.5, 1.0), "top_k must be a whole number"),
    ("/generate_transformer", ("mnist", 3, 2, 0, 1.0, 0, 0.0), "must be a number between"),
    ("/complete_transformer", ("mnist", "test", 3, 1, None, 7, 3, 0, 1.0, 0, 1.0), "must be a number between"),
    ("/round_trip_transformer", ("mnist", "drawing", 3, 1, None), "empty"),
])
def test_bad_transformer_input(client, api, args, message):
    with pytest.raises(Exception, match=message):
        client.predict(*args, api_name=api)


def test_diffusion_streams_every_step(client):
    job = client.submit("mnist", 3, 2, 0, "ddim", 5, 3.0, 1.0, 0.0, api_name="/generate_diffusion")
    updates = list(job)
    assert 2 <= len(updates) <= 5 and "Step 1 of 5 (t = 999)" in updates[0][3]
    grid, clean, plot, stats = job.result()
    assert "2 images in" in stats and "10 network evaluations" in stats
    assert png(grid) and png(clean) and png(plot).size == (420, 240)


def test_diffusion_sdedit_and_steps_comparison(client, tmp_path):
    sheet, text = client.predict("mnist", "drawing", -1, 1, sketch(tmp_path), 0.5, 0, "ddim", 10, 3.0, 1.0, 0.0,
                                 api_name="/sdedit_diffusion")
    assert png(sheet).size[0] > 6 * 28 * 4 and "classifier sees 1" in text and "5 denoising steps" in text
    job = client.submit("fashion", 7, 1, "ddim", 3.0, 1.0, 0.0, api_name="/compare_steps_diffusion")
    sheet, text = job.result()
    assert png(sheet) and "5 steps:" in text and "50 steps:" in text and "coming" not in text
    rows = job.outputs()  # a row per step count, each shown as soon as it is done
    assert [png(s).size[1] for s, _ in rows] == sorted({png(s).size[1] for s, _ in rows}) and len(rows) == 4
    assert "3 more rows coming" in rows[0][1] and "10 steps:" not in rows[0][1]


@pytest.mark.parametrize("api, args, message", [
    ("/generate_diffusion", ("mnist", 3, 2, 0, "ddim", 0, 3.0, 1.0, 0.0), "must be a number between"),
    ("/generate_diffusion", ("mnist", 3, 2, 0, "ddim", 5, 12.0, 1.0, 0.0), "must be a number between"),
    ("/generate_diffusion", ("mnist", 3, 2, 0, "euler", 5, 3.0), "euler"),
    ("/sdedit_diffusion", ("mnist", "test", 3, 1, None, 1.5, 0, "ddim", 10, 3.0, 1.0, 0.0), "must be a number between"),
    ("/sdedit_diffusion", ("mnist", "drawing", 3, 1, None, 0.5, 0, "ddim", 10, 3.0, 1.0, 0.0), "empty"),
])
def test_bad_diffusion_input(client, api, args, message):
    with pytest.raises(Exception, match=message):
        client.predict(*args, api_name=api)


def test_compare_streams_every_family_fastest_first(client):
    from genimg import models

    k = len(models.FAMILIES)
    job = client.submit("mnist", 3, 0, api_name="/compare")
    updates = list(job)
    assert len(updates) == k  # one update as each family finishes
    final = job.result()
    assert all(png(p) for p in final[:k]) and all("recognised" in t for t in final[k:])
    first = [i for i, p in enumerate(updates[0][:k]) if p is not None]
    assert len(first) == 1


def test_scoreboard_comes_from_the_cards(client):
    table, chart, note = client.predict("fashion", api_name="/scoreboard")
    rows = table["data"] if isinstance(table, dict) else table
    assert ("Measured" in note and rows and png(chart)) or "No scoreboard yet" in note


def test_streamed_frames_are_throttled():
    from types import SimpleNamespace

    from genimg.ui.handlers import throttled

    frames = [SimpleNamespace(i=i, result=None) for i in range(50)] + [SimpleNamespace(i=50, result="done")]
    assert [f.i for f in throttled(iter(frames), interval=3600)] == [0, 50]  # the first and the final one
    assert [f.i for f in throttled(iter(frames), interval=0)] == list(range(51))  # a slow model: every one


def test_the_api_names_every_parameter(client):
    api = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    names = {e: [p["parameter_name"] for p in info["parameters"]] for e, info in api.items()}
    assert names["/generate_gan"] == ["dataset", "label", "n", "seed", "truncation"]
    assert names["/generate_transformer"] == ["dataset", "label", "n", "seed", "temperature", "top_k", "top_p"]
    assert names["/generate_diffusion"][-5:] == ["sampler", "steps", "guidance", "guide_from", "guide_to"]
    assert names["/compare_steps_diffusion"] == ["dataset", "label", "seed", "sampler", "guidance", "guide_from",
                                                 "guide_to"]  # the comparison sets the steps itself
    assert names["/round_trip_transformer"] == ["dataset", "source", "label", "which", "drawing"]
    assert not [n for ps in names.values() for n in ps if n.startswith("param_")]
    # one vocabulary: the same name for the same thing on every endpoint, each option by its CLI name
    from genimg import models
    from genimg.ui.controls import START

    options = {o.name for f in models.FAMILIES + models.DEVELOPING for o in models.get(f).OPTIONS}
    from genimg import toys
    from genimg.ui.train import SETTINGS  # the Train tab's: its data and run, and its families' own options

    vocabulary = {"dataset", "label", "n", "seed", *START, "rows", "count", "strength", "region", "size",
                  "seed_a", "seed_b", "frames", *SETTINGS, *toys.options(), "chart"} | options
    assert {e: [n for n in ps if n not in vocabulary] for e, ps in names.items() if set(ps) - vocabulary} == {}
    assert names["/generate_pixelcnn"] == ["dataset", "label", "n", "seed", "temperature"]
    assert names["/scaling"] == ["dataset", "chart", "families"]
    assert names["/interpolate_gan"] == ["dataset", "label", "seed_a", "seed_b", "frames", "truncation"]
    assert names["/compare"] == names["/paths_flow"] == ["dataset", "label", "seed"]


def test_a_family_without_a_tab_module_gets_the_sample_panel(monkeypatch):
    """A family needs no UI file: without one its tab is its summary over the sample panel,
    with the same /generate_<family> endpoint as a family that uses the panel itself."""
    import gradio as gr

    from genimg import ui

    monkeypatch.setattr(ui, "own_tab", lambda family: False)
    with gr.Blocks() as demo:
        dataset = gr.Radio(["mnist", "fashion"], value="mnist")
        ui.family_tab("diffusion", dataset)
    endpoints = {fn.api_name for fn in demo.fns.values()}
    assert "generate_diffusion" in endpoints and "denoise_diffusion" not in endpoints  # no former name
    from genimg.ui import i18n
    texts = [i18n.built(b.value) for b in demo.blocks.values() if isinstance(b, gr.Markdown)]
    assert any(models_summary("diffusion") in t for t in texts if t)


def models_summary(family):
    from genimg import models

    return models.get(family).SUMMARY


def api_docs_block(start: str) -> str:
    """docs/api.md's code block that begins with ``start``."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "api.md").read_text()
    return next(b for b in re.findall(r"```python\n(.*?)```", text, flags=re.S) if b.startswith(start))


def test_the_readme_documents_every_endpoint_and_its_calls_work(client, tmp_path):
    """The docs' endpoint table is the app's own (as benchmarks/api_table.py prints it), and
    docs/api.md's one-call-per-tab example runs as written."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    table = subprocess.run([sys.executable, "benchmarks/api_table.py"], cwd=root, capture_output=True, text=True,
                           check=True, timeout=300).stdout
    assert table.strip() == (root / "benchmarks" / "results" / "tables" / "api.md").read_text().strip()
    (tmp_path / "my_digit.png").write_bytes(Path(sketch(tmp_path)["composite"]["path"]).read_bytes())
    calls = []

    def predict(*args, **kwargs):
        calls.append(kwargs["api_name"])
        return client.predict(*args, **kwargs)

    code = api_docs_block("from gradio_client import").split("\n", 1)[1]
    exec(code, {"Client": lambda url: SimpleNamespace(predict=predict),
                "handle_file": lambda name: handle_file(str(tmp_path / name))})
    assert len(calls) == code.count("c.predict(") >= 9
