"""Dyadic-robust covariance: the fast node-sum form against a brute-force double sum and the
Aronow–Samii–Assenova decomposition (quant.md §1.2–1.4, §5), plus invariances and input errors."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.discrete.discrete_model import NegativeBinomialP
from statsmodels.discrete.truncated_model import TruncatedLFNegativeBinomialP

from quant.covariance.dyadic import dyadic_vcov, hc0_vcov, node_index
from quant.errors import DyadError, QuantError
from quant.models.dispatch import fit_connection, fit_degree


# ---------------------------------------------------------------- oracles (written for tests)
def brute_meat(S, a, b):
    """B = Σ_d Σ_e 1[{a_d, b_d} ∩ {a_e, b_e} ≠ ∅] s_d s_eᵀ, by explicit loops (O(n²))."""
    n, k = S.shape
    B = np.zeros((k, k))
    for d in range(n):
        for e in range(n):
            if a[d] == a[e] or b[d] == b[e] or a[d] == b[e] or b[d] == a[e]:
                B += np.outer(S[d], S[e])
    return B


def asa_vcov(S, Hinv, a, b, pair):
    """Σ_i V_C,i − V_D − (N − 2)V_0 (Aronow, Samii & Assenova 2015), each piece a one-way
    clustered sandwich built by looping over its clusters."""
    nodes = sorted(set(a) | set(b))
    N = len(nodes)

    def clustered(labels):
        k = S.shape[1]
        meat = np.zeros((k, k))
        for lab in set(labels):
            s = S[[i for i, x in enumerate(labels) if x == lab]].sum(axis=0)
            meat += np.outer(s, s)
        return Hinv @ meat @ Hinv

    V = np.zeros((S.shape[1], S.shape[1]))
    for node in nodes:
        # rows touching the node form one cluster, every other row is its own cluster
        labels = ["node" if (x == node or y == node) else f"row{d}" for d, (x, y) in enumerate(zip(a, b))]
        V += clustered(labels)
    V_D = clustered(list(pair))
    V_0 = clustered([f"row{d}" for d in range(len(a))])
    return V - V_D - (N - 2) * V_0


def _flo(shared):
    df = pd.read_csv(shared("validation", "florentine_dyads.csv"))
    m = sm.Logit(df["tie"].to_numpy(float), sm.add_constant(df["w_sum"].to_numpy(float)))
    r = m.fit(disp=0, method="newton", tol=1e-12)
    S = m.score_obs(r.params)
    Hinv = np.linalg.inv(m.hessian(r.params))
    return df, S, Hinv


def _check_three_forms(S, Hinv, a, b, group=None):
    pair = [frozenset((x, y)) for x, y in zip(a, b)] if group is None else list(group)
    fast = dyadic_vcov(S, Hinv, a, b, group=group).cov
    brute = Hinv @ brute_meat(S, a, b) @ Hinv
    asa = asa_vcov(S, Hinv, list(a), list(b), pair)
    np.testing.assert_allclose(fast, brute, rtol=1e-10, atol=1e-14 * np.abs(brute).max())
    np.testing.assert_allclose(fast, asa, rtol=1e-10, atol=1e-12 * np.abs(brute).max())
    return fast


# ---------------------------------------------------------------- equivalence of the three forms
def test_dyadic_florentine_equals_double_sum_and_asa(shared):
    df, S, Hinv = _flo(shared)
    a, b = df["i"].to_numpy(), df["j"].to_numpy()
    V = _check_three_forms(S, Hinv, a, b)
    # and the same matrix comes out of the model function
    res = fit_connection(df, "tie ~ w_sum", a="i", b="j")
    np.testing.assert_allclose(res.cov["dyadic"], V, rtol=1e-7)
    np.testing.assert_allclose(res.se["dyadic"].to_numpy(), np.sqrt(np.diag(V)), rtol=1e-7)


def test_dyadic_repeated_rows_per_pair_with_group():
    rng = np.random.default_rng(7)
    N = 9
    i, j = np.triu_indices(N, 1)
    reps = rng.integers(1, 4, size=len(i))  # 1–3 rows per pair (e.g. years)
    a = np.repeat(i, reps)
    b = np.repeat(j, reps)
    flip = rng.random(len(a)) < 0.5  # some rows in the other direction
    a, b = np.where(flip, b, a), np.where(flip, a, b)
    group = np.array([f"{min(x, y)}-{max(x, y)}" for x, y in zip(a, b)])
    n = len(a)
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.normal(size=n)])
    e = rng.normal(size=n)
    S = X * e[:, None]
    Hinv = np.linalg.inv(X.T @ X)
    V = _check_three_forms(S, Hinv, a, b, group=group)
    # pairs are recognised from a, b even without the group column
    np.testing.assert_allclose(dyadic_vcov(S, Hinv, a, b).cov, V, rtol=1e-12)
    assert dyadic_vcov(S, Hinv, a, b).n_pairs == len(i)


def test_dyadic_nb_fit_equals_double_sum():
    rng = np.random.default_rng(11)
    N = 12
    i, j = np.triu_indices(N, 1)
    n = len(i)
    x = rng.normal(size=n)
    mu = np.exp(0.5 + 0.4 * x)
    y = rng.negative_binomial(1 / 0.6, 1 / (1 + 0.6 * mu))
    X = sm.add_constant(x)
    m = NegativeBinomialP(y, X, p=2)
    r = m.fit(disp=0, method="newton", maxiter=100)
    S = m.score_obs(r.params)
    assert S.shape == (n, 3)  # alpha included
    Hinv = np.linalg.inv(m.hessian(r.params))
    _check_three_forms(S, Hinv, i, j)


def test_dyadic_ztnb_fit_equals_double_sum_and_model_function():
    rng = np.random.default_rng(5)
    N = 14
    i, j = np.triu_indices(N, 1)
    n = len(i)
    x = rng.normal(size=n)
    mu = np.exp(0.8 + 0.5 * x)
    y = rng.negative_binomial(1 / 0.5, 1 / (1 + 0.5 * mu))
    df = pd.DataFrame({"city_a": i, "city_b": j, "items": y, "x": x})
    pos = y > 0
    X = sm.add_constant(x[pos])
    m = TruncatedLFNegativeBinomialP(y[pos], X, truncation=0, p=2)
    start = np.append(sm.Poisson(y[pos], X).fit(disp=0).params, 0.5)
    # Newton from this start ends in NaN here (quant.md pitfall 3); BFGS then a Newton polish.
    r0 = m.fit(start_params=start, method="bfgs", disp=0, maxiter=2000)
    r = m.fit(start_params=r0.params, method="newton", disp=0, maxiter=100)
    assert np.all(np.isfinite(r.params)) and r.params[-1] > 0
    S = m.score_obs(r.params)
    Hinv = np.linalg.inv(m.hessian(r.params))
    V = _check_three_forms(S, Hinv, i[pos], j[pos])
    res = fit_degree(df, "items ~ x", n_nodes=N)
    np.testing.assert_allclose(res.params.to_numpy(), r.params, rtol=1e-6)
    # ours uses the analytic ZTNB Hessian, the oracle statsmodels' numerical one
    np.testing.assert_allclose(res.cov["dyadic"], V, rtol=1e-4, atol=1e-4 * np.abs(V).max())


# ---------------------------------------------------------------- options
def test_dyadic_small_sample_conservative_and_hc0():
    rng = np.random.default_rng(3)
    N = 10
    i, j = np.triu_indices(N, 1)
    S = rng.normal(size=(len(i), 2))
    Hinv = np.array([[2.0, 0.3], [0.3, 1.0]])
    base = dyadic_vcov(S, Hinv, i, j)
    np.testing.assert_allclose(dyadic_vcov(S, Hinv, i, j, small_sample="nodes").cov, base.cov * N / (N - 1))
    V0 = Hinv @ sum(np.outer(s, s) for s in S) @ Hinv
    np.testing.assert_allclose(hc0_vcov(S, Hinv), V0, rtol=1e-12)
    cons = dyadic_vcov(S, Hinv, i, j, conservative=True)
    np.testing.assert_allclose(cons.cov, base.cov + V0, rtol=1e-12)
    assert np.linalg.eigvalsh(cons.cov).min() >= -1e-12
    assert "N = 10 nodes" in base.description and "no clipping" in base.description


def test_dyadic_psd_clip_sets_negative_eigenvalues_to_zero():
    # Four nodes, six dyads, scores summing to zero: the meat is minus the disjoint-pair
    # cross-products, by hand diag(-4, 2) (indefinite).
    a = np.array([0, 2, 0, 1, 0, 1])
    b = np.array([1, 3, 2, 3, 3, 2])
    S = np.array([[1.0, 0], [1, 0], [-1, 0], [-1, 0], [0, 1], [0, -1]])
    Hinv = np.eye(2)
    raw = dyadic_vcov(S, Hinv, a, b)
    np.testing.assert_allclose(raw.cov, np.diag([-4.0, 2.0]), atol=1e-12)
    lam, vec = np.linalg.eigh(raw.cov)
    assert lam.min() < 0 and raw.min_eigenvalue == pytest.approx(lam.min())
    assert not raw.clipped and "not PSD" in raw.description
    clipped = dyadic_vcov(S, Hinv, a, b, psd="clip")
    assert clipped.clipped and clipped.min_eigenvalue == pytest.approx(lam.min())
    np.testing.assert_allclose(clipped.cov, (vec * np.maximum(lam, 0)) @ vec.T, atol=1e-12)
    assert np.linalg.eigvalsh(clipped.cov).min() >= -1e-12
    assert "clipped" in clipped.description


# ---------------------------------------------------------------- invariances
def test_dyadic_invariant_to_relabelling_swapping_and_reordering(shared):
    df, S, Hinv = _flo(shared)
    a, b = df["i"].to_numpy(), df["j"].to_numpy()
    V = dyadic_vcov(S, Hinv, a, b).cov
    names = sorted(set(a) | set(b))
    rng = np.random.default_rng(0)
    new = dict(zip(names, rng.permutation([f"c{k:03d}" for k in range(len(names))])))
    relab = dyadic_vcov(S, Hinv, [new[x] for x in a], [new[x] for x in b]).cov
    np.testing.assert_allclose(relab, V, rtol=1e-13)
    np.testing.assert_allclose(dyadic_vcov(S, Hinv, b, a).cov, V, rtol=1e-13)
    perm = rng.permutation(len(a))
    np.testing.assert_allclose(dyadic_vcov(S[perm], Hinv, a[perm], b[perm]).cov, V, rtol=1e-12)
    # an isolated node changes nothing with small_sample="none"; with "nodes" only the factor
    iso = dyadic_vcov(S, Hinv, a, b, n_nodes=len(names) + 1)
    np.testing.assert_allclose(iso.cov, V, rtol=1e-15)
    assert iso.n_nodes == 17
    N = len(names)
    np.testing.assert_allclose(
        dyadic_vcov(S, Hinv, a, b, n_nodes=N + 1, small_sample="nodes").cov, V * (N + 1) / N
    )


def test_dyadic_model_estimates_invariant_to_relabel_swap_reorder(shared):
    df = pd.read_csv(shared("validation", "florentine_dyads.csv"))
    base = fit_connection(df, "tie ~ w_sum", a="i", b="j")
    swapped = fit_connection(df.rename(columns={"i": "j", "j": "i"}), "tie ~ w_sum", a="i", b="j")
    shuffled = fit_connection(df.sample(frac=1.0, random_state=3), "tie ~ w_sum", a="i", b="j")
    codes = {n: str(900 - k) for k, n in enumerate(sorted(set(df.i) | set(df.j)))}
    relab = fit_connection(df.assign(i=df.i.map(codes), j=df.j.map(codes)), "tie ~ w_sum", a="i", b="j")
    isolated = fit_connection(df, "tie ~ w_sum", a="i", b="j", n_nodes=17)
    for other in (swapped, shuffled, relab, isolated):
        np.testing.assert_allclose(other.params, base.params, rtol=1e-10)
        for key in ("model", "hc0", "dyadic"):
            np.testing.assert_allclose(other.se[key], base.se[key], rtol=1e-9)
    assert isolated.n_nodes == 17 and "N = 17 nodes" in isolated.se_labels["dyadic"]


# ---------------------------------------------------------------- bad input
def test_dyadic_rejects_self_pairs_mismatches_and_bad_groups():
    S = np.ones((3, 2))
    H = np.eye(2)
    with pytest.raises(DyadError, match="itself"):
        dyadic_vcov(S, H, ["A", "B", "C"], ["B", "B", "A"])
    with pytest.raises(DyadError, match="equal length"):
        dyadic_vcov(S, H, ["A", "B", "C"], ["B", "C"])
    with pytest.raises(DyadError, match="rows"):
        dyadic_vcov(S, H, ["A", "B"], ["B", "C"])
    with pytest.raises(QuantError, match="shape"):
        dyadic_vcov(S, np.eye(3), ["A", "B", "C"], ["B", "C", "D"])
    with pytest.raises(DyadError, match="group"):
        dyadic_vcov(S, H, ["A", "B", "A"], ["B", "C", "B"], group=["g1", "g2", "g3"])
    with pytest.raises(DyadError, match="fewer"):
        dyadic_vcov(S, H, ["A", "B", "C"], ["B", "C", "D"], n_nodes=3)
    with pytest.raises(QuantError, match="small_sample"):
        dyadic_vcov(S, H, ["A", "B", "C"], ["B", "C", "D"], small_sample="HC1")
    with pytest.raises(DyadError, match="missing"):
        dyadic_vcov(S, H, ["A", None, "C"], ["B", "C", "D"])
    df = pd.DataFrame({"city_a": ["1", "2", "3"] * 10, "city_b": ["2", "2", "4"] * 10,
                       "y": [0, 1] * 15, "x": range(30)})
    with pytest.raises(DyadError, match="itself"):
        fit_connection(df, "y ~ x")


def test_dyadic_node_index_integer_and_string_paths_agree():
    rng = np.random.default_rng(2)
    a = rng.integers(100, 160, size=500)
    b = rng.integers(100, 160, size=500)
    ia, ib, labels = node_index(a, b)
    assert np.array_equal(labels[ia], a) and np.array_equal(labels[ib], b)
    sa, sb, slabels = node_index(a.astype(str).astype(object), b.astype(str).astype(object))
    assert np.array_equal(slabels[sa], a.astype(str)) and np.array_equal(slabels[sb], b.astype(str))


def test_dyadic_panel_rows_grouped_by_pair_in_fit_connection():
    rng = np.random.default_rng(13)
    N = 20
    i, j = np.triu_indices(N, 1)
    rows = []
    for year in (2021, 2022, 2023):
        x = rng.normal(size=len(i))
        y = (rng.random(len(i)) < 1 / (1 + np.exp(-(-1.0 + 0.8 * x)))).astype(int)
        rows.append(pd.DataFrame({"city_a": i, "city_b": j, "year": year, "x": x, "y": y}))
    df = pd.concat(rows, ignore_index=True)
    df["pair"] = df["city_a"].astype(str) + "-" + df["city_b"].astype(str)
    res = fit_connection(df, "y ~ x", group="pair", psd="clip", conservative=False)
    m = sm.Logit(df["y"].to_numpy(float), sm.add_constant(df["x"].to_numpy()))
    r = m.fit(disp=0, tol=1e-12)
    S, Hinv = m.score_obs(r.params), np.linalg.inv(m.hessian(r.params))
    oracle = Hinv @ brute_meat(S, df["city_a"].to_numpy(), df["city_b"].to_numpy()) @ Hinv
    np.testing.assert_allclose(res.cov["dyadic"], oracle, rtol=1e-7)
    cov_meta = res.meta["covariance"]
    assert cov_meta["n_pairs"] == len(i) and cov_meta["psd"] == "clip" and not cov_meta["clipped"]
    assert any("treated as one cluster" in w for w in res.warnings)
    cons = fit_connection(df, "y ~ x", group="pair", conservative=True)
    assert "Graham" in cons.se_labels["dyadic"]
    bad = df.assign(pair=df["pair"] + "-" + df["year"].astype(str))  # splits each pair in three
    with pytest.raises(DyadError, match="group"):
        fit_connection(bad, "y ~ x", group="pair")
