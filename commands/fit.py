"""The ``fit`` command: fit one dimension's model, print or save it (a run or a specification)."""
from __future__ import annotations

import argparse
import json

from commands.common import CliError, frame_text, ljust, session as _session
from i18n import _


def _fit_extras(args, md, result) -> dict:
    """The inference the user asked for (AME, standardised coefficients, VIF, influence)."""
    from quant.inference.hypotheses import standardized, vif
    import numpy as np

    from quant.inference.influence import city_influence
    from quant.inference.margins import average_marginal_effects

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
    from quant.inference.hypotheses import lr_test, wald_nested
    from quant.runs.specs import fit_spec

    other = fit_spec(s, args.compare)
    small, big = (other, result) if len(other.params) < len(result.params) else (result, other)
    return {"against": args.compare,
            "tests": [t.__dict__ | {"sentence": t.sentence()} for t in (lr_test(small, big), wald_nested(small, big))]}


def _extras_text(extras: dict) -> str:
    import pandas as pd

    lines = []
    if "ame" in extras:
        table = pd.DataFrame(extras["ame"]["table"]).set_index("term")
        lines += ["", _("Average marginal effects on {scale} (SE: {se_label})").format(
                      scale=extras["ame"]["scale"], se_label=extras["ame"]["se_label"]),
                  frame_text(table, float_format=lambda v: f"{v:.5g}")]
    if "standardized" in extras:
        lines += ["", _("Standardised coefficients (per SD of x)"),
                  frame_text(pd.DataFrame(extras["standardized"]).set_index("term"), float_format=lambda v: f"{v:.5g}")]
    if "vif" in extras:
        lines += ["", _("Variance inflation factors"),
                  frame_text(pd.DataFrame(extras["vif"]).set_index("term"), float_format=lambda v: f"{v:.4g}")]
    if "influence" in extras:
        top = pd.DataFrame(extras["influence"]["top"])
        lines += ["", _("Delete-a-city influence (one-step, exact refits for the top cities; SE: {se_type})").format(
                      se_type=extras["influence"]["se_type"]),
                  frame_text(top, index=False, float_format=lambda v: f"{v:.4g}")]
        lines += [_("note: {warning}").format(warning=n) for n in extras["influence"]["notes"]]
        if "jackknife" in extras["influence"]:
            jack = extras["influence"]["jackknife"]
            if jack is None:
                lines += [_("No node-jackknife covariance: some refits failed (see the notes).")]
            else:
                lines += ["", _("Node-jackknife standard errors (every city left out once; (N-1)/N scaling)")]
                lines += [f"  {ljust(t, 24)} {se:.5g}" for t, se in jack["se"].items()]
    if "compare" in extras:
        lines += ["", _("Nested tests against '{name}':").format(name=extras["compare"]["against"])]
        lines += [f"  {t['sentence']}" for t in extras["compare"]["tests"]]
    return "\n".join(lines)


def cmd_fit(args) -> str:
    from quant.runs.analysis import model_data
    from quant.runs.analysis_fit import fit_with_options
    from quant.models.results import json_value
    from quant.runs.specs import load_spec, save_spec, spec_fit_kwargs

    if args.replace_run and args.save is None:
        raise CliError(_("--replace-run goes with --save NAME."))
    options = {"se": tuple(args.se) if args.se else None, "small_sample": args.small_sample, "psd": args.psd,
               "conservative": args.conservative, "pvalues": args.pvalues, "min_events": args.min_events}
    data_options = {"directed": bool(args.directed), "offset": args.offset, "exposure": args.exposure}
    with _session(args.project) as s:
        if args.spec:
            if args.formula or args.model or args.zero_formula or args.dimension or args.directed \
                    or args.offset or args.exposure:
                raise CliError(_("--spec fits a saved specification as saved; give no --dimension, --model, formula, "
                                 "--directed, --offset or --exposure with it."))
            spec = load_spec(s, args.spec)
            kw = spec_fit_kwargs(spec)
            dimension, zero = spec["dimension"], kw.pop("zero_formula", None)
            model, formula = kw.pop("model"), kw.pop("formula")
            for key in ("directed", "offset", "exposure"):
                if key in kw:
                    data_options[key] = kw.pop(key)
            options.update(kw)
        else:
            dimension, model, formula, zero = args.dimension or "connection", args.model, args.formula, args.zero_formula
        md = model_data(s, dimension, model=model, formula=formula, zero_formula=zero, **data_options)
        result = fit_with_options(md, options)
        extras = _fit_extras(args, md, result)
        if args.compare:
            extras["compare"] = _compare(s, args, result)
        saved = None
        if args.save_spec:
            opts = {k: (list(v) if isinstance(v, tuple) else v) for k, v in {**options, **data_options}.items()
                    if v not in (None, False, "none", "normal")}
            if md.zero_formula:
                opts["zero_formula"] = md.zero_formula
            saved = save_spec(s, args.save_spec, dimension, md.spec.model, md.spec.formula, opts,
                              replace=args.replace_spec)
        run = None
        if args.save is not None:  # an empty name is refused by save_run, never skipped
            from quant.runs.saved import save_run

            settings = {k: v for k, v in {**options, **data_options}.items() if v not in (None, False)}
            if args.spec:
                settings["spec"] = args.spec
            run = save_run(s, args.save, result, md, settings=settings, by=args.coder, replace=args.replace_run)
    if args.json:
        out = result.to_dict()
        out["covariance_settings"] = out["meta"].get("covariance", {})
        if isinstance(out["meta"].get("profile_ci"), dict):  # Firth: beside each term's Wald CI
            out["profile_ci"] = out["meta"]["profile_ci"]
        out.update(json_value(extras))
        if saved:
            out["saved_spec"] = saved["name"]
        if run:
            out["run"] = {"name": run.name, "id": run.id, "fingerprint": run.fingerprint}
        return json.dumps(out, ensure_ascii=False, indent=2)
    text = result.summary_text() + _extras_text(extras)
    text += "\n" + _("Saved the specification as '{name}'.").format(name=saved["name"]) if saved else ""
    return text + ("\n" + _("Saved the fit as the run '{name}'.").format(name=run.name) if run else "")


