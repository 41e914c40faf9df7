"""Pictures are written whole: a student downloading a picture never gets a short file because
another student asked for the same seed a moment later (Gradio rewrites such files in place)."""
import threading

import gradio as gr
import numpy as np
from gradio import processing_utils
from PIL import Image

from genimg.ui.picture import cache_file, picture


def noise_picture(size=300):
    return Image.fromarray(np.random.default_rng(0).integers(0, 256, (size, size), dtype=np.uint8))


def picture_in(folder):
    image = picture(label="x")
    image.GRADIO_CACHE = str(folder)
    return image


def test_the_browser_draws_it_as_an_image():
    mine, image = picture(label="x"), gr.Image(label="x", format="png", type="pil", interactive=False)
    assert mine.get_block_name() == "image"
    assert mine.get_config() == image.get_config()  # label, buttons, everything the browser reads


def test_a_reader_never_sees_a_partly_written_picture(tmp_path):
    image, img = picture_in(tmp_path), noise_picture()
    path = image.postprocess(img).path
    whole = open(path, "rb").read()
    reads, short, done = [], [], threading.Event()

    def read():
        while not done.is_set():
            data = open(path, "rb").read()
            reads.append(1)
            if data != whole:
                short.append(len(data))

    reader = threading.Thread(target=read)
    reader.start()
    for _ in range(200):  # gr.Image gives hundreds of short reads here
        assert image.postprocess(img).path == path
    done.set()
    reader.join()
    assert len(reads) > 100 and not short


def test_gradio_finds_the_file_where_it_would_have_put_it(tmp_path):
    path = picture_in(tmp_path).postprocess(noise_picture(40)).path
    assert processing_utils.save_file_to_cache(path, str(tmp_path)) == path  # no second copy
    assert Image.open(path).size == (40, 40)


def test_written_under_a_temporary_name_then_renamed(tmp_path):
    path = cache_file(b"GIF89a...", "a.gif", tmp_path)
    assert open(path, "rb").read() == b"GIF89a..." and path.endswith("a.gif")
    assert cache_file(b"GIF89a...", "a.gif", tmp_path) == path
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["a.gif"]  # no part files left
