"""The real workbench in a real browser (Debian Chromium through Playwright).

``streamlit run workbench.py`` serves a fresh empty project made by ``python cli.py new``.
A transcript holding characters outside the BMP (😀, 𠀀) before a Chinese phrase, a
``<script>`` line and an ``<img onerror>`` line is imported through the Documents page's
uploader; on the Code page the phrase is selected with a DOM ``Range`` and coded with a
code button; the sidebar's Undo and Redo then remove and restore that coding. The tests read
the SQLite file directly, and check that the untrusted lines are shown as text on both pages.
Screenshots go to ``screenshots/browser_*.png`` (gitignored) for a person to look at. With
Debian's fonts (no emoji font, no CJK Extension B font), Chromium draws everything after
"😀𠀀" on that line as boxes; the same happens in a plain HTML page, so it is a font matter,
not the workbench's.

Without Chromium (or the playwright package) these tests skip, and fail under
``TANDEM_REQUIRE_SHARED=1`` (CI), which installs Debian's chromium.
"""
from __future__ import annotations

import subprocess
import sys
import time
from types import SimpleNamespace

import pytest

from browser_support import (
    ROOT, app_env, fail_on_exception, launched_chromium, new_page, require_browser, select_js, streamlit_app,
)
from browser_support import db as _db
from browser_support import idle as _idle

pytestmark = pytest.mark.browser

SHOTS = ROOT / "screenshots"  # gitignored; for a person to look at
MAIN = "[data-testid='stMain']"
SIDEBAR = "[data-testid='stSidebar']"

PHRASE = "受理地和收件地跨城通办"
SCRIPT_LINE = "<script>window.__pwned=1</script>"
IMG_LINE = '<img src=x onerror="window.__pwned=1">'
DOC_NAME = "访谈_跨城通办"
TRANSCRIPT = (
    "访谈记录：政务服务跨城通办\n\n"
    f"受访者：😀𠀀{PHRASE}，群众不用来回跑。\n\n"
    f"{SCRIPT_LINE}\n\n"
    f"{IMG_LINE}\n\n"
    "访谈者：谢谢。\n"
)
CODE = "Social needs"
KIND = "interview"  # the default: the dropdown is not what these tests are about

# The DOM-Range selection (browser_support.select_js), returning the selected string.
SELECT_JS = select_js("sel.toString()")

