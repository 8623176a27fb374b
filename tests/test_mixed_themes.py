"""Statistics-by-themes display (mixed.themes), checked by hand on a six-city project.

The project: cities A–F, a breadth fit whose units (y, fitted, Pearson r) are written below,
a codebook Needs > Social, Supply, Mark, and seven codings:

    c1 Social -> city A        c4 Needs  -> city C        c7 Mark -> city E
    c2 Supply -> city B        c5 Social -> city D
    c3 Mark   -> dyad A-B      c6 Supply -> city E

Units with evidence: A–E (F has none). Their themes (a subcode counts for its parent, a dyad's
passage for both its cities): A {Needs, Social, Mark}, B {Supply, Mark}, C {Needs},
D {Needs, Social}, E {Supply, Mark}. Every expected cell below was counted by hand from this.
"""
import hashlib

import numpy as np
import pandas as pd
import pytest

import store
from mixed.errors import MixedError
from mixed.themes import themes_display, themes_long
from quant.models.results import FitResult
from mixed_report_project import build

CITIES = {"A": "100", "B": "200", "C": "300", "D": "400", "E": "500", "F": "600"}
#                       A     B     C     D     E     F
Y = [5, 1, 6, 0, 8, 2]
FITTED = [2.0, 1.5, 3.2, 0.8, 3.0, 1.0]
PEARSON = [2.5, -0.4, -0.1, -0.9, 2.9, -0.05]


def _fit() -> FitResult:
    units = pd.DataFrame({"city": list(CITIES.values()), "y": Y, "fitted": FITTED, "pearson": PEARSON})
    params = pd.Series({"Intercept": 0.1, "x": 0.2})
    return FitResult(
        dimension="breadth", model="poisson", formula="breadth ~ x", params=params,
        se={"model": pd.Series({"Intercept": 0.05, "x": 0.1})}, cov={"model": np.eye(2)}, se_type="model",
        se_labels={"model": "model-based"}, n=6, n_nodes=6, llf=-10.0, aic=24.0, bic=25.0, converged=True,
        units=units,
    )


@pytest.fixture
def hand(engine):
    with store.session_scope(engine) as s:
        for letter, code in CITIES.items():
            s.add(store.City(code=code, name=f"City {letter}"))
        s.flush()
        ab, cd = store.Dyad(city_a="100", city_b="200"), store.Dyad(city_a="300", city_b="400")
        s.add_all([ab, cd])
        needs = store.Code(name="Needs", position=0)
        supply = store.Code(name="Supply", position=1)
        mark = store.Code(name="Mark", position=2)
        s.add_all([needs, supply, mark])
        s.flush()
        social = store.Code(name="Social", parent_id=needs.id, position=0)
        s.add(social)
        text = "\n\n".join(f"paragraph {i}" for i in range(1, 8))
        doc = store.Document(name="notes", kind="field note", text=text, n_chars=len(text),
                             text_sha256=hashlib.sha256(text.encode()).hexdigest())
        s.add(doc)
        s.flush()
        plan = [(social, "A", None), (supply, "B", None), (mark, None, ab), (needs, "C", None),
                (social, "D", None), (supply, "E", None), (mark, "E", None)]
        for i, (code, city, dyad) in enumerate(plan):
            start = text.index(f"paragraph {i + 1}")
            coding = store.Coding(document_id=doc.id, code_id=code.id, start=start, end=start + 11,
                                  quote=text[start:start + 11])
            s.add(coding)
            s.flush()
            if city:
                s.add(store.CodingLink(coding_id=coding.id, city_code=CITIES[city]))
            else:
                s.add(store.CodingLink(coding_id=coding.id, dyad_id=dyad.id))
    return _fit()


def _cells(df) -> dict:
    return {r["theme"]: {k: v for k, v in r.items() if k not in ("theme", "code_id", "path", "depth")}
            for r in df.to_dict("records")}


