"""Connection model (logit/probit on all dyads) with model-based, HC0 and dyadic-robust
standard errors (quant.md §1, §2.3); the dyad bookkeeping it shares with the other dyad models
is ``quant.models.shared``.

Logit + zero-truncated NB2 (``quant.models.degree``) is the two-part (hurdle) model of quant.md
§2.4, fitted part by part (the log-likelihood is additive), as R
``pscl::hurdle(dist="negbin", zero.dist="binomial")``.
"""
from __future__ import annotations

from i18n import _

import numpy as np
import pandas as pd

from quant.models import diagnostics as dg
from quant.blas import single_blas_thread
from quant.models.design import build_design
from quant.covariance.nodes import pair_count, release_arrow_pool
from quant.covariance.settings import CovarianceSettings, covariance_settings
from quant.errors import ModelError, QuantError
from quant.models.design_columns import ColumnMatrix
from quant.models.logit_lean import PassChecks, fit_logit_newton
from quant.models.common import Attempt, check_se, run_fit
from quant.models.residuals import pearson_binary
from quant.models.results import FitResult
from quant.models.shared import DYAD_SE, DyadNodes, check_dyad_columns, covariances_from_sums, finish_dyad_fit
from quant.models.separation import LP_MAX_CELLS, check_separation

__all__ = ["fit_connection", "LEAN_LOGIT_MIN_ROWS"]

#: Logit fits with at least this many rows use ``quant.models.logit_lean`` when ``engine="auto"``.
LEAN_LOGIT_MIN_ROWS = 200_000

