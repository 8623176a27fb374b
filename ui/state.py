"""Shared page state: which project is open, its engine, sessions, safe calls, and who is logged in.

One SQLAlchemy engine per database URL (cached as a resource); never cache sessions or
ORM objects. Every write bumps ``revision`` so cached plain data can be keyed on it.

Team mode (``TANDEM_TEAM=1`` or the project's ``team_mode`` setting; see :mod:`team.mode`):
:func:`refresh_auth`, called first on every run by workbench.py, says whether it is on and who
is logged in (re-read from the project each run: a removal, a role change or a password reset
ends the sessions opened before it, see :func:`team.session_stamp`). Then :func:`db` refuses to open a session before a login, and guards every session with
the user's role (:func:`team.protect`), so every page's reads and writes are covered, not only
the controls a page hides; :func:`coder` is the logged-in name; :func:`open_project` is refused.
Single-user mode (no login) works as before, except that :func:`open_project` takes only
``.sqlite``/``.tandem`` files in existing folders or a PostgreSQL URL (:func:`team.project_target`).
"""
from __future__ import annotations

import os
import traceback
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import streamlit as st

import applog
import store
import team
from applog.errors import TandemError, is_locked, locked_sentence, unexpected_sentence
from i18n import N_, _

PROJECT_KEY = "tandem_project"
CODER_KEY = "tandem_coder"
USER_KEY = "tandem_user"  # the logged-in user's name (team mode)
STAMP_KEY = "_tandem_stamp"  # team.session_stamp at login: a password reset or role change ends the session
AUTH_KEY = "_tandem_auth"  # this run's {"team", "name", "role", "error"} (refresh_auth)
BLIND_SELF_KEY = "tandem_blind_self"  # an owner codes blind themselves (coding.blind)
VIEW_KEY = "_tandem_blind_view"  # (coder, coding.blind.viewer_filter) at the last run: a change bumps the revision
VISITOR = N_("visitor")  # role_label() of someone not logged in (pages show it with _(), as the roles)


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
    try:
        return team.project_target(path)
    except team.TeamError:  # remembered before the rules (another suffix): not reopened silently
        return None


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

            # workbench.py shows ui.first_start's page while the demo builds in the background
            # (demo_pending), so this waits only when called on another path during that build
            with st.spinner(_("Building the demo project (first start only)…")):
                st.session_state[PROJECT_KEY] = str(ensure_demo())
    return st.session_state[PROJECT_KEY]


def demo_pending() -> bool:
    """Whether :func:`project_path` would have to build the demo first: no ``TANDEM_PROJECT``, no
    project chosen in this session nor remembered, and the demo file does not exist yet."""
    if os.environ.get("TANDEM_PROJECT") or PROJECT_KEY in st.session_state or _remembered():
        return False
    from data.demo.build import default_demo_path

    return not default_demo_path().exists()


def open_project(path: str) -> None:
    """Switch the workbench to another project file (created if new) and remember it.

    Raises
    ------
    team.AccessDenied
        In team mode: the server's configuration fixes the project.
    team.TeamError
        Not a ``.sqlite``/``.tandem`` file in an existing folder, nor a PostgreSQL URL.
    ValueError
        The workbench was started with ``TANDEM_PROJECT``.
    store.ProjectError
        The file exists and is not a Tandem project.
    """
    if team_mode():
        raise team.AccessDenied(_("In team mode the server's configuration (TANDEM_PROJECT) sets the project; "
                                  "it cannot be changed here."))
    if os.environ.get("TANDEM_PROJECT"):
        raise ValueError(_("This workbench was started with TANDEM_PROJECT set; restart without it to switch "
                           "projects."))
    path = team.project_target(path)
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
def db(writing: bool = False) -> Iterator[Any]:
    """One transaction on the open project (commit on success, roll back on error).

    In team mode the session refuses, statement by statement, what the logged-in user's role
    may not do (:func:`team.protect`); before a login no session is opened at all. The session
    carries who is looking (:func:`coding.blind.set_viewer`): in a blind project a coder's reads
    see only their own codings. ``writing`` (set by :func:`write`) leaves the reads inside a
    write unfiltered (the library then refuses changes to another coder's coding itself).

    Raises
    ------
    team.AccessDenied
        Team mode and nobody logged in (or, later, a statement the role may not run).
    """
    from coding import blind

    auth = _auth()
    if auth["team"] and auth["role"] is None:
        raise team.AccessDenied(_("Log in first."))
    with store.session_scope(engine()) as session:
        if auth["team"]:
            team.protect(session, auth["role"])
            blind.set_viewer(session, auth["name"], auth["role"], team=True, blind_self=blind_self(),
                             writing=writing)
        else:
            blind.set_viewer(session, coder(), "coder", writing=writing)
        yield session


