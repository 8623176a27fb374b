"""Documents page: import files, list the corpus, read a document by paragraph."""
import streamlit as st

import coding
import corpus
from ui import state

st.title("Documents")

with st.expander("Import documents", expanded=False):
    with st.form("import_form", clear_on_submit=True):
        files = st.file_uploader("Files (.txt, .md, .docx, .pdf, .html)", accept_multiple_files=True,
                                 type=["txt", "md", "docx", "pdf", "html", "htm"])
        c1, c2, c3 = st.columns(3)
        kind = c1.selectbox("Kind", ["interview", "field note", "policy"])
        language = c2.selectbox("Language", ["detect", "zh", "en"])
        encoding = c3.text_input("Encoding (optional override)", placeholder="detect")
        go = st.form_submit_button("Import")
    if go and files:
        def _import(session, f):
            result = corpus.import_bytes(session, f.getvalue(), f.name, kind=kind,
                                         language=None if language == "detect" else language,
                                         encoding=encoding.strip() or None)
            coding.record_import(session, result.document_id, coder=state.coder())
            return result

        for f in files:
            result = state.write(_import, f)
            if result is not None:
                msg = (f"{result.name}: {result.n_chars:,} characters ({result.language}), "
                       f"{result.n_paragraphs} paragraphs, {result.n_sentences} sentences, "
                       f"{result.n_mentions} place mentions.")
                st.success(msg)
                for w in result.warnings:
                    st.warning(w)

docs = state.read(coding.documents)
if docs.empty:
    st.info("No documents yet: import interview transcripts, field notes or policy documents above.")
    st.stop()

st.dataframe(docs.drop(columns=[c for c in ("id",) if c in docs.columns]), hide_index=True, width="stretch")

names = dict(zip(docs["id"], docs["name"]))
doc_id = st.selectbox("Read a document", list(names), format_func=lambda i: names[i], key="read_doc")
paras = state.read(coding.segments, doc_id, "paragraph")
per_page = 40
n_pages = max(1, -(-len(paras) // per_page))
page = st.number_input(f"Section (of {n_pages}, {per_page} paragraphs each)", 1, n_pages, 1) if n_pages > 1 else 1
chunk = paras.iloc[(page - 1) * per_page: page * per_page]
for row in chunk.itertuples():
    st.caption(f"¶ {row.idx}" + (f" · codes: {', '.join(row.codes)}" if getattr(row, "codes", None) else ""))
    st.text(row.text)
