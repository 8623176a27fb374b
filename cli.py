"""Tandem on the command line: whole analyses can be rerun and scripted.

    python cli.py new     --project P
    python cli.py demo    --project P
    python cli.py import  --project P [--kind K] [--language L] FILE...
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
import json
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
                    result = corpus.import_document(s, path, kind=args.kind, language=args.language)
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


def _parse_ops(values: list[str] | None) -> dict[str, list[str]]:
    ops: dict[str, list[str]] = {}
    for item in values or []:
        op, sep, var = item.partition(":")
        if not sep or not var:
            raise CliError(f"--op '{item}' is not OP:VARIABLE (e.g. sum:pop_2020).")
        ops.setdefault(op, []).append(var)
    return ops


def cmd_dyads(args) -> str:
    from quant.cities import read_table
    from quant.loading import build_all_dyads, is_agreement_list, load_dyads

    if args.build and args.file:
        raise CliError("--build makes every pair from the city table; give no FILE with it.")
    if not args.build and not args.file:
        raise CliError("Give a dyad table FILE, or --build to make every pair from the city table.")
    raw = None if args.build else read_table(Path(args.file))
    if raw is not None and not is_agreement_list(raw) and (args.a is None or args.b is None):
        raise CliError("Name the two city columns with --a and --b.")
    with _session(args.project) as s:
        if args.build:
            out = build_all_dyads(s, _parse_ops(args.op))
        else:
            out = load_dyads(s, raw, a=args.a, b=args.b, resolve=args.ids == "names",
                             aggregate=args.aggregate, outcome=args.outcome, replace=args.replace)
    if out.kind == "built":
        msg = f"Built {out.n:,} dyads from {out.n_cities} cities with {out.n_covariates} covariates."
        msg += "".join(f"\n  warning: {w}" for w in out.warnings)
    elif out.kind == "agreements":
        msg = (f"Folded {len(raw)} agreement rows into {out.n} prefecture dyads; "
               f"'{args.outcome}' is 1 for them and 0 for the other {out.n_pairs - out.n:,} "
               f"pairs; {len(out.report)} rows were set aside:")
        msg += "".join(f"\n  {r.get('event_id', '')}: {r.get('reason', '')}" for r in out.report.to_dict("records"))
    else:
        msg = f"Loaded {out.n} dyads from {args.file}."
    return msg


def _fit_extras(args, md, result) -> dict:
    """The inference the user asked for (AME, standardised coefficients, VIF, influence)."""
    from quant.inference import standardized, vif
    import numpy as np

    from quant.influence import city_influence
    from quant.margins import average_marginal_effects

    extras: dict = {}
    if args.ame:
        ame = average_marginal_effects(result, md.data)
        extras["ame"] = {"scale": ame.attrs["scale"], "se_label": ame.attrs["se_label"],
                         "table": ame.reset_index().to_dict("records")}
    if args.standardized:
        extras["standardized"] = standardized(result, md.data).reset_index().to_dict("records")
    if args.vif:
        extras["vif"] = vif(result, md.data).reset_index().to_dict("records")
    if args.influence is not None:
        inf = city_influence(result, md.data, n_exact=args.influence)
        extras["influence"] = {"se_type": inf.se_type, "notes": inf.notes,
                               "top": inf.table.head(max(args.influence, 10)).to_dict("records")}
        if args.influence == -1:  # every city refitted: the node-jackknife covariance and its SEs
            jack = inf.jackknife_cov
            extras["influence"]["jackknife"] = None if jack is None else {
                "terms": list(inf.terms), "cov": jack.tolist(),
                "se": dict(zip(inf.terms, np.sqrt(np.clip(np.diag(jack), 0, None)).tolist()))}
    return extras


def _compare(s, args, result) -> dict:
    from quant.inference import lr_test, wald_nested
    from quant.specs import fit_spec

    other = fit_spec(s, args.compare)
    small, big = (other, result) if len(other.params) < len(result.params) else (result, other)
    return {"against": args.compare,
            "tests": [t.__dict__ | {"sentence": t.sentence()} for t in (lr_test(small, big), wald_nested(small, big))]}


def _extras_text(extras: dict) -> str:
    import pandas as pd

    lines = []
    if "ame" in extras:
        table = pd.DataFrame(extras["ame"]["table"]).set_index("term")
        lines += ["", f"Average marginal effects on {extras['ame']['scale']} (SE: {extras['ame']['se_label']})",
                  table.to_string(float_format=lambda v: f"{v:.5g}")]
    if "standardized" in extras:
        lines += ["", "Standardised coefficients (per SD of x)",
                  pd.DataFrame(extras["standardized"]).set_index("term").to_string(float_format=lambda v: f"{v:.5g}")]
    if "vif" in extras:
        lines += ["", "Variance inflation factors",
                  pd.DataFrame(extras["vif"]).set_index("term").to_string(float_format=lambda v: f"{v:.4g}")]
    if "influence" in extras:
        top = pd.DataFrame(extras["influence"]["top"])
        lines += ["", f"Delete-a-city influence (one-step, exact refits for the top cities; SE: {extras['influence']['se_type']})",
                  top.to_string(index=False, float_format=lambda v: f"{v:.4g}")]
        lines += [f"note: {n}" for n in extras["influence"]["notes"]]
        if "jackknife" in extras["influence"]:
            jack = extras["influence"]["jackknife"]
            if jack is None:
                lines += ["No node-jackknife covariance: some refits failed (see the notes)."]
            else:
                lines += ["", "Node-jackknife standard errors (every city left out once; (N-1)/N scaling)"]
                lines += [f"  {t:<24} {se:.5g}" for t, se in jack["se"].items()]
    if "compare" in extras:
        lines += ["", f"Nested tests against '{extras['compare']['against']}':"]
        lines += [f"  {t['sentence']}" for t in extras["compare"]["tests"]]
    return "\n".join(lines)


def cmd_fit(args) -> str:
    from quant.analysis import fit_prepared, model_data
    from quant.results import _json_value
    from quant.specs import load_spec, save_spec, spec_fit_kwargs

    if args.replace_run and args.save is None:
        raise CliError("--replace-run goes with --save NAME.")
    options = {"se": tuple(args.se) if args.se else None, "small_sample": args.small_sample, "psd": args.psd,
               "conservative": args.conservative, "pvalues": args.pvalues}
    with _session(args.project) as s:
        if args.spec:
            if args.formula or args.model or args.zero_formula or args.dimension:
                raise CliError("--spec fits a saved specification as saved; give no --dimension, --model or formula with it.")
            spec = load_spec(s, args.spec)
            kw = spec_fit_kwargs(spec)
            dimension, zero = spec["dimension"], kw.pop("zero_formula", None)
            model, formula = kw.pop("model"), kw.pop("formula")
            options.update(kw)
        else:
            dimension, model, formula, zero = args.dimension or "connection", args.model, args.formula, args.zero_formula
        md = model_data(s, dimension, model=model, formula=formula, zero_formula=zero)
        result = fit_prepared(md, **options)
        extras = _fit_extras(args, md, result)
        if args.compare:
            extras["compare"] = _compare(s, args, result)
        saved = None
        if args.save_spec:
            opts = {k: (list(v) if isinstance(v, tuple) else v) for k, v in options.items()
                    if v not in (None, False, "none", "normal")}
            if md.zero_formula:
                opts["zero_formula"] = md.zero_formula
            saved = save_spec(s, args.save_spec, dimension, md.spec.model, md.spec.formula, opts,
                              replace=args.replace_spec)
        run = None
        if args.save is not None:  # an empty name is refused by save_run, never skipped
            from quant.runs import save_run

            settings = {k: v for k, v in options.items() if v is not None}
            if args.spec:
                settings["spec"] = args.spec
            run = save_run(s, args.save, result, md, settings=settings, by=args.coder, replace=args.replace_run)
    if args.json:
        out = result.to_dict()
        out["covariance_settings"] = out["meta"].get("covariance", {})
        out.update(_json_value(extras))
        if saved:
            out["saved_spec"] = saved["name"]
        if run:
            out["run"] = {"name": run.name, "id": run.id, "fingerprint": run.fingerprint}
        return json.dumps(out, ensure_ascii=False, indent=2)
    text = result.summary_text() + _extras_text(extras)
    text += f"\nSaved the specification as '{saved['name']}'." if saved else ""
    return text + (f"\nSaved the fit as the run '{run.name}'." if run else "")


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
    p = add("import", cmd_import, "Import documents (.txt .md .docx .pdf .html). Each file is imported on its own, "
            "all or nothing: a refused file is reported with the reason and leaves no trace, the other files are "
            "still imported, and the exit status is 1 if any file was refused.")
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
    p.add_argument("--dimension", default=None, choices=["breadth", "connection", "degree"],
                   help="default: connection")
    p.add_argument("--model", default=None,
                   choices=["logit", "probit", "poisson", "nb", "binomial", "ztnb", "hurdle", "nb_pos"])
    p.add_argument("--formula", default=None,
                   help='patsy formula, any outcome; dyad formulas may use sum(x), absdiff(x), min(x), max(x), '
                        'product(x), same(x), both(x) of city attributes, e.g. '
                        '"connection ~ log_gravity + sum(log_pop) + same(province)"')
    p.add_argument("--zero-formula", default=None, help='hurdle only: the zero part, e.g. "~ log_gravity + same_strategy"')
    p.add_argument("--se", nargs="+", default=None, choices=["model", "hc0", "dyadic"],
                   help="standard-error types to compute (default: all that apply)")
    p.add_argument("--small-sample", default="none", choices=["none", "nodes"],
                   help="nodes: multiply the dyadic-robust covariance by N/(N-1)")
    p.add_argument("--psd", default="none", choices=["none", "clip"],
                   help="clip negative eigenvalues of the dyadic-robust covariance")
    p.add_argument("--conservative", action="store_true", help="Graham's always-PSD dyadic covariance (V + V_HC0)")
    p.add_argument("--pvalues", default="normal", choices=["normal", "t"], help="t: t with N - 1 df (N = cities)")
    p.add_argument("--spec", default=None, metavar="NAME", help="fit a specification saved in the project")
    p.add_argument("--save-spec", default=None, metavar="NAME", help="save this specification under NAME")
    p.add_argument("--replace-spec", action="store_true", help="with --save-spec: overwrite a saved one")
    p.add_argument("--save", default=None, metavar="NAME",
                   help="save this fit as a run (estimates, covariances, per-unit fit, data fingerprint)")
    p.add_argument("--replace-run", action="store_true",
                   help="with --save: replace a run of that name (the old one stays restorable by undo)")
    p.add_argument("--coder", default="researcher", help="who saves the run (event log, undo)")
    p.add_argument("--ame", action="store_true", help="average marginal effects (delta-method SEs)")
    p.add_argument("--standardized", action="store_true", help="coefficients per SD of each covariate")
    p.add_argument("--vif", action="store_true", help="variance inflation factors")
    p.add_argument("--influence", type=int, default=None, metavar="K",
                   help="delete-a-city influence, exact refits for the top K cities (-1: all, with the jackknife)")
    p.add_argument("--compare", default=None, metavar="NAME",
                   help="likelihood-ratio and Wald tests against a saved nested specification")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
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
