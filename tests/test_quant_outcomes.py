"""An agreement list becomes a complete 0/1 outcome over all pairs, never overwriting silently."""
from __future__ import annotations

import pytest

import store
from quant.data import project as qdata
from quant.data.agreements import fold_agreements
from quant.data.cities import standard_cities
from quant.errors import QuantError
from quant.data.outcomes import save_agreement_outcome


@pytest.fixture
def loaded(engine, shared):
    cities = standard_cities(shared("cities", "cities_southeast.csv"))
    with store.session_scope(engine) as s:
        qdata.save_cities(s, cities)
        folded, report = fold_agreements(shared("dyads", "tongban_agreement_events_from_news.csv"),
                                         qdata.city_resolver(s))
    return engine, folded


def test_outcomes_agreements_fill_every_pair(loaded):
    engine, folded = loaded
    with store.session_scope(engine) as s:
        out = save_agreement_outcome(s, folded)
        dyads = qdata.dyad_frame(s)
    assert out["n_pairs"] == 155 * 154 // 2 == len(dyads)
    listed = set(zip(folded["city_a"], folded["city_b"]))
    assert out["n_connected"] == len(listed) == int(dyads["connection"].sum())
    ones = set(zip(dyads.loc[dyads["connection"] == 1, "city_a"], dyads.loc[dyads["connection"] == 1, "city_b"]))
    assert ones == listed
    assert ("320400", "320900") in ones  # 常州–盐城 from the 武进 agreement
    assert dyads["connection"].isin([0, 1]).all()


def test_outcomes_refuse_to_overwrite_then_replace(loaded):
    engine, folded = loaded
    with store.session_scope(engine) as s:
        save_agreement_outcome(s, folded)
    with store.session_scope(engine) as s:
        with pytest.raises(QuantError, match="already has 'connection'"):
            save_agreement_outcome(s, folded)
        other = save_agreement_outcome(s, folded.iloc[:3], outcome="news_agreement")
        assert other["n_connected"] == 3
        again = save_agreement_outcome(s, folded.iloc[:2], replace=True)
        assert again["n_connected"] == 2
        assert int(qdata.dyad_frame(s)["connection"].sum()) == 2
