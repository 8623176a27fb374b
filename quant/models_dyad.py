"""Dyad-level models: connection (logit/probit on all dyads) and degree (counts on collaborating
dyads), each with model-based, HC0 and dyadic-robust standard errors (quant.md §1, §2.3–2.5).

Logit + zero-truncated NB2 is the two-part (hurdle) model of quant.md §2.4, fitted part by part
(the log-likelihood is additive), as R ``pscl::hurdle(dist="negbin", zero.dist="binomial")``.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.discrete.discrete_model import NegativeBinomialP, Poisson

from quant import diagnostics as dg
from quant._blas import single_blas_thread
from quant.design import Design, build_design
from quant.dyadic import node_index
from quant.errors import DyadError, ModelError, QuantError
from quant.logit_lean import fit_logit_newton
from quant.models_common import ALPHA_FLOOR, Attempt, check_se, covariances, information_criteria, run_fit
from quant.residuals import pearson_binary, pearson_nb2, pearson_ztnb
from quant.results import FitResult
from quant.ztnb import ZTNB2

__all__ = ["fit_connection", "fit_degree", "LEAN_LOGIT_MIN_ROWS"]

#: Logit fits with at least this many rows use ``quant.logit_lean`` when ``engine="auto"``.
LEAN_LOGIT_MIN_ROWS = 200_000

_DYAD_SE = ("model", "hc0", "dyadic")


class _Nodes:
    """Integer node indices of the rows used, and the number of nodes in the input table.

    Works on the pandas columns themselves (no conversion of string ids to Python objects);
    ``city_a``/``city_b`` keep the input dtype.
    """

    def __init__(self, data: pd.DataFrame, a: str, b: str, rows: np.ndarray):
        A, B = data[a], data[b]
        miss = A.isna().to_numpy() | B.isna().to_numpy()
        every = len(rows) == len(data)  # rows are increasing positions: all rows, in order
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
                f"row {d} pairs city {A.iloc[d]!r} with itself; a dyad needs two different "
                f"cities ({len(selfp)} self-pair row(s) in all)."
            )
        self.n_input_nodes = len(labels)
        self.city_a = A.array if every else A.iloc[rows].array
        self.city_b = B.array if every else B.iloc[rows].array


def _common_checks(data, a: str, b: str, group: str | None):
    if not isinstance(data, pd.DataFrame):
        raise QuantError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    for col in (a, b) + ((group,) if group else ()):
        if col not in data.columns:
            raise QuantError(f"column {col!r} is not in the dyad table.")
    return (a, b) + ((group,) if group else ())


def _finish(
    *, dimension, model, formula, design: Design, nodes: _Nodes, params, names, S, H, llf,
    fitted, pearson, se, group_vals, n_nodes, small_sample, psd, conservative, converged,
    warnings, meta,
) -> FitResult:
    N = nodes.n_input_nodes if n_nodes is None else int(n_nodes)
    cov = covariances(
        S, H, names, se, a=nodes.ia, b=nodes.ib, group=group_vals, n_nodes=N,
        small_sample=small_sample, psd=psd, conservative=conservative,
    )
    warnings = list(warnings) + cov.warnings
    n_pairs = cov.meta.get("n_pairs")
    if n_pairs is not None and n_pairs < len(design.y):
        warnings.append(
            f"{len(design.y):,} rows form {n_pairs:,} distinct pairs; rows of one pair are "
            "treated as one cluster in the dyadic-robust covariance."
        )
    aic, bic = information_criteria(llf, len(params), len(design.y))
    units = pd.DataFrame(
        {"city_a": nodes.city_a, "city_b": nodes.city_b, "y": design.y, "fitted": fitted,
         "pearson": pearson},
        index=pd.Index(design.rows, name="row"),
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
        Logit optimizer: statsmodels ``Logit`` (Newton), or ``quant.logit_lean`` (same MLE,
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
        raise QuantError(f"connection model {model!r} is not one of logit, probit.")
    if engine not in ("auto", "statsmodels", "lean"):
        raise QuantError(f"engine {engine!r} is not one of auto, statsmodels, lean.")
    if engine == "lean" and model != "logit":
        raise QuantError("the lean engine fits logit only; use engine='statsmodels' for probit.")
    se = check_se(se, _DYAD_SE, "dyad")
    ids = _common_checks(data, a, b, group)
    design = build_design(data, formula, id_cols=ids)
    nodes = _Nodes(data, a, b, design.rows)
    y, X, names = design.y, design.X, design.names
    dg.check_binary_outcome(y, design.outcome, min_events)
    dg.check_covariates(X, names)
    dg.check_separation(X, y, names, design.outcome)
    warnings = list(design.warnings)
    lean = model == "logit" and (
        engine == "lean" or (engine == "auto" and len(y) >= LEAN_LOGIT_MIN_ROWS)
    )
    if lean:
        start = np.zeros(X.shape[1])
        if "Intercept" in names:  # intercept at logit(mean y): fewer Newton steps, same MLE
            ybar = float(y.mean())
            start[names.index("Intercept")] = np.log(ybar / (1.0 - ybar))
        with dg.captured_warnings():
            fit = fit_logit_newton(y, X, start=start, scores=True)
        if not fit.converged:
            raise ModelError(
                f"the logit did not converge in {fit.iterations} Newton iterations (lean engine); "
                "this usually means quasi-complete separation: look for a variable that predicts "
                f"{design.outcome!r} perfectly in some rows."
            )
        params, llf, p, H, S = fit.params, fit.llf, fit.fitted, fit.hessian, fit.scores
        engine_used, optimizer, converged = "tandem lean Newton logit", "newton", True
    else:
        cls = sm.Logit if model == "logit" else sm.Probit
        m = cls(y, X)

        def on_sep():
            dg.check_separation(X, y, names, design.outcome, max_cells=np.inf)

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
    )


def _alpha_ok(res) -> str | None:
    alpha = float(np.asarray(res.params)[-1])
    if alpha > ALPHA_FLOOR:
        return None
    return f"ended at alpha = {alpha:.3g}, at its bound 0 (no overdispersion)"


@single_blas_thread
def fit_degree(
    data: pd.DataFrame,
    formula: str,
    model: str = "ztnb",
    se: Sequence[str] = ("model", "hc0", "dyadic"),
    a: str = "city_a",
    b: str = "city_b",
    group: str | None = None,
    n_nodes: int | None = None,
    small_sample: str = "none",
    psd: str = "none",
    conservative: bool = False,
    connected: str | None = None,
    min_events: int = dg.MIN_EVENTS,
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
    se, a, b, group, n_nodes, small_sample, psd, conservative
        As in ``fit_connection``; ``n_nodes`` defaults to the cities of the whole table.
    connected : str, optional
        0/1 column marking collaborating dyads. Default: dyads with outcome > 0. With "ztnb"
        every connected dyad must have outcome ≥ 1.
    min_events : int
        Least number of collaborating dyads (default 10).

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
    stay aligned. The ZTNB is ``quant.ztnb.ZTNB2``: statsmodels' class with an analytic
    Hessian. Start values: Poisson estimates with alpha = 0.5, optimizer Newton (pitfall
    3); then BFGS, then Newton from NB2 estimates on the same dyads.
    """
    if model not in ("ztnb", "nb_pos"):
        raise QuantError(f"degree model {model!r} is not one of ztnb, nb_pos.")
    se = check_se(se, _DYAD_SE, "dyad")
    ids = _common_checks(data, a, b, group)
    if connected is not None and connected not in data.columns:
        raise QuantError(f"column {connected!r} (connected) is not in the dyad table.")
    full = build_design(data, formula, id_cols=ids)
    if connected is None:
        if (full.y < 0).any():
            dg.check_count_outcome(full.y, full.outcome, 0)
        keep = full.y > 0
        rule = f"{full.outcome} > 0"
    else:
        conn = pd.to_numeric(data[connected], errors="coerce").to_numpy()[full.rows]
        if not np.isin(conn[~np.isnan(conn)], (0, 1)).all():
            raise QuantError(f"column {connected!r} must be 0/1 (collaborating or not).")
        keep = conn == 1
        rule = f"{connected} = 1"
    design = full.subset(keep)
    n_complete = len(full.y)
    del full
    y, X, names = design.y, design.X, design.names
    dg.check_count_outcome(y, design.outcome, min_events)
    if model == "ztnb" and (y < 1).any():
        raise ModelError(
            f"{int((y < 1).sum())} collaborating dyad(s) have {design.outcome} = 0, which a "
            "zero-truncated model cannot hold; use model='nb_pos'."
        )
    dg.check_covariates(X, names)
    nodes = _Nodes(data, a, b, design.rows)
    warnings = list(design.warnings)
    warnings.append(
        f"degree is modelled on the {len(y):,} collaborating dyads ({rule}) of "
        f"{n_complete:,} complete rows; the others are excluded by design."
    )
    pnames = names + ["alpha"]
    if model == "ztnb":
        m = ZTNB2(y, X)  # TruncatedLFNegativeBinomialP(p=2, truncation=0), analytic Hessian
        if m.endog.shape[0] != len(y):  # pitfall 2: rows must not be dropped behind our back
            raise ModelError(
                f"the truncated model kept {m.endog.shape[0]} of {len(y)} rows; ids would misalign."
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
        what = "zero-truncated NB2"
    else:
        m = NegativeBinomialP(y, X, p=2)
        attempts = [
            Attempt("newton from default start", "newton", None, {"maxiter": 100}),
            Attempt("bfgs from default start", "bfgs", None, {"maxiter": 2000}),
            Attempt("nelder-mead from default start", "nm", None, {"maxiter": 20000}),
        ]
        what = "NB2 on collaborating dyads"
    res, optimizer, notes = run_fit(
        m, attempts, what, check=_alpha_ok,
        hint="If the counts are not overdispersed, alpha sits at its bound 0 and NB2 has no "
        "maximum; otherwise simplify the formula or rescale covariates.",
    )
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
        raise ModelError(f"the {what} Hessian has non-finite values at the estimate.")
    group_vals = data[group].to_numpy()[design.rows] if group else None
    return _finish(
        dimension="degree", model=model, formula=formula, design=design, nodes=nodes,
        params=params, names=pnames, S=S, H=H, llf=float(res.llf), fitted=fitted,
        pearson=pearson, se=se, group_vals=group_vals, n_nodes=n_nodes,
        small_sample=small_sample, psd=psd, conservative=conservative, converged=True,
        warnings=warnings,
        meta={"engine": f"statsmodels {type(m).__name__}", "optimizer": optimizer,
              "residual": resid, "selection": rule},
    )
