"""Size of the span coder's payload for one section of a 1,000,000-character Chinese document.

Run from the repository root: ``python bench/code_payload.py [SHARED_DATA_DIR]``.

The text and its 5,000 codings are made as in ``bench/coding_scale.py`` (policy texts
repeated, 😀 and 𠀀 sprinkled in; no database needed). For sections of 10 to 100
paragraphs in the middle of the document it prints the bytes sent to the browser:

- before: the payload ``dict`` as Streamlit sends it (``json.dumps``, ASCII: six bytes per
  Chinese character), without paragraph marks;
- after: ``ui.pieces.wire`` of the payload with paragraph cuts and margin marks (compact
  UTF-8 JSON bytes, three bytes per Chinese character);

and the time to build it (best of 5).
"""
from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ui.pieces import build_payload, line_spans, wire  # noqa: E402

_spec = importlib.util.spec_from_file_location("coding_scale", ROOT / "bench" / "coding_scale.py")
scale = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(scale)  # its main() runs only as a script


def main() -> None:
    text = scale.source_text(scale.BIG)
    paragraphs = line_spans(text)
    codes = [{"id": i, "name": f"代码{i}", "colour": "#1f77b4"} for i in range(1, 15)]
    rows = scale.coding_rows(1, text, paragraphs, scale.CODINGS_BIG, [c["id"] for c in codes])
    codings = [{"id": k + 1, "start": r["start"], "end": r["end"], "code": r["code_id"], "colour": "#ff7f0e"}
               for k, r in enumerate(rows)]
    print(f"document: {len(text):,} code points, {len(paragraphs):,} paragraphs, {len(codings):,} codings")
    print(f"{'paragraphs':>10} {'characters':>10} {'before (B)':>11} {'after (B)':>10} {'ratio':>6} {'build ms':>9}")
    middle = len(paragraphs) // 2
    for per in (10, 20, 30, 50, 100):
        chunk = paragraphs[middle: middle + per]
        section = (chunk[0][0], chunk[-1][1])
        before = len(json.dumps(build_payload(text, codings, codes, section)).encode("utf-8"))
        best = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            data = wire(build_payload(text, codings, codes, section, paragraphs=chunk))
            best = min(best, time.perf_counter() - t0)
        print(f"{per:>10} {section[1] - section[0]:>10,} {before:>11,} {len(data):>10,} "
              f"{before / len(data):>6.2f} {best * 1000:>9.1f}")


if __name__ == "__main__":
    main()
