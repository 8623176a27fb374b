"""Wall-clock timings that used to be asserted inside unit tests (issue 14 part 5: no wall-clock
asserts in unit tests). The tests keep their correctness checks; this script measures the time.

Usage, from the repository root::

    python bench/unit_timings.py [--repeat N] [--only NAME ...]     # needs ../shared/data for two items

It prints one line per measurement: the median and the range of N runs (default 5; 3 for the slow
ones), and the bound the old test asserted, so a regression is visible at a glance. Every
measurement goes through Tandem's public functions (or the CLI), as the tests did:

==================  ==========================================================  ===========
name                what                                                        old bound
==================  ==========================================================  ===========
pieces_sweep        ``ui.pieces.build_pieces``: 5,000 codings over 300k chars   1.5 s
open_saved_run      ``mixed.run_joint.run_joint(load_run(...))`` per demo run   1.0 s (best)
queries_50k         ``coding.counts_by_city/_by_dyad`` + ``retrieve`` (50,000)  6 s
docx_bomb_child     importing a 3 GB-inflating .docx in a fresh interpreter     10 s
docx_bomb_cli       ``cli.py import`` of the same bomb                          60 s
qdpx_bomb_child     ``coding.import_codebook_qdc`` of a 512 MB-inflating .qdpx  10 s
long_line_200k      importing 200,000 code points of Chinese without punctuation 30 s
brackets_200k       importing an English line of 200,000 brackets (spaCy)        30 s
entity_expansion    ``read_codebook_qdc`` refusing a billion-laughs codebook     5 s
==================  ==========================================================  ===========

The child-process items include the interpreter's start and imports, as the tests measured them.
Results: bench/UNIT_TIMINGS.md.
"""
from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the hostile-archive builders of tests/test_hostile_inputs.py


def _stats(name: str, seconds: list[float], bound: str) -> None:
    med = statistics.median(seconds)
    print(f"{name:18s} median {med:8.3f} s   min {min(seconds):8.3f}   max {max(seconds):8.3f}   "
          f"(n={len(seconds)}; old test bound {bound})", flush=True)


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def pieces_sweep(repeat: int, _tmp: Path) -> None:
    from ui.pieces import build_pieces

    rng = random.Random(7)
    text = "我们推进跨城通办😀。" * 30_000
    codings = []
    for cid in range(5_000):
        s = rng.randrange(0, len(text) - 200)
        codings.append({"id": cid, "start": s, "end": s + rng.randint(5, 200), "code": 1, "colour": "#1f77b4"})
    _stats("pieces_sweep", [_timed(lambda: build_pieces(text, codings)) for _ in range(repeat)], "1.5 s")


def open_saved_run(repeat: int, tmp: Path) -> None:
    import store
    from data.demo.build import build_demo
    from mixed.run_joint import run_joint
    from quant.runs import saved as runs

    path = tmp / "demo.sqlite"
    build_demo(path)
    engine = store.connect(path, create=False)
    names = {"breadth": "广度 1", "connection": "connection 1", "degree": "degree 1"}
    with store.session_scope(engine) as s:
        for dim, name in names.items():
            runs.fit_and_save(s, name, dim, by="bench")
    for dim, name in names.items():
        times = []
        for _ in range(repeat):
            with store.session_scope(engine) as s:
                t0 = time.perf_counter()
                run_joint(s, runs.load_run(s, name))
                times.append(time.perf_counter() - t0)
        _stats(f"open_saved_run:{dim}", times, "1.0 s (best of 3)")
    engine.dispose()


def queries_50k(repeat: int, tmp: Path) -> None:
    from sqlalchemy import insert

    import coding
    import store

    n = 50_000
    text = "跨城通办" * 5_000
    engine = store.connect(tmp / "queries.sqlite")
    with store.session_scope(engine) as s:
        coding.ensure_default_codebook(s)
        mark = coding.code_id_by_name(s, "Mark")
        cities = [f"{i:06d}" for i in range(100, 255)]
        s.execute(insert(store.City), [{"code": c, "name": f"市{c}"} for c in cities])
        s.execute(insert(store.Dyad), [{"city_a": cities[i], "city_b": cities[i + 1]} for i in range(154)])
        doc = store.Document(name="big", kind="interview", language="zh", text=text, text_sha256="0" * 64,
                             n_chars=len(text))
        s.add(doc)
        s.flush()
        s.execute(insert(store.Segment), [{"document_id": doc.id, "kind": "paragraph", "idx": i + 1,
                                           "start": i * 100, "end": i * 100 + 100} for i in range(200)])
        s.execute(insert(store.Coding), [
            {"document_id": doc.id, "code_id": mark, "start": (i * 7) % 19_000, "end": (i * 7) % 19_000 + 4,
             "quote": "x", "guid": f"g{i}", "coder": f"coder{i // 19_000}"} for i in range(n)])
        s.execute(insert(store.CodingLink), [
            {"coding_id": i + 1, "city_code": cities[i % 155], "dyad_id": None} if i % 2
            else {"coding_id": i + 1, "city_code": None, "dyad_id": i % 154 + 1} for i in range(n)])

    def queries():
        with store.session_scope(engine) as s:
            coding.counts_by_city(s)
            coding.counts_by_dyad(s)
            coding.retrieve(s, city=cities[1])

    _stats("queries_50k", [_timed(queries) for _ in range(repeat)], "6 s")
    engine.dispose()


def _hostile_project(tmp: Path) -> Path:
    import coding
    import store
    from corpus.importer import import_text

    path = tmp / f"hostile-{time.monotonic_ns()}.sqlite"
    engine = store.connect(path)
    with store.session_scope(engine) as session:
        coding.ensure_default_codebook(session)
        import_text(session, "已有的一份访谈。", name="访谈A")
    engine.dispose()
    return path


