"""Out-of-core GLM fits with dyadic-robust SEs: Parquet files or DuckDB tables, never in RAM.

For dyad tables (or dyad panels: pairs × years) too large for memory. Each Newton iteration
(logit; for Poisson, Newton = IRLS because the log link is canonical) is ONE aggregation
query over the table: the score Σ_d (y_d − μ_d) x_d, the Hessian −Σ_d w_d x_d x_dᵀ and the
log-likelihood are sums over rows, so the engine streams the rows and returns k + k(k+1)/2 + 1
numbers. At the estimate, one more query per piece gives what the covariances need:

- Σ_d s_d s_dᵀ (HC0 meat), with s_d = (y_d − μ_d) x_d;
- the node score sums U_i = Σ_{d ∋ i} s_d: ``GROUP BY`` node over the rows listed once under
  their first node and once under their second (``UNION ALL``);
- Σ_g S_g S_gᵀ over unordered pairs g = {least(a, b), greatest(a, b)}: a ``GROUP BY`` pair
  inside, the products summed outside (equal to Σ_d s_d s_dᵀ when every pair has one row).

Then B̂ = Σ_i U_iU_iᵀ − Σ_g S_gS_gᵀ and V̂ = H⁻¹B̂H⁻¹, exactly ``quant.covariance.dyadic.dyadic_vcov``
(Fafchamps & Gubert 2007; Aronow, Samii & Assenova 2015; Graham 2020 for the conservative
form), finished by ``quant.covariance.dyadic.dyadic_vcov_from_sums``. The estimates and SEs equal the
in-memory path's (tests/test_outofcore.py, to 1e-8).

A bigger engine, same estimator
-------------------------------
Every query is plain SQL aggregation (``SUM``, ``COUNT``, ``GROUP BY``, ``UNION ALL``,
``CASE``, ``EXP``, ``LN``, ``ABS``, ``GREATEST``, ``LEAST``, ``LGAMMA``) over one relation
named in ``FROM``: the Python side only solves k × k systems. To run on MotherDuck, connect
with ``duckdb.connect("md:my_db")`` and pass ``con=`` and ``table=``; for Spark SQL, run the
queries of ``OutOfCoreFit.queries`` (the relation renamed) through ``spark.sql`` — the
estimator does not change. Column names are quoted as SQL identifiers (``"name"``, inner
quotes doubled) and coefficients travel as bound parameters: no user text is pasted into SQL.

The formula language here is plain column names joined by ``+`` (``y ~ x1 + x2``), with an
intercept; compute transformations (logs, dummies, interactions) as columns first.

References
----------
McCullagh, P. & Nelder, J. A. (1989). *Generalized Linear Models*, 2nd ed., §2.5 (IRLS).
Fafchamps, M. & Gubert, F. (2007). *Journal of Development Economics* 83(2): 326–350.
Aronow, P. M., Samii, C. & Assenova, V. A. (2015). *Political Analysis* 23(4): 564–577.
Graham, B. S. (2020). Network data. *Handbook of Econometrics* 7A: 111–218.
"""
from __future__ import annotations

import i18n
from i18n import _
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from quant.covariance.dyadic import dyadic_vcov_from_sums
from quant.covariance.settings import CovarianceSettings, covariance_settings
from quant.errors import DyadError, ModelError, QuantError
from quant.models.outofcore_sql import parse_plain_formula, quote_ident  # noqa: F401 (importable here)

__all__ = ["OutOfCoreFit", "fit_outofcore", "MODELS"]

MODELS = ("logit", "poisson")
_SE_LABEL_MODEL = "model-based (inverse observed information)"
_SE_LABEL_HC0 = "HC0 sandwich (Huber 1967; White 1980), rows treated as independent"


