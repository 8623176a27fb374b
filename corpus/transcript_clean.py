"""Cleaning a transcript's text into utterances, on request (import option ``clean_transcript``).

PDF transcripts (and .txt files printed from them) carry print furniture that is not speech:
a number at the start of every line, page markers, running headers and footers repeated on
every page, and lines hard-wrapped at the page width. :func:`clean_transcript` removes it and
returns what it removed, so that the user can see it at import. It works on text only (a list
of page texts, or one text whose pages are separated by form feeds ``\\f`` or by the page
markers themselves), in four steps:

1. **Page markers**: a whole line "Page 3", "Page 3 of 12", "p. 3", "3 / 12", "- 3 -", "— 3 —",
   "第 3 页", "第3页/共12页", "第3页，共12页", "共12页 第3页" (digits or Chinese numerals) is removed;
   in a text without page breaks it also ends a page (for step 3).
2. **Line numbers**: a run of 3 or more lines holding only consecutive numbers (the column of
   line numbers that a PDF's text layer often gives after the page's text) is removed; and when
   at least half of the remaining non-empty lines (and at least 3) start with a number followed
   by white space, and at least 80% of those numbers follow their predecessor (n = previous + 1
   or + 2, or a restart at 1), the leading number is removed from every line that has one.
3. **Running headers and footers**: among the first two and last two non-empty lines of each
   page, a line that recurs (digits masked, so "Interview 3 · page 4" matches "… page 5") on at
   least half the pages (and at least 2) is removed wherever it occurs in those positions,
   unless it starts with a speaker label (a turn that happens to open several pages).
4. **Utterances**: a speaker label is a short label and a colon at the start of a line —
   ``Q:``, ``A:``, ``访谈者：``, ``受访者：``, ``Interviewer:``, ``R1:``, ``张某：`` (Latin: a
   letter then up to 24 letters, digits, spaces or ``.'-``; other scripts: 1–8 characters
   without digits, spaces or punctuation; half- or full-width colon; never ``http://``). A
   label counts when it occurs at least twice or is one of the usual ones (Q, A, I, R, P,
   问, 答, 访谈者, 受访者, 采访者, 被访者, 主持人, Interviewer, Interviewee, Respondent, Moderator,
   with an optional number). When labels are found, each labelled line starts an utterance and
   every following line without a label is joined to it, across blank lines and pages; text
   before the first label keeps its paragraphs. Without labels, hard-wrapped lines are joined
   within each blank-line paragraph. Joined lines meet without a space between Chinese
   characters or after a hyphen that follows a letter, with one space otherwise.

The result has one utterance (or paragraph) per block, blocks separated by ``\\n\\n``.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Sequence

__all__ = ["CleanReport", "clean_transcript"]

_NUM = r"(?:\d{1,4}|[一二三四五六七八九十百零〇两]{1,5})"
_PAGE_MARKERS = [re.compile(p, re.IGNORECASE) for p in (
    rf"^\s*(?:page|pg\.?|p\.)\s*{_NUM}(?:\s*(?:of|/)\s*{_NUM})?\s*$",
    rf"^\s*[-–—]+\s*{_NUM}\s*[-–—]+\s*$",
    rf"^\s*第\s*{_NUM}\s*页\s*(?:[/／,，、;；]?\s*共\s*{_NUM}\s*页)?\s*$",
    rf"^\s*共\s*{_NUM}\s*页\s*[,，、]?\s*第\s*{_NUM}\s*页\s*$",
    r"^\s*\d{1,4}\s*[/／]\s*\d{1,4}\s*$",
)]
_LINE_NUMBER = re.compile(r"^[ \t\u3000]*(\d{1,5})(?:[ \t\u3000]+|$)")
_LABEL = re.compile(
    r"^[ \t\u3000]*(?P<label>[A-Za-z][A-Za-z0-9.'’\- ]{0,24}?|[^\s\d:：,，.。!！?？;；\"“”'‘’()（）\[\]【】-]{1,8}?)"
    r"[ \t\u3000]*[:：](?!//)")
_USUAL = re.compile(r"^(?:q|a|i|r|p|问|答|访谈者|受访者|采访者|被访者|主持人|访员|interviewer|interviewee|respondent|"
                    r"moderator|participant|speaker)\s*\d{0,3}$", re.IGNORECASE)
_CJK = re.compile("[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f\U00020000-\U0003134f]")
_EXAMPLES = 3


@dataclass
class CleanReport:
    """What :func:`clean_transcript` removed and joined.

    Attributes
    ----------
    line_numbers : int
        Leading line numbers removed.
    page_markers : int
        Page-marker lines removed.
    running_lines : int
        Running header/footer lines removed.
    joined_lines : int
        Line breaks joined (hard wraps inside an utterance or paragraph).
    utterances : int
        Blocks that start at a speaker label.
    blocks : int
        Blocks in the result (utterances plus paragraphs before the first label).
    speakers : dict
        Speaker label -> number of utterances.
    examples : dict
        Kind (``"line_numbers"``, ``"page_markers"``, ``"running_lines"``) -> up to three
        removed texts, as they stood.
    """

    line_numbers: int = 0
    page_markers: int = 0
    running_lines: int = 0
    joined_lines: int = 0
    utterances: int = 0
    blocks: int = 0
    speakers: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain dict with stable keys (JSON, UI)."""
        return {"line_numbers": self.line_numbers, "page_markers": self.page_markers,
                "running_lines": self.running_lines, "joined_lines": self.joined_lines,
                "utterances": self.utterances, "blocks": self.blocks, "speakers": dict(self.speakers),
                "examples": {k: list(v) for k, v in self.examples.items()}}

    def summary(self, examples: bool = True) -> str:
        """One sentence: what was removed and joined (with up to three examples of each when
        ``examples``)."""
        def ex(kind: str) -> str:
            shown = (self.examples.get(kind) or []) if examples else []
            return f" (e.g. {', '.join(repr(s) for s in shown)})" if shown else ""

        speakers = ", ".join(f"{k} {v}" for k, v in self.speakers.items())
        return (f"Cleaned: {self.line_numbers} line number(s){ex('line_numbers')}, {self.page_markers} page "
                f"marker(s){ex('page_markers')} and {self.running_lines} running header/footer line(s)"
                f"{ex('running_lines')} removed; {self.joined_lines} hard line break(s) joined into "
                f"{self.utterances} utterance(s)" + (f" ({speakers})" if speakers else "")
                + f", {self.blocks} block(s) in all.")

    def _example(self, kind: str, text: str) -> None:
        shown = self.examples.setdefault(kind, [])
        text = text.strip()[:30]
        if len(shown) < _EXAMPLES and text not in shown:
            shown.append(text)


