"""Atomic and honest commands: `demo` leaves nothing when interrupted (an exception, SIGKILL), a rerun
works, the workbench's first-start build sweeps what a crashed start left; `import A B C` reports every
file and goes on past a refused one; `report --out` never replaces a file without --force and never
leaves half a file."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, inspect, select

import cli
import store
from data.demo import atomic
from data.demo import build as demo_build

ROOT = Path(__file__).resolve().parent.parent


def _count(target, table) -> int:
    engine = store.connect(target, create=False)
    try:
        with store.session_scope(engine) as s:
            return s.scalar(select(func.count()).select_from(table))
    finally:
        engine.dispose()


def _tables(url: str) -> list[str]:
    engine = create_engine(store.database_url(url))
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


# --- demo -----------------------------------------------------------------------------------------

@pytest.mark.slow  # whole demo builds through the CLI/ensure_demo (interrupted, then complete): CI runs it
def test_demo_interrupted_leaves_nothing_and_a_rerun_works(project_url, backend, tmp_path, monkeypatch, capsys):
    """A build step fails late (after cities, dyads, documents and codings are written): nothing stays."""
    def power_cut(*_a, **_k):
        raise RuntimeError("power cut while writing memos")

    monkeypatch.setattr(demo_build, "_write_memos", power_cut)
    assert cli.main(["demo", "--project", project_url]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unexpected error (RuntimeError)" in err  # a bug: its message is in the log
    if backend == "sqlite":
        assert list(tmp_path.iterdir()) == []  # no target, no temporary file, no -wal/-shm
    else:
        assert _tables(project_url) == []  # the schema this build created was dropped again
    monkeypatch.undo()
    assert cli.main(["demo", "--project", project_url]) == 0
    out = capsys.readouterr().out
    assert "155 cities" in out and "11935 dyads" in out
    assert _count(project_url, store.City) == 155 and _count(project_url, store.Memo) == 4
    if backend == "sqlite":
        assert [p.name for p in tmp_path.iterdir()] == ["project.sqlite"]
    # a second demo into the same target is refused and changes nothing
    assert cli.main(["demo", "--project", project_url]) == 1
    err = capsys.readouterr().err
    assert ("already exists" in err) if backend == "sqlite" else ("not empty" in err)
    assert _count(project_url, store.City) == 155


def _temps(folder: Path, name: str) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith(f".{name}."))


@pytest.mark.slow  # whole demo builds through the CLI/ensure_demo (interrupted, then complete): CI runs it
def test_demo_killed_mid_build_leaves_nothing_and_the_next_start_sweeps(tmp_path):
    """SIGKILL while the demo's transaction is being written: the target never appears; the
    workbench's next first start (ensure_demo) removes the dead build's files and builds the demo."""
    target = tmp_path / "demo.sqlite"
    proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "demo", "--project", str(target)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180
    try:
        while True:  # wait until the build's write-ahead log holds part of the demo
            wal = [p for p in _temps(tmp_path, target.name) if p.name.endswith(".tmp-wal")]
            if wal and wal[0].stat().st_size > 1_000_000:
                break
            assert proc.poll() is None, f"the build ended before it could be interrupted: {proc.stderr.read()!r}"
            assert time.monotonic() < deadline, "the build never reached its main transaction"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert not target.exists()
    left = _temps(tmp_path, target.name)
    assert left and all(f".{proc.pid}-" in p.name for p in left)  # only the dead build's hidden files
    assert demo_build.ensure_demo(target) == target
    assert _temps(tmp_path, target.name) == []
    assert _count(target, store.City) == 155 and _count(target, store.Document) > 0


@pytest.mark.slow  # whole demo builds through the CLI/ensure_demo (interrupted, then complete): CI runs it
def test_demo_killed_mid_transaction_on_postgresql_leaves_no_data_and_a_rerun_works(pg_server, capsys):
    """SIGKILL while the demo's rows are being inserted into a server database: the server rolls the
    transaction back, so no demo data is there; `demo` into the same database then works."""
    url = pg_server.fresh(migrated=False)
    probe = create_engine(store.database_url(url))
    proc = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "demo", "--project", url], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    writing = ("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
               "WHERE l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
               "AND c.relname = 'dyads' AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid()")
    deadline = time.monotonic() + 180
    try:
        while True:  # wait until the build inserts dyads inside its one transaction
            with probe.connect() as conn:
                if conn.exec_driver_sql(writing).scalar():
                    break
            assert proc.poll() is None, f"the build ended before it could be interrupted: {proc.stderr.read()!r}"
            assert time.monotonic() < deadline, "the build never reached its main transaction"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
        probe.dispose()
    assert proc.returncode == -signal.SIGKILL
    assert _count(url, store.City) == 0 and _count(url, store.Dyad) == 0 and _count(url, store.ProjectInfo) == 0
    assert cli.main(["demo", "--project", url]) == 0
    assert "155 cities" in capsys.readouterr().out
    assert _count(url, store.City) == 155 and _count(url, store.Dyad) == 11935
    pg_server.drop(url)


def test_sweep_stale_removes_only_builds_whose_process_is_gone(tmp_path):
    final = tmp_path / "demo.sqlite"
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(done.stdout)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        names = {
            "dead": f".demo.sqlite.{dead}-00aa.tmp", "dead_wal": f".demo.sqlite.{dead}-00aa.tmp-wal",
            "orphan_shm": f".demo.sqlite.{dead}-00bb.tmp-shm", "mine": f".demo.sqlite.{os.getpid()}-00cc.tmp",
            "live": f".demo.sqlite.{sleeper.pid}-00dd.tmp", "other_target": f".other.sqlite.{dead}-00ee.tmp",
            "user_file": "demo.sqlite.tmp",
        }
        for name in names.values():
            (tmp_path / name).write_bytes(b"x")
        removed = atomic.sweep_stale(final)
        assert [p.name for p in removed] == [names["dead"]]
        left = {p.name for p in tmp_path.iterdir()}
        assert left == {names["mine"], names["live"], names["other_target"], names["user_file"]}
    finally:
        sleeper.kill()
        sleeper.wait()


def test_publish_never_replaces_a_file_that_appeared(tmp_path):
    tmp, final = tmp_path / ".t.tmp", tmp_path / "final.sqlite"
    tmp.write_bytes(b"new")
    final.write_bytes(b"someone else's")
    assert atomic.publish(tmp, final) is False
    assert final.read_bytes() == b"someone else's" and tmp.exists()
    final.unlink()
    assert atomic.publish(tmp, final) is True
    assert final.read_bytes() == b"new" and not tmp.exists()


# --- import ---------------------------------------------------------------------------------------

@pytest.fixture
def project(tmp_path):
    path = tmp_path / "p.sqlite"
    assert cli.main(["new", "--project", str(path)]) == 0
    return path


def _documents(path: Path) -> list[str]:
    engine = store.connect(path, create=False)
    try:
        with store.session_scope(engine) as s:
            return sorted(s.scalars(select(store.Document.name)))
    finally:
        engine.dispose()


def test_import_reports_each_file_and_goes_on_past_refused_ones(project, tmp_path, capsys):
    capsys.readouterr()
    files = tmp_path / "in"
    files.mkdir()
    (files / "field_note.txt").write_text("We met the officials in Suzhou. They described the agreement.\n",
                                          encoding="utf-8")
    (files / "访谈.md").write_text("# 访谈\n\n我们在苏州见到了办事员。他们介绍了跨省通办的做法。\n", encoding="utf-8")
    (files / "slides.pptx").write_bytes(b"PK\x03\x04 not for Tandem")
    (files / "broken.docx").write_bytes(b"this is not a zip archive")
    args = ["import", "--project", str(project), str(files / "field_note.txt"), str(files / "slides.pptx"),
            str(files / "missing.txt"), str(files / "访谈.md"), str(files / "broken.docx"),
            str(files / "field_note.txt")]
    assert cli.main(args) == 1
    out, err = capsys.readouterr()
    imported = out.splitlines()
    assert [line.split(":")[0] for line in imported] == [f"imported {files / 'field_note.txt'}",
                                                        f"imported {files / '访谈.md'}"]
    assert "zh" in imported[1] and "en" in imported[0]
    refused = err.splitlines()
    assert len(refused) == 5 and all(line.startswith("refused ") for line in refused[:4])
    assert [next(n for n in ("slides.pptx", "missing.txt", "broken.docx", "field_note.txt") if n in line)
            for line in refused[:4]] == ["slides.pptx", "missing.txt", "broken.docx", "field_note.txt"]
    assert ".pptx" in refused[0] and "does not exist" in refused[1] and "already in the project" in refused[3]
    assert refused[4] == ("error: 4 of 6 file(s) refused (slides.pptx, missing.txt, broken.docx, field_note.txt), "
                          "2 imported.")
    assert "Traceback" not in err
    assert _documents(project) == ["field_note", "访谈"]


def test_import_is_all_or_nothing_per_file(project, tmp_path, capsys, monkeypatch):
    """A failure after the document row is written (recording the import event) rolls that file back."""
    import coding

    for name in ("one", "two", "three"):
        (tmp_path / f"{name}.txt").write_text(f"Document {name}. It has two sentences.\n", encoding="utf-8")
    real = coding.record_import
    calls = []

    def flaky(session, document_id, **kw):
        calls.append(document_id)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(session, document_id, **kw)

    monkeypatch.setattr(coding, "record_import", flaky)
    capsys.readouterr()
    assert cli.main(["import", "--project", str(project), *(str(tmp_path / f"{n}.txt") for n in ("one", "two",
                                                                                               "three"))]) == 1
    out, err = capsys.readouterr()
    first = err.splitlines()[0]  # a bug, not the file: the general sentence (class, log file), not its message
    assert first.startswith(f"refused {tmp_path / 'two.txt'}: An unexpected error (RuntimeError) stopped this")
    assert "disk full" not in err
    assert _documents(project) == ["one", "three"]
    engine = store.connect(project, create=False)
    with store.session_scope(engine) as s:  # each kept document has its import event; the refused one none
        imported = s.scalars(select(store.Event.document_id).where(store.Event.type == "document_import")).all()
        kept = s.scalars(select(store.Document.id)).all()
    engine.dispose()
    assert sorted(imported) == sorted(kept) and len(kept) == 2
    monkeypatch.undo()
    assert cli.main(["import", "--project", str(project), str(tmp_path / "two.txt")]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "Imported 1 file(s)."


def test_import_help_says_each_file_is_all_or_nothing():
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "import", "--help"], capture_output=True,
                          text=True, cwd=ROOT)
    text = " ".join(proc.stdout.split())
    assert proc.returncode == 0
    assert "Each file is imported on its own, all or nothing" in text and "exit status is 1" in text


# --- report ---------------------------------------------------------------------------------------

def test_report_never_replaces_a_file_without_force(project, tmp_path, capsys):
    out = tmp_path / "notes.md"
    out.write_text("my own notes, not a report", encoding="utf-8")
    assert cli.main(["report", "--project", str(project), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err == f"error: {out} already exists; pass --force to replace it.\n"
    assert out.read_text(encoding="utf-8") == "my own notes, not a report"
    assert cli.main(["report", "--project", str(project), "--out", str(out), "--force"]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("#") and "my own notes" not in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.md", "p.sqlite"]


@pytest.mark.parametrize("existing", [False, True])
def test_report_failing_half_way_leaves_no_half_file(project, tmp_path, capsys, monkeypatch, existing):
    import report.draft
    from report.errors import ReportError

    def half(session, results, path, **kw):
        Path(path).write_text("# Half a rep", encoding="utf-8")
        raise ReportError("the template broke half way.")

    monkeypatch.setattr(report.draft, "write", half)
    out = tmp_path / "draft.md"
    if existing:
        out.write_text("yesterday's draft", encoding="utf-8")
    args = ["report", "--project", str(project), "--out", str(out)] + (["--force"] if existing else [])
    assert cli.main(args) == 1
    assert "template broke" in capsys.readouterr().err
    assert (out.read_text(encoding="utf-8") == "yesterday's draft") if existing else not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["p.sqlite"] + (["draft.md"] if existing else []))


def test_report_out_in_a_missing_folder_or_a_folder_is_one_sentence(project, tmp_path, capsys):
    assert cli.main(["report", "--project", str(project), "--out", str(tmp_path / "nope" / "r.md")]) == 1
    assert capsys.readouterr().err == f"error: The folder {tmp_path / 'nope'} does not exist; create it first.\n"
    (tmp_path / "dir.md").mkdir()
    assert cli.main(["report", "--project", str(project), "--out", str(tmp_path / "dir.md"), "--force"]) == 1
    assert "is a folder" in capsys.readouterr().err
