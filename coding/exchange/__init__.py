"""Whole-project exchange with other QDA tools: REFI-QDA ``.qdpx`` in and out.

- :func:`import_qdpx` ``(session, path_or_bytes, convention="auto", coder=..., resolve_city=None)``
  -> report dict (``qdpx_import``; reading in ``qdpx_read``, offsets in ``qdpx_place``, notes,
  cases and sets in ``qdpx_attach``). A page hands it an upload's bytes inside one
  ``store.session_scope`` (all or nothing) and shows the report (:func:`report_text`,
  :func:`report_table`: one row per coding with readable column names).
- :func:`qdpx_bytes` ``(session)`` -> ``(bytes, report)``: the validated ``.qdpx`` for a download;
  :func:`export_qdpx` ``(session, path_or_buffer)`` writes it (``qdpx_write`` builds the XML).
"""
from coding.exchange.qdpx_export import export_qdpx, qdpx_bytes
from coding.exchange.qdpx_import import import_qdpx
from coding.exchange.qdpx_place import CONVENTIONS
from coding.exchange.qdpx_report import report_table, report_text

__all__ = ["CONVENTIONS", "export_qdpx", "import_qdpx", "qdpx_bytes", "report_table", "report_text"]
