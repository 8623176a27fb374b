"""Logging (issue 14, part 4): Tandem's packages log to a file in the user data folder; the command
line shows one sentence for an unexpected error and writes its traceback there; ``--verbose`` also
prints it; passwords in URLs never reach the log."""
from __future__ import annotations

import logging

import pytest

import applog
import cli


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("TANDEM_HOME", str(tmp_path / "home"))
    yield tmp_path / "home"
    applog.setup(False)  # handlers back on the default file, not the deleted tmp folder
    for handler in list(applog._HANDLERS.values()):
        handler.close()


def test_package_loggers_write_the_user_log_file(home):
    path = applog.setup(verbose=False)
    assert path == home / "logs" / "tandem.log"
    logging.getLogger("coding.codings").info("coded 3 passages")
    logging.getLogger("quant").debug("not at INFO")
    logging.getLogger("store").info("opened postgresql+psycopg://ann:s3cret@db.example/tandem")
    logging.getLogger("somebody_else").error("not ours")
    for handler in applog._HANDLERS.values():
        handler.flush()
    text = path.read_text(encoding="utf-8")
    assert "INFO coding.codings: coded 3 passages" in text
    assert "not at INFO" not in text and "not ours" not in text
    assert "ann:***@db.example" in text and "s3cret" not in text


def test_setup_twice_does_not_duplicate_lines(home):
    applog.setup()
    path = applog.setup()
    logging.getLogger("mixed").warning("once")
    for handler in applog._HANDLERS.values():
        handler.flush()
    assert path.read_text(encoding="utf-8").count("once") == 1


def test_unexpected_cli_error_is_one_sentence_and_logged(home, monkeypatch, capsys, tmp_path):
    def boom(args):
        raise RuntimeError("disk on fire at postgresql://ann:s3cret@db/tandem")

    monkeypatch.setattr(cli, "cmd_new", boom)
    assert cli.main(["new", "--project", str(tmp_path / "p.sqlite")]) == 1
    err = capsys.readouterr().err
    log = home / "logs" / "tandem.log"
    assert err.count("\n") == 1 and err.startswith("error: An unexpected error (RuntimeError) stopped this")
    assert f"written to {log}" in err and "disk on fire" not in err  # the message only in the log (and --verbose)
    assert "Traceback" not in err and "s3cret" not in err
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "in boom" in text and "s3cret" not in text


def test_verbose_prints_the_traceback(home, monkeypatch, capsys, tmp_path):
    def boom(args):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(cli, "cmd_new", boom)
    assert cli.main(["new", "--verbose", "--project", str(tmp_path / "p.sqlite")]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "in boom" in err
    assert cli.main(["--verbose", "new", "--project", str(tmp_path / "p.sqlite")]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_expected_errors_stay_out_of_the_log(home, capsys, tmp_path):
    project = tmp_path / "p.sqlite"
    assert cli.main(["new", "--project", str(project)]) == 0
    assert cli.main(["new", "--project", str(project)]) == 1  # "already exists": the user's mistake, not a bug
    assert "unexpected" not in capsys.readouterr().err
    log = home / "logs" / "tandem.log"
    assert not log.exists() or "Traceback" not in log.read_text(encoding="utf-8")


def test_verbose_from_env(monkeypatch):
    for value, expected in (("1", True), ("yes", True), ("on", True), ("0", False), ("", False), ("no", False)):
        monkeypatch.setenv("TANDEM_VERBOSE", value)
        assert applog.verbose_from_env() is expected


def test_a_locked_project_is_one_sentence_not_a_bug(home, monkeypatch, capsys, tmp_path):
    """Another process holding SQLite's write lock (a long embedding, say) past the busy timeout: the
    command says so in one sentence, logs no traceback, and changes nothing."""
    import sqlite3

    import store.db

    project = tmp_path / "p.sqlite"
    assert cli.main(["new", "--project", str(project)]) == 0
    monkeypatch.setattr(store.db, "BUSY_TIMEOUT_MS", 200)
    (tmp_path / "a.txt").write_text("常州市和盐城市签署了协议。", encoding="utf-8")
    holder = sqlite3.connect(project, timeout=0.1)
    holder.execute("BEGIN IMMEDIATE")
    try:
        assert cli.main(["import", "--project", str(project), str(tmp_path / "a.txt")]) == 1
    finally:
        holder.rollback()
        holder.close()
    err = capsys.readouterr().err
    assert "Another program is writing to this project" in err and "OperationalError" not in err
    assert "unexpected" not in err
    log = home / "logs" / "tandem.log"
    assert not log.exists() or "Traceback" not in log.read_text(encoding="utf-8")
    assert cli.main(["import", "--project", str(project), str(tmp_path / "a.txt")]) == 0  # nothing was left half-done
