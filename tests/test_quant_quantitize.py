"""Quantitized codes: city and dyad variables from codings, checked against a brute-force count
over the stored rows (codings, their code's ancestors, links), their recorded construction, use
in a specification, staleness and refusals."""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from sqlalchemy import select

import coding
import store
from quant.data import project as qdata
from quant.runs.analysis import fit_dimension
from quant.errors import QuantError
from quant.data.quantitize import (INFO_KEY, constructions, delete_quantitized, quantitize, quantitized_status,
                              quantitized_values)
from quant.runs.specs import load_spec, save_spec
from quant_small_project import build

TEXT = "甲乙丙丁戊己庚辛壬癸" * 20


@pytest.fixture
def coded(engine):
    """The small project plus 40 codings of Mark, Mark/Partner count and Hole, linked at random to
    cities and dyads (some to both, some to none)."""
    cities, dyads = build(engine)
    rng = np.random.default_rng(3)
    with store.session_scope(engine) as s:
        coding.ensure_default_codebook(s)
        mark = coding.code_id_by_name(s, "Mark")
        sub = coding.add_code(s, "Partner count", parent_id=mark)
        hole = coding.code_id_by_name(s, "Hole")
        doc = store.Document(name="notes", kind="interview", language="zh", text=TEXT, text_sha256="0" * 64,
                             n_chars=len(TEXT))
        s.add(doc)
        s.flush()
        codes = [mark, sub, hole]
        codes_list = cities["code"].tolist()
        for k in range(40):
            cid = coding.add_coding(s, doc.id, 5 * k, 5 * k + 3, codes[k % 3])[0]
            if rng.random() < 0.6:
                coding.link_city(s, cid, codes_list[rng.integers(0, 12)])
            if rng.random() < 0.5:
                a, b = rng.choice(12, 2, replace=False)
                coding.link_dyad(s, cid, codes_list[a], codes_list[b])
    return engine, {"mark": mark, "sub": sub, "hole": hole}


def _brute(session, code_id, level, via_dyads, include_subcodes):
    """Distinct codings per city / dyad by loops over the stored rows."""
    parent = dict(session.execute(select(store.Code.id, store.Code.parent_id)).all())

    def under(c):
        while c is not None:
            if c == code_id:
                return True
            c = parent[c] if include_subcodes else None
        return False

    code_of = dict(session.execute(select(store.Coding.id, store.Coding.code_id)).all())
    dyad_of = {i: (a, b) for i, a, b in session.execute(select(store.Dyad.id, store.Dyad.city_a, store.Dyad.city_b))}
    seen = defaultdict(set)
    for link in session.scalars(select(store.CodingLink)):
        if not under(code_of[link.coding_id]):
            continue
        if level == "city":
            if link.city_code is not None:
                seen[link.city_code].add(link.coding_id)
            elif via_dyads:
                for c in dyad_of[link.dyad_id]:
                    seen[c].add(link.coding_id)
        elif link.dyad_id is not None:
            seen[dyad_of[link.dyad_id]].add(link.coding_id)
    return {k: len(v) for k, v in seen.items()}


@pytest.mark.parametrize("level,via,subs", [("city", True, True), ("city", False, True), ("city", True, False),
                                            ("dyad", True, True), ("dyad", True, False)])
def test_values_equal_brute_force_counts(coded, level, via, subs):
    engine, ids = coded
    with store.session_scope(engine) as s:
        expected = _brute(s, ids["mark"], level, via, subs)
        for measure in ("count", "presence"):
            got = quantitized_values(s, ids["mark"], level=level, measure=measure, via_dyads=via, include_subcodes=subs)
            keys = got["code"] if level == "city" else list(zip(got["city_a"], got["city_b"]))
            want = [expected.get(k, 0) for k in keys]
            if measure == "presence":
                want = [int(v > 0) for v in want]
            assert got["value"].tolist() == want
            assert len(got) == (30 if level == "city" else 435)
        assert sum(expected.values()) > 2  # the fixture links enough codings to matter


def test_variable_is_stored_recorded_and_usable_in_a_spec(coded):
    engine, ids = coded
    with store.session_scope(engine) as s:
        rec = quantitize(s, "Mark")
        drec = quantitize(s, ids["hole"], level="dyad", measure="presence", name="hole_dyad")
        assert rec["name"] == "q_mark_count" and rec["code"] == "Behaviour/Mark" and rec["include_subcodes"]
        assert drec["via_dyads"] is None and drec["n_units"] == 435
    with store.session_scope(engine) as s:
        cities = qdata.city_frame(s)
        expected = _brute(s, ids["mark"], "city", True, True)
        assert cities.set_index("code")["q_mark_count"].to_dict() == {c: float(expected.get(c, 0)) for c in cities["code"]}
        assert rec["n_nonzero"] == sum(1 for v in expected.values() if v > 0)
        assert set(constructions(s)) == {"q_mark_count", "hole_dyad"}
        assert s.get(store.ProjectInfo, INFO_KEY).value["hole_dyad"]["measure"] == "presence"
        res = fit_dimension(s, "connection", formula="connection ~ sum(q_mark_count) + log_distance")
        assert "sum_q_mark_count" in res.params.index
        if qdata.dyad_frame(s).query("hole_dyad == 1")["connection"].max() == 0:  # few coded dyads, all non-ties
            with pytest.raises(ValueError, match="separation of 'connection' by 'hole_dyad'"):
                fit_dimension(s, "connection", formula="connection ~ hole_dyad + log_distance")
        spec = save_spec(s, "with codes", "connection", "logit", "connection ~ sum(q_mark_count) + log_distance")
        assert set(spec["options"]["quantitized"]) == {"q_mark_count"}
        assert load_spec(s, "with codes")["options"]["quantitized"]["q_mark_count"]["code_id"] == ids["mark"]


def test_status_turns_stale_when_codings_change_and_rebuild(coded):
    engine, ids = coded
    with store.session_scope(engine) as s:
        quantitize(s, "Mark", level="city")
    with store.session_scope(engine) as s:
        assert quantitized_status(s)["current"].tolist() == [True]
        doc = s.scalar(select(store.Document.id))
        cid = coding.add_coding(s, doc, 150, 153, ids["sub"])[0]
        coding.link_city(s, cid, "129")
    with store.session_scope(engine) as s:
        assert quantitized_status(s)["current"].tolist() == [False]
        with pytest.raises(QuantError, match="exists already"):
            quantitize(s, "Mark")
        rec = quantitize(s, "Mark", replace=True)
        assert qdata.city_frame(s).set_index("code").loc["129", "q_mark_count"] >= 1
        assert quantitized_status(s)["current"].tolist() == [True] and rec["total"] >= 1


def test_refusals_are_one_sentence(coded):
    engine, ids = coded
    with store.session_scope(engine) as s:
        with pytest.raises(QuantError, match="loaded city variable 'log_pop'"):
            quantitize(s, "Mark", name="log_pop")
        with pytest.raises(QuantError, match="cannot name a variable"):
            quantitize(s, "Mark", name="2bad")
        with pytest.raises(QuantError, match="Level 'region'"):
            quantitize(s, "Mark", level="region")
        with pytest.raises(QuantError, match="Measure 'share'"):
            quantitize(s, "Mark", measure="share")
        with pytest.raises(ValueError, match="No code"):
            quantitize(s, "Nonexistent code")
        quantitize(s, "Mark", name="qm")
        delete_quantitized(s, "qm")
        assert "qm" not in constructions(s) and "qm" not in qdata.city_frame(s).columns
        with pytest.raises(QuantError, match="not a quantitized variable"):
            delete_quantitized(s, "log_pop")
