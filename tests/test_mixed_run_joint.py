"""mixed.run_joint on the demo: Mark's passages across each run's case groups equal counts made
independently (SQL over codings and links, numpy |pearson| > c split); term rows agree with
mixed.joint.joint_display; unmapped codes get a hint; opening a saved run takes under 1 s; the CLI."""
from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text

import store
from coding.codes.dimensions import set_dimension_map
from demo_runs import RUN_NAMES, build_demo_with_runs
from mixed.joint import joint_display
from mixed.run_joint import NOT_LINKED, UNMAPPED_HINT, run_joint
from quant.runs import saved as runs

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("run_joint") / "demo.sqlite"
    engine = build_demo_with_runs(path)
    yield engine, path
    engine.dispose()


def _independent_counts(s, run, code_name: str, c: float) -> dict:
    """Per facet value, the number of the code's passages with at least one unit of the run in it."""
    codings = [r[0] for r in s.execute(text(
        "SELECT k.id FROM codings k JOIN codes c ON c.id = k.code_id WHERE c.name = :n"), {"n": code_name})]
    links = defaultdict(lambda: {"cities": set(), "pairs": set()})
    for cid, city, a, b in s.execute(text(
            "SELECT l.coding_id, l.city_code, d.city_a, d.city_b FROM coding_links l "
            "LEFT JOIN dyads d ON d.id = l.dyad_id")):
        if city is not None:
            links[cid]["cities"].add(str(city))
        if a is not None:
            links[cid]["pairs"].add(frozenset((str(a), str(b))))
    u = run.result.units.reset_index(drop=True)
    r = u["pearson"].to_numpy(float)
    y, mu = u["y"].to_numpy(float), u["fitted"].to_numpy(float)
    fit = np.where(np.abs(r) > c, "deviant", "typical")
    direction = np.where(y < mu, "over-predicted", "under-predicted")
    tie = np.where(y > 0, "tie", "non-tie")
    if "city" in u:
        keys = [str(x) for x in u["city"]]
    else:
        keys = [frozenset((str(a), str(b))) for a, b in zip(u["city_a"], u["city_b"])]
    pos = {k: i for i, k in enumerate(keys)}
    counts = defaultdict(int)
    n_not = 0
    for cid in codings:
        if "city" in u:
            hit = {pos[x] for x in links[cid]["cities"] if x in pos}
            hit |= {pos[x] for p in links[cid]["pairs"] for x in p if x in pos}
        else:
            hit = {pos[p] for p in links[cid]["pairs"] if p in pos}
        if not hit:
            n_not += 1
        for arr in (fit, direction) + (() if "city" in u else (tie,)):
            for v in {arr[i] for i in hit}:
                counts[v] += 1
    return {"n": len(codings), "not_linked": n_not, "counts": dict(counts)}


@pytest.mark.parametrize("dim", list(RUN_NAMES))
@pytest.mark.parametrize("c", [2.0, 0.5])
def test_mark_across_case_groups_matches_independent_count(demo, dim, c):
    engine, _ = demo
    with store.session_scope(engine) as s:
        run = runs.load_run(s, RUN_NAMES[dim])
        j = run_joint(s, run, c=c)
        want = _independent_counts(s, run, "Mark", c)
    mark = [x for x in j.codes if x["code"] == "Mark"]
    assert len(mark) == 1, f"Mark missing from the {dim} joint display"
    mark = mark[0]
    assert mark["n_passages"] == want["n"] == 10
    assert mark["n_not_linked"] == want["not_linked"]
    assert mark["n_linked"] == want["n"] - want["not_linked"]
    got = {v: n for f in ("fit_group", "direction", "tie") for v, n in mark["counts"][f].items() if n}
    assert got == want["counts"]
    assert sum(mark["counts"]["fit_group"].values()) >= mark["n_linked"] > 0
    # every quote of a group is a Mark passage linked to a unit of that group
    for group, quotes in mark["quotes"].items():
        assert all(q["code"] == "Mark" for q in quotes)
        if group != NOT_LINKED:
            assert len(quotes) <= 5 and (not quotes or mark["counts"]["group"][group] > 0)
    if c == 0.5 and dim != "degree":  # degree: Mark is linked to too few collaborating pairs
        assert mark["counts"]["fit_group"]["deviant"] > 0  # the split is exercised, not all typical
    sizes = j.group_sizes["fit_group"]
    assert sizes["deviant"] == int((np.abs(run.result.units["pearson"].to_numpy()) > c).sum())