@single_blas_thread
def fit_connection(
    data: pd.DataFrame,
    formula: str,
    model: str = "logit",
    cov: CovarianceSettings | None = None,
    min_events: int = dg.MIN_EVENTS,
    engine: str = "auto",
    **options,
) -> FitResult:
    """Fit whether a dyad collaborates: logit or probit on all dyads.

    Parameters
    ----------
    data : pandas.DataFrame, (n_dyads, ...)
        One row per dyad (or several per pair with ``group``), with node id columns ``a``, ``b``.
    formula : str
        Patsy formula, outcome 0/1, e.g. ``"connection ~ log_gravity + same_province"``.
    model : {"logit", "probit"}
    cov : CovarianceSettings, optional
        Standard errors to compute (``se``: "model", "hc0", "dyadic"; default all three, the
        reported type "dyadic"), the node id columns ``a``, ``b``, the pair column ``group``,
        ``n_nodes`` and the dyadic options (``quant.covariance.settings``).
    min_events : int
        Least number of rows in the rarer outcome class (default 10).
    engine : {"auto", "statsmodels", "lean"}
        Logit optimizer: statsmodels ``Logit`` (Newton), or ``quant.models.logit_lean`` (same MLE,
        less memory); "auto" uses the lean one from ``LEAN_LOGIT_MIN_ROWS`` rows. Probit always
        uses statsmodels.
    **options
        The fields of ``CovarianceSettings`` as keywords (``se=``, ``a=``, ``n_nodes=``...),
        instead of ``cov``.

    Returns
    -------
    FitResult
        ``dimension="connection"``; ``units`` has ``city_a``, ``city_b``, ``y``, ``fitted`` (p̂)
        and ``pearson`` = (y − p̂)/√(p̂(1 − p̂)) for every row used.

    Raises
    ------
    QuantError
        Bad options (``cov`` and keywords together among them), unknown columns or variables.
    DyadError
        A self-pair (in any row), a group column inconsistent with the pairs.
    ModelError
        Outcome not 0/1, constant, or with fewer than ``min_events`` events; a constant or
        collinear covariate; complete or quasi-complete separation (the variable named);
        non-convergence (what was tried); infinite values (the variable named).
    """
    if model not in ("logit", "probit"):
        raise QuantError(_("connection model {model!r} is not one of logit, probit.").format(model=model))
    if engine not in ("auto", "statsmodels", "lean"):
        raise QuantError(_("engine {engine!r} is not one of auto, statsmodels, lean.").format(engine=engine))
    if engine == "lean" and model != "logit":
        raise QuantError(_("the lean engine fits logit only; use engine='statsmodels' for probit."))
    cov = covariance_settings(cov, options, where="fit_connection")
    se = check_se(cov.se or DYAD_SE, DYAD_SE, "dyad")
    ids = check_dyad_columns(data, cov)
    release_arrow_pool()  # memory a Parquet read left in Arrow's pool, before X is built
    # the lean logit reads a plain numeric formula's columns in place (no (n, k) copy)
    design = build_design(data, formula, id_cols=ids, columns=model == "logit" and engine != "statsmodels")
    nodes = DyadNodes(data, cov.a, cov.b, None if design.all_rows else design.rows)
    y, X, names = design.y, design.X, design.names
    dg.check_binary_outcome(y, design.outcome, min_events)
    warnings = list(design.warnings)
    computed = None
    lean = model == "logit" and (
        engine == "lean" or (engine == "auto" and len(y) >= LEAN_LOGIT_MIN_ROWS)
    )
    if not lean and not isinstance(X, np.ndarray):
        X = np.asarray(X, dtype=float)  # statsmodels needs the matrix itself
    # A lean fit on the table's columns runs the covariate and univariate separation checks on
    # the statistics of its first pass over all rows (PassChecks: no separate passes over X);
    # otherwise they run here first. The separation linear program costs far more than a lean
    # fit (4 s against 0.3 s at 500,000 dyads): the lean path checks column by column first and
    # runs the LP only when the fit fails or reaches fitted probabilities of 0 or 1; the same
    # sentences either way.
    in_pass = lean and isinstance(X, ColumnMatrix)
    if in_pass:
        dg.check_enough_rows(*X.shape)
    else:
        dg.check_covariates(X, names)
        check_separation(X, y, names, design.outcome, **({"max_cells": 0} if lean else {}))
    if lean:
        start = np.zeros(X.shape[1])
        if "Intercept" in names:  # intercept at logit(mean y): fewer Newton steps, same MLE
            ybar = float(y.mean())
            start[names.index("Intercept")] = np.log(ybar / (1.0 - ybar))
        N = nodes.n_input_nodes if cov.n_nodes is None else cov.n_nodes
        n_pairs = pair_count(nodes.ia, nodes.ib, len(nodes.labels))
        # one row per pair and no group column: node sums in the last pass, no (n, k) scores
        # (an n_nodes below the observed nodes goes the scores way: dyadic_vcov names the error)
        by_sums = cov.group is None and n_pairs == len(y) and N >= max(2, len(nodes.labels))
        checks = None
        if in_pass:
            pos = y == 1
            rare = pos if np.count_nonzero(pos) <= len(y) / 2 else ~pos

            def run_checks(c):  # the same order and sentences as check_covariates, check_separation
                dg.check_covariates_from(c.lo, c.hi, c.G, names)
                check_separation(X, y, names, design.outcome, max_cells=0,
                                 pre=(c.lo, c.hi, c.rare_min, c.rare_max))

            checks = PassChecks(X.shape[1], rare, run_checks)
        with dg.captured_warnings():
            fit = fit_logit_newton(
                y, X, start=start, scores=not by_sums,
                nodes=(nodes.ia, nodes.ib, len(nodes.labels)) if by_sums else None,
                checks=checks,
            )
        if not fit.converged or not (1e-12 < fit.fitted.min() and fit.fitted.max() < 1.0 - 1e-12):
            check_separation(X, y, names, design.outcome, max_cells=4 * LP_MAX_CELLS)
        if not fit.converged:
            raise ModelError(
                _("the logit did not converge in {iterations} Newton iterations (lean engine); "
                "this usually means quasi-complete separation: look for a variable that predicts "
                "{outcome!r} perfectly in some rows.").format(iterations=fit.iterations, outcome=design.outcome)
            )
        params, llf, p, H, S = fit.params, fit.llf, fit.fitted, fit.hessian, fit.scores
        engine_used, optimizer, converged = "tandem lean Newton logit", "newton", True
        if by_sums:
            computed = covariances_from_sums(H, fit.node_sums, names, se, n_nodes=N, n_pairs=n_pairs,
                                             n_rows=len(y), cov=cov)
    else:
        import statsmodels.api as sm  # here: the lean logit never loads statsmodels

        cls = sm.Logit if model == "logit" else sm.Probit
        m = cls(y, X)

        def on_sep():  # name the variables if the linear program stays affordable
            check_separation(X, y, names, design.outcome, max_cells=4 * LP_MAX_CELLS)

        res, optimizer, notes = run_fit(
            m,
            [Attempt("newton", "newton", None, {"maxiter": 100}),
             Attempt("bfgs", "bfgs", None, {"maxiter": 2000})],
            model, on_separation=on_sep,
        )
        warnings += notes
        params, llf = np.asarray(res.params), float(res.llf)
        p = np.asarray(m.predict(params))
        with dg.captured_warnings():
            S = m.score_obs(params)
            H = m.hessian(params)
        engine_used, converged = f"statsmodels {cls.__name__}", True
    design = design.without_matrix()  # X is no longer needed: free it before the covariances
    del X
    group_vals = data[cov.group].to_numpy()[design.rows] if cov.group else None
    return finish_dyad_fit(
        dimension="connection", model=model, formula=formula, design=design, nodes=nodes,
        params=params, names=names, S=S, H=H, llf=llf, fitted=p, pearson=pearson_binary(y, p),
        se=se, cov=cov, group_vals=group_vals, converged=converged, warnings=warnings,
        meta={"engine": engine_used, "optimizer": optimizer,
              "residual": "Pearson (y - p)/sqrt(p(1 - p))"},
        computed=computed,
    )
