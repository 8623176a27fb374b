"""Documents page: import files, import a corrected version of a document (its codings are
re-anchored, never dropped), list the corpus with its versions, read a document by paragraph."""
import streamlit as st

import coding
import corpus
from corpus.readers import UPLOAD_TYPES
from i18n import N_, _
from ui import state
from ui.cleaning_text import cleaning_sentence

#: Document kinds (stored values) and how they are shown; languages the import may be told.
KINDS = ["interview", "field note", "policy"]
KIND_LABELS = {"interview": N_("interview"), "field note": N_("field note"), "policy": N_("policy")}
IMPORT_LANGUAGES = ["detect", "zh", "en"]
LANGUAGE_LABELS = {"detect": N_("detect")}
#: How re-anchoring placed a coding (reanchor methods) and where it stands (coding status).
METHODS = ["same_offsets", "context", "nearest_quote", "fuzzy", "unanchored"]
METHOD_LABELS = {"same_offsets": N_("same offsets"), "context": N_("context"), "nearest_quote": N_("nearest quote"),
                 "fuzzy": N_("fuzzy"), "unanchored": N_("unanchored")}
STATUS_LABELS = {"anchored": N_("anchored"), "review": N_("review"), "unanchored": N_("unanchored")}
CLEANING_LABELS = {"line_numbers": N_("Line numbers"), "page_markers": N_("Page markers"),
                   "running_lines": N_("Running headers and footers")}

st.title(_("Documents"))


def _label(labels: dict, value) -> str:
    """``value`` shown through ``labels`` (translated), or as stored when it has no label."""
    return _(labels[value]) if value in labels else str(value)


def _counted(count: int, one: str, many: str) -> str:
    """``count`` with its noun: ``one``/``many`` are marked templates with ``{n}``."""
    return (_(one) if count == 1 else _(many)).format(n=f"{count:,}")


def _show_cleaning(filename: str, cleaning: dict) -> None:
    """What the transcript cleaning removed and joined: counts, then the examples as they stood."""
    st.info(cleaning_sentence(filename, cleaning))
    examples = cleaning.get("examples") or {}
    if any(examples.values()):
        with st.expander(_("What was removed (examples)")):
            for kind, shown in examples.items():
                if shown:
                    st.caption(_label(CLEANING_LABELS, kind))
                    st.text("\n".join(shown))


def _import_files(files, kind: str, language, encoding, clean: bool = False) -> None:
    """Import uploaded files one by one, showing for each what is being done (reading, then
    segmenting and finding place names) and the progress over the files."""
    n = len(files)
    bar = st.progress(0.0, text=_("0 of {n} file(s) imported").format(n=n))
    imported, failed = 0, []
    with st.status(_("Importing {n} file(s)…").format(n=n), expanded=True) as status:
        for i, f in enumerate(files, 1):
            status.update(label=_("File {i} of {n}: reading “{file}”…").format(i=i, n=n, file=f.name))
            read = state.attempt(corpus.read_bytes, f.getvalue(), f.name, encoding=encoding, clean_transcript=clean)
            if read is None:
                failed.append(f.name)
                continue
            status.update(label=_("File {i} of {n}: segmenting “{file}” ({chars} characters) into paragraphs and "
                                  "sentences, finding place names…").format(i=i, n=n, file=f.name,
                                                                            chars=f"{len(read.text):,}"))

            def _import(session, upload=f):
                result = corpus.import_bytes(session, upload.getvalue(), upload.name, kind=kind, language=language,
                                             encoding=encoding, clean_transcript=clean)
                coding.record_import(session, result.document_id, coder=state.coder())
                return result

            result = state.write(_import)
            bar.progress(i / n, text=_("{i} of {n} file(s) done").format(i=i, n=n))
            if result is None:
                failed.append(f.name)
                continue
            imported += 1
            st.success(_("{name}: {characters} ({language}), {paragraphs}, {sentences}, {mentions}.").format(
                name=result.name, language=result.language,
                characters=_counted(result.n_chars, N_("{n} character"), N_("{n} characters")),
                paragraphs=_counted(result.n_paragraphs, N_("{n} paragraph"), N_("{n} paragraphs")),
                sentences=_counted(result.n_sentences, N_("{n} sentence"), N_("{n} sentences")),
                mentions=_counted(result.n_mentions, N_("{n} place mention"), N_("{n} place mentions"))))
            if result.cleaning:
                _show_cleaning(f.name, result.cleaning)
            for w in result.warnings:
                st.warning(w)
        done = (_("Imported {imported} of {n} file(s); not imported: {failed} (the reason is shown above)")
                .format(imported=imported, n=n, failed=", ".join(failed)) if failed
                else _("Imported {imported} of {n} file(s).").format(imported=imported, n=n))
        status.update(label=done, state="error" if failed else "complete", expanded=True)


