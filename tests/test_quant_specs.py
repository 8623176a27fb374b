"""Fitting from a project: node-attribute operators in formulas, any outcome, diagnostics in one
sentence, the hurdle and t p-values through ``fit_dimension``, and saved specifications."""
from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

import store
from quant.runs.analysis import fit_dimension, model_data
from quant.errors import ModelError, QuantError
from quant.runs.specs import delete_spec, fit_spec, list_specs, load_spec, save_spec
from quant_small_project import build, with_operators

OPS = "connection ~ sum(log_pop) + absdiff(log_pop) + same(province) + min(urban) + both(prog) + log_distance"


@pytest.fixture
def project(engine):
    cities, dyads = build(engine)
    return engine, cities, dyads


def test_operators_equal_hand_built_columns_and_statsmodels(project):
    engine, cities, dyads = project
    hand = with_operators(cities, dyads)
    with store.session_scope(engine) as s:
        res = fit_dimension(s, "connection", formula=OPS)
        md = model_data(s, "connection", formula=OPS)
    cols = ["sum_log_pop", "absdiff_log_pop", "same_province", "min_urban", "both_prog", "log_distance"]
    merged = md.data.merge(hand, on=["city_a", "city_b"], suffixes=("", "_hand"))
    for col in cols[:-1]:
        np.testing.assert_allclose(merged[col], merged[f"{col}_hand"], rtol=1e-12)
    hand = hand.sort_values(["city_a", "city_b"]).reset_index(drop=True)
    ref = sm.Logit(hand["connection"].to_numpy(float), sm.add_constant(hand[cols].to_numpy(float))).fit(
        disp=0, method="newton", tol=1e-12)
    np.testing.assert_allclose(res.params.to_numpy(), ref.params, rtol=1e-7)
    np.testing.assert_allclose(res.se["model"].to_numpy(), ref.bse, rtol=1e-6)
    assert res.formula == OPS and res.meta["design_formula"].startswith("connection ~ sum_log_pop + absdiff_log_pop")
    assert res.meta["operators"][:2] == ["sum(log_pop)", "absdiff(log_pop)"]
    assert res.n_nodes == 30 and res.n == 435


def test_other_outcome_names_and_t_pvalues(project):
    engine, *_ = project
    with store.session_scope(engine) as s:
        a = fit_dimension(s, "connection", formula="tie ~ sum(log_pop) + log_distance", pvalues="t")
        b = fit_dimension(s, "connection", formula="connection ~ sum(log_pop) + log_distance")
    np.testing.assert_allclose(a.params, b.params, rtol=1e-12)
    assert a.meta["outcome"] == "tie" and a.p_dist == "t" and a.df == 29
    assert a.table()["p"].iloc[1] > b.table()["p"].iloc[1]


def test_hurdle_through_fit_dimension_with_operators(project):
    engine, cities, dyads = project
    with store.session_scope(engine) as s:
        res = fit_dimension(s, "degree", model="hurdle", formula="degree ~ shared_border",
                            zero_formula="~ sum(log_pop) + same(province) + log_distance")
    assert [t for t in res.params.index if t.startswith("zero:")] == [
        "zero:Intercept", "zero:sum_log_pop", "zero:same_province", "zero:log_distance"]
    assert res.meta["zero_formula"] == "~ sum(log_pop) + same(province) + log_distance"
    hand = with_operators(cities, dyads).sort_values(["city_a", "city_b"])
    X = sm.add_constant(hand[["sum_log_pop", "same_province", "log_distance"]].to_numpy(float))
    ref = sm.Logit((hand["degree"] > 0).to_numpy(float), X).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(res.params.to_numpy()[:4], ref.params, rtol=1e-7)


@pytest.mark.parametrize("formula,kind,words", [
    ("connection ~ sum(log_pop) + absdiff(log_pop) + min(log_pop)", ModelError, "exactly collinear"),
    ("connection ~ no_such + log_distance", QuantError, "no_such"),
    ("connection ~ log_pop", QuantError, "city attribute"),
    ("connection ~ sum(no_attr)", QuantError, "'no_attr' is not a city attribute"),
    ("nothing ~ log_distance", QuantError, "outcome 'nothing'"),
    ("connection ~ np.log(log_distance - 100)", ModelError, "no complete rows"),
])
def test_bad_specifications_are_one_sentence(project, formula, kind, words):
    engine, *_ = project
    with store.session_scope(engine) as s, pytest.raises(kind) as info:
        fit_dimension(s, "connection", formula=formula)
    text = str(info.value)
    assert words in text and "\n" not in text and "Traceback" not in text


