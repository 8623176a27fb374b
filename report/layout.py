"""Laying out a report context (``report.draft.build_context``) as Markdown, HTML or DOCX.

The jinja2 templates are in ``templates/`` (``report.md.j2``, ``report.html.j2`` and their
Chinese twins ``report.zh.*.j2``); DOCX is built by ``report.docx`` / ``report.docx_zh``. The
HTML environment autoescapes every value, so quotes, document names, memos and code names cannot
inject markup; in Markdown output a ``<`` that could open a tag becomes ``&lt;`` (it still reads
literally once rendered); in DOCX user text is only ever the text of a run.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from i18n import _, using
from report.errors import ReportError
from report.figures import figure_src

__all__ = ["TEMPLATES", "FORMATS", "MIME_TYPES", "format_of", "render_context", "write_context"]

#: Folder of the jinja2 templates.
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
#: Output format → template file (``docx`` is written by ``report.docx``).
FORMATS = {"md": "report.md.j2", "html": "report.html.j2", "docx": None}
#: Output format → MIME type, for downloads.
MIME_TYPES = {
    "md": "text/markdown", "html": "text/html",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
#: Templates of a Chinese draft (``report.zh_draft`` blocks).
_ZH_TEMPLATES = {"md": "report.zh.md.j2", "html": "report.zh.html.j2"}
_SUFFIXES = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".docx": "docx"}


def format_of(path) -> str:
    """The draft format a file name asks for: ``.md``/``.markdown`` → ``"md"``, ``.html``/``.htm``
    → ``"html"``, ``.docx`` → ``"docx"``.

    Raises
    ------
    ReportError
        Any other extension (one sentence naming the file).
    """
    target = Path(path)
    fmt = _SUFFIXES.get(target.suffix.lower())
    if fmt is None:
        raise ReportError(
            _("{name}: the report format is chosen by the extension; use .md, .html or .docx.")
            .format(name=target.name)
        )
    return fmt


_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")


def _markdown_safe(value):
    """Neutralise HTML in Markdown output: a ``<`` that could open a tag becomes ``&lt;``.

    Markdown renderers pass raw HTML (``<`` followed by a letter, ``/``, ``!`` or ``?``)
    through, so a quote such as ``<script>`` would become markup once the draft is rendered;
    as an entity it still reads literally in any renderer. Other text (``p < 0.05``) is kept.
    """
    if isinstance(value, str):
        return _TAG_START.sub("&lt;", value)
    return value


@lru_cache(maxsize=None)
def _environment(fmt: str) -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=(fmt == "html"),
        finalize=None if fmt == "html" else _markdown_safe,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_context(context: dict, fmt: str = "md", *, assets: str | None = None) -> str | bytes:
    """Lay out a context of ``report.draft.build_context`` as Markdown, HTML (``str``) or DOCX (``bytes``).

    Figures: HTML embeds each as ``<img src="data:image/png;base64,…">`` (one self-contained
    file), DOCX as an inline picture. Markdown links ``assets/figure-n.png`` when ``assets`` (a
    folder name relative to the ``.md`` file; :func:`write_context` creates it) is given, else embeds the
    PNG as a data URI so the text alone is the whole draft (the Report page's download).

    Raises
    ------
    ReportError
        If ``fmt`` is not one of :data:`FORMATS`.
    """
    if fmt not in FORMATS:
        raise ReportError(_("fmt {fmt!r} is not one of {names}.").format(fmt=fmt, names=', '.join(FORMATS)))
    lang = context.get("language", "en")
    with using(lang):
        figure_src(context, assets if fmt == "md" else None)
        if lang == "zh":
            if fmt == "docx":
                from report.docx_zh import render_docx_zh

                return render_docx_zh(context)
            return _environment(fmt).get_template(_ZH_TEMPLATES[fmt]).render(**context)
        if fmt == "docx":
            from report.docx import render_docx

            return render_docx(context)
        return _environment(fmt).get_template(FORMATS[fmt]).render(**context)


def write_context(context: dict, path, *, assets: str | None = None) -> Path:
    """Write a context of ``report.draft.build_context`` to ``path`` as ``report.draft.write`` does (format by
    extension; a Markdown draft's figures as ``assets/figure-n.png`` beside it, ``assets``
    defaulting to ``<stem>_files``).

    Raises
    ------
    ReportError
        If the extension is not .md, .markdown, .html, .htm or .docx.
    """
    target = Path(path)
    fmt = format_of(target)
    folder = assets or f"{target.stem}_files"
    out = render_context(context, fmt, assets=folder)
    figures = (context.get("figures") or {}).get("all", [])
    if fmt == "md" and figures:
        (target.parent / folder).mkdir(parents=True, exist_ok=True)
        for fig in figures:
            (target.parent / folder / fig["file"]).write_bytes(fig["png"])
    if isinstance(out, bytes):
        target.write_bytes(out)
    else:
        target.write_text(out, encoding="utf-8")
    return target
