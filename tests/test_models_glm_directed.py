"""Directed dyads through model_data/fit_prepared, the CLI and runs: PPML on a directed gravity table
equals statsmodels GLM(Poisson) and a brute-force dyadic double sum over rows sharing a node (both
orderings of a pair included, quant.md §1.5); the run keeps settings["directed"] and refits."""
from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import cli
import store
from quant_small_project import build


@pytest.fixture
def project(tmp_path):
    pytest.importorskip("quant.data.directed_load")
    from quant.data.directed_load import load_directed

    path = tmp_path / "small.sqlite"
    engine = store.connect(path)
    cities, _ = build(engine)
    rng = np.random.default_rng(21)
    codes = cities["code"].tolist()[:12]
    pop = dict(zip(cities["code"], cities["log_pop"]))
    rows = []
    for i, j in itertools.permutations(codes, 2):
        dist = rng.uniform(0.5, 3.0)
        mu = np.exp(0.3 + 0.5 * pop[i] + 0.2 * pop[j] - 0.4 * np.log(dist))
        rows.append({"from": i, "to": j, "flow": rng.gamma(1.5, mu / 1.5), "ldist": np.log(dist),
                     "pop_s": pop[i], "pop_r": pop[j]})
    raw = pd.DataFrame(rows)
    with store.session_scope(engine) as s:
        load_directed(s, raw, a="from", b="to", resolve=False)
    engine.dispose()
    return str(path), raw


def _brute(S, bread, a, b):
    n, k = S.shape
    B = np.zeros((k, k))
    for d in range(n):
        for e in range(n):
            if a[d] == a[e] or a[d] == b[e] or b[d] == a[e] or b[d] == b[e]:
                B += np.outer(S[d], S[e])
    return bread @ B @ bread


def test_directed_ppml_matches_statsmodels_and_brute_force(project, capsys):
    p, raw = project
    raw = raw.sort_values(["from", "to"]).reset_index(drop=True)
    assert cli.main(["fit", "--project", p, "--directed", "--model", "poisson", "--formula",
                     "flow ~ ldist + pop_s + pop_r", "--json", "--save", "directed ppml"]) == 0, capsys.readouterr().err
    out = json.loads(capsys.readouterr().out)
    X = sm.add_constant(raw[["ldist", "pop_s", "pop_r"]].to_numpy())
    ref = sm.GLM(raw["flow"].to_numpy(), X, family=sm.families.Poisson()).fit(tol=1e-14)
    est = np.array([out["params"][t]["estimate"] for t in out["terms"]])
    np.testing.assert_allclose(est, ref.params, atol=1e-8)
    mu = ref.fittedvalues
    S = X * (raw["flow"].to_numpy() - mu)[:, None]
    V = _brute(S, np.linalg.inv(X.T @ (X * mu[:, None])), raw["from"].to_numpy(), raw["to"].to_numpy())
    np.testing.assert_allclose(np.array(out["cov"]["dyadic"]), V, rtol=1e-10, atol=1e-14)
    assert out["meta"]["directed"] is True and out["meta"]["covariance"]["n_pairs"] == len(raw) // 2
    from quant.runs import saved as runs

    engine = store.connect(p)
    with store.session_scope(engine) as s:
        run = runs.load_run(s, "directed ppml")
        assert run.info.settings["directed"] is True
        assert runs.run_status(s, "directed ppml")["stale"] is False
        runs.refit_run(s, "directed ppml", new_name="again")
        again = runs.load_run(s, "again")
    engine.dispose()
    np.testing.assert_allclose(again.result.params.to_numpy(), est, atol=1e-10)
    assert again.info.settings["directed"] is True


def test_directed_breadth_is_refused(project, capsys):
    p, _ = project
    assert cli.main(["fit", "--project", p, "--directed", "--dimension", "breadth"]) == 1
    assert "directed pairs are dyads" in capsys.readouterr().err


def test_directed_specification_is_saved_and_fitted_as_saved(project, capsys):
    p, _ = project
    assert cli.main(["fit", "--project", p, "--directed", "--model", "poisson", "--formula", "flow ~ ldist",
                     "--min-events", "4", "--save-spec", "gravity", "--json"]) == 0, capsys.readouterr().err
    first = json.loads(capsys.readouterr().out)
    assert cli.main(["fit", "--project", p, "--spec", "gravity", "--json"]) == 0, capsys.readouterr().err
    again = json.loads(capsys.readouterr().out)
    assert again["meta"]["directed"] is True and again["meta"]["min_events"] == 4
    assert again["params"] == first["params"]
    assert cli.main(["fit", "--project", p, "--spec", "gravity", "--directed"]) == 1
    assert "--spec fits a saved specification as saved" in capsys.readouterr().err
