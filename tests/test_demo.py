"""The embedded demo project: facts, covariates, the simulation, the corpus, the build."""
from __future__ import annotations

import json
import sys
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

import store
from data.demo import build as demo_build
from data.demo.covariates import DYAD_COVARIATES, dyad_covariates
from data.demo.facts import STRATEGY_COLUMNS, load_borders, load_cities
from data.demo.qualitative import (
    CODINGS_CSV, DemoDataError, load_codings, load_documents, locate,
)
from data.demo.simulate import load_truth, simulate_outcomes

DEMO_DIR = Path(demo_build.__file__).resolve().parent

# Cities named in the tests (adcodes).
NANJING, HANGZHOU, CHANGZHOU, YANCHENG = "320100", "330100", "320400", "320900"
ZHANGZHOU, CHAOZHOU, WUHAN, CHANGSHA, ZHUZHOU = "350600", "445100", "420100", "430100", "430200"


@pytest.fixture(scope="module")
def tables():
    """(cities, dyads, simulated) of the demo at its seed."""
    return demo_build.demo_tables()


@pytest.fixture(scope="module")
def demo_path():
    """The demo project, built once per test session through ensure_demo into a temporary folder of
    its own (tests/demo_runs.py); these tests only read it."""
    from demo_runs import built_demo

    return built_demo()


@pytest.fixture(scope="module")
def demo_engine(demo_path):
    engine = store.connect(demo_path, create=False)
    yield engine
    engine.dispose()


def _dyad(frame: pd.DataFrame, a: str, b: str) -> pd.Series:
    a, b = min(a, b), max(a, b)
    rows = frame[(frame["city_a"] == a) & (frame["city_b"] == b)]
    assert len(rows) == 1
    return rows.iloc[0]


# --- facts ------------------------------------------------------------------------------------

def test_facts_cities_are_the_155_with_census_and_flags():
    cities = load_cities()
    assert len(cities) == 155 and cities["code"].is_unique
    assert cities["code"].str.fullmatch(r"\d{6}").all()
    assert (cities["pop_2020"] > 3e5).all() and cities["urban_share"].between(0.2, 1.0).all()
    assert cities["capital"].sum() == 15
    assert set(cities.loc[cities["capital"] == 1, "short_name"]) == {
        "南京", "杭州", "合肥", "福州", "南昌", "济南", "郑州", "武汉", "长沙", "广州", "南宁", "宁波", "厦门", "青岛", "深圳"}
    members = {col: set(cities.loc[cities[col] == 1, "short_name"]) for col in STRATEGY_COLUMNS}
    assert len(members["yrd"]) == 40
    assert members["gba"] == {"广州", "深圳", "珠海", "佛山", "惠州", "东莞", "中山", "江门", "肇庆"}
    assert members["wuhan_circle"] == {"武汉", "黄石", "鄂州", "黄冈", "孝感", "咸宁"}
    assert members["cztan"] == {"长沙", "株洲", "湘潭"}
    assert (cities["in_strategy"] == cities[list(STRATEGY_COLUMNS)].max(axis=1)).all()
    imputed = cities.loc[cities["urban_share_imputed"] == 1, "short_name"].tolist()
    assert imputed == ["周口"]
    assert np.allclose(cities["log_pop"], np.log(cities["pop_2020"] / 1e6))


