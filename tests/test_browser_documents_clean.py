"""The Documents page's "Clean transcript into utterances" option in headless Chromium with a real
upload: the stored text is the cleaned one and the page shows what was removed."""
from __future__ import annotations

import pytest

import cli
from tests.browser_support import app_env, db, fail_on_exception, idle, launched_chromium, new_page, require_browser
from tests.browser_support import streamlit_app
from tests.test_corpus_transcript_clean import ZH_CLEAN, ZH_PAGES

pytestmark = pytest.mark.browser  # drives Chromium: in the slow set (tests/conftest.py)


@pytest.fixture
def project(tmp_path):
    path = tmp_path / "p.sqlite"
    assert cli.main(["new", "--project", str(path)]) == 0
    return path


def test_documents_page_cleans_an_uploaded_transcript_on_request(project, tmp_path):
    require_browser()
    src = tmp_path / "访谈七.txt"
    src.write_text("\f".join(ZH_PAGES), encoding="utf-8")
    with streamlit_app("ui/documents.py", tmp_path, project, app_env(project)) as app, \
            launched_chromium() as browser:
        page = new_page(browser, 1400, 1000)
        page.set_default_timeout(90_000)
        page.goto(app.url)
        idle(page)
        fail_on_exception(app, page, "the Documents page")
        page.get_by_text("Import documents").click()
        page.locator("[data-testid='stFileUploaderDropzoneInput']").first.set_input_files(str(src))
        page.get_by_text("Clean transcript into utterances").click()
        page.get_by_role("button", name="Import", exact=True).click()
        page.get_by_text("Cleaned: 8 line number(s)").wait_for()
        idle(page)
        fail_on_exception(app, page, "after the import", errors=True)
        page.screenshot(path=str(tmp_path / "documents-clean.png"), full_page=True)
        assert db(app, "select name, text from documents") == [("访谈七", ZH_CLEAN)]
