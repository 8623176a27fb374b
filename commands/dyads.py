"""The ``dyads`` command: load a dyad table or an agreement list, or build every pair; load a
directed table (``--directed``: sender → receiver, both orderings kept) or fold a directed
variable into an undirected one (``--fold VARIABLE --how sum --as NAME``)."""
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


def _cmd_directed(args) -> str:
    from quant.cities import read_table
    from quant.directed_load import load_directed

    if args.build or args.fold:
        raise CliError("--directed loads a directed table FILE; give it without --build or --fold.")
    if not args.file:
        raise CliError("Give the directed dyad table FILE with --directed.")
    if args.a is None or args.b is None:
        raise CliError("Name the sender and receiver columns with --a FROM --b TO.")
    raw = read_table(Path(args.file), as_text=True)  # ids keep leading zeros; numbers parsed by the loader
    with _session(args.project) as s:
        out = load_directed(s, raw, a=args.a, b=args.b, resolve=args.ids == "names", aggregate=args.aggregate,
                            replace=args.replace, text="categories" if args.text_as_categories else "report")
    msg = (f"Loaded {out.n:,} directed dyads ({args.a} → {args.b}) from {args.file}: {out.n_new:,} new, "
           f"{out.n_pairs:,} pairs of cities, {out.n_both:,} of them in both directions; variables: "
           f"{', '.join(out.variables) or 'none'}.")
    return msg + "".join(f"\n  note: {w}" for w in out.warnings)


def _cmd_fold(args) -> str:
    from quant.directed_load import fold_directed

    if args.file or args.build:
        raise CliError("--fold works on the project's directed dyads; give no FILE or --build with it.")
    if not args.how or not args.as_name:
        raise CliError("Say how to fold the two directions and the new variable's name: --how sum --as NAME.")
    with _session(args.project) as s:
        out = fold_directed(s, args.fold, args.how, args.as_name, replace=args.replace)
    msg = (f"Folded the directed variable '{out['variable']}' by {out['how']} into the dyad variable "
           f"'{out['name']}' for {out['n_pairs']:,} pairs of cities")
    if out["n_missing"]:
        msg += f" ({out['n_missing']:,} without a value in either direction)"
    return msg + "; pairs absent from the directed table have no value."


def cmd_dyads(args) -> str:
    from quant.cities import read_table
    from quant.loading import build_all_dyads, is_agreement_list, load_dyads

    if args.directed:
        return _cmd_directed(args)
    if args.fold:
        return _cmd_fold(args)
    if args.how or args.as_name:
        raise CliError("--how and --as go with --fold VARIABLE.")
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
            "or --build every pair from the city table; --directed loads ordered pairs (sender → receiver), "
            "--fold makes an undirected variable from a directed one.")
    p.add_argument("--directed", action="store_true",
                   help="FILE is a directed table: --a names the sender (from), --b the receiver (to); (i, j) and "
                        "(j, i) are kept as two rows")
    p.add_argument("--text-as-categories", action="store_true",
                   help="with --directed: store text columns as categorical variables (use them as C(name))")
    p.add_argument("--fold", default=None, metavar="VARIABLE",
                   help="fold a directed variable into an undirected dyad variable (with --how and --as)")
    p.add_argument("--how", default=None, choices=["sum", "max", "mean", "min", "both", "either"],
                   help="with --fold: combine the two directions by sum, max, mean, min, both (1 if both > 0) or "
                        "either (1 if one > 0)")
    p.add_argument("--as", dest="as_name", default=None, metavar="NAME", help="with --fold: the new dyad variable")
    p.add_argument("--build", action="store_true", help="make all pairs of the project's cities with covariates")
    p.add_argument("--op", action="append", metavar="OP:VARIABLE",
                   help="with --build: a node-attribute construction (sum, absdiff, min, max, product, same, "
                        "both), e.g. --op sum:pop_2020; repeatable")
    p.add_argument("--outcome", default="connection",
                   help="for an agreement list: the 0/1 dyad variable to write (default: connection)")
    p.add_argument("--replace", action="store_true", help="overwrite dyad variables of the same name")
    p.add_argument("--a", default=None, help="column of the first city (with --directed: the sender)")
    p.add_argument("--b", default=None, help="column of the second city (with --directed: the receiver)")
    p.add_argument("--ids", default="names", choices=["names", "raw"],
                   help="resolve city columns as names/adcodes (default) or keep raw ids")
    p.add_argument("--aggregate", default=None, choices=["sum", "max", "mean", "first"],
                   help="how to combine duplicate pairs (default: refuse them)")
    p.add_argument("file", nargs="?")
