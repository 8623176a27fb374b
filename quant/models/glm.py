"""Generalised linear models on any unit (cities or dyads): cloglog, Poisson (PPML), NB2 on all
units, Gaussian (OLS), logit/probit on city outcomes and Firth's penalised logit, with
model-based, HC0 (HC1–HC3 for OLS) and, on dyads, dyadic-robust standard errors (quant.md §1).

==========  =================  ===========================================  ==================
family      outcome            fitted by                                    Pearson residual
==========  =================  ===========================================  ==================
logit       0/1                statsmodels ``Logit`` (dyads: fit_connection) (y − p)/√(p(1 − p))
probit      0/1                statsmodels ``Probit``                        (y − p)/√(p(1 − p))
cloglog     0/1                ``GLM(Binomial(link=CLogLog))``, IRLS         (y − p)/√(p(1 − p))
firth       0/1                ``quant.models.firth.fit_firth_logit``               (y − p)/√(p(1 − p))
poisson     any y ≥ 0          ``GLM(Poisson)``, IRLS (PPML: Santos Silva    (y − μ)/√μ
                                & Tenreyro 2006; y need not be integer)
nb          count              ``NegativeBinomialP(p=2)``, Newton             (y − μ)/√(μ + αμ²)
gaussian    any number         least squares (OLS)                           e/σ̂, σ̂² = RSS/(n − k)
==========  =================  ===========================================  ==================

Covariances follow quant.md §1: V = H⁻¹ B H⁻¹ with per-row scores s_d and Hessian H. For OLS
the scores are x_d·e_d and the bread (X'X)⁻¹ (H = −X'X, the sign cancels); the model-based
covariance is σ̂²(X'X)⁻¹ and HC1 = n/(n − k)·HC0, HC2 and HC3 divide e_d² by (1 − h_d) and
(1 − h_d)² (MacKinnon & White 1985). HC1–HC3 are refused for the ML families (statsmodels
returns HC0 under those labels; quant.md pitfall 4).
"""
from __future__ import annotations

from i18n import _

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.discrete.discrete_model import NegativeBinomialP

from quant.models import diagnostics as dg
from quant.blas import single_blas_thread
from quant.models.design import build_design
from quant.covariance.settings import CovarianceSettings, covariance_settings
from quant.errors import ModelError, QuantError
from quant.models.common import ALPHA_FLOOR, Attempt, check_se, covariances, information_criteria, run_fit
from quant.models.residuals import pearson_binary, pearson_gaussian, pearson_nb2, pearson_poisson
from quant.models.glm_parts import fit_firth, fit_lean, fit_ols, offset_vector, sums_plan
from quant.models.shared import DyadNodes, check_dyad_columns, finish_dyad_fit
from quant.models.results import FitResult

__all__ = ["fit_glm", "FAMILIES", "UNITS", "OLS_SE"]

FAMILIES = ("logit", "probit", "cloglog", "firth", "poisson", "nb", "gaussian")
UNITS = ("city", "dyad")
#: SE types of the Gaussian (OLS) model; ML families have model, hc0 (and dyadic on dyads).
OLS_SE = ("model", "hc0", "hc1", "hc2", "hc3", "dyadic")
_BINARY = ("logit", "probit", "cloglog", "firth")
_DEFAULT_DIMENSION = {"city": "breadth", "dyad": "connection"}
_RESIDUAL = {
    "logit": "Pearson (y - p)/sqrt(p(1 - p))",
    "probit": "Pearson (y - p)/sqrt(p(1 - p))",
    "cloglog": "Pearson (y - p)/sqrt(p(1 - p)), p = 1 - exp(-exp(xb))",
    "firth": "Pearson (y - p)/sqrt(p(1 - p)), p from the penalised fit",
    "poisson": "Pearson (y - mu)/sqrt(mu)",
    "nb": "Pearson (y - mu)/sqrt(mu + alpha mu^2)",
    "gaussian": "Pearson e/sigma, sigma^2 = RSS/(n - k)",
}


