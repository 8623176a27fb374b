"""Directed dyads: loading, the directed frame, sender/receiver/reciprocal, fits and pair-grouped SEs.

References are built by hand in the test (loops over rows, statsmodels on a design assembled
row by row, a brute-force double sum over row pairs), never by the code under test.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import store
from quant.data import project as qdata
from quant.data.directed import NO_DIRECTED, directed_frame, has_directed
from quant.formula.nodes import prepare_directed_formula
from quant.data.directed_load import fold_directed, load_directed
from quant.covariance.dyadic import dyadic_vcov
from quant.errors import DyadError, QuantError, UnknownCityError
from quant.formula.nodes import prepare_dyad_formula

NAMES = ["广州市", "深圳市", "珠海市", "汕头市", "佛山市", "韶关市", "湛江市", "肇庆市", "江门市", "茂名市", "惠州市", "梅州市",
         "汕尾市", "河源市", "阳江市", "清远市", "东莞市", "中山市", "潮州市", "揭阳市", "云浮市"]
N = len(NAMES)
CODES = [str(440100 + 100 * k) for k in range(N)]


def cities_table(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "code": CODES, "name": NAMES, "short_name": [n[:-1] for n in NAMES],
        "log_pop": rng.normal(0, 1, N), "gdp": rng.normal(2, 0.5, N),
        "province": rng.choice(["P1", "P2"], N),
    })


def directed_table(cities: pd.DataFrame, seed: int = 5, drop: float = 0.25) -> pd.DataFrame:
    """Ordered pairs written row by row (names as the user would type them), some missing."""
    rng = np.random.default_rng(seed)
    pop = dict(zip(cities["name"], cities["log_pop"]))
    gdp = dict(zip(cities["name"], cities["gdp"]))
    u = dict(zip(cities["name"], rng.normal(0, 0.3, N)))
    rows = []
    for s, r in itertools.permutations(NAMES, 2):
        if rng.random() < drop:
            continue
        dist = float(rng.uniform(1, 3))
        eta = 0.2 + 0.6 * pop[s] - 0.4 * gdp[r] - 0.5 * dist + u[s] + u[r]
        flow = float(rng.poisson(np.exp(eta + 1.0)))
        tie = int(rng.random() < 1 / (1 + np.exp(-eta)))
        rows.append({"from": s, "to": r, "flow": flow, "tie": tie, "dist": dist, "note": f"{s}到{r}"})
    return pd.DataFrame(rows)


def make_project(engine, table=None):
    cities = cities_table()
    table = directed_table(cities) if table is None else table
    with store.session_scope(engine) as s:
        qdata.save_cities(s, cities)
        out = load_directed(s, table, a="from", b="to")
    return cities, table, out


def test_load_and_frame(engine):
    cities, table, out = make_project(engine)
    assert out.n == len(table) and out.n_new == len(table)
    assert out.variables == ["flow", "tie", "dist"]
    assert len(out.warnings) == 1 and "note" in out.warnings[0] and "Text columns" in out.warnings[0]
    code = dict(zip(NAMES, CODES))
    ordered = {(code[s], code[r]) for s, r in zip(table["from"], table["to"])}
    pairs_by_hand = {frozenset(p) for p in ordered}
    both = sum(1 for x, y in ordered if (y, x) in ordered) // 2
    assert out.n_pairs == len(pairs_by_hand) and out.n_both == both
    with store.session_scope(engine) as s:
        assert has_directed(s)
        frame = directed_frame(s)
    assert list(frame.columns[:4]) == ["dyad_id", "city_a", "city_b", "pair"]
    assert len(frame) == len(table)
    expected = {(code[s], code[r]): (f, d) for s, r, f, d in zip(table["from"], table["to"], table["flow"], table["dist"])}
    for row in frame.itertuples(index=False):
        assert expected[(row.city_a, row.city_b)] == (row.flow, row.dist)
    # pair ids: equal exactly when the unordered pair is equal
    ends = [frozenset(p) for p in zip(frame.city_a, frame.city_b)]
    pair = frame.pair.tolist()
    for x, y in itertools.combinations(range(len(frame)), 2):
        assert (pair[x] == pair[y]) == (ends[x] == ends[y])


def test_empty_project_sentence(engine):
    with store.session_scope(engine) as s:
        qdata.save_cities(s, cities_table())
        assert not has_directed(s)
        with pytest.raises(QuantError, match="no directed dyads; load them with `dyads --directed`"):
            directed_frame(s)
    assert NO_DIRECTED.endswith("`dyads --directed`.")


def test_bad_tables_refused_nothing_written(engine):
    cities = cities_table()
    with store.session_scope(engine) as s:
        qdata.save_cities(s, cities)
    selfpair = pd.DataFrame({"from": ["广州市", "深圳市"], "to": ["深圳市", "深圳"], "flow": [1, 2]})
    dup = pd.DataFrame({"from": ["广州市", "广州", "深圳市"], "to": ["深圳市", "深圳市", "广州市"], "flow": [1, 2, 3]})
    unknown = pd.DataFrame({"from": ["广州市"], "to": ["北京市"], "flow": [1]})
    with store.session_scope(engine) as s:
        with pytest.raises(DyadError, match=r"itself in row 2 \(row 2: 深圳市 → 深圳\)"):
            load_directed(s, selfpair, a="from", b="to")
        with pytest.raises(DyadError, match=r"1 ordered pair\(s\) more than once: 广州市 → 深圳市 \(rows 1, 2\)"):
            load_directed(s, dup, a="from", b="to")
        with pytest.raises(UnknownCityError, match="北京市"):
            load_directed(s, unknown, a="from", b="to")
        assert not has_directed(s)
        out = load_directed(s, dup, a="from", b="to", aggregate="sum")
        assert out.n == 2 and out.n_pairs == 1 and out.n_both == 1
        frame = directed_frame(s)
        got = dict(zip(zip(frame.city_a, frame.city_b), frame.flow))
        assert got == {(CODES[0], CODES[1]): 3.0, (CODES[1], CODES[0]): 3.0}
        with pytest.raises(QuantError, match="already has the directed variable 'flow'"):
            load_directed(s, dup, a="from", b="to", aggregate="max")
        load_directed(s, dup, a="from", b="to", aggregate="max", replace=True)
        frame = directed_frame(s)
        assert dict(zip(zip(frame.city_a, frame.city_b), frame.flow))[(CODES[0], CODES[1])] == 2.0


def test_reciprocal_and_sender_receiver_by_hand(engine):
    cities, table, _ = make_project(engine)
    with store.session_scope(engine) as s:
        frame = directed_frame(s)
        city = qdata.city_frame(s)
    f, prepared, notes = prepare_directed_formula(
        "flow ~ sender(log_pop) + receiver(gdp) + sum(log_pop) + reciprocal(flow) + dist", frame, city)
    assert f == "flow ~ sender_log_pop + receiver_gdp + sum_log_pop + reciprocal_flow + dist"
    assert notes == []
    attr = cities.set_index("code")
    flows = {(a, b): v for a, b, v in zip(frame.city_a, frame.city_b, frame.flow)}
    absent = 0
    for row in prepared.itertuples(index=False):
        assert row.sender_log_pop == attr.loc[row.city_a, "log_pop"]
        assert row.receiver_gdp == attr.loc[row.city_b, "gdp"]
        assert row.sum_log_pop == pytest.approx(attr.loc[row.city_a, "log_pop"] + attr.loc[row.city_b, "log_pop"])
        opposite = flows.get((row.city_b, row.city_a))
        if opposite is None:
            absent += 1
            assert np.isnan(row.reciprocal_flow)
        else:
            assert row.reciprocal_flow == opposite
    assert absent > 0
    assert prepared.attrs["notes"] == [
        f"reciprocal(flow) is missing for {absent:,} of {len(frame):,} directed dyads ({absent:,} have no opposite "
        "row (j, i), 0 have one without a value of flow); a fit leaves those rows out."]
    _, again, _ = prepare_directed_formula("flow ~ dist", prepared, city)  # e.g. a hurdle's zero part
    assert again.attrs["notes"] == prepared.attrs["notes"]
    _, _, notes = prepare_directed_formula("flow ~ sum(gdp) + sender(gdp) + receiver(gdp)", frame, city)
    assert notes and "sum = sender + receiver" in notes[0]
    # text attributes pass through sender() for C()
    _, prepared, _ = prepare_directed_formula("flow ~ C(sender(province))", frame, city)
    assert list(prepared["sender_province"]) == [attr.loc[c, "province"] for c in frame.city_a]


def test_directed_operators_refused_in_undirected_and_bad_names():
    cities = cities_table()
    dyads = pd.DataFrame({"city_a": CODES[:3], "city_b": CODES[1:4], "flow": [1.0, 2.0, 3.0]})
    for call in ("sender(log_pop)", "receiver(gdp)", "reciprocal(flow)"):
        with pytest.raises(QuantError, match=r"needs directed dyads .*`dyads --directed`"):
            prepare_dyad_formula(f"flow ~ {call}", dyads, cities)
    with pytest.raises(QuantError, match="'nope' is not a directed dyad variable"):
        prepare_directed_formula("flow ~ reciprocal(nope)", dyads, cities)
    with pytest.raises(QuantError, match="'flow' is not a city attribute"):
        prepare_directed_formula("flow ~ sender(flow)", dyads, cities)


def _hand_design(frame, cities, terms):
    attr = cities.set_index("code")
    rows = []
    for a, b, d in zip(frame.city_a, frame.city_b, frame.dist):
        rows.append([1.0] + [attr.loc[a if side == "s" else b, var] for side, var in terms] + [d])
    return np.array(rows)


def _brute_meat(S, a, b):
    """Σ_d Σ_d' 1[d ∩ d' ≠ ∅] s_d s_d'ᵀ, plain loops over row pairs (quant.md §1.2)."""
    n, k = S.shape
    ends = [{a[d], b[d]} for d in range(n)]
    B = np.zeros((k, k))
    for d in range(n):
        partners = np.zeros(k)
        for e in range(n):
            if ends[d] & ends[e]:  # the two rows share a city (d itself included)
                partners += S[e]
        B += np.outer(S[d], partners)
    return B


