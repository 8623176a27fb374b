"""The Exchange page in headless Chromium with real uploads (what AppTest cannot do): a .qdpx comes
in and its report shows, a MAXQDA coded-segments CSV is placed, and the .qdpx export downloads and
holds the coded text. Counts are checked against the project database read with sqlite3."""
from __future__ import annotations

import zipfile

import pytest

import cli
import store
from tests.browser_support import app_env, db, fail_on_exception, idle, launched_chromium, new_page, require_browser
from tests.browser_support import streamlit_app

pytestmark = pytest.mark.browser  # drives Chromium: in the slow set (tests/conftest.py)


@pytest.fixture
def project(tmp_path):
    from tests.test_exchange_segments_import import _project

    path = tmp_path / "p.sqlite"
    assert cli.main(["new", "--project", str(path)]) == 0
    engine = store.connect(str(path))
    try:
        with store.session_scope(engine) as s:
            _project(s)
    finally:
        engine.dispose()
    return path


def test_exchange_page_uploads_and_download(project, tmp_path, shared):
    require_browser()
    from tests.test_exchange_segments_import import _csv

    qdpx = shared("refi", "qdpx_toolkit_hand_authored.qdpx")
    table = tmp_path / "segments.csv"
    table.write_bytes(_csv())
    with streamlit_app("ui/exchange.py", tmp_path, project, app_env(project)) as app, launched_chromium() as browser:
        page = new_page(browser, 1400, 1000)
        page.set_default_timeout(90_000)
        page.goto(app.url)
        idle(page)
        fail_on_exception(app, page, "the Exchange page")
        # 1. the REFI-QDA project
        page.locator("[data-testid='stFileUploaderDropzoneInput']").first.set_input_files(str(qdpx))
        page.get_by_role("button", name="Import", exact=True).click()
        page.get_by_text("Placed exactly", exact=True).wait_for()
        idle(page)
        fail_on_exception(app, page, "after the .qdpx import", errors=True)
        assert page.get_by_text("Not brought in (counted)").count() == 1
        page.wait_for_timeout(1500)  # the data grid draws after the script ends
        page.screenshot(path=str(tmp_path / "exchange-qdpx.png"), full_page=True)
        n_docs = db(app, "select count(*) from documents")[0][0]
        assert n_docs == 2 + 2  # the project's two documents and the file's two text sources
        # 2. the coded segments
        page.get_by_role("tab", name="MAXQDA coded segments").click()
        page.locator("[data-testid='stFileUploaderDropzoneInput']").last.set_input_files(str(table))
        page.get_by_role("button", name="Import coded segments").click()
        page.get_by_text("Already present").wait_for()
        idle(page)
        fail_on_exception(app, page, "after the segments import", errors=True)
        placed = db(app, "select count(*) from codings c join documents d on d.id = c.document_id "
                         "where d.name in ('访谈一', 'P2')")[0][0]
        assert placed == 4
        page.screenshot(path=str(tmp_path / "exchange-segments.png"), full_page=True)
        # 3. the export
        page.get_by_role("tab", name="Export the project").click()
        page.get_by_role("button", name="Prepare the .qdpx file").click()
        page.get_by_role("button", name="Download the .qdpx").wait_for()
        fail_on_exception(app, page, "after preparing the export", errors=True)
        with page.expect_download() as info:
            page.get_by_role("button", name="Download the .qdpx").click()
        out = tmp_path / "out.qdpx"
        info.value.save_as(out)
        page.screenshot(path=str(tmp_path / "exchange.png"), full_page=True)
    with zipfile.ZipFile(out) as zf:
        qde = zf.read("project.qde").decode("utf-8")
    assert qde.count("<Coding ") == db(app, "select count(*) from codings")[0][0]
    assert "广州和佛山如何合作" in qde
