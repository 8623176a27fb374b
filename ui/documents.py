"""Documents page: import files, import a corrected version of a document (its codings are
re-anchored, never dropped), list the corpus with its versions, read a document by paragraph."""
import streamlit as st

import coding
import corpus
from ui import state

st.title("Documents")

if state.can("project"):
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

names = dict(zip(docs["id"], docs["name"]))
current = {i: n for i, n in names.items() if docs.set_index("id").loc[i, "superseded_by"] is None}
if state.can("project"):
    with st.expander("Import a corrected version of a document", expanded="doc_version_report" in st.session_state):
        st.caption("The stored text never changes once coded. A corrected text becomes a new document; every coding "
                   "moves to it, placed by its offsets, context or quote. Codings that cannot be placed exactly are "
                   "kept and marked for review; the old version stays, marked as superseded.")
        with st.form("version_form", clear_on_submit=True):
            old_id = st.selectbox("Document to replace", list(current), format_func=current.get, key="version_doc")
            upload = st.file_uploader("Corrected file", type=["txt", "md", "docx", "pdf", "html", "htm"],
                                      key="version_file")
            pasted = st.text_area("… or paste the corrected text", key="version_text", height=120)
            c1, c2, c3 = st.columns(3)
            new_name = c1.text_input("Name of the new version", placeholder="default: “<name> (v2)”", key="version_name")
            threshold = c2.slider("Fuzzy placement threshold", 0.5, 1.0, 0.8, 0.05, key="version_threshold",
                                  help="Lowest similarity for a quote found only approximately (such codings go to "
                                       "review); below it a coding stays unanchored, never deleted.")
            v_encoding = c3.text_input("Encoding (optional override)", placeholder="detect", key="version_encoding")
            go_version = st.form_submit_button("Import new version", type="primary", key="version_go")
        if go_version:
            if upload is not None:
                source = state.attempt(corpus.read_bytes, upload.getvalue(), upload.name,
                                       encoding=v_encoding.strip() or None)
            else:
                source = pasted if pasted.strip() else None
                if source is None:
                    st.error("Upload the corrected file or paste its text.")
            if source is not None:
                report = state.write(coding.import_new_version, old_id, source, name=new_name.strip() or None,
                                     coder=state.coder(), threshold=float(threshold))
                if report is not None:
                    st.session_state["doc_version_report"] = {
                        "old": names[old_id], "new": report.new_name, "counts": report.counts,
                        "frame": report.frame(), "warnings": list(report.warnings)}
                    st.rerun()
        shown = st.session_state.get("doc_version_report")
        if shown:
            frame = shown["frame"]
            placed = len(frame) - shown["counts"].get("unanchored", 0)
            st.success(f"{shown['new']} replaces {shown['old']}: {placed} of {len(frame)} coding(s) placed.")
            for warning in shown["warnings"]:
                st.warning(warning)
            methods = ["same_offsets", "context", "nearest_quote", "fuzzy", "unanchored"]
            cols = st.columns(len(methods))
            for col, method in zip(cols, methods):
                col.metric(method.replace("_", " "), shown["counts"].get(method, 0))
            doubtful = frame[frame["status"] != "anchored"]
            if not doubtful.empty:
                st.warning(f"{len(doubtful)} coding(s) need a look (kept on the new version; fix their span on the "
                           "Code page, which marks them anchored):")
                book = state.read(coding.codebook)
                paths = dict(zip(book["id"], book["path"]))
                st.dataframe(doubtful.assign(code=doubtful["code_id"].map(paths))[
                                 ["coding_id", "code", "method", "status", "score", "quote", "new_quote", "coder"]],
                             hide_index=True, width="stretch", key="version_doubtful",
                             column_config={"coding_id": st.column_config.NumberColumn("coding", width=60),
                                            "code": st.column_config.TextColumn("code", width=150),
                                            "score": st.column_config.NumberColumn("score", format="%.2f", width=60),
                                            "quote": st.column_config.TextColumn("old quote", width=230),
                                            "new_quote": st.column_config.TextColumn("placed on", width=230)})
            if st.button("Close the report", key="version_close"):
                st.session_state.pop("doc_version_report", None)
                st.rerun()

review = state.read(coding.codings_to_review)
if not review.empty:
    with st.expander(f"Codings to review after a new version ({len(review)})"):
        picked = st.dataframe(review[["id", "document", "code", "coder", "status", "start", "end", "quote"]],
                              hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                              key="review_table")
        rows = list(picked.selection.rows) if picked and picked.selection else []
        if rows and st.button("Open in the document", key="review_open", icon=":material/open_in_new:"):
            st.session_state["code_doc"] = int(review["document_id"].iloc[rows[0]])
            st.session_state["selected_coding"] = int(review["id"].iloc[rows[0]])
            st.switch_page("ui/code.py")

listing = docs.assign(version=[f"superseded by {names.get(s, s)}" if s is not None else "current"
                               for s in docs["superseded_by"]])
st.dataframe(listing[["name", "version", "kind", "language", "n_chars", "n_codings", "illustrative"]],
             hide_index=True, width="stretch", key="doc_table",
             column_config={"name": st.column_config.TextColumn("name", width=330),
                            "version": st.column_config.TextColumn("version", width=250),
                            "n_chars": st.column_config.NumberColumn("characters", format="%d"),
                            "n_codings": st.column_config.NumberColumn("codings")})
doc_id = st.selectbox("Read a document", list(names), format_func=lambda i: names[i], key="read_doc")
newer = docs.set_index("id").loc[doc_id, "superseded_by"]
if newer is not None:
    st.warning(f"This version was superseded by {names.get(newer, newer)}; its codings moved there.")
paras = state.read(coding.segments, doc_id, "paragraph")
per_page = 40
n_pages = max(1, -(-len(paras) // per_page))
page = st.number_input(f"Section (of {n_pages}, {per_page} paragraphs each)", 1, n_pages, 1) if n_pages > 1 else 1
chunk = paras.iloc[(page - 1) * per_page: page * per_page]
for row in chunk.itertuples():
    st.caption(f"¶ {row.idx}" + (f" · codes: {', '.join(row.codes)}" if getattr(row, "codes", None) else ""))
    st.text(row.text)
