"""Tandem on the command line: whole analyses can be rerun and scripted.

    python cli.py new     --project P
    python cli.py demo    --project P
    python cli.py import  --project P [--kind K] [--language L] [--clean-transcript] FILE...
    python cli.py cities  --project P [--id COLUMN] FILE
    python cli.py dyads   --project P [--a COLUMN --b COLUMN] [--aggregate HOW] FILE
    python cli.py dyads   --project P FILE_OF_AGREEMENTS [--outcome NAME] [--replace]
    python cli.py dyads   --project P --build [--op sum:VARIABLE ...]
    python cli.py fit     --project P [--dimension D] [--model M] [--formula F] [--se T...] [--json]
                          [--zero-formula F] [--small-sample nodes] [--pvalues t] [--spec NAME]
                          [--save-spec NAME] [--ame] [--standardized] [--vif] [--influence K]
                          [--compare NAME]
    python cli.py report  --project P [--runs A,B,C] --out FILE.{md,html,docx} [--force]   (commands/drafts.py)
    python cli.py users   list|add|passwd|role|remove --project P [--name N] [--role R] [--password-stdin]
    python cli.py users   mode on|off --project P

Errors go to stderr as one sentence, with exit status 1 (2 for usage errors).
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

import applog
from applog.program import command_name
from applog.errors import TandemError, is_locked, locked_sentence, unexpected_sentence
from commands.common import EXIT_ERROR, CliError
from i18n import N_, _
from commands.common import project as _project, session as _session


def cmd_new(args) -> str:
    import coding
    import store

    shown = store.mask_url(args.project)
    if not store.is_empty(args.project):
        raise CliError(_("The database {shown} already holds tables; a new project needs an empty database.")
                       .format(shown=shown) if store.is_url(args.project)
                       else _("{shown} already exists; choose another file name.").format(shown=shown))
    url = store.is_url(args.project)
    name = store.display_name(args.project).rpartition("/")[2] if url else Path(args.project).stem
    with _session(args.project, must_exist=False) as s:
        s.add(store.ProjectInfo(key="name", value=name))
        coding.ensure_default_codebook(s)
    return _("Created empty project {shown} with the default codebook.").format(shown=shown)


def cmd_demo(args) -> str:
    """Atomic: a file is built beside the target and moved into place when complete; a server
    database is filled in one transaction (data.demo.build.build_demo)."""
    import store
    from data.demo.build import build_demo

    summary = build_demo(args.project)
    parts = _(", ").join(_("{n} {what}").format(n=v, what=_(DEMO_PARTS.get(k, k)))
                         for k, v in summary.items() if isinstance(v, int))
    return _("Built the demo project into {project}: {parts}.").format(project=store.mask_url(args.project),
                                                                       parts=parts)


def _LOCKED() -> str:  # noqa: N802 - a sentence, looked up in the current language
    """The sentence for SQLite's "database is locked" (another process held the write lock past the
    busy timeout): nothing of this command was written (:func:`applog.errors.locked_sentence`)."""
    return locked_sentence()


def cmd_import(args) -> str:
    from sqlalchemy import select

    import coding
    import corpus
    import store
    from corpus.name_keys import name_key

    if args.name is not None and len(args.files) > 1:
        raise CliError(_("--name names one document; give one file with it (or leave --name out: each file is "
                         "named after itself)."))
    refused = []
    with _project(args.project) as engine:
        for path in [Path(f) for f in args.files]:
            try:
                with store.session_scope(engine) as s:  # one transaction per file: all or nothing
                    wanted = args.name if args.name is not None else path.stem
                    taken = next((other for other in s.scalars(select(store.Document.name))
                                  if name_key(other) == name_key(wanted)), None)
                    if taken is not None and path.is_file():  # the CLI's own way out, not the library's name=
                        raise CliError(_("{file}: a document named {taken!r} is already in the project; rename the "
                                         "file or import it under another name with --name NEW_NAME.").format(
                                             file=path.name, taken=taken))
                    result = corpus.import_document(s, path, name=args.name, kind=args.kind, language=args.language,
                                                    clean_transcript=args.clean_transcript)
                    coding.record_import(s, result.document_id, coder=args.coder)
            except Exception as exc:  # noqa: BLE001 - reported per file; the batch goes on
                reason = str(exc).strip() or exc.__class__.__name__
                if is_locked(exc):
                    reason = _LOCKED()
                elif not isinstance(exc, (TandemError, OSError)):  # a bug: the general sentence, traceback logged
                    reason = unexpected_sentence(exc, applog.log_unexpected(exc, "cli"))
                refused.append(_shown(path.name))
                own = reason.startswith((f"{path.name}:", f"{path.name}："))  # the reason names the file itself
                line = (_("refused {reason}").format(reason=reason) if own
                        else _("refused {path}: {reason}").format(path=path, reason=reason))
                print(_shown(store.mask_secrets(line)), file=sys.stderr, flush=True)
                continue
            print(_("imported {path}: {n_chars} characters, {language}, {n_paragraphs} paragraphs, {n_sentences} "
                    "sentences, {n_mentions} place mentions").format(
                      path=_shown(str(path)), n_chars=result.n_chars, language=result.language,
                      n_paragraphs=result.n_paragraphs, n_sentences=result.n_sentences,
                      n_mentions=result.n_mentions)
                  + (_(" (warnings: {warnings})").format(warnings="; ".join(result.warnings))
                     if result.warnings else ""), flush=True)
            if result.cleaning:
                print(_shown(result.cleaning["summary"]), flush=True)
    n = len(args.files)
    if refused:
        raise CliError(_("{refused} of {n} file(s) refused ({names}), {imported} imported.").format(
            refused=len(refused), n=n, names=", ".join(refused), imported=n - len(refused)))
    return _("Imported {n} file(s).").format(n=n)


def cmd_cities(args) -> str:
    from quant.data.loading import load_cities

    with _session(args.project) as s:
        loaded = load_cities(s, Path(args.file), id_column=args.id)
    if loaded.named_by_id:
        return _("Loaded {n} cities with {n_columns} columns from {file} (no name column: ids used as names).").format(
            n=loaded.n, n_columns=loaded.n_columns, file=args.file)
    return _("Loaded {n} cities with {n_columns} columns from {file}.").format(
        n=loaded.n, n_columns=loaded.n_columns, file=args.file)


def cmd_users(args) -> str:
    from team.cli import run

    with _session(args.project) as s:
        return run(s, args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=_program(), description=_("Tandem: mixed-methods workbench for dyads."),
                                     formatter_class=_HelpFormatter)
    verbose_help = _("also print the log (and the traceback of an unexpected error) on standard error; the log "
                     "file is {path}").format(path=applog.log_file())
    parser.add_argument("--verbose", action="store_true", help=verbose_help)
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, func, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text.replace("%%", "%"),  # help is %-formatted
                           formatter_class=_HelpFormatter)
        p.add_argument("--project", required=True, help=_("project file (SQLite) or database URL"))
        p.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS, help=verbose_help)
        p.set_defaults(func=func)
        return p

    add("new", cmd_new, _("Create an empty project file with the default codebook."))
    add("demo", cmd_demo, _("Build the demo project (simulated outcomes, illustrative corpus) into a new file or an "
        "empty database; all or nothing, and an interrupted build leaves nothing behind."))
    p = add("import", cmd_import, _("Import documents (.txt .md .docx .odt .rtf .pdf .html). Each file is imported on "
            "its own, all or nothing: a refused file is reported with the reason and leaves no trace, the other files "
            "are still imported, and the exit status is 1 if any file was refused."))
    p.add_argument("--kind", default="interview", choices=["interview", "field note", "policy"],
                   help=_("the kind of document: interview, field note or policy (default interview)"))
    p.add_argument("--language", default=None, choices=["zh", "en"], help=_("default: detected from the script"))
    p.add_argument("--coder", default="researcher", help=_("who imports (event log, undo)"))
    p.add_argument("--name", default=None, metavar="NAME",
                   help=_("the document's name in the project (one file only; default: the file name without its "
                          "extension)"))
    p.add_argument("--clean-transcript", action="store_true",
                   help=_("remove line numbers, page markers and running headers/footers, and join hard-wrapped "
                          "lines into utterances at speaker labels (Q:, 访谈者：...); prints what was removed"))
    p.add_argument("files", nargs="+", metavar="FILE", help=_("the documents to import"))
    p = add("cities", cmd_cities, _("Load a city (node) table: CSV or XLSX keyed by adcode, name or --id column."))
    p.add_argument("--id", default=None, help=_("column holding node ids (any units); default: adcode or names"))
    p.add_argument("file", help=_("the city table (.csv or .xlsx)"))
    from commands import dyads as _dyads, fit as _fit

    _dyads.register(add)
    _fit.register(add)
    from commands import register_all

    register_all(add)
    p = add("users", cmd_users, _("Manage who may log in to a team workbench: list, add, passwd, role, remove; "
            "`mode on|off` sets the project's own team mode. Passwords are typed (never given as arguments)."))
    from team.cli import add_arguments as users_arguments

    users_arguments(p)
    p.allow_abbrev = False  # `--pass=…` must not be guessed at, nor echoed in an "ambiguous" error
    p.error = _quiet_error(p)
    return parser


#: Counts in the demo build's summary (``data.demo.build.build_demo``), as shown.
DEMO_PARTS = {"cities": N_("cities"), "dyads": N_("dyads"), "connected_dyads": N_("connected dyads"),
              "codes": N_("codes"), "documents": N_("documents"), "codings": N_("codings"),
              "city_links": N_("links of passages to cities"), "dyad_links": N_("links of passages to pairs"),
              "memos": N_("memos")}

#: argparse's own messages (it translates them through gettext's ``argparse`` domain, which has no
#: Chinese catalogue): marked here so they are in Tandem's catalogue; ``_argparse_follows_language``
#: sends argparse's lookups to it. %-placeholders are argparse's and stay as they are.
ARGPARSE_MESSAGES = (
    N_("usage: "), N_("positional arguments"), N_("options"), N_("show this help message and exit"),
    N_("%(prog)s: error: %(message)s\n"), N_("the following arguments are required: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"), N_("unrecognized arguments: %s"),
    N_("expected one argument"), N_("expected at least one argument"), N_("argument %(argument_name)s: %(message)s"),
    N_("not allowed with argument %s"), N_("invalid %(type)s value: %(value)r"),
    N_("one of the arguments %s is required"), N_("ambiguous option: %(option)s could match %(matches)s"),
)


def _argparse_follows_language() -> None:
    """Make argparse's built-in texts (usage:, options, the help option, its error sentences) follow
    the current language: argparse looks them up through its module-level ``_``, which this points
    at Tandem's catalogue (English unchanged: a string without translation is itself)."""
    import i18n

    argparse._ = i18n._  # type: ignore[attr-defined]


