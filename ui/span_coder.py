"""The span coder: select text in a document section and apply codes to it.

An in-house ``st.components.v2`` component (no package from the index returns offsets
Python can slice once the text holds 😀 or 𠀀). Python sends one section of the text,
already split into pieces at every coding boundary (``ui.pieces``); the JavaScript in
``ui/span_coder.js`` renders each piece with ``textContent``, maps a selection to **code
points** (``piece start + [...node.data.slice(0, offset)].length``) and sends one trigger
per action. The ``on_<event>_change`` callbacks check the event (``ui.pieces``) and call
the page's handlers before the rerun, so a new highlight shows at once.

Triggers do not fire inside ``st.form``; put the coder outside forms (an ``@st.fragment``
around the coding pane is fine).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import streamlit as st

import applog
from applog.errors import TandemError, unexpected_sentence
from i18n import N_, _
from ui.pieces import (
    build_payload,
    handle_select_event,
    handle_selection_event,
    selected_code_ids,
    wire,
)

_HERE = Path(__file__).resolve().parent
_HTML = (
    '<div class="tdm-sc">'
    '<div class="tdm-sc-tools" data-testid="tdm-span-tools">'
    '<input class="tdm-sc-filter" type="search" placeholder="Find a code… (Enter applies the first)" '
    'aria-label="Find a code" autocomplete="off">'
    '<div class="tdm-sc-bar" role="toolbar" aria-label="Codes"></div>'
    '<div class="tdm-sc-status" aria-live="polite"></div>'
    "</div>"
    '<div class="tdm-sc-text" data-testid="tdm-span-text"></div>'
    "</div>"
)
#: The component's own words (the JavaScript's English defaults), translated here and sent with the
#: payload as ``labels``; ``{n}`` is filled in by the JavaScript.
LABELS = {
    "filter": N_("Find a code… (Enter applies the first)"),
    "filter_name": N_("Find a code"),
    "bar": N_("Codes"),
    "code_key": N_("Code the selection (key {n})"),
    "code": N_("Code the selection"),
    "no_match": N_("No code matches the filter."),
    "apply": N_("Apply chosen ({n})"),
    "apply_help": N_("Apply every code chosen in the list above to the selection"),
    "not_offered": N_("a code not offered here"),
    "selected": N_("{n} characters selected: press a code button or its number key."),
    "hint": N_("Select text, then press a code button (or keys 1–9, or type a code's name above and Enter). "
               "Click a highlight to open its coding."),
    "select_first": N_("Select some text first."),
}


def labels() -> dict[str, str]:
    """:data:`LABELS` in the current interface language."""
    return {k: _(v) for k, v in LABELS.items()}


_mount = st.components.v2.component(
    "tandem_span_coder",
    html=_HTML,
    css=(_HERE / "span_coder.css").read_text(encoding="utf-8"),
    js=(_HERE / "span_coder.js").read_text(encoding="utf-8"),
    isolate_styles=False,  # window.getSelection() does not see into a shadow root
)


def _error_key(key: str) -> str:
    return f"_tdm_span_coder_error:{key}"


def _trigger_value(key: str, event: str) -> Any:
    """The value of trigger ``event`` of component ``key``, read inside its callback."""
    state = st.session_state.get(key)
    return state.get(event) if isinstance(state, Mapping) else None


def span_coder(
    text: str,
    codings: Sequence[Mapping[str, Any]],
    codes: Sequence[Mapping[str, Any]],
    *,
    key: str,
    section: tuple[int, int] | None = None,
    on_code: Callable[[int, int, list], None] | None = None,
    on_select_coding: Callable[[Any], None] | None = None,
    selected_coding: Any = None,
    chosen_codes: Sequence[Any] = (),
    paragraphs: Sequence[Sequence[int]] | None = None,
    scroll_to: int | None = None,
) -> None:
    """Show ``text[section[0]:section[1]]`` with its codings highlighted, and code buttons.

    Parameters
    ----------
    text : str
        The whole document text (stored, NFC). Only the section is sent to the browser.
    codings : sequence of mappings ``{id, start, end, code, colour}``
        Offsets are code points over ``text``; ``code`` is the code id and ``colour`` a
        ``#RRGGBB`` string. Codings outside the section are left out of the payload.
    codes : sequence of mappings ``{id, name, colour}``
        The buttons, in order; the first nine also answer to the keys 1–9.
    key : str
        The component key. Include the document id (``f"coder-{doc_id}"``) so a switch of
        document never carries an event over to another text.
    section : (start, end), optional
        The part shown, in code points (``ui.pieces.section_bounds``); default all of it.
    on_code : callable(start, end, code_ids), optional
        Called (in the callback, before the rerun) with a checked span in code points over
        ``text``, trimmed of edge whitespace, and the list of code ids applied.
    on_select_coding : callable(coding_id), optional
        Called when a highlight is clicked without a selection (again: the next overlapping
        coding), so the page can show its memo, links and delete button.
    selected_coding : coding id, optional
        Outlined in the text.
    chosen_codes : sequence of code ids, optional
        Codes picked in a searchable list on the page; an "Apply chosen" button applies them
        all to the selection at once (one ``on_code`` call with every id).
    paragraphs : sequence of (start, end), optional
        Paragraph spans (code points): the text is shown paragraph by paragraph with a
        margin stripe per code that touches it.
    scroll_to : int, optional
        A code point brought into view when it changes (the selected coding, a paragraph).

    The toolbar (code buttons, a type-ahead filter, the status line) stays at the top of
    the window while the text scrolls; the first nine buttons shown answer to keys 1–9.
    The payload goes as compact UTF-8 JSON bytes (``ui.pieces.wire``), with the component's
    words in the interface language (:func:`labels`).

    A ``ValueError`` raised by a handler (or by the checks of the event) is shown with
    ``st.warning`` above the coder on the next run.
    """
    payload = build_payload(text, codings, codes, section, selected_coding, chosen_codes,
                            paragraphs=paragraphs, scroll_to=scroll_to)
    payload["labels"] = labels()
    start, end = payload["section"]
    code_ids = [c["id"] for c in codes]
    coding_ids = [c["id"] for c in codings]
    error_key = _error_key(key)

    def _on_code() -> None:
        event = _trigger_value(key, "code")
        if event is None:
            return
        try:
            span = handle_selection_event(event, text, within=(start, end))
            ids = selected_code_ids(event, code_ids)
            if on_code is not None:
                on_code(span[0], span[1], ids)
        except TandemError as exc:  # a refusal (ui.pieces.SelectionError, coding.CodingError): its sentence
            st.session_state[error_key] = str(exc)
        except Exception as exc:  # a bug: one sentence here, the traceback in the log
            st.session_state[error_key] = unexpected_sentence(exc, applog.log_unexpected(exc, "ui"))

    def _on_select() -> None:
        event = _trigger_value(key, "select")
        if event is None:
            return
        try:
            coding_id = handle_select_event(event, coding_ids)
            if on_select_coding is not None:
                on_select_coding(coding_id)
        except TandemError as exc:  # a refusal (ui.pieces.SelectionError, coding.CodingError): its sentence
            st.session_state[error_key] = str(exc)
        except Exception as exc:  # a bug: one sentence here, the traceback in the log
            st.session_state[error_key] = unexpected_sentence(exc, applog.log_unexpected(exc, "ui"))

    message = st.session_state.pop(error_key, None)
    if message:
        st.warning(message)
    _mount(key=key, data=wire(payload), on_code_change=_on_code, on_select_change=_on_select)
