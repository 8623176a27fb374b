"""Every workbench page runs on the demo project without an exception (Streamlit AppTest)."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["ui/project.py", "ui/documents.py", "ui/code.py", "ui/codebook.py", "ui/cities.py", "ui/models.py",
         "ui/joint.py", "ui/cases.py", "ui/report.py", "ui/retrieve.py", "ui/search.py", "ui/semantic.py", "ui/suggestions.py",
         "ui/matrices.py", "ui/memos.py", "ui/agreement.py", "ui/runs.py", "ui/map.py", "ui/network.py",
         "ui/worklist.py", "ui/exchange.py", "ui/frequencies.py", "ui/attributes.py"]


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory):
    from demo_runs import demo_copy

    path = tmp_path_factory.mktemp("ui") / "demo.sqlite"
    demo_copy(path)
    return path


@pytest.mark.parametrize("page", PAGES)
def test_ui_page_runs_without_exception(page, demo_path, monkeypatch):
    monkeypatch.setenv("TANDEM_PROJECT", str(demo_path))
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
