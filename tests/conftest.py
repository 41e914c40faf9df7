import contextlib
import gzip
import inspect
import os
import re
import struct
import tempfile

import numpy as np
import pytest
import torch

from genimg import models
from genimg.testing import free_port

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="genimg-gradio-"))

# What a test uses, found in its code (the test, its fixtures and the helpers of tests/ they call),
# sets its markers, so a new test is marked by what it does. Each of them makes a test slow, as
# does an explicit ``shipped`` or ``slow``: ``pytest -m "not slow"`` is the quick loop, plain
# ``pytest`` (CI) runs everything.
USES = {
    "app": r"\blaunched\(|\bbuild_demo\(|\bui\.build\(|(?<![.\w])Client\(",
    "browser": r"\bsync_playwright\(",
    "subprocess": r"\bsubprocess\.(?:run|Popen|call|check_call|check_output)\(|\bmp\.spawn\(|\bworkers\.Pool\("
                  r"|\bserve\.(?:start|RayPool)\(",
}
SLOW = (*USES, "shipped")


def _source(fn, seen: set) -> str:
    """The source of ``fn`` and of every function of tests/ it names (each once)."""
    fn = inspect.unwrap(getattr(fn, "__func__", fn))
    ours = inspect.isfunction(fn) and fn.__module__.rpartition(".")[2].startswith(("test_", "conftest"))
    if not ours or fn in seen:
        return ""
    seen.add(fn)
    names, codes = set(), [fn.__code__]
    while codes:
        code = codes.pop()
        names.update(code.co_names)
        codes += [c for c in code.co_consts if inspect.iscode(c)]
    return inspect.getsource(fn) + "".join(_source(fn.__globals__[n], seen) for n in names if n in fn.__globals__)


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by marker
def pytest_collection_modifyitems(items):
    for item in items:
        seen: set = set()
        fixtures = [d.func for defs in item._fixtureinfo.name2fixturedefs.values() for d in defs]
        code = "".join(_source(fn, seen) for fn in [item.function, *fixtures])
        for mark, used in USES.items():
            if re.search(used, code):
                item.add_marker(mark)
        if any(item.get_closest_marker(mark) for mark in SLOW):
            item.add_marker("slow")


# Small configs, each declared by its family next to its Config: tests exercise the real code at
# a size that runs in milliseconds.
TINY = {name: models.get(name).TINY for name in models.TRAINABLE}


def random_diffusion():
    """The tiny diffusion model with weights non-zero everywhere, so every path carries signal."""
    from genimg.models import diffusion

    torch.manual_seed(0)
    m = diffusion.Model(diffusion.Config(**TINY["diffusion"])).eval()
    with torch.no_grad():
        for p in m.net.parameters():
            p.normal_(0, 0.2)
    return m


@pytest.fixture(autouse=True)
def _threads():
    torch.set_num_threads(2)


def write_idx(path, array: np.ndarray) -> None:
    """Write a gzipped idx file of unsigned bytes, as MNIST ships."""
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">HBB", 0, 0x08, array.ndim))
        f.write(struct.pack(">" + "I" * array.ndim, *array.shape))
        f.write(np.ascontiguousarray(array, dtype=np.uint8).tobytes())


@pytest.fixture
def synthetic_data(tmp_path):
    """A data dir with mnist/ and fashion/ idx files: 256 train and 100 test random images."""
    rng = np.random.default_rng(0)
    for sub in ("mnist", "fashion"):
        d = tmp_path / "data" / sub
        d.mkdir(parents=True)
        for split, n in (("train", 256), ("t10k", 100)):
            write_idx(d / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)))
            write_idx(d / f"{split}-labels-idx1-ubyte.gz", np.arange(n) % 10)
    return tmp_path / "data"


@contextlib.contextmanager
def launched(**launch_kwargs):
    """A fresh app on loopback, served as ``python app.py`` serves it: (its Blocks, its URL)."""
    import app

    demo = app.build_demo()
    _, url, _ = app.launch(demo, prevent_thread_lock=True, server_name="127.0.0.1", server_port=free_port(),
                           quiet=True, **launch_kwargs)
    try:
        yield demo, url
    finally:
        demo.close()


@pytest.fixture(scope="session")
def app_url():
    """The app, launched once for the whole session."""
    with launched() as (_, url):
        yield url


@pytest.fixture(scope="module")
def client(app_url):
    """A gradio_client Client of the app, as a script or a browser would call it."""
    from gradio_client import Client

    c = Client(app_url, verbose=False)
    yield c
    c.close()
