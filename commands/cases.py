"""Commands of the cases group: ``cases`` (case selection on a saved run, with names, one label per
case, coded passages and quotes; ``mixed.case_views``) and ``worklist`` (the fieldwork worklist:
add, memo, remove, list, export; ``mixed.worklist``).

    python cli.py cases --project P (--run NAME | --dimension D) --rule RULE [--variable X]
        [--reduced "FORMULA"] [--threshold T] [--n K|all] [--controls A,B] [--outcome tie|non-tie] [--json]
    python cli.py worklist --project P [--add-run NAME --add UNIT...] [--memo UNIT TEXT]
        [--remove UNIT] [--export FILE.{csv,xlsx,docx} [--force]] [--json]

A UNIT is a city (name, short name, pinyin or adcode) or a pair ``A–B`` / ``A|B`` of them.
JSON output has stable keys and gives names as well as ids.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from commands.common import CliError, atomic_out, check_out, session
from i18n import _
from applog.program import command_name

__all__ = ["register", "cmd_cases", "cmd_worklist", "CASE_RULES"]

#: Every rule ``cases --rule`` accepts (``quant.cases.select.RULES`` and ``advertised``).
CASE_RULES = ("typical", "deviant", "extreme_x", "extreme_y", "overpredicted", "underpredicted", "influential",
              "pathway", "similar", "different", "advertised")
DIMENSIONS = ("breadth", "connection", "degree")


def register(add) -> None:
    """Add the ``cases`` and ``worklist`` commands."""
    p = add("cases", cmd_cases, _("Select cases of a saved run by one rule (typical, deviant, extreme, over-/under-"
            "predicted, influential, pathway, most-similar/-different, or 'advertised': many agreements, few "
            "services), with names, one case type each, coded passages and top quotes."))
    which = p.add_mutually_exclusive_group()
    which.add_argument("--run", metavar="NAME", help=_("the saved run (see the runs command)"))
    which.add_argument("--dimension", choices=DIMENSIONS, help=_("use this dimension's latest run"))
    p.add_argument("--rule", required=True, choices=CASE_RULES)
    p.add_argument("--variable", default=None, help=_("extreme_x / pathway / similar: the covariate"))
    p.add_argument("--reduced", default=None, help=_("pathway: the reduced model's formula"))
    p.add_argument("--threshold", type=float, default=None, help=_("typical/deviant: the cut-off c for |r| (default 2)"))
    p.add_argument("--n", default="10", help=_("how many cases (default 10; 'all' for every eligible case)"))
    p.add_argument("--controls", default=None, help=_("similar/different: control covariates, comma-separated"))
    p.add_argument("--outcome", choices=["tie", "non-tie"], default=None, help=_("connection runs: ties or non-ties only"))
    p.add_argument("--quotes", type=int, default=3, help=_("quotes per case (0-10, default 3)"))
    p.add_argument("--json", action="store_true", help=_("print JSON instead of text"))

    w = add("worklist", cmd_worklist, _("The fieldwork worklist: list it, add cases of a run, write a memo, remove a "
            "case, export to CSV, XLSX or DOCX. Every change is undoable from the workbench."))
    w.add_argument("--add-run", metavar="NAME", default=None, help=_("the run the added cases come from"))
    w.add_argument("--add", nargs="+", metavar="UNIT", default=None,
                   help=_("cities (name or adcode) or pairs 'A–B' / 'A|B' to add"))
    w.add_argument("--threshold", type=float, default=2.0, help=_("with --add: c labelling a case deviant (|r| > c)"))
    w.add_argument("--memo", nargs=2, metavar=("UNIT", "TEXT"), default=None, help=_("set a case's memo"))
    w.add_argument("--remove", metavar="UNIT", default=None, help=_("take a case off the worklist"))
    w.add_argument("--export", metavar="FILE", default=None, help=_("write the worklist to FILE (.csv, .xlsx, .docx)"))
    w.add_argument("--force", action="store_true", help=_("with --export: replace an existing file"))
    w.add_argument("--coder", default="researcher", help=_("who makes the change (event log, undo)"))
    w.add_argument("--json", action="store_true", help=_("print JSON instead of text"))


def _value(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _dump(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, default=str)


def _n(text: str):
    if str(text).strip().lower() == "all":
        return None
    try:
        n = int(text)
    except ValueError:
        raise CliError(_("--n {value} must be a whole number or 'all'.").format(value=repr(text))) from None
    if n < 0:
        raise CliError(_("--n {n} must be 0 or more.").format(n=n))
    return n


def _latest(s, dimension: str) -> str:
    from quant.runs import saved as runs

    name = runs.latest_runs(s).get(dimension)
    if name is None:
        raise CliError(_("No {dimension} run is saved yet; save one with `{cli} fit --dimension {dimension} "
                         "--save NAME`.").format(dimension=dimension, cli=command_name()))
    return name


def _case_json(row: dict, ids: list[str]) -> dict:
    out = {"rank": _value(row.get("rank")), "case": row["case"], "level": row["level"], "unit_key": row["unit_key"]}
    for c in ids:
        out[c] = str(row[c])
    out.update({k: _value(row.get(k)) for k in ("case_type", "observed", "predicted", "residual", "score")})
    out.update({"n_passages": int(row["n_passages"]), "no_evidence": bool(row["no_evidence"]),
                "on_worklist": bool(row["on_worklist"]),
                "quotes": [{"quote": q["quote"], "cite": q["cite"], "code": q["code"]} for q in row["quotes"]]})
    for extra in ("n_mark", "mean_degree", "total_items"):
        if extra in row:
            out[extra] = _value(row[extra])
    return out


def _num(v, digits=3) -> str:
    v = _value(v)
    return "—" if v is None else f"{float(v):.{digits}g}"


def cmd_cases(args) -> str:
    """``cases``: one rule's cases of a run, with evidence (text or JSON)."""
    from mixed.case_views import case_view

    if args.run is None and args.dimension is None and args.rule != "advertised":
        raise CliError(_("Name the run with --run NAME, or take a dimension's latest run with --dimension D."))
    controls = [c.strip() for c in args.controls.split(",") if c.strip()] if args.controls else None
    with session(args.project) as s:
        run = args.run if args.run is not None else (_latest(s, args.dimension) if args.dimension else None)
        view = case_view(s, run, args.rule, variable=args.variable, reduced=args.reduced, threshold=args.threshold,
                         n=_n(args.n), controls=controls, outcome=args.outcome, max_quotes=args.quotes)
        status = None
        if view.attrs.get("run_id") is not None:
            from quant.runs import saved as runs

            status = runs.run_status(s, int(view.attrs["run_id"]))
    attrs = view.attrs
    ids = [c for c in ("city", "city_a", "city_b") if c in view.columns]
    rows = view.to_dict("records")
    if args.json:
        return _dump({
            "run": {"id": attrs.get("run_id"), "name": attrs.get("run"), "dimension": attrs.get("dimension"),
                    "model": attrs.get("model"),
                    "stale": None if status is None else bool(status["stale"]),
                    "status": None if status is None else status["message"]},
            "rule": args.rule, "parameters": attrs.get("parameters", {}), "residual_type": attrs.get("residual_type"),
            "notes": [str(n) for n in attrs.get("notes") or []], "n_cases": len(rows),
            "cases": [_case_json(r, ids) for r in rows],
        })
    counts = dict(rule=args.rule, run=attrs.get("run"), n=len(rows),
                  n_evidence=sum(1 for r in rows if not r["no_evidence"]))
    lines = [_("Note: {message}").format(message=status["message"]), ""] \
        if status is not None and status["stale"] else []
    lines += [(_("{rule} cases of run “{run}”: {n} listed, {n_evidence} with coded passages") if attrs.get("run") else
               _("{rule} cases: {n} listed, {n_evidence} with coded passages")).format(**counts)]
    lines += [f"  {n}" for n in attrs.get("notes") or []]
    if not rows:
        lines.append(_("No case meets the rule."))
    for r in rows:
        lines.append(f"{_value(r.get('rank'))}. {r['case']} — {r['case_type']}")
        lines.append("   " + _("observed {observed} · predicted {predicted} · residual {residual} · {n} coded "
                               "passage(s)").format(observed=_num(r["observed"]), predicted=_num(r["predicted"]),
                                                    residual=_num(r["residual"]), n=r["n_passages"])
                     + (" · " + _("no evidence yet") if r["no_evidence"] else "")
                     + (" · " + _("on the worklist") if r["on_worklist"] else ""))
        for q in r["quotes"]:
            lines.append(f"   “{q['quote']}” ({q['cite']})")
    return "\n".join(lines)


