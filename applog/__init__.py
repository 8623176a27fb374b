"""Logging for Tandem: one standard ``logging`` logger per package, a log file per user.

Library modules log through their package's logger (``logging.getLogger("coding")`` — the name
of the top-level package — or ``logging.getLogger(__name__)``, a child of it) and never configure
logging themselves: importing Tandem as a library leaves the application's logging alone. The
command line (``cli.py``) and the workbench (``workbench.py``) call :func:`setup`, which writes
INFO and above of Tandem's packages to ``user_data_dir()/logs/tandem.log`` (rotated at 1 MB, three
old files kept) and, with ``verbose=True``, DEBUG and above to standard error as well. An
unexpected exception is written there with its traceback by :func:`log_unexpected`, while the user
sees one sentence that names the file (:func:`applog.errors.unexpected_sentence`). A refusal, an
:class:`applog.errors.TandemError` (the base of every package's error class), is not unexpected: its
own sentence is shown and nothing is logged. Messages never hold passwords: URLs are masked by the
callers (``store.mask_url``) before they are logged, and :class:`_MaskSecrets` masks any
``scheme://user:password@`` that slips through, tracebacks included.
"""
from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

from applog.masking import mask_secrets

__all__ = ["PACKAGES", "user_data_dir", "log_file", "setup", "ensure_setup", "verbose_from_env", "log_unexpected"]

#: Tandem's top-level packages: each has its own logger of the same name.
PACKAGES = ("assist", "cli", "coding", "commands", "corpus", "data", "i18n", "mixed", "quant", "report", "store",
            "team", "ui", "workbench")
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_HANDLERS: dict[str, logging.Handler] = {}


def user_data_dir() -> Path:
    """Tandem's per-user data folder: ``$TANDEM_HOME`` if set, else the platform's usual place.

    Linux and other Unix: ``$XDG_DATA_HOME/tandem`` (default ``~/.local/share/tandem``);
    macOS: ``~/Library/Application Support/Tandem``; Windows: ``%LOCALAPPDATA%\\Tandem``.
    """
    home = os.environ.get("TANDEM_HOME")
    if home:
        return Path(home).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "Tandem"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "Tandem"
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "tandem"


def log_file() -> Path:
    """The log file: ``user_data_dir() / "logs" / "tandem.log"`` (its folder is created by :func:`setup`)."""
    return user_data_dir() / "logs" / "tandem.log"


class _MaskSecrets(logging.Formatter):
    """Formats as ``_FORMAT`` and replaces every secret in the whole text (message and traceback) by
    ``***`` (:func:`applog.masking.mask_secrets`)."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_secrets(super().format(record))


def setup(verbose: bool = False) -> Path | None:
    """Send Tandem's packages' log records to the log file (INFO and above) and, when ``verbose``, to
    standard error (DEBUG and above). Called again, it replaces its own handlers (never duplicates).

    Returns
    -------
    Path or None
        The log file, or None when the data folder cannot be written (logging then goes to standard
        error only at WARNING and above; Tandem still runs).
    """
    for handler in _HANDLERS.values():
        for name in PACKAGES:
            logging.getLogger(name).removeHandler(handler)
        handler.close()
    _HANDLERS.clear()
    path: Path | None = log_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        file_handler: logging.Handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3,
                                                                             encoding="utf-8")
        file_handler.setLevel(logging.INFO)
    except OSError:
        path, file_handler = None, logging.StreamHandler(sys.stderr)
        file_handler.setLevel(logging.WARNING)
    _HANDLERS["file"] = file_handler
    if verbose:
        echo = logging.StreamHandler(sys.stderr)
        echo.setLevel(logging.DEBUG)
        _HANDLERS["stderr"] = echo
    for handler in _HANDLERS.values():
        handler.setFormatter(_MaskSecrets(_FORMAT))
    for name in PACKAGES:
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG if verbose else logging.INFO)
        for handler in _HANDLERS.values():
            logger.addHandler(handler)
    return path


def verbose_from_env() -> bool:
    """Whether ``TANDEM_VERBOSE`` asks for verbose logging (``1``, ``true``, ``yes``, ``on``): the workbench's
    equivalent of the command line's ``--verbose`` (it also shows the traceback on the page)."""
    return os.environ.get("TANDEM_VERBOSE", "").strip().lower() in {"1", "true", "yes", "on"}


def ensure_setup(verbose: bool = False) -> Path | None:
    """:func:`setup` unless it already ran with the same ``verbose`` in this process (the workbench's
    script runs again on every interaction); returns the log file."""
    if _HANDLERS and ("stderr" in _HANDLERS) == verbose:
        handler = _HANDLERS.get("file")
        return Path(handler.baseFilename) if isinstance(handler, logging.FileHandler) else None
    return setup(verbose)


def log_unexpected(exc: BaseException, where: str) -> Path | None:
    """Write ``exc`` with its traceback to the log (logger ``where``, e.g. ``"cli"``); returns the log
    file (None when there is none), for the one sentence the user sees."""
    logging.getLogger(where).error("unexpected %s: %s", exc.__class__.__name__, exc, exc_info=exc)
    handler = _HANDLERS.get("file")
    return Path(handler.baseFilename) if isinstance(handler, logging.FileHandler) else None
