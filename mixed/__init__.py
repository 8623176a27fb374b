"""Mixed-methods integration: joint displays and per-case evidence.

Coefficients of a fitted dimension beside the coded passages mapped to them
(``mixed.joint``), residual-selected cases with the passages already linked to them
(``mixed.cases``), the term↔variable matching rule (``mixed.terms``) and the shared quote
records (``mixed.evidence``). Imports ``store``, ``coding`` and ``quant``; never Streamlit.
"""
from mixed.cases import ADVERTISED, add_evidence, advertised_not_implemented, case_table
from mixed.errors import MixedError
from mixed.evidence import EvidenceIndex, cite
from mixed.joint import joint_display, joint_long, unit_evidence
from mixed.terms import codes_for_term, term_matches

__all__ = [
    "ADVERTISED", "EvidenceIndex", "MixedError", "add_evidence", "advertised_not_implemented",
    "case_table", "cite", "codes_for_term", "joint_display", "joint_long", "term_matches",
    "unit_evidence",
]
