"""Coding: the codebook, codings over code-point spans, links to cities and dyads, memos,
retrieval queries, and the event log that records every change.

Import the public API from here (``from coding import add_coding``); offsets are Python
code points over the stored NFC text, ``[start, end)``, 0-based.
"""
from coding.codebook import (
    DEFAULT_CODEBOOK, DEFAULT_VARIABLE_MAP, CodeSpec, add_code, code_id_by_name, codebook, delete_code,
    descendants, ensure_default_codebook, move_code, rename_code, set_variable_map, update_code, variable_map,
)
from coding.codings import (
    add_coding, code_segment, codings_in_document, delete_coding, document_text, documents, paragraph_of,
    segments, set_segment_codes, update_coding,
)
from coding.errors import CodingError
from coding.events import EventType, event_log, record
from coding.links import accept_suggestion, link_city, link_dyad, links_of, suggest_links, unlink
from coding.memos import add_memo, delete_memo, list_memos, update_memo
from coding.queries import counts_by_city, counts_by_dyad, retrieve

__all__ = [
    "DEFAULT_CODEBOOK", "DEFAULT_VARIABLE_MAP", "CodeSpec", "CodingError", "EventType", "accept_suggestion",
    "add_code", "add_coding", "add_memo", "code_id_by_name", "code_segment", "codebook", "codings_in_document",
    "counts_by_city", "counts_by_dyad", "delete_code", "delete_coding", "delete_memo", "descendants",
    "document_text", "documents", "ensure_default_codebook", "event_log", "link_city", "link_dyad", "links_of",
    "list_memos", "move_code", "paragraph_of", "record", "rename_code", "retrieve", "segments",
    "set_segment_codes", "set_variable_map", "suggest_links", "unlink", "update_code", "update_coding",
    "update_memo", "variable_map",
]

# undo/redo and history, merge/split, document versions with re-anchoring, undoable imports
from coding.history import history, peek, redo, undo  # noqa: E402
from coding.imports import import_source, record_import  # noqa: E402
from coding.merge import merge_codes, split_code  # noqa: E402
from coding.reanchor import ReanchorReport, codings_to_review, import_new_version, versions  # noqa: E402

__all__ += [
    "ReanchorReport", "codings_to_review", "history", "import_new_version", "import_source", "merge_codes",
    "peek", "record_import", "redo", "split_code", "undo", "versions",
]

# Search, auto-coding suggestions, matrices and codebook exchange (REFI .qdc, CSV).
from coding.search import code_hits, search  # noqa: E402
from coding.autocode import add_rule, delete_rule, preview_rule, rules, run_rules  # noqa: E402
from coding.suggestions import (  # noqa: E402
    accept, accept_rule, pending, place_link_suggestions, reject, reject_rule, revert_rule,
)
from coding.matrices import (  # noqa: E402
    code_city_matrix, code_document_matrix, code_dyad_matrix, cooccurrence_matrix, cooccurrence_table, export_matrix,
    matrix_cell_codings,
)
from coding.refi_codebook import export_codebook_qdc, import_codebook_qdc  # noqa: E402
from coding.codebook_csv import export_codebook_csv, import_codebook_csv  # noqa: E402

__all__ += [
    "accept", "accept_rule", "add_rule", "code_city_matrix", "code_document_matrix", "code_dyad_matrix", "code_hits",
    "cooccurrence_matrix", "cooccurrence_table", "delete_rule", "export_codebook_csv", "export_codebook_qdc",
    "export_matrix", "import_codebook_csv", "import_codebook_qdc", "matrix_cell_codings", "pending",
    "place_link_suggestions", "preview_rule", "reject", "reject_rule", "revert_rule", "rules", "run_rules", "search",
]
from coding.documents import segment_spans  # noqa: E402
