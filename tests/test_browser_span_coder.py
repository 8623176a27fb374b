"""The span coder in a real browser (Debian Chromium through Playwright).

The harness app (tests/harness/span_coder_app.py) runs under ``streamlit run`` against a
temporary SQLite project; the tests select text with a DOM ``Range``, press code buttons
and keys, and read the stored codings straight from the SQLite file.

Without Chromium (or the playwright package) these tests skip, and fail under
``TANDEM_REQUIRE_SHARED=1`` (CI), which installs Debian's chromium.
"""
from __future__ import annotations

import time

import pytest

from browser_support import (
    IDLE, ROOT, app_env, idle, launched_chromium, new_page, require_browser, select_js, streamlit_app,
)
from browser_support import db as _db

pytestmark = pytest.mark.browser

HARNESS = "tests/harness/span_coder_app.py"
PHRASE = "跨城通办"
TRANSFER = 'Transfer <img src=x onerror="window.__pwned=2">'  # the second code's name in the harness

# The DOM-Range selection (browser_support.select_js), reporting the selected string and
# whether the range starts and ends in different text nodes (pieces).
SELECT_JS = select_js("{ text: sel.toString(), pieces: sn === en ? 1 : 2 }")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The harness app served by ``streamlit run`` on a free port, with a fresh project."""
    require_browser()
    folder = tmp_path_factory.mktemp("span_coder")
    project = folder / "project.sqlite"
    with streamlit_app(HARNESS, folder, project, app_env(project)) as served:
        yield served


@pytest.fixture(scope="module")
def chromium(app):
    with launched_chromium() as browser:
        yield browser


@pytest.fixture
def tab(chromium):
    page = new_page(chromium, 1100, 800)
    yield page
    page.close()


def _open(page, app, query: str = "") -> None:
    page.goto(f"{app.url}/{query}")
    page.wait_for_selector(".tdm-sc-text .tdm-sc-piece, [data-testid='stException']", timeout=20_000)
    idle(page, 20_000)
    failure = page.locator("[data-testid='stException']")
    if failure.count():
        pytest.fail(f"the harness raised:\n{failure.first.inner_text()}")


def _document_text(app) -> str:
    return _db(app, "SELECT text FROM documents")[0][0]


def _code_id(app, name: str) -> int:
    return _db(app, "SELECT id FROM codes WHERE name = ?", name)[0][0]


def _wait_for_coding(app, page, code_id: int, quote: str, timeout: float = 30.0) -> tuple:
    """Poll the SQLite file for a coding with this code and quote, then wait for the rerun."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = _db(app, "SELECT id, start, \"end\", quote FROM codings WHERE code_id = ? AND quote = ?", code_id, quote)
        if rows:
            idle(page, 20_000)
            return rows[0]
        time.sleep(0.1)
    stored = _db(app, "SELECT code_id, start, \"end\", quote FROM codings ORDER BY id")
    pytest.fail(
        f"no coding with code {code_id} and quote {quote!r} was stored; codings (code, start, end, quote): "
        f"{stored}\nserver log:\n{app.log.read_text(errors='replace')}"
    )


def test_range_across_pieces_after_astral_characters_stores_code_points(app, tab):
    _open(tab, app, "?per=2&section=1")  # the section starts after 😀, the phrase after 𠀀😀
    text = _document_text(app)
    line = text.index("受访者")
    utf16 = len(text[:line].encode("utf-16-le")) // 2
    assert utf16 != line, "the harness text must hold characters outside the BMP before the phrase"
    assert tab.get_attribute(".tdm-sc-piece >> nth=0", "data-start") == str(line)
    selected = tab.evaluate(SELECT_JS, PHRASE)
    # it starts in a piece after 𠀀😀 (two UTF-16 units each) and ends in the coded 通办，群众
    assert selected == {"text": PHRASE, "pieces": 2}
    tab.locator(".tdm-sc-code", has_text="跨域合作").click()

    coding_id, start, end, quote = _wait_for_coding(app, tab, _code_id(app, "跨域合作"), PHRASE)
    assert text[start:end] == PHRASE == quote
    assert start == text.index(PHRASE)
    # the new highlight is drawn on the rerun that stored it
    tab.wait_for_selector(f".tdm-sc-piece[data-start='{start}'][data-codings~='{coding_id}']", timeout=10_000)
    assert tab.errors == []


def test_click_selects_coding_and_element_or_outside_boundaries_map(app, tab):
    _open(tab, app)
    (seed_id,) = _db(app, "SELECT id FROM codings WHERE quote = ?", "苏州与上海的合作")[0]
    tab.locator(".tdm-sc-piece", has_text="苏州与上海的合作").click()
    tab.get_by_text(f"Selected coding: {seed_id}").wait_for(timeout=10_000)
    tab.wait_for_selector(IDLE)
    assert tab.locator(".tdm-sc-selected").count() == 1

    # Both ends in element nodes (offsets count child nodes, not characters), then key 2.
    assert tab.evaluate("""(quote) => {
      const text = document.querySelector('.tdm-sc-text');
      const piece = [...text.children].find((el) => el.textContent === quote);
      const range = document.createRange();
      range.setStart(piece, 0);
      range.setEnd(text, [...text.children].indexOf(piece) + 1);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      return getSelection().toString();
    }""", "苏州与上海的合作") == "苏州与上海的合作"
    tab.keyboard.press("2")
    _wait_for_coding(app, tab, _code_id(app, TRANSFER), "苏州与上海的合作")

    # A drag that starts above the component (in the page title) is clipped to the section.
    tab.evaluate("""() => {
      const first = document.querySelector('.tdm-sc-text .tdm-sc-piece').firstChild;
      const range = document.createRange();
      range.setStart(document.querySelector('h1'), 0);
      range.setEnd(first, 4);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
    }""")
    tab.locator(".tdm-sc-code", has_text="Barriers").click()
    _, start, end, _ = _wait_for_coding(app, tab, _code_id(app, "Barriers"), "访谈记录")
    assert (start, end) == (0, 4)
    tab.wait_for_selector(".tdm-sc-piece[data-start='0'].tdm-sc-coded", timeout=10_000)
    # for a person to look at: Chinese glyphs, overlapping highlights, the selected outline
    shots = ROOT / "screenshots"
    shots.mkdir(exist_ok=True)
    tab.screenshot(path=str(shots / "span_coder.png"), full_page=True)
    assert tab.errors == []


def test_untrusted_text_is_rendered_as_text(app, tab):
    _open(tab, app)
    found = tab.evaluate("""() => {
      const coder = document.querySelector('.tdm-sc');
      return {
        text: coder.querySelector('.tdm-sc-text').textContent,
        buttons: [...coder.querySelectorAll('.tdm-sc-code')].map((b) => b.textContent),
        elements: coder.querySelectorAll('script, img, i').length,
        pwned: typeof window.__pwned,
        overlapTitle: [...coder.querySelectorAll('.tdm-sc-piece')].find((el) => el.textContent === '群众').title,
      };
    }""")
    assert "<script>window.__pwned=1</script>" in found["text"]
    assert '<img src=x onerror="window.__pwned=1">' in found["text"]
    assert any(TRANSFER in label for label in found["buttons"])
    assert found["elements"] == 0
    assert sorted(found["overlapTitle"].split("\n")) == ["Barriers", TRANSFER]
    assert found["pwned"] == "undefined"
    assert tab.errors == []