def test_diagnostics_constant_outcome_infinite_values_and_breadth_operators(project):
    engine, *_ = project
    from quant.data import project as qdata

    with store.session_scope(engine) as s:
        frame = qdata.dyad_frame(s)
        qdata.save_dyads(s, frame[["city_a", "city_b"]].assign(
            zero=0.0, inf_x=np.where(np.arange(len(frame)) < 3, np.inf, 1.0) + frame["log_distance"],
            gappy=np.where(np.arange(len(frame)) < 7, np.nan, frame["log_distance"]),
            gappy2=np.where(np.arange(len(frame)) % 50 == 0, np.nan, 1.0) * frame["shared_border"]))
    with store.session_scope(engine) as s:
        with pytest.raises(ModelError, match="'zero' is constant"):
            fit_dimension(s, "connection", formula="zero ~ log_distance")
        with pytest.raises(ModelError, match=r"'inf_x' has infinite values in 3 row\(s\)"):
            fit_dimension(s, "connection", formula="connection ~ inf_x")
        with pytest.raises(QuantError, match="breadth is modelled on cities"):
            fit_dimension(s, "breadth", formula="breadth ~ sum(log_pop)")
        res = fit_dimension(s, "connection", formula="connection ~ gappy + gappy2")
    assert res.n == 435 - 15  # listwise: gappy misses rows 0-6, gappy2 rows 0, 50, ..., 400 (9); row 0 in both
    assert any("15 of 435 rows dropped for missing values (gappy: 7, gappy2: 9" in w for w in res.warnings)


def test_near_collinearity_warning_names_the_vif(project):
    engine, *_ = project
    with store.session_scope(engine) as s:
        res = fit_dimension(s, "connection", formula="connection ~ sum(urban) + product(urban) + max(urban)")
        fine = fit_dimension(s, "connection", formula="connection ~ sum(log_pop) + max(log_pop) + log_distance")
    [note] = [w for w in res.warnings if "variance inflation factor" in w]
    assert "sum_urban (140)" in note and "product_urban (81.5)" in note and "max_urban (14.6)" in note
    assert not any("variance inflation" in w for w in fine.warnings)


def test_saved_specifications_round_trip_and_fit(project):
    engine, *_ = project
    with store.session_scope(engine) as s:
        saved = save_spec(s, "  needs   only ", "connection", "logit", OPS, {"se": "dyadic", "pvalues": "t"})
        assert saved["name"] == "needs only" and saved["options"] == {"se": ["dyadic"], "pvalues": "t"}
        save_spec(s, "hurdle", "degree", "hurdle", "degree ~ shared_border", {"zero_formula": "~ sum(log_pop)"})
    with store.session_scope(engine) as s:
        table = list_specs(s)
        assert list(table["name"]) == ["needs only", "hurdle"]
        assert list(list_specs(s, "degree")["name"]) == ["hurdle"]
        res = fit_spec(s, "needs only")
        direct = fit_dimension(s, "connection", formula=OPS, se=("dyadic",), pvalues="t")
        np.testing.assert_allclose(res.params, direct.params, rtol=0, atol=0)
        assert list(res.se) == ["dyadic"] and res.p_dist == "t" and res.meta["spec_name"] == "needs only"
        assert fit_spec(s, "hurdle").model == "hurdle"
        with pytest.raises(QuantError, match="exists already"):
            save_spec(s, "needs only", "connection", "logit", "connection ~ log_distance")
        save_spec(s, "needs only", "connection", "probit", "connection ~ log_distance", replace=True)
        assert load_spec(s, "needs only")["model"] == "probit"
        delete_spec(s, "needs only")
        with pytest.raises(QuantError, match="saved: hurdle"):
            load_spec(s, "needs only")


@pytest.mark.parametrize("args,words", [
    (("", "connection", "logit", "connection ~ log_distance"), "needs a name"),
    (("x", "network", "logit", "connection ~ log_distance"), "Unknown dimension"),
    (("x", "connection", "ztnb", "connection ~ log_distance"), r"binary \(0/1\), which ztnb does not fit"),
    (("x", "connection", "logit", "connection log_distance"), "no '~' separating the outcome"),
    (("x", "connection", "logit", "connection ~ nope"), "nope"),
])
def test_saving_a_broken_specification_is_refused(project, args, words):
    engine, *_ = project
    with store.session_scope(engine) as s:
        with pytest.raises(QuantError, match=words):
            save_spec(s, *args)
        with pytest.raises(QuantError, match="Unknown specification option"):
            save_spec(s, "y", "connection", "logit", "connection ~ log_distance", {"colour": "red"})
        with pytest.raises(QuantError, match="hurdle model only"):
            save_spec(s, "y", "connection", "logit", "connection ~ log_distance", {"zero_formula": "~ x"})
        assert list_specs(s).empty
