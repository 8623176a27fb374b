"""Settings of a report draft: one frozen dataclass instead of a long list of keyword arguments."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from i18n import _
from report.errors import ReportError
from report.tables import DEFAULT_STARS

__all__ = ["LANGUAGES", "ReportOptions", "options_from"]

#: Languages a draft can be written in.
LANGUAGES = ("en", "zh")


@dataclass(frozen=True)
class ReportOptions:
    """How a draft is laid out; the defaults are what the CLI and the Report page use.

    Attributes
    ----------
    se_type : str or None
        SE type reported where a run has it; default each run's own (every table names it).
    stars : tuple of float
        Significance levels of *, **, *** (strictly decreasing; default .05/.01/.001).
    alpha : float
        1 − confidence level of the joint displays' intervals.
    digits : int
        Decimals of estimates.
    max_quotes, max_case_quotes : int
        Quotes per term of a joint display (and per mapped code), and per case.
    max_deviant, max_evidence : int
        Deviant cases shown per dimension (largest |Pearson residual|; per cell for binary
        models), plus up to ``max_evidence`` further deviant cases with coded passages.
    c, n_typical : float, int
        Case selection: deviant iff |r| > c (Lieberman 2005); typical cases kept.
    max_appendix : int
        Passages listed at most in the evidence appendix.
    themes_grouping : {"case_type", "outcome", "tercile"}
        Groups of the statistics-by-themes display.
    themes_base : {"evidence", "all"}
        Units over which that display's cut points are taken.
    max_comparison : int
        Cases at most in the case comparison.
    colour_rows : bool
        Colour joint-display and case-comparison rows by their meta-inference (HTML, DOCX).
    figures : bool
        Embed the figures (coefficient plot, each run's residual plot, the map of a dyad run's
        deviant pairs; ``report.figures``). Rendering takes seconds (the maps most), so a quick
        draft can leave them out.
    title, generated : str or None
        Title (default ``"<project>: mixed-methods report (draft)"``) and date shown (default today;
        an ISO date is written 2026年12月3日 in a Chinese draft).
    language : {"en", "zh"}
        Language of the draft, whatever the interface language: ``"zh"`` writes it in 简体中文 with
        the sections of a Chinese social-science paper (``report.zh_draft``).
    """

    se_type: str | None = None
    stars: tuple = DEFAULT_STARS
    alpha: float = 0.05
    digits: int = 3
    max_quotes: int = 2
    max_case_quotes: int = 2
    max_deviant: int = 5
    max_evidence: int = 10
    c: float = 2.0
    n_typical: int = 5
    max_appendix: int = 400
    themes_grouping: str = "case_type"
    themes_base: str = "evidence"
    max_comparison: int = 20
    colour_rows: bool = True
    figures: bool = True
    title: str | None = None
    generated: str | None = None
    language: str = "en"


_FIELDS = {f.name for f in dataclasses.fields(ReportOptions)}


def options_from(options: ReportOptions | None = None, **overrides) -> ReportOptions:
    """``options`` (default :class:`ReportOptions()`) with ``overrides`` replaced.

    Raises
    ------
    ReportError
        An override that is not a field of :class:`ReportOptions`.
    """
    if options is not None and not isinstance(options, ReportOptions):
        raise ReportError(_("options must be a report.options.ReportOptions."))
    unknown = sorted(set(overrides) - _FIELDS)
    if unknown:
        raise ReportError(_("Unknown report setting(s) {names}; use {names2}.")
                          .format(names=', '.join(unknown), names2=', '.join(sorted(_FIELDS))))
    opts = dataclasses.replace(options or ReportOptions(), **overrides)
    if opts.language not in LANGUAGES:
        raise ReportError(_("language {language!r} is not one of {names} (the draft's language).")
                          .format(language=opts.language, names=', '.join(LANGUAGES)))
    return opts
