"""How long importing a long document takes, stage by stage (prints figures; not a test).

Builds a 1,000,000-character Chinese text from the real policy documents and a
1,000,000-character English text from the real PDF transcripts (both repeated), then
times normalisation (with and without the position map), language detection,
segmentation (jieba + sentencizer / English sentencizer), place matching over the 155
cities, and the whole ``import_text`` into a fresh SQLite project.

Usage: ``python bench/import_speed.py [n_chars]`` (needs ../shared/data).
"""
from __future__ import annotations

import csv
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import store  # noqa: E402
from corpus import detect_language, import_text, normalise, normalise_with_map, segment  # noqa: E402
from corpus.places import PlaceMatcher  # noqa: E402
from corpus.segment import pipeline  # noqa: E402
from corpus.places import _char_nlp, _latin_nlp  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def timed(label: str, fn):
    t0 = time.perf_counter()
    out = fn()
    print(f"  {label:<34} {time.perf_counter() - t0:7.2f} s")
    return out


def long_text(paths: list[Path], n: int) -> str:
    base = "\n\n".join(p.read_text(encoding="utf-8") for p in paths)
    return normalise((base * (n // len(base) + 1))[:n])


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with open(SHARED / "cities" / "cities_southeast.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    cities = [{"code": r["adcode"], "name": r["name_zh"], "short_name": r["name_short_zh"], "pinyin": r["name_pinyin"]} for r in rows]
    print("one-off loading")
    timed("spaCy zh (jieba) + sentencizer", lambda: pipeline("zh")("预热。"))
    timed("spaCy en + sentencizer", lambda: pipeline("en")("Warm up."))
    timed("char/latin pipelines", lambda: (_char_nlp(), _latin_nlp()))
    matcher = timed("PlaceMatcher(155 cities)", lambda: PlaceMatcher(cities))
    texts = {
        "zh": long_text(sorted((SHARED / "policy_docs").glob("*.txt")), n),
        "en": long_text(sorted((SHARED / "transcripts" / "pdpilot").glob("P*.txt")), n),
    }
    for lang, text in texts.items():
        print(f"{lang}: {len(text):,} code points")
        crlf = text.replace("\n", "\r\n")
        timed("normalise (CRLF input)", lambda: normalise(crlf))
        timed("normalise_with_map (CRLF input)", lambda: normalise_with_map(crlf))
        timed("detect_language", lambda: detect_language(text))
        seg = timed("segment", lambda: segment(text, lang))
        print(f"  {'':<34} {len(seg.paragraphs):,} paragraphs, {len(seg.sentences):,} sentences")
        found = timed("PlaceMatcher.find", lambda: matcher.find(text))
        print(f"  {'':<34} {len(found):,} mentions")
        with tempfile.TemporaryDirectory() as tmp:
            engine = store.connect(Path(tmp) / "bench.sqlite")
            with store.session_scope(engine) as s:
                s.add_all(store.City(code=c["code"], name=c["name"], short_name=c["short_name"], pinyin=c["pinyin"]) for c in cities)

            def run():
                with store.session_scope(engine) as s:
                    return import_text(s, text, name=f"bench {lang}", kind="policy")

            result = timed("import_text (all stages + commit)", run)
            print(f"  {'':<34} {result.n_mentions:,} mentions stored")
            engine.dispose()


if __name__ == "__main__":
    main()