def test_committed_cities_are_the_sources_facts(shared):
    """The committed city table against the two real inputs read here with pandas alone: names,
    province and coordinates from cities_southeast.csv; 2020 population, household size and the
    urban share (urban / total population, by hand) from the 2020 census table, for every city the
    census has (周口, the one without an urban figure, is imputed and flagged)."""
    committed = pd.read_csv(DEMO_DIR / "cities.csv", dtype={"code": str}).set_index("code")
    source = pd.read_csv(shared("cities", "cities_southeast.csv"), dtype={"adcode": str}).set_index("adcode")
    assert set(committed.index) == set(source.index) and len(committed) == 155
    src = source.loc[committed.index]
    assert (committed["name"] == src["name_zh"]).all() and (committed["short_name"] == src["name_short_zh"]).all()
    assert (committed["province"] == src["province_zh"]).all()
    assert np.allclose(committed["lat"], src["lat"]) and np.allclose(committed["lon"], src["lon"])
    census = pd.read_csv(shared("cities", "census2020_city_southeast.csv"), dtype={"city_code": str}).set_index("city_code")
    both = committed.index.intersection(census.index)
    assert len(both) >= 150
    assert (committed.loc[both, "pop_2020"] == census.loc[both, "popu_2020"]).all()
    assert np.allclose(committed.loc[both, "household_2020"], census.loc[both, "household_2020"], equal_nan=True)
    known = [c for c in both if committed.loc[c, "urban_share_imputed"] == 0]
    share = census.loc[known, "popu_urban_2020"] / census.loc[known, "popu_2020"]
    assert np.allclose(committed.loc[known, "urban_share"], share, atol=5e-7)


def test_make_facts_reproduces_the_committed_tables(shared):
    from data.demo import make_facts

    root = shared("cities", "cities_southeast.csv").parent.parent
    fresh = make_facts.make_cities(root)
    committed = pd.read_csv(DEMO_DIR / "cities.csv", dtype={"code": str})
    pd.testing.assert_frame_equal(fresh.reset_index(drop=True), committed, check_dtype=False)
    borders = make_facts.make_borders(root)
    pd.testing.assert_frame_equal(borders, load_borders())


def test_make_facts_urban_share_matches_census(shared):
    census = pd.read_csv(shared("cities", "census2020_city_southeast.csv"), dtype={"city_code": str})
    cities = load_cities().set_index("code")
    row = census.set_index("city_code").loc[NANJING]
    assert cities.loc[NANJING, "urban_share"] == pytest.approx(row["popu_urban_2020"] / row["popu_2020"], abs=1e-6)
    assert cities.loc[NANJING, "pop_2020"] == row["popu_2020"]


# --- covariates -------------------------------------------------------------------------------

def test_covariates_contract_names_and_values():
    cities = load_cities()
    dyads = dyad_covariates(cities, load_borders())
    assert len(dyads) == 11935
    assert list(dyads.columns) == ["city_a", "city_b", *DYAD_COVARIATES]
    assert (dyads["city_a"] < dyads["city_b"]).all()
    assert not dyads[list(DYAD_COVARIATES)].isna().any().any()
    nj_hz = _dyad(dyads, NANJING, HANGZHOU)
    assert 200 < nj_hz["distance_km"] < 280
    pop = cities.set_index("code")["pop_2020"] / 1e6
    expected = np.log(pop[NANJING] * pop[HANGZHOU] / (nj_hz["distance_km"] / 100) ** 2)
    assert nj_hz["log_gravity"] == pytest.approx(expected)
    assert nj_hz["same_strategy"] == 1 and nj_hz["capital_any"] == 1 and nj_hz["same_province"] == 0
    zz_cz = _dyad(dyads, ZHANGZHOU, CHAOZHOU)  # both in the West Taiwan Straits zone, neighbours
    assert zz_cz["same_strategy"] == 1 and zz_cz["shared_border"] == 1 and zz_cz["capital_any"] == 0
    assert _dyad(dyads, WUHAN, CHANGSHA)["same_strategy"] == 0
    share = cities.set_index("code")["urban_share"]
    assert zz_cz["urban_share_min"] == pytest.approx(min(share[ZHANGZHOU], share[CHAOZHOU]))
    assert dyads["shared_border"].sum() == len(load_borders())


def test_covariates_reject_duplicate_coordinates():
    cities = load_cities().head(3).copy()
    cities.loc[1, ["lat", "lon"]] = cities.loc[0, ["lat", "lon"]].to_numpy()
    with pytest.raises(ValueError, match="same coordinates"):
        dyad_covariates(cities)


# --- simulation -------------------------------------------------------------------------------

