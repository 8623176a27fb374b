"""``fit-parquet``: fit a dyad table too large for memory from Parquet, out of core through
DuckDB (``quant.models.outofcore``): logit or Poisson, model-based, HC0 and dyadic-robust SEs.

The formula here is plain column names joined by ``+`` (``y ~ x1 + x2``, an intercept added);
logs, dummies and interactions must be columns of the file. No project is needed.
"""
from __future__ import annotations

import json
from pathlib import Path

from commands.common import CliError
from i18n import _

__all__ = ["register", "cmd_fit_parquet"]


def register(add) -> None:
    """Add the ``fit-parquet`` command."""
    p = add("fit-parquet", cmd_fit_parquet, _("Fit a logit or Poisson model on a dyad table in Parquet (a file or a "
            "folder of files) without loading it into memory, with dyadic-robust SEs (rows of one pair are one "
            "cluster). Formula: plain column names joined by + (e.g. 'y ~ x1 + x2')."))
    for action in p._actions:  # no project involved
        if action.dest == "project":
            action.required = False
    p.add_argument("file", type=Path, help=_("a .parquet file or a folder holding .parquet files"))
    p.add_argument("--formula", required=True, help=_("'y ~ x1 + x2': column names joined by +"))
    p.add_argument("--a", default="city_a", help=_("first node id column (default city_a)"))
    p.add_argument("--b", default="city_b", help=_("second node id column (default city_b)"))
    p.add_argument("--model", choices=["logit", "poisson"], default="logit")
    p.add_argument("--small-sample", choices=["none", "nodes"], default="none",
                   help=_("nodes: multiply the dyadic covariance by N/(N-1)"))
    p.add_argument("--json", action="store_true", help=_("print JSON"))


def cmd_fit_parquet(args) -> str:
    from quant.errors import QuantError
    from quant.models.outofcore import fit_outofcore

    if not args.file.exists():
        raise CliError(_("{file} does not exist; give a .parquet file or a folder of them.").format(file=args.file))
    try:
        r = fit_outofcore(args.file, args.formula, a=args.a, b=args.b, model=args.model,
                          small_sample=args.small_sample)
    except QuantError as exc:
        raise CliError(str(exc)) from None
    table = r.table("dyadic")
    if args.json:
        return json.dumps({
            "model": r.model, "formula": r.formula, "n": r.n, "n_nodes": r.n_nodes, "n_pairs": r.n_pairs,
            "n_dropped": r.n_dropped, "llf": r.llf, "iterations": r.iterations, "se_type": "dyadic",
            "se_label": r.labels["dyadic"],
            "terms": [{"term": t, "estimate": float(row.estimate), "se": float(row.se), "z": float(row.z),
                       "p": float(row.p), "ci_low": float(row.ci_low), "ci_high": float(row.ci_high),
                       "se_model": float(r.se["model"][t]), "se_hc0": float(r.se["hc0"][t])}
                      for t, row in table.iterrows()],
            "warnings": r.warnings,
        }, ensure_ascii=False, indent=2)
    lines = [_("{model} out of core: {n:,} rows, {n_pairs:,} pairs, {n_nodes:,} nodes, {iterations} Newton "
               "iterations, log-likelihood {llf:.4f}").format(model=r.model, n=r.n, n_pairs=r.n_pairs,
                                                              n_nodes=r.n_nodes, iterations=r.iterations, llf=r.llf),
             _("SE: {label}").format(label=r.labels["dyadic"]),
             f"{_('term'):<24}{_('estimate'):>12}{_('SE'):>12}{'z':>9}{'p':>9}"]
    for t, row in table.iterrows():
        p = "<0.001" if row.p < 0.001 else f"{row.p:.3f}"
        lines.append(f"{t:<24}{row.estimate:>12.6f}{row.se:>12.6f}{row.z:>9.2f}{p:>9}")
    lines += [_("note: {warning}").format(warning=w) for w in r.warnings]
    return "\n".join(lines)
