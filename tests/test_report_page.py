"""The Report page (AppTest): choose saved runs and a format, draft, download; nothing is refitted."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

import store
from quant.runs import saved as runs
from tests import quant_small_project as small

ROOT = Path(__file__).resolve().parent.parent


def test_report_page_drafts_from_the_chosen_saved_run(tmp_path, monkeypatch):
    path = tmp_path / "small.sqlite"
    engine = store.connect(path)
    small.build(engine)
    with store.session_scope(engine) as s:
        old, _ = runs.fit_and_save(s, "连接 first", "connection", formula="connection ~ log_distance")
        new, _ = runs.fit_and_save(s, "连接 second", "connection", formula="connection ~ log_distance + sum(log_pop)")
        first = runs.load_run(s, old.name)
        n_runs = len(runs.list_runs(s))
    engine.dispose()
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    monkeypatch.delenv("TANDEM_TEAM", raising=False)
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=120)
    at.run()
    at.switch_page("ui/report.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key="report_runs__connection").set_value(old.name)  # not the latest
    at.radio(key="report_format").set_value("html")
    at.run()
    at.button(key="report_draft").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    (button,) = at.get("download_button")
    assert button.proto.label == "Download HTML" and button.proto.url.endswith(".html")
    preview = "\n".join(m.value for m in at.markdown)
    assert f"run “{old.name}”" in preview and old.fingerprint[:12] in preview and new.name not in preview
    est = f"{first.result.params['log_distance']:.3f}"
    assert est in preview
    engine = store.connect(path)
    try:
        with store.session_scope(engine) as s:
            assert len(runs.list_runs(s)) == n_runs  # drafting saved no new fit
    finally:
        engine.dispose()
