"""`cli.py cases` and `cli.py worklist` in a subprocess, on a small project with saved runs."""
from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import store
from case_views_project import build

ROOT = Path(__file__).resolve().parent.parent


def _cli(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "cli.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert "Traceback" not in done.stderr, done.stderr
    if ok:
        assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    path = tmp_path_factory.mktemp("cases_cli") / "p.sqlite"
    engine = store.connect(str(path), create=True)
    try:
        build(engine)
        with store.session_scope(engine) as s:
            from quant.runs import saved as runs

            units = runs.load_run(s, "conn").units
    finally:
        engine.dispose()
    return path, units


def test_cases_json_lists_deviant_dyads_by_name(project):
    path, units = project
    out = json.loads(_cli("cases", "--project", str(path), "--run", "conn", "--rule", "deviant", "--n", "all",
                          "--json").stdout)
    expect = units[units["pearson"].abs() > 2.0].assign(a=lambda d: d["pearson"].abs())
    expect = expect.sort_values("a", ascending=False)
    assert out["run"]["name"] == "conn" and out["rule"] == "deviant" and out["parameters"]["c"] == 2.0
    assert [(c["city_a"], c["city_b"]) for c in out["cases"]] == list(zip(expect["city_a"], expect["city_b"]))
    first = out["cases"][0]
    assert set(first) >= {"rank", "case", "level", "unit_key", "case_type", "observed", "predicted", "residual",
                          "n_passages", "no_evidence", "on_worklist", "quotes"}
    a, b = first["city_a"], first["city_b"]
    assert first["case"] == f"城{int(a) - 100:02d}市–城{int(b) - 100:02d}市"
    assert first["residual"] == pytest.approx(float(expect["pearson"].iloc[0]))


def test_cases_text_with_dimension_and_quotes(project):
    path, _ = project
    out = _cli("cases", "--project", str(path), "--dimension", "breadth", "--rule", "typical", "--threshold",
               "1000000", "--n", "all").stdout
    assert "typical cases of run “breadth”: 30 listed" in out
    quote = "“答：我们和邻市签了协议，两地人口流动很大。”"
    assert f"{quote} (访谈：测试（示例）, ¶ 2)" in out


def test_cases_errors_are_one_sentence(project):
    path, _ = project
    done = _cli("cases", "--project", str(path), "--rule", "deviant", ok=False)
    assert done.returncode == 1 and "--run NAME" in done.stderr
    done = _cli("cases", "--project", str(path), "--run", "conn", "--rule", "extreme_x", "--variable", "zzz",
                ok=False)
    assert done.returncode == 1 and "zzz" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_worklist_add_memo_export_remove(project, tmp_path):
    from docx import Document

    path, units = project
    p = str(path)
    out = _cli("worklist", "--project", p, "--add-run", "conn", "--add", "城00市–城01市", "城03市|104").stdout
    assert "Added 城00市–城01市 to the worklist." in out and "Added 城03市–城04市 to the worklist." in out
    target = tmp_path / "work.docx"
    done = _cli("worklist", "--project", p, "--add-run", "conn", "--add", "101|100", "--memo", "城00市–城01市",
                "先问：协议落实了吗？", "--export", str(target), "--json").stdout
    listed = json.loads(done)
    assert "城00市–城01市 is already on the worklist." in listed["messages"]
    assert [c["case"] for c in listed["cases"]] == ["城00市–城01市", "城03市–城04市"]
    first = listed["cases"][0]
    u = units[(units["city_a"] == "100") & (units["city_b"] == "101")].iloc[0]
    assert first["city_a"] == "100" and first["memo"] == "先问：协议落实了吗？" and first["run"] == "conn"
    assert first["residual"] == pytest.approx(float(u["pearson"])) and first["observed"] == float(u["y"])
    tie = u["y"] == 1
    if abs(u["pearson"]) > 2:
        expect = "deviant tie (unexpected collaboration)" if tie else "deviant non-tie (missing expected collaboration)"
    else:
        expect = "typical tie" if tie else "typical non-tie"
    assert first["case_type"] == expect
    assert first["n_passages"] == 2 and len(first["quotes"]) == 2
    body = "\n".join(par.text for par in Document(io.BytesIO(target.read_bytes())).paragraphs)
    assert "先问：协议落实了吗？" in body and "两地人口流动很大" in body
    refused = _cli("worklist", "--project", p, "--remove", "城03市–城04市", "--export", str(target), ok=False)
    assert refused.returncode == 1 and "--force" in refused.stderr
    listed = json.loads(_cli("worklist", "--project", p, "--remove", "城03市–城04市", "--json").stdout)
    assert [c["case"] for c in listed["cases"]] == ["城00市–城01市"]
    bad = _cli("worklist", "--project", p, "--add-run", "conn", "--add", "火星市", ok=False)
    assert bad.returncode == 1 and "火星市" in bad.stderr


def test_cases_flags_a_stale_run(project, tmp_path):
    """One city's log_pop changes after the runs were fitted: text and JSON say the run is stale."""
    import sqlite3

    from sqlalchemy import select

    path, _ = project
    changed = tmp_path / "changed.sqlite"
    src, dst = sqlite3.connect(path), sqlite3.connect(changed)
    try:
        src.backup(dst)  # a consistent copy, with what is still in the WAL
    finally:
        src.close()
        dst.close()
    args = ("cases", "--project", str(path), "--run", "breadth", "--rule", "deviant", "--n", "3")
    current = json.loads(_cli(*args, "--json").stdout)["run"]
    assert current["stale"] is False and current["status"] == "The run 'breadth' describes the project's current data."
    assert "Note:" not in _cli(*args).stdout
    engine = store.connect(str(changed), create=False)
    try:
        with store.session_scope(engine) as s:
            attr = s.scalars(select(store.CityAttribute).where(store.CityAttribute.name == "log_pop")
                             .order_by(store.CityAttribute.city_code)).first()
            attr.value = float(attr.value) + 0.5
    finally:
        engine.dispose()
    args = ("cases", "--project", str(changed), "--run", "breadth", "--rule", "deviant", "--n", "3")
    stale = json.loads(_cli(*args, "--json").stdout)["run"]
    assert stale["stale"] is True
    assert stale["status"].startswith("The data changed since the run 'breadth' was fitted")
    assert _cli(*args).stdout.startswith("Note: The data changed since the run 'breadth' was fitted")
