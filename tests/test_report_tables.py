"""Journal-style regression tables and the small Markdown/HTML renderers (report.tables)."""
import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from quant.models.results import FitResult
from report.errors import ReportError
from report.tables import regression_table, star_string, to_html, to_markdown


def _fit(estimates, ses, *, dimension="connection", model="logit", llf=-123.456, n=300, n_nodes=25):
    params = pd.Series(estimates, dtype=float)
    se = pd.Series(ses, index=params.index, dtype=float)
    k = len(params)
    return FitResult(
        dimension=dimension, model=model, formula="y ~ " + " + ".join(t for t in params.index if t != "Intercept"),
        params=params, se={"dyadic": se, "model": se * 0.5}, cov={"dyadic": np.diag(se**2), "model": np.diag((se * 0.5) ** 2)},
        se_type="dyadic", se_labels={"dyadic": "dyadic-robust HC0, N = 25", "model": "model-based"},
        n=n, n_nodes=n_nodes, llf=llf, aic=-2 * llf + 2 * k, bic=-2 * llf + k * np.log(n), converged=True,
    )


def _expected_stars(z, levels=(0.05, 0.01, 0.001)):
    p = 2 * norm.sf(abs(z))
    return "*" * sum(p < s for s in levels)


def test_report_tables_stars_match_normal_p_values():
    # z-values chosen on both sides of every threshold: 1.5 (none), 2.2 (*), 2.9 (**), 3.6 (***)
    est = {"Intercept": -1.0, "x1": 0.15, "x2": -0.44, "x3": 2.9, "x4": 0.36}
    ses = {"Intercept": 0.5, "x1": 0.1, "x2": 0.2, "x3": 1.0, "x4": 0.1}
    df = regression_table([_fit(est, ses)])
    col = df.columns[1]
    coef_rows = df.iloc[: df.attrs["n_coef_rows"]]
    shown = dict(zip(coef_rows["term"][::2], coef_rows[col][::2]))
    for term in est:
        z = est[term] / ses[term]
        stars = _expected_stars(z)
        assert shown[term] == f"{est[term]:.3f}{stars}", term
    assert [shown[t].count("*") for t in ["x1", "x2", "x3", "x4"]] == [0, 1, 2, 3]
    # SE row below each coefficient, in parentheses
    se_rows = coef_rows.iloc[1::2]
    assert list(se_rows["term"]) == [""] * len(est)
    assert list(se_rows[col]) == [f"({ses[t]:.3f})" for t in ["x1", "x2", "x3", "x4", "Intercept"]]
    # bottom block and the note naming the SE type
    bottom = df.iloc[df.attrs["n_coef_rows"]:].set_index("term")[col]
    assert bottom["N"] == "300" and bottom["Nodes"] == "25" and bottom["Log-likelihood"] == "-123.46"
    assert "dyadic-robust HC0, N = 25" in df.attrs["note"]
    assert "*** p < 0.001" in df.attrs["note"]


def test_report_tables_configurable_stars_and_se_type():
    est = {"x1": 0.18, "x2": 0.25}
    ses = {"x1": 0.1, "x2": 0.1}  # z = 1.8 and 2.5 under "dyadic"; 3.6 and 5.0 under "model"
    df = regression_table([_fit(est, ses)], stars=(0.1, 0.05))
    col = df.columns[1]
    assert df[col].iloc[0] == "0.180" + _expected_stars(1.8, (0.1, 0.05)) == "0.180*"
    assert df[col].iloc[2] == "0.250**"
    df_model = regression_table([_fit(est, ses)], se_type="model")
    assert df_model[col].iloc[0] == "0.180" + _expected_stars(3.6)
    assert df_model[col].iloc[1] == "(0.050)"
    assert "model-based" in df_model.attrs["note"]
    with pytest.raises(ReportError):
        star_string(0.01, (0.01, 0.05))


def test_report_tables_several_fits_align_terms():
    a = _fit({"Intercept": 1.0, "x1": 0.5}, {"Intercept": 0.1, "x1": 0.1})
    b = _fit({"Intercept": 1.0, "x2": 0.5, "alpha": 0.7}, {"Intercept": 0.1, "x2": 0.1, "alpha": 0.2},
             dimension="degree", model="ztnb")
    df = regression_table([a, b])
    assert list(df["term"][: df.attrs["n_coef_rows"]:2]) == ["x1", "x2", "Intercept", "alpha"]
    assert list(df.columns) == ["term", "(1) connection (logit)", "(2) degree (ztnb)"]
    x2_row = df.index[df["term"] == "x2"][0]
    assert df.loc[x2_row, "(1) connection (logit)"] == "" and df.loc[x2_row + 1, "(1) connection (logit)"] == ""
    with pytest.raises(ReportError):
        regression_table([])


def test_report_tables_to_markdown_escapes_pipes_only():
    df = pd.DataFrame({"a": ["x|y", "<b>"], "b": [1.5, None]})
    assert to_markdown(df).splitlines() == ["| a | b |", "| --- | --- |", "| x\\|y | 1.5 |", "| <b> |  |"]


def test_report_tables_to_html_escapes_cells_headers_and_note():
    df = pd.DataFrame({"<th>": ["<script>alert(1)</script>", "a & b"]})
    html = to_html(df, caption="<i>c</i>", note='"n"')
    assert "<script>" not in html and "<th><th>" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "a &amp; b" in html and "&#34;n&#34;" in html


def test_report_tables_stars_on_a_real_fit_match_normal_p_values():
    from mixed_report_project import simulate
    from quant.models.dispatch import fit_connection

    _, data, _ = simulate(n_cities=16, seed=11)
    res = fit_connection(data, "connection ~ log_gravity + same_province", model="logit")
    df = regression_table([res], stars=(0.05, 0.01, 0.001), digits=4)
    col = df.columns[1]
    shown = dict(zip(df["term"][: df.attrs["n_coef_rows"]:2], df[col][: df.attrs["n_coef_rows"]:2]))
    se = res.se[res.se_type]
    assert set(shown) == set(res.params.index)
    for term, est in res.params.items():
        z = float(est) / float(se[term])
        assert shown[term] == f"{float(est):.4f}{_expected_stars(z)}", term
