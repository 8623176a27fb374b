"""The same work on SQLite and on PostgreSQL gives the same project, through the CLI and the
library: new, import a Chinese document, node tables with mixed-case ids, dyads, coding,
links, memos, undo/redo (ids restored, never reused), report; the demo built by
``cli.py demo`` into both fits to the same estimates and drafts the same report; the
workbench runs on the server; and no command ever prints the server's password."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

import coding
import store
from store.summary import project_overview

ROOT = Path(__file__).resolve().parent.parent
TEXT_ZH = ("第一段：苏州与上海签署了跨城通办协议，美第奇家族也来了。\n\n"
           "第二段：杭州的干部说，信任是合作的基础，没有信任就没有协议。\n")
NODES = "id,name,pop\nMedici,美第奇,10\nalbizzi,阿尔比齐,7\nStrozzi,斯特罗齐,5\nÄdler,阿德勒,3\n"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=900)


def in_process(capsys, *args: str) -> subprocess.CompletedProcess:
    """``cli.main`` in this process (fast: no interpreter start), captured like a subprocess."""
    import cli as tandem_cli

    capsys.readouterr()
    code = tandem_cli.main(list(args))
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, captured.out, captured.err)


def _password(url: str) -> str | None:
    return make_url(store.database_url(url)).password if store.is_url(url) else None


def _quiet(proc: subprocess.CompletedProcess, url: str) -> subprocess.CompletedProcess:
    """The command printed no password and no traceback."""
    secret = _password(url)
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, out
    if secret:
        assert secret not in out, "the password was printed"
    return proc


def test_project_life_on_each_backend(project_url, tmp_path, capsys):
    url = project_url
    run = lambda *args: in_process(capsys, *args)  # noqa: E731
    shown = store.mask_url(url)
    assert _quiet(cli("new", "--project", url), url).stdout.strip() == (
        f"Created empty project {shown} with the default codebook.")
    again = _quiet(run("new", "--project", url), url)
    assert again.returncode == 1 and "already" in again.stderr
    doc_file = tmp_path / "访谈_苏州.txt"
    doc_file.write_bytes(TEXT_ZH.encode("gb18030"))
    assert _quiet(run("import", "--project", url, str(doc_file)), url).returncode == 0
    nodes = tmp_path / "nodes.csv"
    nodes.write_text(NODES, encoding="utf-8")
    assert _quiet(run("cities", "--project", url, "--id", "id", str(nodes)), url).returncode == 0
    assert _quiet(run("dyads", "--project", url, "--build", "--op", "sum:pop"), url).returncode == 0

    engine = store.connect(url, create=False)
    try:
        with store.session_scope(engine) as s:
            pairs = s.execute(select(store.Dyad.city_a, store.Dyad.city_b)).all()
            # code-point order, as Python compares: "Medici" < "Strozzi" < "albizzi" < "Ädler"
            ids = ["Medici", "albizzi", "Strozzi", "Ädler"]
            assert sorted(pairs) == sorted((a, b) for a in ids for b in ids if a < b)
            assert ("Strozzi", "albizzi") in pairs and ("albizzi", "Ädler") in pairs  # Python's order, not a locale's
            doc = s.scalar(select(store.Document).where(store.Document.name == "访谈_苏州"))
            assert doc.text.rstrip("\n") == TEXT_ZH.rstrip("\n")  # GB18030 bytes, same text on both backends
            assert doc.encoding == "gb18030"
            trust = coding.code_id_by_name(s, "Mark")
            at = doc.text.index("信任是合作的基础")
            (cid,) = coding.add_coding(s, doc.id, at, at + 8, trust, coder="A", memo="要点")
            coding.link_city(s, cid, "Medici", coder="A")
            coding.link_dyad(s, cid, "albizzi", "Medici", coder="A")
            memo = coding.add_memo(s, "coding", cid, "说了两次", author="A")
        with store.session_scope(engine) as s:
            coding.undo(s, "A")  # the memo
            assert s.get(store.Memo, memo) is None
            coding.redo(s, "A")
            assert s.get(store.Memo, memo).text == "说了两次"
            coding.delete_coding(s, cid, coder="A")
        with store.session_scope(engine) as s:
            coding.undo(s, "A")  # the deletion: the coding comes back with its id, links and memo
            row = s.get(store.Coding, cid)
            assert (row.start, row.end, row.quote, row.memo) == (at, at + 8, "信任是合作的基础", "要点")
            links = s.execute(select(store.CodingLink.city_code, store.CodingLink.dyad_id)
                              .where(store.CodingLink.coding_id == cid)).all()
            assert len(links) == 2 and ("Medici", None) in links
            assert s.get(store.Memo, memo).target_id == str(cid)
            (other,) = coding.add_coding(s, doc.id, 0, 3, trust, coder="A")
            assert other > cid  # a restored id is never handed out again
            top = s.scalar(select(func.max(store.Event.id)))
        with store.session_scope(engine) as s:  # event ids keep growing after restores too
            coding.add_memo(s, "project", None, "收尾", author="A")
            assert s.scalar(select(func.max(store.Event.id))) > top
    finally:
        engine.dispose()
    out = tmp_path / "draft.md"
    proc = _quiet(run("report", "--project", url, "--out", str(out)), url)
    assert proc.returncode == 0 and out.exists()
    assert "信任是合作的基础" in out.read_text(encoding="utf-8")
    bad = _quiet(run("fit", "--project", url, "--formula", "connection ~ nothing_here"), url)
    assert bad.returncode == 1 and bad.stderr.startswith("error: ")


@pytest.fixture(scope="module")
def demos(pg_server, tmp_path_factory):
    """The demo built by `cli.py demo` into a SQLite file and into a PostgreSQL database, side by side."""
    sqlite = str(tmp_path_factory.mktemp("demo") / "demo.sqlite")
    pg = pg_server.fresh(migrated=False)
    procs = {k: subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "demo", "--project", target], cwd=ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for k, target in (("sqlite", sqlite), ("postgresql", pg))}
    for key, proc in procs.items():
        out, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, err
        _quiet(subprocess.CompletedProcess(proc.args, 0, out, err), pg)
        assert "Built the demo project into" in out
    yield {"sqlite": sqlite, "postgresql": pg}
    pg_server.drop(pg)


def test_demo_is_the_same_project_on_both_backends(demos):
    overviews = {}
    for key, target in demos.items():
        engine = store.connect(target, create=False)
        try:
            with store.session_scope(engine) as s:
                overviews[key] = {k: v for k, v in project_overview(s).items() if k != "info"}
        finally:
            engine.dispose()
    assert overviews["sqlite"] == overviews["postgresql"]
    assert overviews["sqlite"]["dyads"] == 11_935 and overviews["sqlite"]["cities"] == 155


def test_demo_fits_and_report_agree_across_backends(demos, tmp_path):
    fits = {}
    for key, target in demos.items():
        proc = _quiet(cli("fit", "--project", target, "--dimension", "connection", "--json"), demos["postgresql"])
        assert proc.returncode == 0, proc.stderr
        fits[key] = json.loads(proc.stdout)
    a, b = fits["sqlite"], fits["postgresql"]
    assert (a["formula"], a["n"], a["n_nodes"], a["terms"]) == (b["formula"], b["n"], b["n_nodes"], b["terms"])
    assert a["n"] == 11_935 and len(a["terms"]) >= 3
    for term in a["terms"]:  # the same rows in the same order: identical estimates and dyadic SEs
        assert b["params"][term]["estimate"] == pytest.approx(a["params"][term]["estimate"], rel=1e-10, abs=1e-12)
        for se_type, se in a["params"][term]["se"].items():
            assert b["params"][term]["se"][se_type] == pytest.approx(se, rel=1e-8, abs=1e-12)
    assert b["llf"] == pytest.approx(a["llf"], rel=1e-12)
    drafts = {}
    for key, target in demos.items():
        out = tmp_path / f"{key}.md"
        assert _quiet(cli("report", "--project", target, "--out", str(out)), demos["postgresql"]).returncode == 0
        drafts[key] = out.read_text(encoding="utf-8")
    # the drafts differ at most where they name the project file or the time of writing
    strip = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?(\.\d+)?(\+00:00|Z| UTC)?")
    assert strip.sub("<time>", drafts["sqlite"]) == strip.sub("<time>", drafts["postgresql"])


def test_workbench_pages_run_on_the_server(demos, monkeypatch):
    from streamlit.testing.v1 import AppTest

    url = demos["postgresql"]
    secret = _password(url)
    monkeypatch.setenv("TANDEM_PROJECT", url)
    monkeypatch.delenv("TANDEM_TEAM", raising=False)
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    for page in ("ui/project.py", "ui/code.py", "ui/models.py", "ui/memos.py"):
        at.switch_page(page)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert not at.error, [e.value for e in at.error]
        shown = " ".join(str(getattr(el, "value", "")) for el in at.main) + " ".join(
            str(getattr(el, "value", "")) for el in at.sidebar)
        if secret:
            assert secret not in shown
