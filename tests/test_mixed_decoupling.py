"""mixed.decoupling on the demo: every cell equals the estimate and normal-quantile CI computed here
from the stored parameters and covariance of each run; factors land on the terms of the default
variable map; the simulated truth decouples (degree driven by organizational needs alone); CLI."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from sqlalchemy import select, text

import store
from coding.codes.default import DEFAULT_VARIABLE_MAP
from demo_runs import RUN_NAMES, build_demo_with_runs
from mixed.decoupling import decoupling_long, decoupling_table, decoupling_text, load_decoupling_runs
from mixed.errors import MixedError
from quant.runs import saved as runs

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("decoupling") / "demo.sqlite"
    engine = build_demo_with_runs(path)
    yield engine, path
    engine.dispose()


def _stored(s, name):
    """Estimates, SEs (sqrt of the stored covariance diagonal), 95% normal CIs and p, by term."""
    row = s.execute(select(store.Run).where(store.Run.name == name)).scalar_one()
    res = row.result
    assert res["p_dist"] == "normal"
    cov = np.asarray(res["cov"][res["se_type"]], dtype=float)
    se = np.sqrt(np.diag(cov))
    q = stats.norm.ppf(0.975)
    out = {}
    for k, term in enumerate(res["terms"]):
        est = res["params"][term]["estimate"]
        z = est / se[k]
        out[term] = {"estimate": est, "ci_low": est - q * se[k], "ci_high": est + q * se[k],
                     "p": 2 * stats.norm.sf(abs(z))}
    return out


def test_cells_equal_stored_estimates_and_cis(demo):
    engine, _ = demo
    with store.session_scope(engine) as s:
        wide = decoupling_table(s)  # default: latest run of each dimension
        stored = {d: _stored(s, n) for d, n in RUN_NAMES.items()}
        n_coded = dict(s.execute(text("SELECT c.name, COUNT(*) FROM codings k JOIN codes c ON c.id = k.code_id "
                                      "GROUP BY c.name")).all())
    assert wide.attrs["runs"] == RUN_NAMES
    assert list(wide.index[:6]) == list(DEFAULT_VARIABLE_MAP)
    checked = 0
    for label, r in wide.iterrows():
        if r["kind"] == "factor":
            assert r["n_passages"] == n_coded.get(label, 0)
        for d in RUN_NAMES:
            term = r[f"{d} term"]
            if term is None:
                assert r[f"{d} significant"] == "not in the model" and math.isnan(r[f"{d} estimate"])
                continue
            if r["kind"] == "factor":
                assert term in DEFAULT_VARIABLE_MAP[label]
            want = stored[d][term]
            for col in ("estimate", "ci_low", "ci_high", "p"):
                assert r[f"{d} {col}"] == pytest.approx(want[col], rel=1e-9, abs=1e-12), (label, d, col)
            sig = want["p"] < 0.05
            assert r[f"{d} significant"] == ("significant at 5%" if sig else "not significant at 5%")
            assert (r[f"{d} mark"] != "") == sig
            checked += 1
    assert checked >= 16


def test_the_demo_decouples(demo):
    engine, _ = demo
    with store.session_scope(engine) as s:
        wide = decoupling_table(s)
        txt = decoupling_text(wide)

    def significant(d):
        return {str(i) for i, r in wide.iterrows() if r["kind"] == "factor" and r[f"{d} significant"] == "significant at 5%"}

    # domain.md: degree is driven by organizational needs only; breadth and connection by more
    assert significant("degree") == {"Organizational needs"}
    assert {"Social needs", "Organizational needs"} <= significant("breadth")
    assert {"Social needs", "Regional needs", "Organizational needs", "Financial supply"} <= significant("connection")
    assert "degree: significant at 5%: Organizational needs (SE: dyadic-robust" in txt


def test_long_form_and_bad_runs(demo):
    engine, _ = demo
    with store.session_scope(engine) as s:
        chosen = load_decoupling_runs(s, [RUN_NAMES["degree"], RUN_NAMES["breadth"]])
        assert list(chosen) == ["breadth", "degree"]
        long = decoupling_long(s, chosen, alpha=0.10)
        assert set(long["dimension"]) == {"breadth", "degree"}
        assert (long.groupby("row").size() == 2).all()
        assert long["significant"].str.contains("10%|not in the model").all()
        with pytest.raises(MixedError, match="named twice"):
            load_decoupling_runs(s, [RUN_NAMES["breadth"], RUN_NAMES["breadth"]])
        other = runs.fit_and_save(s, "breadth poisson", "breadth", model="poisson")[0]
        with pytest.raises(MixedError, match="both breadth runs"):
            load_decoupling_runs(s, [RUN_NAMES["breadth"], other.name])
        s.rollback()
        with pytest.raises(MixedError, match="cannot stand in"):
            decoupling_long(s, {"degree": chosen["breadth"]})


def test_cli_decoupling_json(demo):
    engine, path = demo
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "decoupling", "--project", str(path),
                           "--runs", ",".join(RUN_NAMES.values()), "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["runs"] == [{"name": n, "dimension": d, "stale": False,
                            "status": f"The run '{n}' describes the project's current data."}
                           for d, n in RUN_NAMES.items()]
    with store.session_scope(engine) as s:
        stored = {d: _stored(s, n) for d, n in RUN_NAMES.items()}
    cells = [c for c in out["cells"] if c["term"] is not None]
    assert cells
    for c in cells:
        assert c["estimate"] == pytest.approx(stored[c["dimension"]][c["term"]]["estimate"], rel=1e-12)
        assert c["ci_high"] == pytest.approx(stored[c["dimension"]][c["term"]]["ci_high"], rel=1e-9)


@pytest.mark.slow  # a CLI round trip, each command in its own process (~3 s of start-up each): CI runs it
def test_cli_decoupling_flags_a_stale_run(demo, tmp_path):
    """Change one city's urban share (a breadth covariate): text and JSON say the breadth run is stale."""
    import sqlite3

    _, path = demo
    changed = tmp_path / "changed.sqlite"
    src, dst = sqlite3.connect(path), sqlite3.connect(changed)
    try:
        src.backup(dst)  # a consistent copy, with what is still in the WAL
    finally:
        src.close()
        dst.close()
    engine = store.connect(changed, create=False)
    try:
        with store.session_scope(engine) as s:
            attr = s.scalars(select(store.CityAttribute).where(store.CityAttribute.name == "urban_share")
                             .order_by(store.CityAttribute.city_code)).first()
            attr.value = float(attr.value) + 0.25
    finally:
        engine.dispose()
    cmd = [sys.executable, str(ROOT / "cli.py"), "decoupling", "--project", str(changed)]
    text_out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert text_out.returncode == 0, text_out.stderr
    breadth = RUN_NAMES["breadth"]
    assert text_out.stdout.startswith(f"Note: The data changed since the run '{breadth}' was fitted")
    proc = subprocess.run(cmd + ["--json"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)["runs"]
    assert [(r["dimension"], r["name"]) for r in listed] == list(RUN_NAMES.items())
    assert listed[0]["stale"] is True and listed[0]["status"].startswith(
        f"The data changed since the run '{breadth}' was fitted")
    for r in listed:  # dyad runs may change too (urban_share_min); each flag matches its sentence
        assert r["stale"] == ("data changed" in r["status"])
        assert (f"Note: {r['status']}" in text_out.stdout) == r["stale"]
