"""Mixed-methods integration: joint displays and per-case evidence.

Coefficients of a fitted dimension beside the coded passages mapped to them
(``mixed.joint``, side-by-side), themes counted in quantitative groups (``mixed.themes``,
statistics-by-themes), selected cases side by side (``mixed.comparison``), residual-selected
cases with the passages already linked to them (``mixed.cases``), the researcher's stored
meta-inferences (``mixed.meta``), the term↔variable matching rule (``mixed.terms``) and the
shared quote records (``mixed.evidence``). Imports ``store``, ``coding`` and ``quant``; never
Streamlit.
"""
from mixed.cases import ADVERTISED, add_evidence, advertised_not_implemented, case_table
from mixed.comparison import COMPARISON_COLUMNS, case_comparison
from mixed.errors import MixedError
from mixed.evidence import EvidenceIndex, cite
from mixed.joint import joint_display, joint_long, unit_evidence
from mixed.meta import LABELS, case_key, clear_meta_inference, meta_inferences, set_meta_inference
from mixed.terms import codes_for_term, term_matches
from mixed.themes import GROUPINGS, themes_display, themes_long

__all__ = [
    "ADVERTISED", "COMPARISON_COLUMNS", "EvidenceIndex", "GROUPINGS", "LABELS", "MixedError", "add_evidence",
    "advertised_not_implemented", "case_comparison", "case_key", "case_table", "cite", "clear_meta_inference",
    "codes_for_term", "joint_display", "joint_long", "meta_inferences", "set_meta_inference", "term_matches",
    "themes_display", "themes_long", "unit_evidence",
]