if state.can("project"):
    with st.expander(_("Import documents"), expanded=False):
        with st.form(key="import_form", clear_on_submit=True):
            files = st.file_uploader(_("Files (.txt, .md, .docx, .odt, .rtf, .pdf, .html)"), accept_multiple_files=True,
                                     type=UPLOAD_TYPES)
            c1, c2, c3 = st.columns(3)
            kind = c1.selectbox(_("Kind"), KINDS, format_func=lambda k: _label(KIND_LABELS, k))
            language = c2.selectbox(_("Language"), IMPORT_LANGUAGES, format_func=lambda v: _label(LANGUAGE_LABELS, v))
            encoding = c3.text_input(_("Encoding (optional override)"), placeholder=_("detect"))
            clean = st.checkbox(_("Clean transcript into utterances"), value=False, key="import_clean",
                                help=_("Removes line numbers, page markers (“Page 3 of 12”, “第 3 页”) and running "
                                       "headers/footers, and joins hard-wrapped lines into utterances that start at "
                                       "speaker labels (“Q:”, “访谈者：”). What was removed is shown after the import."))
            go = st.form_submit_button(_("Import"))
        if go and files:
            _import_files(files, kind, None if language == "detect" else language, encoding.strip() or None, clean)

docs = state.read(coding.documents)
if docs.empty:
    st.info(_("No documents yet: import interview transcripts, field notes or policy documents above."))
    st.stop()

names = dict(zip(docs["id"], docs["name"]))
current = {i: n for i, n in names.items() if docs.set_index("id").loc[i, "superseded_by"] is None}
if state.can("project"):
    with st.expander(_("Import a corrected version of a document"), expanded="doc_version_report" in st.session_state):
        st.caption(_("The stored text never changes once coded. A corrected text becomes a new document; every coding "
                     "moves to it, placed by its offsets, context or quote. Codings that cannot be placed exactly are "
                     "kept and marked for review; the old version stays, marked as superseded."))
        with st.form(key="version_form", clear_on_submit=True):
            old_id = st.selectbox(_("Document to replace"), list(current), format_func=current.get, key="version_doc")
            upload = st.file_uploader(_("Corrected file"), type=UPLOAD_TYPES,
                                      key="version_file")
            pasted = st.text_area(_("… or paste the corrected text"), key="version_text", height=120)
            c1, c2, c3 = st.columns(3)
            new_name = c1.text_input(_("Name of the new version"), placeholder=_("default: “<name> (v2)”"),
                                     key="version_name")
            threshold = c2.slider(_("Fuzzy placement threshold"), 0.5, 1.0, 0.8, 0.05, key="version_threshold",
                                  help=_("Lowest similarity for a quote found only approximately (such codings go to "
                                         "review); below it a coding stays unanchored, never deleted."))
            v_encoding = c3.text_input(_("Encoding (optional override)"), placeholder=_("detect"),
                                       key="version_encoding")
            go_version = st.form_submit_button(_("Import new version"), type="primary", key="version_go")
        if go_version:
            if upload is not None:
                source = state.attempt(corpus.read_bytes, upload.getvalue(), upload.name,
                                       encoding=v_encoding.strip() or None)
            else:
                source = pasted if pasted.strip() else None
                if source is None:
                    st.error(_("Upload the corrected file or paste its text."))
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
            st.success(_("{new} replaces {old}: {placed} of {n} coding(s) placed.").format(
                new=shown["new"], old=shown["old"], placed=placed, n=len(frame)))
            for warning in shown["warnings"]:
                st.warning(warning)
            cols = st.columns(len(METHODS))
            for col, method in zip(cols, METHODS):
                col.metric(_label(METHOD_LABELS, method), shown["counts"].get(method, 0))
            doubtful = frame[frame["status"] != "anchored"]
            if not doubtful.empty:
                st.warning(_("{n} coding(s) need a look (kept on the new version; fix their span on the Code page, "
                             "which marks them anchored):").format(n=len(doubtful)))
                book = state.read(coding.codebook)
                paths = dict(zip(book["id"], book["path"]))
                st.dataframe(doubtful.assign(code=doubtful["code_id"].map(paths),
                                             method=[_label(METHOD_LABELS, m) for m in doubtful["method"]],
                                             status=[_label(STATUS_LABELS, s) for s in doubtful["status"]])[
                                 ["code", "quote", "new_quote", "method", "status", "score", "coder", "coding_id"]],
                             hide_index=True, width="stretch", key="version_doubtful",
                             column_config={"coding_id": st.column_config.NumberColumn(_("Coding"), width=60),
                                            "code": st.column_config.TextColumn(_("Code"), width=150),
                                            "method": st.column_config.TextColumn(_("Placed by")),
                                            "status": st.column_config.TextColumn(_("Status")),
                                            "coder": st.column_config.TextColumn(_("Coder")),
                                            "score": st.column_config.NumberColumn(_("Similarity"), format="%.2f",
                                                                                   width=60),
                                            "quote": st.column_config.TextColumn(_("Old passage"), width=230),
                                            "new_quote": st.column_config.TextColumn(_("Placed on"), width=230)})
            if st.button(_("Close the report"), key="version_close"):
                st.session_state.pop("doc_version_report", None)
                st.rerun()

