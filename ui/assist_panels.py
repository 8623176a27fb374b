"""Pieces of the private assistant (issue 13) shared by the Semantic search and Suggestions pages:
preparing the embeddings with a progress bar, the review queue with origin/score/example columns,
the "From coded examples" form, the leave-one-document-out evaluation and the optional local LLM.

The library is :mod:`assist` (``embed``, ``search``, ``suggest``, ``evaluate``, ``llm``); it is
imported when a panel is drawn, so a page still runs (with one sentence) where it is absent.
Nothing here runs SQL: every read and write is a library call through :mod:`ui.state`.
"""
from __future__ import annotations

import importlib
import re
from typing import Any

import pandas as pd
import streamlit as st

import coding
from coding.spreadsheet import to_csv_bytes
from i18n import N_, _, pgettext
from ui import state

#: Where a suggestion came from (stored value -> label on screen).
ORIGINS = {"rule": N_("rule"), "encoder": N_("sentence encoder"), "llm": N_("LLM")}
#: Text units the assistant embeds and suggests.
UNITS = {"sentence": N_("Sentences"), "paragraph": N_("Paragraphs")}
#: Codes need this many human codings before the encoder suggests from them.
MIN_EXAMPLES = 3
#: Evaluation table columns shown (assist.evaluate.EVAL_COLUMNS) and their number formats.
EVAL_FORMATS = {"code": None, "gold": "%d", "predicted": "%d", "tp": "%d",
                "precision": "%.2f", "recall": "%.2f", "pct_agreement": "%.2f", "kappa": "%.2f", "alpha": "%.2f"}


def eval_labels() -> dict:
    """Headings of the evaluation table in the interface language."""
    return {"code": _("Code"), "gold": _("Coded by people"),
            "predicted": _("Suggested"), "tp": _("Both"), "precision": _("Precision"), "recall": _("Recall"),
            "pct_agreement": pgettext("percent", "Agreement"), "kappa": _("Cohen's κ"),
            "alpha": _("Krippendorff's α")}


POOLED = "(all codes, pooled)"  # coding.agreement.POOLED: the pooled row's name, translated on screen


def module(name: str) -> Any | None:
    """``assist.<name>``, or ``None`` when the assistant is not installed (or fails to import)."""
    try:
        return importlib.import_module(f"assist.{name}")
    except ImportError:
        return None


