"""Documents page: import files, import a corrected version of a document (its codings are
re-anchored, never dropped), list the corpus with its versions, read a document by paragraph."""
import streamlit as st

import coding
import corpus
from corpus.readers import UPLOAD_TYPES
from ui import state

st.title("Documents")


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def _show_cleaning(cleaning: dict) -> None:
    """What the transcript cleaning removed and joined: counts, then the examples as they stood."""
    st.info(cleaning.get("short") or cleaning["summary"])
    examples = cleaning.get("examples") or {}
    if any(examples.values()):
        with st.expander("What was removed (examples)"):
            words = {"line_numbers": "Line numbers", "page_markers": "Page markers",
                     "running_lines": "Running headers and footers"}
            for kind, shown in examples.items():
                if shown:
                    st.caption(words.get(kind, kind))
                    st.text("\n".join(shown))


def _import_files(files, kind: str, language, encoding, clean: bool = False) -> None:
    """Import uploaded files one by one, showing for each what is being done (reading, then
    segmenting and finding place names) and the progress over the files."""
    n = len(files)
    bar = st.progress(0.0, text=f"0 of {n} file(s) imported")
    imported, failed = 0, []
    with st.status(f"Importing {n} file(s)…", expanded=True) as status:
        for i, f in enumerate(files, 1):
            status.update(label=f"File {i} of {n}: reading “{f.name}”…")
            read = state.attempt(corpus.read_bytes, f.getvalue(), f.name, encoding=encoding, clean_transcript=clean)
            if read is None:
                failed.append(f.name)
                continue
            status.update(label=f"File {i} of {n}: segmenting “{f.name}” ({len(read.text):,} characters) into "
                                f"paragraphs and sentences, finding place names…")

            def _import(session, upload=f):
                result = corpus.import_bytes(session, upload.getvalue(), upload.name, kind=kind, language=language,
                                             encoding=encoding, clean_transcript=clean)
                coding.record_import(session, result.document_id, coder=state.coder())
                return result

            result = state.write(_import)
            bar.progress(i / n, text=f"{i} of {n} file(s) done")
            if result is None:
                failed.append(f.name)
                continue
            imported += 1
            st.success(f"{result.name}: {_n(result.n_chars, 'character')} ({result.language}), "
                       f"{_n(result.n_paragraphs, 'paragraph')}, {_n(result.n_sentences, 'sentence')}, "
                       f"{_n(result.n_mentions, 'place mention')}.")
            if result.cleaning:
                _show_cleaning(result.cleaning)
            for w in result.warnings:
                st.warning(w)
        status.update(label=f"Imported {imported} of {n} file(s)" + (f"; not imported: {', '.join(failed)} "
                                                                      "(the reason is shown above)" if failed else "."),
                      state="error" if failed else "complete", expanded=True)


if state.can("project"):
    with st.expander("Import documents", expanded=False):
        with st.form("import_form", clear_on_submit=True):
            files = st.file_uploader("Files (.txt, .md, .docx, .odt, .rtf, .pdf, .html)", accept_multiple_files=True,
                                     type=UPLOAD_TYPES)
            c1, c2, c3 = st.columns(3)
            kind = c1.selectbox("Kind", ["interview", "field note", "policy"])
            language = c2.selectbox("Language", ["detect", "zh", "en"])
            encoding = c3.text_input("Encoding (optional override)", placeholder="detect")
            clean = st.checkbox("Clean transcript into utterances", value=False, key="import_clean",
                                help="Removes line numbers, page markers (“Page 3 of 12”, “第 3 页”) and running "
                                     "headers/footers, and joins hard-wrapped lines into utterances that start at "
                                     "speaker labels (“Q:”, “访谈者：”). What was removed is shown after the import.")
            go = st.form_submit_button("Import")
        if go and files:
            _import_files(files, kind, None if language == "detect" else language, encoding.strip() or None, clean)

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
            upload = st.file_uploader("Corrected file", type=UPLOAD_TYPES,
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
                st.dataframe(doubtful.assign(code=doubtful["code_id"].map(paths),
                                             method=doubtful["method"].astype(str).str.replace("_", " "))[
                                 ["code", "quote", "new_quote", "method", "status", "score", "coder", "coding_id"]],
                             hide_index=True, width="stretch", key="version_doubtful",
                             column_config={"coding_id": st.column_config.NumberColumn("Coding", width=60),
                                            "code": st.column_config.TextColumn("Code", width=150),
                                            "method": st.column_config.TextColumn("Placed by"),
                                            "status": st.column_config.TextColumn("Status"),
                                            "coder": st.column_config.TextColumn("Coder"),
                                            "score": st.column_config.NumberColumn("Similarity", format="%.2f",
                                                                                   width=60),
                                            "quote": st.column_config.TextColumn("Old passage", width=230),
                                            "new_quote": st.column_config.TextColumn("Placed on", width=230)})
            if st.button("Close the report", key="version_close"):
                st.session_state.pop("doc_version_report", None)
                st.rerun()

review = state.read(coding.codings_to_review)
if not review.empty:
    with st.expander(f"Codings to review after a new version ({len(review)})"):
        picked = st.dataframe(review[["document", "code", "quote", "status", "coder", "start", "end"]],
                              hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                              key="review_table",
                              column_config={"document": "Document", "code": "Code", "coder": "Coder",
                                             "status": "Status", "start": "From", "end": "To",
                                             "quote": st.column_config.TextColumn("Passage", width=300)})
        rows = list(picked.selection.rows) if picked and picked.selection else []
        if rows and st.button("Open in the document", key="review_open", icon=":material/open_in_new:"):
            st.session_state["code_doc"] = int(review["document_id"].iloc[rows[0]])
            st.session_state["selected_coding"] = int(review["id"].iloc[rows[0]])
            st.switch_page("ui/code.py")

listing = docs.assign(version=[f"superseded by {names.get(s, s)}" if s is not None else "current"
                               for s in docs["superseded_by"]])
st.dataframe(listing[["name", "version", "kind", "language", "n_chars", "n_codings", "illustrative"]],
             hide_index=True, width="stretch", key="doc_table",
             column_config={"name": st.column_config.TextColumn("Document", width=330),
                            "version": st.column_config.TextColumn("Version", width=250),
                            "kind": "Kind", "language": "Language",
                            "n_chars": st.column_config.NumberColumn("Characters", format="%d"),
                            "n_codings": st.column_config.NumberColumn("Codings"),
                            "illustrative": st.column_config.CheckboxColumn(
                                "Written for the demo", help="Texts the team wrote to illustrate the demo")})
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
