"""Out-of-core fits (quant.models.outofcore) from Parquet and DuckDB tables against references computed
outside the out-of-core path: statsmodels Logit/Poisson (estimates, model and HC0 covariances)
and a brute-force dyadic double sum over every pair of rows sharing a node (an n × n matrix),
also for a panel whose pairs repeat; plus the in-memory fit_connection path to 1e-8."""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from quant.errors import DyadError, FormulaError, ModelError, QuantError
from quant.models.dispatch import fit_connection
from quant.models.outofcore import fit_outofcore, parse_plain_formula, quote_ident


def _dyads(n_nodes=60, years=1, seed=3):
    rng = np.random.default_rng(seed)
    pos = rng.normal(size=(n_nodes, 2))
    size = rng.normal(size=n_nodes)
    i, j = np.triu_indices(n_nodes, 1)
    rows = []
    for t in range(years):
        dist = np.linalg.norm(pos[i] - pos[j], axis=1)
        x2 = size[i] + size[j] + 0.1 * t
        x3 = rng.normal(size=len(i))
        eta = -1.0 - 0.8 * dist + 0.5 * x2 + 0.3 * x3
        rows.append(pd.DataFrame({
            "a": [f"城市{k:03d}" for k in i], "b": [f"城市{k:03d}" for k in j], "year": t,
            "dist": dist, "x2": x2, "x3": x3,
            "y": (rng.random(len(i)) < 1 / (1 + np.exp(-eta))).astype(np.int64),
            "count": rng.poisson(np.exp(0.2 - 0.5 * dist + 0.3 * x2)),
        }))
    return pd.concat(rows, ignore_index=True)


def _brute_dyadic(S, Hinv, a, b):
    """H⁻¹ (Σ_d Σ_e 1[rows d, e share a node] s_d s_eᵀ) H⁻¹ with the n × n sharing matrix."""
    a, b = np.asarray(a), np.asarray(b)
    share = ((a[:, None] == a[None, :]) | (a[:, None] == b[None, :])
             | (b[:, None] == a[None, :]) | (b[:, None] == b[None, :])).astype(float)
    return Hinv @ (S.T @ share @ S) @ Hinv


def _se(V):
    return np.sqrt(np.diag(np.asarray(V)))


@pytest.fixture
def parquet(tmp_path):
    df = _dyads()
    path = tmp_path / "dyads.parquet"
    df.to_parquet(path, index=False)
    return df, path


def test_outofcore_logit_matches_statsmodels_and_double_sum(parquet):
    df, path = parquet
    r = fit_outofcore(path, "y ~ dist + x2 + x3", a="a", b="b", model="logit")
    X = sm.add_constant(df[["dist", "x2", "x3"]].to_numpy())
    ref = sm.Logit(df["y"].to_numpy(), X).fit(disp=0, tol=1e-12, method="newton")
    np.testing.assert_allclose(r.params.to_numpy(), ref.params, rtol=1e-8)
    assert abs(r.llf - ref.llf) < 1e-8
    Hinv = np.linalg.inv(ref.model.hessian(ref.params))
    S = ref.model.score_obs(ref.params)
    np.testing.assert_allclose(_se(r.cov["model"]), _se(-Hinv), rtol=1e-8)
    np.testing.assert_allclose(_se(r.cov["hc0"]), _se(Hinv @ S.T @ S @ Hinv), rtol=1e-8)
    np.testing.assert_allclose(r.cov["dyadic"].to_numpy(), _brute_dyadic(S, Hinv, df["a"], df["b"]),
                               rtol=1e-8, atol=1e-14)
    assert r.n == len(df) and r.n_nodes == 60 and r.n_pairs == len(df)
    assert list(r.params.index) == ["Intercept", "dist", "x2", "x3"]


def test_outofcore_logit_equals_in_memory_fit_connection(parquet):
    df, path = parquet
    r = fit_outofcore(path, "y ~ dist + x2 + x3", a="a", b="b", small_sample="nodes")
    mem = fit_connection(df, "y ~ dist + x2 + x3", a="a", b="b", small_sample="nodes")
    np.testing.assert_allclose(r.params.to_numpy(), mem.params.to_numpy(), rtol=1e-8)
    for key in ("model", "hc0", "dyadic"):
        np.testing.assert_allclose(r.se[key].to_numpy(), mem.se[key].to_numpy(), rtol=1e-8)
    assert r.labels["dyadic"] == mem.se_labels["dyadic"]


def test_outofcore_poisson_matches_statsmodels_glm_and_double_sum(parquet):
    df, path = parquet
    r = fit_outofcore(path, "count ~ dist + x2", a="a", b="b", model="poisson")
    X = sm.add_constant(df[["dist", "x2"]].to_numpy())
    ref = sm.GLM(df["count"].to_numpy(), X, family=sm.families.Poisson()).fit(tol=1e-13)
    np.testing.assert_allclose(r.params.to_numpy(), ref.params, rtol=1e-8)
    mu = ref.fittedvalues
    S = X * (df["count"].to_numpy() - mu)[:, None]
    Hinv = np.linalg.inv(-(X.T * mu) @ X)
    np.testing.assert_allclose(r.cov["model"].to_numpy(), ref.cov_params(), rtol=1e-7)
    np.testing.assert_allclose(r.cov["dyadic"].to_numpy(), _brute_dyadic(S, Hinv, df["a"], df["b"]),
                               rtol=1e-8, atol=1e-14)
    assert abs(r.llf - ref.llf) < 1e-7


