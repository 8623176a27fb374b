"""Commands of the mixed group: the joint display of a saved run and the decoupling table.

``joint --project P --run NAME [--c 2] [--quotes 5] [--json]`` prints each term beside its coded
passages and every code of the run's dimension across the run's case groups
(``mixed.run_joint``). ``decoupling --project P [--runs A,B,C] [--json]`` prints the Needs–Supply
factors against one run per dimension (default: the latest of each; ``mixed.decoupling``).
Neither refits: both read saved runs, and a run whose data changed since it was fitted is flagged
("Note: The data changed since ..."; in JSON ``status``/``stale``, and decoupling's ``runs`` is a
list of ``{name, dimension, stale, status}``). ``--json`` prints stable keys.
"""
from __future__ import annotations

import json
import math

from commands.common import CliError, session
from i18n import _

__all__ = ["register", "cmd_joint", "cmd_decoupling"]


def register(add) -> None:
    """Add the ``joint`` and ``decoupling`` commands."""
    p = add("joint", cmd_joint, _("The joint display of a saved run: each term's estimate beside its coded passages, "
            "and how the passages of the dimension's codes (Mark, Hole, ...) fall across typical and deviant cases."))
    p.add_argument("--run", required=True, metavar="NAME", help=_("the saved run (see `runs`)"))
    p.add_argument("--c", type=float, default=2.0,
                   help=_("residual threshold: a case is deviant when |Pearson residual| > c (default 2)"))
    p.add_argument("--quotes", type=int, default=5, help=_("at most this many quotes per term and group (default 5)"))
    p.add_argument("--json", action="store_true", help=_("print JSON instead of text"))
    p = add("decoupling", cmd_decoupling, _("Which Needs–Supply factors matter for breadth, connection and degree: "
            "one saved run per dimension side by side, each under its own SE type."))
    p.add_argument("--runs", default=None, metavar="A,B,C",
                   help=_("saved runs to compare, at most one per dimension (default: the latest of each)"))
    p.add_argument("--alpha", type=float, default=0.05, help=_("significance level (default 0.05)"))
    p.add_argument("--json", action="store_true", help=_("print JSON instead of text"))


def _num(x) -> str:
    return "—" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:.3f}"


def _joint_text(j) -> str:
    run = j.run
    lines = [_("Run “{name}” · {dimension} · {model} · {formula}").format(
                 name=run["name"], dimension=run["dimension"], model=run["model"], formula=run["formula"]),
             _("SE: {se_label}; case groups with c = {c:g} (deviant iff |Pearson residual| > c)").format(
                 se_label=j.se_label, c=j.c), "",
             _("Terms and the passages coded for them:")]
    for t in j.terms:
        codes = ", ".join(t["codes"]) or _("no code mapped")
        lines.append(f"  {t['term']}: {_num(t['estimate'])} [{_num(t['ci_low'])}, {_num(t['ci_high'])}], "
                     f"p = {_num(t['p'])} · {codes} · " + _("{n} passage(s)").format(n=t["n_passages"]))
        for q in t["quotes"][:2]:
            lines.append(f"      “{q['quote'][:80]}” ({q['cite']})")
    city = j.level == "city"
    lines += ["", (_("Codes of the {dimension} dimension across the run's case groups (passages; cities in each group "
                     "in brackets):") if city else
                   _("Codes of the {dimension} dimension across the run's case groups (passages; pairs in each group "
                     "in brackets):")).format(dimension=run["dimension"])]
    for c in j.codes:
        lines.append(f"  {c['code']}: " + (
            _("{n} passage(s), {linked} linked to the run's cities, {not_linked} not linked to any city or pair in "
              "this run") if city else
            _("{n} passage(s), {linked} linked to the run's pairs, {not_linked} not linked to any city or pair in "
              "this run")).format(n=c["n_passages"], linked=c["n_linked"], not_linked=c["n_not_linked"]))
        for facet in ("fit_group", "direction", "tie"):
            parts = [f"{v} {n} [{j.group_sizes[facet][v]:,}]" for v, n in c["counts"][facet].items()]
            if parts:
                lines.append("      " + " · ".join(parts))
    if j.unmapped:
        lines += ["", _("Codes with passages that this display cannot place:")]
        lines += [f"  {u['code']} (" + _("{n} passage(s)").format(n=u["n_passages"]) + f"): {u['hint']}"
                  for u in j.unmapped]
    lines += ["", _("Passages of the dimension's codes {label}: {n}").format(label=j.not_linked["label"],
                                                                           n=j.not_linked["n_passages"])]
    return "\n".join(lines)


def cmd_joint(args) -> str:
    """``joint``: the joint display of one saved run (text or JSON)."""
    from mixed.run_joint import run_joint
    from quant.runs import saved as runs

    if args.quotes < 0:
        raise CliError(_("--quotes must be 0 or more, not {n}.").format(n=args.quotes))
    with session(args.project) as s:
        run = runs.load_run(s, args.run)
        j = run_joint(s, run, c=args.c, max_quotes=args.quotes)
        status = runs.run_status(s, run.info.id)
    if args.json:
        out = j.to_dict()
        out["status"] = {"stale": bool(status["stale"]), "message": status["message"]}
        return json.dumps(out, ensure_ascii=False, indent=2)
    text = _joint_text(j)
    return (_("Note: {message}").format(message=status["message"]) + "\n\n" + text) if status["stale"] else text


def cmd_decoupling(args) -> str:
    """``decoupling``: the Needs–Supply factors against one run per dimension (text or JSON)."""
    from mixed.decoupling import decoupling_long, decoupling_table, decoupling_text, load_decoupling_runs
    from quant.runs import saved as runs

    names = None
    if args.runs is not None:
        names = [n.strip() for n in args.runs.split(",") if n.strip()]
        if not names:
            raise CliError(_("--runs needs at least one run name, e.g. --runs 'breadth 1,connection 1'."))
    with session(args.project) as s:
        chosen = load_decoupling_runs(s, names)
        long = decoupling_long(s, chosen, args.alpha)
        wide = decoupling_table(s, chosen, args.alpha, long=long)
        statuses = {d: runs.run_status(s, chosen[d].info.id) for d in long.attrs["runs"]}
    run_list = [{"name": name, "dimension": d, "stale": bool(statuses[d]["stale"]), "status": statuses[d]["message"]}
                for d, name in long.attrs["runs"].items()]
    if args.json:
        rows = []
        for r in long.to_dict("records"):
            rows.append({k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()})
        return json.dumps({"alpha": args.alpha, "runs": run_list, "se_labels": wide.attrs["se_labels"],
                           "cells": rows}, ensure_ascii=False, indent=2)
    notes = [_("Note: {message}").format(message=r["status"]) for r in run_list if r["stale"]]
    return "\n".join(notes + [""] + [decoupling_text(wide)]) if notes else decoupling_text(wide)
