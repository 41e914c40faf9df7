"""Screenshots of every tab after generating, in headless Chromium (Debian's /usr/bin/chromium).

    python benchmarks/screenshots.py [--url http://127.0.0.1:7860] [--out docs/screenshots]

Needs `pip install playwright` (the Python package only; it drives the system Chromium).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
# every tab's action buttons, by their text (a tab has some of them)
BUTTONS = ("Generate", "Interpolate", "Encode and decode", "Decode the map", "Paint", "Tokenise and decode",
           "Complete it", "Denoise it", "Compare", "Compare with the teacher")
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--url", default="http://127.0.0.1:7860")
    p.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    p.add_argument("--tabs", default="GAN,VAE,PixelCNN,Transformer,Diffusion,Compare")
    p.add_argument("--dataset", default="MNIST digits")
    p.add_argument("--wait", type=int, default=4000, help="ms to wait after pressing the buttons")
    a = p.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        # "load", not "networkidle": a page with session state keeps a heartbeat stream open
        page.goto(a.url, wait_until="load")
        page.get_by_role("tab").first.wait_for()
        page.get_by_label(a.dataset).check()
        for tab in a.tabs.split(","):
            page.get_by_role("tab", name=tab).click()
            panel = page.locator("[role=tabpanel]:visible")
            for name in BUTTONS:
                button = panel.get_by_role("button", name=name, exact=True)
                if button.count():
                    button.first.click()
            page.wait_for_timeout(a.wait)
            page.screenshot(path=str(out / f"{tab.lower()}.png"), full_page=True)
            print("saved", out / f"{tab.lower()}.png")
        browser.close()
    print("console errors:", errors or "none")


if __name__ == "__main__":
    main()