_WIDE = re.compile(r"[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]")
_NO_LINE_START = set("，。；：、！？）》」』”’,.;:!?)]")
_NO_LINE_END = set("（《「『“‘([")


def _columns(text: str) -> int:
    """Terminal columns of ``text``: CJK characters take two."""
    return len(text) + len(_WIDE.findall(text))


def _wrap(text: str, width: int) -> list[str]:
    """``textwrap.wrap`` for text that may hold Chinese: lines at most ``width`` terminal columns,
    broken at spaces or between CJK characters (never before a closing punctuation mark nor after
    an opening one);
    pure ASCII text is wrapped exactly as ``textwrap`` does."""
    import textwrap

    text = " ".join(text.split())
    if not _WIDE.search(text):
        return textwrap.wrap(text, width)
    lines, line = [], ""
    for token in re.findall(r"\s+|" + _WIDE.pattern + r"|[^\s" + _WIDE.pattern[1:-1] + r"]+", text):
        if line and _columns(line + token) > width and token[0] not in _NO_LINE_START and not token.isspace():
            carried = ""
            while line and line[-1] in _NO_LINE_END:
                line, carried = line[:-1], line[-1] + carried
            lines.append(line.rstrip())
            line = carried
        if line or not token.isspace():
            line += token
    if line.strip():
        lines.append(line.rstrip())
    return lines


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's help layout with Chinese help texts wrapped by terminal columns, not characters."""

    def _split_lines(self, text, width):
        return _wrap(text, width)

    def _fill_text(self, text, width, indent):
        return "\n".join(indent + line for line in _wrap(text, width - len(indent)))


