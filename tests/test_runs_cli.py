"""Runs through the command line, each command in its own process (a run must survive a restart):
`fit --save`, `runs` (list with status, --show, --compare, --rename, --delete, --restore,
--deleted, --refit), on SQLite and PostgreSQL. Estimates are checked against statsmodels on the
raw tables built by hand (tests/quant_small_project.py), not against Tandem itself."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats
from sqlalchemy import text

import coding
import store
from quant_small_project import build, with_operators

# every command in its own process (a run must survive a restart): 20–60 s per test on a shared machine;
# CI runs them
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
FORMULA = "connection ~ log_distance + sum(log_pop)"


def cli(*args, ok=True):
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    if ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def one_sentence(proc) -> str:
    assert proc.returncode == 1 and proc.stdout == "", (proc.stdout, proc.stderr)
    err = proc.stderr
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


def by_hand_logit(cities, dyads):
    frame = with_operators(cities, dyads)
    X = sm.add_constant(frame[["log_distance", "sum_log_pop"]])
    return sm.Logit(frame["connection"], X).fit(disp=0)


@pytest.fixture
def project(project_url):
    engine = store.connect(project_url)
    cities, dyads = build(engine)
    engine.dispose()
    return project_url, cities, dyads


def execute(url, sql, **params):
    engine = store.connect(url)
    try:
        with engine.begin() as con:
            con.execute(text(sql), params)
    finally:
        engine.dispose()


def status(url, name):
    listed = json.loads(cli("runs", "--project", url, "--json").stdout)
    return next(r for r in listed if r["name"] == name)


def test_a_run_survives_a_restart_and_says_when_its_data_changed(project):
    url, cities, dyads = project
    fit = json.loads(cli("fit", "--project", url, "--dimension", "connection", "--formula", FORMULA,
                         "--save", "c1", "--json").stdout)
    assert fit["run"]["name"] == "c1" and len(fit["run"]["fingerprint"]) == 64
    shown = json.loads(cli("runs", "--project", url, "--show", "c1", "--json").stdout)  # a new process
    stored = shown["result"]
    assert stored["terms"] == fit["terms"]
    for term in fit["terms"]:  # exactly, not approximately: nothing is refitted
        assert stored["params"][term] == fit["params"][term]
    assert stored["cov"] == fit["cov"] and set(stored["cov"]) == {"model", "hc0", "dyadic"}
    assert shown["run"]["fingerprint"] == fit["run"]["fingerprint"]
    assert shown["run"]["created_by"] == "researcher" and shown["status"]["stale"] is False
    # the values themselves: statsmodels on the hand-built table
    ref = by_hand_logit(cities, dyads)
    names = {"Intercept": "const", "log_distance": "log_distance", "sum_log_pop": "sum_log_pop"}
    for term, col in names.items():
        assert stored["params"][term]["estimate"] == pytest.approx(ref.params[col], rel=1e-6)
        assert stored["params"][term]["se"]["model"] == pytest.approx(ref.bse[col], rel=1e-4)

    # an unrelated change (a memo) and a change to a column the formula does not use: still current
    engine = store.connect(url)
    with store.session_scope(engine) as s:
        coding.add_memo(s, "project", None, "Guangzhou interviews look different", author="researcher")
    engine.dispose()
    execute(url, "UPDATE dyad_attributes SET value = 1 - value WHERE name = 'shared_border'")
    listed = status(url, "c1")
    assert listed["stale"] is False and "describes the project's current data" in listed["status"]

    # one covariate value of one dyad changes: stale, with the sentence
    execute(url, "UPDATE dyad_attributes SET value = value + 0.5 WHERE name = 'log_distance' AND dyad_id = "
                 "(SELECT MIN(id) FROM dyads)")
    listed = status(url, "c1")
    assert listed["stale"] is True and "data changed since the run 'c1'" in listed["status"]
    assert "[STALE]" in cli("runs", "--project", url).stdout

    # refit as a new run: the new estimates are those of the changed data; c1 is kept as it was
    out = json.loads(cli("runs", "--project", url, "--refit", "c1", "--as", "c1 now", "--json").stdout)
    assert out["run"]["name"] == "c1 now"
    changed = dyads.copy()
    changed.loc[0, "log_distance"] += 0.5  # the row with the smallest dyad id (stored in this order)
    ref2 = by_hand_logit(cities, changed)
    now = json.loads(cli("runs", "--project", url, "--show", "c1 now", "--json").stdout)["result"]
    assert now["params"]["log_distance"]["estimate"] == pytest.approx(ref2.params["log_distance"], rel=1e-6)
    assert now["params"]["log_distance"]["estimate"] != pytest.approx(ref.params["log_distance"], rel=1e-6)
    again = json.loads(cli("runs", "--project", url, "--show", "c1", "--json").stdout)
    assert again["result"]["params"] == fit["params"] and again["status"]["stale"] is True


def test_compare_reports_each_run_under_its_own_se_type(project):
    url, _, _ = project
    cli("fit", "--project", url, "--formula", FORMULA, "--save", "full")
    cli("fit", "--project", url, "--formula", "connection ~ log_distance", "--se", "model", "hc0", "--pvalues", "t",
        "--save", "distance only")
    out = json.loads(cli("runs", "--project", url, "--compare", "full,distance only", "--json").stdout)
    assert out["runs"] == ["full", "distance only"]
    rows = out["rows"]
    assert [(r["run"], r["term"]) for r in rows] == [
        ("full", "Intercept"), ("full", "log_distance"), ("full", "sum_log_pop"),
        ("distance only", "Intercept"), ("distance only", "log_distance")]
    assert set(rows[0]) == {"run", "dimension", "model", "se_type", "term", "estimate", "se", "p", "ci_low",
                            "ci_high", "stars"}
    assert {r["se_type"] for r in rows[:3]} == {"dyadic"} and {r["se_type"] for r in rows[3:]} == {"model"}
    for r in rows:  # p from estimate and SE by hand: normal for "full", t with N - 1 = 29 df for the other
        z = abs(r["estimate"] / r["se"])
        p = 2 * stats.norm.sf(z) if r["run"] == "full" else 2 * stats.t.sf(z, df=29)
        assert r["p"] == pytest.approx(p, rel=1e-9)
        assert r["stars"] == ("***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else "")
    table = cli("runs", "--project", url, "--compare", "full,distance only").stdout
    dist = next(r for r in rows if r["run"] == "distance only" and r["term"] == "log_distance")
    assert f"{dist['estimate']:.3f} ({dist['se']:.3f}){dist['stars']}" in table
    line = next(ln for ln in table.splitlines() if ln.startswith("sum_log_pop"))
    assert line.rstrip().endswith("—")  # the smaller model has no such term
    assert "no run called 'nope'" in one_sentence(cli("runs", "--project", url, "--compare", "full,nope", ok=False))
    assert "two or more" in one_sentence(cli("runs", "--project", url, "--compare", "full", ok=False))


def test_rename_delete_restore_and_undo_round_trips(project):
    url, _, _ = project
    cli("fit", "--project", url, "--formula", FORMULA, "--save", "c1", "--coder", "li")
    assert "Renamed" in cli("runs", "--project", url, "--rename", "c1", "广州市–佛山市 全模型").stdout
    listed = json.loads(cli("runs", "--project", url, "--json").stdout)
    assert [r["name"] for r in listed] == ["广州市–佛山市 全模型"] and listed[0]["created_by"] == "li"
    err = one_sentence(cli("runs", "--project", url, "--show", "c1", ok=False))
    assert "no run called 'c1'" in err and "广州市–佛山市 全模型" in err  # the saved ones are listed
    cli("runs", "--project", url, "--delete", "广州市–佛山市 全模型")
    assert json.loads(cli("runs", "--project", url, "--json").stdout) == []
    deleted = json.loads(cli("runs", "--project", url, "--deleted", "--json").stdout)
    assert [d["name"] for d in deleted] == ["广州市–佛山市 全模型"]
    assert "was deleted" in one_sentence(cli("runs", "--project", url, "--show", "广州市–佛山市 全模型", ok=False))
    cli("runs", "--project", url, "--restore", "广州市–佛山市 全模型")
    assert [r["name"] for r in json.loads(cli("runs", "--project", url, "--json").stdout)] == ["广州市–佛山市 全模型"]

    engine = store.connect(url)  # the coder's undo walks the same changes back: restore, delete, rename
    try:
        for expect in ([], ["广州市–佛山市 全模型"], ["c1"]):
            with store.session_scope(engine) as s:
                assert coding.undo(s, "researcher") is not None
            names = [r["name"] for r in json.loads(cli("runs", "--project", url, "--json").stdout)]
            assert names == expect
    finally:
        engine.dispose()


def test_replace_keeps_the_old_run_restorable_by_undo(project):
    url, _, _ = project
    first = json.loads(cli("fit", "--project", url, "--formula", FORMULA, "--save", "c1", "--json").stdout)
    err = one_sentence(cli("fit", "--project", url, "--formula", "connection ~ log_distance", "--save", "c1",
                           ok=False))
    assert "already exists" in err
    second = json.loads(cli("fit", "--project", url, "--formula", "connection ~ log_distance", "--save", "c1",
                            "--replace-run", "--json").stdout)
    assert second["run"]["id"] != first["run"]["id"]
    assert json.loads(cli("runs", "--project", url, "--show", "c1", "--json").stdout)["run"]["formula"] == \
        "connection ~ log_distance"
    engine = store.connect(url)
    try:
        with store.session_scope(engine) as s:
            coding.undo(s, "researcher")
    finally:
        engine.dispose()
    back = json.loads(cli("runs", "--project", url, "--show", "c1", "--json").stdout)
    assert back["run"]["id"] == first["run"]["id"] and back["run"]["formula"] == FORMULA
    assert back["result"]["params"] == first["params"]
    assert "--replace-run goes with --save" in one_sentence(
        cli("fit", "--project", url, "--replace-run", ok=False))


def test_names_with_line_breaks_bidi_or_nothing_are_refused_and_nothing_is_saved(project):
    url, _, _ = project
    cli("fit", "--project", url, "--formula", FORMULA, "--save", "ok")
    for bad in ("two\nlines", "evil\u202etxt.exe", "   ", "x" * 201):
        assert "run name" in one_sentence(cli("fit", "--project", url, "--formula", FORMULA, "--save", bad, ok=False))
        assert "run name" in one_sentence(cli("runs", "--project", url, "--rename", "ok", bad, ok=False))
    assert [r["name"] for r in json.loads(cli("runs", "--project", url, "--json").stdout)] == ["ok"]


def test_a_spec_fit_saved_as_a_run_keeps_its_settings_and_refits_with_them(project):
    url, _, _ = project
    cli("fit", "--project", url, "--formula", FORMULA, "--se", "model", "dyadic", "--small-sample", "nodes",
        "--pvalues", "t", "--save-spec", "needs")
    fit = json.loads(cli("fit", "--project", url, "--spec", "needs", "--save", "from spec", "--json").stdout)
    shown = json.loads(cli("runs", "--project", url, "--show", "from spec", "--json").stdout)
    settings = shown["run"]["settings"]
    assert settings["spec"] == "needs" and settings["se"] == ["model", "dyadic"]
    assert settings["small_sample"] == "nodes" and settings["pvalues"] == "t"
    # refit in place (no data change): the same numbers, the N/(N-1) = 30/29 factor included
    cli("runs", "--project", url, "--refit", "from spec")
    again = json.loads(cli("runs", "--project", url, "--show", "from spec", "--json").stdout)["result"]
    for term in fit["terms"]:
        assert again["params"][term]["estimate"] == pytest.approx(fit["params"][term]["estimate"], rel=1e-9)
        assert again["params"][term]["se"]["dyadic"] == pytest.approx(fit["params"][term]["se"]["dyadic"], rel=1e-9)
    assert again["p_dist"] == "t" and set(again["cov"]) == {"model", "dyadic"}
    plain = json.loads(cli("fit", "--project", url, "--formula", FORMULA, "--se", "dyadic", "--json").stdout)
    ratio = np.array(fit["cov"]["dyadic"]) / np.array(plain["cov"]["dyadic"])
    np.testing.assert_allclose(ratio, 30 / 29, rtol=1e-9)