def test_simulate_is_reproducible_with_the_seed(tables):
    _, dyads, sim = tables
    again = simulate_outcomes(dyads[["city_a", "city_b", *DYAD_COVARIATES]])
    pd.testing.assert_frame_equal(sim.dyads, again.dyads)
    other = simulate_outcomes(dyads[["city_a", "city_b", *DYAD_COVARIATES]], seed=sim.seed + 1)
    assert not other.dyads["connection"].equals(sim.dyads["connection"])


def test_simulate_outcomes_are_consistent_and_realistic(tables):
    cities, dyads, _ = tables
    density = dyads["connection"].mean()
    assert 0.03 <= density <= 0.06
    assert ((dyads["degree"] >= 1) == (dyads["connection"] == 1)).all()
    assert (dyads.loc[dyads["connection"] == 0, "degree"] == 0).all()
    assert cities["breadth"].sum() == 2 * dyads["connection"].sum()
    partners = Counter(dyads.loc[dyads["connection"] == 1, "city_a"]) + Counter(
        dyads.loc[dyads["connection"] == 1, "city_b"])
    assert all(cities.set_index("code")["breadth"].get(c) == n for c, n in partners.items())
    # The designed gradients show in the raw data (regional and organizational needs).
    by_strategy = dyads.groupby("same_strategy")["connection"].mean()
    assert by_strategy[1.0] > 3 * by_strategy[0.0]
    pos = dyads[dyads["connection"] == 1]
    assert pos.loc[pos["capital_any"] == 1, "degree"].mean() > 1.5 * pos.loc[pos["capital_any"] == 0, "degree"].mean()


@pytest.mark.parametrize("change, message", [
    (lambda d: d.iloc[::-1], "sorted"),
    (lambda d: pd.concat([d.iloc[:1], d.iloc[:1]]), "twice"),
    (lambda d: d.drop(columns=["log_gravity"]), "log_gravity"),
    (lambda d: d.assign(city_b=d["city_a"]), "city_a < city_b"),
])
def test_simulate_rejects_bad_dyad_tables(tables, change, message):
    _, dyads, _ = tables
    with pytest.raises(ValueError, match=message):
        simulate_outcomes(change(dyads.head(50)))


def _md_table(section: str) -> dict[str, float]:
    rows = re.findall(r"^\| ([\w, ]+?) \| (−?[0-9.]+) \|", section, flags=re.M)
    out = {}
    for terms, value in rows:
        for term in terms.split(", "):
            out[term] = float(value.replace("−", "-"))
    return out


def test_simulate_truth_file_matches_simulation_md():
    truth = load_truth()
    text = (DEMO_DIR / "SIMULATION.md").read_text(encoding="utf-8")
    connection = text[text.index("Connection (log-odds"):text.index("Degree (log-mean")]
    degree = text[text.index("Degree (log-mean"):text.index("Breadth has no coefficients")]
    assert _md_table(connection) == truth["connection"]["coefficients"]
    assert _md_table(degree) == truth["degree"]["coefficients"]
    assert f"σ = {truth['connection']['node_shock_sd']:g}" in connection
    assert f"α = {truth['degree']['alpha']:g}" in degree
    assert f"seed {truth['seed']}" in text
    # Degree depends only on organizational needs (capital_any) and an intercept.
    assert {k for k, v in truth["degree"]["coefficients"].items() if v} == {"Intercept", "capital_any"}


# --- corpus and codings (files) ---------------------------------------------------------------

def test_qualitative_documents_are_labelled_and_sized():
    docs = load_documents()
    assert len(docs) >= 7
    langs = Counter(d.language for d in docs)
    assert langs["zh"] >= 5 and langs["en"] >= 2
    assert sum(d.language == "zh" and d.kind == "interview" for d in docs) >= 3
    assert sum(d.language == "zh" and d.kind == "field note" for d in docs) >= 2
    for d in docs:
        assert 600 <= len(d.text) <= 2500, d.file
        assert d.attributes["illustrative"] is True and "Tandem team" in d.attributes["note"]
        first_line = d.text.splitlines()[0]
        assert "示例材料" in first_line or "illustrative" in first_line
        assert "\n\n" in d.text  # speaker turns / paragraphs separated by blank lines


