"""Intercoder agreement: character level (NVivo), presence in sentences, paragraphs or documents,
and segment overlap (MAXQDA); percent agreement, Cohen's and Fleiss' kappa, Krippendorff's alpha,
Gwet's AC1 and Brennan–Prediger, with cluster-bootstrap intervals.

``agreement(session, coders, unit=...)`` gives the table; ``compare_coders`` the side-by-side
view of one document. See ``coding.agreement.coefficients`` for the formulas and their sources.
"""
from coding.agreement.coefficients import coefficients
from coding.agreement.compare import coder_codings, compare_coders, highlight_html, legend_html
from coding.agreement.data import UNITS, agreement
from coding.agreement.segments import DEFAULT_OVERLAP, overlap_share
from coding.agreement.table import POOLED, readable

__all__ = ["DEFAULT_OVERLAP", "POOLED", "UNITS", "agreement", "coder_codings", "coefficients", "compare_coders",
           "highlight_html", "legend_html", "overlap_share", "readable"]
