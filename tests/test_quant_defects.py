"""Defects found in review (issue 11, part 4), each with a test that failed before its fix."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from quant.models import dispatch as models
from quant.covariance.dyadic import dyadic_vcov
from quant.inference.influence import city_influence
from tests.quant_small_project import tables


def test_exact_score_ignores_a_parameter_whose_se_is_undefined():
    """One NaN SE made every city's exact_score NaN (np.max instead of np.nanmax)."""
    _, dyads = tables()
    res = models.fit_connection(dyads, "connection ~ log_distance + shared_border", model="logit")
    se = res.se[res.se_type].copy()
    se["shared_border"] = np.nan
    broken = dataclasses.replace(res, se={**res.se, res.se_type: se})
    infl = city_influence(broken, dyads, n_exact=3)
    top = infl.table[infl.table["exact:log_distance"].notna()]
    assert len(top) == 3
    # by hand: only log_distance has a finite SE among the substantive terms
    expected = np.abs(top["exact:log_distance"]) / res.se[res.se_type]["log_distance"]
    np.testing.assert_allclose(top["exact_score"].to_numpy(), expected.to_numpy(), rtol=1e-12)


def _scores(n_rows: int, k: int, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n_rows, k))


def test_conservative_label_names_the_pair_meat_when_pairs_repeat():
    """With two rows per pair, Graham's conservative matrix is V + V_D (pair-clustered meat), not
    V + V_HC0; the label said HC0 and the matrix must equal the brute-force V_DR + V_D."""
    a = np.array([0, 0, 1, 1, 2, 2, 0, 0, 3, 3])
    b = np.array([1, 1, 2, 2, 3, 3, 2, 2, 1, 1])
    S = _scores(len(a), 2)
    Hinv = np.eye(2)
    out = dyadic_vcov(S, Hinv, a, b, conservative=True)
    assert "V + V_D" in out.description and "V_HC0" not in out.description
    # brute force (Fafchamps & Gubert 2007): every pair of rows sharing a node (a row with itself
    # and the rows of its own pair included), plus the pair-clustered meat added back
    share = (a[:, None] == a[None, :]) | (a[:, None] == b[None, :]) | (b[:, None] == a[None, :]) | (
        b[:, None] == b[None, :])
    pair = (np.minimum(a, b)[:, None] == np.minimum(a, b)[None, :]) & (
        np.maximum(a, b)[:, None] == np.maximum(a, b)[None, :])
    dr = sum(np.outer(S[i], S[j]) for i in range(len(a)) for j in range(len(a)) if share[i, j])
    vd = sum(np.outer(S[i], S[j]) for i in range(len(a)) for j in range(len(a)) if pair[i, j])
    np.testing.assert_allclose(out.cov, dr + vd, atol=1e-12)
    single = dyadic_vcov(S[::2], Hinv, a[::2], b[::2], conservative=True)
    assert "V + V_HC0" in single.description


def test_hurdle_clip_leaves_a_psd_part_alone():
    """--psd clip clipped the hurdle's joint matrix and moved the zero part's SEs although its
    block was PSD; now each part's block is clipped on its own, only when it needs it."""
    _, dyads = tables(1)  # this draw: zero block PSD, count block not, joint not PSD
    kw = dict(zero_formula="~ log_distance + shared_border")
    raw = models.fit_hurdle(dyads, "degree ~ shared_border + log_distance", **kw)
    clip = models.fit_hurdle(dyads, "degree ~ shared_border + log_distance", psd="clip", **kw)
    V = raw.cov["dyadic"]
    kz = 3
    assert np.linalg.eigvalsh(V[:kz, :kz]).min() > 0 > np.linalg.eigvalsh(V[kz:, kz:]).min()
    np.testing.assert_array_equal(clip.cov["dyadic"][:kz, :kz], V[:kz, :kz])
    np.testing.assert_array_equal(clip.cov["dyadic"][:kz, kz:], V[:kz, kz:])
    e, v = np.linalg.eigh(V[kz:, kz:])  # by hand: the count block with its negative eigenvalue set to 0
    np.testing.assert_allclose(clip.cov["dyadic"][kz:, kz:], (v * np.clip(e, 0, None)) @ v.T, atol=1e-15)
    assert "within each part's block" in clip.se_labels["dyadic"]


def test_dyad_table_text_columns_are_one_sentence_not_a_warning(tmp_path, recwarn):
    """A dyad CSV with a text column leaked a raw UserWarning; it is now one sentence in the
    load's warnings, and the numeric columns are stored."""
    import store
    from quant.data import project as qdata
    from quant.data.loading import load_dyads
    from tests.quant_small_project import build

    engine = store.connect(tmp_path / "p.sqlite", create=True)
    build(engine)
    raw = pd.DataFrame({"from": ["100", "101"], "to": ["102", "103"], "items": [3.0, 5.0],
                        "kind": ["health", "tax"]})
    with store.session_scope(engine) as s:
        out = load_dyads(s, raw, a="from", b="to", resolve=False)
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]
    assert len(out.warnings) == 1 and "kind" in out.warnings[0] and "0/1" in out.warnings[0]
    with store.session_scope(engine) as s:
        dy = qdata.dyad_frame(s)
    got = dy.set_index(["city_a", "city_b"])["items"]
    assert got[("100", "102")] == 3.0 and got[("101", "103")] == 5.0 and "kind" not in dy.columns
    engine.dispose()


def test_influence_minus_one_prints_the_node_jackknife(tmp_path, capsys):
    """`fit --influence -1` promised a jackknife and printed none; now text and JSON carry the
    node-jackknife SEs, equal to leave-one-city-out refits done here with statsmodels."""
    import json

    import statsmodels.api as sm

    import cli
    import store
    from tests.quant_small_project import build

    path = tmp_path / "p.sqlite"
    engine = store.connect(path, create=True)
    cities, dyads = build(engine)
    engine.dispose()
    args = ["fit", "--project", str(path), "--dimension", "connection", "--formula",
            "connection ~ log_distance", "--se", "model", "--influence", "-1"]
    assert cli.main(args + ["--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    jack = out["influence"]["jackknife"]
    codes = sorted(set(dyads["city_a"]) | set(dyads["city_b"]))
    est = []
    for c in codes:  # by hand: drop every dyad of city c and refit
        keep = dyads[(dyads["city_a"] != c) & (dyads["city_b"] != c)]
        X = sm.add_constant(keep[["log_distance"]])
        est.append(sm.Logit(keep["connection"], X).fit(disp=0, tol=1e-12).params.to_numpy())
    est = np.array(est)
    n = len(codes)
    cov = (n - 1) / n * (est - est.mean(0)).T @ (est - est.mean(0))
    np.testing.assert_allclose([jack["se"]["Intercept"], jack["se"]["log_distance"]], np.sqrt(np.diag(cov)),
                               rtol=1e-5)
    assert cli.main(args) == 0
    text = capsys.readouterr().out
    assert "Node-jackknife standard errors" in text and f"{jack['se']['log_distance']:.5g}" in text


def test_fit_save_with_an_empty_name_is_refused(tmp_path, capsys):
    """`fit --save ""` printed the table and saved nothing, silently."""
    import cli
    import store
    from tests.quant_small_project import build

    path = tmp_path / "p.sqlite"
    engine = store.connect(path, create=True)
    build(engine)
    engine.dispose()
    assert cli.main(["fit", "--project", str(path), "--dimension", "connection", "--formula",
                     "connection ~ log_distance", "--save", ""]) == 1
    assert "empty" in capsys.readouterr().err
