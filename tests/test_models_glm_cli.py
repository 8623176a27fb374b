"""``fit --model`` for every outcome type, the min-events floor, Firth through the dispatcher and
runs that keep offset/min-events settings. References: statsmodels, scipy and plain loops."""
from __future__ import annotations

import json

import numpy as np
import pytest
import statsmodels.api as sm

import cli
import store
from quant.data import project as qdata
from quant_small_project import build


def _err(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.fixture
def project(tmp_path):
    path = tmp_path / "small.sqlite"
    engine = store.connect(path)
    cities, dyads = build(engine)
    rng = np.random.default_rng(11)
    n = len(dyads)
    extra = dyads[["city_a", "city_b"]].assign(
        flow=rng.gamma(2.0, np.exp(0.2 + 0.3 * dyads["shared_border"]) / 2.0),
        expo=rng.uniform(0.5, 2.0, n),
        score=rng.normal(size=n) + dyads["log_distance"],
        six=(np.isin(np.arange(n), [5, 40, 99, 150, 260, 400])).astype(float))
    with store.session_scope(engine) as s:
        qdata.save_dyads(s, extra)
    engine.dispose()
    frame = dyads.merge(extra, on=["city_a", "city_b"])
    return str(path), frame


def _fit(p, capsys, *args):
    assert cli.main(["fit", "--project", p, *args, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def _est(out):
    return np.array([out["params"][t]["estimate"] for t in out["terms"]])


def test_cli_fits_ppml_with_exposure_gaussian_and_nb_on_all_dyads(project, capsys):
    p, frame = project
    X = sm.add_constant(frame[["log_distance", "shared_border"]].to_numpy())
    out = _fit(p, capsys, "--model", "poisson", "--formula", "flow ~ log_distance + shared_border",
               "--exposure", "expo")
    ref = sm.GLM(frame["flow"].to_numpy(), X, family=sm.families.Poisson(),
                 exposure=frame["expo"].to_numpy()).fit(tol=1e-14)
    np.testing.assert_allclose(_est(out), ref.params, atol=1e-8)
    assert out["model"] == "poisson" and out["se_type"] == "dyadic" and "log(exposure)" in out["meta"]["offset"]
    out = _fit(p, capsys, "--model", "gaussian", "--formula", "score ~ log_distance + shared_border",
               "--se", "model", "hc1", "dyadic")
    ols = sm.OLS(frame["score"].to_numpy(), X).fit()
    np.testing.assert_allclose(_est(out), ols.params, atol=1e-10)
    np.testing.assert_allclose([out["params"][t]["se"]["hc1"] for t in out["terms"]],
                               ols.get_robustcov_results("HC1").bse, rtol=1e-10)
    out = _fit(p, capsys, "--dimension", "degree", "--model", "nb", "--formula", "degree ~ shared_border")
    assert out["n"] == len(frame) and "alpha" in out["terms"]  # zeros included


def test_cli_model_outcome_mismatch_is_one_sentence(project, capsys):
    p, _ = project
    assert cli.main(["fit", "--project", p, "--dimension", "degree", "--model", "logit"]) == 1
    assert "'degree' is a count, which logit does not fit; choose poisson, nb, ztnb, nb_pos, hurdle" in _err(capsys)
    assert cli.main(["fit", "--project", p, "--model", "poisson", "--formula", "score ~ log_distance"]) == 1
    assert "'score' is continuous" in _err(capsys)
    assert cli.main(["fit", "--project", p, "--dimension", "breadth", "--model", "ztnb"]) == 1
    assert "fitted on dyads, not cities" in _err(capsys)
    assert cli.main(["fit", "--project", p, "--dimension", "breadth", "--model", "poisson", "--se", "dyadic"]) == 1
    assert "a city-level model has no pairs" in _err(capsys)
    assert cli.main(["fit", "--project", p, "--model", "logit", "--formula", "connection ~ log_distance",
                     "--se", "hc1"]) == 1
    assert "maximum-likelihood models do not have" in _err(capsys)


def test_cli_min_events_lowered_fits_six_events_with_warning(project, capsys):
    p, frame = project
    assert cli.main(["fit", "--project", p, "--formula", "six ~ log_distance"]) == 1
    assert "only 6 ones" in _err(capsys)
    out = _fit(p, capsys, "--formula", "six ~ log_distance", "--min-events", "5")
    ref = sm.Logit(frame["six"].to_numpy(), sm.add_constant(frame["log_distance"].to_numpy())).fit(disp=0)
    np.testing.assert_allclose(_est(out), ref.params, atol=1e-6)
    assert any("only 6 events" in w and "--model firth" in w for w in out["warnings"])


def test_cli_run_keeps_exposure_and_min_events_and_refits(project, capsys):
    p, _ = project
    out = _fit(p, capsys, "--model", "poisson", "--formula", "flow ~ shared_border", "--exposure", "expo",
               "--min-events", "3", "--save", "ppml")
    from quant.runs import saved as runs

    engine = store.connect(p)
    with store.session_scope(engine) as s:
        run = runs.load_run(s, "ppml")
        assert run.info.settings["exposure"] == "expo" and run.info.settings["min_events"] == 3
        assert runs.run_status(s, "ppml")["stale"] is False
        runs.refit_run(s, "ppml", new_name="ppml again")
        again = runs.load_run(s, "ppml again")
    engine.dispose()
    np.testing.assert_allclose(again.result.params.to_numpy(), _est(out), atol=1e-10)


def _firth_reference(y, X):
    """Firth (1993) by direct maximisation of l(b) + 1/2 log|X'WX| with scipy (no Tandem code)."""
    from scipy.optimize import minimize

    def neg(b):
        eta = X @ b
        p = 1 / (1 + np.exp(-eta))
        ll = np.sum(y * eta - np.logaddexp(0, eta))
        return -(ll + 0.5 * np.linalg.slogdet(X.T @ (X * (p * (1 - p))[:, None]))[1])

    b = minimize(neg, np.zeros(X.shape[1]), method="BFGS", options={"gtol": 1e-10}).x
    return minimize(neg, b, method="Nelder-Mead", options={"xatol": 1e-12, "fatol": 1e-14, "maxiter": 20000}).x


def test_firth_through_fit_glm_matches_direct_maximisation_and_brute_dyadic():
    pytest.importorskip("quant.models.firth")
    from quant.models.glm import fit_glm
    from test_models_glm import _brute_dyadic, _dyads

    df = _dyads(n_nodes=12, seed=9)
    df["rare"] = 0.0
    df.loc[[2, 9, 30, 47, 60], "rare"] = 1.0
    res = fit_glm(df, "rare ~ x1", family="firth", unit="dyad", min_events=3)
    X = sm.add_constant(df["x1"].to_numpy())
    y = df["rare"].to_numpy()
    b = _firth_reference(y, X)
    np.testing.assert_allclose(res.params.to_numpy(), b, atol=1e-5)
    p = 1 / (1 + np.exp(-(X @ res.params.to_numpy())))
    W = p * (1 - p)
    info = X.T @ (X * W[:, None])
    h = np.einsum("ij,jk,ik->i", X * np.sqrt(W)[:, None], np.linalg.inv(info), X * np.sqrt(W)[:, None])
    S = X * (y - p + h * (0.5 - p))[:, None]
    V = _brute_dyadic(S, np.linalg.inv(info), df["city_a"].to_numpy(), df["city_b"].to_numpy())
    np.testing.assert_allclose(res.cov["dyadic"], V, rtol=1e-6, atol=1e-12)
    prof = res.meta["profile_ci"]
    assert set(prof) == {"Intercept", "x1"} and prof["x1"][0] < res.params["x1"] < prof["x1"][1]
    assert any("only 5 events" in w for w in res.warnings)
    assert "profile CI" in res.summary_text()


def test_cli_firth_prints_profile_ci_beside_wald(project, capsys):
    pytest.importorskip("quant.models.firth")
    p, _ = project
    out = _fit(p, capsys, "--model", "firth", "--formula", "six ~ log_distance", "--min-events", "5")
    assert out["model"] == "firth" and set(out["profile_ci"]) == set(out["terms"])
    assert cli.main(["fit", "--project", p, "--model", "firth", "--formula", "six ~ log_distance",
                     "--min-events", "5"]) == 0
    text = capsys.readouterr().out
    assert "[95% profile CI]" in text and "Heinze & Schemper 2002" in text
