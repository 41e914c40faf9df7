"""Hostile input: every bad request through the app's public API (its REST calls, as a script or a
curious student would send them, NaN and Infinity included; files through gradio_client) and the
CLI gets a clear message, and the next good request is still served. Checkpoint tampering is in
test_checkpoint.py."""
import json
import math

import httpx
import numpy as np
import pytest
from gradio_client import handle_file
from PIL import Image

from genimg import checkpoint
from genimg.__main__ import main

NAN, INF = math.nan, math.inf
GAN = "/generate_gan"


def sketch_file(tmp_path, array: np.ndarray, name: str = "drawing.png") -> dict:
    path = tmp_path / name
    Image.fromarray(array).save(path)
    return {"background": None, "layers": [], "composite": handle_file(str(path))}


def call(url: str, api: str, args, session: str | None = None) -> tuple[str, dict]:
    """POST the arguments as JSON (NaN and Infinity written as JavaScript would) to the app's REST
    API (as the visitor of ``session``, if given) and read the streamed answer: ("complete" |
    "error", its data)."""
    body = {"data": list(args), **({"session_hash": session} if session else {})}
    r = httpx.post(f"{url}gradio_api/call{api}", content=json.dumps(body),
                   headers={"content-type": "application/json"}, timeout=30)
    r.raise_for_status()
    answer = httpx.get(f"{url}gradio_api/call{api}/{r.json()['event_id']}", timeout=120).text
    events = [line.split(": ", 1)[1] for line in answer.splitlines() if line.startswith("event: ")]
    data = [line.split(": ", 1)[1] for line in answer.splitlines() if line.startswith("data: ")]
    return events[-1], json.loads(data[-1])


def still_serving(client):
    _, stats, _ = client.predict("mnist", 3, 1, 0, 1.0, api_name=GAN)
    assert "1 images in" in stats or "1 image in" in stats


