"""Blind coding (coding.blind): two coders code the same documents; while the project is blind a
coder's session shows only their own codings, everywhere the library returns codings or counts of
them; an owner sees all; another coder's coding cannot be changed; agreement waits for the unblinding.

Hand-built project (cities A=310000 上海市, B=320500 苏州市, C=330500 湖州市). Offsets in D1
"苏州的领导说要多签协议。\\n\\n湖州和苏州之间其实没有检查。": 苏州的领导 [0, 5), 领导说要 [3, 7),
要多签协议 [6, 11).

====  ====  =======  ====  ===========  =====================
id    doc   passage  code  coder        links
====  ====  =======  ====  ===========  =====================
a1    D1    苏州的领导   信任    甲            city B
a2    D1    要多签协议   需求    甲            dyad A-B
a3    D2    外来人口很多  信任    甲            (none)
b1    D1    苏州的领导   信任    乙            city B, dyad B-C
b2    D1    领导说要    需求    乙            city C
====  ====  =======  ====  ===========  =====================

Memos: one on a1 by 甲, one on b1 by 乙, one on the project by 乙.

Counts by hand (a coding counts once per city, directly or through a dyad holding the city):
everyone: A 0 direct + 1 via (a2) = 1; B 2 direct (a1, b1) + 1 via (a2) = 3; C 1 direct (b2) +
1 via (b1) = 2.  甲 alone: A 0+1 = 1; B 1+1 = 2; C 0.  乙 alone: A 0; B 1+0 = 1 (b1's dyad B-C
holds B, but b1 already counts directly); C 1+1 = 2.
Overlaps of different codes: a1–b2 and b1–b2 (everyone: n_ab = 2); 甲 alone none; 乙 alone b1–b2.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

import coding
import store
import team
from coding import CodingError, blind
from coding.agreement import agreement, compare_coders
from coding.retrieval.cooccurrence import cooccurrence_table

A, B, C = "310000", "320500", "330500"
D1 = "苏州的领导说要多签协议。\n\n湖州和苏州之间其实没有检查。"
D2 = "上海来的外来人口很多，这是需求。"
ROOT = Path(__file__).resolve().parent.parent


def _doc(session, name, text):
    doc = store.Document(name=name, kind="interview", language="zh", text=text, text_sha256="0" * 64,
                         n_chars=len(text))
    session.add(doc)
    session.flush()
    pos = 0
    for idx, block in enumerate(text.split("\n\n"), start=1):
        session.add(store.Segment(document_id=doc.id, kind="paragraph", idx=idx, start=pos, end=pos + len(block)))
        pos += len(block) + 2
    session.flush()
    return doc.id


def _span(text, phrase):
    i = text.index(phrase)
    return i, i + len(phrase)


def build(session) -> dict:
    trust, need = coding.add_code(session, "信任"), coding.add_code(session, "需求")
    session.add_all([store.City(code=c, name=n) for c, n in ((A, "上海市"), (B, "苏州市"), (C, "湖州市"))])
    d1, d2 = _doc(session, "访谈一", D1), _doc(session, "访谈二", D2)
    ids = {"d1": d1, "d2": d2, "trust": trust, "need": need}
    ids["a1"] = coding.add_coding(session, d1, *_span(D1, "苏州的领导"), trust, coder="甲")[0]
    ids["a2"] = coding.add_coding(session, d1, *_span(D1, "要多签协议"), need, coder="甲")[0]
    ids["a3"] = coding.add_coding(session, d2, *_span(D2, "外来人口很多"), trust, coder="甲")[0]
    ids["b1"] = coding.add_coding(session, d1, *_span(D1, "苏州的领导"), trust, coder="乙")[0]
    ids["b2"] = coding.add_coding(session, d1, *_span(D1, "领导说要"), need, coder="乙")[0]
    coding.link_city(session, ids["a1"], B)
    coding.link_dyad(session, ids["a2"], A, B)
    coding.link_city(session, ids["b1"], B)
    coding.link_dyad(session, ids["b1"], B, C)
    coding.link_city(session, ids["b2"], C)
    coding.add_memo(session, "coding", ids["a1"], "甲的备忘", author="甲")
    coding.add_memo(session, "coding", ids["b1"], "乙的备忘", author="乙")
    coding.add_memo(session, "project", None, "项目备忘", author="乙")
    return ids


@pytest.fixture
def world(engine):
    with store.session_scope(engine) as s:
        ids = build(s)
        blind.set_blind(s, True, "Olga")
    return ids


def _as(engine, name, role="coder", **kw):
    """A session looking as ``name`` (the workbench's db() does this)."""
    class Scope:
        def __enter__(self):
            self.cm = store.session_scope(engine)
            s = self.cm.__enter__()
            blind.set_viewer(s, name, role, **kw)
            return s

        def __exit__(self, *exc):
            return self.cm.__exit__(*exc)
    return Scope()


def _cities(frame):
    return {c: (d, v, t) for c, d, v, t in frame[["city_code", "n_direct", "n_via_dyads", "n_total"]]
            .itertuples(index=False)}


def test_setting_records_who_switched_and_when(engine):
    with store.session_scope(engine) as s:
        assert blind.blind_state(s) == {"on": False, "by": None, "at": None, "log": []}
        blind.set_blind(s, True, "Olga")
        blind.set_blind(s, False, "Ｏｌｇａ")  # full-width: the canonical name is kept
    with store.session_scope(engine) as s:
        state = blind.blind_state(s)
    assert state["on"] is False and state["by"] == "Olga" and state["at"].endswith("+00:00")
    assert [(e["on"], e["by"]) for e in state["log"]] == [(True, "Olga"), (False, "Olga")]
    with store.session_scope(engine) as s, pytest.raises(CodingError, match="on .True. or off"):
        blind.set_blind(s, "yes", "Olga")


def test_coder_a_sees_only_her_codings_everywhere(engine, world):
    ids = world
    with _as(engine, "甲") as s:
        assert blind.viewer_filter(s) == "甲"
        got = coding.retrieve(s)
        assert sorted(got["coding_id"]) == sorted([ids["a1"], ids["a2"], ids["a3"]])
        assert set(got["coder"]) == {"甲"}
        assert got.set_index("coding_id").loc[ids["a1"], "cities"] == [B]
        assert coding.retrieval.queries.coders(s) == ["甲"]
        in_d1 = coding.codings_in_document(s, ids["d1"])
        assert list(in_d1["id"]) == [ids["a1"], ids["a2"]]
        assert _cities(coding.counts_by_city(s)) == {A: (0, 1, 1), B: (1, 1, 2), C: (0, 0, 0)}
        dyads = coding.counts_by_dyad(s)
        assert list(zip(dyads["city_a"], dyads["city_b"], dyads["n_codings"])) == [(A, B, 1)]
        matrix = coding.code_document_matrix(s)
        assert matrix.loc["信任", "访谈一"] == 1 and matrix.loc["信任", "访谈二"] == 1
        assert matrix.loc["需求", "访谈一"] == 1
        city_matrix = coding.code_city_matrix(s)
        assert city_matrix.loc["信任", B] == 1 and city_matrix.loc["需求", B] == 1 and city_matrix.loc["需求", A] == 1
        assert cooccurrence_table(s, unit="overlap").empty
        book = coding.codebook(s).set_index("name")
        assert (book.loc["信任", "n_codings"], book.loc["需求", "n_codings"]) == (2, 1)
        docs = coding.documents(s).set_index("name")
        assert (docs.loc["访谈一", "n_codings"], docs.loc["访谈二", "n_codings"]) == (2, 1)
        memos = coding.list_memos(s)
        assert sorted(memos["text"]) == sorted(["甲的备忘", "项目备忘"])  # 乙's memo on b1 is hidden
        assert s.scalar(select(func.count()).select_from(store.Coding)) == 3
        assert [k["city_code"] for k in coding.links_of(s, ids["a1"])] == [B]
        with pytest.raises(CodingError, match=f"Coding {ids['b1']} does not exist"):
            coding.links_of(s, ids["b1"])  # 乙's coding is not there for 甲


def test_coder_b_sees_only_his(engine, world):
    with _as(engine, "乙") as s:
        assert sorted(coding.retrieve(s)["coding_id"]) == sorted([world["b1"], world["b2"]])
        assert _cities(coding.counts_by_city(s)) == {A: (0, 0, 0), B: (1, 0, 1), C: (1, 1, 2)}
        dyads = coding.counts_by_dyad(s)
        assert list(zip(dyads["city_a"], dyads["city_b"], dyads["n_codings"])) == [(B, C, 1)]
        pairs = cooccurrence_table(s, unit="overlap")
        assert list(pairs["n_ab"]) == [1]


def test_owner_and_sessions_without_viewer_see_all(engine, world):
    everyone = {A: (0, 1, 1), B: (2, 1, 3), C: (1, 1, 2)}
    for scope in (_as(engine, "Olga", "owner", team=True), store.session_scope(engine)):
        with scope as s:
            assert blind.viewer_filter(s) is None
            assert len(coding.retrieve(s)) == 5
            assert _cities(coding.counts_by_city(s)) == everyone
            assert list(cooccurrence_table(s, unit="overlap")["n_ab"]) == [2]
            assert len(coding.list_memos(s)) == 3
    with _as(engine, "Olga", "owner", team=True, blind_self=True) as s:  # "code blind myself"
        assert blind.viewer_filter(s) == "Olga" and coding.retrieve(s).empty


def test_unblinding_shows_everything(engine, world):
    with store.session_scope(engine) as s:
        blind.set_blind(s, False, "Olga")
    with _as(engine, "甲") as s:
        assert blind.viewer_filter(s) is None
        assert len(coding.retrieve(s)) == 5 and coding.retrieval.queries.coders(s) == ["乙", "甲"]
        assert len(coding.codings_in_document(s, world["d1"])) == 4


def test_b_cannot_edit_or_delete_a_coding_of_a(engine, world):
    for writing in (False, True):
        with _as(engine, "乙", writing=writing) as s:
            with pytest.raises(CodingError, match="The project is blind: you may delete only your own codings"):
                coding.delete_coding(s, world["a1"], coder="乙")
            with pytest.raises(CodingError, match="you may edit only your own codings"):
                coding.update_coding(s, world["a2"], memo="改", coder="乙")
    with _as(engine, "乙", writing=True) as s:
        coding.delete_coding(s, world["b2"], coder="乙")  # his own: allowed
    with store.session_scope(engine) as s:
        rows = dict(s.execute(select(store.Coding.id, store.Coding.memo)).all())
    assert world["a1"] in rows and rows[world["a2"]] == "" and world["b2"] not in rows
    with store.session_scope(engine) as s:
        blind.set_blind(s, False, "Olga")
    with _as(engine, "乙", writing=True) as s:  # unblinded: the old rules (anyone may edit) again
        coding.update_coding(s, world["a2"], memo="改", coder="乙")


def test_a_team_coder_cannot_link_or_memo_a_hidden_coding(engine, world):
    with _as(engine, "乙", "coder", team=True, writing=True) as s:
        with pytest.raises(CodingError, match=f"Coding {world['a1']} does not exist"):
            coding.link_city(s, world["a1"], C, coder="乙")
        with pytest.raises(CodingError, match=f"{world['a1']}"):
            coding.add_memo(s, "coding", world["a1"], "看到了", author="乙")
        coding.link_city(s, world["b2"], A, coder="乙")  # his own: allowed
    with store.session_scope(engine) as s:
        links = s.execute(select(store.CodingLink.coding_id, store.CodingLink.city_code)
                          .where(store.CodingLink.city_code.is_not(None))).all()
    assert sorted(map(tuple, links)) == sorted([(world["a1"], B), (world["b1"], B), (world["b2"], C), (world["b2"], A)])


def test_reads_inside_a_write_see_every_coding_except_a_team_coders(engine, world):
    """A write (merge, re-anchor) must not leave hidden codings behind: in single-user mode and for an
    owner blind herself its reads are unfiltered; a team coder (who may neither merge nor re-anchor)
    reads as he reads, so a quantitized covariate he makes counts only his codings."""
    with _as(engine, "乙", writing=True) as s:
        assert len(coding.retrieve(s)) == 5
    with _as(engine, "Olga", "owner", team=True, blind_self=True, writing=True) as s:
        assert len(coding.retrieve(s)) == 5
    with _as(engine, "乙", "coder", team=True, writing=True) as s:
        assert sorted(coding.retrieve(s)["coding_id"]) == sorted([world["b1"], world["b2"]])
        assert _cities(coding.counts_by_city(s))[C] == (1, 1, 2)


def test_mixed_evidence_and_quantitized_counts_are_blind_too(engine, world):
    """Code that reads codings through the library (mixed.evidence, quant.data.quantitize) is blind at once."""
    from mixed.evidence import EvidenceIndex
    from quant.data.quantitize import quantitized_values

    with _as(engine, "甲") as s:
        index = EvidenceIndex.from_session(s)
        assert index.city(B) == ([world["a1"]], [world["a2"]])  # 乙's b1 (direct on B) is not evidence for 甲
        assert index.dyad(B, C) == []
        trust = quantitized_values(s, "信任").set_index("code")["value"].to_dict()
    assert trust == {A: 0, B: 1, C: 0}
    with store.session_scope(engine) as s:
        assert EvidenceIndex.from_session(s).city(B) == ([world["a1"], world["b1"]], [world["a2"]])
        assert quantitized_values(s, "信任").set_index("code")["value"].to_dict() == {A: 0, B: 2, C: 1}


def test_agreement_waits_for_the_owner_to_unblind(engine, world):
    with _as(engine, "甲") as s:
        with pytest.raises(CodingError) as err:
            agreement(s, ["甲", "乙"], unit="document", bootstrap=0)
        assert str(err.value) == "The project is blind: the owner unblinds it before agreement is computed."
        with pytest.raises(CodingError, match="The project is blind"):
            compare_coders(s, "访谈一", ["甲", "乙"])
    with _as(engine, "Olga", "owner", team=True) as s:
        table = agreement(s, ["甲", "乙"], unit="document", bootstrap=0)
    # by hand: the default documents are those each coder coded, only 访谈一 (乙 has nothing in 访谈二);
    # there both applied 信任 and 需求, so both codes agree in the one unit
    assert table.attrs["documents"] == ["访谈一"]
    rows = table.set_index("code")
    assert rows.loc["信任", "pct_agreement"] == pytest.approx(1.0) and rows.loc["需求", "pct_agreement"] == 1.0


def test_only_an_owner_switches_blind_coding_in_team_mode(engine, world):
    with _as(engine, "乙", "coder", team=True) as s, pytest.raises(CodingError, match="Only an owner"):
        blind.set_blind(s, False, "乙")
    with _as(engine, "乙", "coder", team=False) as s:  # single-user: whoever is at the machine
        assert blind.set_blind(s, False, "乙")["on"] is False


# ---------------------------------------------------------------- the workbench in team mode (AppTest)

PASSWORDS = {"Olga": "owner-pass-123", "Bo": "coder-pass-456", "Cai": "coder-pass-789"}
ROLES = {"Olga": "owner", "Bo": "coder", "Cai": "coder"}


@pytest.fixture(scope="module")
def team_project(tmp_path_factory) -> Path:
    """访谈一 coded by Bo (苏州的领导, 信任) and by Cai (其实没有检查, 需求); blind."""
    path = tmp_path_factory.mktemp("blind_ui") / "p.sqlite"
    engine = store.connect(path)
    with store.session_scope(engine) as s:
        trust, need = coding.add_code(s, "信任"), coding.add_code(s, "需求")
        d1 = _doc(s, "访谈一", D1)
        coding.add_coding(s, d1, *_span(D1, "苏州的领导"), trust, coder="Bo")
        coding.add_coding(s, d1, *_span(D1, "其实没有检查"), need, coder="Cai")
        for name, role in ROLES.items():
            team.add_user(s, name, PASSWORDS[name], role)
        blind.set_blind(s, True, "Olga")
    engine.dispose()
    return path


def _app(path, monkeypatch, name) -> AppTest:
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    monkeypatch.setenv("TANDEM_TEAM", "1")
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=120)
    at.run()
    fields = {t.label: t for t in at.text_input}
    fields["Name"].set_value(name)
    fields["Password"].set_value(PASSWORDS[name])
    next(b for b in at.button if b.label == "Log in").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _codings_table(at: AppTest):
    return next(d.value for d in at.dataframe if "Coder" in d.value.columns)