def clean_transcript(text: str | Sequence[str]) -> tuple[str, CleanReport]:
    """Remove line numbers, page markers and running headers/footers; join lines into utterances.

    Parameters
    ----------
    text : str or sequence of str
        One text (pages separated by ``\\f`` or by page markers) or the text of each page
        (a PDF's pages). Line breaks are ``\\n`` (canonical text).

    Returns
    -------
    (str, CleanReport)
        The cleaned text (blocks separated by ``\\n\\n``) and what was done (see the module
        docstring for the rules). A text with nothing to clean comes back with its lines
        joined within paragraphs.
    """
    report = CleanReport()
    if isinstance(text, str):
        pages_in = text.split("\f")
        split_at_markers = len(pages_in) == 1
    else:
        pages_in = [p.replace("\f", "\n") for p in text]
        split_at_markers = False
    pages = _remove_markers([p.split("\n") for p in pages_in], split_at_markers, report)
    _remove_line_numbers(pages, report)
    pages = _remove_markers(pages, False, report)  # markers that carried a line number
    _remove_running(pages, report)
    blocks = _join([line for page in pages for line in page + [""]], report)
    report.blocks = len(blocks)
    return "\n\n".join(blocks), report


def _is_marker(line: str) -> bool:
    return any(p.match(line) for p in _PAGE_MARKERS)


