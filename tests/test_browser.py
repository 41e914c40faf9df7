"""The app in a real browser: headless Chromium (Debian's /usr/bin/chromium, driven by
playwright's Python package) opens it, visits every tab, presses the tab's buttons, waits for
the pictures, and checks the console stayed free of errors. A screenshot of each tab is saved
(to $GENIMG_SCREENSHOTS if set, else pytest's temporary folder)."""
import os
import re
import shutil
import time
from pathlib import Path

import pytest

from genimg.models import FAMILIES, get
from genimg.testing import BUTTONS, CHROMIUM_FLAGS

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TABS = [get(f).TITLE for f in FAMILIES] + ["Compare"]

playwright = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():  # .ci/run installs it; a developer machine may not have it
    pytest.skip("chromium is not installed (apt-get install -y chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def page(app_url):
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        pg = browser.new_page(viewport={"width": 1300, "height": 1000})
        pg.errors = []
        pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
        pg.on("pageerror", lambda e: pg.errors.append(str(e)))
        # "load", not "networkidle": a page with session state keeps a heartbeat stream open
        pg.goto(app_url, wait_until="load")
        pg.get_by_role("tab").first.wait_for()
        yield pg
        browser.close()


def _pictures(panel) -> int:
    """Pictures the panel shows (loaded <img> elements with a source)."""
    return panel.locator("img[src]").evaluate_all("els => els.filter(e => e.complete && e.naturalWidth > 0).length")


def _idle(page, timeout_s: float) -> None:
    """Wait until no output shows Gradio's progress (streaming or queued) any more."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end and page.locator(".generating:visible, .pending:visible, .eta-bar:visible").count():
        page.wait_for_timeout(200)


@pytest.mark.parametrize("tab", TABS)
def test_every_tab_generates_in_the_browser(page, tab, tmp_path):
    page.get_by_role("tab", name=tab, exact=True).click()
    panel = page.locator("[role=tabpanel]:visible")
    before = _pictures(panel)
    pressed = [name for name in BUTTONS if panel.get_by_role("button", name=name, exact=True).count()]
    assert pressed, f"the {tab} tab has none of the buttons {BUTTONS}"
    for name in pressed:
        panel.get_by_role("button", name=name, exact=True).first.click()
    _idle(page, 90)
    page.wait_for_timeout(300)
    assert _pictures(panel) > before, f"the {tab} tab showed no new picture after pressing {pressed}"
    assert not panel.locator(".toast-body.error, [data-testid='toast-body'].error").count()
    out = Path(os.environ.get("GENIMG_SCREENSHOTS", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out / f"{tab.lower()}.png"), full_page=True)
    assert page.errors == [], f"console errors on the {tab} tab: {page.errors}"


def test_a_link_opens_its_tab_and_shows_the_apis_own_bytes(page, app_url, client):
    """/?tab=...&<the API's names> selects the tab, sets its controls, presses Generate and shows
    exactly the picture the API returns for the same arguments; a bad value is named in a note
    and left at its default; Copy link writes the current settings back into such a link."""
    pg = page.context.browser.new_page(viewport={"width": 1300, "height": 1000})  # a fresh tab, its own URL
    try:
        pg.goto(app_url + "?tab=gan&dataset=fashion&label=3&seed=7&n=4&truncation=0.8&colour=red",
                wait_until="load")
        panel = pg.locator("[role=tabpanel]:visible")
        end = time.monotonic() + 30
        while time.monotonic() < end and not _pictures(panel):
            pg.wait_for_timeout(200)
        src = panel.locator("img[src]").first.get_attribute("src")
        shown = pg.request.get(src if src.startswith("http") else app_url.rstrip("/") + src).body()
        grid = client.predict("fashion", 3, 4, 7, 0.8, api_name="/generate_gan")[0]
        assert shown == Path(grid).read_bytes()
        assert "colour=red ignored: the gan tab has no setting 'colour'" in pg.locator("body").inner_text()
        panel.get_by_role("button", name="🔗 Copy link").click()
        box = panel.locator(".link-box textarea, .link-box input").first
        end = time.monotonic() + 10
        while time.monotonic() < end and not box.input_value():
            pg.wait_for_timeout(100)
        assert box.input_value().endswith("?tab=gan&dataset=fashion&label=3&n=4&seed=7&truncation=0.8&lang=en")
    finally:
        pg.close()


def test_a_streamed_run_can_be_scrubbed_and_played_back(page, app_url):
    """After a Diffusion run, Replay holds every step (the default sampler's 10, not only the
    frames that were sent), shows any of them without recomputing, and plays them as a GIF."""
    pg = page.context.browser.new_page(viewport={"width": 1300, "height": 1000})
    try:
        pg.goto(app_url + "?tab=diffusion&n=2", wait_until="load")
        panel = pg.locator("[role=tabpanel]:visible")
        panel.get_by_text("Replay the steps · download").click()
        box = panel.get_by_label("Recorded step (drag: nothing is recomputed)", exact=False).first
        end = time.monotonic() + 60
        while time.monotonic() < end and box.input_value() in ("", "1"):
            pg.wait_for_timeout(200)
        assert box.input_value() == "10"
        panel.get_by_role("button", name="▶ Play").click()
        end = time.monotonic() + 30
        gif = panel.locator("img[src$='.gif']")
        while time.monotonic() < end and not gif.count():
            pg.wait_for_timeout(200)
        assert gif.count() and panel.get_by_role("button", name="Download the GIF").is_visible()
    finally:
        pg.close()


def test_watch_it_learn_draws_when_opened_and_follows_the_dataset(page, app_url):
    """The learning panel is drawn when it opens (not for every closed panel on every dataset
    switch), shows the last point, and redraws for the other dataset while open."""
    pg = page.context.browser.new_page(viewport={"width": 1300, "height": 1000})
    try:
        pg.goto(app_url, wait_until="load")
        pg.get_by_role("tab", name="Diffusion", exact=True).click()
        tab = pg.locator("[role=tabpanel]:visible")
        tab.locator("button.label-wrap", has_text="Watch it learn").click()
        learn = tab.locator(".block").filter(has_text="The trainer's samples").last

        def sheet() -> str:
            end = time.monotonic() + 20
            while time.monotonic() < end and not _pictures(learn):
                pg.wait_for_timeout(200)
            return learn.locator("img[src]").first.get_attribute("src")

        mnist = sheet()
        assert mnist and "of the training run" in tab.inner_text()
        pg.get_by_label("Fashion-MNIST clothes").check()
        end = time.monotonic() + 20
        while time.monotonic() < end and sheet() == mnist:
            pg.wait_for_timeout(200)
        assert sheet() != mnist
    finally:
        pg.close()


# The page's visible text, less formulas and code: text nodes that take up room, and placeholders.
TEXT_JS = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!el || el.closest('.katex, code, pre, script, style, svg') || !el.getClientRects().length) continue;
    const text = walker.currentNode.textContent.trim();
    if (text) out.push(text);
  }
  document.querySelectorAll('input[placeholder], textarea[placeholder]').forEach((e) => {
    if (e.placeholder && e.getClientRects().length) out.push(e.placeholder);
  });
  return out.join("\\n");
}"""
CHINESE = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]")
ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z-]*")
SENTENCE = re.compile(r"[A-Za-z]{2,}(?: [A-Za-z]{2,}){2,}")  # three English words in a row


