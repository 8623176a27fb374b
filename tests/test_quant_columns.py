"""Issue 11 part 5: the lean logit reads the table's own columns (no (n, k) copy), the Parquet
reader keeps only the model's columns, and a lean fit loads neither statsmodels nor scipy.

Reference values come from statsmodels ``Logit`` and patsy's ``dmatrices`` (other
implementations), not from the code under test.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import patsy
import pytest
import statsmodels.api as sm

from quant.models.design import build_design
from quant.models.design_columns import ColumnMatrix
from quant.models.diagnostics import check_covariates
from quant.errors import ModelError
from quant.models.logit_lean import fit_logit_newton
from quant.models.connection import fit_connection
from quant.models.separation import find_separation

ROOT = Path(__file__).resolve().parent.parent


def _dyads(n_nodes: int = 60, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    i, j = np.triu_indices(n_nodes, 1)
    pop = rng.normal(size=n_nodes)
    d = pd.DataFrame({
        "city_a": [f"c{v:03d}" for v in i], "city_b": [f"c{v:03d}" for v in j],
        "dist": rng.gamma(2.0, 1.0, len(i)),
        "same": rng.integers(0, 2, len(i)).astype(np.int8),
        "pop": pop[i] + pop[j],
    })
    eta = -1.0 - 0.6 * d["dist"] + 0.8 * d["same"] + 0.5 * d["pop"]
    d["tie"] = (rng.random(len(d)) < 1.0 / (1.0 + np.exp(-eta))).astype(np.int8)
    return d


def test_column_design_equals_patsy_matrix():
    d = _dyads()
    des = build_design(d, "tie ~ dist + same + pop", columns=True)
    assert isinstance(des.X, ColumnMatrix)
    assert des.all_rows and isinstance(des.row_index(), pd.RangeIndex)
    y, X = patsy.dmatrices("tie ~ dist + same + pop", d, return_type="dataframe")
    assert des.names == list(X.columns)
    np.testing.assert_array_equal(np.asarray(des.X), X.to_numpy())
    np.testing.assert_array_equal(des.y, y.to_numpy()[:, 0])
    # the float64 columns are the table's own memory, not copies
    assert np.shares_memory(des.X.columns[1], d["dist"].to_numpy())
    # slices and gathers agree with the matrix
    M = X.to_numpy()
    np.testing.assert_array_equal(des.X[10:20], M[10:20])
    np.testing.assert_array_equal(des.X[[3, 7, 900]], M[[3, 7, 900]])
    np.testing.assert_array_equal(des.X[:50, 2], M[:50, 2])
    np.testing.assert_array_equal(des.X[::16], M[::16])
    np.testing.assert_array_equal(des.X.block_t(5, 30, cols=[0, 3]), M[5:30, [0, 3]].T)


def test_dropped_rows_keep_positions_and_a_matrix():
    d = _dyads()
    d.loc[[4, 10], "dist"] = np.nan
    des = build_design(d, "tie ~ dist + same + pop", columns=True)
    assert not des.all_rows and isinstance(des.X, np.ndarray)
    assert len(des.rows) == len(d) - 2 and 4 not in des.rows and 10 not in des.rows


def test_lean_logit_on_columns_equals_statsmodels():
    d = _dyads(80)
    des = build_design(d, "tie ~ dist + same + pop", columns=True)
    fit = fit_logit_newton(des.y, des.X)
    X = np.column_stack([np.ones(len(d)), d["dist"], d["same"], d["pop"]])
    ref = sm.Logit(d["tie"].to_numpy(float), X).fit(method="newton", disp=0, tol=1e-12)
    np.testing.assert_allclose(fit.params, ref.params, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fit.hessian, ref.model.hessian(ref.params), rtol=1e-9)
    assert fit.llf == pytest.approx(ref.llf, rel=1e-12)


def test_fit_connection_lean_columns_matches_statsmodels_engine():
    d = _dyads(70)
    lean = fit_connection(d, "tie ~ dist + same + pop", engine="lean")
    ref = fit_connection(d, "tie ~ dist + same + pop", engine="statsmodels")
    np.testing.assert_allclose(lean.params, ref.params, rtol=1e-8)
    for key in ("model", "hc0", "dyadic"):
        np.testing.assert_allclose(lean.se[key], ref.se[key], rtol=1e-7)
    assert isinstance(lean.units.index, pd.RangeIndex)
    np.testing.assert_allclose(lean.units["fitted"].to_numpy(), ref.units["fitted"].to_numpy(), rtol=1e-8)


def test_checks_name_the_variable_on_columns():
    d = _dyads()
    d["dist2"] = 2.0 * d["dist"]
    des = build_design(d, "tie ~ dist + dist2", columns=True)
    with pytest.raises(ModelError, match="'dist2' is a linear combination of 'dist'"):
        check_covariates(des.X, des.names)
    d["tie"] = (d["dist"] > d["dist"].median()).astype(np.int8)
    des = build_design(d, "tie ~ dist + pop", columns=True)
    sep = find_separation(des.X, des.y, des.names, max_cells=0)
    assert sep is not None and sep.kind == "complete" and sep.variables == ["dist"]


def test_read_model_columns_reads_only_what_the_formula_needs(tmp_path):
    from quant.models.parquet import read_model_columns

    d = _dyads()
    d["unused"] = 1.5
    path = tmp_path / "d.parquet"
    d.to_parquet(path, index=False)
    got = read_model_columns(path, "tie ~ dist + np.log(pop + 10)")
    assert list(got.columns) == ["city_a", "city_b", "dist", "pop", "tie"]
    assert isinstance(got["city_a"].dtype, pd.CategoricalDtype)
    assert list(got["city_a"].astype(str)) == list(d["city_a"])
    a = fit_connection(got, "tie ~ dist + pop", engine="lean")
    b = fit_connection(d, "tie ~ dist + pop", engine="statsmodels")
    np.testing.assert_allclose(a.se["dyadic"], b.se["dyadic"], rtol=1e-7)
    with pytest.raises(Exception, match="'nope' is not in the Parquet file"):
        read_model_columns(path, columns=["nope"])


def test_lean_fit_loads_no_statsmodels_scipy_or_store():
    code = (
        "import sys, json, numpy as np, pandas as pd\n"
        "import quant.models.dispatch\n"
        "from quant.models.dispatch import fit_connection\n"
        "rng = np.random.default_rng(0)\n"
        "i, j = np.triu_indices(40, 1)\n"
        "d = pd.DataFrame({'city_a': i, 'city_b': j, 'x': rng.normal(size=len(i))})\n"
        "d['y'] = (rng.random(len(i)) < 1 / (1 + np.exp(1 - d['x']))).astype(int)\n"
        "r = fit_connection(d, 'y ~ x', engine='lean')\n"
        "print(json.dumps([m for m in ('statsmodels', 'scipy', 'store', 'corpus') if m in sys.modules]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


@pytest.mark.parametrize("case", ["collinear", "constant", "threshold", "dummy_level"])
def test_checks_in_the_first_pass_give_the_same_sentences(case):
    """The lean fit runs the covariate and univariate separation checks on its first pass's
    statistics (PassChecks); the sentences are those of the checks run up front."""
    d = _dyads(70)
    formula = "tie ~ dist + same + pop + z"
    if case == "collinear":
        d["z"] = d["dist"] - 2.0 * d["pop"]
        expect = "'z' is a linear combination of 'dist', 'pop'"
    elif case == "constant":
        d["z"] = 3.0
        expect = "'z' is constant"
    elif case == "threshold":
        d["z"] = np.random.default_rng(5).normal(size=len(d))
        d["tie"] = (d["dist"] > d["dist"].quantile(0.8)).astype(np.int8)
        expect = "complete separation of 'tie' by 'dist'"
    else:
        d["z"] = (d["pop"] > 1.0).astype(float)
        d.loc[d["z"] == 1.0, "tie"] = 1
        expect = "every row with z = 1 has y = 1"
    msgs = []
    for engine in ("lean", "statsmodels"):
        with pytest.raises(ModelError) as err:
            fit_connection(d, formula, engine=engine)
        msgs.append(str(err.value))
    assert expect in msgs[0]
    assert msgs[0] == msgs[1]