def test_themes_case_type_counts_by_hand(engine, hand):
    with store.session_scope(engine) as s:
        df = themes_display(s, hand, grouping="case_type", c=2.0)
    t, d = "typical (|r| ≤ 2)", "deviant (|r| > 2)"
    assert df.attrs["groups"] == [t, d]
    assert df.attrs["sizes"] == {t: 3, d: 2, "all": 5}  # deviant: A (2.5), E (2.9); F has no evidence
    assert df.attrs["n_units"] == 5 and df.attrs["n_fit_units"] == 6 and df.attrs["level"] == "city"
    assert list(df["theme"]) == ["Needs", "Social", "Supply", "Mark"]  # codebook order
    assert list(df["depth"]) == [0, 1, 0, 0] and df.loc[1, "path"] == "Needs/Social"
    assert _cells(df) == {
        "Needs": {t: "2 (67%)", d: "1 (50%)", "all": "3 (60%)"},
        "Social": {t: "1 (33%)", d: "1 (50%)", "all": "2 (40%)"},
        "Supply": {t: "1 (33%)", d: "1 (50%)", "all": "2 (40%)"},
        "Mark": {t: "1 (33%)", d: "2 (100%)", "all": "3 (60%)"},
    }
    counts = df.attrs["counts"]
    assert counts.loc[df.loc[3, "code_id"], d] == 2 and counts.loc[df.loc[0, "code_id"], "all"] == 3


def test_themes_without_subcodes_or_dyad_passages(engine, hand):
    t, d = "typical (|r| ≤ 2)", "deviant (|r| > 2)"
    with store.session_scope(engine) as s:
        flat = _cells(themes_display(s, hand, include_subcodes=False))
        direct = themes_display(s, hand, via_dyads=False)
    assert flat["Needs"] == {t: "1 (33%)", d: "0 (0%)", "all": "1 (20%)"}  # only C's own Needs coding
    assert flat["Social"] == {t: "1 (33%)", d: "1 (50%)", "all": "2 (40%)"}
    # without the A-B dyad passage, Mark stays with E only; A and B keep their own codings
    assert direct.attrs["sizes"] == {t: 3, d: 2, "all": 5}
    assert _cells(direct)["Mark"] == {t: "0 (0%)", d: "1 (50%)", "all": "1 (20%)"}


def test_themes_outcome_median_split(engine, hand):
    with store.session_scope(engine) as s:
        ev = themes_display(s, hand, grouping="outcome")
        al = themes_display(s, hand, grouping="outcome", base="all")
    # y of A–E: 5, 1, 6, 0, 8 -> median 5: above C, E; at or below A, B, D
    hi, lo = "y > 5 (median)", "y ≤ 5"
    assert ev.attrs["groups"] == [hi, lo] and ev.attrs["sizes"] == {hi: 2, lo: 3, "all": 5}
    assert _cells(ev)["Mark"] == {hi: "1 (50%)", lo: "2 (67%)", "all": "3 (60%)"}
    assert _cells(ev)["Needs"] == {hi: "1 (50%)", lo: "2 (67%)", "all": "3 (60%)"}
    # over all six units (F: y = 2) the median is 3.5: above A, C, E; at or below B, D
    hi, lo = "y > 3.5 (median)", "y ≤ 3.5"
    assert al.attrs["sizes"] == {hi: 3, lo: 2, "all": 5}
    assert _cells(al)["Mark"] == {hi: "2 (67%)", lo: "1 (50%)", "all": "3 (60%)"}
    assert "all 6 units of the fit" in al.attrs["rule"]