BAD_API = [
    # the number of images, the seed, the class, the dataset, an option: each wrong in every way
    (GAN, ("mnist", 3, NAN, 0, 1.0), "n must be a whole number between 1 and 64"),
    (GAN, ("mnist", 3, INF, 0, 1.0), "must be a number between"),
    (GAN, ("mnist", 3, -3, 0, 1.0), "must be a number between"),
    (GAN, ("mnist", 3, 1e9, 0, 1.0), "must be a number between"),
    (GAN, ("mnist", 3, "many", 0, 1.0), "Number of images must be a number between 1 and 64, got 'many'"),
    (GAN, ("mnist", 3, None, 0, 1.0), "Number of images must be a number between 1 and 64, got None"),
    (GAN, ("mnist", 3, [4], 0, 1.0), "Number of images must be a number between 1 and 64, got [4]"),
    (GAN, ("mnist", 3, True, 0, 1.0), "Number of images must be a number between 1 and 64, got True"),
    (GAN, ("mnist", 3, 2.5, 0, 1.0), "n must be a whole number between 1 and 64"),
    (GAN, ("mnist", 3, 2, NAN, 1.0), "seed must be a whole number"),
    (GAN, ("mnist", 3, 2, -1, 1.0), "must be a number between"),
    (GAN, ("mnist", 3, 2, 2**40, 1.0), "must be a number between"),
    (GAN, ("mnist", 3, 2, "abc", 1.0), "Seed must be a number between 0 and 4294967295, got 'abc'"),
    (GAN, ("mnist", 10, 2, 0, 1.0), "not in the list of choices"),
    (GAN, ("mnist", "seven", 2, 0, 1.0), "not in the list of choices"),
    (GAN, ("mnist", 3.5, 2, 0, 1.0), "not in the list of choices"),
    (GAN, ("svhn", 3, 2, 0, 1.0), "not in the list of choices"),
    (GAN, ("", 3, 2, 0, 1.0), "not in the list of choices"),
    (GAN, (7, 3, 2, 0, 1.0), "not in the list of choices"),
    (GAN, ("mnist", 3, 2, 0, NAN), "truncation must be a number between"),
    (GAN, ("mnist", 3, 2, 0, -5), "must be a number between"),
    (GAN, ("mnist", 3, 2, 0, "x"), "must be a number between 0 and 1, got 'x'"),
    ("/generate_vae", ("mnist", 3, 2, 0, INF), "must be a number between"),
    ("/interpolate_gan", ("mnist", 3, 0, 1, 0, 1.0), "must be a number between"),
    ("/interpolate_gan", ("mnist", 3, 0, 1, 1000, 1.0), "must be a number between"),
    ("/interpolate_gan", ("mnist", 3, NAN, 1, 6, 1.0), "must be a whole number"),
    ("/latent_map_vae", ("mnist", 2, 0), "must be a number between"),
    ("/latent_map_vae", ("mnist", 2, 100), "must be a number between"),
    ("/latent_map_vae", ("mnist", 2, "big"), "must be a number between"),
    ("/reconstruct_vae", ("mnist", -5), "must be a number between"),
    ("/generate_pixelcnn", ("mnist", 3, 0, 0, 1.0), "must be a number between"),
    ("/generate_pixelcnn", ("mnist", 3, 2, 0, 0.0), "must be a number between"),
    ("/generate_pixelcnn", ("mnist", 3, 2, 0, NAN), "temperature must be a number between"),
    ("/complete_pixelcnn", ("mnist", "train", 3, 1, None, 14, 2, 0, 1.0), "not in the list of choices"),
    ("/complete_pixelcnn", ("mnist", "test", 3, 0, None, 14, 2, 0, 1.0), "must be a number between"),
    ("/complete_pixelcnn", ("mnist", "test", 3, 11, None, 14, 2, 0, 1.0), "must be a number between"),
    ("/complete_pixelcnn", ("mnist", "test", 3, 1, None, 14, 0, 0, 1.0), "must be a number between"),
    ("/generate_transformer", ("mnist", 3, 2, 0, 1.0, -1, 0.95), "must be a number between"),
    ("/generate_transformer", ("mnist", 3, 2, 0, 1.0, 1e6, 0.95), "must be a number between"),
    ("/generate_transformer", ("mnist", 3, 2, 0, 1.0, 0, 1.5), "must be a number between"),
    ("/generate_transformer", ("mnist", 3, 2, 0, NAN, 0, 0.95), "temperature must be a number between"),
    ("/complete_transformer", ("mnist", "test", 3, 1, None, -1, 2, 0, 1.0, 0, 0.95), "must be a number between"),
    ("/generate_diffusion", ("mnist", 3, 2, 0, "DDIM", 5, 3.0, 1.0, 0.0), "not in the list of choices"),
    ("/generate_diffusion", ("mnist", 3, 2, 0, "", 5, 3.0, 1.0, 0.0), "not in the list of choices"),
    ("/generate_diffusion", ("mnist", 3, 2, 0, "ddim", 251, 3.0, 1.0, 0.0), "must be a number between"),
    ("/generate_diffusion", ("mnist", 3, 2, 0, "ddim", 2.5, 3.0, 1.0, 0.0), "steps must be a whole number between"),
    ("/generate_diffusion", ("mnist", 3, 2, 0, "ddim", 5, NAN, 1.0, 0.0), "guidance must be a number between"),
    ("/generate_diffusion", ("mnist", 3, 2, 0, "ddim", 5, -1.0, 1.0, 0.0), "must be a number between"),
    ("/sdedit_diffusion", ("mnist", "test", 3, 1, None, NAN, 0, "ddim", 5, 3.0, 1.0, 0.0), "strength must be"),
    ("/sdedit_diffusion", ("mnist", "test", 3, 1, None, -0.5, 0, "ddim", 5, 3.0, 1.0, 0.0), "must be a number between"),
    ("/compare_steps_diffusion", ("mnist", 3, -1, "ddim", 3.0, 1.0, 0.0), "must be a number between"),
    ("/compare", ("mnist", -1, 0), "not in the list of choices"),
    ("/compare", ("mnist", 3, NAN), "seed must be a whole number"),
    ("/scoreboard", ("cifar",), "not in the list of choices"),
]


@pytest.mark.parametrize("api, args, message", BAD_API, ids=[f"{a}-{i}" for i, (a, _, _) in enumerate(BAD_API)])
def test_bad_api_input_gets_a_message_and_the_server_keeps_serving(app_url, client, api, args, message):
    event, data = call(app_url, api, args)
    assert event == "error" and message in data["error"], data
    still_serving(client)


@pytest.mark.parametrize("body", ['{"data": ["mnist", 3, 2}', '{"data": "mnist"}', "[1, 2]", "", '{"data": []}'])
def test_malformed_requests_are_refused(app_url, client, body):
    r = httpx.post(f"{app_url}gradio_api/call/generate_gan", content=body, headers={"content-type": "application/json"})
    if r.status_code == 200:  # accepted as a call: then it must end in an error message
        answer = httpx.get(f"{app_url}gradio_api/call/generate_gan/{r.json()['event_id']}", timeout=60).text
        assert "event: error" in answer
    else:
        assert r.status_code == 422 and r.json()["detail"]
    still_serving(client)


def blank(h=280, w=280):
    return np.full((h, w, 4), 255, np.uint8)