review = state.read(coding.codings_to_review)
if not review.empty:
    with st.expander(_("Codings to review after a new version ({n})").format(n=len(review))):
        shown_review = review.assign(status=[_label(STATUS_LABELS, s) for s in review["status"]])
        picked = st.dataframe(shown_review[["document", "code", "quote", "status", "coder", "start", "end"]],
                              hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
                              key="review_table",
                              column_config={"document": _("Document"), "code": _("Code"), "coder": _("Coder"),
                                             "status": _("Status"), "start": _("From"), "end": _("To"),
                                             "quote": st.column_config.TextColumn(_("Passage"), width=300)})
        rows = list(picked.selection.rows) if picked and picked.selection else []
        if rows and st.button(_("Open in the document"), key="review_open", icon=":material/open_in_new:"):
            st.session_state["code_doc"] = int(review["document_id"].iloc[rows[0]])
            st.session_state["selected_coding"] = int(review["id"].iloc[rows[0]])
            st.switch_page("ui/code.py")

listing = docs.assign(version=[_("superseded by {name}").format(name=names.get(s, s)) if s is not None else _("current")
                               for s in docs["superseded_by"]],
                      kind=[_label(KIND_LABELS, k) for k in docs["kind"]])
st.dataframe(listing[["name", "version", "kind", "language", "n_chars", "n_codings", "illustrative"]],
             hide_index=True, width="stretch", key="doc_table",
             column_config={"name": st.column_config.TextColumn(_("Document"), width=330),
                            "version": st.column_config.TextColumn(_("Version"), width=250),
                            "kind": _("Kind"), "language": _("Language"),
                            "n_chars": st.column_config.NumberColumn(_("Characters"), format="%d"),
                            "n_codings": st.column_config.NumberColumn(_("Codings")),
                            "illustrative": st.column_config.CheckboxColumn(
                                _("Written for the demo"), help=_("Texts the team wrote to illustrate the demo"))})
doc_id = st.selectbox(_("Read a document"), list(names), format_func=lambda i: names[i], key="read_doc")
newer = docs.set_index("id").loc[doc_id, "superseded_by"]
if newer is not None:
    st.warning(_("This version was superseded by {name}; its codings moved there.").format(
        name=names.get(newer, newer)))
paras = state.read(coding.segments, doc_id, "paragraph")
per_page = 40
n_pages = max(1, -(-len(paras) // per_page))
section_label = _("Section (of {n_pages}, {per_page} paragraphs each)").format(n_pages=n_pages, per_page=per_page)
page = st.number_input(section_label, 1, n_pages, 1) if n_pages > 1 else 1
chunk = paras.iloc[(page - 1) * per_page: page * per_page]
for row in chunk.itertuples():
    codes = getattr(row, "codes", None)
    st.caption(_("¶ {n} · codes: {codes}").format(n=row.idx, codes=", ".join(codes)) if codes else f"¶ {row.idx}")
    st.text(row.text)
