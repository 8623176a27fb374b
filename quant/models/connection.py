"""Connection model (logit/probit on all dyads) with model-based, HC0 and dyadic-robust
standard errors (quant.md §1, §2.3), and the dyad bookkeeping shared with ``models_degree``.

Logit + zero-truncated NB2 (``quant.models.degree``) is the two-part (hurdle) model of quant.md
§2.4, fitted part by part (the log-likelihood is additive), as R
``pscl::hurdle(dist="negbin", zero.dist="binomial")``.
"""
from __future__ import annotations

from i18n import _
from collections.abc import Sequence

import numpy as np
import pandas as pd

from quant.models import diagnostics as dg
from quant.blas import single_blas_thread
from quant.models.design import Design, build_design
from quant.covariance.dyadic import dyadic_vcov_from_sums, node_index, pair_count, release_arrow_pool
from quant.errors import DyadError, ModelError, QuantError
from quant.models.design_columns import ColumnMatrix
from quant.models.logit_lean import PassChecks, fit_logit_newton
from quant.models.common import (
    SE_LABELS, Attempt, Covariances, check_se, covariances, information_criteria, run_fit,
)
from quant.models.residuals import pearson_binary
from quant.models.results import FitResult
from quant.models.separation import LP_MAX_CELLS, check_separation

__all__ = ["fit_connection", "LEAN_LOGIT_MIN_ROWS"]

#: Logit fits with at least this many rows use ``quant.models.logit_lean`` when ``engine="auto"``.
LEAN_LOGIT_MIN_ROWS = 200_000

_DYAD_SE = ("model", "hc0", "dyadic")


class _Nodes:
    """Integer node indices of the rows used, and the number of nodes in the input table.

    Works on the pandas columns themselves (no conversion of string ids to Python objects);
    ``city_a``/``city_b`` keep the input dtype.
    """

    def __init__(self, data: pd.DataFrame, a: str, b: str, rows: np.ndarray | None):
        A, B = data[a], data[b]
        miss = A.isna().to_numpy() | B.isna().to_numpy()
        # rows are increasing positions (None: all rows, as ``Design.all_rows``)
        every = rows is None or len(rows) == len(data)
        if miss.any():
            keep = np.flatnonzero(~miss)
            ia_all, ib_all, labels = node_index(A.iloc[keep], B.iloc[keep])
            self.ia, self.ib, self.labels = node_index(A.iloc[rows], B.iloc[rows])
        else:
            keep = None
            ia_all, ib_all, labels = node_index(A, B)
            self.ia, self.ib, self.labels = (
                (ia_all, ib_all, labels) if every else (ia_all[rows], ib_all[rows], labels)
            )
        selfp = np.flatnonzero(ia_all == ib_all)
        if len(selfp):
            d = int(selfp[0] if keep is None else keep[selfp[0]])
            raise DyadError(
                _("row {d} pairs city {iloc!r} with itself; a dyad needs two different "
                "cities ({n} self-pair row(s) in all).").format(d=d, iloc=A.iloc[d], n=len(selfp))
            )
        self.n_input_nodes = len(labels)
        self.city_a = A.array if every else A.iloc[rows].array
        self.city_b = B.array if every else B.iloc[rows].array


def _common_checks(data, a: str, b: str, group: str | None):
    if not isinstance(data, pd.DataFrame):
        raise QuantError(_("data must be a pandas DataFrame, got {name__}.").format(name__=type(data).__name__))
    for col in (a, b) + ((group,) if group else ()):
        if col not in data.columns:
            raise QuantError(_("column {col!r} is not in the dyad table.").format(col=col))
    return (a, b) + ((group,) if group else ())