def _shown(text: str) -> str:
    """``text`` safe for one terminal line: line breaks, other control characters, invisible
    format characters and bidi overrides (which a file name may hold to fake output) are shown
    as escapes such as ``\\n`` or ``\\u202e``."""
    import unicodedata

    return "".join(ch.encode("unicode_escape").decode("ascii")
                   if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text)


def _quiet_error(parser: argparse.ArgumentParser):
    """A usage error that names no argument value: in `users`, a stray argument may be a password."""
    def error(message: str):
        if "argument" in message and ("unrecognized" in message or "ambiguous" in message
                                      or "expected" in message):
            message = _("unrecognized or misplaced arguments (not shown: they may hold a password); passwords are "
                        "typed when asked, or piped with --password-stdin")
        parser.print_usage(sys.stderr)
        parser.exit(2, _("%(prog)s: error: %(message)s\n") % {"prog": parser.prog, "message": message})
    return error


def _program() -> str:
    """How the user started Tandem (:func:`applog.program.command_name`)."""
    return command_name()


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit status (0, 1 for an error, 2 for a usage error: argparse
    exits). Messages follow LANG / LC_ALL / LC_MESSAGES / LANGUAGE as gettext does; the caller's
    interface language is restored afterwards (a test may call ``main`` in-process)."""
    import i18n

    with i18n.using(i18n.from_environment()):
        _argparse_follows_language()
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    given = sys.argv[1:] if argv is None else list(argv)
    if given[:1] == ["users"]:  # extra arguments are reported by the top-level parser
        parser.error = _quiet_error(parser)
    args = parser.parse_args(argv)

    applog.setup(verbose=bool(getattr(args, "verbose", False)))
    from store.urls import mask_secrets  # never print a password, whatever the error quotes

    try:
        message = args.func(args)
    except (TandemError, OSError) as exc:  # a refusal (or a file the system refused): the user's one sentence
        text = str(exc).strip() or exc.__class__.__name__
        print(_("error: {message}").format(message=_shown(mask_secrets(text))), file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # a bug (a library's bare ValueError included): one sentence; the traceback to the log
        if is_locked(exc):  # SQLite: another process held the write lock past the busy timeout
            print(_("error: {message}").format(message=_LOCKED()), file=sys.stderr)
            return EXIT_ERROR
        logged = applog.log_unexpected(exc, "cli")
        print(_("error: {message}").format(message=unexpected_sentence(exc, logged)), file=sys.stderr)
        return EXIT_ERROR
    if message:
        try:
            print(mask_secrets(message))
            sys.stdout.flush()
        except BrokenPipeError:  # e.g. `... --json | head`: the reader left; not an error of ours
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
