"""Joint displays and per-unit evidence (mixed.joint) on a small project with a real logit fit."""
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.stats import norm

import store
from mixed.errors import MixedError
from mixed.joint import JOINT_COLUMNS, joint_display, joint_long, unit_evidence
from mixed_report_project import build


@pytest.fixture
def project(engine):
    with store.session_scope(engine) as s:
        proj = build(s)
    return proj


def test_joint_display_rows_estimates_and_codes(engine, project):
    res = project.result
    with store.session_scope(engine) as s:
        jd = joint_display(s, res)
    assert list(jd.columns) == JOINT_COLUMNS
    assert list(jd["term"]) == ["log_gravity", "same_province"]  # Intercept skipped
    se = res.se[res.se_type]
    q = norm.ppf(0.975)
    for row in jd.itertuples():
        est, s_ = float(res.params[row.term]), float(se[row.term])
        assert row.estimate == pytest.approx(est)
        assert row.se == pytest.approx(s_)
        assert row.ci_low == pytest.approx(est - q * s_) and row.ci_high == pytest.approx(est + q * s_)
        assert row.p == pytest.approx(2 * norm.sf(abs(est / s_)))
        assert row.se_label == res.se_labels[res.se_type]
        assert row.model == "logit" and row.meta_inference == ""
    by_term = jd.set_index("term")
    assert by_term.loc["log_gravity", "codes"] == ["Social needs"]
    assert by_term.loc["same_province", "codes"] == ["Personal-relationship supply"]
    assert jd.attrs["dimension"] == "connection" and jd.attrs["formula"] == res.formula


def test_joint_display_quotes_include_subcodes_and_cite_paragraphs(engine, project):
    with store.session_scope(engine) as s:
        jd = joint_display(s, project.result, max_quotes=3).set_index("term")
        one = joint_display(s, project.result, max_quotes=1).set_index("term")
    gravity = jd.loc["log_gravity"]
    # the Social needs coding, its subcode's coding, and the policy coding
    assert gravity["n_passages"] == 3
    ids = {q["coding_id"] for q in gravity["quotes"]}
    assert ids == {project.codings["flows"], project.codings["migrants"], project.codings["xss"]}
    # linked passages spread across documents: one per document (by name) before a second one
    order = [q["coding_id"] for q in gravity["quotes"]]
    assert order == [project.codings["xss"], project.codings["flows"], project.codings["migrants"]]
    flows = next(q for q in gravity["quotes"] if q["coding_id"] == project.codings["flows"])
    a, b = project.typical_dyad
    assert flows["quote"] == project.quotes["flows"]
    assert flows["document"] == project.documents["interview"] and flows["paragraph"] == 2
    assert flows["code"] == "Social needs" and flows["links"] == [f"{a}-{b}"]
    assert flows["link_labels"] == [f"{project.cities[a]} – {project.cities[b]}"]
    assert flows["cite"] == f"{project.documents['interview']}, ¶ 2"
    careers = jd.loc["same_province", "quotes"]
    assert [q["quote"] for q in careers] == [project.quotes["careers"]] and careers[0]["links"] == []
    assert one.loc["log_gravity", "n_passages"] == 3 and len(one.loc["log_gravity", "quotes"]) == 1


def test_joint_long_tidy_rows_and_provenance(engine, project):
    with store.session_scope(engine) as s:
        jd = joint_display(s, project.result)
    long = joint_long(jd)
    assert list(long.columns) == ["display_type", "row_key", "column", "value", "provenance"]
    assert set(long["display_type"]) == {"side-by-side"}
    n_quotes = sum(len(q) for q in jd["quotes"])
    assert len(long) == 9 * len(jd) + n_quotes  # 5 numbers, codes, n_passages, meta_inference, note
    est = long[(long.row_key == "connection:log_gravity") & (long.column == "estimate")].iloc[0]
    assert est.value == pytest.approx(float(project.result.params["log_gravity"]))
    assert project.result.se_labels[project.result.se_type] in est.provenance and "logit" in est.provenance
    quotes = long[long.column == "quote"]
    flows = quotes[quotes.value == project.quotes["flows"]].iloc[0]
    assert f"{project.documents['interview']}, ¶ 2" in flows.provenance
    assert f"coding {project.codings['flows']}" in flows.provenance
    jd.loc[0, "meta_inference"] = "support"
    with pytest.raises(MixedError, match="meta_inference"):
        joint_long(jd)


def test_unit_evidence_city_direct_and_via_dyads(engine, project):
    a, b = project.typical_dyad
    cd = project.city_data
    X = sm.add_constant(cd[["pop"]].astype(float))
    mu = sm.GLM(cd["breadth"].astype(float), X, family=sm.families.Poisson()).fit().predict(X)
    i = int(np.flatnonzero((cd["city"] == a).to_numpy())[0])
    y, m = float(cd["breadth"].iloc[i]), float(mu.iloc[i])
    with store.session_scope(engine) as s:
        ev = unit_evidence(s, project.breadth_result, a)
    assert ev["level"] == "city" and ev["label"] == project.cities[a]
    assert ev["dimension"] == "breadth" and ev["y"] == y
    assert ev["fitted"] == pytest.approx(m, rel=1e-6)
    assert ev["pearson"] == pytest.approx((y - m) / np.sqrt(m), rel=1e-6)
    assert [q["coding_id"] for q in ev["direct"]] == [project.codings["migrants"]]
    assert [q["coding_id"] for q in ev["via_dyads"]] == [project.codings["flows"]]
    assert ev["n_passages"] == 2


def test_unit_evidence_dyad_values_match_independent_fit(engine, project):
    a, b = project.typical_dyad
    data = project.data
    X = sm.add_constant(data[["log_gravity", "same_province"]].astype(float))
    p_hat = sm.Logit(data["connection"].astype(float), X).fit(disp=0).predict(X)
    i = int(np.flatnonzero((data["city_a"] == a).to_numpy() & (data["city_b"] == b).to_numpy())[0])
    y, p = float(data["connection"].iloc[i]), float(p_hat.iloc[i])
    with store.session_scope(engine) as s:
        ev = unit_evidence(s, project.result, (b, a))  # either order
        ev2 = unit_evidence(s, project.result, f"{a}-{b}")
    assert ev["unit"] == (a, b) and ev2["unit"] == (a, b)
    assert ev["y"] == y
    assert ev["fitted"] == pytest.approx(p, rel=1e-6)
    assert ev["pearson"] == pytest.approx((y - p) / np.sqrt(p * (1 - p)), rel=1e-6)
    assert [q["quote"] for q in ev["passages"]] == [project.quotes["flows"]]
    assert ev["label"] == f"{project.cities[a]} – {project.cities[b]}"


def test_unit_evidence_rejects_unknown_and_self_pairs(engine, project):
    a, _ = project.typical_dyad
    with store.session_scope(engine) as s:
        with pytest.raises(MixedError, match="not among"):
            unit_evidence(s, project.result, (a, "999999"))
        with pytest.raises(MixedError, match="itself"):
            unit_evidence(s, project.result, (a, a))
        with pytest.raises(MixedError, match="not a dyad"):
            unit_evidence(s, project.result, a)  # a city given to a dyad fit is not a pair
