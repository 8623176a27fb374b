"""Timing of coding at scale: a 1,000,000-character Chinese document and 50,000 codings.

Run from the repository root: ``python bench/coding_scale.py [SHARED_DATA_DIR]``.

Builds a throw-away SQLite project with the public tools (``corpus.import_text`` for the
documents, so paragraphs, sentences and place mentions are real; ``store`` rows for the
bulk of codings and links, which ``coding.add_coding`` would write one by one):

- one document of exactly 1,000,000 code points, made of the Chinese policy texts in
  ``../shared/data/policy_docs`` repeated (with 😀 and 𠀀 sprinkled in so that offsets are
  not all BMP), carrying 5,000 codings;
- 45 further documents of 20,000 code points with 1,000 codings each, so the project holds
  50,000 codings, each linked to a city (70 %) or a dyad (30 %) of the 155 cities in
  ``../shared/data/cities/cities_southeast.csv``.

Then it prints best and median wall-clock milliseconds of several repetitions for:

1. the server side of showing one section (30 paragraphs) of the big document, as
   ``ui/code.py`` does it: ``coding.segments``, ``coding.document_text``,
   ``coding.codings_in_document`` and ``ui.pieces.build_payload`` (target < 300 ms), with
   a per-step breakdown, and (1b) the same payload when the paragraph bounds come from one
   SQL query of ``store.Segment`` instead of ``coding.segments``;
2. storing one new coding in the big document and returning: ``coding.add_coding`` in its
   own transaction, committed (target < 300 ms);
3. opening the code × city matrix over the 50,000 codings (``coding.code_city_matrix``,
   target < 500 ms); the other matrices, co-occurrence and a corpus search for context.
"""
from __future__ import annotations

import csv
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

import coding  # noqa: E402
import corpus  # noqa: E402
import store  # noqa: E402
from ui.pieces import build_payload  # noqa: E402

SHARED = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"
BIG = 1_000_000
SMALL, N_SMALL = 20_000, 45
CODINGS_BIG, CODINGS_SMALL = 5_000, 1_000
PER_SECTION = 30
rng = random.Random(20240601)


def timed(label: str, fn, repeat: int = 7, target_ms: float | None = None):
    times, out = [], None
    for k in range(repeat):
        start = time.perf_counter()
        out = fn(k)
        times.append((time.perf_counter() - start) * 1000)
    verdict = "" if target_ms is None else ("  [ok]" if statistics.median(times) < target_ms
                                            else f"  [ABOVE TARGET {target_ms:.0f} ms]")
    print(f"{label}: best {min(times):.1f} ms, median {statistics.median(times):.1f} ms over {repeat}{verdict}")
    return out


def source_text(n: int) -> str:
    """``n`` code points of Chinese policy text (blank-line paragraphs), emoji and 𠀀 added."""
    folder = SHARED / "policy_docs"
    pieces = [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))] if folder.is_dir() else []
    if not pieces:
        pieces = ["第一条　为了推进政务服务“一网通办”，提高行政效能，制定本规定。\n\n第二条　本市与周边城市加强合作。"]
    paras = [p.strip() for doc in pieces for p in doc.replace("\r\n", "\n").split("\n") if p.strip()]
    out, size, k = [], 0, 0
    while size < n:
        para = paras[k % len(paras)]
        if k % 7 == 3:
            para = para[:10] + "😀" + para[10:]
        if k % 11 == 5:
            para = "𠀀" + para
        out.append(para)
        size += len(para) + 2
        k += 1
    return "\n\n".join(out)[:n]


def cities() -> list[dict]:
    path = SHARED / "cities" / "cities_southeast.csv"
    if path.exists():
        with path.open(encoding="utf-8") as f:
            return [{"code": r["adcode"], "name": r["name_zh"], "short_name": r["name_short_zh"],
                     "pinyin": r["name_pinyin"]} for r in csv.DictReader(f)]
    return [{"code": str(100000 + k), "name": f"测{k}市", "short_name": None, "pinyin": None} for k in range(155)]


