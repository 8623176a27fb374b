"""The Models page (AppTest) shows marginal effects, standardised coefficients, VIF and city
influence for a Poisson fit with an exposure (no caption refusing them); the AME shown equals
central finite differences of exp(xb + log exposure) written here with numpy."""
from __future__ import annotations

import numpy as np

from test_models_glm_ui import _fit, app  # noqa: F401  (the Models page fixture)


def test_poisson_with_exposure_shows_marginal_effects(app):  # noqa: F811
    at, frame = app
    at.text_input(key="formula_connection").set_value("flow ~ log_distance")
    _fit(at)
    at.selectbox(key="model_connection").set_value("poisson")
    at.selectbox(key="offset_col_connection").set_value("expo")
    at.run()
    at.radio(key="offset_kind_connection").set_value("exposure")
    _fit(at)
    assert not at.error, [e.value for e in at.error]
    labels = [t.label for t in at.tabs]
    assert labels[:3] == ["Marginal effects", "Standardised & VIF", "City influence"], labels
    assert not any("do not take an offset" in c.value or "not available for" in c.value for c in at.caption)
    b = at.dataframe[0].value["estimate"].to_numpy()
    X = np.column_stack([np.ones(len(frame)), frame["log_distance"].to_numpy()])
    off = np.log(frame["expo"].to_numpy())
    h = 1e-6
    ref = np.mean((np.exp(X @ b + h * b[1] + off) - np.exp(X @ b - h * b[1] + off)) / (2 * h))
    ame = at.tabs[0].dataframe[0].value
    col = "ame" if "ame" in ame.columns else ame.columns[0]
    np.testing.assert_allclose(float(ame[col].iloc[0]), ref, rtol=1e-6)
