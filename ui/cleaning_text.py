"""The transcript-cleaning report of an import (``corpus.readers``' ``cleaning`` dict) as one
sentence in the interface language.

The library writes the English sentence (``corpus.transcript_clean.CleanReport.summary``); the
Documents page shows this one instead, built from the same counts, so that a Chinese interface
reads Chinese. In English the two are the same sentence (tests/test_i18n_i5.py compares them).
No Streamlit here: the function is plain and testable on its own.
"""
from __future__ import annotations

from i18n import _

__all__ = ["cleaning_sentence"]


def cleaning_sentence(filename: str, cleaning: dict) -> str:
    """``"<file>: Cleaned: n line number(s), n page marker(s) and n running header/footer line(s)
    removed; n hard line break(s) joined into n utterance(s) (speakers), n block(s) in all."``

    ``cleaning`` holds the counts of ``CleanReport.as_dict()`` (``line_numbers``, ``page_markers``,
    ``running_lines``, ``joined_lines``, ``utterances``, ``blocks``, ``speakers`` label -> count).
    Raises KeyError when a count is missing.
    """
    speakers = ", ".join(f"{k} {v}" for k, v in (cleaning.get("speakers") or {}).items())
    counts = {k: cleaning[k] for k in ("line_numbers", "page_markers", "running_lines", "joined_lines",
                                       "utterances", "blocks")}
    if speakers:
        text = _("Cleaned: {line_numbers} line number(s), {page_markers} page marker(s) and {running_lines} "
                 "running header/footer line(s) removed; {joined_lines} hard line break(s) joined into "
                 "{utterances} utterance(s) ({speakers}), {blocks} block(s) in all.").format(speakers=speakers,
                                                                                              **counts)
    else:
        text = _("Cleaned: {line_numbers} line number(s), {page_markers} page marker(s) and {running_lines} "
                 "running header/footer line(s) removed; {joined_lines} hard line break(s) joined into "
                 "{utterances} utterance(s), {blocks} block(s) in all.").format(**counts)
    return _("{file}: {summary}").format(file=filename, summary=text)
