"""City-level model of breadth (number of partner cities): NB2, Poisson or binomial out of
N − 1 possible partners (quant.md §2.2), with model-based and HC0 standard errors.

Breadth is a sum over dyads (deg_i = Σ_j y_ij), so city residuals are not independent; the
dyad-consistent alternative is ``quant.cases.typical_deviant.city_residual_from_dyads``. HC1–HC3 are not
offered (quant.md pitfall 4).
"""
from __future__ import annotations

from i18n import _

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.discrete.discrete_model import NegativeBinomialP, Poisson

from quant.models import diagnostics as dg
from quant.blas import single_blas_thread
from quant.models.design import build_design
from quant.covariance.settings import CovarianceSettings, covariance_settings
from quant.errors import ModelError, QuantError
from quant.models.common import ALPHA_FLOOR, Attempt, check_se, covariances, information_criteria, run_fit
from quant.models.residuals import pearson_binomial, pearson_nb2, pearson_poisson
from quant.models.results import FitResult

__all__ = ["fit_breadth"]

_CITY_SE = ("model", "hc0")


def _alpha_ok(res) -> str | None:
    alpha = float(np.asarray(res.params)[-1])
    if alpha > ALPHA_FLOOR:
        return None
    return f"ended at alpha = {alpha:.3g}, at its bound 0 (no overdispersion)"


