"""Screenshots of every tab after generating, in headless Chromium (Debian's /usr/bin/chromium),
in English (``docs/screenshots/<tab>.png``) or Chinese (``--lang zh-CN``: ``docs/screenshots/zh-CN/``).

    python benchmarks/screenshots.py [--url http://127.0.0.1:7860] [--out docs/screenshots] [--lang zh-CN]

Tabs and buttons are named in English; in Chinese they are found by their Chinese names.

Needs `pip install playwright` (the Python package only; it drives the system Chromium).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from genimg.testing import BUTTONS, CHROMIUM_FLAGS  # noqa: E402


def in_language(lang: str):
    """English UI text -> its text in ``lang`` (the app's own tables, read by building it)."""
    if lang == "en":
        return lambda text: text
    import app
    from genimg.ui import i18n
    app.build_demo()
    return lambda text: i18n.in_lang(lang, text)


def every_tab() -> list[str]:
    from genimg.models import FAMILIES, get
    return [get(f).TITLE for f in FAMILIES] + ["Compare", "Train"]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--url", default="http://127.0.0.1:7860")
    p.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    p.add_argument("--tabs", default=None, help="tab titles, comma-separated (default: every family's, and Compare)")
    p.add_argument("--dataset", default="MNIST digits")
    p.add_argument("--wait", type=int, default=4000, help="ms to wait after pressing the buttons")
    p.add_argument("--lang", default="en", choices=["en", "zh-CN"])
    a = p.parse_args()
    say = in_language(a.lang)
    tabs = a.tabs.split(",") if a.tabs else every_tab()
    out = Path(a.out) / ("" if a.lang == "en" or Path(a.out).name == a.lang else a.lang)
    out.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1000}, locale=a.lang)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        # "load", not "networkidle": a page with session state keeps a heartbeat stream open
        page.goto(a.url, wait_until="load")
        page.get_by_role("tab").first.wait_for()
        page.get_by_label(say(a.dataset)).check()
        for tab in tabs:
            page.get_by_role("tab", name=say(tab), exact=True).click()
            panel = page.locator("[role=tabpanel]:visible")
            for name in BUTTONS:
                button = panel.get_by_role("button", name=say(name), exact=True)
                if button.count():
                    button.first.click()
            page.wait_for_timeout(a.wait)
            page.screenshot(path=str(out / f"{tab.lower()}.png"), full_page=True)
            print("saved", out / f"{tab.lower()}.png")
        browser.close()
    print("console errors:", errors or "none")


if __name__ == "__main__":
    main()
