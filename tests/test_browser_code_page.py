"""The Code page of the workbench in a real browser: the code toolbar stays in view while the
text scrolls, paragraphs carry margin stripes for their codes, a selection across two
paragraphs is stored with exact code points, the coding panel stays beside the text, the
type-ahead filter codes with Enter, and the URL keeps the place.

Skips without Chromium/playwright (fails under ``TANDEM_REQUIRE_SHARED=1``).
"""
from __future__ import annotations

import os
import time

import pytest

from browser_support import app_env, db, fail_on_exception, idle, launched_chromium, new_page, require_browser, \
    select_js, streamlit_app

pytestmark = pytest.mark.browser

N_PARAS = 60
TEXT = "\n\n".join(f"第{i}段：广州与佛山的窗口合作，信任是基础😀。" for i in range(1, N_PARAS + 1))
SELECT_JS = select_js("sel.toString()")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    require_browser()
    import coding
    import corpus
    import store

    folder = tmp_path_factory.mktemp("code_page")
    project = folder / "project.sqlite"
    engine = store.connect(project)
    with store.session_scope(engine) as s:
        doc = corpus.import_text(s, TEXT, name="访谈-广州.txt", kind="interview").document_id
        coding.ensure_default_codebook(s)
        mark = coding.code_id_by_name(s, "Mark")
        start = TEXT.index("第3段")
        coding.add_coding(s, doc, start, start + 4, [mark], coder="researcher")
    engine.dispose()
    with streamlit_app("workbench.py", folder, project, app_env(project)) as served:
        served.doc = doc
        yield served


def _open(page, app, query: str) -> None:
    page.goto(f"{app.url}/code{query}")
    page.wait_for_selector(".tdm-sc-text .tdm-sc-para, [data-testid='stException']", timeout=60_000)
    idle(page, 30_000)
    fail_on_exception(app, page, "the Code page")


def test_toolbar_stays_in_view_and_a_cross_paragraph_selection_is_exact(app):
    with launched_chromium() as browser:
        page = new_page(browser, 1200, 800)
        _open(page, app, f"?doc={app.doc}&per=50&section=1")
        assert page.locator(".tdm-sc-para").count() == 50
        # paragraph 3 holds the coding: one stripe in its margin; paragraph 4 none
        assert page.locator(".tdm-sc-para >> nth=2").locator(".tdm-sc-mark").count() == 1
        assert page.locator(".tdm-sc-para >> nth=3").locator(".tdm-sc-mark").count() == 0

        page.locator(".tdm-sc-para >> nth=45").scroll_into_view_if_needed()
        time.sleep(0.3)
        text_box = page.locator(".tdm-sc-text").bounding_box()
        assert text_box["y"] < -200, "the text should have scrolled well up"
        tools = page.locator(".tdm-sc-tools").bounding_box()
        assert 0 <= tools["y"] and tools["y"] + tools["height"] <= 800, f"toolbar out of view: {tools}"
        # and nothing lies over it: the point at the centre of the first button is that button
        hit = page.evaluate("""() => {
          const b = document.querySelector('.tdm-sc-code').getBoundingClientRect();
          const el = document.elementFromPoint(b.x + b.width / 2, b.y + b.height / 2);
          return !!(el && el.closest('.tdm-sc-code'));
        }""")
        assert hit, "the first code button is covered"
        if os.environ.get("TANDEM_SCREENSHOTS"):
            page.screenshot(path=os.path.join(os.environ["TANDEM_SCREENSHOTS"], "code_page_scrolled.png"))

        phrase = "信任是基础😀。\n\n第47段：广州"
        assert page.evaluate(SELECT_JS, phrase) is not None
        page.keyboard.press("1")
        quote = phrase
        deadline = time.monotonic() + 30
        rows = []
        while time.monotonic() < deadline and not rows:
            rows = db(app, 'SELECT start, "end", quote FROM codings WHERE quote = ?', quote)
            time.sleep(0.2)
        assert rows, db(app, 'SELECT start, "end", quote FROM codings')
        start, end, stored = rows[0]
        assert (start, end) == (TEXT.index(phrase), TEXT.index(phrase) + len(phrase))
        idle(page, 30_000)
        # the new coding is selected, and the URL says so (a reload comes back to it)
        assert "coding=" in page.url and f"doc={app.doc}" in page.url
        if os.environ.get("TANDEM_SCREENSHOTS"):
            page.screenshot(path=os.path.join(os.environ["TANDEM_SCREENSHOTS"], "code_page_coded.png"))
        # the coding panel stays beside the text, mostly in view, while the text is scrolled down (near
        # the end of the section the end of the column pushes it up a little, as sticky boxes go)
        panel = page.locator(".st-key-tdm_code_panel").bounding_box()
        visible = min(800, panel["y"] + panel["height"]) - max(0, panel["y"])
        assert visible >= 0.75 * min(panel["height"], 800), panel
        assert panel["x"] > text_box["x"] + text_box["width"] - 5, panel

        # type-ahead: the filter leaves one button, numbered 1; Enter in the filter codes the selection
        # made before the filter took the focus
        phrase2 = "第49段：广州与佛山"
        page.locator(".tdm-sc-para >> nth=49").scroll_into_view_if_needed()
        page.locator(".tdm-sc-filter").fill("hol")
        assert page.locator(".tdm-sc-code").all_inner_texts() == ["1 · Hole"]
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        assert page.evaluate(SELECT_JS, phrase2) is not None
        page.locator(".tdm-sc-filter").focus()
        page.keyboard.press("Enter")
        rows = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not rows:
            rows = db(app, 'SELECT c.start, c."end" FROM codings c JOIN codes k ON k.id = c.code_id '
                           'WHERE k.name = ? AND c.quote = ?', "Hole", phrase2)
            time.sleep(0.2)
        assert rows == [(TEXT.index(phrase2), TEXT.index(phrase2) + len(phrase2))]
        idle(page, 30_000)

        page.reload()
        page.wait_for_selector(".tdm-sc-selected", timeout=60_000)
        idle(page, 30_000)
        time.sleep(0.5)
        # the reload scrolled the selected coding (¶ 49 of 50) into view
        box = page.locator(".tdm-sc-selected").first.bounding_box()
        assert box and 0 <= box["y"] <= 800 - box["height"], box
        assert page.errors == []
        page.close()
