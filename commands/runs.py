"""Commands of the runs group: list, show, rename, delete, restore, refit and compare saved runs
(``quant.runs.saved``). Saving a run is ``fit --save NAME`` (cli.py).

``runs --project P`` lists the runs with their status (current / stale); one action at a time:
``--show NAME``, ``--rename OLD NEW``, ``--delete NAME``, ``--restore NAME``, ``--deleted``,
``--refit NAME [--as NEW]``, ``--compare A,B[,C]``. ``--json`` prints stable keys.
"""
from __future__ import annotations

import json

from commands.common import CliError, frame_text, session
from applog.program import command_name
from i18n import _

__all__ = ["register", "cmd_runs"]


def register(add) -> None:
    """Add the ``runs`` command."""
    p = add("runs", cmd_runs, _("List saved runs (fits kept in the project) with whether the data changed since; "
            "show, rename, delete, restore, refit or compare them. Save one with `fit --save NAME`."))
    p.add_argument("--dimension", default=None, choices=["breadth", "connection", "degree"],
                   help=_("list only this dimension's runs"))
    act = p.add_mutually_exclusive_group()
    act.add_argument("--show", metavar="NAME", help=_("print one run's full summary (with --json: every estimate, "
                     "SE, p-value and covariance matrix)"))
    act.add_argument("--rename", nargs=2, metavar=("OLD", "NEW"), help=_("give a run a new name"))
    act.add_argument("--delete", metavar="NAME", help=_("delete a run (undoable; see --restore)"))
    act.add_argument("--restore", metavar="NAME", help=_("bring back a deleted run"))
    act.add_argument("--deleted", action="store_true", help=_("list deleted runs"))
    act.add_argument("--refit", metavar="NAME", help=_("fit the run's specification again on the current data"))
    act.add_argument("--compare", metavar="A,B[,C]",
                     help=_("estimates of 2 or more runs side by side, each under its own SE type"))
    p.add_argument("--as", dest="as_name", metavar="NEW", default=None,
                   help=_("with --refit: save under this new name (default: replace the run; undo brings it back)"))
    p.add_argument("--coder", default="researcher", help=_("who makes the change (event log, undo)"))
    p.add_argument("--json", action="store_true", help=_("print JSON instead of text"))


def _when(value) -> str:
    import pandas as pd

    stamp = pd.Timestamp(value)
    stamp = stamp.tz_convert("UTC") if stamp.tzinfo else stamp
    return f"{stamp:%Y-%m-%d %H:%M} UTC"


def _dump(obj) -> str:
    from quant.models.results import json_value

    return json.dumps(json_value(obj), ensure_ascii=False, indent=2)


def _list(s, args) -> str:
    from quant.runs import saved as runs

    table = runs.list_runs(s, args.dimension, with_status=True)
    if args.json:
        keep = ["id", "name", "dimension", "model", "formula", "zero_formula", "se_type", "n", "n_nodes", "created",
                "created_by", "tandem_version", "fingerprint", "stale", "status"]
        return _dump(table[keep].to_dict(orient="records"))
    if table.empty:
        if args.dimension:
            return _("No run of {dimension} is saved yet; save one with `{cli} fit ... --save NAME`.").format(
                dimension=args.dimension, cli=command_name())
        return _("No run is saved yet; save one with `{cli} fit ... --save NAME`.").format(cli=command_name())
    lines = []
    for row in table.itertuples(index=False):
        formula = row.formula + (_(" | zero part {formula}").format(formula=row.zero_formula) if row.zero_formula else "")
        lines.append(f"{row.name}  [{_('STALE') if row.stale else _('current')}]")
        lines.append(f"  {row.dimension} · {row.model} · {formula}")
        lines.append("  " + _("SE {se_type} · n = {n:,} · {when} by {by}").format(
            se_type=row.se_type, n=row.n, when=_when(row.created), by=row.created_by))
        lines.append(f"  {row.status}")
    return "\n".join(lines)


