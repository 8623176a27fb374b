"""assist.search (issue 13): semantic search on the labelled set (tests/data/assist_labelled.tsv).
A query in one language finds its translation in the other in the top 3; "like this coding" leaves
the coding out and scores with the cosine computed here with numpy; the document, attribute, city,
dyad and uncoded filters keep exactly the units they should; bad input is one sentence. SQLite and
PostgreSQL (``engine`` fixture) for the cross-language test."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

import coding
import store
from assist import AssistError
from assist.encoder import encoder
from assist.search import RESULT_COLUMNS, search
from assist_labelled import build

ROOT = Path(__file__).resolve().parent.parent

# (query, the passage that translates it)
TRANSLATIONS = [
    ("Our city signed an agreement with neighbouring Foshan so that social insurance is recognised on both sides "
     "and people no longer have to travel back and forth.",
     "我们和隔壁佛山签了协议，两边的社保可以互认，老百姓不用来回跑。"),
    ("The statistical definition has a gap: temporary workers are counted as newly employed, so the figure "
     "jumps at once.",
     "统计口径有空子，把临时工也算进新增就业人数里，数字一下子就上去了。"),
    ("两个城市同意共用一座垃圾焚烧厂，而不是各建一座。",
     "The two cities agreed to share one waste incineration plant instead of building two."),
    ("指标只统计结案数量，所以工作人员今天结案，第二天又作为新案件重新立案。",
     "The indicator only counts how many cases were closed, so staff close a case and reopen it the next day as "
     "a new one."),
]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """The labelled set, every passage coded by 甲, with two cities and their dyad linked to codings."""
    path = tmp_path_factory.mktemp("search") / "p.sqlite"
    engine = store.connect(path)
    with store.session_scope(engine) as s:
        info = build(s)
        s.add_all([store.City(code="440100", name="广州市"), store.City(code="440600", name="佛山市"),
                   store.City(code="310000", name="上海市")])
        s.flush()
        codings = {(r.document_id, r.start): r.id for r in s.scalars(select(store.Coding))}
        jia = info["docs"]["访谈甲"]
        (f0, _e0), (f1, _e1) = info["gold"][("访谈甲", "Cooperate")]
        coding.link_city(s, codings[(jia, f0)], "440600")           # 佛山 directly
        coding.link_dyad(s, codings[(jia, f1)], "440100", "440600")  # the pair 广州–佛山
        (m0, _m), _ = info["gold"][("访谈丙", "Mark")]
        coding.link_city(s, codings[(info["docs"]["访谈丙"], m0)], "310000")
        s.get(store.Document, info["docs"]["Interview B"]).attributes = {"region": "north"}
        s.get(store.Document, info["docs"]["访谈丁"]).attributes = {"region": "south"}
        info["links"] = {"foshan": (jia, f0), "dyad": (jia, f1), "shanghai": (info["docs"]["访谈丙"], m0)}
    yield engine, info
    engine.dispose()


def test_cross_language_query_finds_its_translation_in_the_top_3(engine):
    with store.session_scope(engine) as s:
        build(s, code_documents=[])
        for query, translation in TRANSLATIONS:
            found = search(s, query, limit=3)
            assert list(found.columns) == RESULT_COLUMNS and list(found["rank"]) == [1, 2, 3]
            assert translation in list(found["text"]), (query, list(found["text"]))
            assert found["score"].is_monotonic_decreasing


def test_scores_are_the_cosine_and_like_coding_leaves_the_coding_out(project):
    engine, info = project
    enc = encoder()
    with store.session_scope(engine) as s:
        query = TRANSLATIONS[0][0]
        found = search(s, query, limit=32)
        assert len(found) == 32  # every sentence of the four documents
        q = enc.encode([query])[0]
        want = np.array([float(enc.encode([t])[0] @ q) for t in found["text"]])
        assert found["score"].to_numpy() == pytest.approx(want, abs=1e-5)
        assert list(found["score"]) == sorted(found["score"], reverse=True)
        c = s.scalars(select(store.Coding).where(store.Coding.document_id == info["docs"]["访谈丙"])
                      .order_by(store.Coding.start)).first()
        like = search(s, like_coding=c.id, limit=40)
        assert len(like) == 31 and not ((like["document_id"] == c.document_id) & (like["start"] == c.start)).any()
        q = enc.encode([c.quote])[0]
        assert like["score"].iloc[0] == pytest.approx(float(enc.encode([like["text"].iloc[0]])[0] @ q), abs=1e-5)
        assert like["codes"].iloc[0] == ["Mark 留痕"]  # the nearest other passage is another Mark passage


def test_filters(project):
    engine, info = project
    docs = info["docs"]
    q = "cooperation between two cities"
    with store.session_scope(engine) as s:
        only = search(s, q, documents=["访谈丁", docs["访谈甲"]], limit=50)
        assert set(only["document"]) == {"访谈丁", "访谈甲"} and len(only) == 16
        north = search(s, q, attributes={"region": "north"}, limit=50)
        assert set(north["document"]) == {"Interview B"}
        both = search(s, q, attributes={"region": ["north", "south"]}, limit=50)
        assert set(both["document"]) == {"Interview B", "访谈丁"}
        # 佛山: the coding linked to it and the one linked to the pair 广州–佛山
        foshan = search(s, q, cities=["佛山市"], limit=50)
        spans = {(d, st) for d, st in zip(foshan["document_id"], foshan["start"])}
        assert spans == {info["links"]["foshan"], info["links"]["dyad"]}
        assert len(search(s, q, cities="440100", limit=50)) == 1  # 广州 only through the pair
        pair = search(s, q, dyads=[("佛山市", "440100")], limit=50)
        assert [(d, st) for d, st in zip(pair["document_id"], pair["start"])] == [info["links"]["dyad"]]
        assert search(s, q, cities=["上海市"], dyads=[("440100", "440600")]).empty  # both must hold
        sh = search(s, q, cities=["上海市", "佛山市"], limit=50)
        assert len(sh) == 3  # alternatives
        uncoded = search(s, q, uncoded_only=True, limit=50)
        assert len(uncoded) == 8 and all(c == [] for c in uncoded["codes"])  # the neutral passages
        assert search(s, q, documents=[docs["访谈丁"]], attributes={"region": "north"}).empty


def test_bad_input_is_one_sentence(project):
    engine, _info = project
    with store.session_scope(engine) as s:
        with pytest.raises(AssistError, match="either a query or a coding"):
            search(s)
        with pytest.raises(AssistError, match="either a query or a coding"):
            search(s, "x", like_coding=1)
        with pytest.raises(AssistError, match="empty"):
            search(s, "   ")
        with pytest.raises(AssistError, match="Coding 99999 does not exist"):
            search(s, like_coding=99999)
        with pytest.raises(AssistError, match="Limit"):
            search(s, "x", limit=0)
        with pytest.raises(AssistError, match="Unit"):
            search(s, "x", unit="word")
        with pytest.raises(AssistError, match="Document '不存在' does not exist"):
            search(s, "x", documents=["不存在"])
        with pytest.raises(AssistError, match="City '北京市' is not in the project"):
            search(s, "x", cities=["北京市"])
        with pytest.raises(AssistError, match="at most 2000"):
            search(s, "长" * 2001)


def test_cli_semantic_search_json(tmp_path):
    path = tmp_path / "p.sqlite"
    engine = store.connect(path)
    with store.session_scope(engine) as s:
        build(s)
    engine.dispose()
    query, translation = TRANSLATIONS[2]
    out = subprocess.run([sys.executable, str(ROOT / "cli.py"), "semantic-search", "--project", str(path), query,
                          "--limit", "3", "--json"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["query"] == query and len(data["rows"]) == 3
    assert translation in [r["text"] for r in data["rows"]]
    assert set(data["rows"][0]) == set(RESULT_COLUMNS)
    bad = subprocess.run([sys.executable, str(ROOT / "cli.py"), "semantic-search", "--project", str(path)],
                         capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode != 0 and "--like-coding" in bad.stderr and "Traceback" not in bad.stderr


def test_cli_city_and_dyad_filters(project):
    engine, info = project
    path = engine.url.database
    base = [sys.executable, str(ROOT / "cli.py"), "semantic-search", "--project", path, "两个城市的合作", "--json"]
    foshan = json.loads(subprocess.run(base + ["--cities", "佛山市"], capture_output=True, text=True, cwd=ROOT).stdout)
    assert {(r["document_id"], r["start"]) for r in foshan["rows"]} == {info["links"]["foshan"], info["links"]["dyad"]}
    pair = json.loads(subprocess.run(base + ["--dyad", "440600", "广州市"], capture_output=True, text=True,
                                     cwd=ROOT).stdout)
    assert [(r["document_id"], r["start"]) for r in pair["rows"]] == [info["links"]["dyad"]]


def test_english_queries_find_the_real_chinese_policy_text(shared, tmp_path):
    """Real input: the five Chinese policy documents in ../shared/data/policy_docs. An English
    sentence written for this test from the State Council's rules finds the article it translates
    first; a question about the Beijing–Tianjin–Hebei social security card finds only that regulation
    in its top 3."""
    from corpus.importer import import_document

    folder = shared("policy_docs")
    engine = store.connect(tmp_path / "p.sqlite")
    with store.session_scope(engine) as s:
        for path in sorted(folder.glob("*.txt")):
            import_document(s, path, kind="policy")
        first = search(s, "Electronic licences and certificates have the same legal effect as paper ones.", limit=3)
        assert first["text"].iloc[0] == "电子证照与纸质证照具有同等法律效力。"
        card = search(s, "Social security cards can be used across Beijing, Tianjin and Hebei.", limit=3)
        assert all(d.startswith("03_北京市推进京津冀社会保障卡一卡通规定") for d in card["document"])
        rights = search(s, "The legal rights and property of market entities are protected by law.", limit=1)
        assert rights["text"].iloc[0] == "市场主体人身权利、财产权利和经营自主权受法律保护。"
    engine.dispose()