def _finish(
    *, dimension, model, formula, design: Design, nodes: _Nodes, params, names, S, H, llf,
    fitted, pearson, se, group_vals, n_nodes, small_sample, psd, conservative, converged,
    warnings, meta, blocks=None, cov: Covariances | None = None,
) -> FitResult:
    N = nodes.n_input_nodes if n_nodes is None else int(n_nodes)
    if cov is None:  # else computed from score sums by the caller (no (n, k) scores)
        cov = covariances(
            S, H, names, se, a=nodes.ia, b=nodes.ib, group=group_vals, n_nodes=N,
            small_sample=small_sample, psd=psd, conservative=conservative, blocks=blocks,
        )
    warnings = list(warnings) + cov.warnings
    n_pairs = cov.meta.get("n_pairs")
    if n_pairs is not None and n_pairs < len(design.y):
        warnings.append(
            _("{n:,} rows form {n_pairs:,} distinct pairs; rows of one pair are "
            "treated as one cluster in the dyadic-robust covariance.").format(n=len(design.y), n_pairs=n_pairs)
        )
    aic, bic = information_criteria(llf, len(params), len(design.y))
    units = pd.DataFrame(
        {"city_a": nodes.city_a, "city_b": nodes.city_b, "y": design.y, "fitted": fitted,
         "pearson": pearson},
        index=design.row_index(),
        copy=False,
    )
    meta = dict(meta)
    meta.update(
        outcome=design.outcome, n_input=design.n_input, covariance=cov.meta,
        se_requested=list(se),
    )
    se_type = "dyadic" if "dyadic" in cov.se else se[0]
    return FitResult(
        dimension=dimension, model=model, formula=formula,
        params=pd.Series(np.asarray(params, float), index=names),
        se=cov.se, cov=cov.cov, se_type=se_type, se_labels=cov.labels,
        n=len(design.y), n_nodes=N, llf=float(llf), aic=aic, bic=bic, converged=bool(converged),
        warnings=warnings, units=units, meta=meta,
    )


def _covariances_from_sums(H, sums, names, se, N, n_pairs, n_rows, small_sample, psd, conservative):
    """``models_common.covariances`` for a lean logit whose last pass accumulated the node
    score sums and Σ s sᵀ (``quant.models.logit_lean.NodeSums``) instead of the (n, k) scores: the
    same matrices, labels, meta and notes."""
    try:
        Hinv = np.linalg.inv(H)
    except np.linalg.LinAlgError:
        raise ModelError(_("the Hessian is singular at the estimate; covariates may be collinear.")) from None
    if not np.all(np.isfinite(Hinv)):
        raise ModelError(_("the Hessian cannot be inverted at the estimate (non-finite values)."))
    cov, labels, meta, notes = {}, {}, {}, []
    for key in se:
        if key == "model":
            V = -Hinv
            V = (V + V.T) / 2.0
            bad = np.diag(V) <= 0
            if bad.any():
                raise ModelError(
                    _("the log-likelihood is not at a maximum for {names!r} "
                    "(non-positive model-based variance); the fit cannot be trusted.").format(names=names[int(np.flatnonzero(bad)[0])])
                )
            cov[key], labels[key] = V, SE_LABELS["model"]
        elif key == "hc0":
            V = Hinv @ sums.outer @ Hinv.T
            cov[key], labels[key] = (V + V.T) / 2.0, SE_LABELS["hc0"]
        elif key == "dyadic":
            d = dyadic_vcov_from_sums(
                sums.U, sums.outer, Hinv, n_pairs=n_pairs, n_rows=n_rows, n_nodes=N,
                small_sample=small_sample, psd=psd, conservative=conservative,
            )
            cov[key], labels[key] = d.cov, d.description
            meta = {"small_sample": small_sample, "psd": psd, "conservative": bool(conservative),
                    "clipped": d.clipped, "min_eigenvalue": d.min_eigenvalue, "n_nodes": d.n_nodes,
                    "n_pairs": d.n_pairs}
    ses = {}
    for key, V in cov.items():
        diag = np.diag(V)
        neg = diag < 0
        if neg.any():
            notes.append(
                _("the {key} variance of {items} is "
                "negative (the matrix is not positive semi-definite), so its SE is NaN; use "
                "psd='clip' or conservative=True.").format(key=key, items=', '.join((names[j] for j in np.flatnonzero(neg))))
            )
        ses[key] = pd.Series(np.sqrt(np.where(neg, np.nan, diag)), index=names, dtype=float)
    return Covariances(cov=cov, se=ses, labels=labels, meta=meta, warnings=notes)


