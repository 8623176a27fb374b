"""quant.cases.groups: labels checked against hand-worked units (quant.md §4.3)."""
import math

import pandas as pd
import pytest

from quant.cases.groups import case_groups, group_labels
from quant.errors import QuantError


def test_binary_four_cells_by_hand():
    # logit with c = 2: a tie with p = 0.1 has r = sqrt(0.9/0.1) = 3 > 2 (deviant, under-predicted);
    # a non-tie with p = 0.9 has r = -3 (deviant, over-predicted); p = 0.5 gives |r| = 1 (typical).
    units = pd.DataFrame({
        "city_a": ["甲", "甲", "乙", "乙"], "city_b": ["乙", "丙", "丙", "丁"],
        "y": [1, 0, 1, 0], "fitted": [0.1, 0.9, 0.5, 0.5],
    })
    p = units["fitted"]
    units["pearson"] = (units["y"] - p) / (p * (1 - p)) ** 0.5
    out = case_groups(units, "logit", c=2)
    assert list(out["fit_group"]) == ["deviant", "deviant", "typical", "typical"]
    assert list(out["direction"]) == ["under-predicted", "over-predicted", "under-predicted", "over-predicted"]
    assert list(out["tie"]) == ["tie", "non-tie", "tie", "non-tie"]
    assert out["group"].iloc[1] == "deviant · over-predicted · non-tie"
    assert list(out["city_a"]) == ["甲", "甲", "乙", "乙"]
    assert set(out["group"]) <= set(group_labels("logit"))


def test_boundary_is_typical_and_city_models_have_no_tie():
    units = pd.DataFrame({"city": ["a", "b", "c"], "y": [3.0, 10.0, 5.0],
                          "fitted": [5.0, 4.0, 5.0], "pearson": [-2.0, 2.0000001, 0.0]})
    out = case_groups(units, "nb", c=2.0)
    assert list(out["fit_group"]) == ["typical", "deviant", "typical"]
    assert list(out["direction"]) == ["over-predicted", "under-predicted", "under-predicted"]
    assert out["tie"].isna().all()
    assert list(out["group"]) == ["typical · over-predicted", "deviant · under-predicted",
                                  "typical · under-predicted"]
    assert len(group_labels("nb")) == 4 and len(group_labels("hurdle")) == 8


def test_degree_counts_tie_when_positive():
    units = pd.DataFrame({"y": [0, 2], "fitted": [0.4, 1.0], "pearson": [-0.5, 1.2]})
    out = case_groups(units, "hurdle", c=1.0)
    assert list(out["tie"]) == ["non-tie", "tie"]
    assert list(out["fit_group"]) == ["typical", "deviant"]


@pytest.mark.parametrize("c", [0, -1, math.nan, "x"])
def test_bad_threshold(c):
    units = pd.DataFrame({"y": [1], "fitted": [1.0], "pearson": [0.0]})
    with pytest.raises(QuantError):
        case_groups(units, "nb", c=c)


def test_missing_column_and_nonfinite():
    with pytest.raises(QuantError, match="pearson"):
        case_groups(pd.DataFrame({"y": [1], "fitted": [1.0]}), "nb")
    with pytest.raises(QuantError, match="non-finite"):
        case_groups(pd.DataFrame({"y": [1], "fitted": [1.0], "pearson": [math.inf]}), "nb")
    with pytest.raises(QuantError):
        case_groups(pd.DataFrame({"y": [1], "fitted": [1.0], "pearson": [0.0]}), "ols")
