"""A one-page app around the span coder, driven by tests/test_browser_span_coder.py.

Run: ``TANDEM_PROJECT=/tmp/h.sqlite python -m streamlit run tests/harness/span_coder_app.py``.
On first run it creates, in that project, one document holding 😀 and 𠀀 (U+20000) before
the phrase 跨城通办, a ``<script>`` line and an ``<img onerror>`` line (untrusted text that
must stay text), three codes (one named with an ``<img onerror>``) and three codings (two of them overlapping), writing codes
and codings with the ``coding`` package. Query
parameters: ``per`` (paragraphs per section, default 10) and ``section`` (0-based).
"""
from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
from sqlalchemy import select  # noqa: E402

import coding  # noqa: E402
import store  # noqa: E402
from ui.pieces import line_spans, section_bounds  # noqa: E402
from ui.span_coder import span_coder  # noqa: E402

DOC_NAME = "harness interview"
TEXT = (
    "访谈记录（示例，团队编写）😀\n"
    "第一段：苏州与上海的合作。\n"
    "受访者𠀀😀说：我们推进跨城通办，群众少跑腿。\n"
    "<script>window.__pwned=1</script>\n"
    '<img src=x onerror="window.__pwned=1">\n'
    "English line: cross-city services were piloted in 2019."
)
CODES = [("跨域合作", "#1f77b4"), ('Transfer <img src=x onerror="window.__pwned=2">', "#ff7f0e"), ("Barriers", "#2ca02c")]
SEED_CODINGS = [(0, "苏州与上海的合作"), (1, "通办，群众"), (2, "群众少跑腿")]  # (code index, quote)


@st.cache_resource(on_release=lambda engine: engine.dispose())
def get_engine(path: str):
    return store.connect(path)


def ensure_project(engine) -> None:
    """Create the document, codes and seed codings once (codes and codings through ``coding``)."""
    with store.session_scope(engine) as s:
        if s.scalar(select(store.Document.id).where(store.Document.name == DOC_NAME)) is not None:
            return
        doc = store.Document(
            name=DOC_NAME, kind="interview", language="zh", text=TEXT,
            text_sha256=hashlib.sha256(TEXT.encode("utf-8")).hexdigest(), n_chars=len(TEXT), illustrative=1,
        )
        s.add(doc)
        s.flush()
        code_ids = [coding.add_code(s, name, colour=colour) for name, colour in CODES]
        for index, quote in SEED_CODINGS:
            start = TEXT.index(quote)
            coding.add_coding(s, doc.id, start, start + len(quote), [code_ids[index]])


def add_codings(engine, doc_id: int, start: int, end: int, code_ids: list[int]) -> None:
    """The page's ``on_code`` handler: store one coding per code (code points)."""
    with store.session_scope(engine) as s:
        coding.add_coding(s, doc_id, start, end, code_ids)


def main() -> None:
    st.set_page_config(page_title="Span coder harness", layout="wide")
    engine = get_engine(os.environ["TANDEM_PROJECT"])
    ensure_project(engine)
    with store.session_scope(engine) as s:
        doc = s.scalars(select(store.Document).where(store.Document.name == DOC_NAME)).one()
        doc_id, text = doc.id, doc.text
        codes = [{"id": c.id, "name": c.name, "colour": c.colour}
                 for c in s.scalars(select(store.Code).where(store.Code.codable == 1)
                                    .order_by(store.Code.position, store.Code.id))]
        colour = {c["id"]: c["colour"] for c in codes}
        codings = [{"id": c.id, "start": c.start, "end": c.end, "code": c.code_id, "colour": colour[c.code_id]}
                   for c in s.scalars(select(store.Coding).where(store.Coding.document_id == doc_id))]

    per = int(st.query_params.get("per", 10))
    start, end, n_sections = section_bounds(line_spans(text), int(st.query_params.get("section", 0)), per)
    st.title("Span coder harness")
    st.caption(f"Section [{start}, {end}) of {n_sections}; {len(codings)} codings")

    def on_select(coding_id) -> None:
        st.session_state["selected_coding"] = coding_id

    span_coder(
        text, codings, codes, key=f"coder-{doc_id}", section=(start, end),
        on_code=lambda s, e, ids: add_codings(engine, doc_id, s, e, ids),
        on_select_coding=on_select, selected_coding=st.session_state.get("selected_coding"),
    )
    selected = st.session_state.get("selected_coding")
    st.text(f"Selected coding: {selected if selected is not None else 'none'}")


main()