@dataclass(frozen=True)
class OutOfCoreFit:
    """Result of ``fit_outofcore``.

    Attributes
    ----------
    model, formula : str
    params : pandas.Series, (k,)
        Estimates, ``Intercept`` first.
    cov, se : dict of str → DataFrame (k, k) / Series (k,)
        "model", "hc0", "dyadic" covariance matrices and standard errors.
    labels : dict of str → str
        One sentence per SE type.
    llf : float
    n, n_nodes, n_pairs, n_dropped : int
        Rows used, distinct nodes, distinct unordered pairs, rows dropped for NULL/NaN.
    iterations : int
    warnings : list of str
    queries : list of str
        The distinct SQL statements sent (with ``?`` parameters), to run elsewhere.
    """

    model: str
    formula: str
    params: pd.Series
    cov: dict
    se: dict
    labels: dict
    llf: float
    n: int
    n_nodes: int
    n_pairs: int
    n_dropped: int
    iterations: int
    warnings: list = field(default_factory=list)
    queries: list = field(default_factory=list)

    def table(self, se_type: str = "dyadic") -> pd.DataFrame:
        """estimate, se, z, p (normal), ci_low, ci_high (95 %) per term."""
        est = self.params
        se = self.se[se_type]
        z = est / se
        p = 2.0 * stats.norm.sf(np.abs(z))
        q = stats.norm.ppf(0.975)
        return pd.DataFrame({"estimate": est, "se": se, "z": z, "p": p,
                             "ci_low": est - q * se, "ci_high": est + q * se})


class _Engine:
    """One DuckDB relation and the queries sent to it (recorded for ``queries``)."""

    def __init__(self, con, relation: str):
        self.con = con
        self.rel = relation
        self.sent: list[str] = []

    def run(self, sql: str, params=None):
        if sql not in self.sent:
            self.sent.append(sql)
        return self.con.execute(sql, params or []).fetchall()


def _open(source, table, con):
    import duckdb

    if con is None:
        con = duckdb.connect()
        con.execute("SET preserve_insertion_order = false")
    if table is not None:
        if source is not None:
            raise QuantError(_("give either a Parquet source or a table, not both."))
        return con, quote_ident(table)
    path = Path(source)
    if path.is_dir():
        files = sorted(str(p) for p in path.rglob("*.parquet"))
        if not files:
            raise QuantError(_("the folder {path!r} holds no .parquet file.").format(path=str(path)))
    elif path.is_file():
        files = [str(path)]
    else:
        raise QuantError(_("the Parquet source {path!r} does not exist.").format(path=str(path)))
    con.read_parquet(files).create_view("tandem_source", replace=True)
    return con, "tandem_source"


def _link_sql(model: str) -> dict[str, str]:
    """SQL expressions, in the linear predictor column ``eta``, of μ, the weight w = −∂²ℓ/∂η²
    and the row log-likelihood (stable forms: exp(−|η|) never overflows)."""
    if model == "logit":
        e = "EXP(-ABS(eta))"
        mu = f"(CASE WHEN eta >= 0 THEN 1.0 ELSE {e} END / (1.0 + {e}))"
        return {"mu": mu, "w": "mu * (1.0 - mu)",
                "ll": f"y * eta - GREATEST(eta, 0.0) - LN(1.0 + {e})"}
    return {"mu": "EXP(eta)", "w": "mu", "ll": "y * eta - mu - LGAMMA(y + 1.0)"}


