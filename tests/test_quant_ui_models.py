"""The Models page (Streamlit AppTest) on a small simulated project: diagnostics appear as one
message each, specifications are saved, loaded and compared side by side, the hurdle and its
zero part can be fitted, and the inference panels render."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import store
from quant.data import project as qdata
from quant_small_project import build

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app(tmp_path, monkeypatch):
    path = tmp_path / "small.sqlite"
    engine = store.connect(path)
    build(engine)
    with store.session_scope(engine) as s:
        frame = qdata.dyad_frame(s)
        n = len(frame)
        qdata.save_dyads(s, frame[["city_a", "city_b"]].assign(
            flat=1.0, inf_x=np.where(np.arange(n) == 4, np.inf, 0.0) + frame["log_distance"],
            gappy=np.where(np.arange(n) < 6, np.nan, frame["log_distance"]), const=2.0,
            sep=frame["connection"] * 2 + (frame["log_distance"] > 0), rare=(np.arange(n) < 3).astype(float)))
    engine.dispose()
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=180)
    at.run()
    at.switch_page("ui/models.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _fit(at, formula):
    at.text_input(key="formula_connection").set_value(formula)
    next(b for b in at.button if b.label == "Fit").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_models_page_diagnostics_are_one_message_each(app):
    at = app
    assert not at.error, [e.value for e in at.error]
    assert [s.value for s in at.subheader][0] == "connection: logit"
    cases = [
        ("connection ~ no_such_variable", "no_such_variable"),
        ("flat ~ log_distance", "'flat' is constant"),
        ("connection ~ inf_x", "infinite values in 1 row(s)"),
        ("connection ~ log_pop", "city attribute"),
        ("connection ~ sum(log_pop) + absdiff(log_pop) + max(log_pop)", "exactly collinear"),
        ("connection ~ sep", "separation of 'connection' by 'sep'"),
        ("rare ~ log_distance", "only 3 ones among 435 rows"),
        ("connection ~ log_distance + const", "covariate 'const' is constant"),
    ]
    for formula, words in cases:
        _fit(at, formula)
        errors = [e.value for e in at.error]
        assert len(errors) == 1 and words in errors[0] and "\n" not in errors[0], (formula, errors)
        assert "connection: logit" not in [s.value for s in at.subheader]  # no stale fit on screen
    _fit(at, "connection ~ gappy + sum(log_pop)")
    assert not at.error
    assert any("6 of 435 rows dropped for missing values (gappy: 6" in w.value for w in at.warning)
    assert at.tabs[0].label == "Marginal effects" and len(at.tabs) == 4
    assert any("sum_log_pop" in str(df.value.index.tolist()) for df in at.dataframe)
    # non-convergence: breadth in this project is not overdispersed, so NB2 has no interior maximum
    at.segmented_control(key="model_dimension").set_value("breadth")
    at.run()
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "did not converge to an acceptable maximum" in errors[0]
    assert "fit model='poisson' or 'binomial' instead" in errors[0]


def test_models_page_saves_loads_and_compares_specifications(app):
    at = app
    _fit(at, "connection ~ sum(log_pop) + log_distance")
    at.text_input(key="spec_name_connection").set_value("two terms")
    at.button(key="spec_save_connection").click()
    at.run()
    assert any("Saved the specification 'two terms'" in s.value for s in at.success)
    _fit(at, "connection ~ sum(log_pop) + log_distance + same(province)")
    at.text_input(key="spec_name_connection").set_value("three terms")
    at.button(key="spec_save_connection").click()
    at.run()
    at.text_input(key="formula_connection").set_value("connection ~ log_distance")
    at.run()
    at.selectbox(key="pick_spec_connection").set_value("two terms")
    at.button(key="load_spec_connection").click()
    at.run()
    assert at.text_input(key="formula_connection").value == "connection ~ sum(log_pop) + log_distance"
    assert at.session_state["fit_connection"].formula == "connection ~ sum(log_pop) + log_distance"
    assert at.multiselect(key="cmp_specs").value == ["two terms", "three terms"]
    side = next(df.value for df in at.dataframe if "(1) two terms" in df.value.columns)
    assert list(side.columns) == ["term", "(1) two terms", "(2) three terms"]
    assert "AIC" in side["term"].tolist()
    nested = [m.value for m in at.markdown if "Nested tests" in m.value]
    assert nested and "likelihood ratio chi2(1)" in nested[0] and "Wald chi2(1)" in nested[0]
    # every option at once, the current fit included (equal to a saved spec): no exception
    at.multiselect(key="cmp_specs").set_value(at.multiselect(key="cmp_specs").options)
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def test_models_page_fits_the_hurdle_with_a_zero_part(app):
    at = app
    at.segmented_control(key="model_dimension").set_value("degree")
    at.run()
    at.selectbox(key="model_degree").set_value("hurdle")
    at.run()
    at.text_input(key="formula_degree").set_value("degree ~ shared_border")
    at.text_input(key="zero_degree").set_value("~ sum(log_pop) + log_distance")
    next(b for b in at.button if b.label == "Fit").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    result = at.session_state["fit_degree"]
    assert result.model == "hurdle" and "zero:sum_log_pop" in result.params.index
    assert "degree: hurdle" in [s.value for s in at.subheader]
