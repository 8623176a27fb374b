"""Case groups follow the fit's unit, not its model name: Poisson/NB fitted on dyads keep their
tie/non-tie groups, a Gaussian fitted on cities has none. Expected labels are written by hand."""
from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from quant.cases.groups import case_groups, fit_unit, group_labels
from quant.errors import QuantError


def _dyad_units():
    return pd.DataFrame({"city_a": ["广州市", "广州市", "佛山市"],
                         "city_b": ["佛山市", "深圳市", "深圳市"],
                         "y": [0.0, 3.0, 1.0], "fitted": [0.5, 1.0, 1.2], "pearson": [-0.7, 2.5, -0.2]})


@pytest.mark.parametrize("model", ["poisson", "nb", "gaussian"])
def test_count_and_linear_models_on_dyads_keep_tie_groups(model):
    out = case_groups(_dyad_units(), model)
    assert list(out["tie"]) == ["non-tie", "tie", "tie"]
    assert list(out["group"]) == ["typical · over-predicted · non-tie", "deviant · under-predicted · tie",
                                  "typical · over-predicted · tie"]
    assert list(case_groups(_dyad_units(), model, unit="dyad")["tie"]) == ["non-tie", "tie", "tie"]


def test_models_on_cities_have_no_tie_label_whatever_the_model():
    units = pd.DataFrame({"city": ["广州市", "佛山市"], "y": [2.0, -1.0], "fitted": [1.0, 0.0],
                          "pearson": [0.4, -3.0]})
    for model in ("gaussian", "logit", "poisson"):
        out = case_groups(units, model)
        assert out["tie"].isna().all()
        assert list(out["group"]) == ["typical · under-predicted", "deviant · over-predicted"]


def test_explicit_unit_wins_and_labels_follow_it():
    bare = _dyad_units().drop(columns=["city_a", "city_b"])
    # no id columns: the old rule by model name, unless the unit is given
    assert case_groups(bare, "poisson")["tie"].isna().all()
    assert list(case_groups(bare, "poisson", unit="dyad")["tie"]) == ["non-tie", "tie", "tie"]
    assert len(group_labels("poisson")) == 4 and len(group_labels("poisson", "dyad")) == 8
    assert "typical · over-predicted · tie" in group_labels("nb", "dyad")
    assert len(group_labels("gaussian", "city")) == 4
    with pytest.raises(QuantError, match="unit 'pair' is not one of city, dyad"):
        case_groups(bare, "nb", unit="pair")


def test_fit_unit_reads_meta_then_units_then_dimension():
    def fit(meta, units, dimension):  # the three FitResult attributes fit_unit reads
        return SimpleNamespace(meta=meta, units=units, dimension=dimension, model="poisson")

    assert fit_unit(fit({"unit": "dyad"}, pd.DataFrame({"city": []}), "breadth")) == "dyad"
    assert fit_unit(fit({}, _dyad_units(), "breadth")) == "dyad"
    assert fit_unit(fit({}, pd.DataFrame({"city": []}), "connection")) == "city"
    assert fit_unit(fit({}, pd.DataFrame({"y": []}), "breadth")) == "city"
    assert fit_unit(fit({}, pd.DataFrame({"y": []}), "degree")) == "dyad"


def test_a_poisson_fit_on_dyads_gives_tie_groups_end_to_end():
    import itertools

    import numpy as np

    from quant.models.glm import fit_glm

    rng = np.random.default_rng(3)
    pairs = list(itertools.combinations([f"城{i}" for i in range(10)], 2))
    df = pd.DataFrame(pairs, columns=["city_a", "city_b"]).assign(x=rng.normal(size=len(pairs)))
    df["y"] = rng.poisson(np.exp(0.2 + 0.5 * df["x"])).astype(float)
    res = fit_glm(df, "y ~ x", family="poisson", unit="dyad")
    assert fit_unit(res) == "dyad"
    out = case_groups(res.units, res.model)
    assert list(out["tie"]) == ["tie" if v > 0 else "non-tie" for v in df["y"]]
