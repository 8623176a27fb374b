"""Degree as a two-part (hurdle) model: a logit for whether a dyad collaborates, on all dyads,
and a zero-truncated NB2 for how many service items, on the collaborating ones (quant.md §2.4),
with a joint dyadic-robust covariance that stacks the scores of both parts (§1.5).

The log-likelihood is additive, ℓ(γ, β, α) = ℓ_logit(γ) + ℓ_ZTNB(β, α), so each part is fitted
on its own (the same estimates as R ``pscl::hurdle(dist="negbin", zero.dist="binomial")``).
For the joint covariance, the per-row scores are stacked,

    S = [S_logit | S_ZTNB],   S_ZTNB = 0 on dyads that do not collaborate,
    H = blockdiag(H_logit, H_ZTNB),

and the node-sum formula of quant.md §1.3 is applied to S. The diagonal blocks then equal the
per-part dyadic covariances; the cross-blocks H_logit⁻¹ (Σ_i U_i^logit U_i^ZTNBᵀ − Σ_g S_g^logit
S_g^ZTNBᵀ) H_ZTNB⁻¹ carry the dependence between the parts through shared cities, which the
delta method for E[y] = P(y > 0)·E[y | y > 0] needs.

References
----------
Mullahy, J. (1986). Specification and testing of some modified count data models. *Journal of
Econometrics* 33(3): 341–365 (the hurdle model).
Cameron, A. C. & Trivedi, P. K. (2013). *Regression Analysis of Count Data*, 2nd ed., §4.5.
Fafchamps, M. & Gubert, F. (2007); Aronow, Samii & Assenova (2015): see ``quant.covariance.dyadic``.
"""
from __future__ import annotations

import i18n
from i18n import N_, _

import numpy as np
import pandas as pd
import statsmodels.api as sm

from quant.models import diagnostics as dg
from quant.blas import single_blas_thread
from quant.models.design import Design, build_design, formula_columns
from quant.covariance.settings import CovarianceSettings, covariance_settings
from quant.errors import ModelError, QuantError
from quant.formula.guard import check_formula
from quant.models.common import Attempt, check_se, run_fit
from quant.models.degree import fit_ztnb
from quant.models.logit_lean import fit_logit_newton
from quant.models.connection import LEAN_LOGIT_MIN_ROWS
from quant.models.shared import DYAD_SE, DyadNodes, check_dyad_columns, finish_dyad_fit
from quant.models.residuals import ztnb_moments
from quant.models.separation import check_separation

__all__ = ["fit_hurdle", "ZERO_OUTCOME", "hurdle_rhs"]

#: Name of the 0/1 outcome of the zero part inside the hurdle's formulas (a plain identifier,
#: since formulas may not use names starting with "_"; ``quant.formula.guard``).
ZERO_OUTCOME = "tandem_collaborates"


def hurdle_rhs(zero_formula: str | None, formula: str) -> str:
    """The right-hand side of the zero part: ``zero_formula`` ("~ x + z", "x + z" or
    "y ~ x + z", the outcome ignored) or, when None, the count formula's right-hand side.

    Raises
    ------
    FormulaError
        Either formula is outside Tandem's formula language (``quant.formula.guard``).
    QuantError
        The zero part has no terms.
    """
    if zero_formula is None or not str(zero_formula).strip():
        text = check_formula(formula)
    else:
        text = check_formula(zero_formula, outcome="optional", what=N_("The zero-part formula"))
    rhs = text.split("~", 1)[-1].strip()
    if not rhs:
        raise QuantError(_("the zero-part formula {zero_formula!r} has no terms after '~'.").format(zero_formula=zero_formula))
    return rhs


def _logit_part(y, X, names):
    """Logit of the zero part: (params, llf, p, S, H, optimizer, notes). From
    ``LEAN_LOGIT_MIN_ROWS`` rows the blocked Newton logit of ``quant.models.logit_lean`` (same MLE,
    no statsmodels copies of X)."""
    dg.check_covariates(X, names)
    check_separation(X, y, names, "collaborates (y > 0)")
    if len(y) >= LEAN_LOGIT_MIN_ROWS:
        start = np.zeros(X.shape[1])
        if "Intercept" in names:
            ybar = float(y.mean())
            start[names.index("Intercept")] = np.log(ybar / (1.0 - ybar))
        with dg.captured_warnings():
            fit = fit_logit_newton(y, X, start=start, scores=True)
        if not fit.converged:
            raise ModelError(_("the hurdle zero part (logit) did not converge in {iterations} Newton "
                             "iterations; look for a variable that separates collaborating dyads.").format(iterations=fit.iterations))
        return fit.params, fit.llf, fit.fitted, fit.scores, fit.hessian, "tandem lean Newton logit", []
    m = sm.Logit(y, X)
    res, optimizer, notes = run_fit(
        m, [Attempt("newton", "newton", None, {"maxiter": 100}),
            Attempt("bfgs", "bfgs", None, {"maxiter": 2000})], "hurdle zero part (logit)",
    )
    params = np.asarray(res.params, float)
    with dg.captured_warnings():
        S, H = m.score_obs(params), m.hessian(params)
    return params, float(res.llf), np.asarray(m.predict(params)), S, H, optimizer, notes


