"""Expected errors vs bugs (issue 14): every refusal of Tandem is an ``applog.errors.TandemError`` and is
shown as its one sentence; anything else, a library's bare ``ValueError`` included, is a bug: one
generic sentence for the user, the traceback in the log file, the raw message only with --verbose or
TANDEM_VERBOSE."""
from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import numpy as np
import pytest

import applog
import cli
from applog.errors import TandemError

ROOT = Path(__file__).resolve().parent.parent
#: Exception classes that derive from ValueError but are not refusals of the user's input, with the reason.
NOT_REFUSALS = {
    "data.demo.qualitative.DemoDataError": "the demo's own shipped files are inconsistent: a bug, logged as one",
}
#: A message a library raises on a programming error (numpy's broadcast error, produced for real below).
try:
    np.ones(3) + np.ones(4)
except ValueError as _exc:
    NUMPY_MESSAGE = str(_exc).strip()


@pytest.fixture
def home(tmp_path, monkeypatch):
    """The user data folder (and so the log file) in tmp_path; the log handlers put back afterwards."""
    monkeypatch.setenv("TANDEM_HOME", str(tmp_path / "home"))
    yield tmp_path / "home"
    applog.setup(False)
    for handler in list(applog._HANDLERS.values()):
        handler.close()


def _log_text(home: Path) -> str:
    for handler in applog._HANDLERS.values():
        handler.flush()
    log = home / "logs" / "tandem.log"
    return log.read_text(encoding="utf-8") if log.exists() else ""


def _production_files() -> list[Path]:
    """Tandem's own modules: the packages and top-level modules ``tests/import_graph.py`` knows
    (not a walk of the whole folder, which in CI holds the virtual environment ``.ci-venv``)."""
    import import_graph

    files = [ROOT / f"{m}.py" for m in import_graph.MODULES]
    for package in import_graph.PACKAGES:
        files += sorted((ROOT / package).rglob("*.py"))
    return files


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


# ---------------------------------------------------------------------------------------------- (a) classes

def test_every_package_errors_module_holds_only_tandem_errors():
    """Each top-level package's ``errors`` module, found on disk (not a hand list): every exception
    class it defines is a TandemError, and so still a ValueError."""
    modules = sorted(_module_name(p) for p in ROOT.glob("*/errors.py") if (p.parent / "__init__.py").exists())
    assert {"store.errors", "quant.errors", "coding.errors"} <= set(modules)  # the discovery itself works
    found = []
    for name in modules:
        module = importlib.import_module(name)
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == name:
                found.append(f"{name}.{cls_name}")
                assert issubclass(cls, TandemError) and issubclass(cls, ValueError), f"{name}.{cls_name}"
    assert len(found) >= len(modules) - 1  # applog.errors has one; every other errors module at least one


def test_no_refusal_class_bypasses_tandem_error():
    """Anywhere in the production code, a class that derives from ValueError (directly or through
    another class) is a TandemError, unless NOT_REFUSALS names it with a reason; CliError too."""
    seen, wrong = set(), []
    for path in _production_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.ClassDef) and node.bases):
                continue
            bases = [ast.unparse(b) for b in node.bases]
            if not any(b.endswith(("Error", "Exception", "Denied")) for b in bases):
                continue
            name = _module_name(path)
            cls = getattr(importlib.import_module(name), node.name, None)
            if not (inspect.isclass(cls) and issubclass(cls, ValueError)):
                continue
            qual = f"{name}.{node.name}"
            seen.add(qual)
            if not issubclass(cls, TandemError) and qual not in NOT_REFUSALS:
                wrong.append(qual)
    assert not wrong, f"ValueError subclasses that are not TandemError: {wrong}"
    assert {"commands.common.CliError", "store.urls.TargetError", "ui.pieces.SelectionError",
            "data.demo.build.DemoBuildError"} <= seen
    assert set(NOT_REFUSALS) <= seen  # no stale entry


