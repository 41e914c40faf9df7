"""Replicas under Ray Serve (serve.py): two replicas on this machine, behind Ray's HTTP proxy,
answer with the same bytes as the app's own API for the same arguments, both take requests,
and a bad value gets a 400 naming the allowed values."""
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from genimg.testing import free_port

pytest.importorskip("ray")  # requirements-ray.txt; .ci/run installs it


@pytest.fixture(scope="module")
def replicas():
    import serve

    url = serve.start(replicas=2, port=free_port())
    yield url
    serve.stop()


def _get(url: str):
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.read(), r.headers["X-Replica"]


def test_two_replicas_give_the_apps_bytes(replicas, client):
    query = "?family=gan&dataset=fashion&label=3&n=4&seed=7&truncation=0.8"
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(_get, [replicas + query] * 12))
    grid = Path(client.predict("fashion", 3, 4, 7, 0.8, api_name="/generate_gan")[0]).read_bytes()
    assert all(png == grid for png, _ in answers)
    assert len({pid for _, pid in answers}) == 2  # the proxy used both replicas
    all_classes, _ = _get(replicas + "?family=vae&n=8&seed=1")
    assert all_classes == Path(client.predict("mnist", -1, 8, 1, 0.9, api_name="/generate_vae")[0]).read_bytes()


@pytest.mark.parametrize("query, message", [("?family=gan&n=99", "n must be a whole number between 1 and 64"),
                                            ("?dataset=mnist", "family is missing"),
                                            ("?family=gan&colour=red", "gan has no option 'colour'")])
def test_a_bad_value_is_a_400_naming_what_is_allowed(replicas, query, message):
    with pytest.raises(urllib.error.HTTPError) as e:
        _get(replicas + query)
    assert e.value.code == 400 and message in e.value.read().decode()


@pytest.fixture(scope="module")
def ray_pool(replicas):
    import serve

    pool = serve.RayPool({"quick": 1}, cpus=0)  # the replicas above hold this machine's CPUs in Ray's count
    yield pool
    pool.close()


def test_ray_replicas_run_the_apps_handlers_as_local_workers_do(ray_pool):
    """``RayPool`` and ``genimg.ui.workers.Pool`` are one interface: the same handler, the same bytes,
    a stream frame by frame, an error in the visitor's language."""
    import gradio as gr

    from genimg import ui
    from genimg.ui import workers

    api, args = "generate_gan", ("fashion", 2, 3, 17, 0.9)
    here = workers.InProcess({fn.api_name: fn.fn for fn in ui.build().fns.values() if fn.api_name})
    there = list(ray_pool.run("quick", api, args, "en"))
    assert Path(there[0][0]).read_bytes() == Path(list(here.run("quick", api, args, "en"))[0][0]).read_bytes()
    frames = list(ray_pool.run("quick", "generate_diffusion", ("mnist", 3, 2, 5, "ddim", 8, 2.0, 0.8, 0.2), "en"))
    assert len(frames) >= 2 and "the classifier agrees" in frames[-1][3]
    with pytest.raises(gr.Error) as zh:
        list(ray_pool.run("quick", api, ("fashion", 2, 0, 17, 0.9), "zh-CN"))
    assert "64" in zh.value.message and "must" not in zh.value.message


def test_the_app_serves_its_model_work_from_ray_replicas(replicas, client, monkeypatch):
    from gradio_client import Client

    from tests.conftest import launched

    monkeypatch.setenv("GENIMG_POOL", "ray")
    monkeypatch.setenv("GENIMG_WORKERS", "long=1")
    monkeypatch.setenv("GENIMG_RAY_CPUS", "0")  # the replicas above hold this machine's CPUs in Ray's count
    with launched() as (_, url):
        visitor = Client(url, verbose=False)
        grid, stats, _ = visitor.predict("fashion", 3, 4, 7, 0.8, api_name="/generate_gan")
        assert Path(grid).read_bytes() == Path(client.predict("fashion", 3, 4, 7, 0.8, api_name="/generate_gan")[0]).read_bytes()
        assert "the classifier agrees" in visitor.predict("mnist", 3, 2, 5, "ddim", 8, 2.0, 0.8, 0.2,
                                                          api_name="/generate_diffusion")[-1]
        visitor.close()
