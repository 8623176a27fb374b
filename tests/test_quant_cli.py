"""`cli.py cities`/`dyads`/`fit` for any units, with every fit option, and diagnostics printed as
one sentence. The Florentine families go through the command line end to end and reproduce the
published ERGM (= logit) estimates (quant.md §5)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cli
import store
from quant.data import project as qdata
from quant_small_project import build

ROOT = Path(__file__).resolve().parent.parent
FLO_COEF = [-2.5949290317864602, 0.010545912833824604]
FLO_SE = [0.53605603993959339, 0.0046742550755461409]
FLO_LLF = -51.554286195409944


def _err_sentence(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.fixture
def small_project(tmp_path):
    path = tmp_path / "small.sqlite"
    engine = store.connect(path)
    build(engine)
    engine.dispose()
    return str(path)


def test_florentine_families_end_to_end_through_the_cli(shared, tmp_path, capsys):
    dyads = shared("validation", "florentine_dyads.csv")
    frame = pd.read_csv(dyads)
    families = sorted(set(frame["i"]) | set(frame["j"]))
    nodes = tmp_path / "families.csv"
    nodes.write_text("family\n" + "\n".join(families) + "\n", encoding="utf-8")  # ids only
    project = str(tmp_path / "flo.sqlite")
    assert cli.main(["new", "--project", project]) == 0
    assert cli.main(["cities", "--project", project, "--id", "family", str(nodes)]) == 0
    assert "Loaded 16 cities" in capsys.readouterr().out
    assert cli.main(["dyads", "--project", project, "--a", "i", "--b", "j", "--ids", "raw", str(dyads)]) == 0
    assert "Loaded 120 dyads" in capsys.readouterr().out
    proc = subprocess.run([sys.executable, str(ROOT / "cli.py"), "fit", "--project", project, "--dimension",
                           "connection", "--formula", "tie ~ w_sum", "--json"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    est = [out["params"][t]["estimate"] for t in ("Intercept", "w_sum")]
    np.testing.assert_allclose(est, FLO_COEF, rtol=1e-6)
    np.testing.assert_allclose([out["params"][t]["se"]["model"] for t in ("Intercept", "w_sum")], FLO_SE, rtol=1e-5)
    assert abs(out["llf"] - FLO_LLF) < 1e-5
    assert out["n"] == 120 and out["n_nodes"] == 16 and out["meta"]["outcome"] == "tie"
    assert set(out["params"]["w_sum"]["se"]) == {"model", "hc0", "dyadic"}
    assert out["covariance_settings"]["n_nodes"] == 16 and out["covariance_settings"]["small_sample"] == "none"
    with store.session_scope(store.connect(project)) as s:
        names = qdata.city_frame(s).set_index("code")["name"]
    assert names["Pucci"] == "Pucci"  # ids used as names
    # the node table again keeps the names (no overwrite with ids)
    assert cli.main(["cities", "--project", project, "--id", "family", str(nodes)]) == 0


def test_fit_options_json_and_saved_specs(small_project, capsys):
    p = small_project
    assert cli.main(["fit", "--project", p, "--formula", "connection ~ sum(log_pop) + same(province)",
                     "--se", "dyadic", "hc0", "--small-sample", "nodes", "--pvalues", "t", "--ame", "--vif",
                     "--standardized", "--influence", "2", "--save-spec", "small", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["p_dist"] == "t" and out["df"] == 29 and out["saved_spec"] == "small"
    assert set(out["params"]["sum_log_pop"]["se"]) == {"dyadic", "hc0"}
    assert out["covariance_settings"]["small_sample"] == "nodes"
    assert "N/(N-1) correction" in out["se_labels"]["dyadic"]
    assert [r["term"] for r in out["ame"]["table"]] == ["sum_log_pop", "same_province"]
    assert out["ame"]["table"][1]["kind"] == "0->1"
    assert {r["term"] for r in out["vif"]} == {"sum_log_pop", "same_province"}
    assert len(out["influence"]["top"]) == 10 and out["influence"]["top"][0]["rank"] == 1
    assert cli.main(["fit", "--project", p, "--spec", "small", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["params"] == out["params"]
    assert cli.main(["fit", "--project", p, "--formula", "connection ~ sum(log_pop)", "--compare", "small"]) == 0
    text = capsys.readouterr().out
    assert "likelihood ratio chi2(1)" in text and "Wald F(1, 29)" in text
    assert cli.main(["fit", "--project", p, "--dimension", "degree", "--model", "hurdle", "--formula",
                     "degree ~ shared_border", "--zero-formula", "~ sum(log_pop) + log_distance", "--json"]) == 0
    h = json.loads(capsys.readouterr().out)
    assert h["model"] == "hurdle" and "zero:sum_log_pop" in h["params"] and "count:alpha" in h["params"]
    assert cli.main(["fit", "--project", p, "--spec", "small", "--formula", "connection ~ log_distance"]) == 1
    assert "--spec fits a saved specification" in _err_sentence(capsys)


@pytest.mark.parametrize("args,words", [
    (["--formula", "connection ~ no_such_variable"], "no_such_variable"),
    (["--formula", "connection ~ log_pop"], "city attribute"),
    (["--formula", "flat ~ log_distance"], "'flat' is constant"),
    (["--formula", "connection ~ inf_x"], "infinite values"),
    (["--formula", "connection ~ sep"], "separation of 'connection' by 'sep'"),
    (["--formula", "rare ~ log_distance"], "only 3 ones"),
    (["--formula", "connection ~ sum(log_pop) + min(log_pop) + max(log_pop)"], "exactly collinear"),
    (["--formula", "connection ~ log_distance + const"], "'const' is constant"),
    (["--dimension", "degree", "--model", "logit"], "a count, which logit does not fit; choose poisson, nb"),
    (["--spec", "nope"], "No saved specification is named 'nope'"),
])
def test_fit_diagnostics_are_one_sentence(small_project, capsys, args, words):
    engine = store.connect(small_project)
    with store.session_scope(engine) as s:
        frame = qdata.dyad_frame(s)
        n = len(frame)
        qdata.save_dyads(s, frame[["city_a", "city_b"]].assign(
            flat=1.0, inf_x=np.where(np.arange(n) == 4, np.inf, 0.0) + frame["log_distance"], const=2.0,
            sep=frame["connection"] * 2 + (frame["log_distance"] > 0), rare=(np.arange(n) < 3).astype(float)))
    engine.dispose()
    assert cli.main(["fit", "--project", small_project, *args]) == 1
    assert words in _err_sentence(capsys)


def test_missing_values_are_reported_per_variable(small_project, capsys):
    engine = store.connect(small_project)
    with store.session_scope(engine) as s:
        frame = qdata.dyad_frame(s)
        qdata.save_dyads(s, frame[["city_a", "city_b"]].assign(
            gappy=np.where(np.arange(len(frame)) < 5, np.nan, frame["log_distance"])))
    engine.dispose()
    assert cli.main(["fit", "--project", small_project, "--formula", "connection ~ gappy"]) == 0
    out = capsys.readouterr().out
    assert "warning: 5 of 435 rows dropped for missing values (gappy: 5" in out
    assert "n = 430" in out


def test_dyads_naming_a_city_missing_from_the_node_table_is_one_sentence(tmp_path, capsys):
    project = str(tmp_path / "p.sqlite")
    assert cli.main(["new", "--project", project]) == 0
    nodes = tmp_path / "nodes.csv"
    nodes.write_text("county\nA\nB\nC\n", encoding="utf-8")
    assert cli.main(["cities", "--project", project, "--id", "county", str(nodes)]) == 0
    dyads = tmp_path / "dyads.csv"
    dyads.write_text("x,y,tie\nA,B,1\nB,Z,0\n", encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["dyads", "--project", project, "--a", "x", "--b", "y", "--ids", "raw", str(dyads)]) == 1
    assert "not in the project: Z" in _err_sentence(capsys)
