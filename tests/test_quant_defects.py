"""Defects found in review (issue 11, part 4), each with a test that failed before its fix."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from quant import models
from quant.dyadic import dyadic_vcov
from quant.influence import city_influence
from tests.quant_small_project import tables


def test_exact_score_ignores_a_parameter_whose_se_is_undefined():
    """One NaN SE made every city's exact_score NaN (np.max instead of np.nanmax)."""
    _, dyads = tables()
    res = models.fit_connection(dyads, "connection ~ log_distance + shared_border", model="logit")
    se = res.se[res.se_type].copy()
    se["shared_border"] = np.nan
    broken = dataclasses.replace(res, se={**res.se, res.se_type: se})
    infl = city_influence(broken, dyads, n_exact=3)
    top = infl.table[infl.table["exact:log_distance"].notna()]
    assert len(top) == 3
    # by hand: only log_distance has a finite SE among the substantive terms
    expected = np.abs(top["exact:log_distance"]) / res.se[res.se_type]["log_distance"]
    np.testing.assert_allclose(top["exact_score"].to_numpy(), expected.to_numpy(), rtol=1e-12)


def _scores(n_rows: int, k: int, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n_rows, k))


def test_conservative_label_names_the_pair_meat_when_pairs_repeat():
    """With two rows per pair, Graham's conservative matrix is V + V_D (pair-clustered meat), not
    V + V_HC0; the label said HC0 and the matrix must equal the brute-force V_DR + V_D."""
    a = np.array([0, 0, 1, 1, 2, 2, 0, 0, 3, 3])
    b = np.array([1, 1, 2, 2, 3, 3, 2, 2, 1, 1])
    S = _scores(len(a), 2)
    Hinv = np.eye(2)
    out = dyadic_vcov(S, Hinv, a, b, conservative=True)
    assert "V + V_D" in out.description and "V_HC0" not in out.description
    # brute force (Fafchamps & Gubert 2007): every pair of rows sharing a node (a row with itself
    # and the rows of its own pair included), plus the pair-clustered meat added back
    share = (a[:, None] == a[None, :]) | (a[:, None] == b[None, :]) | (b[:, None] == a[None, :]) | (
        b[:, None] == b[None, :])
    pair = (np.minimum(a, b)[:, None] == np.minimum(a, b)[None, :]) & (
        np.maximum(a, b)[:, None] == np.maximum(a, b)[None, :])
    dr = sum(np.outer(S[i], S[j]) for i in range(len(a)) for j in range(len(a)) if share[i, j])
    vd = sum(np.outer(S[i], S[j]) for i in range(len(a)) for j in range(len(a)) if pair[i, j])
    np.testing.assert_allclose(out.cov, dr + vd, atol=1e-12)
    single = dyadic_vcov(S[::2], Hinv, a[::2], b[::2], conservative=True)
    assert "V + V_HC0" in single.description
