"""The ``dyads`` command: load a dyad table or an agreement list, or build every pair; load a
directed table (``--directed``: sender → receiver, both orderings kept) or fold a directed
variable into an undirected one (``--fold VARIABLE --how sum --as NAME``)."""
from __future__ import annotations

from pathlib import Path

from commands.common import CliError, session as _session
from i18n import _


def _parse_ops(values: list[str] | None) -> dict[str, list[str]]:
    ops: dict[str, list[str]] = {}
    for item in values or []:
        op, sep, var = item.partition(":")
        if not sep or not var:
            raise CliError(_("--op '{item}' is not OP:VARIABLE (e.g. sum:pop_2020).").format(item=item))
        ops.setdefault(op, []).append(var)
    return ops


def _cmd_directed(args) -> str:
    from quant.data.cities import read_table
    from quant.data.directed_load import load_directed

    if args.build or args.fold:
        raise CliError(_("--directed loads a directed table FILE; give it without --build or --fold."))
    if not args.file:
        raise CliError(_("Give the directed dyad table FILE with --directed."))
    if args.a is None or args.b is None:
        raise CliError(_("Name the sender and receiver columns with --a FROM --b TO."))
    raw = read_table(Path(args.file), as_text=True)  # ids keep leading zeros; numbers parsed by the loader
    with _session(args.project) as s:
        out = load_directed(s, raw, a=args.a, b=args.b, resolve=args.ids == "names", aggregate=args.aggregate,
                            replace=args.replace, text="categories" if args.text_as_categories else "report")
    msg = _("Loaded {n:,} directed dyads ({a} → {b}) from {file}: {n_new:,} new, {n_pairs:,} pairs of cities, "
            "{n_both:,} of them in both directions; variables: {variables}.").format(
        n=out.n, a=args.a, b=args.b, file=args.file, n_new=out.n_new, n_pairs=out.n_pairs, n_both=out.n_both,
        variables=", ".join(out.variables) or _("none"))
    return msg + "".join("\n  " + _("note: {warning}").format(warning=w) for w in out.warnings)


def _cmd_fold(args) -> str:
    from quant.data.directed_load import fold_directed

    if args.file or args.build:
        raise CliError(_("--fold works on the project's directed dyads; give no FILE or --build with it."))
    if not args.how or not args.as_name:
        raise CliError(_("Say how to fold the two directions and the new variable's name: --how sum --as NAME."))
    with _session(args.project) as s:
        out = fold_directed(s, args.fold, args.how, args.as_name, replace=args.replace)
    values = dict(variable=out["variable"], how=out["how"], name=out["name"], n_pairs=out["n_pairs"],
                  n_missing=out["n_missing"])
    if out["n_missing"]:
        return _("Folded the directed variable '{variable}' by {how} into the dyad variable '{name}' for {n_pairs:,} "
                 "pairs of cities ({n_missing:,} without a value in either direction); pairs absent from the "
                 "directed table have no value.").format(**values)
    return _("Folded the directed variable '{variable}' by {how} into the dyad variable '{name}' for {n_pairs:,} "
             "pairs of cities; pairs absent from the directed table have no value.").format(**values)


def cmd_dyads(args) -> str:
    from quant.data.cities import read_table
    from quant.data.loading import build_all_dyads, is_agreement_list, load_dyads

    if args.directed:
        return _cmd_directed(args)
    if args.fold:
        return _cmd_fold(args)
    if args.how or args.as_name:
        raise CliError(_("--how and --as go with --fold VARIABLE."))
    if args.build and args.file:
        raise CliError(_("--build makes every pair from the city table; give no FILE with it."))
    if not args.build and not args.file:
        raise CliError(_("Give a dyad table FILE, or --build to make every pair from the city table."))
    raw = None if args.build else read_table(Path(args.file))
    if raw is not None and not is_agreement_list(raw) and (args.a is None or args.b is None):
        raise CliError(_("Name the two city columns with --a and --b."))
    with _session(args.project) as s:
        if args.build:
            out = build_all_dyads(s, _parse_ops(args.op))
        else:
            out = load_dyads(s, raw, a=args.a, b=args.b, resolve=args.ids == "names",
                             aggregate=args.aggregate, outcome=args.outcome, replace=args.replace)
    if out.kind == "built":
        msg = _("Built {n:,} dyads from {n_cities} cities with {n_covariates} covariates.").format(
            n=out.n, n_cities=out.n_cities, n_covariates=out.n_covariates)
        msg += "".join("\n  " + _("warning: {warning}").format(warning=w) for w in out.warnings)
    elif out.kind == "agreements":
        msg = _("Folded {rows} agreement rows into {n} prefecture dyads; '{outcome}' is 1 for them and 0 for the "
                "other {others:,} pairs; {set_aside} rows were set aside:").format(
            rows=len(raw), n=out.n, outcome=args.outcome, others=out.n_pairs - out.n, set_aside=len(out.report))
        msg += "".join(f"\n  {r.get('event_id', '')}: {r.get('reason', '')}" for r in out.report.to_dict("records"))
    else:
        msg = _("Loaded {n} dyads from {file}.").format(n=out.n, file=args.file)
    return msg


def register(add) -> None:
    """Add the ``dyads`` command."""
    p = add("dyads", cmd_dyads, _("Load a dyad table (two city columns) or an agreement-events list, "
            "or --build every pair from the city table; --directed loads ordered pairs (sender → receiver), "
            "--fold makes an undirected variable from a directed one."))
    p.add_argument("--directed", action="store_true",
                   help=_("FILE is a directed table: --a names the sender (from), --b the receiver (to); (i, j) and "
                        "(j, i) are kept as two rows"))
    p.add_argument("--text-as-categories", action="store_true",
                   help=_("with --directed: store text columns as categorical variables (use them as C(name))"))
    p.add_argument("--fold", default=None, metavar="VARIABLE",
                   help=_("fold a directed variable into an undirected dyad variable (with --how and --as)"))
    p.add_argument("--how", default=None, choices=["sum", "max", "mean", "min", "both", "either"],
                   help=_("with --fold: combine the two directions by sum, max, mean, min, both (1 if both > 0) or "
                        "either (1 if one > 0)"))
    p.add_argument("--as", dest="as_name", default=None, metavar="NAME", help=_("with --fold: the new dyad variable"))
    p.add_argument("--build", action="store_true", help=_("make all pairs of the project's cities with covariates"))
    p.add_argument("--op", action="append", metavar="OP:VARIABLE",
                   help=_("with --build: a node-attribute construction (sum, absdiff, min, max, product, same, "
                        "both), e.g. --op sum:pop_2020; repeatable"))
    p.add_argument("--outcome", default="connection",
                   help=_("for an agreement list: the 0/1 dyad variable to write (default: connection)"))
    p.add_argument("--replace", action="store_true", help=_("overwrite dyad variables of the same name"))
    p.add_argument("--a", default=None, help=_("column of the first city (with --directed: the sender)"))
    p.add_argument("--b", default=None, help=_("column of the second city (with --directed: the receiver)"))
    p.add_argument("--ids", default="names", choices=["names", "raw"],
                   help=_("resolve city columns as names/adcodes (default) or keep raw ids"))
    p.add_argument("--aggregate", default=None, choices=["sum", "max", "mean", "first"],
                   help=_("how to combine duplicate pairs (default: refuse them)"))
    p.add_argument("file", nargs="?")