def test_outofcore_panel_pairs_repeat_one_cluster(tmp_path):
    df = _dyads(n_nodes=25, years=4)
    folder = tmp_path / "panel"
    folder.mkdir()
    for t, part in df.groupby("year"):  # a folder of Parquet files, one per year
        part.to_parquet(folder / f"year{t}.parquet", index=False)
    r = fit_outofcore(folder, "y ~ dist + x2 + x3", a="b", b="a")  # node columns swapped
    X = sm.add_constant(df[["dist", "x2", "x3"]].to_numpy())
    ref = sm.Logit(df["y"].to_numpy(), X).fit(disp=0, tol=1e-12, method="newton")
    Hinv = np.linalg.inv(ref.model.hessian(ref.params))
    S = ref.model.score_obs(ref.params)
    np.testing.assert_allclose(r.params.to_numpy(), ref.params, rtol=1e-8)
    np.testing.assert_allclose(r.cov["dyadic"].to_numpy(), _brute_dyadic(S, Hinv, df["a"], df["b"]),
                               rtol=1e-8, atol=1e-14)
    assert r.n_pairs == 300 and r.n == 1200
    assert "V_D" not in r.labels["dyadic"] and any("distinct pairs" in w for w in r.warnings)
    mem = fit_connection(df, "y ~ dist + x2 + x3", a="a", b="b", engine="lean")
    np.testing.assert_allclose(r.se["dyadic"].to_numpy(), mem.se["dyadic"].to_numpy(), rtol=1e-8)


def test_outofcore_duckdb_table_and_missing_rows(parquet):
    df, _ = parquet
    df = df.copy()
    df.loc[[3, 10], "x2"] = np.nan
    con = duckdb.connect()
    con.register("frame", df)
    con.execute('CREATE TABLE "my dyads" AS SELECT * FROM frame')
    r = fit_outofcore(formula="y ~ dist + x2 + x3", a="a", b="b", table="my dyads", con=con)
    mem = fit_connection(df, "y ~ dist + x2 + x3", a="a", b="b")
    assert r.n == len(df) - 2 and r.n_dropped == 2
    assert any("2 of 1,770 rows dropped" in w for w in r.warnings)
    np.testing.assert_allclose(r.params.to_numpy(), mem.params.to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(r.se["dyadic"].to_numpy(), mem.se["dyadic"].to_numpy(), rtol=1e-8)
    assert all("?" in q or "COUNT" in q for q in r.queries)
    assert all('"my dyads"' in q for q in r.queries)


def test_outofcore_refuses_bad_formulas_and_data(parquet, tmp_path):
    df, path = parquet
    for bad in ("y ~ np.log(dist)", "y ~ dist * x2", "y ~ dist; DROP TABLE x", "y ~ C(x2)",
                'y ~ "dist"', "y ~ dist + dist", "y"):
        with pytest.raises(FormulaError, match="plain column names|names a column twice"):
            fit_outofcore(path, bad, a="a", b="b")
    with pytest.raises(QuantError, match="'nope' is not in the table"):
        fit_outofcore(path, "y ~ nope", a="a", b="b")
    with pytest.raises(QuantError, match="not numeric"):
        fit_outofcore(path, "y ~ a", a="a", b="b")
    with pytest.raises(ModelError, match="not 0 or 1"):
        fit_outofcore(path, "count ~ dist", a="a", b="b", model="logit")
    with pytest.raises(QuantError, match="does not exist"):
        fit_outofcore(tmp_path / "none.parquet", "y ~ dist", a="a", b="b")
    selfp = df.copy()
    selfp.loc[0, "b"] = selfp.loc[0, "a"]
    selfp.to_parquet(tmp_path / "self.parquet", index=False)
    with pytest.raises(DyadError, match="1 row"):
        fit_outofcore(tmp_path / "self.parquet", "y ~ dist", a="a", b="b")
    assert parse_plain_formula(" 连接 ~ 距离 + x_2 ") == ("连接", ["距离", "x_2"])
    assert quote_ident('a"b') == '"a""b"'


def test_cli_fit_parquet_text_json_and_refusal(parquet, capsys):
    import json

    import cli

    df, path = parquet
    assert cli.main(["fit-parquet", str(path), "--formula", "y ~ dist + x2", "--a", "a", "--b", "b", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    ref = fit_connection(df, "y ~ dist + x2", a="a", b="b")
    assert [t["term"] for t in out["terms"]] == ["Intercept", "dist", "x2"]
    np.testing.assert_allclose([t["se"] for t in out["terms"]], ref.se["dyadic"].to_numpy(), rtol=1e-8)
    assert out["n_nodes"] == 60 and out["se_type"] == "dyadic"
    assert cli.main(["fit-parquet", str(path), "--formula", "count ~ dist", "--a", "a", "--b", "b",
                     "--model", "poisson"]) == 0
    text = capsys.readouterr().out
    assert "poisson out of core: 1,770 rows" in text and "dist" in text
    assert cli.main(["fit-parquet", str(path), "--formula", "y ~ log(dist)", "--a", "a", "--b", "b"]) != 0
    err = capsys.readouterr().err
    assert "plain column names joined by +" in err and "Traceback" not in err
