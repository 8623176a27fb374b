"""The separation and covariate checks after folding their passes over X: same findings and the
same sentences as a plain per-column reference written here with np.unique and boolean masks
(Albert & Anderson 1984's univariate cases), on designs that exercise every branch and blocks
smaller than the table."""
from __future__ import annotations

import numpy as np
import pytest

from quant.models import diagnostics as dg
from quant.models import separation as sep
from quant.errors import ModelError


def _reference(X, y, names):
    """First univariate separation, column by column, or None (kind, variables, detail, n)."""
    has_intercept = "Intercept" in names
    for j, name in enumerate(names):
        if name == "Intercept":
            continue
        x = X[:, j]
        vals = np.unique(x)
        if has_intercept and len(vals) == 2:
            for lev in vals:
                ys = y[x == lev]
                if np.all(ys == ys[0]):
                    return ("quasi-complete", [name], f"every row with {name} = {lev:.6g} has y = {int(ys[0])}",
                            len(ys))
        x1, x0 = x[y == 1], x[y == 0]
        if x0.max() < x1.min() or x1.max() < x0.min():
            word = "above" if x0.max() < x1.min() else "below"
            return ("complete", [name], f"y = 1 exactly when {name} is {word} a threshold", len(y))
        if has_intercept and (x0.max() <= x1.min() or x1.max() <= x0.min()):
            return ("quasi-complete", [name], f"{name} orders y = 0 and y = 1 rows with overlap only at one value",
                    len(y))
    return None


def _designs():
    rng = np.random.default_rng(12)
    n = 3000
    one = np.ones(n)
    for share in (0.04, 0.5, 0.93):  # the rarer class is y = 1, balanced, y = 0
        y = (rng.uniform(size=n) < share).astype(float)
        a, b = rng.normal(size=n), rng.normal(size=n)
        d = (rng.uniform(size=n) < 0.3).astype(float)
        yield np.column_stack([one, a, d, b]), y  # no separation
        dq = d.copy()
        dq[y == 0] = 0.0  # every row with dq = 1 has y = 1
        yield np.column_stack([one, a, dq, b]), y
        dz = d.copy()
        dz[y == 1] = 0.0  # every row with dz = 1 has y = 0
        yield np.column_stack([one, dz, a]), y
        t = np.where(y == 1, 1.0 + rng.uniform(size=n), -rng.uniform(size=n))  # complete, above
        yield np.column_stack([one, a, t]), y
        yield np.column_stack([one, a, -t]), y  # complete, below
        o = np.where(y == 1, rng.uniform(size=n), -rng.uniform(size=n))
        o[np.flatnonzero(y == 0)[:3]] = 0.0
        o[np.flatnonzero(y == 1)[:3]] = 0.0  # overlap at exactly one value
        yield np.column_stack([one, a, o]), y
        ext = a.copy()
        ext[np.flatnonzero(y == (1.0 if share < 0.5 else 0.0))[0]] = 50.0  # only the rarer class at the max
        yield np.column_stack([one, ext, b]), y
        yield np.column_stack([one, 2 * d + 3, a]), y  # two values other than 0/1


@pytest.mark.parametrize("block", [1 << 15, 7, 1000])
def test_univariate_separation_matches_per_column_reference(monkeypatch, block):
    monkeypatch.setattr(sep, "_BLOCK", block)
    names4 = ["Intercept", "a", "d", "b"]
    seen = set()
    for X, y in _designs():
        names = names4[: X.shape[1]] if X.shape[1] == 4 else ["Intercept", "u", "v"]
        got = sep._univariate_separation(X, y, names)
        ref = _reference(X, y, names)
        if ref is None:
            assert got is None
        else:
            assert (got.kind, got.variables, got.detail, got.n_separated) == ref
            seen.add(ref[0] + ref[2].split(" ")[0])
    assert len(seen) >= 3  # quasi (dummy), complete, quasi (one value) all exercised


def test_class_ranges_equal_masked_minima_and_maxima(monkeypatch):
    monkeypatch.setattr(sep, "_BLOCK", 64)
    for X, y in _designs():
        pos = y == 1
        got = sep._class_ranges(X, pos)
        ref = (X[pos].min(axis=0), X[pos].max(axis=0), X[~pos].min(axis=0), X[~pos].max(axis=0))
        for g, r in zip(got, ref):
            np.testing.assert_array_equal(g, r)


def test_ranges_and_gram_one_pass():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(1001, 4)) * [1, 10, 1e-3, 5]
    for block in (1 << 15, 100, 7):
        lo, hi, G = dg.ranges_and_gram(X, block=block)
        np.testing.assert_array_equal(lo, X.min(axis=0))
        np.testing.assert_array_equal(hi, X.max(axis=0))
        np.testing.assert_allclose(G, np.einsum("ij,ik->jk", X, X), rtol=1e-12)


def test_check_covariates_sentences_unchanged():
    rng = np.random.default_rng(4)
    n = 200
    a, b = rng.normal(size=n), rng.normal(size=n)
    names = ["Intercept", "a", "c", "b"]
    with pytest.raises(ModelError) as err:
        dg.check_covariates(np.column_stack([np.ones(n), a, np.full(n, 2.5), b]), names)
    assert str(err.value) == ("covariate 'c' is constant (every row used equals 2.5); drop it from the formula.")
    with pytest.raises(ModelError) as err:
        dg.check_covariates(np.column_stack([np.ones(n), a, b, a - 2 * b]), ["Intercept", "a", "b", "d"])
    assert str(err.value) == ("covariate 'd' is a linear combination of 'a', 'b'; drop one of them "
                              "(e.g. never enter sum, absdiff, min and max together).")
    dg.check_covariates(np.column_stack([np.ones(n), a, b]), ["Intercept", "a", "b"])  # fine: no error
