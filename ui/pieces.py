"""The span coder's pure logic: pieces, sections, colours and event validation.

No Streamlit here (``ui/span_coder.py`` is the component); everything is unit-tested in
``tests/test_pieces.py``.

Units: every offset in this module is a **Python code point** index into the document's
stored text, 0-based, end-exclusive (``[start, end)``), as in ``store.Coding``. The browser
counts UTF-16 units, so the component's JavaScript converts a DOM selection to code points
itself (``piece start + [...node.data.slice(0, offset)].length``) before anything reaches
Python; :func:`handle_selection_event` then re-checks the numbers against the text.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Mapping, Sequence

from applog.errors import TandemError

DEFAULT_PER_SECTION = 20  # paragraphs shown at a time
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_FALLBACK_COLOUR = "#999999"


class SelectionError(TandemError):
    """An event from the browser does not describe a usable span, code or coding."""


def build_pieces(
    text: str, codings: Iterable[Mapping[str, Any]], start: int = 0, end: int | None = None,
    cuts: Iterable[int] = (),
) -> list[dict]:
    """Split ``text[start:end]`` at every coding boundary with one sorted sweep.

    Parameters
    ----------
    text : str
        The whole document text.
    codings : iterable of mappings with ``id``, ``start``, ``end``
        Spans in code points over ``text``. Codings outside the window are ignored;
        codings crossing its edges are clipped to it; empty or inverted spans are ignored.
    start, end : int
        The window (a section), in code points; ``end=None`` means ``len(text)``.
    cuts : iterable of int
        Further positions (code points) where a piece must end, such as paragraph
        boundaries, so that no piece runs from one paragraph into the next.

    Returns
    -------
    list of dict
        Consecutive pieces covering the window exactly, in order. Each is
        ``{"s": code-point start in the document, "t": piece text, "c": [coding ids]}``;
        ``c`` lists the codings covering the whole piece, in the order they begin
        (ties by id), and is empty for uncoded text.

    Cost: sorting the 2·m boundary events is O(m log m); the walk is O(n + m) plus the
    size of the ``c`` lists it emits.
    """
    n = len(text)
    end = n if end is None else end
    start, end = max(0, start), min(n, end)
    if start >= end:
        return []
    events: list[tuple[int, int, int, Any]] = []  # (position, 0=close/1=open, order, id)
    for coding in codings:
        s, e = max(int(coding["start"]), start), min(int(coding["end"]), end)
        if s < e:
            events.append((s, 1, s, coding["id"]))
            events.append((e, 0, s, coding["id"]))
    for cut in cuts:
        if start < cut < end:
            events.append((int(cut), 2, 0, None))  # a boundary only: no coding opens or closes
    events.sort(key=lambda ev: (ev[0], ev[1], ev[2], _sortable(ev[3])))
    pieces: list[dict] = []
    active: dict[Any, None] = {}  # insertion-ordered set: the order codings began
    cursor = start
    for pos, kind, _order, cid in events:
        if pos > cursor:
            pieces.append({"s": cursor, "t": text[cursor:pos], "c": list(active)})
            cursor = pos
        if kind == 1:
            active[cid] = None
        elif kind == 0:
            active.pop(cid, None)
    if cursor < end:
        pieces.append({"s": cursor, "t": text[cursor:end], "c": list(active)})
    return pieces


def _sortable(value: Any) -> tuple[int, Any]:
    """A sort key that orders ints before strings so mixed ids never raise."""
    return (0, value) if isinstance(value, int) else (1, str(value))


def valid_colour(colour: Any) -> str:
    """``colour`` if it is ``#RRGGBB``, else the neutral grey used for unknown colours."""
    return colour if isinstance(colour, str) and _HEX_COLOUR.match(colour) else _FALLBACK_COLOUR


def blend_colours(colours: Sequence[str]) -> str:
    """Background for a piece covered by codings with these colours (one per coding).

    The hue is the mean RGB of the colours; the opacity grows with the number of codings
    (0.30 for one, +0.15 for each further one, at most 0.75), so overlaps look darker.
    Returns a CSS ``rgba(r, g, b, a)`` string; bad colours count as grey.
    """
    if not colours:
        return "transparent"
    rgb = [0, 0, 0]
    for colour in colours:
        hexa = valid_colour(colour)
        for i in range(3):
            rgb[i] += int(hexa[1 + 2 * i : 3 + 2 * i], 16)
    k = len(colours)
    r, g, b = (round(v / k) for v in rgb)
    alpha = min(0.30 + 0.15 * (k - 1), 0.75)
    return f"rgba({r}, {g}, {b}, {alpha:.2f})"


