"""The app's two languages, English and Simplified Chinese (``LANGS``).

- **Fixed text** (labels, buttons, info lines, How it works) goes to the browser as a ``gr.I18n``
  key (``tr``): the browser shows it in the page's language, and switching language relabels the
  page at once, without asking the server.
- **Text a handler writes** (status lines, notes, the scoreboard, plot titles, errors) is put in
  the visitor's language on the server (``say``). The page tells the server which language it
  shows when it loads and whenever the visitor switches (``attach``), and a handler reads it
  from the request it serves (``visitor``). API calls get English.

The English is the key: each UI module adds a table from its English strings to Chinese
(``add``), each family's own words are ``locale/<family>.zh-CN.json`` (``add_locales``); long
texts are files, ``how/<name>.<lang>.md``. The models and the pipeline stay
language-free: their errors (English, naming what is allowed) are translated here by pattern
(``add_errors``). ``missing()`` lists any text asked for without its Chinese (a test keeps it
empty).
"""
from __future__ import annotations

import functools
import hashlib
import json
import re
from collections import OrderedDict
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import gradio as gr
from gradio.context import LocalContext

from .. import facts, render

LANGS = {"en": "English", "zh-CN": "中文"}
DEFAULT = "en"
ZH = "zh-CN"
HOW_DIR = Path(__file__).parent / "how"
LOCALE_DIR = Path(__file__).parent / "locale"  # each family's own words, <family>.zh-CN.json
MARK = "__i18n__"  # how Gradio writes a translatable text into a string
REMEMBERED = 10_000  # visitors whose language choice the server keeps (a few bytes each)

_TABLE: dict[str, str] = {}  # English -> Chinese, from every module's ``add``
_ERRORS: list[tuple[re.Pattern, str]] = []  # English error pattern -> Chinese template
_KEYS: dict[str, dict[str, str]] = {}  # gr.I18n key -> {lang: text}, filled by ``tr`` as the app is built
_MISSING: set[str] = set()
_CHOSEN: OrderedDict[str, str] = OrderedDict()  # session -> language


def _miss(text: str) -> None:
    """Note a text asked for without its Chinese (at most 1,000: a hostile request must not grow it)."""
    if len(_MISSING) < 1000:
        _MISSING.add(text)


def add(table: dict[str, str]) -> None:
    """Add a module's translations: its English strings (templates with ``{fields}`` too) -> Chinese."""
    _TABLE.update(table)


def add_locales(folder: Path = LOCALE_DIR) -> None:
    """Add each family's words (its title, summary and options' labels and info lines), kept in
    a locale file of its own so that a family needs no UI module to speak Chinese."""
    for path in sorted(folder.glob(f"*.{ZH}.json")):
        add(json.loads(path.read_text(encoding="utf-8")))


def add_errors(table: dict[str, str]) -> None:
    """Add error translations: a regular expression over the English message (named groups)
    -> a Chinese template over those groups."""
    _ERRORS.extend((re.compile(pattern + r"\Z", re.S), zh) for pattern, zh in table.items())


class Local(str):
    """A field of a template that is itself English text, to be put in the template's language."""


def in_lang(lang: str, text: str, **fields) -> str:
    """``text`` (English, a template over ``fields``) in ``lang``; ``Local`` fields are put in
    ``lang`` too."""
    if lang == ZH:
        if text not in _TABLE:
            _miss(text)
        text = _TABLE.get(text, text)
    fields = {k: in_lang(lang, v) if isinstance(v, Local) else v for k, v in fields.items()}
    return text.format(**fields) if fields else text


def tr(text: str | dict[str, str], **fields) -> gr.I18n:
    """Fixed text, for the browser to show in its language: English (a template over ``fields``,
    filled in both languages) or a {lang: text} dict."""
    versions = dict(text) if isinstance(text, dict) else {lang: in_lang(lang, text, **fields) for lang in LANGS}
    key = "genimg_" + hashlib.sha1(repr(sorted(versions.items())).encode()).hexdigest()[:16]
    _KEYS[key] = versions
    return gr.I18n()(key)


