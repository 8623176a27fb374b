"""Where the Code page is: document, section, paragraphs per section, selected coding and the
paragraph to bring into view; read back from the URL's query parameters or the session.

No Streamlit here: ``ui/code.py`` passes ``st.query_params`` and ``st.session_state``
values in; everything is unit-tested in ``tests/test_ui_keep_place.py``.

Query parameters (all whole numbers, as text): ``doc`` (document id), ``section``
(1-based), ``per`` (paragraphs per section), ``coding`` (selected coding id), ``p``
(1-based paragraph number to scroll to). A value that is missing, not a number, or no
longer valid never raises: the page falls back (first document, section 1, ...) and says
so in one line.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

PER_SECTION_CHOICES = (10, 20, 30, 50, 100)
DEFAULT_PER_SECTION = 30
PARAMS = ("doc", "section", "per", "coding", "p")


def _int(value: Any) -> int | None:
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else None
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def parse(params: Mapping[str, Any]) -> dict[str, int | None]:
    """``{doc, section, per, coding, p}`` from query parameters: ints, or ``None`` when absent or bad."""
    return {k: _int(params.get(k)) for k in PARAMS}


def choose_document(wanted: Any, doc_ids: Sequence[int], names: Mapping[int, str] | None = None
                    ) -> tuple[int, str | None]:
    """The document to show and a notice when ``wanted`` was given but is not a document.

    Raises ``ValueError`` only when ``doc_ids`` is empty (the page says "no documents" first).
    """
    if not doc_ids:
        raise ValueError("There are no documents to show.")
    want = _int(wanted)
    if want in doc_ids:
        return want, None
    first = doc_ids[0]
    if wanted is None:
        return first, None
    label = (names or {}).get(first, "the first document")
    return first, (f"Document {wanted} is not in this project (deleted, or a link from another project): "
                   f"showing “{label}” instead.")


def choose_per_section(wanted: Any) -> int:
    """Paragraphs per section: one of :data:`PER_SECTION_CHOICES` (the default otherwise)."""
    want = _int(wanted)
    return want if want in PER_SECTION_CHOICES else DEFAULT_PER_SECTION


def choose_section(wanted: Any, n_sections: int) -> tuple[int, str | None]:
    """A 1-based section in ``[1, n_sections]`` and a notice when ``wanted`` was out of range."""
    n = max(1, int(n_sections))
    want = _int(wanted)
    if want is None:
        return 1, None
    if 1 <= want <= n:
        return want, None
    shown = n if want > n else 1
    return shown, f"Section {want} does not exist (the document has {n}): showing section {shown}."


def choose_coding(wanted: Any, coding_ids: Sequence[int]) -> tuple[int | None, str | None]:
    """The selected coding if it is one of this document's codings, else ``None`` and a notice."""
    want = _int(wanted)
    if want is None:
        return None, None
    if want in set(int(i) for i in coding_ids):
        return want, None
    return None, f"Coding {want} is no longer in this document (undone or deleted): nothing is selected."


def section_of(position: int, paragraph_starts: Sequence[int], per_section: int) -> int:
    """The 1-based section holding code point ``position`` (paragraph starts sorted ascending)."""
    import bisect

    index = max(0, bisect.bisect_right(list(paragraph_starts), int(position)) - 1)
    return index // max(1, int(per_section)) + 1


def to_params(place: Mapping[str, Any]) -> dict[str, str]:
    """Query parameters for ``place`` (``None`` values left out)."""
    return {k: str(int(place[k])) for k in PARAMS if place.get(k) is not None}