def _remove_markers(pages: list[list[str]], split: bool, report: CleanReport) -> list[list[str]]:
    out: list[list[str]] = []
    for lines in pages:
        current: list[str] = []
        for line in lines:
            if line.strip() and _is_marker(line):
                report.page_markers += 1
                report._example("page_markers", line)
                if split:
                    out.append(current)
                    current = []
                continue
            current.append(line)
        out.append(current)
    return [p for p in out if any(line.strip() for line in p)] or [[]]


def _remove_number_columns(pages: list[list[str]], report: CleanReport) -> None:
    """Runs of 3 or more lines holding only consecutive numbers (a line-number column that the
    PDF's text layer gives after the page's text) are removed."""
    run: list[tuple[list[str], int]] = []

    def flush() -> None:
        if len(run) >= 3:
            for page, i in run:
                report.line_numbers += 1
                report._example("line_numbers", page[i])
                page[i] = ""
        run.clear()

    for page in pages:
        for i, line in enumerate(page):
            text = line.strip()
            if not text:
                continue
            if text.isdigit() and len(text) <= 5:
                if run and int(text) != int(run[-1][0][run[-1][1]].strip()) + 1:
                    flush()
                run.append((page, i))
            else:
                flush()
    flush()


def _remove_line_numbers(pages: list[list[str]], report: CleanReport) -> None:
    _remove_number_columns(pages, report)
    lines = [line for page in pages for line in page if line.strip()]
    numbers = [m for m in (_LINE_NUMBER.match(line) for line in lines) if m]
    if len(numbers) < 3 or len(numbers) * 2 < len(lines):
        return
    in_sequence, prev = 0, None
    for m in numbers:
        n = int(m.group(1))
        if prev is None or n == 1 or 1 <= n - prev <= 2:
            in_sequence += 1
        prev = n
    if in_sequence < 0.8 * len(numbers):
        return
    for page in pages:
        for i, line in enumerate(page):
            m = _LINE_NUMBER.match(line)
            if m and line.strip():
                report.line_numbers += 1
                report._example("line_numbers", line)
                page[i] = line[m.end():]


def _mask(line: str) -> str:
    return re.sub(r"\d+", "#", " ".join(line.split()))


def _edges(page: list[str]) -> list[int]:
    filled = [i for i, line in enumerate(page) if line.strip()]
    return sorted(set(filled[:2] + filled[-2:]))


def _remove_running(pages: list[list[str]], report: CleanReport) -> None:
    n_pages = len(pages)
    if n_pages < 2:
        return
    seen: Counter = Counter()
    for page in pages:
        seen.update({_mask(page[i]) for i in _edges(page)})
    need = max(2, math.ceil(n_pages / 2))
    running = {key for key, count in seen.items() if count >= need and not _LABEL.match(key)}
    if not running:
        return
    for page in pages:
        for i in _edges(page):
            if _mask(page[i]) in running:
                report.running_lines += 1
                report._example("running_lines", page[i])
                page[i] = ""


def _glue(left: str, right: str) -> str:
    if not left:
        return right
    if _CJK.match(left[-1]) and _CJK.match(right[0]):
        return left + right
    if left.endswith("-") and len(left) > 1 and left[-2].isalpha():
        return left + right
    return left + " " + right


def _join(lines: list[str], report: CleanReport) -> list[str]:
    stripped = [" ".join(line.split()) if not _CJK.search(line) else line.strip() for line in lines]
    found = Counter(m.group("label").strip() for m in map(_LABEL.match, stripped) if m)
    labels = {k for k, v in found.items() if v >= 2 or _USUAL.match(k)}
    blocks: list[str] = []
    current: str | None = None
    in_utterance = False
    for line in stripped:
        m = _LABEL.match(line) if labels else None
        if m and m.group("label").strip() in labels:
            if current:
                blocks.append(current)
            current, in_utterance = line, True
            label = m.group("label").strip()
            report.speakers[label] = report.speakers.get(label, 0) + 1
            report.utterances += 1
        elif not line:
            if not in_utterance and current:
                blocks.append(current)
                current = None
        elif current:
            current = _glue(current, line)
            report.joined_lines += 1
        else:
            current = line
    if current:
        blocks.append(current)
    return blocks