def test_themes_terciles_of_fitted(engine, hand):
    with store.session_scope(engine) as s:
        ev = themes_display(s, hand, grouping="tercile")
        al = themes_display(s, hand, grouping="tercile", base="all")
    # fitted of A–E sorted: 0.8 1.5 2.0 3.0 3.2; type-7 quantiles 1.6667 and 2.6667
    low, mid, high = "low μ̂ (≤ 1.67)", "middle μ̂", "high μ̂ (> 2.67)"
    assert ev.attrs["groups"] == [low, mid, high]
    assert ev.attrs["sizes"] == {low: 2, mid: 1, high: 2, "all": 5}  # low D, B; middle A; high E, C
    assert _cells(ev)["Mark"] == {low: "1 (50%)", mid: "1 (100%)", high: "1 (50%)", "all": "3 (60%)"}
    assert _cells(ev)["Supply"] == {low: "1 (50%)", mid: "0 (0%)", high: "1 (50%)", "all": "2 (40%)"}
    # with F (1.0): 0.8 1.0 1.5 2.0 3.0 3.2 -> cut points 1.3333 and 2.3333: B moves to the middle
    low, high = "low μ̂ (≤ 1.33)", "high μ̂ (> 2.33)"
    assert al.attrs["sizes"] == {low: 1, mid: 2, high: 2, "all": 5}
    assert _cells(al)["Mark"] == {low: "0 (0%)", mid: "2 (100%)", high: "1 (50%)", "all": "3 (60%)"}


def test_themes_long_form_and_errors(engine, hand):
    with store.session_scope(engine) as s:
        df = themes_display(s, hand)
        with pytest.raises(MixedError, match="grouping"):
            themes_display(s, hand, grouping="quartile")
        with pytest.raises(MixedError, match="base"):
            themes_display(s, hand, grouping="tercile", base="some")
        with pytest.raises(MixedError, match="cut-off"):
            themes_display(s, hand, c=0)
    long = themes_long(df)
    assert set(long["display_type"]) == {"statistics-by-themes"}
    assert len(long) == 4 * 3  # four themes x (two groups + all)
    mark = long[(long.row_key == "breadth:Mark") & (long.column == "deviant (|r| > 2)")].iloc[0]
    assert mark.value == 2
    assert mark.provenance.startswith("2 of N = 2 units with coded evidence (100%)")
    assert "deviant iff |r| > 2" in mark.provenance and "poisson" in mark.provenance
    with pytest.raises(MixedError, match="statistics-by-themes"):
        themes_long(pd.DataFrame({"theme": []}))


def test_themes_on_dyads_of_a_real_fit(engine):
    """Connection logit on 190 dyads: the typical dyad carries Social needs, the deviant one Mark."""
    with store.session_scope(engine) as s:
        proj = build(s)
    # Pearson residuals recomputed outside Tandem: statsmodels' logit on the same dyads, (y - p) / sqrt(p(1 - p))
    import statsmodels.formula.api as smf

    data = proj.data.assign(connection=lambda d: d["connection"].astype(float))
    p_hat = smf.logit("connection ~ log_gravity + same_province", data).fit(disp=0).predict(data)
    pearson = (data["connection"] - p_hat) / np.sqrt(p_hat * (1 - p_hat))
    r = dict(zip(zip(data["city_a"], data["city_b"]), pearson))
    assert abs(r[proj.deviant_dyad]) > 2 and abs(r[proj.typical_dyad]) <= 2  # the seeded data has both kinds
    with store.session_scope(engine) as s:
        df = themes_display(s, proj.result, grouping="case_type", c=2.0)
        out = themes_display(s, proj.result, grouping="outcome")
    assert df.attrs["n_units"] == 2 and df.attrs["level"] == "dyad"  # city-linked codings do not count
    t, d = "typical (|r| ≤ 2)", "deviant (|r| > 2)"
    cells = _cells(df)
    assert cells["Social needs"][t] == "1 (100%)"  # the one typical dyad carries Social needs
    assert cells["Mark"][d] == "1 (100%)" and cells["Mark"][t].startswith("0")  # the one deviant dyad, Mark
    assert set(cells) == {"Social needs", "Mark"}  # the subcode's coding is city-linked only
    y = dict(zip(zip(data["city_a"], data["city_b"]), data["connection"]))  # the simulated input, not the fit's
    yes, no = "collaborating (y = 1)", "not collaborating (y = 0)"
    n_yes = int(y[proj.typical_dyad] == 1) + int(y[proj.deviant_dyad] == 1)
    assert out.attrs["sizes"] == {yes: n_yes, no: 2 - n_yes, "all": 2}