def fit_outofcore(
    source=None,
    formula: str = "",
    model: str = "logit",
    *,
    cov: CovarianceSettings | None = None,
    table: str | None = None,
    con=None,
    tol: float = 1e-10,
    maxiter: int = 50,
    **options,
) -> OutOfCoreFit:
    """Fit a logit or Poisson GLM on a dyad table by streaming aggregation queries.

    Parameters
    ----------
    source : str or Path, optional
        A Parquet file, or a folder searched recursively for ``*.parquet``.
    formula : str
        ``"y ~ x1 + x2"``: plain numeric column names joined by ``+`` (an intercept is added).
    model : {"logit", "poisson"}
    cov : CovarianceSettings, optional
        The two node id columns ``a``, ``b`` (any type; order within a row does not matter),
        ``n_nodes`` (N for the dyadic label and the N/(N−1) factor; default: distinct node ids)
        and the dyadic options ``small_sample``, ``psd``, ``conservative``; model, HC0 and
        dyadic SEs are always computed and the rows of a pair are one cluster, so ``se`` and
        ``group`` are refused.
    table, con : optional
        Instead of ``source``: a table or view name in the DuckDB connection ``con``
        (e.g. MotherDuck). Without ``con`` an in-memory DuckDB is used.
    tol, maxiter
        Newton stops when max|Δβ| ≤ tol·(1 + max|β|) (or the next step is predicted to).
    **options
        The fields of ``CovarianceSettings`` as keywords (``a=``, ``b=``, ``n_nodes=``...),
        instead of ``cov``.

    Returns
    -------
    OutOfCoreFit

    Raises
    ------
    FormulaError
        Not a plain formula.
    QuantError
        Missing source or columns, non-numeric covariates, bad options.
    DyadError
        Self-pairs or missing node ids.
    ModelError
        Outcome not 0/1 (logit) or negative (Poisson), infinite values, collinear covariates,
        no convergence.
    """
    cov = covariance_settings(cov, options, where="fit_outofcore")
    if cov.se is not None or cov.group is not None:
        raise QuantError(i18n._("the out-of-core fit always computes model-based, HC0 and dyadic-robust standard "
                                "errors and treats the rows of a pair as one cluster; it takes no se or group."))
    a, b, n_nodes = cov.a, cov.b, cov.n_nodes
    if model not in MODELS:
        raise QuantError(i18n._("out-of-core model {model!r} is not one of {models}.").format(model=model, models=', '.join(MODELS)))
    yname, xnames = parse_plain_formula(formula)
    con, rel = _open(source, table, con)
    eng = _Engine(con, rel)
    cols = {r[0]: str(r[1]).upper() for r in con.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()}
    for c in [yname, *xnames, a, b]:
        if c not in cols:
            raise QuantError(i18n._("column {c!r} is not in the table (columns: {cols}).").format(c=c, cols=', '.join(cols)))
    numeric = ("INT", "DOUBLE", "FLOAT", "DECIMAL", "REAL", "NUMERIC", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT")
    for c in [yname, *xnames]:
        if not any(t in cols[c] for t in numeric) or cols[c].startswith("BOOL"):
            raise QuantError(i18n._("column {c!r} is {cols}, not numeric; the out-of-core fit needs numbers.").format(c=c, cols=cols[c]))
    if a == b:
        raise QuantError(i18n._("the two node columns must differ."))
    q = {c: quote_ident(c) for c in [yname, *xnames, a, b]}
    k = len(xnames) + 1
    xs = ["1.0"] + [f"x{j}" for j in range(1, k)]
    names = ["Intercept", *xnames]
    # The rows used: numeric columns as DOUBLE, rows with NULL/NaN dropped (counted below).
    casts = ", ".join([f"CAST({q[yname]} AS DOUBLE) AS y"]
                      + [f"CAST({q[c]} AS DOUBLE) AS x{j}" for j, c in enumerate(xnames, 1)])
    ok = " AND ".join(f"{v} IS NOT NULL AND NOT isnan({v})" for v in ["y"] + xs[1:])
    base = (f"(SELECT * FROM (SELECT {q[a]} AS a, {q[b]} AS b, {casts} FROM {rel}) "
            f"WHERE a IS NOT NULL AND b IS NOT NULL AND {ok})")

    # Pass 0: counts and checks.
    inf = " + ".join(f"CAST(isinf({v}) AS INTEGER)" for v in ["y"] + xs[1:])
    check_y = "y NOT IN (0.0, 1.0)" if model == "logit" else "y < 0"
    row = eng.run(
        f"SELECT (SELECT COUNT(*) FROM {rel}) AS n_all, COUNT(*), SUM(y), "
        f"COUNT(*) FILTER (WHERE a = b), COUNT(*) FILTER (WHERE {inf} > 0), "
        f"COUNT(*) FILTER (WHERE {check_y}) FROM {base}"
    )[0]
    n_all, n, ysum, n_self, n_inf, n_bad = (int(row[0]), int(row[1]), float(row[2] or 0.0),
                                            int(row[3]), int(row[4]), int(row[5]))
    n_missing_ids = int(eng.run(f"SELECT COUNT(*) FROM {rel} WHERE {q[a]} IS NULL OR {q[b]} IS NULL")[0][0])
    if n_missing_ids:
        raise DyadError(i18n._("{n_missing_ids:,} row(s) miss a node id in {a!r} or {b!r}; every dyad needs two.").format(n_missing_ids=n_missing_ids, a=a, b=b))
    if n <= k:
        raise ModelError(i18n._("the model has {k} parameters but only {n} usable rows.").format(k=k, n=n))
    if n_self:
        raise DyadError(i18n._("{n_self:,} row(s) pair a node with itself; a dyad needs two different nodes.").format(n_self=n_self))
    if n_inf:
        raise ModelError(i18n._("{n_inf:,} row(s) hold infinite values; fix or drop them before fitting.").format(n_inf=n_inf))
    if n_bad:
        raise ModelError((i18n._("outcome {yname!r} is not 0 or 1 in {n_bad:,} row(s).") if model == "logit" else
                          i18n._("outcome {yname!r} is not a count ≥ 0 in {n_bad:,} row(s).")).format(
            yname=yname, n_bad=n_bad))
    if model == "logit" and (ysum == 0 or ysum == n):
        raise ModelError(i18n._("outcome {yname!r} is constant ({ysum:,} events in {n:,} rows).").format(yname=yname, ysum=int(ysum), n=n))
    warnings: list[str] = []
    n_dropped = n_all - n
    if n_dropped:
        warnings.append(i18n._("{n_dropped:,} of {n_all:,} rows dropped for missing (NULL or NaN) values.").format(n_dropped=n_dropped, n_all=n_all))

    link = _link_sql(model)
    params_sql = " + ".join(["?::DOUBLE"] + [f"?::DOUBLE * x{j}" for j in range(1, k)])
    pairs = [(i, j) for i in range(k) for j in range(i, k)]

    def xx(i, j, w):
        terms = [t for t in (xs[i], xs[j]) if t != "1.0"]
        return " * ".join([w, *terms])

    step_sql = (
        f"SELECT SUM(ll), " + ", ".join(f"SUM({xx(0, j, 'r')})" for j in range(k)) + ", "
        + ", ".join(f"SUM({xx(i, j, 'w')})" for i, j in pairs)
        + f" FROM (SELECT *, y - mu AS r, {link['w']} AS w, {link['ll']} AS ll FROM "
        f"(SELECT *, {link['mu']} AS mu FROM (SELECT *, {params_sql} AS eta FROM {base})))"
    )

    def evaluate(beta):
        out = eng.run(step_sql, [float(v) for v in beta])[0]
        llf = float(out[0])
        grad = np.array(out[1 : 1 + k], dtype=float)
        H = np.zeros((k, k))
        for (i, j), v in zip(pairs, out[1 + k :]):
            H[i, j] = H[j, i] = -float(v)
        return llf, grad, H

    beta = np.zeros(k)
    ybar = ysum / n
    beta[0] = np.log(ybar / (1.0 - ybar)) if model == "logit" else np.log(max(ybar, 1e-300))
    prev_beta, prev_llf, step = None, -np.inf, np.zeros(k)
    converged, it, halvings, last = False, 0, 0, np.inf
    while it < maxiter:
        llf, grad, H = evaluate(beta)
        if prev_beta is not None and (not np.isfinite(llf) or llf < prev_llf - 1e-12 * abs(prev_llf)):
            halvings += 1
            if halvings > 30:
                beta = prev_beta
                break
            step, last = step / 2.0, np.inf
            beta = prev_beta + step
            continue
        halvings = 0
        it += 1
        try:
            step = np.linalg.solve(H, -grad)
        except np.linalg.LinAlgError:
            raise ModelError(i18n._("the Hessian is singular; some covariates are collinear or constant.")) from None
        prev_beta, prev_llf = beta, llf
        beta = beta + step
        size, scale = float(np.max(np.abs(step))), tol * (1.0 + float(np.max(np.abs(beta))))
        if size <= scale or (1e-4 > size < last and size**3 <= scale * last**2):
            converged = True
            break
        last = size
    if not converged:
        raise ModelError(
            i18n._("the {model} did not converge in {it} Newton iterations; for a logit this usually "
            "means separation: look for a covariate that predicts {yname!r} perfectly.").format(model=model, it=it, yname=yname)
        )

    # At β̂: log-likelihood and Hessian, the HC0 meat, node sums, pair sums.
    llf, _, H = evaluate(beta)
    p = [float(v) for v in beta]
    scored = (f"(SELECT a, b, " + ", ".join(f"{xx(0, j, 'r')} AS s{j}" for j in range(k))
              + f" FROM (SELECT *, y - {link['mu']} AS r FROM (SELECT *, {params_sql} AS eta FROM {base})))")
    outer_vals = eng.run("SELECT " + ", ".join(f"SUM(s{i} * s{j})" for i, j in pairs) + f" FROM {scored}", p)[0]
    s_cols = ", ".join(f"s{j}" for j in range(k))
    U = np.array(eng.run(
        f"SELECT " + ", ".join(f"SUM(s{j})" for j in range(k))
        + f" FROM (SELECT a AS node, {s_cols} FROM {scored} UNION ALL SELECT b AS node, {s_cols} FROM {scored})"
        " GROUP BY node", p + p), dtype=float)
    pair_vals = eng.run(
        "SELECT COUNT(*), " + ", ".join(f"SUM(g{i} * g{j})" for i, j in pairs)
        + " FROM (SELECT " + ", ".join(f"SUM(s{j}) AS g{j}" for j in range(k))
        + f" FROM {scored} GROUP BY LEAST(a, b), GREATEST(a, b))", p)[0]
    n_pairs = int(pair_vals[0])

    def sym(vals):
        M = np.zeros((k, k))
        for (i, j), v in zip(pairs, vals):
            M[i, j] = M[j, i] = float(v)
        return M

    outer, pair_outer = sym(outer_vals), sym(pair_vals[1:])
    m = len(U)
    N = m if n_nodes is None else n_nodes
    if N < m:
        raise DyadError(i18n._("n_nodes = {n} is fewer than the {m} distinct nodes in the dyads.").format(n=N, m=m))
    try:
        Hinv = np.linalg.inv(H)
    except np.linalg.LinAlgError:
        raise ModelError(i18n._("the Hessian is singular at the estimate; covariates may be collinear.")) from None
    Vm = -Hinv
    Vh = Hinv @ outer @ Hinv.T
    d = dyadic_vcov_from_sums(U, pair_outer, Hinv, n_pairs=n_pairs, n_rows=n, n_nodes=N,
                              **cov.dyadic_options())
    if n_pairs < n:
        warnings.append(i18n._("{n:,} rows form {n_pairs:,} distinct pairs; rows of one pair are treated "
                        "as one cluster in the dyadic-robust covariance.").format(n=n, n_pairs=n_pairs))
    covs = {"model": (Vm + Vm.T) / 2.0, "hc0": (Vh + Vh.T) / 2.0, "dyadic": d.cov}
    se = {}
    for key, V in covs.items():
        diag = np.diag(V)
        if (diag < 0).any():
            warnings.append(i18n._("the {key} covariance has a negative variance; its SE is NaN (use psd='clip').").format(key=key))
        se[key] = pd.Series(np.sqrt(np.where(diag < 0, np.nan, diag)), index=names)
    return OutOfCoreFit(
        model=model, formula=formula, params=pd.Series(beta, index=names),
        cov={key: pd.DataFrame(V, index=names, columns=names) for key, V in covs.items()},
        se=se, labels={"model": _SE_LABEL_MODEL, "hc0": _SE_LABEL_HC0, "dyadic": d.description},
        llf=llf, n=n, n_nodes=N, n_pairs=n_pairs, n_dropped=n_dropped, iterations=it,
        warnings=warnings, queries=list(eng.sent),
    )
