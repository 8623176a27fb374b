"""Degree model: number of joint service items of collaborating dyads, zero-truncated NB2 (the
count part of the two-part model) or NB2 on collaborating dyads (quant.md §2.4–2.5), with
model-based, HC0 and dyadic-robust standard errors.
"""
from __future__ import annotations

from i18n import _

import numpy as np
import pandas as pd
from statsmodels.discrete.discrete_model import NegativeBinomialP, Poisson

from quant.models import diagnostics as dg
from quant.blas import single_blas_thread
from quant.models.design import build_design
from quant.covariance.settings import CovarianceSettings, covariance_settings
from quant.errors import ModelError, QuantError
from quant.models.common import ALPHA_FLOOR, Attempt, check_se, run_fit
from quant.models.shared import DYAD_SE, DyadNodes, check_dyad_columns, finish_dyad_fit
from quant.models.residuals import pearson_nb2, pearson_ztnb
from quant.models.results import FitResult
from quant.models.ztnb import ZTNB2

__all__ = ["fit_degree", "fit_ztnb"]


def _alpha_ok(res) -> str | None:
    alpha = float(np.asarray(res.params)[-1])
    if alpha > ALPHA_FLOOR:
        return None
    return f"ended at alpha = {alpha:.3g}, at its bound 0 (no overdispersion)"

_ALPHA_HINT = ("If the counts are not overdispersed, alpha sits at its bound 0 and NB2 has no "
               "maximum; otherwise simplify the formula or rescale covariates.")


def fit_ztnb(y: np.ndarray, X: np.ndarray, names: list[str]):
    """Fit the zero-truncated NB2 (``quant.models.ztnb.ZTNB2``) with the start values and optimizer
    fallbacks of quant.md pitfall 3.

    Parameters
    ----------
    y : ndarray, (n,)
        Positive counts.
    X : ndarray, (n, k)
        Design matrix.
    names : list of str, (k,)
        Column names (for messages).

    Returns
    -------
    res : statsmodels results
        Parameters (β, α), α > 0.
    model : ZTNB2
    optimizer : str
        Label of the accepted attempt.
    notes : list of str
        Sentences for the fit's warnings.

    Raises
    ------
    ModelError
        Rows dropped by the truncated model, or no acceptable optimum (all attempts named).
    """
    m = ZTNB2(y, X)  # TruncatedLFNegativeBinomialP(p=2, truncation=0), analytic Hessian
    if m.endog.shape[0] != len(y):  # pitfall 2: rows must not be dropped behind our back
        raise ModelError(
            _("the truncated model kept {shape} of {n} rows; ids would misalign.").format(shape=m.endog.shape[0], n=len(y))
        )
    with dg.captured_warnings():
        try:
            pois = Poisson(y, X).fit(disp=0, method="newton", maxiter=100).params
        except (np.linalg.LinAlgError, ValueError):
            pois = np.zeros(len(names))
    if not np.all(np.isfinite(pois)):
        pois = np.zeros(len(names))
    start = np.append(pois, 0.5)

    def nb_start():
        with dg.captured_warnings():
            try:
                nbp = NegativeBinomialP(y, X, p=2).fit(disp=0, method="newton", maxiter=100).params
            except (np.linalg.LinAlgError, ValueError):
                return start
        return nbp if np.all(np.isfinite(nbp)) and nbp[-1] > 0 else start

    attempts = [
        Attempt("newton from Poisson start, alpha = 0.5", "newton", start, {"maxiter": 100}),
        Attempt("bfgs from Poisson start, alpha = 0.5", "bfgs", start, {"maxiter": 2000}),
        Attempt("newton from NB2 start", "newton", nb_start, {"maxiter": 200}),
    ]
    res, optimizer, notes = run_fit(m, attempts, "zero-truncated NB2", check=_alpha_ok, hint=_ALPHA_HINT)
    return res, m, optimizer, notes


