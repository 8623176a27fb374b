"""Formulas are data, never code (issue 7, point 1): ``quant.formula.guard``.

Every injection below is a formula whose Python part would create a sentinel file if patsy
evaluated it. ``test_payloads_are_live_under_plain_patsy`` shows that they do (the test can
fail): evaluated by patsy itself with the environment Tandem used before the guard (``np`` plus
the functions, Python's builtins reachable), the sentinel appears. Tandem must refuse each one
with a ``FormulaError`` naming the offending piece, from the library and from the command line,
and the sentinel must never exist; saved specifications altered with raw SQL are refused on
load. Legitimate formulas (quant.md, the demo, the existing tests) still fit, with estimates
equal to an independent statsmodels fit on a design built here with numpy from the simulated
tables (node-attribute columns by loops over dyads, not by ``quant``).
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import patsy
import pytest
import statsmodels.api as sm
from sqlalchemy import text

import cli
import store
from quant import check_formula
from quant.runs.analysis import fit_dimension, model_data
from quant.models.design import build_design
from quant.errors import FormulaError, QuantError
from quant.formula.env import safe_environment
from quant.formula.guard import MAX_DEPTH, MAX_LENGTH, MAX_NESTING, MAX_TERMS
from quant.models.hurdle import fit_hurdle
from quant.runs.specs import delete_spec, fit_spec, list_specs, load_spec, save_spec
from quant_small_project import build, tables, with_operators

# (id, formula template, live under plain patsy). {P} is the sentinel path as a Python string
# literal, {S} the same path without quotes (for shell commands).
INJECTIONS = [
    ("issue-example", "connection ~ I(log_distance + 0*__import__('os').system('touch {S}'))", True),
    ("builtin-open", "connection ~ I(open({P}, 'w').close())", True),
    ("exec-name", "connection ~ log_distance + I(exec(\"open({P}, 'w')\"))", True),
    ("eval-name", "connection ~ I(eval(\"open({P}, 'w')\"))", True),
    ("compile-exec", "connection ~ I(exec(compile(\"open({P}, 'w')\", 'f', 'exec')))", True),
    ("getattr-import", "connection ~ I(getattr(__import__('builtins'), 'open')({P}, 'w'))", True),
    ("dunder-chain", "connection ~ I(dict(zip(map(str, ().__class__.__base__.__subclasses__()), "
                     "().__class__.__base__.__subclasses__()))[\"<class 'os._wrap_close'>\"]"
                     ".__init__.__globals__['system']('touch {S}'))", True),
    ("np-attribute-walk", "connection ~ I(np.load.__globals__['os'].system('touch {S}'))", True),
    ("np-builtins", "connection ~ I(np.__builtins__['open']({P}, 'w'))", True),
    ("np-savetxt", "connection ~ log_distance + np.savetxt({P}, [1.0])", True),
    ("np-lib-walk", "connection ~ np.lib._npyio_impl.savetxt({P}, [1.0])", True),
    ("np-tofile", "connection ~ I(np.exp(0) + np.zeros(1).tofile({P}))", True),
    ("np-memmap", "connection ~ I(np.lib.format.open_memmap({P}, mode='w+', shape=(1,)))", True),
    ("column-method", "connection ~ I(log_distance.to_csv({P}))", True),
    ("patsy-function-globals", "connection ~ I(I.__globals__['__builtins__']['open']({P}, 'w'))", True),
    ("stateful-globals", "connection ~ center.__globals__['__builtins__']['open']({P}, 'w')", True),
    ("lambda", "connection ~ I((lambda: open({P}, 'w'))())", False),
    ("list-comprehension", "connection ~ I([open({P}, 'w') for k in [1]])", False),
    ("generator", "connection ~ I(list(open({P}, 'w') for k in [1]))", False),
    ("string-concat", "connection ~ I(eval('op' + 'en')({P}, 'w'))", True),
    ("q-builtins", "connection ~ Q(\"__builtins__\")['open']({P}, 'w')", True),
    ("string-term", "connection ~ Q(\"log_distance\") + \"__import__\" + I(open({P}, 'w'))", False),
    ("f-string", "connection ~ I(f\"{{open({P}, 'w')}}\")", True),
    ("walrus", "connection ~ I((h := open({P}, 'w')))", True),
    ("bytes-path", "connection ~ I(open({B}, 'w'))", True),
    ("starred", "connection ~ I(open(*[{P}, 'w']))", True),
    ("keywords", "connection ~ I(open(file={P}, mode='w'))", True),
    ("boolean-op", "connection ~ I(0 or open({P}, 'w'))", True),
    ("conditional", "connection ~ I(open({P}, 'w') if 1 else 0)", True),
    ("fullwidth-open", "connection ~ I(ｏｐｅｎ({P}, 'w'))", True),
    ("fullwidth-eval", "connection ~ I(ｅｖａｌ(\"open({P}, 'w')\"))", True),
    ("fullwidth-dunder", "connection ~ I(__ｉｍｐｏｒｔ__('builtins').open({P}, 'w'))", True),
    ("operator-extra-arg", "connection ~ sum(log_distance, open({P}, 'w'))", True),
    ("contrast-argument", "connection ~ C(shared_border, open({P}, 'w'))", True),
    ("treatment-argument", "connection ~ C(shared_border, Treatment(open({P}, 'w')))", True),
    ("allowed-function-arg", "connection ~ np.log(1 + 0 * len(open({P}, 'w').name))", True),
    ("newline-split", "connection ~ log_distance\n + I(open({P}, 'w'))", True),
    ("bidi-override", "connection ~ log_distance + I(open({P}, 'w\u202e'[:1]))", True),
    ("breakpoint-ish", "connection ~ I(vars(__import__('builtins'))['open']({P}, 'w'))", True),
]
assert len(INJECTIONS) >= 30


def _formula(template: str, sentinel) -> str:
    return template.format(P=repr(str(sentinel)), S=str(sentinel), B=repr(str(sentinel).encode()))


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    path = tmp_path_factory.mktemp("guard") / "small.sqlite"
    engine = store.connect(path)
    build(engine)
    yield engine, str(path)
    engine.dispose()


@pytest.mark.parametrize("name,template,live", INJECTIONS, ids=[i[0] for i in INJECTIONS])
def test_payloads_are_live_under_plain_patsy(tmp_path, name, template, live):
    """The control: without the guard (patsy evaluating with the old environment), the live
    payloads do create the sentinel, so the refusal tests below are meaningful."""
    if not live:
        pytest.skip("not live under plain patsy: patsy refuses the construct (lambda, comprehension) or "
                    "fails on another term first")
    sentinel = tmp_path / "pwned.txt"
    _, dyads = tables()
    old_env = patsy.EvalEnvironment([{"np": np, "log": np.log, "exp": np.exp, "sqrt": np.sqrt}])
    try:
        patsy.dmatrices(_formula(template, sentinel), dyads, eval_env=old_env)
    except Exception:
        pass
    assert sentinel.exists(), name


@pytest.mark.parametrize("name,template,live", INJECTIONS, ids=[i[0] for i in INJECTIONS])
def test_injection_is_refused_by_the_library_with_no_side_effect(project, tmp_path, name, template, live):
    engine, _ = project
    sentinel = tmp_path / "pwned.txt"
    formula = _formula(template, sentinel)
    with pytest.raises(FormulaError) as caught:
        check_formula(formula, operators=True)
    message = str(caught.value)
    assert "\n" not in message and message.endswith("."), message
    with store.session_scope(engine) as s:
        with pytest.raises(FormulaError):
            fit_dimension(s, "connection", formula=formula)
    _, dyads = tables()
    with pytest.raises(FormulaError):
        build_design(with_operators(*tables()), formula)
    with pytest.raises(FormulaError):
        fit_hurdle(dyads, "degree ~ log_distance", zero_formula=formula.split("~", 1)[1])
    assert not sentinel.exists()


@pytest.mark.parametrize("name,template,live", INJECTIONS, ids=[i[0] for i in INJECTIONS])
def test_injection_is_refused_by_the_cli_with_no_side_effect(project, tmp_path, capsys, name, template, live):
    _, path = project
    sentinel = tmp_path / "pwned.txt"
    formula = _formula(template, sentinel)
    assert cli.main(["fit", "--project", path, "--dimension", "connection", "--formula", formula]) != 0
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    # the same payload as the hurdle's zero part
    zero = "~" + formula.split("~", 1)[1]
    assert cli.main(["fit", "--project", path, "--dimension", "degree", "--model", "hurdle",
                     "--formula", "degree ~ log_distance", "--zero-formula", zero]) != 0
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "zero-part formula" in err and err.count("\n") == 1, err
    assert not sentinel.exists()


def test_refusals_name_the_offending_piece():
    cases = {
        "connection ~ I(log_gravity + 0*__import__('os').system('id'))": "`__import__`",
        "y ~ getattr(x, 'a')": "`getattr`",
        "y ~ np.load(x)": "`np.load`",
        "y ~ I(x[0])": "`x[0]`",
        "y ~ I(ｅｖａｌ)": "`ｅｖａｌ`, which Python reads as `eval`",
        'y ~ Q("x") + "__import__"': '`"__import__"`, which is a string outside Q()',
        "y ~ x.__class__": "`x.__class__`",
        "y ~ sum(x) + 1": None,  # operators allowed below
    }
    for formula, piece in cases.items():
        if piece is None:
            continue
        with pytest.raises(FormulaError) as caught:
            check_formula(formula)
        assert piece in str(caught.value), (formula, str(caught.value))
        assert "formulas may use column names, numbers" in str(caught.value)
    assert check_formula("y ~ sum(x) + 1", operators=True) == "y ~ sum(x) + 1"
    with pytest.raises(FormulaError, match=r"`sum\(x\)`, a node operator"):
        check_formula("y ~ sum(x) + 1")  # after rewriting, sum would be Python's builtin


def test_resource_bounds_refuse_before_parsing():
    """Length, bracket nesting, operator depth and term expansion are bounded, so a hostile
    formula cannot reach a RecursionError or a combinatorial blow-up in patsy."""
    with pytest.raises(FormulaError, match=f"at most {MAX_LENGTH:,}"):
        check_formula("y ~ " + "x + " * 600 + "x")
    with pytest.raises(FormulaError, match=f"nests brackets {MAX_NESTING + 10} deep"):
        check_formula("y ~ " + "(" * (MAX_NESTING + 10) + "x" + ")" * (MAX_NESTING + 10))
    with pytest.raises(FormulaError, match=f"more than {MAX_DEPTH} operators"):
        check_formula("y ~ " + " + ".join(f"x{i}" for i in range(MAX_DEPTH + 5)))
    with pytest.raises(FormulaError, match=f"nested more than {MAX_DEPTH} deep"):
        check_formula("y ~ I(" + "-" * 300 + "x)")
    with pytest.raises(FormulaError, match=f"more than {MAX_TERMS:,} terms"):
        check_formula("y ~ " + "*".join(f"x{i}" for i in range(12)))  # 2**12 - 1 terms
    with pytest.raises(FormulaError, match="power must be a whole number"):
        check_formula("y ~ (a + b)**1000000")
    with pytest.raises(FormulaError, match="exponent is not a number"):
        check_formula("y ~ I(x * 10 ** 10 ** 10)")
    with pytest.raises(FormulaError, match="computed number to a power"):
        check_formula("y ~ I(x * (9 ** 99) ** 99)")
    # the same shapes within the bounds pass
    check_formula("y ~ " + " + ".join(f"x{i}" for i in range(90)))
    check_formula("y ~ (a + b + c)**2 + I(x ** 2 + 9 ** 2)")


def test_the_evaluation_environment_holds_no_builtins(tmp_path):
    """Defence in depth: even bypassing the check (patsy called directly), the namespace Tandem
    gives patsy exposes no Python builtin and only five numpy functions."""
    sentinel = tmp_path / "pwned.txt"
    _, dyads = tables()
    for code in (f"I(open({str(sentinel)!r}, 'w'))", f"I(__import__('builtins').open({str(sentinel)!r}, 'w'))",
                 f"np.savetxt({str(sentinel)!r}, [1.0])", f"I(Q('__builtins__')['open']({str(sentinel)!r}, 'w'))"):
        with pytest.raises(Exception) as caught:
            patsy.dmatrices("connection ~ " + code, dyads, eval_env=safe_environment())
        assert "FormulaError" in repr(caught.value) or "AttributeError" in repr(caught.value) \
            or "not a column or an allowed function" in str(caught.value), (code, caught.value)
    assert not sentinel.exists()
    namespace = safe_environment().namespace
    assert sorted(n for n in ("log", "log1p", "exp", "sqrt", "abs") if namespace[n] is getattr(np, n)) == \
        ["abs", "exp", "log", "log1p", "sqrt"]
    assert sorted(vars(namespace["np"])) == ["abs", "exp", "log", "log1p", "sqrt"]


# -- saved specifications altered behind Tandem's back ---------------------------------------------

@pytest.fixture
def spec_project(engine):
    build(engine)
    with store.session_scope(engine) as s:
        import coding
        from quant.data.quantitize import quantitize

        coding.ensure_default_codebook(s)
        quantitize(s, "Mark", level="city", name="q_mark")
        save_spec(s, "needs only", "connection", "logit", "connection ~ sum(log_pop) + log_distance")
        save_spec(s, "with codes", "connection", "logit", "connection ~ sum(q_mark) + log_distance")
        save_spec(s, "two parts", "degree", "hurdle", "degree ~ shared_border",
                  {"zero_formula": "~ log_distance + sum(log_pop)"})
    assert load_spec_options(engine, "with codes")["quantitized"]["q_mark"]["level"] == "city"
    sqlite = engine.url.get_backend_name() == "sqlite"
    return engine, engine.url.database if sqlite else engine.url.render_as_string(hide_password=False)


def load_spec_options(engine, name):
    with store.session_scope(engine) as s:
        return load_spec(s, name)["options"]


TAMPERING = [
    ("needs only", "formula", "connection ~ log_distance + I(open({P}, 'w'))", "The formula of the saved "
     "specification 'needs only' uses `open`"),
    ("with codes", "formula", "connection ~ sum(q_mark) + I(__import__('os').system('touch {S}'))",
     "The formula of the saved specification 'with codes' uses `__import__`"),
    ("two parts", "zero_formula", "~ log_distance + I(np.savetxt({P}, [1.0]))",
     "The zero-part formula of the saved specification 'two parts' uses `np.savetxt`"),
    ("with codes", "formula", "connection ~ sum(q_mark) + I(ｅｘｅｃ(\"open({P}, 'w')\"))",
     "which Python reads as `exec`"),
]


@pytest.mark.parametrize("name,field,template,words", TAMPERING, ids=[f"{t[0]}-{t[1]}-{i}" for i, t in
                                                                      enumerate(TAMPERING)])
def test_a_specification_altered_with_raw_sql_is_refused_on_load(spec_project, tmp_path, capsys, name, field,
                                                                  template, words):
    engine, path = spec_project
    sentinel = tmp_path / "pwned.txt"
    payload = _formula(template, sentinel)
    with engine.begin() as conn:
        if field == "formula":
            conn.execute(text("UPDATE model_specs SET formula = :f WHERE name = :n"), {"f": payload, "n": name})
        else:
            raw = conn.execute(text("SELECT options FROM model_specs WHERE name = :n"), {"n": name}).scalar_one()
            opts = raw if isinstance(raw, dict) else json.loads(raw)
            opts["zero_formula"] = payload
            value = ":o" if engine.url.get_backend_name() == "sqlite" else "CAST(:o AS JSON)"
            conn.execute(text(f"UPDATE model_specs SET options = {value} WHERE name = :n"),
                         {"o": json.dumps(opts), "n": name})
    with store.session_scope(engine) as s:
        for call in (load_spec, fit_spec):
            with pytest.raises(FormulaError) as caught:
                call(s, name)
            assert words in str(caught.value) and "\n" not in str(caught.value), str(caught.value)
        assert name in list(list_specs(s)["name"])  # still listed (as text), never evaluated
    assert cli.main(["fit", "--project", path, "--spec", name]) != 0
    err = capsys.readouterr().err
    assert err.startswith("error: ") and words in err and err.count("\n") == 1, err
    assert cli.main(["fit", "--project", path, "--dimension", "connection", "--formula",
                     "connection ~ log_distance", "--compare", name]) != 0
    assert words in capsys.readouterr().err
    with store.session_scope(engine) as s:
        fit_spec(s, "needs only" if name != "needs only" else "two parts")  # the others still fit
        delete_spec(s, name)  # and the altered one can be deleted
        assert name not in list(list_specs(s)["name"])
    assert not sentinel.exists()


def test_saving_a_hostile_specification_is_refused(spec_project, tmp_path):
    engine, _ = spec_project
    sentinel = tmp_path / "pwned.txt"
    with store.session_scope(engine) as s:
        with pytest.raises(FormulaError, match="The formula of the specification 'bad' uses `open`"):
            save_spec(s, "bad", "connection", "logit", _formula("connection ~ I(open({P}, 'w'))", sentinel),
                      check=False)
        with pytest.raises(FormulaError, match="The zero-part formula of the specification 'bad'"):
            save_spec(s, "bad", "degree", "hurdle", "degree ~ shared_border",
                      {"zero_formula": _formula("~ I(open({P}, 'w'))", sentinel)}, check=False)
        assert "bad" not in list(list_specs(s)["name"])
    assert not sentinel.exists()


def test_quantitized_variable_names_are_formula_names(spec_project):
    engine, _ = spec_project
    with store.session_scope(engine) as s:
        from quant.data.quantitize import quantitize

        for bad in ("_q_mark", "__import__", "np", "Q"):
            with pytest.raises(QuantError, match="cannot name a variable"):
                quantitize(s, "Mark", level="city", name=bad)


# -- legitimate formulas: unchanged estimates ----------------------------------------------------

def _hand_table() -> pd.DataFrame:
    """The dyad table with every variable the formulas below use, built here with numpy."""
    cities, dyads = tables()
    d = with_operators(cities, dyads)
    attr = cities.set_index("code")
    la, lb = attr.loc[d["city_a"], "log_pop"].to_numpy(), attr.loc[d["city_b"], "log_pop"].to_numpy()
    ua, ub = attr.loc[d["city_a"], "urban"].to_numpy(), attr.loc[d["city_b"], "urban"].to_numpy()
    d["product_log_pop"] = la * lb
    d["max_urban"] = np.maximum(ua, ub)
    d["sum_urban"] = ua + ub
    return d


def _z(x):
    return (x - x.mean()) / x.std(ddof=0)


def _connection_cases(d):
    ld, sb, sp, sum_pop = d["log_distance"].to_numpy(), d["shared_border"].to_numpy(), \
        d["same_province"].to_numpy(), d["sum_log_pop"].to_numpy()
    one = np.ones(len(d))
    return [
        ("connection ~ log_distance", {"Intercept": one, "log_distance": ld}),
        ("connection ~ sum(log_pop) + same(province) + log_distance",
         {"Intercept": one, "sum_log_pop": sum_pop, "same_province": sp, "log_distance": ld}),
        ("connection ~ sum(log_pop) + absdiff(log_pop) + log_distance",
         {"Intercept": one, "sum_log_pop": sum_pop, "absdiff_log_pop": d["absdiff_log_pop"].to_numpy(),
          "log_distance": ld}),
        ("connection ~ min(urban) + both(prog) + log_distance",
         {"Intercept": one, "min_urban": d["min_urban"].to_numpy(), "both_prog": d["both_prog"].to_numpy(),
          "log_distance": ld}),
        ("connection ~ product(log_pop) + max(urban) + log_distance",
         {"Intercept": one, "product_log_pop": d["product_log_pop"].to_numpy(),
          "max_urban": d["max_urban"].to_numpy(), "log_distance": ld}),
        ("connection ~ I(log_distance ** 2) + log_distance",
         {"Intercept": one, "I(log_distance ** 2)": ld ** 2, "log_distance": ld}),
        ("connection ~ log_distance + shared_border + log_distance:shared_border",
         {"Intercept": one, "log_distance": ld, "shared_border": sb, "log_distance:shared_border": ld * sb}),
        ("connection ~ log_distance * shared_border",
         {"Intercept": one, "log_distance": ld, "shared_border": sb, "log_distance:shared_border": ld * sb}),
        ("connection ~ C(shared_border) + log_distance",
         {"Intercept": one, "C(shared_border)[T.1.0]": sb, "log_distance": ld}),
        ("connection ~ C(same(province), Treatment(1)) + log_distance",
         {"Intercept": one, "C(same_province, Treatment(1))[T.0.0]": 1 - sp, "log_distance": ld}),
        ("connection ~ C(same(province), Treatment(reference=0)) + sum(log_pop)",
         {"Intercept": one, "C(same_province, Treatment(reference=0))[T.1.0]": sp, "sum_log_pop": sum_pop}),
        ("connection ~ center(log_distance) + standardize(sum(log_pop))",
         {"Intercept": one, "center(log_distance)": ld - ld.mean(), "standardize(sum_log_pop)": _z(sum_pop)}),
        ("connection ~ scale(log_distance) + same(province)",
         {"Intercept": one, "scale(log_distance)": _z(ld), "same_province": sp}),
        ("connection ~ np.sqrt(np.exp(log_distance)) + exp(log_distance / 4)",
         {"Intercept": one, "np.sqrt(np.exp(log_distance))": np.sqrt(np.exp(ld)),
          "exp(log_distance / 4)": np.exp(ld / 4)}),
        ("connection ~ log1p(abs(log_distance)) + sum(urban)",
         {"Intercept": one, "log1p(abs(log_distance))": np.log1p(np.abs(ld)), "sum_urban": d["sum_urban"].to_numpy()}),
        ("connection ~ np.log(np.exp(log_distance)) + np.abs(sum(log_pop)) + np.log1p(shared_border)",
         {"Intercept": one, "np.log(np.exp(log_distance))": ld, "np.abs(sum_log_pop)": np.abs(sum_pop),
          "np.log1p(shared_border)": np.log1p(sb)}),
        ("connection ~ I(sum(log_pop) / 2) + I(-log_distance) + 1",
         {"Intercept": one, "I(sum_log_pop / 2)": sum_pop / 2, "I(-log_distance)": -ld}),
        ('connection ~ Q("log_distance") + sum(log_pop)',
         {"Intercept": one, 'Q("log_distance")': ld, "sum_log_pop": sum_pop}),
        ("connection ~ log_distance + sqrt(exp(log_distance)) - 1",
         {"log_distance": ld, "sqrt(exp(log_distance))": np.sqrt(np.exp(ld))}),
        ("connection ~ 0 + log_distance + shared_border", {"log_distance": ld, "shared_border": sb}),
        ("connection ~ (log_distance + shared_border + sum(log_pop))**2",
         {"Intercept": one, "log_distance": ld, "shared_border": sb, "sum_log_pop": sum_pop,
          "log_distance:shared_border": ld * sb, "log_distance:sum_log_pop": ld * sum_pop,
          "shared_border:sum_log_pop": sb * sum_pop}),
        ("tie ~ sum(log_pop) + log_distance", {"Intercept": one, "sum_log_pop": sum_pop, "log_distance": ld}),
        ("shared_border ~ log_distance + I(2 ** 3 * log_distance ** -2)",
         {"Intercept": one, "log_distance": ld, "I(2 ** 3 * log_distance ** -2)": 8 * ld ** -2.0}),
    ]


LEGIT = [case[0] for case in _connection_cases(_hand_table())]
assert len(LEGIT) >= 20


@pytest.mark.parametrize("formula", LEGIT)
def test_legitimate_formula_fits_with_unchanged_estimates(project, formula):
    engine, _ = project
    d = _hand_table()
    columns = dict(_connection_cases(d))[formula]
    outcome = formula.split("~")[0].strip()
    with store.session_scope(engine) as s:
        res = fit_dimension(s, "connection", formula=formula, se=("model",))
    assert list(res.params.index) == list(columns), (list(res.params.index), list(columns))
    X = np.column_stack(list(columns.values()))
    ref = sm.Logit(d[outcome].to_numpy(), X).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
    np.testing.assert_allclose(res.params.to_numpy(), ref.params, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(res.llf, ref.llf, rtol=1e-9)
    assert res.n == len(d) == 435


@pytest.mark.parametrize("formula,columns", [
    ("breadth ~ log_pop + urban", lambda c: {"log_pop": c["log_pop"], "urban": c["urban"]}),
    ("breadth ~ np.log(urban) + C(province) + log_pop:urban",
     lambda c: {"C(province)[T.P2]": (c["province"] == "P2").astype(float),
                "C(province)[T.P3]": (c["province"] == "P3").astype(float),
                "np.log(urban)": np.log(c["urban"]), "log_pop:urban": c["log_pop"] * c["urban"]}),
])
def test_legitimate_breadth_formula_fits_with_unchanged_estimates(project, formula, columns):
    engine, _ = project
    cities, dyads = tables()
    partners = {code: 0.0 for code in cities["code"]}
    for a, b, tie in zip(dyads["city_a"], dyads["city_b"], dyads["connection"]):
        partners[a] += tie
        partners[b] += tie
    y = cities["code"].map(partners).to_numpy()
    cols = {"Intercept": np.ones(len(cities))} | {k: np.asarray(v, float) for k, v in columns(cities).items()}
    with store.session_scope(engine) as s:
        res = fit_dimension(s, "breadth", model="poisson", formula=formula, se=("model",))
    assert list(res.params.index) == list(cols)
    ref = sm.GLM(y, np.column_stack(list(cols.values())), family=sm.families.Poisson()).fit(tol=1e-12)
    np.testing.assert_allclose(res.params.to_numpy(), ref.params, rtol=1e-6, atol=1e-8)


def test_the_demo_formulas_fit_with_unchanged_estimates():
    """The demo's own specification (data/demo/truth.json) and a variant with functions, on the
    demo's 11,935 dyads, against statsmodels Logit on columns taken from the table here."""
    from data.demo.build import demo_tables
    from data.demo.simulate import load_truth
    from quant.models.dispatch import fit_connection

    _, dyads, _ = demo_tables()
    truth = load_truth()["connection"]["formula"]
    terms = [t.strip() for t in truth.split("~")[1].split("+")]
    y = dyads["connection"].to_numpy(float)
    one = np.ones(len(dyads))
    variant = "connection ~ log_gravity + same_strategy + np.log(distance_km) + I(log_pop_min ** 2) + C(same_province)"
    for formula, cols in [
        (truth, {"Intercept": one} | {t: dyads[t].to_numpy(float) for t in terms}),
        (variant, {"Intercept": one, "C(same_province)[T.1.0]": dyads["same_province"].to_numpy(float),
                   "log_gravity": dyads["log_gravity"].to_numpy(float),
                   "same_strategy": dyads["same_strategy"].to_numpy(float),
                   "np.log(distance_km)": np.log(dyads["distance_km"].to_numpy(float)),
                   "I(log_pop_min ** 2)": dyads["log_pop_min"].to_numpy(float) ** 2}),
    ]:
        res = fit_connection(dyads, formula, se=("model",))
        assert list(res.params.index) == list(cols), formula
        ref = sm.Logit(y, np.column_stack(list(cols.values()))).fit(disp=0, method="newton", tol=1e-12)
        np.testing.assert_allclose(res.params.to_numpy(), ref.params, rtol=1e-6, atol=1e-8)


