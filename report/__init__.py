"""Report drafts (Markdown, HTML) from a project's fits, joint displays and cases.

``report.draft`` builds a plain context, ``report.layout`` lays it out (the jinja2 templates in
``templates/``, or DOCX);
``report.tables`` makes journal-style regression tables and small Markdown/HTML tables.
Imports ``store``, ``mixed`` (and through it ``coding``, ``quant``); never Streamlit.
"""
from report.draft import build_context, render
from report.errors import ReportError
from report.tables import regression_table, to_html, to_markdown

__all__ = ["ReportError", "build_context", "regression_table", "render", "to_html", "to_markdown"]