def test_converted_library_refusals_are_tandem_errors(monkeypatch):
    """The bare ValueErrors of user input that became their package's class (same sentence)."""
    from coding.agreement.coefficients import coefficients
    from coding.errors import CodingError
    from coding.exchange.qdpx_place import choose_convention
    from corpus.errors import CorpusError
    from corpus.place_context import check_rules
    from corpus.text import MAX_CHARS_ENV, max_text_chars

    with pytest.raises(CorpusError, match="not a word or a pattern"):
        check_rules(["{}"])
    with pytest.raises(CorpusError, match="more than the 500"):
        check_rules([f"路{i}" for i in range(501)])
    monkeypatch.setenv(MAX_CHARS_ENV, "ten")
    with pytest.raises(CorpusError, match="positive whole number"):
        max_text_chars()
    with pytest.raises(CodingError, match="at least two coders"):
        coefficients(np.array([[1.0], [2.0]]))
    with pytest.raises(CodingError, match="Unknown offset convention 'bytes'"):
        choose_convention([], convention="bytes")


# ---------------------------------------------------------------------------------------------- (b) CLI

@pytest.fixture
def demo(tmp_path):
    from demo_runs import demo_copy

    return demo_copy(tmp_path / "demo.sqlite")


def test_cli_refusal_is_its_sentence_and_not_logged(home, demo, capsys):
    code = cli.main(["fit", "--project", str(demo), "--dimension", "connection",
                     "--formula", "connection ~ no_such_variable"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: ") and err.count("\n") == 1 and "no_such_variable" in err
    assert "unexpected" not in err and "tandem.log" not in err
    assert "Traceback" not in _log_text(home)


def _numpy_bug(*args, **kwargs):
    return np.ones(3) + np.ones(4)  # numpy's own ValueError: a bug, not the user's input


def test_cli_library_value_error_is_a_logged_bug(home, demo, monkeypatch, capsys):
    import quant.runs.analysis

    monkeypatch.setattr(quant.runs.analysis, "model_data", _numpy_bug)  # what `fit` reads the data with
    code = cli.main(["fit", "--project", str(demo), "--dimension", "connection"])
    err = capsys.readouterr().err
    log = home / "logs" / "tandem.log"
    assert code == 1 and err.count("\n") == 1
    assert err.startswith("error: An unexpected error (ValueError) stopped this")
    assert f"written to {log}" in err
    assert NUMPY_MESSAGE not in err and "broadcast" not in err and "Traceback" not in err
    text = _log_text(home)
    assert "Traceback (most recent call last)" in text and "in _numpy_bug" in text and NUMPY_MESSAGE in text
    assert "ERROR cli: unexpected ValueError" in text


def test_cli_library_value_error_with_verbose_shows_the_message(home, demo, monkeypatch, capsys):
    import quant.runs.analysis

    monkeypatch.setattr(quant.runs.analysis, "model_data", _numpy_bug)  # what `fit` reads the data with
    assert cli.main(["--verbose", "fit", "--project", str(demo), "--dimension", "connection"]) == 1
    err = capsys.readouterr().err
    assert NUMPY_MESSAGE in err and "Traceback (most recent call last)" in err and "in _numpy_bug" in err


def test_cli_import_logs_a_bug_per_file_and_goes_on(home, tmp_path, monkeypatch, capsys):
    """In a batch import a file that meets a bug is refused with the general sentence (the error's
    class and the log file, never its internal message) and its traceback logged."""
    import corpus

    project = tmp_path / "p.sqlite"
    assert cli.main(["new", "--project", str(project)]) == 0
    (tmp_path / "a.txt").write_text("常州市和盐城市签署了协议。", encoding="utf-8")
    real = corpus.import_document

    def sometimes_bug(session, path, **kwargs):
        if Path(path).name == "a.txt":
            return _numpy_bug()
        return real(session, path, **kwargs)

    monkeypatch.setattr(corpus, "import_document", sometimes_bug)
    assert cli.main(["import", "--project", str(project), str(tmp_path / "a.txt")]) == 1
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    assert first.startswith(f"refused {tmp_path / 'a.txt'}: An unexpected error (ValueError) stopped this")
    assert "operands could not" not in err and str(home / "logs" / "tandem.log") in first
    assert "in _numpy_bug" in _log_text(home)


# ---------------------------------------------------------------------------------------------- (c) UI

def _attempt_app():
    import streamlit as st

    from ui import state

    def refusal():
        from quant.formula.guard import check_formula

        return check_formula("connection ~ __import__('os')")

    def bug():
        import numpy as np

        return np.ones(3) + np.ones(4)

    def secret():
        raise ValueError("cannot reach postgresql://alice:s3cretPW@db.example.org/tandem")

    case = st.session_state.get("case", "refusal")
    result = state.attempt({"refusal": refusal, "bug": bug, "secret": secret}[case])
    st.write(f"result={result!r}")


def _run_attempt(case: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_attempt_app, default_timeout=60)
    at.session_state["case"] = case
    return at.run()


def test_ui_attempt_shows_a_refusal_as_its_sentence(home):
    applog.setup(False)
    at = _run_attempt("refusal")
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "__import__" in errors[0] and "unexpected" not in errors[0]
    assert not at.exception and "result=None" in at.markdown[0].value
    assert "Traceback" not in _log_text(home)


def test_ui_attempt_logs_a_library_value_error(home, monkeypatch):
    monkeypatch.setenv("TANDEM_VERBOSE", "0")
    applog.setup(False)
    at = _run_attempt("bug")
    log = home / "logs" / "tandem.log"
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("An unexpected error (ValueError) stopped this")
    assert str(log) in errors[0] and "broadcast" not in errors[0]
    assert not at.exception  # no traceback on the page without TANDEM_VERBOSE
    text = _log_text(home)
    assert "ERROR ui: unexpected ValueError" in text and "Traceback (most recent call last)" in text
    assert NUMPY_MESSAGE in text and "in bug" in text


def test_ui_attempt_with_tandem_verbose_shows_the_traceback(home, monkeypatch):
    monkeypatch.setenv("TANDEM_VERBOSE", "1")
    applog.setup(False)
    at = _run_attempt("bug")
    assert len(at.error) == 1 and not at.exception  # the traceback as text (masked), not st.exception
    shown = at.code[0].value
    assert "Traceback (most recent call last)" in shown and NUMPY_MESSAGE in shown


def test_ui_verbose_traceback_never_shows_a_password(home, monkeypatch):
    """A tester saw TANDEM_VERBOSE print a server URL's password on the page while the log masked it."""
    monkeypatch.setenv("TANDEM_VERBOSE", "1")
    applog.setup(False)
    at = _run_attempt("secret")
    page = " ".join([e.value for e in at.error] + [c.value for c in at.code])
    assert "alice:***@db.example.org" in page and "s3cretPW" not in page


def test_a_locked_database_is_not_a_bug():
    """SQLite's "database is locked" (SQLAlchemy wraps the driver's error) is told apart from a bug:
    the CLI and ui.state.unexpected show their own sentence for it and log nothing."""
    import sqlite3

    import sqlalchemy.exc

    from applog.errors import is_locked

    exc = sqlalchemy.exc.OperationalError("INSERT ...", {}, sqlite3.OperationalError("database is locked"))
    assert is_locked(exc)
    assert not is_locked(sqlalchemy.exc.OperationalError("SELECT ...", {}, sqlite3.OperationalError("no such table: x")))
    assert not is_locked(ValueError("the database is fine"))


def test_the_workbench_on_a_file_that_is_not_a_project_says_so_in_one_sentence(home, tmp_path, monkeypatch):
    """A tester opened the workbench on a non-database file: the sidebar raised before any page's
    guard and Streamlit showed its own traceback. Now the project's refusal is the page's sentence."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    bad = tmp_path / "bad.sqlite"
    bad.write_text("not a database", encoding="utf-8")
    monkeypatch.setenv("TANDEM_PROJECT", str(bad))
    monkeypatch.setenv("TANDEM_VERBOSE", "0")
    root = Path(__file__).resolve().parent.parent
    at = AppTest.from_file(str(root / "workbench.py"), default_timeout=120).run()
    assert not at.exception
    assert any(e.value == f"{bad} is not a Tandem project: it is not an SQLite database." for e in at.error)
    assert [t.value for t in at.title] == ["Project"]  # the Project page still runs, to open another project
    assert any(t.label.startswith("Project file") for t in at.text_input)