def _unit_row(s, run, level: str, key: str, c: float) -> dict:
    """The run's values for one unit and its case type (typical/deviant at c)."""
    from quant.cases.select import case_label, is_binary

    units = run.units
    if level == "city":
        if "city" not in units.columns:
            raise CliError(_("The run “{name}” is of dyads; name a pair A–B.").format(name=run.info.name))
        hit = units[units["city"].astype(str) == key]
    else:
        if "city_a" not in units.columns:
            raise CliError(_("The run “{name}” is of cities; name one city.").format(name=run.info.name))
        a, b = key.split("|")
        hit = units[(units["city_a"].astype(str) == a) & (units["city_b"].astype(str) == b)]
    if hit.empty:
        return {}
    u = hit.iloc[0]
    r = float(u["pearson"])
    status = "deviant" if abs(r) > c else "typical"
    row = {"observed": float(u["y"]), "predicted": float(u["fitted"]), "residual": r, "status": status}
    row["case_type"] = case_label(row, status, is_binary(run))
    row["rule"] = status
    return row


def _worklist_json(table) -> list[dict]:
    out = []
    for r in table.to_dict("records"):
        level, key = r["level"], r["unit_key"]
        item = {"id": int(r["id"]), "position": int(r["position"]), "case": r["case"], "level": level,
                "unit_key": key}
        if level == "city":
            item["city"] = key
        else:
            item["city_a"], item["city_b"] = key.split("|")
        item.update({"case_type": r["case_type"], "run": r["run"], "run_id": _value(r["run_id"]),
                     "run_deleted": bool(r["run_deleted"]), "run_label": r["run_label"], "rule": r["rule"],
                     "observed": _value(r["observed"]), "predicted": _value(r["predicted"]),
                     "residual": _value(r["residual"]), "memo": r["memo"], "n_passages": int(r["n_passages"]),
                     "no_evidence": bool(r["no_evidence"]),
                     "quotes": [{"quote": q["quote"], "cite": q["cite"], "code": q["code"]} for q in r["quotes"]]})
        out.append(item)
    return out