def md(text: Any) -> str:
    """User text shown literally inside Markdown (captions, labels): its syntax characters escaped."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$:])", r"\\\1", str(text))


def short(text: Any, n: int = 80) -> str:
    """One line of at most ``n`` characters (code points) of ``text``."""
    line = " ".join(str(text or "").split())
    return line if len(line) <= n else line[: n - 1] + "…"


def unavailable() -> None:
    st.info(_("The assistant (sentence encoder) is not installed in this copy of Tandem."))


def prepare(unit: str, key: str, done=None) -> bool:
    """Say whether the units are embedded; offer to embed the missing ones with a progress bar.

    Returns ``True`` when every unit of ``unit`` ("sentence" | "paragraph") is embedded with the
    current model (or there is nothing to embed), else ``False`` (the caller may still go on:
    the library raises one sentence if it cannot). After embedding, ``done(message)`` is called
    (it reruns the page) or, without it, the message is left in ``st.session_state[key + "_flash"]``.
    """
    embed = module("embed")
    if embed is None:
        unavailable()
        return False
    signature = (state.project_path(), state.revision(), unit)  # counting reads every unit: once per change
    kept = st.session_state.get(f"{key}_status")
    status = kept[1] if kept and kept[0] == signature else state.attempt(state.read, embed.status, unit=unit)
    if status is None:
        return False
    st.session_state[f"{key}_status"] = (signature, status)
    missing = max(0, int(status["units"]) - int(status["embedded"]))
    if not missing:
        st.caption(_("{n:,} passages ready for the assistant (model {model}).").format(
            n=int(status["embedded"]), model=status["model"]))
        return True
    with st.container(border=True):
        st.markdown(_("**{missing:,} of {units:,} passages** are not prepared for the assistant yet.").format(
            missing=missing, units=int(status["units"])))
        st.caption(_("Preparing turns every passage into a vector on this computer; no text leaves it. The first "
                     "time is slow: about one minute per million characters of text (a long interview takes a few "
                     "seconds). Afterwards only new or changed passages are prepared."))
        if st.button(_("Prepare search (embed {n:,} passages)").format(n=missing), key=f"{key}_prepare",
                     icon=":material/memory:", type="primary"):
            bar = st.progress(0.0, text=_("Preparing…"))

            def progress(done: int, total: int) -> None:
                bar.progress(min(1.0, done / total) if total else 1.0,
                             text=_("{done:,} of {total:,} passages").format(done=done, total=total))

            made = state.write(lambda s: embed.ensure(s, unit=unit, progress=progress))
            if made is not None:
                message = _("{n:,} passages prepared.").format(n=int(made))
                if done is not None:
                    done(message)
                st.session_state[f"{key}_flash"] = message
                st.rerun()
    return False


def coding_counts(paths: dict) -> dict:
    """Codings per codable code id, any coder and origin (the codebook's ``n_codings``); the library
    itself counts only human codings as examples and skips a code with too few."""
    book = state.read(coding.codebook)
    counts = dict(zip(book["id"], book["n_codings"]))
    return {c: int(counts.get(c, 0) or 0) for c in paths}


def examples_panel(paths: dict, done) -> None:
    """"From coded examples (sentence encoder)": choose codes, top N, definition; run ``suggest.suggest``."""
    st.subheader(_("From coded examples (sentence encoder)"))
    st.caption(_("For each code with at least {n} coded passages, the passages most like its examples are put in "
                 "the review queue with their score (mean cosine similarity to the nearest examples; 1 = same meaning) and the nearest example. Nothing is "
                 "coded until you accept it. Everything runs on this computer.").format(n=MIN_EXAMPLES))
    suggest = module("suggest")
    if suggest is None:
        unavailable()
        return
    counts = coding_counts(paths)
    ready = [c for c in paths if counts[c] >= MIN_EXAMPLES]

    def label(c):
        if counts[c] >= MIN_EXAMPLES:
            return _("{code} ({n} codings)").format(code=paths[c], n=counts[c])
        return _("{code} (needs {k} codings, has {n})").format(code=paths[c], k=MIN_EXAMPLES, n=counts[c])

    c1, c2, c3 = st.columns([3, 1, 1])
    code_ids = c1.multiselect(_("Codes"), list(paths), default=None, format_func=label, key="sug_enc_codes",
                              placeholder=_("Every code with enough examples"))
    top = c2.number_input(_("Top passages per code"), 1, 200, 10, key="sug_enc_top")
    unit = c3.selectbox(_("Unit"), list(UNITS), format_func=lambda u: _(UNITS[u]), key="sug_enc_unit")
    use_definition = st.checkbox(_("Also use the code's definition"), key="sug_enc_definition",
                                 help=_("The code's definition and inclusion criteria count as one more example."))
    if not ready:
        st.info(_("No code has {n} coded passages yet: code a few passages first (Code page).").format(n=MIN_EXAMPLES))
    prepared = prepare(unit, "sug_enc", done)
    if st.button(_("Suggest from examples"), type="primary", key="sug_enc_run", icon=":material/auto_awesome:",
                 disabled=not ready):
        chosen = [c for c in (code_ids or ready) if c in ready]
        skipped = [paths[c] for c in (code_ids or []) if c not in ready]
        if skipped:
            st.warning(_("Skipped (fewer than {n} codings): {codes}").format(n=MIN_EXAMPLES, codes=", ".join(skipped)))
        bar = st.progress(0.0, text=_("Preparing…")) if not prepared else None

        def progress(n_done: int, total: int) -> None:
            if bar is not None:
                bar.progress(min(1.0, n_done / total) if total else 1.0,
                             text=_("{done:,} of {total:,} passages").format(done=n_done, total=total))

        with st.spinner(_("Comparing passages with the examples…")):
            made = state.write(suggest.suggest, code_ids=chosen, unit=unit, top=int(top),
                               min_examples=MIN_EXAMPLES, use_definition=use_definition, progress=progress)
        if made is not None:
            done(_("{n} new suggestion(s) in the review queue.").format(n=int(made)))


def evaluation_panel(paths: dict) -> None:
    """Leave-one-document-out evaluation of the encoder against the human codings."""
    evaluate = module("evaluate")
    if evaluate is None:
        unavailable()
        return
    st.caption(_("How far to trust the suggestions, measured on your own codings: each document in turn is set "
                 "aside, the assistant learns from the codings in the other documents only, and its suggestions "
                 "for the set-aside document are compared with what the coders did. Precision is the share of "
                 "suggested passages the coders had coded; recall is the share of coded passages the assistant "
                 "found. Cohen's κ and Krippendorff's α measure agreement beyond chance between the assistant and "
                 "the coders (1 = perfect, 0 = chance). If κ is low for a code, read its suggestions closely; a "
                 "higher threshold gives fewer but more precise suggestions."))
    c1, c2, c3 = st.columns([2, 1, 2], vertical_alignment="bottom")
    threshold = c1.slider(_("Score threshold"), 0.0, 1.0, 0.5, 0.05, key="sug_eval_threshold")
    unit = c2.selectbox(_("Unit"), list(UNITS), format_func=lambda u: _(UNITS[u]), key="sug_eval_unit")
    if c3.button(_("Evaluate (leave one document out)"), key="sug_eval_run", icon=":material/fact_check:"):
        with st.spinner(_("Evaluating…")):
            table = state.attempt(state.read, evaluate.assist_eval, unit=unit, threshold=float(threshold))
        if table is not None:
            st.session_state["sug_eval_result"] = (float(threshold), unit, table)
    kept = st.session_state.get("sug_eval_result")
    if not kept:
        return
    at, unit_used, table = kept
    units = int(table["units"].iloc[-1]) if "units" in table and len(table) else 0
    docs = int(table["documents"].iloc[-1]) if "documents" in table and len(table) else 0
    st.markdown(_("At threshold **{t:.2f}**: {units:,} {unit} in {docs} documents, each judged by the assistant "
                  "and by the coders.").format(t=at, units=units, unit=_(UNITS.get(unit_used, unit_used)).lower(),
                                                docs=docs))
    shown = table.copy()
    shown.attrs = {}  # the library's notes on the run (not for the table's display)
    if "code_id" in shown:  # codes by their path in the codebook; the pooled row by its name, translated
        names = shown["code"] if "code" in shown else shown["code_id"]
        shown["code"] = [_(POOLED) if n == POOLED else paths.get(c, n) for c, n in zip(shown["code_id"], names)]
    columns = [c for c in EVAL_FORMATS if c in shown.columns] or list(shown.columns)
    labels = eval_labels()
    config = {c: (st.column_config.NumberColumn(labels[c], format=EVAL_FORMATS[c]) if EVAL_FORMATS[c]
                  else st.column_config.TextColumn(labels[c])) for c in columns if c in EVAL_FORMATS}
    for c in columns:  # undefined ratios (nothing suggested, or κ with one rater constant) read as a dash
        if EVAL_FORMATS.get(c) == "%.2f":
            shown[c] = [("—" if pd.isna(v) else f"{v:.2f}") for v in shown[c]]
            config[c] = st.column_config.TextColumn(labels[c])
    st.dataframe(shown[columns], hide_index=True, width="stretch", key="sug_eval_table", column_config=config)
    if {"gold", "predicted"} <= set(table.columns) and len(table):
        pooled = table.iloc[-1]
        if pooled["gold"] and pooled["predicted"] < 0.25 * pooled["gold"]:
            st.caption(_("Few passages reach a score of {t:.2f}: lower the threshold to see how many more the "
                         "assistant would find, and how precise it stays.").format(t=at))


def llm_panel(doc_names: dict, paths: dict, done) -> None:
    """Optional local LLM: settings (off by default), one document's proposals, the audit log."""
    llm = module("llm")
    if llm is None:
        st.info(_("The local LLM connector is not installed in this copy of Tandem."))
        return
    current = state.attempt(state.read, llm.settings)
    if current is None:
        return
    enabled = bool(current.get("enabled"))
    if enabled:
        st.success(_("On: passages go to {endpoint} (model {model}).").format(
            endpoint=md(current.get("endpoint") or ""), model=md(current.get("model") or "")))
    else:
        st.caption(_("Off (the default). Tandem never calls a cloud service on its own: give the address of your own "
                     "OpenAI-compatible server (Ollama: http://127.0.0.1:11434/v1) and switch it on. An API key, if "
                     "the server needs one, is read from the environment variable TANDEM_LLM_API_KEY and never "
                     "stored or shown."))
    if current.get("api_key_set"):
        st.caption(_("An API key is set in TANDEM_LLM_API_KEY (it is sent to the server, never shown or stored)."))
    if current.get("warning"):
        st.warning(current["warning"])
    with st.form(key="sug_llm_form"):
        c1, c2 = st.columns(2)
        endpoint = c1.text_input(_("Endpoint"), value=current.get("endpoint") or "", key="sug_llm_endpoint",
                                 placeholder="http://127.0.0.1:11434/v1")  # i18n: data
        model_name = c2.text_input(_("Model"), value=current.get("model") or "", key="sug_llm_model",
                                   placeholder="qwen2.5:7b")  # i18n: data
        c3, c4 = st.columns(2)
        on = c3.checkbox(_("Enable"), value=enabled, key="sug_llm_enabled")
        remote = c4.checkbox(_("Allow a server on another machine"), key="sug_llm_remote",
                             help=_("Only with this ticked is an address outside this computer and its private "
                                    "network accepted: the passages then leave this machine."))
        saved = st.form_submit_button(_("Save settings"), key="sug_llm_save")
    if saved:
        result = state.write(llm.configure, endpoint=endpoint.strip(), model=model_name.strip(), enabled=on,
                             allow_remote=remote)
        if result is not None:
            done(_("LLM settings saved."))
    if warning := st.session_state.pop("sug_llm_warning", None):
        st.warning(warning)
    if enabled and doc_names:
        c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
        doc_id = c1.selectbox(_("Document"), list(doc_names), format_func=doc_names.get, key="sug_llm_doc")
        code_ids = c2.multiselect(_("Codes"), list(paths), format_func=paths.get, key="sug_llm_codes",
                                  placeholder=_("Every codable code"))
        if st.button(_("Ask the LLM about this document"), key="sug_llm_propose", icon=":material/smart_toy:"):
            with st.spinner(_("Waiting for the model…")):
                made = state.write(llm.propose_detail, doc_id, code_ids=code_ids or None, coder=state.coder())
            if made is not None:
                message = _("{n} new suggestion(s) in the review queue ({units} passage(s) sent, {bad} answer(s) "
                            "unusable).").format(n=made.added, units=made.units, bad=made.refused + made.errors)
                if made.stopped:
                    st.session_state["sug_llm_warning"] = made.stopped
                done(message)
    log_reader = next((getattr(llm, n) for n in ("exchanges", "log", "audit_log") if hasattr(llm, n)), None)
    if log_reader is not None:
        log = state.attempt(state.read, log_reader)
        if isinstance(log, pd.DataFrame):
            c1, c2 = st.columns([3, 1], vertical_alignment="center")
            c1.caption(_("Audit log: {n} exchange(s) with the model, each request and response kept in the "
                         "project.").format(n=len(log)))
            c2.download_button(_("Download CSV"), to_csv_bytes(log), "llm_exchanges.csv", "text/csv",
                               key="sug_llm_log_csv", icon=":material/download:", disabled=log.empty)


def with_origin(queue: pd.DataFrame) -> pd.DataFrame:
    """The coding queue (``coding.pending``'s rows) with ``origin, score, example_quote, model`` from
    ``assist.suggest.pending_table``; scored suggestions first, best first, then the rest in document
    order (a queue of rule suggestions only keeps its order)."""
    if queue.empty or {"origin", "score"} <= set(queue.columns):
        return queue
    suggest = module("suggest")
    if suggest is None:
        return queue.assign(origin="rule", score=float("nan"), example_quote=None, model=None)
    extra = state.read(suggest.pending_table)
    keep = [c for c in ("id", "origin", "score", "example_quote", "model") if c in extra.columns]
    merged = queue.merge(extra[keep], on="id", how="left")
    merged = merged.assign(origin=merged["origin"].fillna("rule"), score=pd.to_numeric(merged["score"], errors="coerce"))
    if merged["score"].notna().any():
        merged = merged.assign(_unscored=merged["score"].isna()).sort_values(
            ["_unscored", "score"], ascending=[True, False], kind="stable").drop(columns="_unscored")
    return merged.reset_index(drop=True)


def queue_filters(queue: pd.DataFrame, paths: dict, columns) -> tuple[pd.DataFrame, list[str]]:
    """Filter the coding queue by code, origin and minimum score; add the origin columns to show."""
    queue = with_origin(queue)
    c1, c2, c3 = st.columns([2, 2, 2], vertical_alignment="bottom")
    codes_present = [c for c in paths if c in set(queue["code_id"].dropna().astype(int))] if not queue.empty else []
    code = c1.selectbox(_("Code"), [None] + codes_present, key="sug_q_code",
                        format_func=lambda c: _("(any)") if c is None else paths[c])
    origins = c2.multiselect(_("Suggested by"), list(ORIGINS), key="sug_q_origin", format_func=lambda o: _(ORIGINS[o]),
                             placeholder=_("Any origin"))
    min_score = c3.slider(_("Minimum score"), 0.0, 1.0, 0.0, 0.05, key="sug_q_min_score",
                          help=_("Similarity for the sentence encoder, confidence for an LLM. Rules give no score: "
                                 "above 0 their suggestions are hidden."))
    if code is not None:
        queue = queue[queue["code_id"] == code]
    if origins:
        queue = queue[queue["origin"].isin(origins)]
    if min_score > 0:
        queue = queue[pd.to_numeric(queue["score"], errors="coerce").fillna(-1) >= min_score]
    queue = queue.assign(origin_label=[_(ORIGINS.get(o, o)) for o in queue["origin"]],
                         score=pd.to_numeric(queue["score"], errors="coerce"))
    assisted = (queue["origin"] != "rule").any()
    shown = [c for c in columns if c != "rule_id" or queue["rule_id"].notna().any()]  # no empty rule column
    at = shown.index("quote") if "quote" in shown else len(shown)
    shown = shown[:at] + ["origin_label", "score"] + shown[at:at + 1] + (["example_quote"] if assisted else []) \
        + shown[at + 1:] + (["model"] if assisted else [])
    return queue.reset_index(drop=True), shown


def queue_column_config() -> dict:
    return {"origin_label": st.column_config.TextColumn(_("from"), width=90),
            "score": st.column_config.NumberColumn(_("score"), format="%.2f", width=55),
            "example_quote": st.column_config.TextColumn(_("nearest example"), width=260),
            "model": st.column_config.TextColumn(_("model"), width=120)}