def _zero_design(data: pd.DataFrame, rhs: str, count, count_rhs: str):
    """The zero part's design: the count part's own when the right-hand sides agree (no second
    matrix), else built on a narrow frame of the columns it names (no copy of the table)."""
    if " ".join(rhs.split()) == " ".join(count_rhs.split()):
        return Design(y=np.zeros(len(count.y)), X=count.X, names=list(count.names), outcome=ZERO_OUTCOME,
                      rows=count.rows, n_input=count.n_input, warnings=[])
    _, zcols = formula_columns("y ~ " + rhs, data.columns)
    zframe = data[list(dict.fromkeys(zcols))].copy() if zcols else pd.DataFrame(index=data.index)
    zframe[ZERO_OUTCOME] = 0.0
    return build_design(zframe, f"{ZERO_OUTCOME} ~ {rhs}")


@single_blas_thread
def fit_hurdle(
    data: pd.DataFrame,
    formula: str,
    zero_formula: str | None = None,
    cov: CovarianceSettings | None = None,
    connected: str | None = None,
    min_events: int = dg.MIN_EVENTS,
    **options,
):
    """Fit the two-part (hurdle) model of degree: logit on all dyads + ZTNB2 on collaborating ones.

    Parameters
    ----------
    data : pandas.DataFrame, (n_dyads, ...)
        Every dyad (collaborating or not), with node id columns ``a``, ``b``.
    formula : str
        Count part, e.g. ``"degree ~ capital_any + log_gravity"``; the outcome is 0 on dyads
        that do not collaborate.
    zero_formula : str, optional
        Right-hand side of the zero (logit) part, e.g. ``"~ log_gravity + same_strategy"``;
        default: the count part's right-hand side.
    cov : CovarianceSettings, optional
        As in ``quant.models.dispatch.fit_connection``; the covariances are joint (stacked scores).
    connected : str, optional
        0/1 column marking collaborating dyads (default: outcome > 0). Connected dyads must
        have outcome ≥ 1; unconnected ones any value (ignored by the count part).
    min_events : int
        Least number of collaborating and of non-collaborating dyads (default 10).
    **options
        The fields of ``CovarianceSettings`` as keywords, instead of ``cov``.

    Returns
    -------
    FitResult
        ``dimension="degree"``, ``model="hurdle"``; parameters ``zero:<term>`` (log-odds of
        collaborating) then ``count:<term>`` and ``count:alpha`` (ZTNB2); ``cov`` holds the
        joint (k_zero + k_count)² matrices; ``llf`` is the sum of both parts. ``units``: every
        dyad used, with ``y``, ``positive`` (0/1), ``p_positive`` = P(y > 0), ``count_mean`` =
        E[y | y > 0], ``fitted`` = E[y] = P(y > 0)·E[y | y > 0] and ``pearson`` =
        (y − E[y])/√Var(y), Var(y) = P·E[y² | y > 0] − E[y]². ``meta["parts"]`` holds each
        part's formula, terms, n and log-likelihood.

    Raises
    ------
    FormulaError
        Either formula is outside Tandem's formula language (``quant.formula.guard``).
    QuantError, DyadError
        Bad options, unknown columns, self-pairs.
    ModelError
        As ``fit_connection`` for the zero part (constant outcome, separation, too few events)
        and ``fit_degree`` for the count part (zero counts on connected dyads, alpha ≤ 0,
        non-convergence).
    """
    formula = check_formula(formula)
    cov = covariance_settings(cov, options, where="fit_hurdle")
    se = check_se(cov.se or DYAD_SE, DYAD_SE, "dyad")
    ids = check_dyad_columns(data, cov)
    if connected is not None and connected not in data.columns:
        raise QuantError(i18n._("column {connected!r} (connected) is not in the dyad table.").format(connected=connected))
    rhs = hurdle_rhs(zero_formula, formula)
    count = build_design(data, formula, id_cols=ids)
    zero = _zero_design(data, rhs, count, formula.split("~", 1)[1])
    rows = count.rows if zero.rows is count.rows else np.intersect1d(count.rows, zero.rows, assume_unique=True)
    dropped = len(count.rows) - len(rows)
    if dropped:
        count = count.subset(np.isin(count.rows, rows, assume_unique=True))
    if len(zero.rows) != len(rows):
        zero = zero.subset(np.isin(zero.rows, rows, assume_unique=True))
    y = count.y
    if connected is None:
        if (y < 0).any():
            dg.check_count_outcome(y, count.outcome, 0)
        pos = y > 0
        rule = f"{count.outcome} > 0"
    else:
        conn = pd.to_numeric(data[connected], errors="coerce").to_numpy()[rows]
        if np.isnan(conn).any() or not np.isin(conn, (0, 1)).all():
            raise QuantError(i18n._("column {connected!r} must be 0/1 (collaborating or not) on every row used.").format(connected=connected))
        pos = conn == 1
        rule = f"{connected} = 1"
        if (y[pos] < 1).any():
            raise ModelError(
                i18n._("{sum} collaborating dyad(s) have {outcome} = 0, which "
                "the zero-truncated count part cannot hold.").format(sum=int((y[pos] < 1).sum()), outcome=count.outcome)
            )
    z = pos.astype(float)
    dg.check_binary_outcome(z, f"collaborates ({rule})", min_events)
    dg.check_count_outcome(y[pos], count.outcome, min_events)
    warnings = list(dict.fromkeys(count.warnings + zero.warnings))
    if dropped:
        warnings.append(i18n._("{dropped:,} row(s) complete for the count part were dropped for missing "
                        "values of the zero part's variables.").format(dropped=dropped))
    gz, llf_z, p, Sz, Hz, opt_z, notes_z = _logit_part(z, zero.X, zero.names)
    znames = list(zero.names)
    del zero
    cpart = count.subset(pos)
    dg.check_covariates(cpart.X, cpart.names)
    res, _, opt_c, notes_c = fit_ztnb(cpart.y, cpart.X, cpart.names)
    bc = np.asarray(res.params, float)
    from quant.models.ztnb import ZTNB2

    mc = ZTNB2(cpart.y, cpart.X)
    with dg.captured_warnings():
        Sc_pos, Hc = mc.score_obs(bc), mc.hessian(bc)
    if not np.all(np.isfinite(Hc)):
        raise ModelError(i18n._("the hurdle count part's Hessian has non-finite values at the estimate."))
    kz, kc = Sz.shape[1], Sc_pos.shape[1]
    S = np.zeros((len(rows), kz + kc))
    S[:, :kz] = Sz
    S[pos, kz:] = Sc_pos
    H = np.zeros((kz + kc, kz + kc))
    H[:kz, :kz], H[kz:, kz:] = Hz, Hc
    cnames = list(cpart.names)
    names = [f"zero:{t}" for t in znames] + [f"count:{t}" for t in cnames] + ["count:alpha"]
    alpha = float(bc[-1])
    mu = np.exp(count.X @ bc[:-1])
    del Sz, Sc_pos, cpart, mc
    design = count.without_matrix()
    del count
    m_t, v_t = ztnb_moments(mu, alpha)
    mean = p * m_t
    var = p * (v_t + m_t**2) - mean**2
    pearson = (y - mean) / np.sqrt(var)
    warnings += notes_z + notes_c
    warnings.append(i18n._("hurdle: the zero part uses all {n:,} dyads; the count part the "
                    "{sum:,} collaborating ones ({rule}).").format(n=len(rows), sum=int(pos.sum()), rule=rule))
    nodes = DyadNodes(data, cov.a, cov.b, rows)
    group_vals = data[cov.group].to_numpy()[rows] if cov.group else None
    out = finish_dyad_fit(
        dimension="degree", model="hurdle", formula=formula, design=design, nodes=nodes,
        params=np.concatenate([gz, bc]), names=names, S=S, H=H, llf=llf_z + float(res.llf),
        fitted=mean, pearson=pearson, se=se, cov=cov, group_vals=group_vals, converged=True,
        warnings=warnings, blocks=[slice(0, kz), slice(kz, kz + kc)],
        meta={
            "engine": f"zero: {'statsmodels Logit' if opt_z != 'tandem lean Newton logit' else opt_z}; count: "
                      "Tandem ZTNB2 (TruncatedLFNegativeBinomialP, p = 2, analytic Hessian)",
            "optimizer": f"zero: {opt_z}; count: {opt_c}",
            "residual": "Pearson (y - E[y])/sqrt(Var y) of the hurdle: E[y] = P(y>0) E[y|y>0]",
            "selection": rule,
            "parts": {
                "zero": {"formula": f"{ZERO_OUTCOME} ~ {rhs}", "rhs": rhs, "terms": znames,
                         "n": len(rows), "llf": llf_z},
                "count": {"formula": formula, "terms": cnames + ["alpha"],
                          "n": int(pos.sum()), "llf": float(res.llf)},
            },
        },
    )
    out.units["positive"] = pos.astype(np.int8)
    out.units["p_positive"] = p
    out.units["count_mean"] = m_t
    return out
