"""Mixed-methods integration: joint displays and per-case evidence.

Coefficients of a fitted dimension beside the coded passages mapped to them
(``mixed.joint``, side-by-side), themes counted in quantitative groups (``mixed.themes``,
statistics-by-themes), selected cases side by side (``mixed.comparison``), residual-selected
cases with the passages already linked to them (``mixed.cases``), the researcher's stored
meta-inferences (``mixed.meta``), the term↔variable matching rule (``mixed.terms``) and the
shared quote records (``mixed.evidence``). Imports ``store``, ``coding`` and ``quant``; never
Streamlit.
"""
# Names are imported on first use (PEP 562), so `import mixed` and a command that needs
# one module do not load statsmodels, scipy and spaCy for every other.
import importlib

from mixed.errors import MixedError

_LAZY = {
    'ADVERTISED': 'mixed.cases',
    'COMPARISON_COLUMNS': 'mixed.comparison',
    'EvidenceIndex': 'mixed.evidence',
    'GROUPINGS': 'mixed.themes',
    'LABELS': 'mixed.meta',
    'add_evidence': 'mixed.cases',
    'advertised_not_implemented': 'mixed.cases',
    'case_comparison': 'mixed.comparison',
    'case_key': 'mixed.meta',
    'case_table': 'mixed.cases',
    'cite': 'mixed.evidence',
    'clear_meta_inference': 'mixed.meta',
    'codes_for_term': 'mixed.terms',
    'joint_display': 'mixed.joint',
    'joint_long': 'mixed.joint',
    'meta_inferences': 'mixed.meta',
    'set_meta_inference': 'mixed.meta',
    'term_matches': 'mixed.terms',
    'themes_display': 'mixed.themes',
    'themes_long': 'mixed.themes',
    'unit_evidence': 'mixed.joint',
}

__all__ = [
    "ADVERTISED", "COMPARISON_COLUMNS", "EvidenceIndex", "GROUPINGS", "LABELS", "MixedError", "add_evidence",
    "advertised_not_implemented", "case_comparison", "case_key", "case_table", "cite", "clear_meta_inference",
    "codes_for_term", "joint_display", "joint_long", "meta_inferences", "set_meta_inference", "term_matches",
    "themes_display", "themes_long", "unit_evidence",
]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:  # a submodule (``quant.models.dispatch``) reached as an attribute
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