def stroke(a):
    a = a.copy()
    h, w = a.shape[:2]
    a[h // 5:4 * h // 5, w // 2 - max(1, w // 30):w // 2 + max(1, w // 30), :3] = 0
    return a


BAD_DRAWINGS = [
    ("blank", lambda: blank(), "the drawing is empty"),
    ("transparent", lambda: np.zeros((280, 280, 4), np.uint8), "the drawing is empty"),
    ("tiny", lambda: stroke(blank(10, 10)), "sides must be between 28 and 2048"),
    ("thin", lambda: stroke(blank(3, 500)), "sides must be between 28 and 2048"),
    ("huge", lambda: stroke(blank(3000, 3000)), "a picture may have at most 4,194,304 pixels"),  # from its header
]


@pytest.mark.parametrize("name, make, message", BAD_DRAWINGS, ids=[b[0] for b in BAD_DRAWINGS])
def test_bad_drawings(client, tmp_path, name, make, message):
    with pytest.raises(Exception, match=message):
        client.predict("mnist", sketch_file(tmp_path, make()), -1, api_name="/encode_drawing_vae")
    still_serving(client)


@pytest.mark.parametrize("make", [lambda: stroke(blank(28, 700)), lambda: stroke(blank(2048, 40))],
                         ids=["wide", "tall"])
def test_odd_sized_drawings_within_the_limits_are_read(client, tmp_path, make):
    _, _, text = client.predict("mnist", sketch_file(tmp_path, make()), -1, api_name="/encode_drawing_vae")
    assert "classifier sees" in text


def test_a_colour_drawing_counts_its_darkness_as_ink(client, tmp_path):
    a = blank()
    a[60:220, 130:150, :3] = (200, 30, 30)  # a red stroke on white paper
    _, _, text = client.predict("mnist", sketch_file(tmp_path, a), -1, api_name="/encode_drawing_vae")
    assert "classifier sees" in text


def test_an_upload_over_the_size_limit_is_refused(client, tmp_path):
    noise = np.random.default_rng(0).integers(0, 256, (1500, 1500, 4), dtype=np.uint8)  # ~9 MB as PNG
    with pytest.raises(Exception, match="(?i)file size|too large|exceeds"):
        client.predict("mnist", sketch_file(tmp_path, noise), -1, api_name="/encode_drawing_vae")
    still_serving(client)


def test_a_file_that_is_not_an_image_is_refused(client, tmp_path):
    path = tmp_path / "notes.png"
    path.write_bytes(b"this is not a PNG at all")
    with pytest.raises(Exception, match="send a PNG, JPEG, WEBP or GIF image"):
        client.predict("mnist", {"background": None, "layers": [], "composite": handle_file(str(path))}, -1,
                       api_name="/encode_drawing_vae")
    still_serving(client)


BAD_CLI = [
    (["sample", "--family", "nonesuch", "--dataset", "mnist", "--out", "x.png"], "unknown family 'nonesuch'"),
    (["sample", "--family", "gan", "--dataset", "cifar", "--out", "x.png"], "unknown dataset 'cifar'"),
    (["sample", "--family", "gan", "--dataset", "mnist", "-n", "0", "--out", "x.png"], "n must be a whole number"),
    (["sample", "--family", "gan", "--dataset", "mnist", "-n", "99999", "--out", "x.png"], "n must be a whole number"),
    (["sample", "--family", "gan", "--dataset", "mnist", "--label", "10", "--out", "x.png"], "label must be"),
    (["sample", "--family", "gan", "--dataset", "mnist", "--seed", "-1", "--out", "x.png"], "seed must be"),
    (["sample", "--family", "vae", "--dataset", "mnist", "--temperature", "nan", "--out", "x.png"],
     "temperature must be a number between"),
    (["sample", "--family", "vae", "--dataset", "mnist", "--temperature", "inf", "--out", "x.png"],
     "temperature must be a number between"),
    (["sample", "--family", "gan", "--dataset", "mnist", "--out", "x.jpg"], ".png or .npz"),
    (["sample", "--family", "diffusion", "--dataset", "mnist", "--sampler", "euler", "--out", "x.png"],
     "sampler must be one of dpm++, ddim, ddpm"),
    (["sample", "--family", "gan", "--dataset", "mnist", "--top-k", "3", "--out", "x.png"], "does not apply to gan"),
    (["train", "--family", "nonesuch", "--dataset", "mnist"], "unknown family 'nonesuch'"),
    (["eval", "--dataset", "mnist", "-n", "5"], "n must be a whole number between 1000 and 10000"),
    (["bench", "--batch", "-4", "--no-tabs"], "batch must be a whole number"),
]


@pytest.mark.parametrize("args, message", BAD_CLI, ids=[" ".join(a[:3]) + f"-{i}" for i, (a, _) in enumerate(BAD_CLI)])
def test_bad_cli_input_exits_2_with_one_line(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_the_weights_and_training_state_are_not_served(app_url):
    weights = checkpoint.paths("gan", "mnist")[0]
    for path in (weights, weights.with_suffix(".json"), checkpoint.RUNS_DIR / "mnist" / "gan.state.safetensors"):
        r = httpx.get(f"{app_url}gradio_api/file={path}", timeout=10)
        assert r.status_code in (403, 404) and b"safetensors" not in r.content[:64]


def test_no_monitoring_dashboard(app_url):
    assert httpx.get(f"{app_url}monitoring", timeout=10).status_code in (403, 404)
