"""NB2 (and PPML) on all dyads from 200,000 rows go through quant.models.glm_lean with the dyadic
covariance from node score sums; estimates and every SE type equal the statsmodels path
(``NegativeBinomialP`` Newton, (n, k + 1) scores, ``quant.covariance.dyadic``) at 1e-6, and the NB2
estimate equals statsmodels' own ``NegativeBinomial(loglike_method="nb2")`` fit."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from quant.errors import QuantError
from quant.models.glm import fit_glm


def _network(n_nodes, seed=1):
    rng = np.random.default_rng(seed)
    ia, ib = np.triu_indices(n_nodes, 1)
    size = rng.normal(scale=0.5, size=n_nodes)
    n = len(ia)
    x1 = rng.normal(size=n)
    x2 = (rng.uniform(size=n) < 0.3).astype(float)
    mu = np.exp(-1.0 + 0.4 * x1 - 0.5 * x2 + size[ia] + size[ib])
    y = rng.negative_binomial(1 / 0.8, 1 / (1 + 0.8 * mu)).astype(float)  # alpha = 0.8
    names = np.array([f"城{i}" for i in range(n_nodes)])
    return pd.DataFrame({"city_a": names[ia], "city_b": names[ib], "y": y, "x1": x1, "x2": x2})


@pytest.mark.slow
def test_lean_nb2_on_250k_dyads_equals_statsmodels_path():
    df = _network(708)  # 250,278 dyads
    assert len(df) >= 250_000
    t0 = time.perf_counter()
    lean = fit_glm(df, "y ~ x1 + x2", family="nb", unit="dyad")
    t_lean = time.perf_counter() - t0
    assert lean.meta["engine"].startswith("tandem lean Newton NB2")
    ref = fit_glm(df, "y ~ x1 + x2", family="nb", unit="dyad", engine="statsmodels")
    assert ref.meta["engine"].startswith("statsmodels")
    np.testing.assert_allclose(lean.params.to_numpy(), ref.params.to_numpy(), rtol=1e-6, atol=1e-8)
    for key in ("model", "hc0", "dyadic"):
        np.testing.assert_allclose(lean.se[key].to_numpy(), ref.se[key].to_numpy(), rtol=1e-6)
        np.testing.assert_allclose(lean.cov[key], ref.cov[key], rtol=1e-5, atol=1e-12)
    assert lean.se_labels == ref.se_labels
    assert lean.meta["covariance"]["n_pairs"] == ref.meta["covariance"]["n_pairs"] == len(df)
    np.testing.assert_allclose(lean.llf, ref.llf, rtol=1e-10)
    np.testing.assert_allclose(lean.units["fitted"].to_numpy(), ref.units["fitted"].to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(lean.units["pearson"].to_numpy(), ref.units["pearson"].to_numpy(), rtol=1e-5,
                               atol=1e-8)
    print(f"lean NB2 at {len(df):,} dyads: {t_lean:.2f} s")
    # PPML from 200,000 rows takes the same node-sums route
    lean = fit_glm(df, "y ~ x1 + x2", family="poisson", unit="dyad")
    ref = fit_glm(df, "y ~ x1 + x2", family="poisson", unit="dyad", engine="statsmodels")
    assert lean.meta["engine"].startswith("tandem lean Newton Poisson") and ref.meta["engine"].startswith("statsmodels")
    np.testing.assert_allclose(lean.params.to_numpy(), ref.params.to_numpy(), rtol=1e-6, atol=1e-8)
    for key in ("model", "hc0", "dyadic"):
        np.testing.assert_allclose(lean.se[key].to_numpy(), ref.se[key].to_numpy(), rtol=1e-6)


def test_nb2_below_the_lean_threshold_matches_statsmodels_negative_binomial():
    import statsmodels.api as sm
    from statsmodels.discrete.discrete_model import NegativeBinomial

    df = _network(60)  # 1,770 dyads: the lean engine asked for explicitly
    lean = fit_glm(df, "y ~ x1 + x2", family="nb", unit="dyad", engine="lean")
    X = sm.add_constant(df[["x1", "x2"]].to_numpy())
    ref = NegativeBinomial(df["y"].to_numpy(), X, loglike_method="nb2").fit(method="newton", maxiter=200,
                                                                           tol=1e-12, disp=0)
    np.testing.assert_allclose(lean.params.to_numpy(), ref.params, rtol=1e-6)
    np.testing.assert_allclose(lean.se["model"].to_numpy(), ref.bse, rtol=1e-5)
    sm_path = fit_glm(df, "y ~ x1 + x2", family="nb", unit="dyad", engine="statsmodels")
    np.testing.assert_allclose(lean.se["dyadic"].to_numpy(), sm_path.se["dyadic"].to_numpy(), rtol=1e-6)
    with pytest.raises(QuantError, match="lean NB2 engine takes no offset"):
        fit_glm(df.assign(e=1.0), "y ~ x1", family="nb", unit="dyad", engine="lean", exposure="e")
