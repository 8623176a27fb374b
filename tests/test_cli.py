"""The command line, end to end on the demo project and on real inputs."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo_project(tmp_path_factory):
    """A copy of the demo project (built once per session; `cli.py demo` itself is tested in
    test_cli_atomic.py and test_packaging.py)."""
    from demo_runs import demo_copy

    return demo_copy(tmp_path_factory.mktemp("cli") / "demo.sqlite")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True, cwd=ROOT)


def test_cli_new_then_refuses_existing(tmp_path, capsys):
    path = tmp_path / "p.sqlite"
    assert cli.main(["new", "--project", str(path)]) == 0
    assert path.exists()
    assert cli.main(["new", "--project", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "already exists" in err and err.count("\n") == 1


def test_cli_missing_project_is_one_sentence(tmp_path):
    proc = run("fit", "--project", str(tmp_path / "nope.sqlite"), "--dimension", "connection")
    assert proc.returncode == 1
    assert "does not exist" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_fit_json_has_every_se_type(demo_project, capsys):
    """Each SE type in the JSON is the right matrix, recomputed outside Tandem: statsmodels' Logit for
    the estimates, the model-based and the HC0 covariance; the dyadic-robust one as the explicit
    double sum over every two dyads that share a city (Fafchamps & Gubert 2007, eq. 5; sparse matrix
    of shared nodes, no node sums)."""
    import numpy as np
    import scipy.sparse as sp
    import statsmodels.api as sm

    import store
    from quant.data.project import dyad_frame

    assert cli.main(["fit", "--project", str(demo_project), "--dimension", "connection", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["n"] == 11935 and set(out["cov"]) == {"model", "hc0", "dyadic"}
    terms = out["terms"][1:]
    with store.session_scope(store.connect(demo_project)) as s:
        df = dyad_frame(s)
    X = sm.add_constant(df[terms].astype(float).to_numpy())
    y = df["connection"].astype(float).to_numpy()
    fit = sm.Logit(y, X).fit(disp=0, tol=1e-12, maxiter=100)
    params = np.array([out["params"][t]["estimate"] for t in out["terms"]])
    assert np.allclose(params, fit.params, rtol=1e-6, atol=1e-8)
    dyadic_se = np.array([out["params"][t]["se"]["dyadic"] for t in out["terms"]])
    assert np.allclose(dyadic_se ** 2, np.diag(out["cov"]["dyadic"]), rtol=1e-10)
    assert np.allclose(out["cov"]["model"], fit.cov_params(), rtol=1e-5)
    assert np.allclose(out["cov"]["hc0"], sm.Logit(y, X).fit(disp=0, tol=1e-12, cov_type="HC0").cov_params(), rtol=1e-5)
    p = fit.predict(X)
    scores = X * (y - p)[:, None]
    bread = np.linalg.inv(X.T @ (X * (p * (1 - p))[:, None]))
    nodes = {c: i for i, c in enumerate(sorted(set(df["city_a"]) | set(df["city_b"])))}
    rows = np.repeat(np.arange(len(df)), 2)
    cols = np.array([[nodes[a], nodes[b]] for a, b in zip(df["city_a"], df["city_b"])]).ravel()
    incidence = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(df), len(nodes)))
    shares = (incidence @ incidence.T) > 0  # dyads i, j with a city in common (i = j included)
    meat = scores.T @ (shares.astype(float) @ scores)
    assert np.allclose(out["cov"]["dyadic"], bread @ meat @ bread, rtol=1e-6)


def test_cli_fit_unknown_variable_is_clear(demo_project, capsys):
    code = cli.main(["fit", "--project", str(demo_project), "--dimension", "connection",
                     "--formula", "connection ~ no_such_variable"])
    assert code == 1
    assert "no_such_variable" in capsys.readouterr().err


def test_cli_import_real_policy_document_and_report(shared, tmp_path, capsys):
    doc = shared("policy_docs", "04_广东省优化营商环境条例_2022.txt")
    project = tmp_path / "p.sqlite"
    assert cli.main(["new", "--project", str(project)]) == 0
    assert cli.main(["import", "--project", str(project), "--kind", "policy", str(doc)]) == 0
    assert "zh" in capsys.readouterr().out
    # the same file again is a duplicate name: refused, nothing written
    assert cli.main(["import", "--project", str(project), "--kind", "policy", str(doc)]) == 1
    assert "error:" in capsys.readouterr().err


def test_cli_cities_and_agreements(shared, tmp_path, capsys):
    project = tmp_path / "p.sqlite"
    assert cli.main(["new", "--project", str(project)]) == 0
    assert cli.main(["cities", "--project", str(project), str(shared("cities", "cities_southeast.csv"))]) == 0
    assert "155 cities" in capsys.readouterr().out
    assert cli.main(["dyads", "--project", str(project), "--build", "--op", "absdiff:lat"]) == 0
    assert "Built 11,935 dyads" in capsys.readouterr().out
    events = shared("dyads", "tongban_agreement_events_from_news.csv")
    assert cli.main(["dyads", "--project", str(project), str(events)]) == 0
    out = capsys.readouterr().out
    assert "into 13 prefecture dyads" in out and "0 for the other 11,922 pairs" in out
    # loading it again would overwrite 'connection': refused, with the count
    assert cli.main(["dyads", "--project", str(project), str(events)]) == 1
    assert "already has 'connection' (11,935 dyads)" in capsys.readouterr().err
    # a model fits on the real agreement outcome with the built covariates (the fallback spec)
    assert cli.main(["fit", "--project", str(project), "--dimension", "connection", "--json"]) == 0
    fitted = json.loads(capsys.readouterr().out)
    assert fitted["n"] == 11935


def test_cli_report_html_escapes_and_cites(demo_project, tmp_path, capsys):
    """A document name with markup is escaped in the HTML draft (shown as text, never as a tag), and
    passages are cited with their paragraph."""
    import store

    hostile = '访谈<script>alert("x")</script>&<b>'
    with store.session_scope(store.connect(demo_project)) as s:
        doc = s.query(store.Document).order_by(store.Document.id).first()
        original, doc.name = doc.name, hostile
    try:
        out = tmp_path / "draft.html"
        assert cli.main(["report", "--project", str(demo_project), "--out", str(out), "--force"]) == 0
        html = out.read_text(encoding="utf-8")
    finally:
        with store.session_scope(store.connect(demo_project)) as s:
            s.query(store.Document).filter_by(name=hostile).one().name = original
    assert "SIMULATED" in html.upper()
    assert "¶" in html
    assert "<script>" not in html and "<b>" not in html
    assert "访谈&lt;script&gt;alert(" in html and "&amp;&lt;b&gt;" in html


def test_cli_report_docx_quotes_a_coded_passage(demo_project, tmp_path):
    import docx

    import coding
    import store

    out = tmp_path / "draft.docx"
    assert cli.main(["report", "--project", str(demo_project), "--out", str(out)]) == 0
    text = "\n".join(p.text for p in docx.Document(str(out)).paragraphs)
    engine = store.connect(demo_project)
    with store.session_scope(engine) as s:
        quotes = set(coding.retrieve(s)["quote"])
    engine.dispose()
    assert "SIMULATED" in text.upper()
    assert any(q in text for q in quotes)


def test_cli_report_refuses_unknown_extension(demo_project, tmp_path, capsys):
    assert cli.main(["report", "--project", str(demo_project), "--out", str(tmp_path / "draft.pdf")]) == 1
    assert ".docx" in capsys.readouterr().err
