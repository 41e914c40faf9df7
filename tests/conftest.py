import contextlib
import gzip
import os
import struct
import tempfile

import numpy as np
import pytest
import torch

from benchmarks.common import free_port
from genimg import models

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="genimg-gradio-"))

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