# What the untrusted lines turned into, within a root element and in the whole document.
INJECTION_JS = """(rootSelector) => {
  const root = document.querySelector(rootSelector);
  const pwnedScripts = [...document.scripts].filter((s) => s.textContent.includes('__pwned'));
  return {
    text: root ? root.innerText : null,
    scripts: root ? root.querySelectorAll('script').length : -1,
    imgX: root ? [...root.querySelectorAll('img')].filter((i) => i.getAttribute('src') === 'x').length : -1,
    pwnedScripts: pwnedScripts.length,
    onerror: document.querySelectorAll('[onerror]').length,
    pwned: typeof window.__pwned,
  };
}"""


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """``streamlit run workbench.py`` on a free port over a new empty project (``cli.py new``)."""
    require_browser()
    folder = tmp_path_factory.mktemp("workbench")
    project, home = folder / "p.sqlite", folder / "home"
    home.mkdir()
    made = subprocess.run([sys.executable, "cli.py", "new", "--project", str(project)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    env = app_env(project, TANDEM_HOME=str(home))
    env.pop("TANDEM_CODER", None)  # the default coder, "researcher"
    with streamlit_app("workbench.py", folder, project, env) as served:
        yield served


@pytest.fixture(scope="module")
def chromium(app):
    with launched_chromium() as browser:
        yield browser


def _new_tab(chromium):
    page = new_page(chromium, 1280, 900)
    page.set_default_timeout(60_000)  # generous: CI machines are shared and the first run loads spaCy
    return page


@pytest.fixture
def tab(chromium):
    page = _new_tab(chromium)
    yield page
    page.close()


def _no_exception(app, page, where: str) -> None:
    fail_on_exception(app, page, f"the {where} page", errors=True)


def _open(page, app, path: str, ready: str) -> None:
    page.goto(f"{app.url}/{path}")
    page.wait_for_selector(f"{ready}, [data-testid='stException']")
    _idle(page)
    _no_exception(app, page, path or "start")


def _choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the Streamlit selectbox labelled ``label`` (typed, then Enter; retried)."""
    box = page.get_by_role("combobox", name=label, exact=True)
    if box.input_value() == option:  # already chosen (the only document, the default kind)
        return
    for _ in range(3):
        box.click()
        box.fill(option)
        listed = page.get_by_role("option", name=option, exact=True)
        try:
            listed.wait_for(timeout=15_000)
            listed.click()
        except Exception:  # the list did not open in time: close it and try again
            page.keyboard.press("Escape")
            continue
        _idle(page)
        if box.input_value() == option:
            return
    assert box.input_value() == option, f"could not choose {option!r} in {label!r}"


def _poll(app, what: str, probe, timeout: float = 30.0):
    """Poll ``probe()`` until it returns something truthy; fail with the server log otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}\nserver log:\n{app.log.read_text(errors='replace')}")


def _toast(page, text: str) -> None:
    page.locator("[data-testid='stToast']").filter(has_text=text).first.wait_for()


def _codings(app) -> list[tuple]:
    return _db(app, 'SELECT id, document_id, code_id, start, "end", quote FROM codings ORDER BY id')


@pytest.fixture(scope="module")
def imported(app, chromium):
    """The transcript, imported once through the Documents page's uploader; its stored text."""
    source = app.folder / f"{DOC_NAME}.txt"
    source.write_text(TRANSCRIPT, encoding="utf-8")
    page = _new_tab(chromium)
    try:
        _open(page, app, "documents", "[data-testid='stExpander']")
        expander = page.locator("[data-testid='stExpander']").filter(has_text="Import documents")
        expander.locator("summary").click()
        form = expander.locator("[data-testid='stForm']")
        form.locator("input[type='file']").set_input_files(str(source))
        form.locator("[data-testid='stFileChip']").filter(has_text=source.name).wait_for()
        # the chip shows its size once the upload is done (a progress bar while it is not)
        form.locator("[data-testid='stFileUploader'] [role='progressbar']").wait_for(state="detached")
        _choose(page, "Kind", KIND)
        form.get_by_role("button", name="Import").click()
        done = page.locator("[data-testid='stAlertContentSuccess']").filter(has_text=f"{DOC_NAME}:")
        done.wait_for(timeout=60_000)  # the first import loads spaCy and jieba
        _idle(page)
        _no_exception(app, page, "documents")
        message = done.inner_text()
        assert page.errors == []
    finally:
        page.close()
    rows = _db(app, "SELECT id, name, kind, text FROM documents")
    assert len(rows) == 1, rows
    doc_id, name, kind, text = rows[0]
    assert (name, kind) == (DOC_NAME, KIND)
    assert message.startswith(f"{DOC_NAME}: {len(text):,} characters (zh), 5 paragraphs"), message
    return SimpleNamespace(id=doc_id, text=text)


def test_code_a_phrase_after_astral_characters_then_undo_and_redo(app, imported, tab):
    text = imported.text
    assert PHRASE in text and "😀𠀀" in text
    assert _codings(app) == []
    (code_id,) = _db(app, "SELECT id FROM codes WHERE name = ?", CODE)[0]

    _open(tab, app, "code", ".tdm-sc-text .tdm-sc-piece")
    _choose(tab, "Document", DOC_NAME)
    tab.wait_for_selector(".tdm-sc-text .tdm-sc-piece")
    assert tab.evaluate(SELECT_JS, PHRASE) == PHRASE
    tab.locator(".tdm-sc-code", has_text=CODE).click()

    stored = _poll(app, "the coding", lambda: _codings(app))
    _idle(tab)
    assert len(stored) == 1, stored
    coding_id, doc_id, stored_code, start, end, quote = stored[0]
    assert (doc_id, stored_code) == (imported.id, code_id)
    assert text[start:end] == PHRASE == quote
    assert start == text.index(PHRASE)  # code points: 😀 and 𠀀 count one each
    assert len(text[:start].encode("utf-16-le")) // 2 == start + 2  # (two UTF-16 units each in the DOM)
    assert _db(app, "SELECT coder FROM codings") == [("researcher",)]
    tab.wait_for_selector(f".tdm-sc-piece.tdm-sc-coded[data-codings~='{coding_id}']")

    sidebar = tab.locator(SIDEBAR)
    undo = sidebar.get_by_role("button", name="Undo")
    redo = sidebar.get_by_role("button", name="Redo")

    undo.click()
    _poll(app, "the undo", lambda: not _codings(app))
    _toast(tab, "Undone: coded")
    _idle(tab)
    tab.wait_for_selector(".tdm-sc-coded", state="detached")  # the highlight went with it
    assert _db(app, "SELECT id FROM documents") == [(imported.id,)]  # the import is not undone

    redo.click()
    again = _poll(app, "the redo", lambda: _codings(app))
    _toast(tab, "Redone: coded")
    _idle(tab)
    assert again == stored  # the same row, the same id
    tab.wait_for_selector(f".tdm-sc-piece.tdm-sc-coded[data-codings~='{coding_id}']")
    SHOTS.mkdir(exist_ok=True)
    tab.screenshot(path=str(SHOTS / "browser_code_coded.png"), full_page=True)

    undo.click()
    _poll(app, "the second undo", lambda: not _codings(app))
    _idle(tab)
    tab.wait_for_selector(".tdm-sc-coded", state="detached")
    assert _db(app, "SELECT id FROM documents") == [(imported.id,)]
    types = [t for (t,) in _db(app, "SELECT type FROM events ORDER BY id")]
    assert (types.count("undo"), types.count("redo")) == (2, 1), types
    assert redo.is_enabled()  # the coding can come back again
    _no_exception(app, tab, "code")
    assert tab.errors == []


def _assert_inert(found: dict) -> None:
    assert found["text"] is not None
    assert SCRIPT_LINE in found["text"]
    assert IMG_LINE in found["text"]
    assert found["scripts"] == 0
    assert found["imgX"] == 0
    assert found["pwnedScripts"] == 0
    assert found["onerror"] == 0
    assert found["pwned"] == "undefined"


def test_untrusted_lines_render_as_text_on_documents_and_code_pages(app, imported, tab):
    SHOTS.mkdir(exist_ok=True)
    _open(tab, app, "documents", "[data-testid='stText']")
    _choose(tab, "Read a document", DOC_NAME)
    tab.get_by_text(SCRIPT_LINE, exact=True).wait_for()
    _assert_inert(tab.evaluate(INJECTION_JS, MAIN))
    assert PHRASE in tab.locator(MAIN).inner_text()
    assert tab.locator(f"{MAIN} script").count() == 0
    assert tab.locator(f"{MAIN} img[src='x']").count() == 0
    tab.screenshot(path=str(SHOTS / "browser_documents.png"), full_page=True)

    _open(tab, app, "code", ".tdm-sc-text .tdm-sc-piece")
    _assert_inert(tab.evaluate(INJECTION_JS, MAIN))
    coder = tab.evaluate(INJECTION_JS, ".tdm-sc")
    _assert_inert(coder)
    assert tab.locator(".tdm-sc").locator("script, img").count() == 0
    assert tab.locator(".tdm-sc-text").inner_text().count(PHRASE) == 1
    tab.screenshot(path=str(SHOTS / "browser_code.png"), full_page=True)
    assert tab.errors == []