def test_logit_fit_matches_statsmodels_and_brute_force(engine):
    from quant.models.dispatch import fit_connection

    cities, _, _ = make_project(engine)
    with store.session_scope(engine) as s:
        frame = directed_frame(s)
        city = qdata.city_frame(s)
    f, prepared, notes = prepare_directed_formula("tie ~ sender(log_pop) + receiver(gdp) + dist", frame, city)
    res = fit_connection(prepared, f, group="pair", n_nodes=N)
    X = _hand_design(frame, cities, [("s", "log_pop"), ("r", "gdp")])
    y = frame["tie"].to_numpy(dtype=float)
    ref = sm.Logit(y, X).fit(disp=0, tol=1e-12)
    np.testing.assert_allclose(res.params.to_numpy(), ref.params, rtol=1e-8, atol=1e-10)
    S = ref.model.score_obs(ref.params)
    Hinv = np.linalg.inv(ref.model.hessian(ref.params))
    V = Hinv @ _brute_meat(S, frame.city_a.to_numpy(), frame.city_b.to_numpy()) @ Hinv
    assert np.all(np.diag(V) > 0)
    np.testing.assert_allclose(res.cov["dyadic"], V, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(res.se["dyadic"].to_numpy(), np.sqrt(np.diag(V)), rtol=1e-7)


def test_ppml_dyadic_pair_grouping_equals_double_sum(engine):
    cities, _, _ = make_project(engine)
    with store.session_scope(engine) as s:
        frame = directed_frame(s)
    X = _hand_design(frame, cities, [("s", "log_pop"), ("r", "gdp")])
    y = frame["flow"].to_numpy(dtype=float)
    ref = sm.GLM(y, X, family=sm.families.Poisson()).fit(tol=1e-13)
    S = X * (y - ref.fittedvalues)[:, None]  # canonical link: s_d = x_d (y_d − μ_d)
    Hinv = np.linalg.inv(-(X.T * ref.fittedvalues) @ X)
    a, b = frame.city_a.to_numpy(), frame.city_b.to_numpy()
    brute = Hinv @ _brute_meat(S, a, b) @ Hinv
    got = dyadic_vcov(S, Hinv, a, b, group=frame["pair"].to_numpy(), n_nodes=N)
    np.testing.assert_allclose(got.cov, brute, rtol=1e-10, atol=1e-14)
    assert got.n_pairs == frame["pair"].nunique() < len(frame)
    # the group must be the unordered pair: grouping by ordered row is refused
    with pytest.raises(DyadError, match="exactly the rows of one unordered pair"):
        dyadic_vcov(S, Hinv, a, b, group=np.arange(len(frame)), n_nodes=N)


def _fit(frame, city, formula):
    from quant.models.dispatch import fit_connection

    f, prepared, _ = prepare_directed_formula(formula, frame, city)
    return fit_connection(prepared, f, group="pair", n_nodes=N)


def test_relabelling_nodes_and_swapping_columns(engine, tmp_path):
    cities, table, _ = make_project(engine)
    with store.session_scope(engine) as s:
        frame = directed_frame(s)
        city = qdata.city_frame(s)
    base = _fit(frame, city, "tie ~ sender(log_pop) + receiver(gdp) + dist")
    # relabel: new codes in reverse order (changes sort order, pair ids and node positions)
    relabel = {c: str(900000 - int(c)) for c in CODES}
    city2 = city.assign(code=city["code"].map(relabel))
    frame2 = frame.assign(city_a=frame.city_a.map(relabel), city_b=frame.city_b.map(relabel)).sample(frac=1, random_state=1)
    frame2["pair"] = frame2["pair"].map(lambda p: 1000 - p)
    other = _fit(frame2.reset_index(drop=True), city2, "tie ~ sender(log_pop) + receiver(gdp) + dist")
    np.testing.assert_allclose(other.params, base.params, rtol=1e-9)
    np.testing.assert_allclose(other.se["dyadic"], base.se["dyadic"], rtol=1e-9)
    # swap sender and receiver columns on loading, and swap the operators
    swapped = table.rename(columns={"from": "to", "to": "from"})
    eng2 = store.connect(tmp_path / "swapped.sqlite")
    with store.session_scope(eng2) as s:
        qdata.save_cities(s, cities)
        load_directed(s, swapped, a="from", b="to")
        frame3 = directed_frame(s)
        city3 = qdata.city_frame(s)
    eng2.dispose()
    third = _fit(frame3, city3, "tie ~ receiver(log_pop) + sender(gdp) + dist")
    np.testing.assert_allclose(third.params.to_numpy(), base.params.to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(third.se["dyadic"].to_numpy(), base.se["dyadic"].to_numpy(), rtol=1e-9)


def test_fold_sum_and_both_by_hand(engine):
    _, table, _ = make_project(engine)
    code = dict(zip(NAMES, CODES))
    by_order = {(code[s], code[r]): f for s, r, f in zip(table["from"], table["to"], table["flow"])}
    with store.session_scope(engine) as s:
        out = fold_directed(s, "flow", "sum", "flow_sum")
        fold_directed(s, "flow", "both", "flow_both")
        for how in ("max", "min", "mean", "either"):
            fold_directed(s, "flow", how, f"flow_{how}")
        with pytest.raises(QuantError, match="already has the dyad variable 'flow_sum'"):
            fold_directed(s, "flow", "max", "flow_sum")
        dyads = qdata.dyad_frame(s)
    pairs = {tuple(sorted(k)) for k in by_order}
    assert out["n_pairs"] == len(pairs) == len(dyads)
    for row in dyads.itertuples(index=False):
        v1, v2 = by_order.get((row.city_a, row.city_b)), by_order.get((row.city_b, row.city_a))
        assert row.flow_sum == (v1 or 0) + (v2 or 0)
        assert row.flow_both == float(v1 is not None and v2 is not None and v1 > 0 and v2 > 0)
        present = [v for v in (v1, v2) if v is not None]
        assert row.flow_max == max(present) and row.flow_min == min(present)
        assert row.flow_mean == pytest.approx(sum(present) / len(present), rel=1e-15)
        assert row.flow_either == float(any(v > 0 for v in present))


def test_cli_directed_load_and_fold(tmp_path, capsys):
    import cli

    cities = cities_table()
    table = pd.DataFrame({"收件地": ["广州市", "深圳", "广州市", "珠海市"], "受理地": ["深圳市", "广州市", "珠海", "深圳市"],
                          "files": ["5", "3", "0", "2"], "kind": ["a", "b", "a", "b"]})
    city_csv, dyad_csv = tmp_path / "cities.csv", tmp_path / "transfers.csv"
    cities.to_csv(city_csv, index=False)
    table.to_csv(dyad_csv, index=False)
    project = str(tmp_path / "p.sqlite")
    assert cli.main(["new", "--project", project]) == 0
    assert cli.main(["cities", "--project", project, str(city_csv)]) == 0
    capsys.readouterr()
    assert cli.main(["dyads", "--project", project, "--directed", "--a", "收件地", "--b", "受理地", str(dyad_csv)]) == 0
    out = capsys.readouterr().out
    assert "Loaded 4 directed dyads (收件地 → 受理地)" in out and "3 pairs of cities, 1 of them in both directions" in out
    assert "Text columns are not stored as directed dyad variables: kind. Load them as categories" in out
    assert cli.main(["dyads", "--project", project, "--fold", "files", "--how", "both", "--as", "mutual"]) == 0
    assert "into the dyad variable 'mutual' for 3 pairs" in capsys.readouterr().out
    assert cli.main(["dyads", "--project", project, "--fold", "files", "--how", "sum", "--as", "mutual"]) == 1
    assert "already has the dyad variable 'mutual'" in capsys.readouterr().err
    assert cli.main(["dyads", "--project", project, "--fold", "files", "--how", "sum", "--as", "total"]) == 0
    engine = store.connect(project)
    with store.session_scope(engine) as s:
        dyads = qdata.dyad_frame(s)
    engine.dispose()
    got = {(a, b): (m, t) for a, b, m, t in zip(dyads.city_a, dyads.city_b, dyads.mutual, dyads.total)}
    gz, sz, zh = CODES[0], CODES[1], CODES[2]
    assert got == {(gz, sz): (1.0, 8.0), (gz, zh): (0.0, 0.0), (sz, zh): (0.0, 2.0)}


def test_ppml_fit_with_reciprocal_matches_statsmodels_and_double_sum(engine):
    from quant.models.glm import fit_glm

    cities, table, _ = make_project(engine)
    with store.session_scope(engine) as s:
        frame = directed_frame(s)
        city = qdata.city_frame(s)
    f, prepared, notes = prepare_directed_formula("flow ~ sender(log_pop) + receiver(gdp) + dist + reciprocal(tie)",
                                                  frame, city)
    assert notes == [] and len(prepared.attrs["notes"]) == 1
    res = fit_glm(prepared, f, family="poisson", unit="dyad", group="pair", n_nodes=N)
    # by hand: keep the rows whose opposite ordering exists, its tie as a covariate
    code = dict(zip(NAMES, CODES))
    tie = {(code[a], code[b]): t for a, b, t in zip(table["from"], table["to"], table["tie"])}
    keep = [(a, b) in tie and (b, a) in tie for a, b in zip(frame.city_a, frame.city_b)]
    sub = frame[keep].reset_index(drop=True)
    X = np.column_stack([_hand_design(sub, cities, [("s", "log_pop"), ("r", "gdp")]),
                         [tie[(b, a)] for a, b in zip(sub.city_a, sub.city_b)]])
    y = sub["flow"].to_numpy(dtype=float)
    ref = sm.GLM(y, X, family=sm.families.Poisson()).fit(tol=1e-13)
    assert res.n == len(sub) < len(frame)
    np.testing.assert_allclose(res.params.to_numpy(), ref.params, rtol=1e-8, atol=1e-12)
    mu = np.exp(X @ ref.params)
    S = X * (y - mu)[:, None]
    Hinv = np.linalg.inv(-(X.T * mu) @ X)
    V = Hinv @ _brute_meat(S, sub.city_a.to_numpy(), sub.city_b.to_numpy()) @ Hinv
    np.testing.assert_allclose(res.cov["dyadic"], V, rtol=1e-7, atol=1e-12)


def test_text_columns_as_categories(engine):
    cities = cities_table()
    table = pd.DataFrame({"from": ["广州市", "深圳市", "珠海市", "广州市"], "to": ["深圳市", "广州市", "广州市", "珠海市"],
                          "kind": ["转办", "协办", "转办", ""], "files": [1, 2, 3, 4]})
    with store.session_scope(engine) as s:
        qdata.save_cities(s, cities)
        out = load_directed(s, table, a="from", b="to", text="categories")
        assert out.variables == ["kind", "files"] and out.warnings == []
        frame = directed_frame(s)
        city = qdata.city_frame(s)
        with pytest.raises(QuantError, match="'kind' is a category"):
            fold_directed(s, "kind", "sum", "k")
        with pytest.raises(QuantError, match=r"reciprocal\(kind\) needs a numeric dyad variable"):
            prepare_directed_formula("files ~ reciprocal(kind)", frame, city)
    got = dict(zip(zip(frame.city_a, frame.city_b), frame.kind))
    gz, sz, zh = CODES[:3]
    assert got[(gz, sz)] == "转办" and got[(sz, gz)] == "协办" and got[(zh, gz)] == "转办" and pd.isna(got[(gz, zh)])
    f, prepared, _ = prepare_directed_formula("files ~ C(kind)", frame, city)
    assert f == "files ~ C(kind)"


def test_raw_ids_and_sender_positions(engine):
    cities = cities_table()
    table = pd.DataFrame({"o": [int(CODES[0]), CODES[1], CODES[0]], "d": [CODES[1], CODES[0], CODES[2]],
                          "x": [1.5, None, 2.0]})
    with store.session_scope(engine) as s:
        qdata.save_cities(s, cities)
        with pytest.raises(UnknownCityError, match=r"1 city not in the project \(row 2 d: 999999\)"):
            load_directed(s, table.assign(d=[CODES[1], "999999", CODES[2]]), a="o", b="d", resolve=False)
        out = load_directed(s, table, a="o", b="d", resolve=False)
        frame = directed_frame(s)
    assert (out.n, out.n_pairs, out.n_both) == (3, 2, 1)
    assert list(zip(frame.city_a, frame.city_b)) == [(CODES[0], CODES[1]), (CODES[0], CODES[2]), (CODES[1], CODES[0])]
    assert frame.x.tolist()[0] == 1.5 and np.isnan(frame.x.tolist()[2]) and frame.x.tolist()[1] == 2.0
    assert frame.pair.tolist() == [0, 1, 0]
