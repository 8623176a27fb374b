"""Case types and worklist labels in the interface language, translated when shown.

A case's type is STORED in English (``WorklistCase.case_type``, a case table's ``case_type``
column, written by ``quant.case_select.case_label`` and ``quant.case_groups``), so a project reads
the same whoever opens it; :func:`case_type_label` renders a stored type in the current language
(``i18n.language()``) at display or export time. The fixed types are marked here with ``N_``; a
group label joined with " · " ("deviant · over-predicted · tie") is translated part by part; a
type built from data ("extreme on log_gravity (+2.3 SD above the mean)", a rule's own text, a
type typed by hand) is shown as stored.
"""
from __future__ import annotations

from i18n import N_, _

__all__ = ["CASE_TYPES", "STORED_NOTES", "case_type_label", "stored_note_label"]

#: Every fixed case type Tandem writes (quant.case_select.case_label, quant.case_groups).
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