def _check_se(se, family: str, unit: str) -> tuple[str, ...]:
    se = (se,) if isinstance(se, str) else tuple(se)
    if unit == "city" and any(str(s).lower() == "dyadic" for s in se):
        raise QuantError(
            _("dyadic-robust standard errors are for dyads (rows that share a city); a city-level "
            "model has no pairs, so use 'model' or 'hc0'.")
        )
    if family == "gaussian":
        allowed = OLS_SE if unit == "dyad" else OLS_SE[:-1]
        out = []
        for s in se:
            key = str(s).lower()
            if key not in allowed:
                raise QuantError(_("standard-error type {s!r} is not available for a linear model; "
                                 "choose from {allowed}.").format(s=s, allowed=', '.join(allowed)))
            if key not in out:
                out.append(key)
        if not out:
            raise QuantError(_("at least one standard-error type is needed."))
        return tuple(out)
    return check_se(se, ("model", "hc0", "dyadic") if unit == "dyad" else ("model", "hc0"), unit)


def _check_outcome(y: np.ndarray, outcome: str, family: str, min_events: int) -> None:
    if family in _BINARY:
        dg.check_binary_outcome(y, outcome, min_events)
    elif family == "nb":
        dg.check_count_outcome(y, outcome, min_events)
    elif family == "poisson":
        if (y < 0).any():
            raise ModelError(_("outcome {outcome!r} has {sum} negative value(s); "
                             "Poisson (PPML) needs y ≥ 0 (fractions are fine).").format(outcome=outcome, sum=int((y < 0).sum())))
        if np.all(y == y[0]):
            raise ModelError(_("outcome {outcome!r} is constant; a Poisson model cannot be fitted.").format(outcome=outcome))
    elif np.all(y == y[0]):
        raise ModelError(_("outcome {outcome!r} is constant; a linear model cannot be fitted.").format(outcome=outcome))
    if family not in _BINARY and len(y) < min_events:
        raise ModelError(_("only {n} rows are available for outcome {outcome!r}; at least "
                         "{min_events} are needed for a stable fit.").format(n=len(y), outcome=outcome, min_events=min_events))


