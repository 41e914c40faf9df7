"""Measured figures by name, for every text that quotes one: the README and docs/ (``python -m
genimg docs``), each tab's How it works and the lesson. A figure is read from where it was
measured, a checkpoint card or a benchmark's results file, so no text holds a number of its own.

A text names a figure with a placeholder, ``{{ source path | format }}``:

- ``{{ card gan mnist eval.fid }}``: a field of a card (family or network, dataset, then a dotted
  path; ``rows[truncation=1.0]`` picks the row of a list whose field has that value, ``rows[0]``
  by position);
- ``{{ results classroom explore.p95_s }}``: a field of ``benchmarks/results/<name>.json``;
- ``{{ default gan truncation }}``: an option's default (a setting, not a measurement);
- ``{{ table NAME args }}``: a whole table (``genimg.tables``).

A placeholder in code (between backticks) is shown as it is. ``format`` is a Python format spec (``.1f``, ``.0%``, ``,``) or ``x`` for a ratio (``2.2×``); left
out, the field's name chooses one (``fid`` ``.1f``, an ``accuracy`` a percentage, and so on).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from . import checkpoint

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
PLACEHOLDER = re.compile(r"\{\{\s*(.+?)\s*\}\}")
CODE = r"```.*?```|`[^`\n]*(?:\n[^`\n]*)?`"  # a fenced block or an inline span (which may wrap once)
_CODE_OR_PLACEHOLDER = re.compile(CODE + r"|\{\{\s*(.+?)\s*\}\}", re.S)  # code shows a placeholder as it is
_INDEX = re.compile(r"^(\w+)\[(.+)\]$")
_PART = re.compile(r"[^.\[]+(?:\[[^\]]*\])?")  # a dotted path's parts; a [selector] may hold dots


class Missing(KeyError):
    """A placeholder names a figure that no card or results file holds."""

    def __str__(self) -> str:
        return self.args[0]


def _walk(obj, path: str, where: str):
    for part in _PART.findall(path):
        m = _INDEX.match(part)
        key, pick = (m.group(1), m.group(2)) if m else (part, None)
        if not isinstance(obj, dict) or key not in obj:
            raise Missing(f"{where}: no field {key!r} (in {path!r})")
        obj = obj[key]
        if pick is None:
            continue
        if pick.isdigit():
            obj = obj[int(pick)]
            continue
        field, _, want = pick.partition("=")
        found = [r for r in obj if _same(r.get(field), want)]
        if not found:
            raise Missing(f"{where}: no row with {pick} (in {path!r})")
        obj = found[0]
    return obj


def _same(value, text: str) -> bool:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return float(text) == float(value)
        except ValueError:
            return False
    return str(value) == text


def card(name: str, dataset: str, path: str):
    if not checkpoint.exists(name, dataset):
        raise Missing(f"no card for {name} on {dataset}")
    return _walk(checkpoint.read_card(name, dataset), path, f"the {name} {dataset} card")


def results(name: str, path: str):
    file = RESULTS / f"{name}.json"
    if not file.exists():
        raise Missing(f"no results file {file.name}")
    return _walk(json.loads(file.read_text()), path, file.name)


def default(family: str, option: str):
    from . import pipeline

    return pipeline.check_options(family, {})[option]


def fid(value: float) -> str:
    """An FID as the docs write it: one decimal, two below 1 (where one would hide the difference)."""
    return f"{value:.2f}" if value < 1 else f"{value:.1f}"


def fmt(value, spec: str | None, field: str = "") -> str:
    """``value`` written with ``spec``, or as its field's kind of figure is usually written."""
    if isinstance(value, str):
        return value
    if spec == "x":
        return f"{value:.2g}×" if value < 10 else f"{value:.0f}×"
    if spec:
        return format(value, spec)
    name = field.rsplit(".", 1)[-1].lower()
    if isinstance(value, bool):
        return str(value).lower()
    if "accuracy" in name or name.endswith(("_share", "share", "_pct")):
        return f"{value:.1%}"
    if "fid" in name:
        return fid(value)
    if name in ("precision", "recall") or name.startswith(("precision", "recall")):
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def figure(expr: str, tables=None) -> str:
    """The text of one placeholder's expression (without the braces)."""
    expr, _, spec = expr.partition("|")
    words, spec = expr.split(), spec.strip() or None
    kind, args = words[0], words[1:]
    if kind == "table":
        if tables is None:
            from . import tables
        return tables.render(args[0], *args[1:])
    if kind == "card" and len(args) == 3:
        return fmt(card(*args), spec, args[2])
    if kind == "results" and len(args) == 2:
        return fmt(results(*args), spec, args[1])
    if kind == "default" and len(args) == 2:
        return fmt(default(*args), spec or "g", args[1])
    raise Missing(f"cannot read the placeholder {{{{ {expr.strip()} }}}}")


def render(text: str, missing: str | None = None) -> str:
    """``text`` with every placeholder replaced by its figure. A figure no card or results file
    holds raises ``Missing``, or with ``missing`` (the app: a card may be absent) reads so."""
    def one(m):
        if m.group(1) is None:  # code: a placeholder in it is shown, not filled
            return m.group(0)
        try:
            return figure(m.group(1))
        except Missing:
            if missing is None:
                raise
            return missing

    return _CODE_OR_PLACEHOLDER.sub(one, text)