def line_spans(text: str) -> list[tuple[int, int]]:
    """Spans (code points) of the non-blank lines of ``text``: paragraphs when the
    segmenter has not stored any. Each span excludes its ``\\n``."""
    spans, pos = [], 0
    for line in text.split("\n"):
        if line.strip():
            spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def section_bounds(
    paragraph_spans: Sequence[Sequence[int]], section_index: int, per_section: int = DEFAULT_PER_SECTION
) -> tuple[int, int, int]:
    """Where section ``section_index`` (0-based) of a long document starts and ends.

    A section is ``per_section`` consecutive paragraphs. ``paragraph_spans`` are
    ``(start, end)`` pairs in code points (any order). The index is clamped into range, so
    a stale index from the session still shows the last section.

    Returns ``(start, end, n_sections)``: the section runs from its first paragraph's start
    to its last paragraph's end (code points); ``(0, 0, 0)`` when there are no paragraphs.
    """
    if per_section < 1:
        raise ValueError(f"per_section must be at least 1, not {per_section}.")
    spans = sorted((int(s), int(e)) for s, e in paragraph_spans)
    if not spans:
        return 0, 0, 0
    n_sections = -(-len(spans) // per_section)
    index = min(max(int(section_index), 0), n_sections - 1)
    chunk = spans[index * per_section : (index + 1) * per_section]
    return chunk[0][0], max(e for _, e in chunk), n_sections


def build_payload(
    text: str,
    codings: Sequence[Mapping[str, Any]],
    codes: Sequence[Mapping[str, Any]],
    section: tuple[int, int] | None = None,
    selected_coding: Any = None,
    chosen_codes: Sequence[Any] = (),
    paragraphs: Sequence[Sequence[int]] | None = None,
    scroll_to: int | None = None,
) -> dict:
    """The JSON sent to the browser for one section: only that section's text and codings.

    ``chosen_codes`` (ids among ``codes``, chosen in a searchable list on the page) are applied
    together by the component's "Apply chosen" button; ids not offered are dropped.

    ``codings`` are mappings with ``id``, ``start``, ``end`` (code points), ``code`` (the
    code id; a value that is no offered code's id is shown as the code's name) and
    ``colour``; ``codes`` have ``id``, ``name``, ``colour``. Pieces covered by codings carry
    ``bg``, their blended background. ``codings`` in the payload maps each coding id (as a
    string, JSON keys being strings) to ``{"name", "s", "e"}`` (code name for the hover
    title, span in code points) for the codings that touch the section; ``codes`` keep
    their order (the first nine get the number keys 1–9).

    ``paragraphs`` (``(start, end)`` code-point spans, any order) cut the pieces at
    paragraph boundaries and give ``paras``: ``[start, end, [code ids]]`` for each
    paragraph inside the section, listing the codes of the codings that touch it (in the
    order they begin), for the margin marks; ``[]`` when not given. ``scroll`` is
    ``scroll_to`` (a code point the browser brings into view) when it lies in the section,
    else ``None``.
    """
    start, end = section if section is not None else (0, len(text))
    start, end = max(0, int(start)), min(len(text), int(end))
    visible = [c for c in codings if int(c["start"]) < end and int(c["end"]) > start and int(c["start"]) < int(c["end"])]
    colour_of = {c["id"]: valid_colour(c.get("colour")) for c in visible}
    names = {c["id"]: str(c["name"]) for c in codes}
    spans = sorted((max(start, int(a)), min(end, int(b)))
                   for a, b in (paragraphs or ()) if int(a) < end and int(b) > start)
    cuts = sorted({p for span in spans for p in span})
    pieces = build_pieces(text, visible, start, end, cuts=cuts)
    for piece in pieces:
        if piece["c"]:
            piece["bg"] = blend_colours([colour_of[cid] for cid in piece["c"]])
    return {
        "section": [start, max(start, end)],
        "pieces": pieces,
        "codings": {str(c["id"]): {"name": _code_name(c, names), "s": int(c["start"]), "e": int(c["end"])} for c in visible},
        "codes": [{"id": c["id"], "name": str(c["name"]), "colour": valid_colour(c.get("colour"))} for c in codes],
        "selected": selected_coding,
        "chosen": [i for i in dict.fromkeys(chosen_codes) if i in names],
        "paras": paragraph_marks(spans, visible),
        "scroll": int(scroll_to) if scroll_to is not None and start <= int(scroll_to) < max(start + 1, end) else None,
    }


def paragraph_marks(spans: Sequence[Sequence[int]], codings: Sequence[Mapping[str, Any]]) -> list[list]:
    """``[start, end, [code ids]]`` per paragraph span: the codes of the codings touching it.

    Codes are listed once, in the order their first coding begins (ties by code id as
    given). One sweep over spans and codings both sorted by start: O((p + m) log m).
    """
    order = sorted(codings, key=lambda c: (int(c["start"]), int(c["end"])))
    out: list[list] = []
    k = 0
    open_: list[Mapping[str, Any]] = []  # codings begun before the paragraph's end, not yet ended
    for s, e in spans:
        while k < len(order) and int(order[k]["start"]) < e:
            open_.append(order[k])
            k += 1
        open_ = [c for c in open_ if int(c["end"]) > s]
        codes = list(dict.fromkeys(c.get("code") for c in open_ if int(c["start"]) < e))
        out.append([s, e, codes])
    return out


def wire(payload: Mapping[str, Any]) -> bytes:
    """The payload as compact UTF-8 JSON bytes, as sent to the browser.

    Streamlit sends a ``dict`` as ASCII JSON, where each Chinese character costs six bytes
    (``\\uXXXX``) and one outside the BMP twelve; as UTF-8 bytes it costs three (four), and
    the separators lose their spaces. The component's JavaScript decodes the bytes.
    """
    import json

    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _code_name(coding: Mapping[str, Any], names: Mapping[Any, str]) -> str:
    code = coding.get("code")
    if code in names:
        return names[code]
    return str(code) if code is not None else f"coding {coding['id']}"


def _as_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SelectionError(f"The {what} offset {value!r} is not a whole number of code points.")
    return value


def handle_selection_event(
    event: Mapping[str, Any], text: str, within: tuple[int, int] | None = None
) -> tuple[int, int]:
    """Check a selection sent by the browser and return it as ``(start, end)``.

    ``event`` holds ``start`` and ``end`` in code points relative to the document (not the
    section). The span is trimmed of leading and trailing whitespace (a double-click or a
    drag to the line end often takes a space or ``\\n`` along). ``within``, when given,
    is the section shown (code points); a span reaching outside it is refused too.

    Raises
    ------
    SelectionError
        Offsets missing or not whole numbers, outside ``[0, len(text)]`` (or ``within``),
        ``start >= end``, or a span of whitespace only.
    """
    if not isinstance(event, Mapping) or "start" not in event or "end" not in event:
        raise SelectionError("The selection event carries no start and end offsets.")
    start, end = _as_int(event["start"], "start"), _as_int(event["end"], "end")
    if not 0 <= start <= len(text) or not 0 <= end <= len(text):
        raise SelectionError(f"The selection [{start}, {end}) lies outside the text of {len(text)} characters.")
    if start >= end:
        raise SelectionError(f"The selection [{start}, {end}) is empty.")
    if within is not None and not within[0] <= start < end <= within[1]:
        raise SelectionError(f"The selection [{start}, {end}) reaches outside the section shown {list(within)}.")
    quote = text[start:end]
    stripped = quote.strip()
    if not stripped:
        raise SelectionError("The selection holds only whitespace.")
    lead = len(quote) - len(quote.lstrip())
    return start + lead, start + lead + len(stripped)


def selected_code_ids(event: Mapping[str, Any], known_ids: Iterable[Any]) -> list:
    """The ``code_ids`` of a "code" event, each checked against the offered codes.

    Duplicates are dropped, order kept. Raises :class:`SelectionError` when the list is
    missing, empty, or names a code that was not offered.
    """
    ids = event.get("code_ids") if isinstance(event, Mapping) else None
    if not isinstance(ids, list) or not ids:
        raise SelectionError("The coding event names no code.")
    known = set(known_ids)
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise SelectionError(f"Code {unknown[0]!r} is not in the codebook shown.")
    return list(dict.fromkeys(ids))


def handle_select_event(event: Mapping[str, Any], coding_ids: Iterable[Any]) -> Any:
    """The ``coding_id`` of a "select" event (a click on a highlight), if it is shown.

    Raises :class:`SelectionError` when the id is missing or not among ``coding_ids``.
    """
    cid = event.get("coding_id") if isinstance(event, Mapping) else None
    if cid is None or isinstance(cid, bool) or cid not in set(coding_ids):
        raise SelectionError(f"Coding {cid!r} is not shown here.")
    return cid
