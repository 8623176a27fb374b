"""Streamlit's own file-uploader words on a Chinese page, in Chromium (issue 12).

Streamlit 1.67 has no locale option for the drop zone (streamlit/streamlit#13500);
``ui.uploader_words`` restyles it. The browser draws what the CSS says, so the test reads the
``::after`` content and the hidden English's computed font size from the real page, and checks
an English page is left alone. Screenshots of both go to the test's folder.
"""
from __future__ import annotations

import pytest

from browser_support import app_env, launched_chromium, new_page, require_browser, streamlit_app

pytestmark = pytest.mark.browser  # drives Chromium: in the slow set (tests/conftest.py)

APP = """\
import streamlit as st

import i18n

i18n.set_language(st.query_params.get("lang", "en"))
from ui.uploader_words import uploader_words

uploader_words()
st.file_uploader("City table", type=["csv", "xlsx"], key="a")
"""

_AFTER = """(sel) => {
  const el = document.querySelector(sel);
  const after = getComputedStyle(el, '::after');
  return [el.textContent, getComputedStyle(el).fontSize, after.content];
}"""


@pytest.fixture(scope="module")
def browser():
    require_browser()
    with launched_chromium() as b:
        yield b


def test_uploader_words_in_chinese_and_english(tmp_path, browser):
    script = tmp_path / "uploader_app.py"
    script.write_text(APP, encoding="utf-8")
    project = tmp_path / "p.sqlite"
    button = "[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer'] p"
    limit = "[data-testid='stFileUploaderDropzoneInstructions'] span"
    with streamlit_app(str(script), tmp_path, project, app_env(project)) as app:
        seen = {}
        for lang in ("en", "zh"):
            page = new_page(browser, 900, 300)
            page.goto(f"{app.url}/?lang={lang}")
            page.wait_for_selector("[data-testid='stFileUploaderDropzone']", timeout=60_000)
            page.wait_for_timeout(1000)
            seen[lang] = (page.evaluate(_AFTER, button), page.evaluate(_AFTER, limit))
            page.screenshot(path=str(tmp_path / f"uploader_{lang}.png"))
            assert not page.errors
            page.close()
    (en_button, en_limit), (zh_button, zh_limit) = seen["en"], seen["zh"]
    # English: Streamlit's words shown, nothing added
    assert en_button[0] == "Upload" and en_button[2] == "none" and en_button[1] != "0px"
    assert en_limit[0].endswith("per file • CSV, XLSX") and en_limit[2] == "none"
    # Chinese: the English is still in the DOM but drawn at size 0; the translation is drawn instead
    assert zh_button[1] == "0px" and zh_button[2] == '"上传"'
    size = en_limit[0].split("MB")[0]
    assert zh_limit[1] == "0px" and zh_limit[2] == f'"每个文件不超过 {size} MB"'
