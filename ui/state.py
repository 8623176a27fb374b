"""Shared page state: which project is open, its engine, sessions, and safe calls.

One SQLAlchemy engine per database URL (cached as a resource); never cache sessions or
ORM objects. Every write bumps ``revision`` so cached plain data can be keyed on it.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import streamlit as st

import store

PROJECT_KEY = "tandem_project"
CODER_KEY = "tandem_coder"


@st.cache_resource(on_release=lambda e: e.dispose(), show_spinner=False)
def _engine_for(url: str):
    return store.connect(url)


def _last_project_file() -> Path:
    from data.demo.build import user_data_dir

    return user_data_dir() / "last_project.txt"


def _remembered() -> str | None:
    """The project opened last on this machine, if it still exists."""
    try:
        path = _last_project_file().read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if not path or ("://" not in path and not Path(path).exists()):
        return None
    return path


def project_path() -> str:
    """The open project: ``TANDEM_PROJECT``, else the session's choice, else the project opened
    last on this machine, else the demo (built on first use)."""
    env = os.environ.get("TANDEM_PROJECT")
    if env:
        return env
    if PROJECT_KEY not in st.session_state:
        remembered = _remembered()
        if remembered:
            st.session_state[PROJECT_KEY] = remembered
        else:
            from data.demo.build import ensure_demo

            with st.spinner("Building the demo project (first start only)…"):
                st.session_state[PROJECT_KEY] = str(ensure_demo())
    return st.session_state[PROJECT_KEY]


def open_project(path: str) -> None:
    """Switch the workbench to another project file (created if new) and remember it."""
    if os.environ.get("TANDEM_PROJECT"):
        raise ValueError("This workbench was started with TANDEM_PROJECT set; restart without it to switch projects.")
    store.connect(path).dispose()
    st.session_state[PROJECT_KEY] = path
    try:
        _last_project_file().parent.mkdir(parents=True, exist_ok=True)
        _last_project_file().write_text(path, encoding="utf-8")
    except OSError:
        pass  # remembering is a convenience; the project is open either way
    for key in [k for k in st.session_state if str(k).startswith("fit_")]:
        del st.session_state[key]
    bump()


def engine():
    """The engine of the open project."""
    return _engine_for(store.database_url(project_path()))


@contextmanager
def db() -> Iterator[Any]:
    """One transaction on the open project (commit on success, roll back on error)."""
    with store.session_scope(engine()) as session:
        yield session


def revision() -> int:
    """A counter bumped by every write; key cached reads on it."""
    return st.session_state.get("tandem_revision", 0)


def bump() -> None:
    st.session_state["tandem_revision"] = revision() + 1


def coder() -> str:
    return st.session_state.get(CODER_KEY) or os.environ.get("TANDEM_CODER", "researcher")


def attempt(func: Callable[..., Any], *args, success: str | None = None, **kwargs) -> Any:
    """Run a library call; show a clear message instead of a traceback on failure.

    Errors raised by Tandem for bad input (``ValueError`` subclasses) are shown as they
    are; anything else is shown as one line naming the error type. Returns ``None`` on
    failure, else the call's result (``True`` when the call returned ``None``).
    """
    try:
        result = func(*args, **kwargs)
    except ValueError as exc:
        st.error(str(exc))
        return None
    except Exception as exc:  # a page must never show a traceback
        st.error(f"Something went wrong ({exc.__class__.__name__}): {str(exc).splitlines()[0] if str(exc) else ''}")
        return None
    if success:
        st.success(success)
    return True if result is None else result


def write(func: Callable[..., Any], *args, success: str | None = None, **kwargs) -> Any:
    """Run ``func(session, *args, **kwargs)`` in a transaction and bump the revision."""
    def run():
        with db() as session:
            return func(session, *args, **kwargs)

    result = attempt(run, success=success)
    if result is not None:
        bump()
    return result


def read(func: Callable[..., Any], *args, **kwargs) -> Any:
    """Run ``func(session, *args, **kwargs)`` in a read transaction."""
    with db() as session:
        return func(session, *args, **kwargs)


def project_label() -> str:
    path = project_path()
    return Path(path).name if "://" not in path else path.split("@")[-1]


def simulated_banner() -> None:
    """Say, where outcomes are shown, that the project's outcomes are simulated (the demo)."""
    from store.summary import simulated_note

    note = read(simulated_note)
    if note:
        st.warning(f"Outcomes in this project are SIMULATED: {note}", icon=":material/science:")