def test_qualitative_codings_meet_the_brief():
    items = load_codings()
    texts = {d.file: d.text for d in load_documents()}
    assert len(items) >= 45
    codes = Counter(i.code for i in items)
    assert codes["Mark"] >= 5 and codes["Hole"] >= 5
    assert len(codes) == 11
    assert sum(len(i.dyads) for i in items) >= 15 and sum(len(i.cities) for i in items) >= 10
    spans: dict[str, list[tuple[int, int]]] = {}
    for i in items:
        start, end = locate(texts[i.document], i.quote, i.occurrence, document=i.document)
        assert texts[i.document][start:end] == i.quote
        spans.setdefault(i.document, []).append((start, end))
    overlapping = sum(
        1 for doc in spans.values() for k, (s1, e1) in enumerate(doc) for s2, e2 in doc[k + 1:]
        if s1 < e2 and s2 < e1)
    assert overlapping >= 3
    assert any(i.occurrence > 1 for i in items)


def test_qualitative_locate_counts_occurrences_and_refuses_to_guess():
    text = "甲乙丙甲乙丙"
    assert locate(text, "甲乙", 1) == (0, 2)
    assert locate(text, "甲乙", 2) == (3, 5)
    with pytest.raises(DemoDataError, match="fewer than 3"):
        locate(text, "甲乙", 3)
    with pytest.raises(DemoDataError, match="fewer than 1"):
        locate(text, "丁", document="x.txt")


def test_qualitative_codings_reject_unknown_codes_and_self_pairs(tmp_path):
    header = CODINGS_CSV.read_text(encoding="utf-8").splitlines()[0]
    bad_code = tmp_path / "c1.csv"
    bad_code.write_text(header + "\nx.txt,quote,1,Mystery,A,,,\n", encoding="utf-8")
    with pytest.raises(DemoDataError, match="unknown code 'Mystery'"):
        load_codings(bad_code)
    self_pair = tmp_path / "c2.csv"
    self_pair.write_text(header + "\nx.txt,quote,1,Mark,A,,,320400-320400\n", encoding="utf-8")
    with pytest.raises(DemoDataError, match="two cities"):
        load_codings(self_pair)


# --- the built project ------------------------------------------------------------------------

def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_build_demo_writes_everything(demo_engine, tables):
    cities, dyads, _ = tables
    with store.session_scope(demo_engine) as s:
        assert _count(s, store.City) == 155
        assert _count(s, store.Dyad) == 11935
        info = {r.key: r.value for r in s.scalars(select(store.ProjectInfo))}
        assert info["name"] == demo_build.PROJECT_NAME
        assert "SIMULATED" in info["simulated_outcomes"]
        assert info["simulation"]["seed"] == load_truth()["seed"]
        docs = s.scalars(select(store.Document)).all()
        assert len(docs) >= 7
        assert Counter(d.language for d in docs)["en"] >= 1 and Counter(d.language for d in docs)["zh"] >= 2
        assert all(d.illustrative == 1 and d.attributes["illustrative"] is True for d in docs)
        assert _count(s, store.Segment) > 0 and _count(s, store.PlaceMention) > 0
        by_code = Counter(s.scalars(select(store.Code.name).join(store.Coding, store.Coding.code_id == store.Code.id)))
        assert sum(by_code.values()) >= 45 and by_code["Mark"] >= 5 and by_code["Hole"] >= 5
        text = {d.id: d.text for d in docs}
        for c in s.scalars(select(store.Coding)):
            assert c.quote == text[c.document_id][c.start:c.end]
        n_city = s.scalar(select(func.count()).select_from(store.CodingLink).where(store.CodingLink.city_code.is_not(None)))
        n_dyad = s.scalar(select(func.count()).select_from(store.CodingLink).where(store.CodingLink.dyad_id.is_not(None)))
        assert n_city >= 10 and n_dyad >= 15
        assert _count(s, store.Memo) >= 2
        # Stored outcomes equal the simulation at the seed (a round trip through the store; the
        # independent checks of what is stored are in test_build_demo_stores_consistent_facts).
        stored = dict(s.execute(
            select(store.Dyad.city_a + "-" + store.Dyad.city_b, store.DyadAttribute.value)
            .join(store.DyadAttribute, store.DyadAttribute.dyad_id == store.Dyad.id)
            .where(store.DyadAttribute.name == "connection")).all())
        assert len(stored) == 11935
        expected = dict(zip(dyads["city_a"] + "-" + dyads["city_b"], dyads["connection"]))
        assert stored == {k: float(v) for k, v in expected.items()}
        breadth = dict(s.execute(select(store.CityAttribute.city_code, store.CityAttribute.value)
                                 .where(store.CityAttribute.name == "breadth")).all())
        assert breadth == {c: float(b) for c, b in zip(cities["code"], cities["breadth"])}