def blind_self() -> bool:
    """Whether an owner asked, on the Code page, to see only their own codings while the project is blind."""
    return bool(st.session_state.get(BLIND_SELF_KEY))


def blind_for_me() -> bool:
    """Whether the person at this workbench sees only their own codings now (the project is blind)."""
    from coding import blind

    return read(blind.viewer_filter) is not None


def _reset_session() -> None:
    """Forget everything this browser session held (fits, selections, flashes), keeping the project."""
    project = st.session_state.get(PROJECT_KEY)
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if project is not None:
        st.session_state[PROJECT_KEY] = project


def refresh_auth() -> dict[str, Any]:
    """Decide, for this run, whether team mode is on and who is logged in; remember it for the run.

    Returns
    -------
    dict
        ``{"team": bool, "name": str or None, "role": str or None, "error": str or None}``;
        ``error`` is set when the project could not be read to tell (single-user pages then
        show only the Project page, where another project can be opened).

    Raises
    ------
    team.TeamError
        ``TANDEM_TEAM`` holds a value that is neither on nor off, or team mode is asked for
        by the environment without ``TANDEM_PROJECT``.
    """
    on = team.env_team_mode()
    if on and not os.environ.get("TANDEM_PROJECT"):
        raise team.TeamError(_("Team mode (TANDEM_TEAM=1) needs TANDEM_PROJECT, the project the server serves."))
    name = st.session_state.get(USER_KEY)
    user, error = None, None
    try:
        with store.session_scope(engine()) as session:
            on = on or team.project_team_mode(session)
            if on and name:
                user = team.get_user(session, name)
                if user is not None and team.session_stamp(session, name) != st.session_state.get(STAMP_KEY):
                    user = None  # the password or the role changed since this login
    except Exception as exc:  # a broken or unreadable project: say so, show no data
        if on:
            raise
        if not isinstance(exc, TandemError):  # not a refusal (store.ProjectError): keep its traceback
            applog.log_unexpected(exc, "ui")
        error = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    if name and user is None:  # removed since, or team mode was switched off
        _reset_session()
    auth = {"team": bool(on), "name": user["name"] if user else None, "role": user["role"] if user else None,
            "error": error}
    st.session_state[AUTH_KEY] = auth
    if not error and (not on or auth["role"] is not None):
        _follow_blind_view()
    return auth


def _follow_blind_view() -> None:
    """Bump the revision when what this session may see changed since its last run (the owner switched
    blind coding, the sidebar's coder changed, an owner chose to code blind): the pages' cached reads
    are keyed on the revision, so none keeps codings from before."""
    from coding import blind

    try:
        view = (coder(), read(blind.viewer_filter))
    except Exception:  # the pages say what is wrong with the project; this is only a cache key
        return
    before = st.session_state.get(VIEW_KEY)
    st.session_state[VIEW_KEY] = view
    if before is not None and tuple(before) != view:
        bump()


def _auth() -> dict[str, Any]:
    auth = st.session_state.get(AUTH_KEY)
    return auth if isinstance(auth, dict) else refresh_auth()


def team_mode() -> bool:
    """Whether this workbench runs in team mode (login and roles)."""
    return bool(_auth()["team"])


def user() -> dict[str, str] | None:
    """``{"name", "role"}`` of the logged-in user in team mode; None otherwise."""
    auth = _auth()
    return {"name": auth["name"], "role": auth["role"]} if auth["team"] and auth["name"] else None


def role_label() -> str:
    """The logged-in user's role for messages (``"viewer"``), or ``"visitor"``."""
    return _auth()["role"] or VISITOR


def can(action: str) -> bool:
    """Whether the person at this workbench may do ``action`` (always, in single-user mode)."""
    auth = _auth()
    if not auth["team"]:
        return True
    return auth["role"] is not None and team.allowed(auth["role"], action)


def require(action: str) -> None:
    """Return if :func:`can` ``action``; else raise :class:`team.AccessDenied` with one sentence."""
    if team_mode():
        team.require(_auth()["role"], action)


def client_address() -> str:
    """The browser's address for rate limiting ("" when unknown).

    Streamlit gives the TCP peer, and None for a loopback peer. Behind a reverse proxy on the
    same machine (the README's team set-up) the peer is the proxy, so the last
    ``X-Forwarded-For`` entry (the one the proxy itself appended) is used; without one, "".
    """
    try:
        peer = st.context.ip_address
        if peer:
            return str(peer)
        forwarded = st.context.headers.get("X-Forwarded-For") or ""
        return forwarded.split(",")[-1].strip()[:100]
    except Exception:
        return ""


def login(name: str, password: str) -> team.LoginResult:
    """Check a login (logged and rate-limited by :func:`team.attempt_login`); on success start a
    fresh session for the user. Returns the result; its message is one sentence."""
    with store.session_scope(engine()) as session:
        result = team.attempt_login(session, name, password, client_address())
    if result.ok:
        with store.session_scope(engine()) as session:
            stamp = team.session_stamp(session, result.name)
        _reset_session()
        st.session_state[USER_KEY] = result.name
        st.session_state[STAMP_KEY] = stamp
        refresh_auth()
    return result


