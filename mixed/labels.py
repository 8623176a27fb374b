"""Case types and worklist labels in the interface language, translated when shown.

A case's type is STORED in English (``WorklistCase.case_type``, a case table's ``case_type``
column, written by ``quant.cases.select.case_label`` and ``quant.cases.groups``), so a project reads
the same whoever opens it; :func:`case_type_label` renders a stored type in the current language
(``i18n.language()``) at display or export time. The fixed types are marked here with ``N_``; a
group label joined with " · " ("deviant · over-predicted · tie") is translated part by part; a
type built from data ("extreme on log_gravity (+2.3 SD above the mean)", a rule's own text, a
type typed by hand) is shown as stored.
"""
from __future__ import annotations

from i18n import N_, _

__all__ = ["CASE_HEADERS", "CASE_TYPES", "STORED_NOTES", "case_type_label", "people_table", "stored_note_label"]

#: Every fixed case type Tandem writes (quant.cases.select.case_label, quant.cases.groups).
CASE_TYPES = (
    N_("typical"), N_("deviant"), N_("other"),
    N_("typical tie"), N_("typical non-tie"),
    N_("deviant tie (unexpected collaboration)"), N_("deviant non-tie (missing expected collaboration)"),
    N_("deviant (under-predicted)"), N_("deviant (over-predicted)"),
    N_("over-predicted"), N_("under-predicted"),
    N_("over-predicted non-tie (missing expected collaboration)"),
    N_("under-predicted tie (unexpected collaboration)"),
    N_("tie"), N_("non-tie"),
)
_KNOWN = frozenset(CASE_TYPES)
_SEP = " · "


def case_type_label(stored) -> str:
    """The stored case type ``stored`` (str, None or NaN) in the current language; ``""`` for
    none. Unknown text is returned unchanged (it is data)."""
    if stored is None or (isinstance(stored, float) and stored != stored):
        return ""
    text = str(stored)
    if text in _KNOWN:
        return _(text)
    parts = text.split(_SEP)
    if len(parts) > 1 and all(p in _KNOWN for p in parts):
        return _SEP.join(_(p) for p in parts)
    return text


#: Sentences Tandem itself stores in a project's settings (the demo's ``simulated_outcomes`` and
#: ``illustrative_corpus`` notes, data/demo/simulate.py and data/demo/qualitative.py), kept here
#: word for word so they can be shown in the reader's language; tests check they match.
STORED_NOTES = (
    N_("The outcomes connection, degree and breadth in this project are SIMULATED from a documented, "
       "seeded data-generating process (data/demo/SIMULATION.md, truth in data/demo/truth.json); "
       "they are not observations of real agreements. City names, codes, coordinates, census figures "
       "and strategy memberships are real facts."),
    N_("Illustrative material written by the Tandem team for the demo project; it does not record "
       "a real interview or field visit. Place names are real, people and statements are invented."),
)
_NOTES = frozenset(STORED_NOTES)


def stored_note_label(text) -> str:
    """A project note as shown: one Tandem wrote (:data:`STORED_NOTES`) in the current language,
    any other (the researcher's own words) unchanged; ``""`` for None."""
    if text is None:
        return ""
    text = str(text)
    return _(text) if text in _NOTES else text


#: People's words for the columns of a case view (the Cases page's own column labels), used as
#: the headers of its CSV/XLSX download. A case table is for reading, never imported back, so
#: its download speaks the reader's language; the tidy long tables of the joint displays keep
#: their English machine headers (they are data for R or Stata, documented in mixed/joint.py).
CASE_HEADERS = {
    "case": N_("case"), "case_type": N_("case type"), "partner_case": N_("paired with"),
    "observed": N_("observed"), "predicted": N_("predicted"), "residual": N_("Pearson residual"),
    "mean_degree": N_("mean degree"), "total_items": N_("service items"), "n_passages": N_("coded passages"),
    "n_mark": N_("Mark passages"), "no_evidence": N_("no evidence yet"), "quote_text": N_("top quotes"),
    "on_worklist": N_("on worklist"),
}


def people_table(frame):
    """A copy of a case view (``mixed.case_views.case_view`` restricted to
    ``shown_columns``) for download: headers of :data:`CASE_HEADERS` and case types in the
    current language; other columns and all data unchanged. ``frame``: pandas DataFrame."""
    out = frame.copy()
    if "case_type" in out.columns:
        out["case_type"] = [case_type_label(v) for v in out["case_type"]]
    out.attrs = {}
    return out.rename(columns={c: _(CASE_HEADERS[c]) for c in out.columns if c in CASE_HEADERS})