def test_terms_agree_with_joint_display(demo):
    engine, _ = demo
    with store.session_scope(engine) as s:
        for name in RUN_NAMES.values():
            run = runs.load_run(s, name)
            j = run_joint(s, run, max_quotes=3)
            ref = joint_display(s, run.result, max_quotes=3)
            assert [t["term"] for t in j.terms] == list(ref["term"])
            for t, r in zip(j.terms, ref.to_dict("records")):
                assert t["codes"] == r["codes"] and t["n_passages"] == r["n_passages"]
                assert [q["coding_id"] for q in t["quotes"]] == [q["coding_id"] for q in r["quotes"]]
                assert t["estimate"] == pytest.approx(r["estimate"]) and t["p"] == pytest.approx(r["p"])
            assert any(t["codes"] == ["Social needs"] and t["n_passages"] == 9 for t in j.terms)


def test_unmapped_codes_listed_with_a_hint(demo):
    engine, _ = demo
    with store.session_scope(engine) as s:
        j = run_joint(s, runs.load_run(s, RUN_NAMES["breadth"]))
        assert [(u["code"], u["n_passages"]) for u in j.unmapped] == [("Connection", 8), ("Degree", 10)]
        assert all(u["hint"] == UNMAPPED_HINT for u in j.unmapped)
        mark_id = s.execute(text("SELECT id FROM codes WHERE name = 'Mark'")).scalar_one()
        set_dimension_map(s, mark_id, ["degree"], coder="tester")
        j = run_joint(s, runs.load_run(s, RUN_NAMES["breadth"]))
        assert "Mark" in [u["code"] for u in j.unmapped] and "Mark" not in [c["code"] for c in j.codes]
        s.rollback()  # leave the shared demo as built


def test_to_dict_is_json_with_stable_keys(demo):
    engine, _ = demo
    with store.session_scope(engine) as s:
        d = run_joint(s, runs.load_run(s, RUN_NAMES["degree"])).to_dict()
    json.dumps(d, ensure_ascii=False, allow_nan=False)
    assert list(d) == ["run", "c", "level", "se_type", "se_label", "alpha", "group_sizes", "terms", "codes",
                       "unmapped", "not_linked", "groupings"]
    assert d["not_linked"]["label"] == NOT_LINKED and d["level"] == "dyad"


