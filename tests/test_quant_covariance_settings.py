"""CovarianceSettings: one object for the covariance options of every model function.

Values are checked against statsmodels (HC0) and a brute-force double sum of the dyadic-robust
meat (Fafchamps & Gubert 2007: rows that share a node are dependent), not against Tandem itself.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from quant.covariance.settings import CovarianceSettings, covariance_settings
from quant.errors import QuantError
from quant.models.dispatch import fit, fit_connection


@pytest.fixture(scope="module")
def dyads():
    rng = np.random.default_rng(7)
    n_nodes = 14
    i, j = np.triu_indices(n_nodes, 1)
    x = rng.normal(size=len(i))
    p = 1.0 / (1.0 + np.exp(-(-0.4 + 0.9 * x)))
    y = (rng.random(len(i)) < p).astype(float)
    return pd.DataFrame({"city_a": i.astype(str), "city_b": j.astype(str), "x": x, "y": y})


def _brute_dyadic(S, Hinv, a, b):
    """H⁻¹ (Σ_d Σ_d' 1[d and d' share a node] s_d s_d'ᵀ) H⁻¹, by the double loop."""
    n = len(a)
    meat = np.zeros((S.shape[1], S.shape[1]))
    for d in range(n):
        for e in range(n):
            if {a[d], b[d]} & {a[e], b[e]}:
                meat += np.outer(S[d], S[e])
    return Hinv @ meat @ Hinv


@pytest.mark.parametrize("bad, word", [
    ({"small_sample": "HC1"}, "small_sample"),
    ({"psd": "yes"}, "psd"),
    ({"n_nodes": 1}, "n_nodes"),
    ({"n_nodes": 12.5}, "n_nodes"),
    ({"a": "city", "b": "city"}, "differ"),
    ({"se": ()}, "at least one"),
    ({"se": ("hc9",)}, "hc9"),
    ({"conservative": "yes"}, "conservative"),
    ({"group": ""}, "group"),
])
def test_a_bad_value_is_one_sentence_naming_it(bad, word):
    with pytest.raises(QuantError, match=word):
        CovarianceSettings(**bad)


def test_values_are_normalised():
    cov = CovarianceSettings(se="dyadic", n_nodes=np.int64(30), conservative=np.bool_(True))
    assert cov.se == ("dyadic",)
    assert cov.n_nodes == 30 and type(cov.n_nodes) is int
    assert cov.conservative is True
    assert CovarianceSettings(se=["model", "hc0"]).se == ("model", "hc0")


def test_cov_and_keywords_together_are_refused_and_unknown_keywords_are_type_errors():
    with pytest.raises(QuantError, match="not both"):
        covariance_settings(CovarianceSettings(), {"psd": "clip"})
    with pytest.raises(TypeError, match="smal_sample"):
        covariance_settings(None, {"smal_sample": "nodes"}, where="fit_connection")
    with pytest.raises(QuantError, match="CovarianceSettings"):
        covariance_settings(("model",))


def test_connection_with_settings_matches_the_brute_force_dyadic_sum(dyads):
    N = 16  # two isolated cities beyond the 14 in the table
    res = fit_connection(dyads, "y ~ x", cov=CovarianceSettings(n_nodes=N, small_sample="nodes"))
    X = sm.add_constant(dyads["x"].to_numpy())
    m = sm.Logit(dyads["y"].to_numpy(), X)
    r = m.fit(disp=0)
    S, Hinv = m.score_obs(r.params), np.linalg.inv(m.hessian(r.params))
    brute = _brute_dyadic(S, Hinv, dyads["city_a"].to_numpy(), dyads["city_b"].to_numpy())
    np.testing.assert_allclose(res.cov["dyadic"], brute * N / (N - 1), rtol=1e-6)
    assert res.n_nodes == N
    assert res.meta["covariance"]["small_sample"] == "nodes"


def test_the_dispatcher_passes_one_object(dyads):
    res = fit(dyads, "connection", "logit", "y ~ x", cov=CovarianceSettings(se=("hc0",)))
    assert list(res.se) == ["hc0"]
    ref = sm.Logit(dyads["y"].to_numpy(), sm.add_constant(dyads["x"].to_numpy())).fit(disp=0, cov_type="HC0")
    np.testing.assert_allclose(res.cov["hc0"], ref.cov_params(), rtol=1e-6)
    with pytest.raises(QuantError, match="city-level"):
        fit(dyads.rename(columns={"city_a": "code"}), "breadth", "poisson", "y ~ x",
            cov=CovarianceSettings(se=("dyadic",)))