def how(name: str) -> gr.I18n:
    """The long text ``how/<name>.<lang>.md`` in each language, as fixed text, its figures read
    from the cards (``genimg.facts``)."""
    versions = {}
    for lang in LANGS:
        path = HOW_DIR / f"{name}.{lang}.md"
        if not path.exists():
            _miss(str(path.relative_to(HOW_DIR.parent)))
            path = HOW_DIR / f"{name}.{DEFAULT}.md"
        versions[lang] = facts.render(path.read_text(encoding="utf-8"), missing="–")
    return tr(versions)


def built(text) -> str:
    """Text built with ``tr`` (or a plain string; or a component's value holding such text, as
    Gradio stores it) in the visitor's language."""
    key = getattr(text, "key", None)
    if key is None and isinstance(text, str) and text.startswith(MARK):
        key = json.loads(text[len(MARK):]).get("key")
    return _KEYS[key][visitor()] if key in _KEYS else str(text)


# Gradio's own texts that its translations lack (its status tracker announces "common.complete"
# to screen readers when an event finishes).
GRADIO_GAPS = {"common.complete": {"en": "Complete", ZH: "完成"}}


def translations() -> gr.I18n:
    """Every fixed text the app was built with, and Gradio's missing ones, for ``launch(i18n=...)``."""
    return gr.I18n(**{lang: {k: v[lang] for k, v in {**_KEYS, **GRADIO_GAPS}.items()} for lang in LANGS})


def missing() -> set[str]:
    """The texts asked for (built or said) that have no Chinese."""
    return set(_MISSING)


_SERVING: ContextVar = ContextVar("genimg_request", default=None)  # set by ``serve`` around each event
_SPEAKING: ContextVar = ContextVar("genimg_lang", default=None)  # set by ``speaking``


def visitor() -> str:
    """The language of the visitor whose request is being served (English outside a request,
    and for API calls, which never chose one); inside ``speaking(lang)``, ``lang``."""
    if _SPEAKING.get() is not None:
        return _SPEAKING.get()
    request = _SERVING.get() or LocalContext.request.get(None)
    if isinstance(request, list):  # a batch
        request = request[0] if request else None
    return _CHOSEN.get(getattr(request, "session_hash", None) or "", DEFAULT)


@contextmanager
def speaking(lang: str):
    """Serve in ``lang`` (a handler run away from its request: in a worker process, or once for
    several visitors of the same language)."""
    token = _SPEAKING.set(lang if lang in LANGS else DEFAULT)
    try:
        yield
    finally:
        _SPEAKING.reset(token)


def serve(demo: gr.Blocks) -> gr.Blocks:
    """Make the request known for the whole of each event of ``demo``, its inputs' checks
    included (Gradio sets it for the handler only), so that those speak the visitor's language."""
    process_api = demo.process_api

    @functools.wraps(process_api)
    async def serving(*args, **kwargs):
        token = _SERVING.set(kwargs.get("request"))
        try:
            return await process_api(*args, **kwargs)
        finally:
            _SERVING.reset(token)

    demo.process_api = serving
    return demo


def say(text: str, **fields) -> str:
    """Text a handler writes, in the visitor's language."""
    return in_lang(visitor(), text, **fields)


def drawn(text: str, **fields) -> str:
    """Text a handler draws into a picture (a plot's title, its axes), in the visitor's language
    where this machine has a font for it, else in English."""
    return in_lang(visitor() if render.writes_chinese() else DEFAULT, text, **fields)


def drawn_captions(captions: list[str]) -> list[str]:
    """A grid's captions, drawn in the visitor's language as ``drawn`` is: a class name with the
    classifier's confidence ("Coat 87%") keeps its number."""
    out = []
    for caption in captions:
        name, _, share = caption.rpartition(" ")
        out.append(f"{drawn(name)} {share}" if name and share.endswith("%") else drawn(caption))
    return out