@single_blas_thread
def fit_breadth(
    data: pd.DataFrame,
    formula: str,
    model: str = "nb",
    n_possible: int | str | None = None,
    id_col: str = "code",
    cov: CovarianceSettings | None = None,
    min_events: int = dg.MIN_EVENTS,
    **options,
) -> FitResult:
    """Fit the number of partner cities per city.

    Parameters
    ----------
    data : pandas.DataFrame, (n_cities, ...)
        One row per city with id column ``id_col``.
    formula : str
        Patsy formula with the partner count as outcome, e.g. ``"breadth ~ log_pop + capital"``.
    model : {"nb", "poisson", "binomial"}
        "nb": NB2 with alpha estimated (``NegativeBinomialP``, p = 2); "poisson";
        "binomial": ``GLM(Binomial)`` of y successes out of ``n_possible`` trials.
    n_possible : int or str, optional
        Binomial trials: a number (N − 1 possible partners) or a column name (per city). Default
        for "binomial": rows in ``data`` − 1. Ignored by the count models.
    id_col : str
        City id column.
    cov : CovarianceSettings, optional
        Its ``se`` ("model", "hc0"; default both, "model" reported); the dyad fields are not
        used by a city model.
    min_events : int
        Least number of cities (default 10).
    **options
        The fields of ``CovarianceSettings`` as keywords (``se=``), instead of ``cov``.

    Returns
    -------
    FitResult
        ``dimension="breadth"``; ``units`` has ``city``, ``y``, ``fitted`` (expected count:
        μ, or m·p for binomial) and ``pearson`` (quant.md §4.3); binomial fits add ``trials``.

    Raises
    ------
    QuantError
        Bad options, unknown columns, a city appearing in two rows used, a bad ``n_possible``.
    ModelError
        Negative/fractional counts or counts above ``n_possible``, constant outcome, too few
        cities, constant or collinear covariates, a dummy level with only zero counts,
        non-convergence or alpha ≤ 0 (what was tried is named).
    """
    if model not in ("nb", "poisson", "binomial"):
        raise QuantError(_("breadth model {model!r} is not one of nb, poisson, binomial.").format(model=model))
    cov = covariance_settings(cov, options, where="fit_breadth")
    se = check_se(cov.se or _CITY_SE, _CITY_SE, "city")
    if not isinstance(data, pd.DataFrame):
        raise QuantError(_("data must be a pandas DataFrame, got {name__}.").format(name__=type(data).__name__))
    design = build_design(data, formula, id_cols=(id_col,))
    y, X, names = design.y, design.X, design.names
    city = data[id_col].to_numpy()[design.rows]
    dup = pd.Series(city).duplicated()
    if dup.any():
        raise QuantError(
            _("city {city!r} appears in more than one row; breadth "
            "needs one row per city.").format(city=city[int(np.flatnonzero(dup)[0])])
        )
    warnings = list(design.warnings)
    meta: dict = {"outcome": design.outcome, "n_input": design.n_input}
    trials = None
    if model == "binomial":
        if n_possible is None:
            trials = np.full(len(y), float(len(data) - 1))
            meta["n_possible"] = f"{len(data) - 1} (rows in the table - 1)"
        elif isinstance(n_possible, str):
            if n_possible not in data.columns:
                raise QuantError(_("n_possible column {n_possible!r} is not in the city table.").format(n_possible=n_possible))
            trials = pd.to_numeric(data[n_possible], errors="coerce").to_numpy(float)[design.rows]
            meta["n_possible"] = f"column {n_possible}"
        else:
            trials = np.full(len(y), float(n_possible))
            meta["n_possible"] = int(n_possible)
        if not np.all(np.isfinite(trials)) or (trials < 1).any() or (trials != np.round(trials)).any():
            raise QuantError(_("n_possible must be a whole number ≥ 1 for every city, got {n_possible!r}.").format(n_possible=n_possible))
    dg.check_count_outcome(y, design.outcome, min_events, upper=trials)
    dg.check_covariates(X, names)
    dg.check_zero_levels(X, y, names, design.outcome)
    if model == "binomial":
        dg.check_zero_levels(X, trials - y, names, f"{design.outcome} shortfall (n_possible - y)")

    if model == "poisson":
        m = Poisson(y, X)
        attempts = [Attempt("newton", "newton", None, {"maxiter": 100}),
                    Attempt("bfgs", "bfgs", None, {"maxiter": 2000})]
        res, optimizer, notes = run_fit(m, attempts, "Poisson model")
        pnames = names
        params = np.asarray(res.params, float)
        fitted = np.exp(X @ params)
        pearson = pearson_poisson(y, fitted)
        resid = "Pearson (y - mu)/sqrt(mu)"
        scale = None
    elif model == "nb":
        m = NegativeBinomialP(y, X, p=2)
        attempts = [Attempt("newton", "newton", None, {"maxiter": 100}),
                    Attempt("bfgs", "bfgs", None, {"maxiter": 2000}),
                    Attempt("nelder-mead", "nm", None, {"maxiter": 20000})]
        res, optimizer, notes = run_fit(
            m, attempts, "NB2 model", check=_alpha_ok,
            hint="If breadth is not overdispersed, alpha sits at its bound 0: fit model='poisson' "
            "or 'binomial' instead.",
        )
        pnames = names + ["alpha"]
        params = np.asarray(res.params, float)
        fitted = np.exp(X @ params[:-1])
        pearson = pearson_nb2(y, fitted, float(params[-1]))
        resid = "Pearson (y - mu)/sqrt(mu + alpha mu^2)"
        scale = None
    else:
        m = sm.GLM(np.column_stack([y, trials - y]), X, family=sm.families.Binomial())
        with dg.captured_warnings() as records:
            try:
                res = m.fit(maxiter=200, tol=1e-12)
                float(res.llf)  # evaluate (and cache) while warnings are captured
            except (np.linalg.LinAlgError, ValueError) as exc:
                raise ModelError(_("the binomial GLM failed to fit ({exc}).").format(exc=exc)) from None
        if not res.converged or not np.all(np.isfinite(res.params)):
            raise ModelError(
                _("the binomial GLM did not converge in 200 IRLS iterations; check for a covariate "
                "that predicts 0 or all possible partners.")
            )
        notes = [] if not any(issubclass(r.category, RuntimeWarning) for r in records) else [
            "numerical warnings occurred while fitting and were checked: the estimate is finite."
        ]
        optimizer = "IRLS"
        pnames = names
        params = np.asarray(res.params, float)
        p = 1.0 / (1.0 + np.exp(-(X @ params)))
        fitted = trials * p
        pearson = pearson_binomial(y, p, trials)
        resid = "Pearson (y - m p)/sqrt(m p (1 - p)), m = n_possible"
        scale = 1.0
    warnings += notes
    with dg.captured_warnings():
        if scale is None:
            S = m.score_obs(params)
            H = m.hessian(params)
        else:
            S = m.score_obs(params, scale=scale)
            H = m.hessian(params, scale=scale)
    cov = covariances(S, H, pnames, se)
    warnings += cov.warnings
    llf = float(res.llf)
    aic, bic = information_criteria(llf, len(params), len(y))
    meta.update(engine=f"statsmodels {type(m).__name__}", optimizer=optimizer, residual=resid,
                se_requested=list(se))
    units = pd.DataFrame(
        {"city": city, "y": y, "fitted": fitted, "pearson": pearson},
        index=pd.Index(design.rows, name="row"),
        copy=False,
    )
    if trials is not None:
        units["trials"] = trials
    return FitResult(
        dimension="breadth", model=model, formula=formula,
        params=pd.Series(params, index=pnames), se=cov.se, cov=cov.cov,
        se_type="model" if "model" in cov.se else se[0], se_labels=cov.labels,
        n=len(y), n_nodes=len(y), llf=llf, aic=aic, bic=bic, converged=True,
        warnings=warnings, units=units, meta=meta,
    )