@pytest.mark.slow  # a CLI round trip, each command in its own process (~3 s of start-up each): CI runs it
def test_cli_joint_json_and_errors(demo):
    engine, path = demo
    cmd = [sys.executable, str(ROOT / "cli.py"), "joint", "--project", str(path), "--run", RUN_NAMES["breadth"]]
    proc = subprocess.run(cmd + ["--json", "--c", "1.5"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    with store.session_scope(engine) as s:
        want = _independent_counts(s, runs.load_run(s, RUN_NAMES["breadth"]), "Mark", 1.5)
    mark = next(c for c in out["codes"] if c["code"] == "Mark")
    assert {v: n for f in ("fit_group", "direction") for v, n in mark["counts"][f].items() if n} == want["counts"]
    assert out["run"]["name"] == "广度 1" and out["c"] == 1.5 and out["status"]["stale"] is False
    text_out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert text_out.returncode == 0 and "Mark: 10 passage(s)" in text_out.stdout
    assert "map it to a term or to this dimension" in text_out.stdout
    bad = subprocess.run(cmd[:-1] + ["no such run"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert bad.returncode != 0 and bad.stderr.startswith("error: There is no run called") and "Traceback" not in bad.stderr


def test_joint_page_on_the_demo_shows_mark_and_the_decoupling(demo, monkeypatch):
    from streamlit.testing.v1 import AppTest

    engine, path = demo
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    monkeypatch.setenv("TANDEM_CODER", "tester")
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=120)
    at.run()
    at.switch_page("ui/joint.py")
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.exception] + [e.value for e in at.error]
    assert at.selectbox(key="joint_run_connection").value == RUN_NAMES["connection"]
    assert any(m.value.startswith("**Mark** · 10 passage(s)") for m in at.markdown)
    with store.session_scope(engine) as s:
        run = runs.load_run(s, RUN_NAMES["connection"])
        want = _independent_counts(s, run, "Mark", 2.0)
    mark_counts = [df.value for df in at.dataframe if "facet" in df.value.columns][0]  # Mark is the first code
    got = {g: int(n) for g, n in zip(mark_counts["group"], mark_counts["passages"]) if n}
    # logit: over-/under-predicted repeat non-tie/tie exactly, so the page shows only tie/non-tie
    direction = ("over-predicted", "under-predicted")
    assert [want["counts"].get(d, 0) for d in direction] == [want["counts"].get(t, 0) for t in ("non-tie", "tie")]
    assert got == {g: n for g, n in want["counts"].items() if g not in direction}
    assert set(mark_counts["facet"]) == {"fit", "tie"}
    table = next(df.value for df in at.dataframe if "degree: significant?" in df.value.columns)
    row = table[table["factor"] == "Organizational needs"].iloc[0]
    assert row["degree: significant?"] == "significant at 5%"
    with store.session_scope(engine) as s:
        est = runs.load_run(s, RUN_NAMES["degree"]).result.params["capital_any"]
    assert row[f"degree: {RUN_NAMES['degree']}"].startswith(f"{est:.3f}")


def test_only_informative_groupings_and_non_empty_groups_are_shown(demo):
    """Connection (logit): over-predicted iff y = 0 (0 < fitted < 1), so direction repeats tie and is
    not shown; degree (connected pairs only): no non-tie unit, so no tie grouping and no n = 0 group —
    in the library's ``groupings`` and in the report's codes-by-group columns."""
    from report.run_sections import mapped_section

    engine, _ = demo
    with store.session_scope(engine) as s:
        conn = runs.load_run(s, RUN_NAMES["connection"])
        u = conn.result.units
        y, mu = u["y"].to_numpy(float), u["fitted"].to_numpy(float)
        assert ((y < mu) == (y == 0)).all() and 0 < (y == 0).sum() < len(y)  # the two splits coincide here
        d = run_joint(s, conn).to_dict()
        assert d["groupings"] == ["fit_group", "tie"]
        cols = mapped_section(d, conn)["groups"]
        assert any(c.startswith("non-tie (n = ") for c in cols)
        assert not [c for c in cols if c.startswith(("over-predicted", "under-predicted"))]
        assert f"tie (n = {int((y > 0).sum()):,})" in cols

        deg = runs.load_run(s, RUN_NAMES["degree"])
        assert (deg.result.units["y"].to_numpy() > 0).all()  # every unit is a tie
        d = run_joint(s, deg).to_dict()
        assert "tie" not in d["groupings"] and d["groupings"][0] == "fit_group"
        cols = mapped_section(d, deg)["groups"]
        assert not [c for c in cols if "(n = 0)" in c] and not [c for c in cols if c.startswith("non-tie")]

        br = run_joint(s, runs.load_run(s, RUN_NAMES["breadth"]))  # counts: over/under differ from nothing
        assert br.groupings == ["fit_group", "direction"]