def test_build_demo_stores_consistent_facts(demo_engine):
    """What the built project holds, read back with SQL and pandas alone and checked against values
    computed here: every pair of the 155 committed cities once; distance_km by the spherical law of
    cosines (R = 6371.0088 km; the library uses the haversine form); log_gravity = ln(P_a·P_b / (D/100)²)
    from the committed 2020 populations; each city's breadth = its number of stored connected pairs;
    degree ≥ 1 exactly on connected pairs; a density in the designed 3–6 %."""
    from itertools import combinations

    committed = pd.read_csv(DEMO_DIR / "cities.csv", dtype={"code": str}).set_index("code")
    with demo_engine.connect() as conn:
        dyads = pd.read_sql("SELECT id, city_a, city_b FROM dyads", conn).set_index("id")
        attrs = pd.read_sql("SELECT dyad_id, name, value FROM dyad_attributes", conn)
        city = pd.read_sql("SELECT city_code, value FROM city_attributes WHERE name = 'breadth'", conn)
    wide = attrs.pivot(index="dyad_id", columns="name", values="value")
    d = dyads.join(wide, how="left")
    pairs = {tuple(sorted(p)) for p in combinations(committed.index, 2)}
    assert len(d) == len(pairs) == 155 * 154 // 2
    assert set(zip(d["city_a"], d["city_b"])) == pairs
    lat = np.radians(committed["lat"])
    lon = np.radians(committed["lon"])
    la, lb = lat.reindex(d["city_a"]).to_numpy(), lat.reindex(d["city_b"]).to_numpy()
    oa, ob = lon.reindex(d["city_a"]).to_numpy(), lon.reindex(d["city_b"]).to_numpy()
    cos_angle = np.sin(la) * np.sin(lb) + np.cos(la) * np.cos(lb) * np.cos(oa - ob)
    km = 6371.0088 * np.arccos(np.clip(cos_angle, -1.0, 1.0))
    np.testing.assert_allclose(d["distance_km"].to_numpy(), km, rtol=1e-6)
    pop = committed["pop_2020"] / 1e6
    gravity = np.log(pop.reindex(d["city_a"]).to_numpy() * pop.reindex(d["city_b"]).to_numpy() / (km / 100) ** 2)
    np.testing.assert_allclose(d["log_gravity"].to_numpy(), gravity, rtol=1e-6, atol=1e-9)
    assert set(d["connection"].unique()) == {0.0, 1.0}
    assert ((d["degree"] >= 1) == (d["connection"] == 1)).all()
    assert 0.03 <= d["connection"].mean() <= 0.06
    ties = d[d["connection"] == 1]
    partners = pd.concat([ties["city_a"], ties["city_b"]]).value_counts()
    stored_breadth = city.set_index("city_code")["value"]
    assert len(stored_breadth) == 155
    assert (stored_breadth == partners.reindex(stored_breadth.index, fill_value=0).astype(float)).all()


def test_build_demo_links_ties_and_non_ties(demo_engine, tables):
    _, dyads, _ = tables
    with store.session_scope(demo_engine) as s:
        linked = s.execute(
            select(store.Dyad.city_a, store.Dyad.city_b)
            .join(store.CodingLink, store.CodingLink.dyad_id == store.Dyad.id)).all()
    states = {int(_dyad(dyads, a, b)["connection"]) for a, b in set(linked)}
    assert states == {0, 1}


