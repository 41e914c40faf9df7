"""English and Simplified Chinese: every text the app is built with exists in both, handlers write
in the visitor's language (and API calls get English), errors from anywhere in genimg are
translated, and a link's ``lang`` is checked like its other values."""
import contextlib
import re
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
from gradio.context import LocalContext

import app
from genimg import painting, pipeline
from genimg.ui import i18n, links

CHINESE = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]")
SENTENCE = re.compile(r"[A-Za-z]{2,}(?: [A-Za-z]{2,}){2,}")  # three English words in a row


@pytest.fixture(scope="module")
def demo():
    return app.build_demo()


@contextlib.contextmanager
def visiting(lang: str):
    """Run as a request of a visitor who chose ``lang``."""
    i18n.remember("a-visitor", lang)
    token = LocalContext.request.set(SimpleNamespace(session_hash="a-visitor"))
    try:
        yield
    finally:
        LocalContext.request.reset(token)


def handler(demo, api_name: str):
    return next(f.fn for f in demo.fns.values() if f.api_name == api_name)


def test_every_text_the_app_is_built_with_is_in_both_languages(demo):
    tables = i18n.translations().translations_dict
    assert set(tables) == set(i18n.LANGS)
    assert tables["en"].keys() == tables["zh-CN"].keys() and len(tables["en"]) > 200
    assert not {m for m in i18n.missing() if not m.startswith("__test")}, "texts without their Chinese"
    for key, english in tables["en"].items():
        chinese = tables["zh-CN"][key]
        assert not CHINESE.search(english.replace("中文", "")), english
        assert chinese.strip(), key
        if english != chinese:
            assert CHINESE.search(chinese), f"not Chinese: {chinese[:80]!r}"


def test_every_how_it_works_exists_in_both_languages():
    english = sorted(p.name.split(".")[0] for p in i18n.HOW_DIR.glob("*.en.md"))
    assert english and english == sorted(p.name.split(".")[0] for p in i18n.HOW_DIR.glob("*.zh-CN.md"))
    for name in english:
        zh = (i18n.HOW_DIR / f"{name}.zh-CN.md").read_text()
        en = (i18n.HOW_DIR / f"{name}.en.md").read_text()
        assert sorted(re.findall(r"\$\$.+?\$\$", en, re.S)) == sorted(re.findall(r"\$\$.+?\$\$", zh, re.S)), name


def test_a_handler_writes_in_the_visitors_language_and_the_api_gets_english(demo):
    generate = handler(demo, "generate_gan")
    with visiting("zh-CN"):
        _, zh_text, _ = generate("mnist", 3, 4, 0, 0.9)
    with visiting("en"):
        _, en_text, _ = generate("mnist", 3, 4, 0, 0.9)
    _, api_text, _ = generate("mnist", 3, 4, 0, 0.9)  # no visitor: an API call
    assert "张图像" in zh_text and "随机种子 0" in zh_text
    timeless = lambda text: re.sub(r"[\d.]+ ms", "", text)  # noqa: E731
    assert timeless(en_text) == timeless(api_text) and "**4 images in" in en_text and not CHINESE.search(en_text)


def test_captions_drawn_into_pictures_follow_the_language(demo, monkeypatch):
    """Class names under the samples, and the fixed captions of a sheet, in the visitor's language
    where the machine has a Chinese font; the API's pictures keep English."""
    from genimg import render

    monkeypatch.setattr(render, "writes_chinese", lambda: True)
    with visiting("zh-CN"):
        assert i18n.drawn_captions(["Ankle boot 87%", "7 99%", "49 tokens"]) == ["短靴 87%", "7 99%", "49 个词元"]
        assert i18n.drawn("noised to {p:.0%}", p=0.4) == "加噪至 40%"
        zh_sheet, _, _ = handler(demo, "generate_gan")("fashion", 9, 4, 0, 0.9)
    assert i18n.drawn_captions(["Ankle boot 87%"]) == ["Ankle boot 87%"]  # an API call
    api_sheet, _, _ = handler(demo, "generate_gan")("fashion", 9, 4, 0, 0.9)
    assert zh_sheet.size == api_sheet.size and zh_sheet.tobytes() != api_sheet.tobytes()
    monkeypatch.setattr(render, "writes_chinese", lambda: False)
    with visiting("zh-CN"):
        assert i18n.drawn_captions(["Ankle boot 87%"]) == ["Ankle boot 87%"]  # no font to draw Chinese with


def test_the_scoreboard_follows_the_language(demo):
    from genimg.ui import compare
    with visiting("zh-CN"):
        table, _, note = compare.board_outputs("mnist")
    assert "类别准确率" in table["headers"] and CHINESE.search(note)


def _errors() -> list[str]:
    """Messages the UI can show, raised by the pipeline and the painting code."""
    calls = [lambda: pipeline.check_int("n", 99, 1, 64), lambda: pipeline.check_seed(-1),
             lambda: pipeline.check_options("gan", {"truncation": 2}), lambda: pipeline.check_options("gan", {"x": 1}),
             lambda: pipeline.check_options("diffusion", {"sampler": "euler"}), lambda: pipeline.check_family("nope"),
             lambda: pipeline.class_names("cifar"), lambda: painting.start_image("mnist", None, 0, None)]
    found = []
    for call in calls:
        with pytest.raises(ValueError) as e:
            call()
        found.append(str(e.value))
    from genimg import playground

    for bad in (dict(data_name="word", word=" "), dict(data_name="word", word="x" * 50), dict(families=[]),
                dict(data_name="drawing"), dict(data_name="drawing", drawing=np.zeros((500, 500), np.uint8))):
        with pytest.raises(ValueError) as e:
            playground.check(**bad)
        found.append(str(e.value))
    return found + ["the drawing is empty: draw something first, or start from a test image"]


@pytest.mark.parametrize("message", _errors())
def test_errors_from_anywhere_are_translated(message):
    zh = i18n.translated(message, "zh-CN")
    assert CHINESE.search(zh) and not SENTENCE.search(zh), zh
    assert i18n.translated(message, "en") == message


def test_a_number_out_of_range_is_refused_in_the_visitors_language(demo):
    from genimg.ui import strict
    n = next(b for b in demo.blocks.values() if isinstance(b, gr.Slider) and i18n.built(b.label) == "Number of images")
    with visiting("zh-CN"), pytest.raises(gr.Error, match="图像数量 必须是 1 到 64 之间的数"):
        strict.check(n, 65)
    with pytest.raises(gr.Error, match="Number of images must be a number between 1 and 64, got 65"):
        strict.check(n, 65)


@pytest.mark.parametrize("lang, noted", [("zh-CN", False), ("en", False), ("fr", True)])
def test_a_links_language_is_checked(demo, lang, noted):
    *_, notes = links.read({"tab": "gan", "lang": lang}, ["gan"])
    assert bool(notes) == noted
    if noted:
        assert "`lang=fr` ignored: lang must be one of en, zh-CN" in notes[0]


@pytest.mark.parametrize("code, lang", [("zh-CN", "zh-CN"), ("zh-TW", "zh-CN"), ("zh", "zh-CN"), ("en-US", "en"),
                                        ("fr", "en"), ("", "en"), (None, "en")])
def test_a_browsers_language_picks_one_of_ours(code, lang):
    assert i18n.lang_of(code) == lang


def test_the_server_forgets_old_choices():
    for i in range(i18n.REMEMBERED + 5):
        i18n.remember(f"__test{i}", "zh-CN")
    assert len(i18n._CHOSEN) == i18n.REMEMBERED and "__test0" not in i18n._CHOSEN