def _influence_count(text: str) -> int:
    """``--influence K``: a whole number of cities to refit exactly (≥ 0), or -1 for every city."""
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < -1:
        raise argparse.ArgumentTypeError(_("give a whole number of cities (0 or more), or -1 for every city, "
                                           "not {text!r}").format(text=text))
    return value


def register(add) -> None:
    """Add the ``fit`` command."""
    p = add("fit", cmd_fit, _("Fit the model of one collaboration dimension and print the table."))
    p.add_argument("--dimension", default=None, choices=["breadth", "connection", "degree"],
                   help=_("default: connection (breadth is modelled on cities, the others on dyads)"))
    p.add_argument("--model", default=None,
                   choices=["logit", "probit", "cloglog", "firth", "poisson", "nb", "binomial", "ztnb", "nb_pos",
                            "hurdle", "gaussian"],
                   help=_("any model whose outcome type fits: 0/1 -> logit, probit, cloglog, firth; count -> "
                        "poisson, nb (NB2, zeros included), binomial (cities), ztnb, nb_pos, hurdle (dyads); "
                        "y >= 0 -> poisson (PPML); any number -> gaussian (OLS). Default: the dimension's"))
    p.add_argument("--offset", default=None, metavar="COLUMN",
                   help=_("poisson, nb, binary models: a column on the log scale added to the linear predictor"))
    p.add_argument("--exposure", default=None, metavar="COLUMN",
                   help=_("poisson, nb, binary models: a positive column whose log is the offset"))
    p.add_argument("--min-events", type=int, default=None, metavar="N",
                   help=_("least number of events (rarer class of a 0/1 outcome) or rows; default 10. "
                        "Below 10 the fit carries a warning (consider --model firth)"))
    p.add_argument("--directed", action="store_true",
                   help=_("fit on the directed dyads (sender -> receiver rows; sender(x), receiver(x), "
                        "reciprocal(y) in formulas; both orderings of a pair form one cluster)"))
    p.add_argument("--formula", default=None,
                   help=_('patsy formula, any outcome; dyad formulas may use sum(x), absdiff(x), min(x), max(x), '
                        'product(x), same(x), both(x) of city attributes, e.g. '
                        '"connection ~ log_gravity + sum(log_pop) + same(province)"'))
    p.add_argument("--zero-formula", default=None, help=_('hurdle only: the zero part, e.g. "~ log_gravity + same_strategy"'))
    p.add_argument("--se", nargs="+", default=None, choices=["model", "hc0", "hc1", "hc2", "hc3", "dyadic"],
                   help=_("standard-error types to compute (default: all that apply); hc1-hc3 for gaussian only, "
                        "dyadic for dyads only"))
    p.add_argument("--small-sample", default="none", choices=["none", "nodes"],
                   help=_("nodes: multiply the dyadic-robust covariance by N/(N-1)"))
    p.add_argument("--psd", default="none", choices=["none", "clip"],
                   help=_("clip negative eigenvalues of the dyadic-robust covariance"))
    p.add_argument("--conservative", action="store_true", help=_("Graham's always-PSD dyadic covariance (V + V_HC0)"))
    p.add_argument("--pvalues", default="normal", choices=["normal", "t"], help=_("t: t with N - 1 df (N = cities)"))
    p.add_argument("--spec", default=None, metavar="NAME", help=_("fit a specification saved in the project"))
    p.add_argument("--save-spec", default=None, metavar="NAME", help=_("save this specification under NAME"))
    p.add_argument("--replace-spec", action="store_true", help=_("with --save-spec: overwrite a saved one"))
    p.add_argument("--save", default=None, metavar="NAME",
                   help=_("save this fit as a run (estimates, covariances, per-unit fit, data fingerprint)"))
    p.add_argument("--replace-run", action="store_true",
                   help=_("with --save: replace a run of that name (the old one stays restorable by undo)"))
    p.add_argument("--coder", default="researcher", help=_("who saves the run (event log, undo)"))
    p.add_argument("--ame", action="store_true", help=_("average marginal effects (delta-method SEs)"))
    p.add_argument("--standardized", action="store_true", help=_("coefficients per SD of each covariate"))
    p.add_argument("--vif", action="store_true", help=_("variance inflation factors"))
    p.add_argument("--influence", type=_influence_count, default=None, metavar="K",
                   help=_("delete-a-city influence, exact refits for the top K cities (-1: all, with the jackknife)"))
    p.add_argument("--compare", default=None, metavar="NAME",
                   help=_("likelihood-ratio and Wald tests against a saved nested specification"))
    p.add_argument("--json", action="store_true", help=_("print JSON instead of a table"))