def test_build_demo_refuses_a_non_empty_project(engine):
    with store.session_scope(engine) as s:
        s.add(store.ProjectInfo(key="name", value="mine"))
    with pytest.raises(demo_build.DemoBuildError, match="not empty"):
        demo_build.build_demo(engine)
    with store.session_scope(engine) as s:
        assert _count(s, store.ProjectInfo) == 1 and _count(s, store.City) == 0


@pytest.mark.slow  # two demo builds that fail at their last step (a file, an engine): CI runs it
def test_build_demo_leaves_nothing_when_a_quote_is_missing(tmp_path, monkeypatch):
    items = load_codings()
    broken = [*items[:-1], items[-1].__class__(**{**items[-1].__dict__, "quote": "a sentence nobody wrote"})]
    monkeypatch.setattr(demo_build, "load_codings", lambda: broken)
    path = tmp_path / "broken.sqlite"
    with pytest.raises(DemoDataError, match="nobody wrote"):
        demo_build.build_demo(path)
    assert not path.exists()
    engine = store.connect(tmp_path / "kept.sqlite")
    with pytest.raises(DemoDataError):
        demo_build.build_demo(engine)
    with store.session_scope(engine) as s:
        assert _count(s, store.City) == 0 and _count(s, store.Document) == 0 and _count(s, store.ProjectInfo) == 0
    engine.dispose()


def test_ensure_demo_builds_once_into_place(demo_path):
    stamp = demo_path.stat().st_mtime_ns
    assert demo_build.ensure_demo(demo_path) == demo_path
    assert demo_path.stat().st_mtime_ns == stamp
    leftovers = [p.name for p in demo_path.parent.iterdir() if p.name.startswith(".demo.sqlite.")]
    assert leftovers == []  # the temporary build file was renamed, not left behind


def test_default_demo_path_honours_tandem_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TANDEM_HOME", str(tmp_path / "home"))
    assert demo_build.default_demo_path() == tmp_path / "home" / "demo.sqlite"
    monkeypatch.delenv("TANDEM_HOME")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert demo_build.default_demo_path() == tmp_path / "xdg" / "tandem" / "demo.sqlite"


def test_truth_json_is_valid_json():
    truth = json.loads((DEMO_DIR / "truth.json").read_text(encoding="utf-8"))
    assert "SIMULATED" in truth["label"]


# --- truth recovery (through quant.models.dispatch) ----------------------------------------------------

@pytest.mark.parametrize("dimension", ["connection", "degree"])
def test_truth_recovery_inside_dyadic_ci(tables, dimension):
    from quant.models.dispatch import fit_connection, fit_degree

    _, dyads, _ = tables
    truth = load_truth()[dimension]
    fitter = fit_connection if dimension == "connection" else fit_degree
    result = fitter(dyads, truth["formula"], n_nodes=155, se=("dyadic",))
    table = result.table("dyadic")
    expected = dict(truth["coefficients"])
    if dimension == "degree":
        expected["alpha"] = truth["alpha"]
    assert set(expected) <= set(table.index)
    outside = {t: (v, table.loc[t, "ci_low"], table.loc[t, "ci_high"]) for t, v in expected.items()
               if not table.loc[t, "ci_low"] <= v <= table.loc[t, "ci_high"]}
    assert outside == {}
    # Not trivially wide: the intervals exclude 0 for the terms that matter.
    for term, value in expected.items():
        if value and term != "Intercept":
            assert table.loc[term, "ci_low"] > 0 or table.loc[term, "ci_high"] < 0, term


def test_ensure_demo_leaves_nothing_when_the_build_fails(tmp_path, monkeypatch):
    def broken(target):
        Path(target).write_bytes(b"half a project")
        raise RuntimeError("interrupted")

    monkeypatch.setattr(demo_build, "_build_in_place", broken)
    with pytest.raises(RuntimeError, match="interrupted"):
        demo_build.ensure_demo(tmp_path / "demo.sqlite")
    assert list(tmp_path.iterdir()) == []