def test_code_page_shows_a_coder_only_her_codings(team_project, monkeypatch, tmp_path):
    path = tmp_path / "p.sqlite"
    shutil.copy(team_project, path)
    at = _app(path, monkeypatch, "Bo")
    at.switch_page("ui/code.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Blind coding is on: you see only your codings." in [i.value for i in at.info]
    table = _codings_table(at)
    assert list(table["Coder"]) == ["Bo"] and list(table["Passage"]) == ["苏州的领导"]
    history = "\n".join(d.value.to_string() for d in at.sidebar.dataframe)
    assert "苏州的领导" in history and "其实没有检查" not in history and "Cai" not in history
    at.switch_page("ui/agreement.py")
    at.run()
    assert "The project is blind: the owner unblinds it before agreement is computed." in [i.value for i in at.info]
    assert not at.toggle  # a coder cannot unblind
    at.switch_page("ui/project.py")
    at.run()
    assert {m.label: m.value for m in at.metric}["Codings"] == "1"


def test_owner_sees_all_codes_blind_herself_and_unblinds(team_project, monkeypatch, tmp_path):
    path = tmp_path / "p.sqlite"
    shutil.copy(team_project, path)
    at = _app(path, monkeypatch, "Olga")
    at.switch_page("ui/code.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert sorted(_codings_table(at)["Coder"]) == ["Bo", "Cai"]
    at.checkbox(key="code_blind_self").check()
    at.run()
    assert "Blind coding is on: you see only your codings." in [i.value for i in at.info]
    assert not [d for d in at.dataframe if "Coder" in d.value.columns]  # Olga has no codings
    assert "No codings in this document yet" in " ".join(i.value for i in at.info)
    at.checkbox(key="code_blind_self").uncheck()
    at.switch_page("ui/agreement.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.toggle(key="agr_blind").value is True
    at.toggle(key="agr_blind").set_value(False)
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    engine = store.connect(path)
    with store.session_scope(engine) as s:
        state = blind.blind_state(s)
    engine.dispose()
    assert state["on"] is False and state["by"] == "Olga"
    assert list(at.dataframe[0].value["Code"])[-1] == "(all codes, pooled)"  # agreement is computed now
    engine = store.connect(path)  # switched on again elsewhere: the page follows and does not switch it back
    with store.session_scope(engine) as s:
        blind.set_blind(s, True, "Olga")
    at.run()
    with store.session_scope(engine) as s:
        assert blind.blind_state(s)["on"] is True
    engine.dispose()
    assert at.toggle(key="agr_blind").value is True


def test_single_user_coder_box_sets_the_view_and_anyone_may_unblind(team_project, monkeypatch, tmp_path):
    path = tmp_path / "p.sqlite"
    shutil.copy(team_project, path)
    monkeypatch.setenv("TANDEM_PROJECT", str(path))
    monkeypatch.delenv("TANDEM_TEAM", raising=False)
    at = AppTest.from_file(str(ROOT / "workbench.py"), default_timeout=120)
    at.run()
    at.sidebar.text_input(key="tandem_coder").set_value("Cai")
    at.switch_page("ui/code.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert list(_codings_table(at)["Passage"]) == ["其实没有检查"]
    at.switch_page("ui/agreement.py")
    at.run()
    assert "The project is blind: the owner unblinds it before agreement is computed." in [i.value for i in at.info]
    assert "In single-user mode anyone at this machine may switch it." in " ".join(c.value for c in at.caption)
    revision = at.session_state["tandem_revision"]
    engine = store.connect(path)  # switched off elsewhere (another tab): this session's cached reads must go
    with store.session_scope(engine) as s:
        blind.set_blind(s, False, "Olga")
    engine.dispose()
    at.switch_page("ui/code.py")
    at.run()
    assert at.session_state["tandem_revision"] > revision
    assert sorted(_codings_table(at)["Coder"]) == ["Bo", "Cai"]
    assert "Blind coding is on: you see only your codings." not in [i.value for i in at.info]


def _cli_parser():
    """A parser holding only the blind command, as cli.py's ``add`` builds sub-commands."""
    import argparse

    from commands import blind as blind_cmd

    parser = argparse.ArgumentParser(prog="tandem")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name, func, help_text):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--project", required=True)
        p.set_defaults(func=func)
        return p

    blind_cmd.register(add)
    return parser


def test_command_line_switches_and_reports(tmp_path, monkeypatch):
    import json

    path = tmp_path / "p.sqlite"
    engine = store.connect(path)
    with store.session_scope(engine) as s:
        build(s)
    engine.dispose()
    parser = _cli_parser()

    def run(*argv):
        args = parser.parse_args(["blind", "--project", str(path), *argv])
        return args.func(args)

    assert run() == "Blind coding is off (it was never switched on)."
    assert run("on", "--by", "Olga").startswith("Blind coding is on: coders see only their own codings (switched on "
                                                "by Olga at ")
    out = json.loads(run("status", "--json"))
    assert out["on"] is True and out["by"] == "Olga" and [e["on"] for e in out["log"]] == [True]
    monkeypatch.setenv("TANDEM_CODER", "甲")
    assert "switched off by 甲" in run("off")
    from commands.common import CliError

    with pytest.raises(CliError, match="holds a line break"):
        run("on", "--by", "bad\nname")
    engine = store.connect(path)
    with store.session_scope(engine) as s:
        assert blind.blind_state(s)["on"] is False  # the refused switch wrote nothing
    engine.dispose()
