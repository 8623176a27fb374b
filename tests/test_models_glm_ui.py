"""The Models page (Streamlit AppTest) offers the models that fit the outcome, the offset/exposure
column for Poisson, the least number of events, and Firth's profile limits beside the Wald ones."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import statsmodels.api as sm
from streamlit.testing.v1 import AppTest

import store
from quant.data import project as qdata
from quant_small_project import build

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app(tmp_path, monkeypatch):
    path = tmp_path / "small.sqlite"
    engine = store.connect(path)
    _, dyads = build(engine)
    rng = np.random.default_rng(4)
    n = len(dyads)
    extra = dyads[["city_a", "city_b"]].assign(
        flow=rng.gamma(2.0, 1.0, n), expo=rng.uniform(0.5, 2.0, n),
        six=np.isin(np.arange(n), [5, 40, 99, 150, 260, 400]).astype(float))
    with store.session_scope(engine) as s:
        qdata.save_dyads(s, extra)
    engine.dispose()
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=180)
    at.run()
    at.switch_page("ui/models.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at, dyads.merge(extra, on=["city_a", "city_b"])


def _fit(at):
    next(b for b in at.button if b.label == "Fit").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def test_models_follow_the_outcome_and_poisson_takes_an_exposure(app):
    at, frame = app
    assert "cloglog" in at.selectbox(key="model_connection").options
    assert "ztnb" not in at.selectbox(key="model_connection").options  # connection is 0/1
    at.text_input(key="formula_connection").set_value("flow ~ log_distance")
    _fit(at)  # logit does not fit a fractional outcome: the page says so and offers the models that do
    assert any("logit does not fit this formula's outcome" in i.value for i in at.info)
    assert at.selectbox(key="model_connection").options == ["poisson", "gaussian"]
    assert at.selectbox(key="model_connection").value == "poisson"
    at.selectbox(key="offset_col_connection").set_value("expo")
    at.run()
    at.radio(key="offset_kind_connection").set_value("exposure")
    _fit(at)
    assert not at.error, [e.value for e in at.error]
    assert [s.value for s in at.subheader][0] == "Outcome flow (connection): poisson"  # the outcome is named
    ref = sm.GLM(frame["flow"].to_numpy(), sm.add_constant(frame["log_distance"].to_numpy()),
                 family=sm.families.Poisson(), exposure=frame["expo"].to_numpy()).fit(tol=1e-14)
    shown = at.dataframe[0].value
    np.testing.assert_allclose(shown["estimate"].to_numpy(), ref.params, atol=1e-8)


def test_min_events_and_firth_profile_limits(app):
    at, _ = app
    at.text_input(key="formula_connection").set_value("six ~ log_distance")
    _fit(at)
    assert any("only 6 ones" in e.value for e in at.error)
    at.number_input(key="min_events_connection").set_value(5)
    _fit(at)
    assert any("only 6 events" in w.value for w in at.warning)
    pytest.importorskip("quant.models.firth")
    at.selectbox(key="model_connection").set_value("firth")
    _fit(at)
    assert [s.value for s in at.subheader][0] == "Outcome six (connection): firth"
    assert {"profile ci_low", "profile ci_high"} <= set(at.dataframe[0].value.columns)


def test_directed_pairs_choice_fits_on_the_directed_table(tmp_path, monkeypatch):
    pytest.importorskip("quant.data.directed_load")
    import itertools

    import pandas as pd

    from quant.data.directed_load import load_directed

    path = tmp_path / "directed.sqlite"
    engine = store.connect(path)
    cities, _ = build(engine)
    rng = np.random.default_rng(2)
    codes = cities["code"].tolist()[:10]
    raw = pd.DataFrame([{"from": i, "to": j, "flow": rng.gamma(2.0, 1.0), "ldist": rng.normal()}
                        for i, j in itertools.permutations(codes, 2)])
    with store.session_scope(engine) as s:
        load_directed(s, raw, a="from", b="to", resolve=False)
    engine.dispose()
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=180)
    at.run()
    at.switch_page("ui/models.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.radio(key="directed_connection").set_value("Directed pairs")
    at.run()
    at.text_input(key="formula_connection").set_value("flow ~ ldist")
    _fit(at)
    assert not at.error, [e.value for e in at.error]
    assert [s.value for s in at.subheader][0] == "Outcome flow (connection): poisson"  # the outcome is named
    raw = raw.sort_values(["from", "to"])
    ref = sm.GLM(raw["flow"].to_numpy(), sm.add_constant(raw["ldist"].to_numpy()),
                 family=sm.families.Poisson()).fit(tol=1e-14)
    np.testing.assert_allclose(at.dataframe[0].value["estimate"].to_numpy(), ref.params, atol=1e-8)
