"""Replicas under Ray Serve (serve.py): two replicas on this machine, behind Ray's HTTP proxy,
answer with the same bytes as the app's own API for the same arguments, both take requests,
and a bad value gets a 400 naming the allowed values."""
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from benchmarks.common import free_port

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