@single_blas_thread
def fit_degree(
    data: pd.DataFrame,
    formula: str,
    model: str = "ztnb",
    cov: CovarianceSettings | None = None,
    connected: str | None = None,
    min_events: int = dg.MIN_EVENTS,
    **options,
) -> FitResult:
    """Fit how many service items collaborating dyads deliver: ZTNB or NB2 on those dyads.

    Parameters
    ----------
    data : pandas.DataFrame, (n_dyads, ...)
        Dyad table; all dyads may be passed, the model keeps the collaborating ones.
    formula : str
        Patsy formula with the item count as outcome, e.g. ``"degree ~ log_gravity"``.
    model : {"ztnb", "nb_pos"}
        "ztnb": zero-truncated NB2 (``TruncatedLFNegativeBinomialP``, p = 2), the count part of
        the two-part model; "nb_pos": plain NB2 (``NegativeBinomialP``) on collaborating dyads,
        for data where an agreement can list 0 items.
    cov : CovarianceSettings, optional
        As in ``fit_connection``; ``n_nodes`` defaults to the cities of the whole table.
    connected : str, optional
        0/1 column marking collaborating dyads. Default: dyads with outcome > 0. With "ztnb"
        every connected dyad must have outcome ≥ 1.
    min_events : int
        Least number of collaborating dyads (default 10).
    **options
        The fields of ``CovarianceSettings`` as keywords, instead of ``cov``.

    Returns
    -------
    FitResult
        ``dimension="degree"``; params include ``alpha`` (NB2: Var = μ + αμ²); ``units`` holds
        the collaborating dyads with ``fitted`` = E[y | y > 0] (ztnb) or μ (nb_pos) and the
        Pearson residual of quant.md §4.3.

    Raises
    ------
    QuantError, DyadError
        As in ``fit_connection``.
    ModelError
        Negative or fractional counts, zero counts on connected dyads under "ztnb", fewer than
        ``min_events`` dyads, constant or collinear covariates, non-convergence or alpha ≤ 0
        after every optimizer tried (named in the message).

    Notes
    -----
    ``TruncatedLFNegativeBinomialP`` silently drops rows with y ≤ 0 (quant.md pitfall 2), so
    this function selects the rows itself and checks that the model kept all of them; node ids
    stay aligned. The ZTNB is ``quant.models.ztnb.ZTNB2``: statsmodels' class with an analytic
    Hessian. Start values: Poisson estimates with alpha = 0.5, optimizer Newton (pitfall
    3); then BFGS, then Newton from NB2 estimates on the same dyads.
    """
    if model not in ("ztnb", "nb_pos"):
        raise QuantError(_("degree model {model!r} is not one of ztnb, nb_pos.").format(model=model))
    cov = covariance_settings(cov, options, where="fit_degree")
    se = check_se(cov.se or DYAD_SE, DYAD_SE, "dyad")
    ids = check_dyad_columns(data, cov)
    if connected is not None and connected not in data.columns:
        raise QuantError(_("column {connected!r} (connected) is not in the dyad table.").format(connected=connected))
    full = build_design(data, formula, id_cols=ids)
    if connected is None:
        if (full.y < 0).any():
            dg.check_count_outcome(full.y, full.outcome, 0)
        keep = full.y > 0
        rule = f"{full.outcome} > 0"
    else:
        conn = pd.to_numeric(data[connected], errors="coerce").to_numpy()[full.rows]
        if not np.isin(conn[~np.isnan(conn)], (0, 1)).all():
            raise QuantError(_("column {connected!r} must be 0/1 (collaborating or not).").format(connected=connected))
        keep = conn == 1
        rule = f"{connected} = 1"
    design = full.subset(keep)
    n_complete = len(full.y)
    del full
    y, X, names = design.y, design.X, design.names
    dg.check_count_outcome(y, design.outcome, min_events)
    if model == "ztnb" and (y < 1).any():
        raise ModelError(
            _("{sum} collaborating dyad(s) have {outcome} = 0, which a "
            "zero-truncated model cannot hold; use model='nb_pos'.").format(sum=int((y < 1).sum()), outcome=design.outcome)
        )
    dg.check_covariates(X, names)
    nodes = DyadNodes(data, cov.a, cov.b, design.rows)
    warnings = list(design.warnings)
    warnings.append(
        _("degree is modelled on the {n:,} collaborating dyads ({rule}) of "
        "{n_complete:,} complete rows; the others are excluded by design.").format(n=len(y), rule=rule, n_complete=n_complete)
    )
    pnames = names + ["alpha"]
    if model == "ztnb":
        res, m, optimizer, notes = fit_ztnb(y, X, names)
        what = "zero-truncated NB2"
    else:
        m = NegativeBinomialP(y, X, p=2)
        attempts = [
            Attempt("newton from default start", "newton", None, {"maxiter": 100}),
            Attempt("bfgs from default start", "bfgs", None, {"maxiter": 2000}),
            Attempt("nelder-mead from default start", "nm", None, {"maxiter": 20000}),
        ]
        what = "NB2 on collaborating dyads"
        res, optimizer, notes = run_fit(m, attempts, what, check=_alpha_ok, hint=_ALPHA_HINT)
    warnings += notes
    params = np.asarray(res.params, float)
    alpha = float(params[-1])
    mu = np.exp(X @ params[:-1])
    if model == "ztnb":
        pearson, fitted = pearson_ztnb(y, mu, alpha)
        resid = "Pearson with zero-truncated NB2 moments (y - E[y|y>0])/sqrt(Var(y|y>0))"
    else:
        pearson, fitted = pearson_nb2(y, mu, alpha), mu
        resid = "Pearson (y - mu)/sqrt(mu + alpha mu^2)"
    with dg.captured_warnings():
        S = m.score_obs(params)
        H = m.hessian(params)
    if not np.all(np.isfinite(H)):
        raise ModelError(_("the {what} Hessian has non-finite values at the estimate.").format(what=what))
    group_vals = data[cov.group].to_numpy()[design.rows] if cov.group else None
    return finish_dyad_fit(
        dimension="degree", model=model, formula=formula, design=design, nodes=nodes,
        params=params, names=pnames, S=S, H=H, llf=float(res.llf), fitted=fitted,
        pearson=pearson, se=se, cov=cov, group_vals=group_vals, converged=True,
        warnings=warnings,
        meta={"engine": f"statsmodels {type(m).__name__}", "optimizer": optimizer,
              "residual": resid, "selection": rule},
    )
