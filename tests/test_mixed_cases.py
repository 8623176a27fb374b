"""Case tables with evidence, and the "advertised, not implemented" rule (mixed.cases)."""
import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

import store
from mixed.cases import ADVERTISED, add_evidence, advertised_not_implemented, case_table
from mixed.errors import MixedError
from mixed_report_project import build


@pytest.fixture
def project(engine):
    with store.session_scope(engine) as s:
        proj = build(s)
    return proj


def _dyad_link_counts(session) -> dict[tuple[str, str], int]:
    rows = session.execute(
        select(store.Dyad.city_a, store.Dyad.city_b, store.CodingLink.coding_id)
        .join(store.CodingLink, store.CodingLink.dyad_id == store.Dyad.id)
    ).all()
    out: dict[tuple[str, str], set] = {}
    for a, b, cid in rows:
        out.setdefault((a, b), set()).add(cid)
    return {k: len(v) for k, v in out.items()}


def test_cases_case_table_adds_names_and_evidence(engine, project):
    with store.session_scope(engine) as s:
        table = case_table(s, project.result, c=2.0, n_typical=5)
        counts = _dyad_link_counts(s)
    for col in ["city_a", "city_b", "y", "fitted", "pearson", "case_type", "rule",
                "name_a", "name_b", "n_passages", "no_evidence"]:
        assert col in table.columns, col
    for r in table.itertuples():
        assert r.name_a == project.cities[r.city_a] and r.name_b == project.cities[r.city_b]
        expected = counts.get((r.city_a, r.city_b), 0)
        assert r.n_passages == expected
        assert r.no_evidence == (expected == 0)
    keys = list(zip(table["city_a"], table["city_b"]))
    assert project.typical_dyad in keys  # smallest |r| is always a typical case
    row = table[[k == project.typical_dyad for k in keys]].iloc[0]
    assert row.n_passages == 1 and not row.no_evidence and "typical" in row.case_type
    assert table["no_evidence"].sum() >= len(table) - 2


def test_cases_add_evidence_for_cities_counts_direct_and_via_dyads(engine, project):
    a, _ = project.typical_dyad
    da, _ = project.deviant_dyad
    first = sorted(project.cities)[0]
    with store.session_scope(engine) as s:
        # the Mark coding is linked to the deviant dyad; link it to one of its cities as well
        s.add(store.CodingLink(coding_id=project.codings["mark"], city_code=da))
    direct = {a: {"migrants"}, first: {"xss"}}
    direct.setdefault(da, set()).add("mark")
    via: dict[str, set] = {}
    for key, pair in (("flows", project.typical_dyad), ("mark", project.deviant_dyad)):
        for c in pair:
            via.setdefault(c, set()).add(key)
    cities = pd.DataFrame({"city": sorted(project.cities)})
    with store.session_scope(engine) as s:
        out = add_evidence(s, cities).set_index("city")
    for c in project.cities:
        d = direct.get(c, set())
        v = via.get(c, set()) - d  # a coding linked to the city and to its dyad counts once, as direct
        assert out.loc[c, "n_direct"] == len(d), c
        assert out.loc[c, "n_via_dyads"] == len(v), c
        assert out.loc[c, "n_passages"] == len(d) + len(v)
        assert out.loc[c, "no_evidence"] == (not d and not v)
        assert out.loc[c, "name"] == project.cities[c]
    assert out.loc[da, "n_direct"] >= 1 and "mark" not in via.get(da, set()) - direct[da]


def _advertised_data() -> pd.DataFrame:
    ties = {  # (a, b): degree
        ("A", "B"): 1, ("A", "C"): 1, ("A", "D"): 1, ("A", "E"): 1, ("A", "F"): 1,
        ("B", "C"): 10, ("B", "D"): 10, ("B", "E"): 10, ("C", "D"): 8, ("G", "H"): 3,
        ("E", "H"): np.nan,  # a tie whose degree is unknown: counts for breadth only
    }
    rows = []
    for i, a in enumerate("ABCDEFGH"):
        for b in "ABCDEFGH"[i + 1:]:
            deg = ties.get((a, b))
            rows.append({"city_a": a, "city_b": b, "connection": int((a, b) in ties),
                         "degree": deg if (a, b) in ties else np.nan})
    return pd.DataFrame(rows)


def test_cases_advertised_not_implemented_rule(engine):
    data = _advertised_data()
    # independent computation of the rule
    breadth, degrees = {}, {}
    for r in data.itertuples():
        if r.connection == 1:
            for c in (r.city_a, r.city_b):
                breadth[c] = breadth.get(c, 0) + 1
                if not np.isnan(r.degree):
                    degrees.setdefault(c, []).append(r.degree)
    allc = sorted(set(data.city_a) | set(data.city_b))
    b_thr = np.percentile([breadth.get(c, 0) for c in allc], 75)
    means = {c: np.mean(v) for c, v in degrees.items()}
    d_thr = np.percentile(list(means.values()), 25)
    expected = [c for c in allc if breadth.get(c, 0) >= b_thr and c in means and means[c] <= d_thr]
    assert expected == ["A"]  # the fixture is built so: 5 partners, 1 item each
    with store.session_scope(engine) as s:
        out = advertised_not_implemented(s, data)
    assert list(out["city"]) == expected
    row = out.iloc[0]
    assert row.breadth == breadth["A"] and row.mean_degree == pytest.approx(means["A"])
    assert row.breadth_threshold == pytest.approx(b_thr) and row.degree_threshold == pytest.approx(d_thr)
    assert row.case_type == ADVERTISED and "breadth ≥" in row.rule and "mean degree ≤" in row.rule
    assert row.n_passages == 0 and row.no_evidence


def test_cases_advertised_not_implemented_rejects_bad_input(engine):
    data = _advertised_data()
    with store.session_scope(engine) as s:
        with pytest.raises(MixedError, match="0/1"):
            advertised_not_implemented(s, data.assign(connection=data["connection"] * 2))
        with pytest.raises(MixedError, match="lacks"):
            advertised_not_implemented(s, data.drop(columns="degree"))
        with pytest.raises(MixedError, match="breadth_q"):
            advertised_not_implemented(s, data, breadth_q=1.0)
