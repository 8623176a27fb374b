"""Commands of the drafts group: ``report`` writes a report draft from saved runs.

``report --project P [--runs A,B,C] --out FILE.{md,html,docx} [--force]`` drafts from the named
runs (one per dimension), or by default the latest run of each dimension; a dimension without a
run is skipped with one line saying how to save one. Nothing is refitted: the estimates in the
draft are the saved run's, and a run whose data changed since it was fitted is flagged in the
draft and on the terminal. The file is written completely or not at all (``atomic_out``), and an
existing file is only replaced with ``--force``. Figures are embedded (HTML, DOCX) or written
as PNG files into ``FILE_files/`` beside a Markdown draft; ``--no-figures`` leaves them out.
``--language zh`` writes the draft in 简体中文 (``report.options.ReportOptions.language``).
"""
from __future__ import annotations

from pathlib import Path

from commands.common import CliError, atomic_out, check_out, session
from i18n import _

__all__ = ["register", "cmd_report", "parse_run_names"]

_SUFFIXES = (".md", ".markdown", ".html", ".htm", ".docx")


def register(add) -> None:
    """Add the ``report`` command."""
    p = add("report", cmd_report, _("Write a report draft from saved runs (default: the latest run of each "
            "dimension); never refits a model."))
    p.add_argument("--runs", default=None, metavar="A,B,C",
                   help=_("names of the runs to report, one per dimension, separated by commas "
                        "(default: the latest run of each dimension)"))
    p.add_argument("--out", required=True, help=_("FILE.md, FILE.html or FILE.docx; written completely or not at "
                   "all, and an existing file is never replaced without --force"))
    p.add_argument("--force", action="store_true", help=_("replace FILE if it exists"))
    p.add_argument("--no-figures", action="store_true",
                   help=_("leave out the figures (coefficient plot, residual plots, maps of deviant pairs), "
                        "which take seconds to render; a .md draft otherwise writes them into FILE_files/"))
    p.add_argument("--language", choices=("en", "zh"), default="en",
                   help=_("language of the draft (default en, whatever the interface language); zh writes it in "
                        "简体中文 with the sections of a Chinese social-science paper"))


def parse_run_names(text: str | None) -> list[str] | None:
    """``"A, B,C"`` → ``["A", "B", "C"]``; None stays None (the latest runs).

    Raises
    ------
    CliError
        An empty list or an empty name.
    """
    if text is None:
        return None
    names = [part.strip() for part in text.split(",")]
    if not names or any(not n for n in names):
        raise CliError(_("--runs '{text}' is not a list of run names separated by commas (e.g. --runs A,B,C).")
                       .format(text=text))
    return names


def _language(args) -> dict:
    """``{"language": "zh"}`` for ``--language zh``; nothing for English (the default draft)."""
    lang = getattr(args, "language", "en") or "en"
    return {} if lang == "en" else {"language": lang}


def cmd_report(args) -> str:
    import report.draft  # looked up at call time, so a test can replace report.draft.write
    from report.run_sections import load_runset

    out = Path(args.out)
    if out.suffix.lower() not in _SUFFIXES:
        raise CliError(_("{file}: the report is written as .md, .html or .docx.").format(file=out.name))
    check_out(out, args.force)
    names = parse_run_names(args.runs)
    with session(args.project) as s:
        runset = load_runset(s, names)
        with atomic_out(out, args.force) as tmp:
            report.draft.write(s, runset, tmp, assets=f"{out.stem}_files",
                               figures=not getattr(args, "no_figures", False), **_language(args))
        from quant.runs import saved as qruns

        lines = []
        for dim, run in runset.runs.items():
            status = qruns.run_status(s, run.info.id)
            lines.append("  " + _("{dimension}: run '{name}' ({model}, n = {n:,}, fingerprint {fingerprint}, saved "
                                  "{when} UTC)").format(dimension=dim, name=run.info.name, model=run.info.model,
                                                        n=run.info.n, fingerprint=run.info.fingerprint[:12],
                                                        when=f"{run.info.created:%Y-%m-%d %H:%M}")
                         + ("\n    " + _("stale: {message}").format(message=status["message"])
                            if status["stale"] else ""))
    lines += ["  " + _("skipped {what}").format(what=line.replace("--project P", "--project " + args.project))
              for line in runset.skipped]
    head = _("Wrote {out} ({size:,} bytes) from {n} saved run(s).").format(out=out, size=out.stat().st_size,
                                                                          n=len(runset))
    return "\n".join([head] + lines)
