"""Case-comparison display (mixed.comparison) on the small project with a real logit fit."""
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import store
from mixed.cases import case_table
from mixed.comparison import COMPARISON_COLUMNS, case_comparison, x_variables
from mixed.errors import MixedError
from mixed.meta import set_meta_inference
from mixed_report_project import build


@pytest.fixture
def project(engine):
    with store.session_scope(engine) as s:
        proj = build(s)
    return proj


def _independent_p(data: pd.DataFrame) -> pd.Series:
    X = sm.add_constant(data[["log_gravity", "same_province"]].astype(float))
    return sm.Logit(data["connection"].astype(float), X).fit(disp=0).predict(X)


def test_comparison_rows_numbers_x_themes_and_meta(engine, project):
    a, b = project.deviant_dyad
    with store.session_scope(engine) as s:
        set_meta_inference(s, "connection", (b, a), "discordance", "signed for show", display="case", author="ann")
        cases = case_table(s, project.result, c=2.0, n_typical=3)
        comp = case_comparison(s, project.result, cases, data=project.data)
    assert list(comp.columns) == COMPARISON_COLUMNS and len(comp) == len(cases)
    data = project.data.assign(p=_independent_p(project.data))
    by_pair = {(r.city_a, r.city_b): r for r in data.itertuples()}
    for row in comp.itertuples():
        ca, cb = row.case_id.split("-")
        d = by_pair[(ca, cb)]
        assert row.y == d.connection
        assert row.fitted == pytest.approx(d.p, rel=1e-6)
        assert row.residual == pytest.approx((d.connection - d.p) / np.sqrt(d.p * (1 - d.p)), rel=1e-6)
        assert row.key_x == {"log_gravity": d.log_gravity, "same_province": d.same_province}
        assert row.label == f"{project.cities[ca]} – {project.cities[cb]}"
        if "deviant" in row.selection_rule:
            assert f"|r| = {abs(row.residual):.2f} > c = 2" in row.rule_parameters
            # binary cells of quant.md §4.3 with c = 2: p < 1/5 for a tie, p > 4/5 for a non-tie
            assert ("p̂ < 0.2" if row.y == 1 else "p̂ > 0.8") in row.rule_parameters
        else:
            assert row.rule_parameters.startswith(f"|r| = {abs(row.residual):.2f} ≤ c = 2")
            assert row.rule_parameters.endswith("among the 3 smallest |r| of its outcome class")
    rows = comp.set_index("case_id")
    ta, tb = project.typical_dyad
    assert rows.loc[f"{ta}-{tb}", "qual_themes"] == ["Social needs"]
    assert rows.loc[f"{ta}-{tb}", "selection_rule"] == ("typical tie" if rows.loc[f"{ta}-{tb}", "y"] == 1
                                                        else "typical non-tie")
    assert rows.loc[f"{ta}-{tb}", "meta_inference"] == "" and rows.loc[f"{ta}-{tb}", "n_passages"] == 1
    if f"{a}-{b}" in rows.index:  # the most deviant dyad is selected when |r| > 2
        assert rows.loc[f"{a}-{b}", "qual_themes"] == ["Mark"]
        assert rows.loc[f"{a}-{b}", "meta_inference"] == "discordance"
        assert rows.loc[f"{a}-{b}", "note"] == "signed for show" and rows.loc[f"{a}-{b}", "meta_author"] == "ann"
    assert comp.attrs["x_variables"] == ["log_gravity", "same_province"] and comp.attrs["x_note"] == ""


def test_comparison_city_themes_include_dyad_passages_in_codebook_order(engine, project):
    a, _ = project.typical_dyad  # linked directly (Migrant demand) and via its dyad (Social needs)
    with store.session_scope(engine) as s:
        comp = case_comparison(s, project.breadth_result, pd.DataFrame({"city": [a]}), data=project.city_data)
    (row,) = comp.to_dict("records")
    units = project.breadth_result.units.set_index("city")
    assert row["qual_themes"] == ["Social needs", "Migrant demand"]  # parent before its subcode
    assert row["n_passages"] == 2 and row["selection_rule"] == "selected"
    assert row["y"] == units.loc[a, "y"] and row["residual"] == pytest.approx(units.loc[a, "pearson"])
    pop = float(project.city_data.set_index("city").loc[a, "pop"])
    assert row["key_x"] == {"pop": pop} and row["rule_parameters"] == f"|r| = {abs(row['residual']):.2f}"


def test_comparison_without_project_covariates_says_why(engine, project):
    with store.session_scope(engine) as s:
        cases = case_table(s, project.result, c=2.0, n_typical=2)
        comp = case_comparison(s, project.result, cases)  # the test project stores no dyad covariates
        with pytest.raises(MixedError, match="id column"):
            case_comparison(s, project.result, pd.DataFrame({"city": ["330100"]}))
        with pytest.raises(MixedError, match="not among"):
            case_comparison(s, project.result, pd.DataFrame({"city_a": ["330100"], "city_b": ["999999"]}))
    assert all(x == {} for x in comp["key_x"]) and comp.attrs["x_note"]


def test_x_variables_from_the_formula():
    class Fit:
        formula = "breadth ~ np.log(pop) + C(province) + pop:urban_share"
        meta: dict = {}
    assert x_variables(Fit, ["city", "breadth", "pop", "province", "urban_share", "other"]) == [
        "pop", "province", "urban_share"]
    Fit.meta = {"design_formula": "connection ~ sum_pop + same_province"}
    assert x_variables(Fit, ["city_a", "city_b", "sum_pop", "same_province", "connection"]) == [
        "sum_pop", "same_province"]
