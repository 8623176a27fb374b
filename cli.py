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
import sys
from pathlib import Path

from commands.common import EXIT_ERROR, CliError
from commands.common import project as _project, session as _session


def cmd_new(args) -> str:
    import coding
    import store

    shown = store.mask_url(args.project)
    if not store.is_empty(args.project):
        raise CliError(f"The database {shown} already holds tables; a new project needs an empty database."
                       if store.is_url(args.project) else f"{shown} already exists; choose another file name.")
    url = store.is_url(args.project)
    name = store.display_name(args.project).rpartition("/")[2] if url else Path(args.project).stem
    with _session(args.project, must_exist=False) as s:
        s.add(store.ProjectInfo(key="name", value=name))
        coding.ensure_default_codebook(s)
    return f"Created empty project {shown} with the default codebook."


def cmd_demo(args) -> str:
    """Atomic: a file is built beside the target and moved into place when complete; a server
    database is filled in one transaction (data.demo.build.build_demo)."""
    import store
    from data.demo.build import build_demo

    summary = build_demo(args.project)
    parts = ", ".join(f"{v} {k}" for k, v in summary.items() if isinstance(v, int))
    return f"Built the demo project into {store.mask_url(args.project)}: {parts}."


def cmd_import(args) -> str:
    import coding
    import corpus
    import store

    refused = []
    with _project(args.project) as engine:
        for path in [Path(f) for f in args.files]:
            try:
                with store.session_scope(engine) as s:  # one transaction per file: all or nothing
                    result = corpus.import_document(s, path, kind=args.kind, language=args.language,
                                                    clean_transcript=args.clean_transcript)
                    coding.record_import(s, result.document_id, coder=args.coder)
            except Exception as exc:  # noqa: BLE001 - reported per file; the batch goes on
                reason = str(exc).strip() or exc.__class__.__name__
                if not isinstance(exc, (ValueError, OSError)):
                    reason = f"{exc.__class__.__name__}: {reason.splitlines()[0]}"
                refused.append(_shown(path.name))
                line = f"refused {reason}" if reason.startswith(f"{path.name}:") else f"refused {path}: {reason}"
                print(_shown(store.mask_secrets(line)), file=sys.stderr, flush=True)
                continue
            print(f"imported {_shown(str(path))}: {result.n_chars} characters, {result.language}, {result.n_paragraphs} "
                  f"paragraphs, {result.n_sentences} sentences, {result.n_mentions} place mentions"
                  + (f" (warnings: {'; '.join(result.warnings)})" if result.warnings else ""), flush=True)
            if result.cleaning:
                print(_shown(result.cleaning["summary"]), flush=True)
    n = len(args.files)
    if refused:
        raise CliError(f"{len(refused)} of {n} file(s) refused ({', '.join(refused)}), "
                       f"{n - len(refused)} imported.")
    return f"Imported {n} file(s)."


def cmd_cities(args) -> str:
    from quant.loading import load_cities

    with _session(args.project) as s:
        loaded = load_cities(s, Path(args.file), id_column=args.id)
    note = " (no name column: ids used as names)" if loaded.named_by_id else ""
    return f"Loaded {loaded.n} cities with {loaded.n_columns} columns from {args.file}{note}."


def cmd_users(args) -> str:
    from team.cli import run

    with _session(args.project) as s:
        return run(s, args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python cli.py", description="Tandem: mixed-methods workbench for dyads.")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, func, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--project", required=True, help="project file (SQLite) or database URL")
        p.set_defaults(func=func)
        return p

    add("new", cmd_new, "Create an empty project file with the default codebook.")
    add("demo", cmd_demo, "Build the demo project (simulated outcomes, illustrative corpus) into a new file or an "
        "empty database; all or nothing, and an interrupted build leaves nothing behind.")
    p = add("import", cmd_import, "Import documents (.txt .md .docx .odt .rtf .pdf .html). Each file is imported on "
            "its own, all or nothing: a refused file is reported with the reason and leaves no trace, the other files "
            "are still imported, and the exit status is 1 if any file was refused.")
    p.add_argument("--kind", default="interview", choices=["interview", "field note", "policy"])
    p.add_argument("--language", default=None, choices=["zh", "en"], help="default: detected from the script")
    p.add_argument("--coder", default="researcher", help="who imports (event log, undo)")
    p.add_argument("--clean-transcript", action="store_true",
                   help="remove line numbers, page markers and running headers/footers, and join hard-wrapped "
                        "lines into utterances at speaker labels (Q:, 访谈者：...); prints what was removed")
    p.add_argument("files", nargs="+")
    p = add("cities", cmd_cities, "Load a city (node) table: CSV or XLSX keyed by adcode, name or --id column.")
    p.add_argument("--id", default=None, help="column holding node ids (any units); default: adcode or names")
    p.add_argument("file")
    from commands import dyads as _dyads, fit as _fit

    _dyads.register(add)
    _fit.register(add)
    from commands import register_all

    register_all(add)
    p = add("users", cmd_users, "Manage who may log in to a team workbench: list, add, passwd, role, remove; "
            "`mode on|off` sets the project's own team mode. Passwords are typed (never given as arguments).")
    from team.cli import add_arguments as users_arguments

    users_arguments(p)
    p.allow_abbrev = False  # `--pass=…` must not be guessed at, nor echoed in an "ambiguous" error
    p.error = _quiet_error(p)
    return parser


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
            message = ("unrecognized or misplaced arguments (not shown: they may hold a password); passwords are "
                       "typed when asked, or piped with --password-stdin")
        parser.print_usage(sys.stderr)
        parser.exit(2, f"{parser.prog}: error: {message}\n")
    return error


def main(argv: list[str] | None = None) -> int:
    import i18n

    i18n.set_language(i18n.from_environment())  # messages follow LANG / LC_ALL / LANGUAGE, as gettext does
    parser = build_parser()
    given = sys.argv[1:] if argv is None else list(argv)
    if given[:1] == ["users"]:  # extra arguments are reported by the top-level parser
        parser.error = _quiet_error(parser)
    args = parser.parse_args(argv)
    from store.urls import mask_secrets  # never print a password, whatever the error quotes

    try:
        message = args.func(args)
    except (CliError, ValueError, OSError) as exc:
        text = str(exc).strip() or exc.__class__.__name__
        print(f"error: {_shown(mask_secrets(text))}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # store/SQL errors: still one sentence, never a traceback
        orig = getattr(exc, "orig", None) or exc  # SQLAlchemy wraps the driver's error
        first = next((ln.strip() for ln in str(orig).splitlines() if ln.strip()), "")
        print(f"error: {mask_secrets(f'{orig.__class__.__name__}: {first}'.rstrip(': '))}", file=sys.stderr)
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