def _fit_ml(family, y, X, names, off, outcome):
    """Fit one ML family; returns params, llf, fitted, pearson, S, H, param names, engine, notes."""
    from quant.models.separation import check_separation

    notes: list[str] = []
    if family in ("logit", "probit"):
        check_separation(X, y, names, outcome)
        m = (sm.Logit if family == "logit" else sm.Probit)(y, X, offset=off)
        res, opt, notes = run_fit(m, [Attempt("newton", "newton", None, {"maxiter": 100}),
                                      Attempt("bfgs", "bfgs", None, {"maxiter": 2000})], family)
        params = np.asarray(res.params, float)
        fitted = np.asarray(m.predict(params, offset=off) if off is not None else m.predict(params))
        with dg.captured_warnings():
            S, H = m.score_obs(params), m.hessian(params)
        return (params, float(res.llf), fitted, pearson_binary(y, fitted), S, H, names,
                f"statsmodels {type(m).__name__}", opt, notes)
    if family == "nb":
        m = NegativeBinomialP(y, X, p=2, offset=off)

        def alpha_ok(res):
            a = float(np.asarray(res.params)[-1])
            return None if a > ALPHA_FLOOR else f"ended at alpha = {a:.3g}, at its bound 0 (no overdispersion)"

        res, opt, notes = run_fit(
            m, [Attempt("newton", "newton", None, {"maxiter": 200}),
                Attempt("bfgs", "bfgs", None, {"maxiter": 2000}),
                Attempt("nelder-mead", "nm", None, {"maxiter": 20000})],
            "NB2 model", check=alpha_ok,
            hint="If the outcome is not overdispersed, alpha sits at its bound 0: fit model 'poisson'.")
        params = np.asarray(res.params, float)
        eta = X @ params[:-1] + (0.0 if off is None else off)
        mu = np.exp(eta)
        with dg.captured_warnings():
            S, H = m.score_obs(params), m.hessian(params)
        return (params, float(res.llf), mu, pearson_nb2(y, mu, float(params[-1])), S, H,
                names + ["alpha"], "statsmodels NegativeBinomialP (p = 2)", opt, notes)
    if family == "cloglog":
        check_separation(X, y, names, outcome)
        fam = sm.families.Binomial(link=sm.families.links.CLogLog())
    else:  # poisson (PPML)
        fam = sm.families.Poisson()
    m = sm.GLM(y, X, family=fam, offset=off)
    with dg.captured_warnings() as records:
        try:
            res = m.fit(maxiter=300, tol=1e-13)
            llf = float(res.llf)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError, OverflowError) as exc:
            raise ModelError(_("the {family} GLM failed to fit ({exc}).").format(family=family, exc=str(exc)[:120])) from None
    params = np.asarray(res.params, float)
    if not res.converged or not np.all(np.isfinite(params)) or not np.isfinite(llf):
        raise ModelError(_("the {family} GLM did not converge in 300 IRLS iterations; look for a covariate "
                         "that predicts the outcome perfectly, or rescale covariates.").format(family=family))
    if any(issubclass(r.category, RuntimeWarning) for r in records):
        notes.append(_("numerical warnings occurred while fitting and were checked: the estimate is finite."))
    fitted = np.asarray(res.fittedvalues, float)
    with dg.captured_warnings():
        S, H = m.score_obs(params, scale=1.0), m.hessian(params, scale=1.0)
    pearson = pearson_binary(y, fitted) if family == "cloglog" else pearson_poisson(y, fitted)
    return params, llf, fitted, pearson, S, H, names, f"statsmodels GLM ({type(fam).__name__}, {family})", "IRLS", notes