def cmd_worklist(args) -> str:
    """``worklist``: change the worklist (add, memo, remove), then list or export it."""
    from mixed import worklist as wl
    from mixed.worklist_export import FORMATS, export_bytes

    if args.add and not args.add_run:
        raise CliError(_("Say which run the cases come from with --add-run NAME."))
    if args.add_run and not args.add:
        raise CliError(_("--add-run needs the cases to add: --add UNIT [UNIT ...]."))
    out_path = None
    if args.export:
        out_path = Path(args.export)
        if out_path.suffix.lower().lstrip(".") not in FORMATS:
            raise CliError(_("--export {file}: the file must end in .csv, .xlsx or .docx.").format(file=out_path.name))
        check_out(out_path, args.force)
    messages: list[str] = []
    with session(args.project) as s:
        if args.add:
            from quant.runs import saved as runs

            run = runs.load_run(s, args.add_run)
            rows = []
            for text in args.add:
                level, key = wl.resolve_unit(s, text)
                row = _unit_row(s, run, level, key, args.threshold)
                if not row:
                    name = wl.unit_name(level, key, wl.unit_names(s))
                    raise CliError(_("{unit} is not a unit of the run “{run}”; nothing was added.").format(
                        unit=name, run=run.info.name))
                rows.append({"level": level, "unit_key": key, **row})
            for row in rows:  # each keeps its own rule (typical or deviant at c)
                messages.append(wl.add_case(s, row, run=run, rule=row["rule"], by=args.coder)["message"])
        if args.memo:
            unit, text = args.memo
            got = wl.update_memo(s, wl.resolve_unit(s, unit), text, by=args.coder)
            messages.append(_("Saved the memo of {case}.").format(case=got["case"]))
        if args.remove:
            got = wl.remove_case(s, wl.resolve_unit(s, args.remove), by=args.coder)
            messages.append(_("Removed {case} from the worklist.").format(case=got["case"]))
        if out_path is not None:
            data = export_bytes(s, out_path.suffix)
        table = wl.worklist_cases(s)
    if out_path is not None:
        with atomic_out(out_path, args.force) as tmp:
            tmp.write_bytes(data)
        messages.append(_("Wrote the worklist ({n} case(s)) to {file}.").format(n=len(table), file=out_path))
    if args.json:
        return _dump({"messages": messages, "n_cases": len(table), "cases": _worklist_json(table)})
    lines = list(messages)
    if table.empty:
        lines.append(_("The worklist is empty; add cases with --add-run NAME --add UNIT, or tick them on the Cases "
                       "page."))
    for r in table.itertuples(index=False):
        chosen = r.run_label != ""
        run = wl.run_phrase(r.run, bool(r.run_deleted), chosen=chosen) if chosen else _("no run")
        lines.append(f"{r.position}. {r.case} — {r.case_type or _('no case type')} ({run}) · "
                     + _("{n} coded passage(s)").format(n=r.n_passages))
        if r.memo:
            lines.append("   " + _("memo: {memo}").format(memo=r.memo))
    return "\n".join(lines)