def translated(message: str, lang: str | None = None) -> str:
    """A message written in English anywhere in genimg (an error, a painting's origin) in
    ``lang`` (default: the visitor's): by the tables, else by the error patterns, whose
    captured words are translated too where the tables know them."""
    lang = lang or visitor()
    if lang != ZH:
        return message
    if message in _TABLE:
        return _TABLE[message]
    for pattern, zh in _ERRORS:
        found = pattern.match(message)
        if found:
            return zh.format(**{k: _TABLE.get(v, v) for k, v in found.groupdict().items()})
    _miss(message)
    return message


def lang_of(code: str | None) -> str:
    """The app's language for a browser's or a link's language code ("zh-TW" -> "zh-CN")."""
    code = (code or "").strip()
    return ZH if code.lower().startswith("zh") else DEFAULT


def remember(session: str | None, lang: str) -> str:
    """Keep ``session``'s language choice (the last ``REMEMBERED`` sessions)."""
    if session:
        _CHOSEN[session] = lang
        _CHOSEN.move_to_end(session)
        while len(_CHOSEN) > REMEMBERED:
            _CHOSEN.popitem(last=False)
    return lang


# Browser code. Gradio keeps the page's language in its i18n module (it writes it to
# <html lang>); the module's ``changeLocale`` is loaded again from the very URL the page loaded
# it from, so it is the same module and the same language store.
_SET_LOCALE = """
    const setLocale = (lang) => {
        if (document.documentElement.lang === lang) return Promise.resolve(lang);
        const url = performance.getEntriesByType("resource").map((e) => e.name)
            .find((n) => /\\/assets\\/core-[\\w-]+\\.js$/.test(n));
        return url ? import(url).then((m) => { m.changeLocale(lang); return lang; }, () => lang)
                   : Promise.resolve(lang);
    };"""
LOAD_JS = "() => {" + _SET_LOCALE + """
    const asked = new URLSearchParams(location.search).get("lang");
    const lang = (asked || document.documentElement.lang || "en").toLowerCase().startsWith("zh") ? "zh-CN" : "en";
    return setLocale(lang);
}"""
SWITCH_JS = "(lang) => {" + _SET_LOCALE + "\n    return setLocale(lang);\n}"


def switcher() -> gr.Radio:
    """The language choice at the top of the page (it starts as the browser's)."""
    return gr.Radio([(name, code) for code, name in LANGS.items()], value=DEFAULT, label=tr("Language"), show_label=False,
                    container=False, elem_id="genimg-lang", scale=0, min_width=160)


_FOLLOWERS: list[tuple] = []  # (fn, inputs, outputs) to run again when the language changes


def follow(fn, inputs, outputs) -> None:
    """Re-run ``fn`` (which writes text with ``say``) when the visitor's language is known or changes."""
    _FOLLOWERS.append((fn, inputs, outputs))


def attach(demo: gr.Blocks, choice: gr.Radio):
    """Learn the visitor's language as the page loads (a ``lang`` in the link, else the page's
    own, which Gradio took from the browser) and whenever they switch, and re-run the followers
    then. Returns the load event, for what must run after it."""
    def chosen(lang: str, request: gr.Request):
        return remember(request.session_hash, lang_of(lang))

    private = dict(queue=False, api_visibility="private", show_progress="hidden")
    loading = demo.load(chosen, choice, choice, js=LOAD_JS, **private)
    switching = choice.input(chosen, choice, choice, js=SWITCH_JS, **private)
    for fn, inputs, outputs in _FOLLOWERS:
        switching.then(fn, inputs, outputs, **private)
        loading.then(_unless_english(fn, outputs), inputs, outputs, **private)
    return loading


def _unless_english(fn, outputs):
    """``fn`` for a page that has just loaded: the page was built in English, so only a visitor
    in another language needs its text written again."""
    count = len(outputs) if isinstance(outputs, (list, tuple)) else 1

    @functools.wraps(fn)
    def run(*args):
        if visitor() == DEFAULT:
            return gr.skip() if count == 1 else tuple(gr.skip() for _ in range(count))
        return fn(*args)
    return run


def reset() -> None:
    """Forget the built texts and followers (a new Blocks is being built)."""
    _KEYS.clear()
    _FOLLOWERS.clear()


add_locales()