def _child_seconds(project: Path, body: str) -> float:
    """Wall-clock of a fresh interpreter running ``body`` (as test_hostile_inputs._child, whole process)."""
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        import store
        engine = store.connect({str(project)!r})
        try:
            with store.session_scope(engine) as session:
                {textwrap.indent(body, " " * 16).strip()}
        except ValueError:
            pass
    """)
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=600)
    elapsed = time.perf_counter() - t0
    if done.returncode:
        raise SystemExit(done.stderr[-2000:])
    return elapsed


def _docx_bomb(tmp: Path) -> Path:
    from test_hostile_inputs import _CT, GB, _deflate_repeated, _small, _zip_raw

    path = tmp / "P1.docx"
    if not path.exists():
        payload, crc = _deflate_repeated(b"a", 3 * GB)
        _zip_raw(path, [_small("[Content_Types].xml", _CT), ("word/document.xml", payload, crc, 3 * GB, 8)])
    return path


def docx_bomb_child(repeat: int, tmp: Path) -> None:
    bomb, project = _docx_bomb(tmp), _hostile_project(tmp)
    body = f"from corpus.importer import import_document\nimport_document(session, {str(bomb)!r})"
    _stats("docx_bomb_child", [_child_seconds(project, body) for _ in range(repeat)], "10 s")


def docx_bomb_cli(repeat: int, tmp: Path) -> None:
    bomb, project = _docx_bomb(tmp), _hostile_project(tmp)
    cmd = [sys.executable, "cli.py", "import", "--project", str(project), str(bomb)]
    times = [_timed(lambda: subprocess.run(cmd, capture_output=True, cwd=ROOT, timeout=600)) for _ in range(repeat)]
    _stats("docx_bomb_cli", times, "60 s")


def qdpx_bomb_child(repeat: int, tmp: Path) -> None:
    from test_hostile_inputs import MB, _deflate_repeated, _zip_raw

    payload, crc = _deflate_repeated(b" ", 512 * MB)
    path = tmp / "team.qdpx"
    _zip_raw(path, [("project.qde", payload, crc, 512 * MB, 8)])
    project = _hostile_project(tmp)
    body = f"import coding\ncoding.import_codebook_qdc(session, {str(path)!r})"
    _stats("qdpx_bomb_child", [_child_seconds(project, body) for _ in range(repeat)], "10 s")


def _shared() -> Path:
    shared = ROOT.parent / "shared" / "data"
    if not shared.exists():
        raise SystemExit(f"{shared} is absent: long_line_200k and brackets_200k need the shared data")
    return shared


def long_line_200k(repeat: int, tmp: Path) -> None:
    import unicodedata

    src = "".join(p.read_text(encoding="utf-8") for p in sorted((_shared() / "policy_docs").glob("*.txt")))
    han = "".join(c for c in src if not c.isspace() and unicodedata.category(c)[0] not in "PZS")
    line = (han * (200_000 // len(han) + 1))[:200_000]
    path = tmp / "长行.txt"
    path.write_text(line, encoding="utf-8")
    times = []
    for _ in range(repeat):
        project = _hostile_project(tmp)
        times.append(_child_seconds(project, f"from corpus.importer import import_document\n"
                                             f"import_document(session, {str(path)!r})"))
    _stats("long_line_200k", times, "30 s")


def brackets_200k(repeat: int, tmp: Path) -> None:
    import csv

    import store

    line = "Officials from Wuxi said " + "(" * 100_000 + "'" * 100_000 + " Wuxi."
    path = tmp / "brackets.txt"
    path.write_text(line, encoding="utf-8")
    times = []
    for _ in range(repeat):
        project = _hostile_project(tmp)
        engine = store.connect(project)
        with open(_shared() / "cities" / "cities_southeast.csv", encoding="utf-8") as fh, \
                store.session_scope(engine) as s:
            for r in csv.DictReader(fh):
                s.add(store.City(code=r["adcode"], name=r["name_zh"], short_name=r["name_short_zh"],
                                 pinyin=r["name_pinyin"], province=r["province_zh"]))
        engine.dispose()
        times.append(_child_seconds(project, f"from corpus.importer import import_document\n"
                                             f"import_document(session, {str(path)!r}, language='en')"))
    _stats("brackets_200k", times, "30 s")


def entity_expansion(repeat: int, _tmp: Path) -> None:
    import coding
    from coding.errors import CodingError

    lol = ('<?xml version="1.0"?><!DOCTYPE CodeBook [<!ENTITY a "aaaaaaaaaa">'
           + "".join(f'<!ENTITY {chr(98 + k)} "{("&" + chr(97 + k) + ";") * 10}">' for k in range(9))
           + ']><CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code name="&j;" isCodable="true"/></Codes>'
           "</CodeBook>").encode()

    def refuse():
        try:
            coding.exchange.refi_codebook.read_codebook_qdc(lol)
        except CodingError:
            return
        raise SystemExit("the billion-laughs codebook was not refused")

    _stats("entity_expansion", [_timed(refuse) for _ in range(repeat)], "5 s")


ITEMS = {f.__name__: (f, slow) for f, slow in [
    (pieces_sweep, False), (open_saved_run, False), (queries_50k, False), (docx_bomb_child, True),
    (docx_bomb_cli, True), (qdpx_bomb_child, True), (long_line_200k, True), (brackets_200k, True),
    (entity_expansion, False),
]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (slow ones: at most 3)")
    parser.add_argument("--only", nargs="*", choices=sorted(ITEMS), help="measure only these")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tandem-unit-timings-") as tmp:
        for name in args.only or ITEMS:
            fn, slow = ITEMS[name]
            fn(min(args.repeat, 3) if slow else args.repeat, Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
