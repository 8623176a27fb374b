"""What every command shares: the one-sentence error, the project for one command, and
writing an output file completely or not at all."""
from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from applog.errors import TandemError
from applog.program import command_name
from i18n import _

__all__ = ["EXIT_ERROR", "CliError", "project", "session", "check_out", "atomic_out", "display_width", "ljust",
           "rjust", "frame_text"]

EXIT_ERROR = 1


class CliError(TandemError):
    """An error the user can fix; printed as one sentence (a :class:`applog.errors.TandemError`)."""


@contextmanager
def project(project: str, *, must_exist: bool = True) -> Iterator:
    """The project's engine for one command, disposed however the command ends."""
    import store

    if must_exist and store.is_empty(project):
        shown = store.mask_url(project)
        if store.is_url(project):
            raise CliError(_("The database {shown} holds no project yet; create it with "
                             "`{cli} new --project {shown}`.").format(shown=shown, cli=command_name()))
        raise CliError(_("Project file {shown} does not exist; create it with "
                         "`{cli} new --project {shown}`.").format(shown=shown, cli=command_name()))
    engine = store.connect(project, create=not must_exist)
    try:
        yield engine
    finally:
        engine.dispose()
    

@contextmanager
def session(project_: str, *, must_exist: bool = True) -> Iterator:
    """One transaction on the project (committed when the block ends normally)."""
    import store

    with project(project_, must_exist=must_exist) as engine, store.session_scope(engine) as s:
        yield s


def check_out(out: Path, force: bool) -> None:
    """Refuse an output path that cannot be written, or that exists without --force (one sentence)."""
    if out.is_dir():
        raise CliError(_("{out} is a folder; give a file name for the output.").format(out=out))
    if not out.parent.is_dir():
        raise CliError(_("The folder {folder} does not exist; create it first.").format(folder=out.parent))
    if out.exists() and not force:
        raise CliError(_("{out} already exists; pass --force to replace it.").format(out=out))


@contextmanager
def atomic_out(out: Path, force: bool) -> Iterator[Path]:
    """A temporary path beside ``out`` (same suffix) to write to; moved onto ``out`` when the block
    ends normally, removed otherwise, so an error half way leaves no half-written file."""
    import secrets

    tmp = out.parent / f".{out.stem}.{os.getpid()}-{secrets.token_hex(4)}.tmp{out.suffix}"
    try:
        yield tmp
        check_out(out, force)  # it may have appeared while the report was drafted
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


# --- text tables aligned for Chinese: a CJK character takes two terminal columns --------------------

def display_width(text: object) -> int:
    """Terminal columns ``str(text)`` takes: 2 for a wide or full-width character (Unicode East Asian
    Width W or F, UAX #11: 汉字, full-width punctuation such as ，), 0 for a combining mark or a
    zero-width character (format characters, category Cf), 1 for any other."""
    width = 0
    for ch in str(text):
        if unicodedata.combining(ch) or unicodedata.category(ch) == "Cf":
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def ljust(text: object, width: int) -> str:
    """``str(text)`` padded with spaces on the right to ``width`` terminal columns (see :func:`display_width`)."""
    text = str(text)
    return text + " " * max(0, width - display_width(text))


def rjust(text: object, width: int) -> str:
    """``str(text)`` padded with spaces on the left to ``width`` terminal columns."""
    text = str(text)
    return " " * max(0, width - display_width(text)) + text


def frame_text(frame, **kwargs) -> str:
    """``frame.to_string(**kwargs)`` with columns aligned by display width (pandas' option
    ``display.unicode.east_asian_width``), so names such as 广州市 line up with Latin text."""
    import pandas as pd

    with pd.option_context("display.unicode.east_asian_width", True):
        return frame.to_string(**kwargs)
