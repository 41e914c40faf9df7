"""Links that reproduce a view: ``/?tab=gan&dataset=fashion&label=3&seed=7&n=4&truncation=0.8``
opens the GAN tab with those controls set and presses its Generate button, so the page shows
what the API returns for the same arguments (the same handler runs). The query names are the
API's parameter names plus ``tab`` (a family's registry name, or ``compare``). Every linkable
panel has a "Copy link" button that writes its current settings into such a link.

A panel registers its controls (``register``) while the tabs are built; ``attach`` then adds the
page-load event that reads the query. A value that is unknown or out of range is left at the
control's default, and a note above the tabs says which one and why.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import gradio as gr

from .. import pipeline
from ..data import DATASETS
from . import i18n
from .i18n import say, tr

SPACES_PARENT = "https://huggingface.co"  # a Space page embeds the app; its URL can be updated by message


@dataclass
class Panel:
    tab: str
    controls: dict  # API parameter name -> component, in the endpoint's order (after ``dataset``)
    max_n: int
    all_classes: bool  # whether label may be -1 (all classes)
    press: bool = True  # whether a link presses the panel's button (a tab without one only opens)
    checks: dict[str, Callable] = field(default_factory=dict)  # a setting of its own -> its check (raw text -> value)
    unlinked: tuple[str, ...] = ()  # parameters of its endpoint that no link carries (a drawing)


PANELS: dict[str, Panel] = {}


def button_id(tab: str) -> str:
    return f"generate-{tab}"


def register(tab: str, go: gr.Button, dataset: gr.Radio, max_n: int = pipeline.UI_MAX_N, all_classes: bool = True,
             checks: dict[str, Callable] | None = None, unlinked: tuple[str, ...] = (), **controls) -> None:
    """Make ``tab``'s panel linkable: ``controls`` by their API names (label, n, seed, options),
    ``go`` the button a link presses; adds a "Copy link" button and the box that shows the link.
    ``checks``: how a setting that is not a family's (label, n, seed, options) is read from a
    link, by its name (raising ValueError as the API does); ``unlinked``: the endpoint's
    parameters a link does not carry."""
    go.elem_id = button_id(tab)
    PANELS[tab] = Panel(tab, controls, max_n, all_classes, checks=checks or {}, unlinked=unlinked)
    with gr.Row():
        copy = gr.Button(tr("🔗 Copy link"), size="sm", scale=1, min_width=100)
        shown = gr.Textbox(label=tr("Link"), show_label=False, container=False, scale=4, interactive=False, visible=True,
                           placeholder=tr("a link to this tab with these settings"), elem_classes="link-box")
    copy.click(None, [dataset, *controls.values()], shown, js=_copy_js(tab, list(controls)),
               queue=False, api_visibility="private")


def register_tab(tab: str) -> None:
    """A tab a link can open that has no settings and no button to press."""
    PANELS[tab] = Panel(tab, {}, 0, False, press=False)


def _copy_js(tab: str, names: list[str]) -> str:
    """Browser code: the current values -> the link, copied to the clipboard and, inside a
    Hugging Face Space, put into the Space page's address bar."""
    return f"""(dataset, ...values) => {{
        const names = {json.dumps(names)};
        const q = new URLSearchParams({{tab: {json.dumps(tab)}, dataset: dataset}});
        names.forEach((name, i) => q.set(name, values[i]));
        q.set("lang", document.documentElement.lang.startsWith("zh") ? "zh-CN" : "en");
        const link = location.origin + location.pathname + "?" + q.toString();
        if (navigator.clipboard) navigator.clipboard.writeText(link).catch(() => {{}});
        if (window.parent !== window) window.parent.postMessage({{queryString: "?" + q.toString()}},
                                                                 {json.dumps(SPACES_PARENT)});
        return link;
    }}"""


def _value(name: str, raw: str, panel: Panel, family: str | None):
    """A query value checked as the API checks it (raises ValueError naming what is allowed)."""
    if name in panel.checks:
        return panel.checks[name](raw)
    if name == "label":
        if raw.strip() == "-1" and panel.all_classes:  # all classes, as in the API
            return -1
        return pipeline.check_label(raw)
    if name == "n":
        return pipeline.check_n(raw, panel.max_n)
    if name == "seed":
        return pipeline.check_seed(raw)
    if family is None:
        raise ValueError(say("the {tab} tab has no setting {name!r}", tab=panel.tab, name=name))
    return pipeline.check_options(family, {name: raw})[name]


def read(query: dict[str, str], families: list[str]) -> tuple[str | None, str | None, dict, list[str]]:
    """The query -> (tab to open, dataset, {control name: value} for that tab, notes on the
    values left out). Pure: ``attach`` turns it into component updates."""
    notes, values = [], {}

    def ignored(name, raw, why):
        notes.append(say("`{name}={raw}` ignored: {why}", name=name, raw=raw, why=why))

    tab, dataset, lang = query.get("tab"), query.get("dataset"), query.get("lang")
    if tab is not None and tab not in PANELS:
        ignored("tab", tab, i18n.translated(f"tab must be one of {', '.join(PANELS)}"))
        tab = None
    if dataset is not None and dataset not in DATASETS:
        ignored("dataset", dataset, i18n.translated(f"dataset must be one of {', '.join(DATASETS)}"))
        dataset = None
    if lang is not None and lang not in i18n.LANGS:
        ignored("lang", lang, i18n.translated(f"lang must be one of {', '.join(i18n.LANGS)}"))
    panel = PANELS.get(tab)
    for name, raw in query.items():
        if name in ("tab", "dataset", "lang", "__theme"):
            continue
        if panel is None or name not in panel.controls:
            ignored(name, raw, say("the {tab} tab has no setting {name!r}", tab=tab, name=name) if panel else
                    say("a link without a tab has no setting {name!r}", name=name))
            continue
        try:
            values[name] = _value(name, raw, panel, tab if tab in families else None)
        except ValueError as e:
            ignored(name, raw, i18n.translated(str(e)))
    return tab, dataset, values, notes


def attach(loaded, tabs: gr.Tabs, dataset: gr.Radio, note: gr.Markdown, families: list[str]) -> None:
    """Once the page has loaded (the event ``loaded``, which learnt the visitor's language), apply
    the query of the page's address (a Space passes its own page's query on): select the tab,
    set its controls and the dataset, show the notes, press Generate."""
    pressed = gr.Textbox(visible=False)
    controls = [(tab, name, c) for tab, p in PANELS.items() for name, c in p.controls.items()]

    def load(request: gr.Request):
        tab, chosen, values, notes = read(dict(request.query_params), families)
        updates = [gr.Tabs(selected=tab) if tab else gr.skip(), chosen if chosen else gr.skip(),
                   gr.Markdown(say("Link: {notes}.", notes="; ".join(notes)), visible=True) if notes else gr.skip(),
                   tab if tab and PANELS[tab].press else ""]
        return updates + [values[name] if t == tab and name in values else gr.skip() for t, name, _ in controls]

    press = """(tab) => {
        if (!tab) return;
        let tries = 0;
        const go = () => {
            const button = document.getElementById("generate-" + tab);
            if (button) button.click(); else if (tries++ < 100) setTimeout(go, 100);
        };
        setTimeout(go, 200);
    }"""
    loaded.then(load, None, [tabs, dataset, note, pressed, *(c for _, _, c in controls)], queue=False,
                api_visibility="private").then(None, pressed, None, js=press, queue=False,
                                               api_visibility="private")
