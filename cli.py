"""Tandem on the command line: whole analyses can be rerun and scripted.

    python cli.py new     --project P
    python cli.py demo    --project P
    python cli.py import  --project P [--kind K] [--language L] FILE...
    python cli.py cities  --project P [--id COLUMN] FILE
    python cli.py dyads   --project P [--a COLUMN --b COLUMN] [--aggregate HOW] FILE
    python cli.py dyads   --project P FILE_OF_AGREEMENTS [--outcome NAME] [--replace]
    python cli.py dyads   --project P --build [--op sum:VARIABLE ...]
    python cli.py fit     --project P [--dimension D] [--model M] [--formula F] [--se T] [--json]
    python cli.py report  --project P --out FILE.{md,html}

Errors go to stderr as one sentence, with exit status 1 (2 for usage errors).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_ERROR = 1


class CliError(Exception):
    """An error the user can fix; printed as one sentence."""


def _engine(project: str, *, must_exist: bool = True):
    import store

    if must_exist and "://" not in project and not Path(project).exists():
        raise CliError(f"Project file {project} does not exist; create it with `python cli.py new --project {project}`.")
    return store.connect(project, create=not must_exist)


def cmd_new(args) -> str:
    path = Path(args.project)
    if path.exists():
        raise CliError(f"{path} already exists; choose another file name.")
    import coding
    import store

    engine = _engine(args.project, must_exist=False)
    with store.session_scope(engine) as s:
        s.add(store.ProjectInfo(key="name", value=path.stem))
        coding.ensure_default_codebook(s)
    engine.dispose()
    return f"Created empty project {path} with the default codebook."


def cmd_demo(args) -> str:
    from data.demo.build import build_demo

    path = Path(args.project)
    if path.exists():
        raise CliError(f"{path} already exists; the demo is built into a new file.")
    summary = build_demo(path)
    parts = ", ".join(f"{v} {k}" for k, v in summary.items() if isinstance(v, int))
    return f"Built the demo project into {path}: {parts}."


def cmd_import(args) -> str:
    import coding
    import corpus
    import store

    engine = _engine(args.project)
    lines = []
    for path in [Path(f) for f in args.files]:
        with store.session_scope(engine) as s:  # one transaction per file: all or nothing
            result = corpus.import_document(s, path, kind=args.kind, language=args.language)
            coding.record_import(s, result.document_id, coder=args.coder)
        lines.append(
            f"{result.name}: {result.n_chars} characters, {result.language}, {result.n_paragraphs} paragraphs, "
            f"{result.n_sentences} sentences, {result.n_mentions} place mentions"
            + (f" (warnings: {'; '.join(result.warnings)})" if result.warnings else "")
        )
    engine.dispose()
    return "\n".join(lines)


def cmd_cities(args) -> str:
    import store
    from quant import data as qdata
    from quant.cities import load_city_table

    engine = _engine(args.project)
    with store.session_scope(engine) as s:
        resolver = None
        if args.id is None and qdata.city_frame(s).shape[0]:
            resolver = qdata.city_resolver(s)
        table = load_city_table(Path(args.file), id_column=args.id, resolver=resolver)
        n = qdata.save_cities(s, table)
    engine.dispose()
    return f"Loaded {n} cities with {table.shape[1] - 1} columns from {args.file}."


def _parse_ops(values: list[str] | None) -> dict[str, list[str]]:
    ops: dict[str, list[str]] = {}
    for item in values or []:
        op, sep, var = item.partition(":")
        if not sep or not var:
            raise CliError(f"--op '{item}' is not OP:VARIABLE (e.g. sum:pop_2020).")
        ops.setdefault(op, []).append(var)
    return ops


def cmd_dyads(args) -> str:
    import store
    from quant import data as qdata
    from quant.agreements import fold_agreements
    from quant.cities import read_table
    from quant.dyads import build_dyads, read_dyad_table
    from quant.outcomes import save_agreement_outcome

    engine = _engine(args.project)
    with store.session_scope(engine) as s:
        if args.build:
            if args.file:
                raise CliError("--build makes every pair from the city table; give no FILE with it.")
            cities = qdata.city_frame(s)
            if cities.empty:
                raise CliError("The project has no cities; load a city table first.")
            table = build_dyads(cities, id_col="code", ops=_parse_ops(args.op) or None)
            n = qdata.save_dyads(s, table)
            notes = table.attrs.get("warnings", [])
            msg = f"Built {n:,} dyads from {len(cities)} cities with {table.shape[1] - 2} covariates."
            msg += "".join(f"\n  warning: {w}" for w in notes)
        elif not args.file:
            raise CliError("Give a dyad table FILE, or --build to make every pair from the city table.")
        else:
            resolver = qdata.city_resolver(s) if args.ids == "names" else None
            raw = read_table(Path(args.file))
            if args.a is None and {"party_a_unit", "party_b_unit"} <= set(raw.columns):
                folded, report = fold_agreements(raw, resolver)
                out = save_agreement_outcome(s, folded, outcome=args.outcome, replace=args.replace)
                msg = (f"Folded {len(raw)} agreement rows into {out['n_connected']} prefecture dyads; "
                       f"'{args.outcome}' is 1 for them and 0 for the other {out['n_pairs'] - out['n_connected']:,} "
                       f"pairs; {len(report)} rows were set aside:")
                msg += "".join(f"\n  {r.get('event_id', '')}: {r.get('reason', '')}" for r in report.to_dict("records"))
            else:
                if args.a is None or args.b is None:
                    raise CliError("Name the two city columns with --a and --b.")
                dyads = read_dyad_table(raw, args.a, args.b, resolver=resolver, aggregate=args.aggregate)
                n = qdata.save_dyads(s, dyads)
                msg = f"Loaded {n} dyads from {args.file}."
    engine.dispose()
    return msg


def cmd_fit(args) -> str:
    import store
    from quant.analysis import fit_dimension

    engine = _engine(args.project)
    se = tuple(args.se) if args.se else None
    with store.session_scope(engine) as s:
        result = fit_dimension(s, args.dimension, model=args.model, formula=args.formula, se=se)
    engine.dispose()
    if args.json:
        return json.dumps(result.to_dict(), ensure_ascii=False, indent=2)
    return result.summary_text()


def cmd_report(args) -> str:
    import store
    from quant.analysis import DIMENSIONS, fit_dimension
    from quant.errors import QuantError
    from report.draft import render

    out = Path(args.out)
    fmt = {".md": "md", ".html": "html", ".htm": "html"}.get(out.suffix.lower())
    if fmt is None:
        raise CliError(f"{out.name}: the report is written as .md or .html.")
    engine = _engine(args.project)
    results, skipped = {}, []
    with store.session_scope(engine) as s:
        for dim in DIMENSIONS:
            try:
                results[dim] = fit_dimension(s, dim)
            except QuantError as exc:
                skipped.append(f"{dim}: {exc}")
        text = render(s, results, fmt=fmt)
    engine.dispose()
    out.write_text(text, encoding="utf-8")
    note = "".join(f"\n  skipped {line}" for line in skipped)
    return f"Wrote {out} ({len(text):,} characters, {len(results)} dimensions).{note}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python cli.py", description="Tandem: mixed-methods workbench for dyads.")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, func, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--project", required=True, help="project file (SQLite) or database URL")
        p.set_defaults(func=func)
        return p

    add("new", cmd_new, "Create an empty project file with the default codebook.")
    add("demo", cmd_demo, "Build the demo project (simulated outcomes, illustrative corpus) into a new file.")
    p = add("import", cmd_import, "Import documents (.txt .md .docx .pdf .html).")
    p.add_argument("--kind", default="interview", choices=["interview", "field note", "policy"])
    p.add_argument("--language", default=None, choices=["zh", "en"], help="default: detected from the script")
    p.add_argument("--coder", default="researcher", help="who imports (event log, undo)")
    p.add_argument("files", nargs="+")
    p = add("cities", cmd_cities, "Load a city (node) table: CSV or XLSX keyed by adcode, name or --id column.")
    p.add_argument("--id", default=None, help="column holding node ids (any units); default: adcode or names")
    p.add_argument("file")
    p = add("dyads", cmd_dyads, "Load a dyad table (two city columns) or an agreement-events list, "
            "or --build every pair from the city table.")
    p.add_argument("--build", action="store_true", help="make all pairs of the project's cities with covariates")
    p.add_argument("--op", action="append", metavar="OP:VARIABLE",
                   help="with --build: a node-attribute construction (sum, absdiff, min, max, product, same, "
                        "both), e.g. --op sum:pop_2020; repeatable")
    p.add_argument("--outcome", default="connection",
                   help="for an agreement list: the 0/1 dyad variable to write (default: connection)")
    p.add_argument("--replace", action="store_true", help="overwrite dyad variables of the same name")
    p.add_argument("--a", default=None, help="column of the first city")
    p.add_argument("--b", default=None, help="column of the second city")
    p.add_argument("--ids", default="names", choices=["names", "raw"],
                   help="resolve city columns as names/adcodes (default) or keep raw ids")
    p.add_argument("--aggregate", default=None, choices=["sum", "max", "mean", "first"],
                   help="how to combine duplicate pairs (default: refuse them)")
    p.add_argument("file", nargs="?")
    p = add("fit", cmd_fit, "Fit the model of one collaboration dimension and print the table.")
    p.add_argument("--dimension", default="connection", choices=["breadth", "connection", "degree"])
    p.add_argument("--model", default=None,
                   choices=["logit", "probit", "poisson", "nb", "binomial", "ztnb", "nb_pos"])
    p.add_argument("--formula", default=None, help='patsy formula, e.g. "connection ~ log_gravity + same_province"')
    p.add_argument("--se", nargs="+", default=None, choices=["model", "hc0", "dyadic"],
                   help="standard-error types to compute (default: all that apply)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p = add("report", cmd_report, "Fit the three dimensions and write a report draft.")
    p.add_argument("--out", required=True, help="FILE.md or FILE.html")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        message = args.func(args)
    except (CliError, ValueError, OSError) as exc:
        text = str(exc).strip() or exc.__class__.__name__
        print(f"error: {text}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as exc:  # store/SQL errors: still one sentence, never a traceback
        print(f"error: {exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", file=sys.stderr)
        return EXIT_ERROR
    if message:
        print(message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