@single_blas_thread
def fit_glm(
    data: pd.DataFrame,
    formula: str,
    *,
    family: str,
    unit: str,
    cov: CovarianceSettings | None = None,
    offset: str | None = None,
    exposure: str | None = None,
    id_col: str = "code",
    min_events: int = dg.MIN_EVENTS,
    dimension: str | None = None,
    engine: str = "auto",
    **options,
) -> FitResult:
    """Fit one GLM family on cities or dyads.

    Parameters
    ----------
    data : pandas.DataFrame
        City table (one row per city, id column ``id_col``) or dyad table (node id columns
        ``cov.a``, ``cov.b``; several rows per pair with ``cov.group``).
    formula : str
        Patsy formula ``y ~ x1 + x2``.
    family : {"logit", "probit", "cloglog", "firth", "poisson", "nb", "gaussian"}
        See the module table. "nb" is NB2 on every row, zeros included, alpha estimated.
    unit : {"city", "dyad"}
    offset, exposure : str, optional
        Poisson/NB/binary families: a column already on the log (linear-predictor) scale, or a
        positive column whose log is used; ``meta["offset"]`` says which.
    cov : CovarianceSettings, optional
        ``se``: "model", "hc0", "dyadic" (dyads only); Gaussian also "hc1", "hc2", "hc3".
        Default: model, hc0 and (dyads) dyadic. On dyads, the node and pair columns, ``n_nodes``
        and the dyadic options (``quant.covariance.settings``).
    id_col : str
        City id column (city unit).
    min_events : int
        Least number of rows of the rarer class (binary) or of rows (others); default 10.
    dimension : str, optional
        ``FitResult.dimension``; default breadth (cities) or connection (dyads).
    engine : {"auto", "statsmodels", "lean"}
        Poisson and NB: statsmodels (``GLM`` IRLS / ``NegativeBinomialP`` Newton) or
        ``quant.models.glm_lean`` (same MLE, blocked Newton, less memory); "auto" uses the lean one from
        ``quant.models.connection.LEAN_LOGIT_MIN_ROWS`` rows (NB: without an offset). Lean NB2 on dyads
        with one row per pair computes its covariances from per-node score sums (no (n, k + 1)
        score matrix), as the lean logit does.
    **options
        The fields of ``CovarianceSettings`` as keywords, instead of ``cov``.

    Returns
    -------
    FitResult
        ``model`` = ``family``; ``units`` as in ``quant.models.connection`` (dyads) or
        ``quant.models.breadth`` (cities); ``meta["offset"]``, ``meta["residual"]``; Firth adds
        ``meta["profile_ci"]`` ({term: [low, high]}).

    Raises
    ------
    QuantError
        Unknown family/unit, bad SE types (dyadic on cities; HC1–HC3 for ML families), unknown
        columns, a city in two rows (city unit).
    ModelError
        An outcome the family cannot take, too few events, collinear or constant covariates,
        separation, non-convergence, a bad offset/exposure.
    """
    cov = covariance_settings(cov, options, where="fit_glm")
    if family not in FAMILIES:
        raise QuantError(_("model {family!r} is not one of {families}.").format(family=family, families=', '.join(FAMILIES)))
    if engine not in ("auto", "statsmodels", "lean"):
        raise QuantError(_("engine {engine!r} is not one of auto, statsmodels, lean.").format(engine=engine))
    if unit not in UNITS:
        raise QuantError(_("unit {unit!r} is not one of city, dyad.").format(unit=unit))
    if engine == "lean" and family == "nb" and (offset or exposure):
        raise QuantError(_("the lean NB2 engine takes no offset or exposure; use engine 'statsmodels' or 'auto'."))
    if offset or exposure:
        if family == "gaussian":
            raise QuantError(_("an offset or exposure belongs to log-link models (poisson, nb), not gaussian."))
    se = cov.se or (("model", "hc0", "dyadic") if unit == "dyad" else ("model", "hc0"))
    se = _check_se(se, family, unit)
    dimension = dimension or _DEFAULT_DIMENSION[unit]
    if unit == "dyad":
        ids = check_dyad_columns(data, cov)
    else:
        if not isinstance(data, pd.DataFrame):
            raise QuantError(_("data must be a pandas DataFrame, got {name__}.").format(name__=type(data).__name__))
        if id_col not in data.columns:
            raise QuantError(_("column {id_col!r} is not in the city table.").format(id_col=id_col))
        ids = (id_col,)
    design = build_design(data, formula, id_cols=ids)
    y, X, names = design.y, design.X, design.names
    _check_outcome(y, design.outcome, family, min_events)
    dg.check_covariates(X, names)
    if family in ("poisson", "nb"):
        dg.check_zero_levels(X, y, names, design.outcome)
    off, off_note = offset_vector(data, design.rows, offset, exposure)
    warnings = list(design.warnings)
    meta: dict = {"residual": _RESIDUAL[family], "offset": off_note, "unit": unit}
    if off_note:  # the column, so quant.inference.hypotheses can rebuild the offset (AME, influence)
        meta["offset_source"] = {"offset": offset} if offset else {"exposure": exposure}
    ml_se = tuple(s for s in se if s in ("model", "hc0", "dyadic"))
    extra_cov, extra_labels, sums_cov, nodes = {}, {}, None, None
    if family == "gaussian":
        params, e, sigma2, XtX, extra_cov, extra_labels = fit_ols(y, X, se)
        fitted = y - e
        n, k = X.shape
        llf = -0.5 * n * (np.log(2.0 * np.pi * float(e @ e) / n) + 1.0)
        S, H, pnames = X * e[:, None], -XtX, names
        pearson = pearson_gaussian(y, fitted, np.sqrt(sigma2))
        meta.update(engine="least squares (numpy)", optimizer="closed form", sigma=float(np.sqrt(sigma2)))
        ml_se = tuple(s for s in se if s == "dyadic")
    elif family == "firth":
        params, llf, fitted, pearson, S, H, pnames, prof = fit_firth(y, X, names, off)
        meta.update(engine="Firth penalised logit (quant.models.firth)", optimizer="modified Newton",
                    profile_ci=prof, llf_note="penalised log-likelihood")
    elif family in ("poisson", "nb") and (family == "poisson" or off is None) and (
            engine == "lean" or (engine == "auto" and len(y) >= _lean_rows())):
        nodes, sums_args = sums_plan(data, design.rows, len(y), unit, cov, ml_se or ("hc0",))
        params, llf, fitted, pearson, S, H, pnames, sums_cov = fit_lean(family, y, X, names, off, nodes, sums_args)
        meta.update(engine=f"tandem lean Newton {'Poisson' if family == 'poisson' else 'NB2'} (quant.models.glm_lean)",
                    optimizer="newton")
    else:
        params, llf, fitted, pearson, S, H, pnames, eng, opt, notes = _fit_ml(
            family, y, X, names, off, design.outcome)
        warnings += notes
        meta.update(engine=eng, optimizer=opt)
    if family in _BINARY:
        warnings += dg.few_events_warning(y, design.outcome)
    if unit == "dyad":
        nodes = DyadNodes(data, cov.a, cov.b, design.rows) if nodes is None else nodes
        group_vals = data[cov.group].to_numpy()[design.rows] if cov.group else None
        result = finish_dyad_fit(
            dimension=dimension, model=family, formula=formula, design=design.without_matrix(), nodes=nodes,
            params=params, names=pnames, S=S, H=H, llf=llf, fitted=fitted, pearson=pearson,
            se=ml_se or ("hc0",), cov=cov, group_vals=group_vals, converged=True, warnings=warnings,
            meta=meta, computed=sums_cov)
    else:
        city = data[id_col].to_numpy()[design.rows]
        dup = pd.Series(city).duplicated()
        if dup.any():
            raise QuantError(_("city {city!r} appears in more than one row; a "
                             "city-level model needs one row per city.").format(city=city[int(np.flatnonzero(dup)[0])]))
        cov = covariances(S, H, pnames, ml_se or ("hc0",))
        warnings += cov.warnings
        aic, bic = information_criteria(llf, len(params), len(y))
        meta.update(outcome=design.outcome, n_input=design.n_input, se_requested=list(se))
        units = pd.DataFrame({"city": city, "y": y, "fitted": fitted, "pearson": pearson},
                             index=pd.Index(design.rows, name="row"))
        result = FitResult(
            dimension=dimension, model=family, formula=formula, params=pd.Series(params, index=pnames),
            se=cov.se, cov=cov.cov, se_type=next(iter(cov.se)), se_labels=cov.labels, n=len(y), n_nodes=len(y),
            llf=llf, aic=aic, bic=bic, converged=True, warnings=warnings, units=units, meta=meta)
    return _with_extra_cov(result, extra_cov, extra_labels, list(se))


def _lean_rows() -> int:
    from quant.models.connection import LEAN_LOGIT_MIN_ROWS

    return LEAN_LOGIT_MIN_ROWS


def _with_extra_cov(result: FitResult, cov: dict, labels: dict, se: list[str]) -> FitResult:
    """Put the OLS covariances (and only the requested types) into the result."""
    import dataclasses

    covs = {k: v for k, v in {**result.cov, **cov}.items() if k in se}
    labs = {k: v for k, v in {**result.se_labels, **labels}.items() if k in se}
    names = list(result.params.index)
    ses = {k: pd.Series(np.sqrt(np.where(np.diag(V) < 0, np.nan, np.diag(V))), index=names) for k, V in covs.items()}
    ses = {k: result.se[k] if k in result.se and k not in cov else ses[k] for k in se}
    se_type = "dyadic" if "dyadic" in ses else se[0]
    meta = dict(result.meta)
    meta["se_requested"] = se
    return dataclasses.replace(result, cov={k: covs[k] for k in se}, se=ses,
                               se_labels={k: labs[k] for k in se}, se_type=se_type, meta=meta)