def _show(s, args) -> str:
    from quant.runs import saved as runs

    run = runs.load_run(s, args.show)
    status = runs.run_status(s, run.info.id)
    if args.json:
        return _dump({"run": run.info.to_dict(), "status": status, "result": run.result.to_dict()})
    info = run.info
    head = [_("run: {name} (saved {when} by {by}, Tandem {version})").format(
                name=info.name, when=_when(info.created), by=info.created_by, version=info.tandem_version),
            _("settings: {settings}").format(settings=json.dumps(info.settings, ensure_ascii=False, sort_keys=True))]
    if info.zero_formula:
        head.append(_("zero part: {formula}").format(formula=info.zero_formula))
    head.append(status["message"])
    return "\n".join(head) + "\n\n" + run.result.summary_text()


def _compare(s, args) -> str:
    from quant.runs import saved as runs
    from quant.runs.compare import compare_records, compare_wide

    names = [n.strip() for n in args.compare.split(",") if n.strip()]
    if len(names) < 2:
        raise CliError(_("--compare needs two or more run names separated by commas, e.g. --compare c1,c2."))
    if len(set(names)) < len(names):
        raise CliError(_("--compare names a run twice; give each run once."))
    long = runs.compare_runs(s, names)
    if args.json:
        return _dump({"runs": names, "rows": compare_records(long)})
    wide = compare_wide(long)
    note = _("estimate (SE), each run under its own SE type; * p < 0.05, ** p < 0.01, *** p < 0.001")
    return frame_text(wide) + "\n" + note


def _deleted(s, args) -> str:
    from quant.runs import saved as runs

    table = runs.deleted_runs(s)
    if args.json:
        return _dump([{"id": int(r.id), "name": r.name, "dimension": r.dimension,
                       "deleted": _when(r.deleted)} for r in table.itertuples(index=False)])
    if table.empty:
        return _("No deleted run.")
    return "\n".join(_("{name}  ({dimension}, deleted {when})").format(name=r.name, dimension=r.dimension,
                                                                       when=_when(r.deleted))
                     for r in table.itertuples(index=False))


def _change(s, args) -> str:
    from quant.runs import saved as runs

    if args.rename:
        info = runs.rename_run(s, args.rename[0], args.rename[1], by=args.coder)
        out, message = info, _("Renamed the run '{old}' to '{new}'.").format(old=args.rename[0], new=info.name)
    elif args.delete:
        runs.delete_run(s, args.delete, by=args.coder)
        out, message = None, _("Deleted the run '{name}'; `runs --restore` or undo brings it back.").format(
            name=args.delete)
    elif args.restore:
        info = runs.restore_run(s, args.restore, by=args.coder)
        out, message = info, _("Restored the run '{name}'.").format(name=info.name)
    else:
        old = runs.load_run(s, args.refit).info
        info = runs.refit_run(s, args.refit, new_name=args.as_name, by=args.coder)
        out = info
        message = (_("Refitted '{old}' on the current data as the new run '{new}'.").format(old=old.name, new=info.name)
                   if args.as_name else
                   _("Refitted '{old}' on the current data; the earlier fit stays restorable by undo.").format(
                       old=old.name))
    if args.json:
        return _dump({"message": message, "run": None if out is None else out.to_dict()})
    return message


def cmd_runs(args) -> str:
    """The ``runs`` command; returns the text to print. Raises ``CliError`` or ``QuantError``
    (one sentence, e.g. an unknown run, listing the saved ones)."""
    if args.as_name is not None and not args.refit:
        raise CliError(_("--as goes with --refit NAME."))
    with session(args.project) as s:
        if args.show:
            return _show(s, args)
        if args.compare:
            return _compare(s, args)
        if args.deleted:
            return _deleted(s, args)
        if args.rename or args.delete or args.restore or args.refit:
            return _change(s, args)
        return _list(s, args)