def _every_tab_read(pg) -> str:
    """Open every tab and every accordion in it; the visible text of each, together."""
    texts = []
    for i in range(pg.get_by_role("tab").count()):
        pg.get_by_role("tab").nth(i).click()
        panel = pg.locator("[role=tabpanel]:visible")
        closed = panel.locator("button.label-wrap:not(.open)")
        for k in range(closed.count()):
            closed.nth(0).click()  # the list shrinks as they open
        pg.wait_for_timeout(800)
        texts.append(pg.evaluate(TEXT_JS))
    return "\n".join(texts)


def _english_allowed_in_chinese() -> set[str]:
    """The English words the Chinese texts use on purpose (names, formulas' words, code), the
    options' code values, the machines the cards were measured on, and the language switch's
    own name."""
    from genimg import evaluate, models
    from genimg.ui import i18n
    sources = " ".join([*i18n._TABLE.values(), *(p.read_text() for p in i18n.HOW_DIR.glob("*.zh-CN.md"))])
    choices = " ".join(c for f in FAMILIES for o in models.get(f).OPTIONS for c in o.choices)
    machines = " ".join(r["hardware"] for d in ("mnist", "fashion") for r in evaluate.scoreboard(d))
    return set(ENGLISH_WORD.findall(" ".join((sources, choices, machines)))) | {"English", "API", "FLOPs"}


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_the_whole_page_speaks_the_browsers_language(page, app_url, locale):
    """Every tab with every accordion open: a zh-CN browser sees no English UI text (formulas,
    code, names and the English glossed in brackets aside), an English one no Chinese."""
    context = page.context.browser.new_context(locale=locale, viewport={"width": 1300, "height": 1000})
    try:
        pg = context.new_page()
        pg.goto(app_url, wait_until="load")
        pg.get_by_role("tab").first.wait_for()
        pg.wait_for_timeout(1500)
        text = _every_tab_read(pg)
        if locale == "zh-CN":
            glossed = re.sub(r"（[^）]*）", "", text)  # the English of a term, in brackets on its first use
            left = sorted(set(ENGLISH_WORD.findall(glossed)) - _english_allowed_in_chinese())
            where = [re.search(rf".{{0,60}}\b{w}\b.{{0,60}}", glossed).group(0) for w in left]
            assert not left, f"English on the Chinese page: {where}"
            cited = re.sub(r"\S+ et al\.?", "", glossed)  # citations keep their authors' names
            assert not SENTENCE.findall(cited), SENTENCE.findall(cited)
        else:
            assert CHINESE.findall(text.replace("中文", "")) == []
    finally:
        context.close()


