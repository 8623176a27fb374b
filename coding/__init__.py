"""Coding: the codebook, codings over code-point spans, links to cities and dyads, memos,
retrieval queries, and the event log that records every change.

Import the public API from here (``from coding import add_coding``); offsets are Python
code points over the stored NFC text, ``[start, end)``, 0-based.
"""
from coding.autocoding.autocode import add_rule, delete_rule, preview_rule, rules, run_rules
from coding.codes.book import (
    DEFAULT_CODEBOOK, DEFAULT_VARIABLE_MAP, CodeSpec, add_code, code_id_by_name, codebook, delete_code,
    descendants, ensure_default_codebook, move_code, rename_code, set_variable_map, update_code, variable_map,
)
from coding.exchange.codebook_csv import export_codebook_csv, import_codebook_csv
from coding.codings import (
    add_coding, codings_in_document, delete_coding, document_text, documents, paragraph_of, segments, update_coding,
)
from coding.unit_coding import code_segment, set_segment_codes
from coding.documents import segment_spans
from coding.errors import CodingError
from coding.eventlog.events import EventType, event_log, record
from coding.eventlog.undo import history, peek, redo, undo
from coding.imports import import_source, record_import
from coding.links.linking import link_city, link_dyad, links_of, unlink
from coding.links.suggest import accept_suggestion, suggest_links
from coding.retrieval.matrices import (
    code_city_matrix, code_document_matrix, code_dyad_matrix, cooccurrence_matrix, cooccurrence_table, export_matrix,
    matrix_cell_codings,
)
from coding.memos import add_memo, delete_memo, list_memos, update_memo
from coding.codes.merge import merge_codes, split_code
from coding.retrieval.queries import counts_by_city, counts_by_dyad, retrieve
from coding.reanchoring.reanchor import ReanchorReport, codings_to_review, import_new_version, versions
from coding.exchange.refi_codebook import export_codebook_qdc, import_codebook_qdc
from coding.retrieval.search import code_hits, search
from coding.suggestions import accept, accept_rule, pending, place_link_suggestions, reject, reject_rule, revert_rule

__all__ = [
    "DEFAULT_CODEBOOK", "DEFAULT_VARIABLE_MAP", "CodeSpec", "CodingError", "EventType", "ReanchorReport", "accept",
    "accept_rule", "accept_suggestion", "add_code", "add_coding", "add_memo", "add_rule", "code_city_matrix",
    "code_document_matrix", "code_dyad_matrix", "code_hits", "code_id_by_name", "code_segment", "codebook",
    "codings_in_document", "codings_to_review", "cooccurrence_matrix", "cooccurrence_table", "counts_by_city",
    "counts_by_dyad", "delete_code", "delete_coding", "delete_memo", "delete_rule", "descendants", "document_text",
    "documents", "ensure_default_codebook", "event_log", "export_codebook_csv", "export_codebook_qdc",
    "export_matrix", "history", "import_codebook_csv", "import_codebook_qdc", "import_new_version", "import_source",
    "link_city", "link_dyad", "links_of", "list_memos", "matrix_cell_codings", "merge_codes", "move_code",
    "paragraph_of", "peek", "pending", "place_link_suggestions", "preview_rule", "record", "record_import", "redo", "reject",
    "reject_rule", "rename_code", "retrieve", "revert_rule", "rules", "run_rules", "search", "segment_spans",
    "segments", "set_segment_codes", "set_variable_map", "split_code", "suggest_links", "undo", "unlink",
    "update_code", "update_coding", "update_memo", "variable_map", "versions",
]