@single_blas_thread
def fit_connection(
    data: pd.DataFrame,
    formula: str,
    model: str = "logit",
    se: Sequence[str] = ("model", "hc0", "dyadic"),
    a: str = "city_a",
    b: str = "city_b",
    group: str | None = None,
    n_nodes: int | None = None,
    small_sample: str = "none",
    psd: str = "none",
    conservative: bool = False,
    min_events: int = dg.MIN_EVENTS,
    engine: str = "auto",
) -> FitResult:
    """Fit whether a dyad collaborates: logit or probit on all dyads.

    Parameters
    ----------
    data : pandas.DataFrame, (n_dyads, ...)
        One row per dyad (or several per pair with ``group``), with node id columns ``a``, ``b``.
    formula : str
        Patsy formula, outcome 0/1, e.g. ``"connection ~ log_gravity + same_province"``.
    model : {"logit", "probit"}
    se : sequence of {"model", "hc0", "dyadic"}
        Standard errors to compute; the default reported type is "dyadic" when computed.
    a, b : str
        Node (city) id columns.
    group : str, optional
        Pair id column for several rows per pair (checked against the pairs).
    n_nodes : int, optional
        Number of cities N (isolated ones included); default: distinct ids in the table.
    small_sample : {"none", "nodes"}
        Dyadic covariance as is, or × N/(N−1).
    psd : {"none", "clip"}
        Clip negative eigenvalues of the dyadic covariance.
    conservative : bool
        Use Graham's always-PSD dyadic form (V̂ + V̂_HC0).
    min_events : int
        Least number of rows in the rarer outcome class (default 10).
    engine : {"auto", "statsmodels", "lean"}
        Logit optimizer: statsmodels ``Logit`` (Newton), or ``quant.models.logit_lean`` (same MLE,
        less memory); "auto" uses the lean one from ``LEAN_LOGIT_MIN_ROWS`` rows. Probit always
        uses statsmodels.

    Returns
    -------
    FitResult
        ``dimension="connection"``; ``units`` has ``city_a``, ``city_b``, ``y``, ``fitted`` (p̂)
        and ``pearson`` = (y − p̂)/√(p̂(1 − p̂)) for every row used.

    Raises
    ------
    QuantError
        Bad options, unknown columns or variables.
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
    se = check_se(se, _DYAD_SE, "dyad")
    ids = _common_checks(data, a, b, group)
    release_arrow_pool()  # memory a Parquet read left in Arrow's pool, before X is built
    # the lean logit reads a plain numeric formula's columns in place (no (n, k) copy)
    design = build_design(data, formula, id_cols=ids, columns=model == "logit" and engine != "statsmodels")
    nodes = _Nodes(data, a, b, None if design.all_rows else design.rows)
    y, X, names = design.y, design.X, design.names
    dg.check_binary_outcome(y, design.outcome, min_events)
    warnings = list(design.warnings)
    cov = None
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
        N = nodes.n_input_nodes if n_nodes is None else int(n_nodes)
        n_pairs = pair_count(nodes.ia, nodes.ib, len(nodes.labels))
        # one row per pair and no group column: node sums in the last pass, no (n, k) scores
        # (an n_nodes below the observed nodes goes the scores way: dyadic_vcov names the error)
        by_sums = group is None and n_pairs == len(y) and N >= max(2, len(nodes.labels))
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
            cov = _covariances_from_sums(
                H, fit.node_sums, names, se, N, n_pairs, len(y), small_sample, psd, conservative,
            )
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
    group_vals = data[group].to_numpy()[design.rows] if group else None
    return _finish(
        dimension="connection", model=model, formula=formula, design=design, nodes=nodes,
        params=params, names=names, S=S, H=H, llf=llf, fitted=p, pearson=pearson_binary(y, p),
        se=se, group_vals=group_vals, n_nodes=n_nodes, small_sample=small_sample, psd=psd,
        conservative=conservative, converged=converged, warnings=warnings,
        meta={"engine": engine_used, "optimizer": optimizer,
              "residual": "Pearson (y - p)/sqrt(p(1 - p))"},
        cov=cov,
    )