def renew_stamp() -> None:
    """Keep this session after the logged-in user changed their own password or role."""
    name = st.session_state.get(USER_KEY)
    if name and team_mode():
        with store.session_scope(engine()) as session:
            st.session_state[STAMP_KEY] = team.session_stamp(session, name)


def logout() -> None:
    """Forget the login and everything the session held."""
    _reset_session()
    refresh_auth()


def revision() -> int:
    """A counter bumped by every write; key cached reads on it."""
    return st.session_state.get("tandem_revision", 0)


def bump() -> None:
    st.session_state["tandem_revision"] = revision() + 1


def coder() -> str:
    """Who is coding: the logged-in user in team mode; else the sidebar's coder box, ``TANDEM_CODER``
    or ``researcher``.

    Raises
    ------
    team.AccessDenied
        Team mode and nobody logged in.
    """
    if team_mode():
        name = _auth()["name"]
        if not name:
            raise team.AccessDenied(_("Log in first."))
        return name
    return st.session_state.get(CODER_KEY) or os.environ.get("TANDEM_CODER", "researcher")


def _history_call(func_name: str, whose: str | None) -> Any:
    import coding

    me = coder()
    who = me if whose is None else whose
    if who != me and not (team_mode() and can("undo_others")):
        st.error(_("Undo and redo act on your own changes only; in team mode an owner may act on anyone's."))
        return None
    return write(getattr(coding, func_name), who, by=me)


def undo(whose: str | None = None) -> Any:
    """Undo the latest change of ``whose`` (default: the current coder) as :func:`write` does.

    Only an owner in team mode may act on another person's changes; anyone else gets one
    sentence (:class:`team.AccessDenied`), shown by :func:`attempt` when called through it.
    """
    return _history_call("undo", whose)


def redo(whose: str | None = None) -> Any:
    """Redo the latest undone change of ``whose`` (default: the current coder); rules as :func:`undo`."""
    return _history_call("redo", whose)


def attempt(func: Callable[..., Any], *args, success: str | None = None, **kwargs) -> Any:
    """Run a library call; show a clear message instead of a traceback on failure.

    A refusal (:class:`applog.errors.TandemError`: ``QuantError``, ``CodingError``, ``ProjectError``,
    ``team.AccessDenied``...) is shown as its one sentence and not logged. Anything else, a library's
    bare ``ValueError`` included, is a bug: :func:`unexpected` shows one generic sentence and writes
    the traceback to the log (SQLite's "database is locked" is one sentence of its own). Returns
    ``None`` on failure, else the call's result (``True`` when the call returned ``None``).
    """
    try:
        result = func(*args, **kwargs)
    except TandemError as exc:
        st.error(store.mask_secrets(str(exc)))
        return None
    except Exception as exc:  # a page must never show a raw error (nor a password a driver error quotes)
        unexpected(exc)
        return None
    if success:
        st.success(success)
    return True if result is None else result


def unexpected(exc: BaseException) -> None:
    """Show an unexpected exception as one sentence naming its class and the log file, and write its
    traceback to the log (:func:`applog.log_unexpected`, logger ``ui``); with ``TANDEM_VERBOSE`` the
    page also shows the traceback. SQLite's "database is locked" is not a bug: its own sentence, no log."""
    if is_locked(exc):
        st.error(locked_sentence())
        return
    logged = applog.log_unexpected(exc, "ui")
    st.error(unexpected_sentence(exc, logged))
    if applog.verbose_from_env():  # the traceback as the log has it: passwords masked
        st.code(store.mask_secrets("".join(traceback.format_exception(exc))), language=None)


def write(func: Callable[..., Any], *args, success: str | None = None, **kwargs) -> Any:
    """Run ``func(session, *args, **kwargs)`` in a transaction and bump the revision.

    In team mode a viewer's write is refused at once with one sentence, and any other role's
    session refuses the statements the role may not run (see :func:`db`).
    """
    if team_mode() and not any(can(a) for a in team.ACTIONS if a not in ("read", "export")):
        st.error(_("A {role} may only read and export; ask an owner for the coder role.").format(
            role=_(_auth()["role"] or VISITOR)))
        return None

    def run():
        with db(writing=True) as session:
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
    """The open project for display: its file name, or ``host:port/database`` (never user or password)."""
    return store.display_name(project_path())


def simulated_banner() -> None:
    """Say, where outcomes are shown, that the project's outcomes are simulated (the demo)."""
    from store.summary import simulated_note

    note = read(simulated_note)
    if note:
        st.warning(_("Outcomes in this project are SIMULATED: {note}").format(note=note), icon=":material/science:")
