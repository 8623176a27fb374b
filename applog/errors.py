"""The one base class of Tandem's expected errors: a refusal carrying one sentence for the user.

Every package's error class (``store.ProjectError``, ``corpus.CorpusError``, ``coding.CodingError``,
``quant.QuantError``, ``mixed.MixedError``, ``report.ReportError``, ``assist.AssistError``,
``team.TeamError``, ``commands.common.CliError``, ...) derives from :class:`TandemError`. The command
line and the workbench show a ``TandemError``'s message as it is (it is the user's to act on) and log
nothing; any other exception, a bare ``ValueError`` from pandas or numpy included, is a bug: the user
sees one generic sentence and the traceback goes to the log (:func:`applog.log_unexpected`).

``TandemError`` keeps ``ValueError`` as its base so that callers and tests written against
``ValueError`` keep working. It imports nothing from Tandem (``applog`` lies beneath ``store``).
"""
from __future__ import annotations

__all__ = ["TandemError", "is_expected", "is_locked", "locked_sentence", "unexpected_sentence"]


class TandemError(ValueError):
    """Bad input or a missing precondition, refused before anything is written: ``str(exc)`` is one
    sentence naming the value and the reason, in the interface language, fit to show the user."""


def is_expected(exc: BaseException) -> bool:
    """Whether ``exc`` is a refusal to show as it is (a :class:`TandemError`), not a bug to log."""
    return isinstance(exc, TandemError)


def is_locked(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite's "database is locked" (another process held the write lock past the
    busy timeout; SQLAlchemy wraps the driver's error in ``.orig``): not a bug, one sentence for the user."""
    orig = getattr(exc, "orig", None) or exc
    first = next((line.strip() for line in str(orig).splitlines() if line.strip()), "")
    return "database is locked" in first


def locked_sentence() -> str:
    """The sentence for :func:`is_locked`, in the current language: nothing of this action was written."""
    from i18n import _

    return _("Another program is writing to this project (for example embedding or importing); nothing was "
             "changed by this command: run it again when the other one has finished.")


def unexpected_sentence(exc: BaseException, log: object | None) -> str:
    """The one sentence the user sees for an unexpected exception (a bug, not their input): it names the
    exception's class, never its message (which may quote internals), and the log file holding the
    traceback (``log`` from :func:`applog.log_unexpected`; None when there is no log file)."""
    from i18n import _

    if log is None:
        return _("An unexpected error ({error}) stopped this, probably a fault in Tandem rather than in your "
                 "input; run it again with verbose logging (--verbose, TANDEM_VERBOSE=1) to see the details.").format(
            error=exc.__class__.__name__)
    return _("An unexpected error ({error}) stopped this, probably a fault in Tandem rather than in your input; "
             "the details are written to {log}: please include that file when you report it.").format(
        error=exc.__class__.__name__, log=log)
