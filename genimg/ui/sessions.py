"""Light sessions: a visitor's session state without a copy of every component's config.

Gradio 6.31 makes a ``SessionState`` for every new session (a page load, and every REST or
gradio_client call), and fills ``config_values`` with the config of every block of the app: for
genimg's 600-odd components, about 28 ms of one core, holding the interpreter's lock, per
session (41% of the Gradio process's time under a class's REST clicks). Only deep links
(``gr.DeepLinkButton``) read those configs; genimg's links are parameters that regenerate the
view, so a session here starts with none and records only the blocks it updates, as Gradio
already does when a handler updates one.
"""
from __future__ import annotations

from types import SimpleNamespace

import gradio as gr
from gradio import state_holder

_FULL = state_holder.SessionState.__init__


def _light(self, blocks) -> None:
    _FULL(self, SimpleNamespace(default_config=blocks.default_config, blocks={}))


def lighten(demo: gr.Blocks) -> bool:
    """Make new sessions light, unless ``demo`` has a deep link button (which needs every config)."""
    if any(isinstance(block, gr.DeepLinkButton) for block in demo.blocks.values()):
        return False
    state_holder.SessionState.__init__ = _light
    return True
