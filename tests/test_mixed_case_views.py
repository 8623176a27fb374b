"""mixed.case_views: every listed case has a name, one label, its passage count and quotes.

Counts are checked against SQL over codings/coding_links written in the test; labels and
membership against the run's own per-unit table (y, Pearson residual)."""
from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import text

import store
from case_views_project import build
from mixed.case_views import case_view, unit_name
from mixed.errors import MixedError
from quant.runs import saved as runs

C = 2.0


@pytest.fixture
def project(engine):
    built = build(engine)
    return engine, built


def _sql_city_count(s, code: str) -> int:
    return s.execute(text(
        "SELECT COUNT(DISTINCT l.coding_id) FROM coding_links l LEFT JOIN dyads d ON d.id = l.dyad_id "
        "WHERE l.city_code = :c OR d.city_a = :c OR d.city_b = :c"), {"c": code}).scalar_one()


def _sql_dyad_count(s, a: str, b: str) -> int:
    return s.execute(text(
        "SELECT COUNT(DISTINCT l.coding_id) FROM coding_links l JOIN dyads d ON d.id = l.dyad_id "
        "WHERE d.city_a = :a AND d.city_b = :b"), {"a": a, "b": b}).scalar_one()


def test_passage_counts_equal_sql_for_every_dyad_and_city(project):
    engine, built = project
    with store.session_scope(engine) as s:
        dyads = case_view(s, "conn", "typical", threshold=1e6, n=None)  # every dyad is typical at c = 10^6
        cities = case_view(s, "breadth", "typical", threshold=1e6, n=None)
        assert len(dyads) == 435 and len(cities) == 30
        for r in dyads.itertuples(index=False):
            assert r.n_passages == _sql_dyad_count(s, r.city_a, r.city_b), r.case
        for r in cities.itertuples(index=False):
            assert r.n_passages == _sql_city_count(s, r.city), r.case
    # by hand from case_views_project: 100–101 has "flows" and "both"; city 100: flows, both, two_dyads
    d = dyads.set_index("unit_key")
    assert d.loc["100|101", "n_passages"] == 2 and d.loc["103|104", "n_passages"] == 1
    assert d.loc["101|102", "n_passages"] == 0 and bool(d.loc["101|102", "no_evidence"])
    c = cities.set_index("city")
    assert c.loc["100", "n_passages"] == 3 and c.loc["101", "n_passages"] == 3 and c.loc["106", "n_passages"] == 0


def test_names_not_ids_and_quotes_with_citations(project):
    engine, built = project
    with store.session_scope(engine) as s:
        view = case_view(s, "conn", "typical", threshold=1e6, n=None)
    row = view.set_index("unit_key").loc["100|101"]
    assert row["case"] == "城00市–城01市"
    assert unit_name("dyad", "100|101", built.names) == "城00市–城01市"
    shown = view.attrs["shown"]
    assert not {"city_a", "city_b", "unit_key", "level", "score"} & set(shown)
    assert len(row["quotes"]) == 2
    cites = sorted(q["cite"] for q in row["quotes"])
    assert cites == ["访谈：测试（示例）, ¶ 2", "访谈：测试（示例）, ¶ 3"]
    assert "两地人口流动很大" in row["quote_text"]


def test_one_label_per_row_and_deviant_ties_from_the_run_units(project):
    engine, _ = project
    with store.session_scope(engine) as s:
        view = case_view(s, "conn", "deviant", threshold=C, n=None)
        units = runs.load_run(s, "conn").units
    # independent: deviant iff |Pearson| > c, from the stored units
    expect = units[units["pearson"].abs() > C]
    assert len(view) == len(expect) > 0
    assert set(view["unit_key"]) == {f"{a}|{b}" for a, b in zip(expect["city_a"], expect["city_b"])}
    u = units.set_index(["city_a", "city_b"])
    words = ("typical", "deviant", "over-predicted", "under-predicted")
    for r in view.itertuples(index=False):
        assert sum(w in r.case_type for w in words) == 1, r.case_type
        assert not ("non-tie" in r.case_type and "tie (" in r.case_type.replace("non-tie", "")), r.case_type
        y, p = u.loc[(r.city_a, r.city_b), ["y", "pearson"]]
        if r.case_type.startswith("deviant tie"):
            assert y == 1 and abs(p) > C
        else:
            assert r.case_type.startswith("deviant non-tie") and y == 0 and abs(p) > C
        assert np.isclose(r.residual, p) and r.observed == y


def test_typical_labels_and_order(project):
    engine, _ = project
    with store.session_scope(engine) as s:
        view = case_view(s, "conn", "typical", n=5)
        units = runs.load_run(s, "conn").units
    smallest = units.assign(a=units["pearson"].abs()).sort_values("a").head(5)
    assert list(view["unit_key"]) == [f"{a}|{b}" for a, b in zip(smallest["city_a"], smallest["city_b"])]
    assert all(t in ("typical tie", "typical non-tie") for t in view["case_type"])


def test_on_worklist_flag(project):
    engine, _ = project
    from mixed.worklist import add_cases

    with store.session_scope(engine) as s:
        view = case_view(s, "conn", "overpredicted", n=3)
        assert not view["on_worklist"].any()
        add_cases(s, view.head(1))
        again = case_view(s, "conn", "overpredicted", n=3)
    assert list(again["on_worklist"]) == [True, False, False]


def test_advertised_view_counts_breadth_by_hand_and_quotes_mark_first(project):
    engine, built = project
    import quant_small_project as qsp

    _, dyads = qsp.tables()
    ties = dyads[dyads["connection"] == 1]
    breadth = {}
    for a, b in zip(ties["city_a"], ties["city_b"]):
        breadth[a] = breadth.get(a, 0) + 1
        breadth[b] = breadth.get(b, 0) + 1
    with store.session_scope(engine) as s:
        view = case_view(s, "breadth", "advertised")
        none = case_view(s, None, "advertised")
    assert len(view) > 0
    assert list(view["case"]) == list(none["case"])
    for r in view.itertuples(index=False):
        assert r.observed == breadth[r.city]
        assert r.case == built.names[r.city] and r.case_type == "advertised, not implemented"
    assert view["predicted"].notna().all() and none["predicted"].isna().all()


def test_mark_passages_first_in_advertised_quotes(project, monkeypatch):
    engine, _ = project
    import mixed.cases

    real = mixed.cases.advertised_not_implemented

    def only_101(session, dyads_df, **kw):  # pin the list to city 101 (direct Mark + via-dyad Needs)
        out = real(session, dyads_df, breadth_q=0.01, degree_q=0.99, **kw)
        return out[out["city"] == "101"]

    monkeypatch.setattr(mixed.cases, "advertised_not_implemented", only_101)
    with store.session_scope(engine) as s:
        view = case_view(s, "breadth", "advertised")
    row = view.iloc[0]
    assert row["case"] == "城01市" and row["n_passages"] == 3 and row["n_mark"] == 2
    assert [q["code"] for q in row["quotes"]] == ["Mark", "Mark", "Needs"]


def test_bad_rule_and_missing_run(project):
    engine, _ = project
    with store.session_scope(engine) as s:
        with pytest.raises(MixedError, match="Unknown case rule"):
            case_view(s, "conn", "famous")
        with pytest.raises(MixedError, match="needs a saved run"):
            case_view(s, None, "deviant")
        with pytest.raises(MixedError, match="max_quotes"):
            case_view(s, "conn", "deviant", max_quotes=99)