def test_switching_language_relabels_the_page_and_the_server_answers_in_it(page, app_url):
    """The switch at the top changes the page at once, and what the server writes follows; a
    link's lang opens the page in that language."""
    pg = page.context.browser.new_page(viewport={"width": 1300, "height": 1000})
    try:
        pg.goto(app_url + "?tab=gan", wait_until="load")
        pg.get_by_role("tab").first.wait_for()
        pg.get_by_text("中文", exact=True).click()
        panel = pg.locator("[role=tabpanel]:visible")
        panel.get_by_role("button", name="生成", exact=True).first.click()
        stats = panel.locator(".prose").filter(has_text="张图像，用时")
        stats.first.wait_for(timeout=30000)
        assert "分类器认同" in stats.first.inner_text()
        pg.get_by_text("English", exact=True).click()
        panel.get_by_role("button", name="Generate", exact=True).first.click()
        panel.locator(".prose").filter(has_text="images in").first.wait_for(timeout=30000)
        pg.goto(app_url + "?tab=compare&lang=zh-CN", wait_until="load")
        pg.get_by_role("button", name="换个种子再对比").wait_for(timeout=30000)
        pg.get_by_text("类别准确率").first.wait_for(timeout=30000)  # the scoreboard, written by the server
        # every name in the tab bar, not only the first and the open one, is in the link's language
        pg.get_by_role("tab", name="扩散模型", exact=True).wait_for(timeout=30000)
        names = pg.get_by_role("tab").all_inner_texts()
        assert "Diffusion" not in names and "Lesson" not in names and "课程" in names, names
    finally:
        pg.close()


def test_closing_a_tab_frees_its_worker(page, app_url, client):
    """A visitor who closes the tab mid-run frees the long queue's worker: a tab starts a run
    near the longest one click may ask for (8 images, 250 guided diffusion steps: about 8 s of
    model time), closes, and a short run asked right after is served at once instead of
    waiting for it."""
    link = app_url + "?tab=diffusion&n=8&sampler=ddim&steps=250&guidance=3&guide_from=0.8&guide_to=0.2"
    pg = page.context.browser.new_page(viewport={"width": 1300, "height": 1000})
    pg.goto(link, wait_until="load")  # the link presses Generate
    pg.locator("[role=tabpanel]:visible .prose").filter(has_text="s of model time").first.wait_for(timeout=30000)
    pg.close()
    t0 = time.monotonic()
    client.predict("mnist", 3, 1, 0, "ddim", 2, 1.0, 0.8, 0.2, api_name="/generate_diffusion")
    assert time.monotonic() - t0 < 3, "the closed tab's run still held the worker"
