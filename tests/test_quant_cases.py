"""Case selection from Pearson residuals against hand computations (quant.md §4.3)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from quant.cases.typical_deviant import city_residual_from_dyads, select_cases
from quant.errors import QuantError
from quant.models.dispatch import fit_breadth, fit_connection


def _saturated_example():
    """36 dyads of 9 cities; x = 1 on 12 dyads (10 ties), x = 0 on 24 dyads (4 ties).

    With one binary covariate the logit is saturated, so the MLE fits the group shares exactly:
    p̂ = 10/12 = 5/6 where x = 1 and 4/24 = 1/6 where x = 0 (by hand). Pearson residuals:
    tie at p = 1/6: √((5/6)/(1/6)) = √5 (deviant tie, c = 2); non-tie at 1/6: −√(1/5);
    tie at 5/6: √(1/5); non-tie at 5/6: −√5 (deviant non-tie).
    """
    i, j = np.triu_indices(9, 1)
    codes = [f"3{k:02d}" for k in range(9)]
    df = pd.DataFrame({"city_a": [codes[k] for k in i], "city_b": [codes[k] for k in j]})
    x = np.zeros(36, dtype=int)
    x[[0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 33]] = 1
    y = np.zeros(36, dtype=int)
    ones_x1 = np.flatnonzero(x == 1)[:10]
    ones_x0 = np.flatnonzero(x == 0)[[2, 7, 11, 19]]
    y[ones_x1] = 1
    y[ones_x0] = 1
    df["x"], df["y"] = x, y
    return df


def test_cases_pearson_residuals_and_four_cells_match_hand_computation():
    df = _saturated_example()
    res = fit_connection(df, "y ~ x")
    p_hand = np.where(df["x"] == 1, 5 / 6, 1 / 6)
    np.testing.assert_allclose(res.units["fitted"].to_numpy(), p_hand, rtol=1e-9)
    r_hand = np.where(df["y"] == 1, np.sqrt((1 - p_hand) / p_hand), -np.sqrt(p_hand / (1 - p_hand)))
    np.testing.assert_allclose(res.units["pearson"].to_numpy(), r_hand, rtol=1e-8)

    cases = select_cases(res, c=2.0, n_typical=3, include_other=True)
    assert len(cases) == 36
    counts = cases["cell"].value_counts().to_dict()
    # ties at p = 1/6: 4 deviant; non-ties at 5/6: 2 deviant; ties at 5/6: 10; non-ties at 1/6: 20
    assert counts == {"deviant tie": 4, "deviant non-tie": 2, "typical tie": 10, "typical non-tie": 20}
    dev = cases[cases["case_type"] == "deviant"]
    assert len(dev) == 6 and np.allclose(dev["abs_r"], math.sqrt(5))
    typ = cases[cases["case_type"] == "typical"]
    # 3 typical per outcome class, all at |r| = √(1/5)
    assert len(typ) == 6 and np.allclose(typ["abs_r"], math.sqrt(0.2))
    assert sorted(typ["cell"]) == ["typical non-tie"] * 3 + ["typical tie"] * 3
    assert (cases["case_type"] == "other").sum() == 24
    # rows: deviant, then typical, then other
    order = cases["case_type"].map({"deviant": 0, "typical": 1, "other": 2}).to_numpy()
    assert (np.diff(order) >= 0).all()
    assert "|r| > 2" in cases["rule"].iloc[0] and "Pearson" in cases["rule"].iloc[0]
    assert "p < 0.2" in cases["rule"].iloc[0] and "p > 0.8" in cases["rule"].iloc[0]


def test_cases_ties_break_by_value_then_id():
    df = _saturated_example()
    res = fit_connection(df, "y ~ x")
    cases = select_cases(res, c=2.0, n_typical=3)
    ties = cases[cases["cell"] == "deviant tie"]
    # equal |r| within the cell: ordered by city_a, then city_b
    keys = list(zip(ties["city_a"], ties["city_b"]))
    assert keys == sorted(keys)
    typical_ties = cases[(cases["case_type"] == "typical") & (cases["y"] == 1)]
    all_typical_ties = df[(df["y"] == 1) & (df["x"] == 1)].sort_values(["city_a", "city_b"])
    assert list(zip(typical_ties["city_a"], typical_ties["city_b"])) == list(
        zip(all_typical_ties["city_a"], all_typical_ties["city_b"]))[:3]
    # the same table whatever the input order
    shuffled = select_cases(fit_connection(df.sample(frac=1.0, random_state=4), "y ~ x"), c=2.0, n_typical=3)
    pd.testing.assert_frame_equal(shuffled.drop(columns="pearson"), cases.drop(columns="pearson"), rtol=1e-7)
    assert cases["rank"].min() >= 1 and cases["rank"].max() <= 36


def test_cases_n_deviant_and_default_excludes_other():
    df = _saturated_example()
    res = fit_connection(df, "y ~ x")
    cases = select_cases(res, c=2.0, n_typical=1, n_deviant=1)
    assert set(cases["case_type"]) == {"deviant", "typical"}
    assert (cases["case_type"] == "deviant").sum() == 2  # one per outcome class
    assert (cases["case_type"] == "typical").sum() == 2
    with pytest.raises(QuantError, match="positive"):
        select_cases(res, c=0)
    with pytest.raises(QuantError, match="n_typical"):
        select_cases(res, n_typical=-1)


def test_cases_city_residual_from_dyads_matches_loops(shared):
    flo = pd.read_csv(shared("validation", "florentine_dyads.csv"))
    res = fit_connection(flo, "tie ~ w_sum", a="i", b="j")
    out = city_residual_from_dyads(res)
    u = res.units
    assert len(out) == 16 and list(out.columns) == ["city", "degree", "expected", "residual"]
    assert out["degree"].sum() == 2 * 20
    for _, row in out.iterrows():
        deg = exp = var = 0.0
        for a, b, y, p in zip(u["city_a"], u["city_b"], u["y"], u["fitted"]):
            if row.city in (a, b):
                deg, exp, var = deg + y, exp + p, var + p * (1 - p)
        assert row.degree == deg
        assert row.expected == pytest.approx(exp, rel=1e-12)
        assert row.residual == pytest.approx((deg - exp) / math.sqrt(var), rel=1e-12)
    pucci = out.set_index("city").loc["Pucci"]
    assert pucci.degree == 0 and pucci.residual < 0


def test_cases_breadth_counts_have_no_cell_and_rank_by_abs_residual():
    rng = np.random.default_rng(5)
    n = 60
    cities = pd.DataFrame({"code": [f"{k:03d}" for k in range(n)], "x": rng.normal(size=n)})
    cities["b"] = rng.negative_binomial(2, 2 / (2 + np.exp(1.5 + 0.5 * cities["x"])))
    res = fit_breadth(cities, "b ~ x")
    cases = select_cases(res, c=1.0, n_typical=4, include_other=True)
    assert cases["cell"].isna().all()
    typ = cases[cases["case_type"] == "typical"]
    assert len(typ) == 4
    assert set(typ["city"]) == set(res.units.assign(a=res.units["pearson"].abs()).nsmallest(4, "a")["city"])
    dev = cases[cases["case_type"] == "deviant"]
    assert (dev["abs_r"] > 1.0).all() and len(dev) == int((res.units["pearson"].abs() > 1.0).sum())
    assert list(dev["abs_r"]) == sorted(dev["abs_r"], reverse=True)
