"""quant.runs.saved on SQLite and PostgreSQL: what a run stores (checked against statsmodels and numpy on
the hand-built tables), staleness, names, the undo of save/replace/rename/delete, refit and
compare; quant.runs.compare's formatting."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from sqlalchemy import text

import coding
import store
from quant.runs import saved as runs
from quant.errors import QuantError
from quant.runs.compare import compare_wide, format_cell, format_p, stars
from quant_small_project import build, with_operators

FORMULA = "connection ~ log_distance + sum(log_pop)"


@pytest.fixture
def proj(engine):
    cities, dyads = build(engine)
    return engine, cities, dyads


def _save(engine, name, formula=FORMULA, dimension="connection", **kw):
    with store.session_scope(engine) as s:
        info, _ = runs.fit_and_save(s, name, dimension, formula=formula, **kw)
    return info


def _load(engine, name):
    with store.session_scope(engine) as s:
        return runs.load_run(s, name)


def _names(engine):
    with store.session_scope(engine) as s:
        return runs.list_runs(s)["name"].tolist()


def test_a_run_keeps_estimates_units_and_covariates_as_fitted(proj):
    engine, cities, dyads = proj
    _save(engine, "c1")
    run = _load(engine, "c1")
    frame = with_operators(cities, dyads)
    ref = sm.Logit(frame["connection"], sm.add_constant(frame[["log_distance", "sum_log_pop"]])).fit(disp=0)
    np.testing.assert_allclose(run.result.params.to_numpy(), ref.params.to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(run.result.cov["model"], ref.cov_params().to_numpy(), rtol=1e-4)
    units = run.units.merge(frame.assign(city_a=frame["city_a"].astype(str), city_b=frame["city_b"].astype(str)),
                            on=["city_a", "city_b"], suffixes=("", "_raw"))
    assert len(units) == len(frame) == run.info.n == 435
    p = ref.predict(sm.add_constant(units[["log_distance", "sum_log_pop"]]))
    np.testing.assert_allclose(units["fitted"], p, rtol=1e-5)
    np.testing.assert_allclose(units["pearson"], (units["connection"] - p) / np.sqrt(p * (1 - p)), rtol=1e-4)
    np.testing.assert_array_equal(units["y"], units["connection"])
    cov = run.covariates()
    assert list(cov.columns[:2]) == ["city_a", "city_b"] and "log_distance" in cov.columns
    merged = cov.merge(units[["city_a", "city_b", "log_distance"]], on=["city_a", "city_b"], suffixes=("", "_raw"))
    assert len(merged) == 435
    np.testing.assert_array_equal(merged["log_distance"], merged["log_distance_raw"])
    assert run.info.zero_formula is None and run.info.n_nodes == 30 and run.info.created.tzinfo is not None


def test_breadth_and_hurdle_runs_round_trip(proj):
    engine, cities, dyads = proj
    _save(engine, "h1", formula="degree ~ shared_border", dimension="degree", model="hurdle",
          zero_formula="~ log_distance")
    run = _load(engine, "h1")
    assert run.info.model == "hurdle" and run.info.zero_formula == "~ log_distance"
    assert run.info.n == 435 and {"city_a", "city_b", "y", "fitted", "pearson"} <= set(run.units.columns)
    # the count part on collaborating pairs only: its shared_border estimate is the positive-part MLE,
    # so the run's zero part must equal a plain logit of connection on log_distance
    ref = sm.Logit(dyads["connection"], sm.add_constant(dyads[["log_distance"]])).fit(disp=0)
    zero = run.result.params[[t for t in run.result.params.index if "log_distance" in t]]
    np.testing.assert_allclose(zero.to_numpy(), [ref.params["log_distance"]], rtol=1e-5)
    _save(engine, "b1", formula="breadth ~ log_pop", dimension="breadth", model="poisson")
    b = _load(engine, "b1")
    partners = (dyads.loc[dyads["connection"] == 1, "city_a"].value_counts()
                .add(dyads.loc[dyads["connection"] == 1, "city_b"].value_counts(), fill_value=0))
    frame = cities.assign(breadth=cities["code"].map(partners).fillna(0))
    ref_b = sm.GLM(frame["breadth"], sm.add_constant(frame[["log_pop"]]), family=sm.families.Poisson()).fit()
    np.testing.assert_allclose(b.result.params.to_numpy(), ref_b.params.to_numpy(), rtol=1e-6)
    by_city = b.units.set_index("city")
    np.testing.assert_array_equal(by_city.loc[frame["code"], "y"].to_numpy(), frame["breadth"].to_numpy())
    np.testing.assert_allclose(by_city.loc[frame["code"], "fitted"].to_numpy(), ref_b.fittedvalues, rtol=1e-5)
    with store.session_scope(engine) as s:
        assert runs.latest_runs(s) == {"breadth": "b1", "degree": "h1"}
        assert not runs.run_status(s, "h1")["stale"] and not runs.run_status(s, "b1")["stale"]


def test_status_follows_only_the_data_the_formula_reads(proj):
    engine, _, _ = proj
    _save(engine, "c1")
    with store.session_scope(engine) as s:
        coding.add_memo(s, "project", None, "a memo changes nothing the fit reads")
        assert runs.run_status(s, "c1")["stale"] is False
    with engine.begin() as con:  # a column outside the formula
        con.execute(text("UPDATE dyad_attributes SET value = 1 - value WHERE name = 'shared_border'"))
    with store.session_scope(engine) as s:
        assert runs.run_status(s, "c1")["stale"] is False
    where = "WHERE name = 'log_pop' AND city_code = '100'"
    with engine.begin() as con:  # a city attribute behind sum(log_pop)
        before = con.execute(text(f"SELECT value FROM city_attributes {where}")).scalar_one()
        con.execute(text(f"UPDATE city_attributes SET value = value + 1 {where}"))
    with store.session_scope(engine) as s:
        st = runs.run_status(s, "c1")
        assert st["stale"] is True and "data changed" in st["message"]
        assert runs.list_runs(s, with_status=True)["stale"].tolist() == [True]
    with engine.begin() as con:  # put it back: current again (the fingerprint is of values, not of edits)
        con.execute(text(f"UPDATE city_attributes SET value = :v {where}"), {"v": before})
    with store.session_scope(engine) as s:
        assert runs.run_status(s, "c1")["stale"] is False


def test_names_are_cleaned_and_bad_ones_refused(proj):
    engine, _, _ = proj
    for bad in ("a\nb", "x\u202ey", "", "   ", "y" * 201):
        with store.session_scope(engine) as s, pytest.raises(QuantError, match="run name"):
            runs.fit_and_save(s, bad, "connection", formula=FORMULA)
    assert _names(engine) == []
    _save(engine, "  广州市–佛山市   模型 ")
    assert _names(engine) == ["广州市–佛山市 模型"]
    with store.session_scope(engine) as s, pytest.raises(QuantError, match="already exists"):
        runs.fit_and_save(s, "广州市–佛山市 模型", "connection", formula=FORMULA)
    with store.session_scope(engine) as s, pytest.raises(QuantError, match="Saved runs: 广州市–佛山市 模型"):
        runs.load_run(s, "nope")


def test_rename_delete_restore_undo_and_redo(proj):
    engine, _, _ = proj
    _save(engine, "c1", by="wang")
    with store.session_scope(engine) as s:
        runs.rename_run(s, "c1", "c2", by="wang")
    with store.session_scope(engine) as s:
        runs.delete_run(s, "c2", by="wang")
    assert _names(engine) == []
    with store.session_scope(engine) as s:
        assert runs.deleted_runs(s)["name"].tolist() == ["c2"]
        with pytest.raises(QuantError, match="was deleted"):
            runs.load_run(s, "c2")
    with store.session_scope(engine) as s:
        assert coding.undo(s, "researcher") is None  # another coder's changes are not undone
        assert coding.undo(s, "wang") is not None
    assert _names(engine) == ["c2"]
    with store.session_scope(engine) as s:
        coding.undo(s, "wang")
    assert _names(engine) == ["c1"]
    with store.session_scope(engine) as s:
        coding.undo(s, "wang")  # the save itself
    assert _names(engine) == []
    with store.session_scope(engine) as s:
        coding.redo(s, "wang")
    assert _names(engine) == ["c1"]
    with store.session_scope(engine) as s:
        runs.delete_run(s, "c1")
        runs.restore_run(s, "c1")
        with pytest.raises(QuantError):
            runs.restore_run(s, "c1")  # not deleted any more


def test_replace_then_undo_brings_the_old_run_back_and_a_deleted_name_can_be_reused(proj):
    engine, _, _ = proj
    old = _save(engine, "c1")
    new = _save(engine, "c1", formula="connection ~ log_distance", replace=True)
    assert _load(engine, "c1").info.id == new.id
    with store.session_scope(engine) as s:
        coding.undo(s, "researcher")
    back = _load(engine, "c1")
    assert back.info.id == old.id and back.info.formula == FORMULA
    with store.session_scope(engine) as s:
        runs.delete_run(s, "c1")
    third = _save(engine, "c1", formula="connection ~ log_distance")
    assert _load(engine, "c1").info.id == third.id
    with store.session_scope(engine) as s:
        assert old.id not in runs.deleted_runs(s)["id"].tolist()  # the deleted one went for good


def test_refit_in_place_is_undoable_and_compare_keeps_each_se_type(proj):
    engine, _, _ = proj
    first = _save(engine, "full", se=("model", "dyadic"))
    _save(engine, "small", formula="connection ~ log_distance", se=("hc0",))
    with store.session_scope(engine) as s:
        info = runs.refit_run(s, "full")
    assert info.name == "full" and info.id != first.id and info.se_type == "dyadic"
    with store.session_scope(engine) as s:
        coding.undo(s, "researcher")
        assert runs.load_run(s, "full").info.id == first.id
        long = runs.compare_runs(s, ["small", "full"])
    assert long["run"].tolist() == ["small"] * 2 + ["full"] * 3
    assert long.groupby("run")["se_type"].first().to_dict() == {"full": "dyadic", "small": "hc0"}
    wide = compare_wide(long)
    assert list(wide.columns) == ["small", "full"] and wide.loc["sum_log_pop", "small"] == "—"
    r = long.iloc[1]
    assert wide.loc["log_distance", "small"] == f"{r.estimate:.3f} ({r.se:.3f}){stars(r.p)}"


def test_stars_p_and_cells_by_hand():
    assert [stars(p) for p in (0.0009, 0.001, 0.0099, 0.01, 0.049, 0.05, float("nan"), None)] == \
        ["***", "**", "**", "*", "*", "", "", ""]
    assert [format_p(p) for p in (0.0004, 0.001, 0.04249, math.nan)] == ["<0.001", "0.001", "0.042", "—"]
    assert format_cell(-0.65373, 0.18328, 0.00036) == "-0.654 (0.183)***"
    assert format_cell(float("nan"), 0.1, 0.5) == "—"
    assert format_cell(1.0, float("nan"), float("nan")) == "1.000 (—)"
    long = pd.DataFrame({"run": ["a", "b"], "se_type": ["model", "dyadic"], "term": ["x", "y"],
                         "estimate": [1.0, 2.0], "se": [0.5, 0.1], "p": [0.0455, 1e-9]})
    wide = compare_wide(long)
    assert wide.to_dict() == {"a": {"x": "1.000 (0.500)*", "y": "—", "SE type": "model"},
                              "b": {"x": "—", "y": "2.000 (0.100)***", "SE type": "dyadic"}}