def test_legitimate_formula_through_the_cli_and_the_hurdle_zero_part(project, capsys):
    engine, path = project
    d = _hand_table()
    formula = "connection ~ sum(log_pop) + same(province) + np.log(np.exp(log_distance))"
    assert cli.main(["fit", "--project", path, "--formula", formula, "--se", "model", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    X = np.column_stack([np.ones(len(d)), d["sum_log_pop"], d["same_province"], d["log_distance"]])
    ref = sm.Logit(d["connection"].to_numpy(), X).fit(disp=0, method="newton", tol=1e-12)
    got = [out["params"][t]["estimate"] for t in ("Intercept", "sum_log_pop", "same_province",
                                                  "np.log(np.exp(log_distance))")]
    np.testing.assert_allclose(got, ref.params, rtol=1e-6)
    # the hurdle's zero part written with operators and functions: its logit is an ordinary logit
    # of (degree > 0) on all dyads (the two parts are fitted separately, quant.models.hurdle)
    with store.session_scope(engine) as s:
        md = model_data(s, "degree", model="hurdle", formula="degree ~ shared_border",
                        zero_formula="~ sum(log_pop) + center(log_distance)")
        res = fit_dimension(s, "degree", model="hurdle", formula="degree ~ shared_border",
                            zero_formula="~ sum(log_pop) + center(log_distance)", se=("model",))
    assert md.zero_design_formula == "sum_log_pop + center(log_distance)"
    Xz = np.column_stack([np.ones(len(d)), d["sum_log_pop"], d["log_distance"] - d["log_distance"].mean()])
    zref = sm.Logit((d["degree"] > 0).astype(float).to_numpy(), Xz).fit(disp=0, method="newton", tol=1e-12)
    zero = res.params[[t for t in res.params.index if t.startswith("zero:")]]
    assert list(zero.index) == ["zero:Intercept", "zero:sum_log_pop", "zero:center(log_distance)"]
    np.testing.assert_allclose(zero.to_numpy(), zref.params, rtol=1e-6, atol=1e-8)


def test_models_page_shows_the_refusal_and_runs_nothing(tmp_path, monkeypatch):
    """The Models page: a hostile formula typed in the box, and a saved specification altered with
    raw SQL, each show one st.error sentence; the sentinel is never created."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    path = tmp_path / "small.sqlite"
    sentinel = tmp_path / "pwned.txt"
    engine = store.connect(path)
    build(engine)
    with store.session_scope(engine) as s:
        save_spec(s, "altered", "connection", "logit", "connection ~ log_distance")
    with engine.begin() as conn:
        conn.execute(text("UPDATE model_specs SET formula = :f WHERE name = 'altered'"),
                     {"f": _formula("connection ~ I(open({P}, 'w'))", sentinel)})
    engine.dispose()
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "workbench.py"), default_timeout=180)
    at.run()
    at.switch_page("ui/models.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    # the side-by-side panel tries the saved specifications: the altered one is refused by name
    assert any("The formula of the saved specification 'altered' uses `open`" in e for e in errors), errors
    at.text_input(key="formula_connection").set_value(
        _formula("connection ~ log_distance + I(__import__('os').system('touch {S}'))", sentinel))
    next(b for b in at.button if b.label == "Fit").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert any(e.startswith("The formula uses `__import__`, which is not a column or an allowed function")
               and "\n" not in e for e in errors), errors
    assert "connection: logit" not in [s.value for s in at.subheader]
    assert not sentinel.exists()


def test_a_design_too_wide_is_refused_before_it_is_built(monkeypatch):
    """C() of a continuous variable makes one column per distinct value: the width is checked
    once patsy has learnt the levels, before any matrix is allocated."""
    import quant.models.design as design

    _, dyads = tables()
    width = 1 + dyads["log_distance"].nunique() - 1  # intercept + treatment dummies
    monkeypatch.setattr(design, "MAX_COLUMNS", width - 1)
    with pytest.raises(QuantError, match=f"makes {width:,} design columns over {len(dyads):,} rows"):
        build_design(dyads, "connection ~ C(log_distance)")
    monkeypatch.setattr(design, "MAX_COLUMNS", width)
    monkeypatch.setattr(design, "MAX_CELLS", width * len(dyads) - 1)
    with pytest.raises(QuantError, match="cells"):
        build_design(dyads, "connection ~ C(log_distance)")
    monkeypatch.setattr(design, "MAX_CELLS", width * len(dyads))
    assert build_design(dyads, "connection ~ C(log_distance)").X.shape == (len(dyads), width)


def test_arithmetic_on_a_text_column_fails_at_once():
    """`I(province * 10**8)` would repeat every province name a hundred million times; text columns
    reach patsy as Categoricals, so the product is refused, while C(province) keeps its levels."""
    cities, _ = tables()
    with pytest.raises(QuantError, match="unsupported operand"):
        build_design(cities.assign(y=1.0), "y ~ I(province * 100000000)")
    design = build_design(cities.assign(y=np.arange(len(cities), dtype=float)),
                          "y ~ C(province, Treatment('P2')) + province:log_pop")
    levels = sorted(cities["province"].unique())  # patsy sorts the levels of text data
    assert design.names == (["Intercept"] + [f"C(province, Treatment('P2'))[T.{p}]" for p in levels if p != "P2"]
                            + [f"province[{p}]:log_pop" for p in levels])
    col = design.names.index("province[P3]:log_pop")
    np.testing.assert_array_equal(design.X[:, col], np.where(cities["province"] == "P3", cities["log_pop"], 0.0))


@pytest.mark.parametrize("formula, column", [
    ("y ~ C(x)", "x"),                 # a numeric column with 3,001 values made categorical
    ("y ~ C(x) * C(Q('x'))", "x"),     # the interaction the attacker tried: refused at its first factor
    ("y ~ t", "t"),                    # a text column is categorical by itself
])
def test_a_categorical_with_too_many_levels_is_refused_before_patsy_builds_its_contrasts(formula, column):
    """patsy's contrast matrix has levels × (levels - 1) cells: 11,935 levels took 2.4 GB before
    the design-width cap could speak; now the factor is refused at 3,001 levels with one sentence."""
    from quant.models.design import build_design
    from quant.errors import FormulaError

    n = 3_001
    frame = pd.DataFrame({"y": np.arange(n) % 2, "x": np.arange(n, dtype=float), "t": [f"c{i}" for i in range(n)]})
    with pytest.raises(FormulaError, match=r"has 3,001 distinct values, too many for a categorical factor "
                                           r"\(at most 3,000\)"):
        build_design(frame, formula)
    small = frame.assign(x=np.arange(n) % 3, t=[f"c{i % 4}" for i in range(n)])
    design = build_design(small, formula.replace("* C(Q('x'))", ""))
    # treatment coding: intercept + (levels - 1) columns, counted by hand: 3 levels of x, 4 of t
    assert design.X.shape[1] == (1 + 2 if column == "x" else 1 + 3)