def coding_rows(doc_id: int, text: str, paragraphs: list[tuple[int, int]], n: int, codes: list[int]) -> list[dict]:
    rows = []
    while len(rows) < n:
        a, b = paragraphs[rng.randrange(len(paragraphs))]
        if b - a < 4:
            continue
        s = rng.randrange(a, b - 2)
        e = min(b, s + rng.randint(4, 160))
        if not text[s:e].strip():
            continue
        rows.append({"document_id": doc_id, "code_id": rng.choice(codes), "start": s, "end": e,
                     "quote": text[s:e], "prefix": text[max(0, s - 32):s], "suffix": text[e:e + 32],
                     "coder": rng.choice(["r1", "r2"]), "memo": "", "status": "anchored"})
    return rows


def build(engine) -> tuple[int, list[int]]:
    with store.session_scope(engine) as s:
        s.add_all([store.City(**c) for c in cities()])
        s.flush()
        coding.ensure_default_codebook(s)
        codable = [int(i) for i, ok in zip(coding.codebook(s)["id"], coding.codebook(s)["codable"]) if ok]
    started = time.perf_counter()
    docs = []
    with store.session_scope(engine) as s:
        big = corpus.import_text(s, source_text(BIG), name="big policy corpus", kind="policy", language="zh")
        docs.append(big.document_id)
        base = source_text(BIG)
        for k in range(N_SMALL):
            start = (k * 9_973) % (BIG - SMALL)
            piece = base[start:start + SMALL].strip()
            docs.append(corpus.import_text(s, piece, name=f"doc {k:02d}", kind="policy", language="zh").document_id)
    print(f"setup: imported {len(docs)} documents ({big.n_chars:,} + {N_SMALL} x ~{SMALL:,} code points, "
          f"{big.n_paragraphs:,} paragraphs in the big one) in {time.perf_counter() - started:.1f} s")
    with store.session_scope(engine) as s:
        rows = []
        for k, doc_id in enumerate(docs):
            text = coding.document_text(s, doc_id)
            paras = [(int(a), int(b)) for a, b in s.execute(select(store.Segment.start, store.Segment.end).where(
                store.Segment.document_id == doc_id, store.Segment.kind == "paragraph"))]
            rows += coding_rows(doc_id, text, paras, CODINGS_BIG if k == 0 else CODINGS_SMALL, codable)
        s.execute(insert(store.Coding), rows)
        ids = list(s.scalars(select(store.Coding.id)))
        city_codes = [c["code"] for c in cities()]
        pairs = set()
        while len(pairs) < 600:
            a, b = rng.sample(city_codes, 2)
            pairs.add((min(a, b), max(a, b)))
        s.execute(insert(store.Dyad), [{"city_a": a, "city_b": b} for a, b in sorted(pairs)])
        dyads = list(s.scalars(select(store.Dyad.id)))
        links = [{"coding_id": i, "city_code": rng.choice(city_codes), "dyad_id": None, "origin": "manual"}
                 if rng.random() < 0.7 else {"coding_id": i, "city_code": None, "dyad_id": rng.choice(dyads),
                                             "origin": "manual"} for i in ids]
        s.execute(insert(store.CodingLink), links)
        print(f"setup: {len(ids):,} codings ({CODINGS_BIG:,} in the big document), {len(links):,} links, "
              f"{len(dyads)} dyads")
    return docs[0], codable


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = store.connect(Path(tmp) / "bench.sqlite")
        big, codable = build(engine)
        book = None
        with store.session_scope(engine) as s:
            book = coding.codebook(s)
        codes = [{"id": int(r.id), "name": r.name, "colour": r.colour} for r in book.itertuples() if r.codable]

        def section(k: int) -> dict:
            with store.session_scope(engine) as s:
                paragraphs = coding.segments(s, big, "paragraph")
                n_sections = -(-len(paragraphs) // PER_SECTION)
                idx = (n_sections // 2 + k) % n_sections
                chunk = paragraphs.iloc[idx * PER_SECTION:(idx + 1) * PER_SECTION]
                bounds = (int(chunk["start"].iloc[0]), int(chunk["end"].iloc[-1]))
                text = coding.document_text(s, big)
                found = coding.codings_in_document(s, big)
                return build_payload(text, [{"id": int(r.id), "start": int(r.start), "end": int(r.end),
                                             "code": int(r.code_id), "colour": r.colour}
                                            for r in found.itertuples()], codes, bounds)

        payload = timed("1. section payload (segments + text + codings_in_document + build_payload)", section,
                        target_ms=300)
        print(f"   -> {len(payload['pieces'])} pieces, {len(payload['codings'])} codings in the section "
              f"[{payload['section'][0]:,}, {payload['section'][1]:,})")

        def section_bounds_only(k: int) -> dict:
            with store.session_scope(engine) as s:
                spans = s.execute(select(store.Segment.start, store.Segment.end).where(
                    store.Segment.document_id == big, store.Segment.kind == "paragraph")
                    .order_by(store.Segment.start)).all()
                n_sections = -(-len(spans) // PER_SECTION)
                idx = (n_sections // 2 + k) % n_sections
                chunk = spans[idx * PER_SECTION:(idx + 1) * PER_SECTION]
                text = coding.document_text(s, big)
                found = coding.codings_in_document(s, big)
                return build_payload(text, [{"id": int(r.id), "start": int(r.start), "end": int(r.end),
                                             "code": int(r.code_id), "colour": r.colour}
                                            for r in found.itertuples()], codes, (chunk[0][0], chunk[-1][1]))

        alt = timed("1b. same payload, paragraph bounds by one SQL query instead of coding.segments",
                    section_bounds_only, target_ms=300)
        assert section_bounds_only(0) == section(0)  # the same payload either way
        del alt
        with store.session_scope(engine) as s:
            text = coding.document_text(s, big)
            paras = coding.segments(s, big, "paragraph")[["start", "end"]].to_numpy()
        for label, fn in (("   segments(paragraph)", lambda s: coding.segments(s, big, "paragraph")),
                          ("   document_text", lambda s: coding.document_text(s, big)),
                          ("   codings_in_document", lambda s: coding.codings_in_document(s, big))):
            def step(_k, fn=fn):
                with store.session_scope(engine) as s:
                    fn(s)
            timed(label, step, repeat=5)

        def store_one(k: int) -> int:
            a, b = (int(v) for v in paras[(len(paras) // 3 + 17 * k) % len(paras)])
            with store.session_scope(engine) as s:
                return coding.add_coding(s, big, a, min(b, a + 12), codable[k % len(codable)], coder="bench")[0]

        timed("2. store one new coding (add_coding + commit)", store_one, target_ms=300)

        def matrix(fn):
            def run(_k):
                with store.session_scope(engine) as s:
                    return fn(s)
            return run

        m = timed("3. code x city matrix, 50,000 codings (counts, via dyads)",
                  matrix(lambda s: coding.code_city_matrix(s)), target_ms=500)
        print(f"   -> {m.shape[0]} codes x {m.shape[1]} cities, {int(m.to_numpy().sum()):,} coding-city pairs")
        timed("   code x city, include_subcodes + presence",
              matrix(lambda s: coding.code_city_matrix(s, include_subcodes=True, measure="presence")), repeat=5)
        timed("   code x document", matrix(lambda s: coding.code_document_matrix(s)), repeat=5)
        timed("   code x dyad", matrix(lambda s: coding.code_dyad_matrix(s)), repeat=5)
        timed("   co-occurrence (overlap)", matrix(lambda s: coding.cooccurrence_matrix(s)), repeat=3)
        timed("   co-occurrence (paragraph)", matrix(lambda s: coding.cooccurrence_matrix(s, unit="paragraph")),
              repeat=3)
        hits = timed("   search '通办' over the corpus (folded)", matrix(lambda s: coding.search(s, "通办")), repeat=3)
        print(f"   -> {len(hits):,} hits in {len(text) + N_SMALL * SMALL:,} code points (approx.)")

        def run_rule(kind, pattern, documents=None):
            def run(_k):
                with store.session_factory(engine)() as s:  # rolled back: nothing is kept
                    rid = coding.add_rule(s, codable[0], kind, pattern, unit="sentence")
                    n = coding.run_rules(s, rid, documents)
                    s.rollback()
                    return n
            return run

        n = timed("   run_rules keywords 通办|政务服务 (sentence unit) over the corpus",
                  run_rule("keywords", ["通办", "政务服务"]), repeat=3)
        print(f"   -> {n:,} suggestions")
        spacy_rule = run_rule("spacy", [{"TEXT": "政务"}, {"TEXT": "服务"}], big)
        for label in ("cold: jieba tokenizes the document", "warm: tokens kept for the next rule"):
            start = time.perf_counter()
            n = spacy_rule(0)
            print(f"   run_rules spaCy [政务][服务] on the 1M document, {label}: "
                  f"{(time.perf_counter() - start) * 1000:.0f} ms -> {n:,} suggestions")
        engine.dispose()


if __name__ == "__main__":
    main()
