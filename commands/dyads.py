"""The ``dyads`` command: load a dyad table or an agreement list, or build every pair."""
from __future__ import annotations

from pathlib import Path

from commands.common import CliError, session as _session


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


def register(add) -> None:
    """Add the ``dyads`` command."""
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
