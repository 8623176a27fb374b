"""Intercoder agreement: character level (NVivo), presence in sentences, paragraphs or documents,
and segment overlap (MAXQDA); percent agreement, Cohen's and Fleiss' kappa, Krippendorff's alpha,
Gwet's AC1 and Brennan–Prediger, with cluster-bootstrap intervals.

``agreement(session, coders, unit=...)`` gives the table; ``compare_coders`` the side-by-side
view of one document. Only human codings count unless ``origins=`` says otherwise; the assistant
can be compared as a pseudo-coder (``pseudo_coders``). See ``coding.agreement.coefficients`` for the formulas and their sources.
"""
from coding.agreement.coefficients import coefficients
from coding.agreement.compare import coder_codings, compare_coders, highlight_html, legend_html
from coding.agreement.data import UNITS, agreement
from coding.agreement.selection import ORIGINS, RULES_CODER, agreement_coders, pseudo_coders
from coding.agreement.segments import DEFAULT_OVERLAP, overlap_share
from coding.agreement.table import POOLED, readable

__all__ = ["DEFAULT_OVERLAP", "ORIGINS", "POOLED", "RULES_CODER", "UNITS", "agreement", "agreement_coders",
           "coder_codings", "coefficients", "compare_coders", "highlight_html", "legend_html", "overlap_share",
           "pseudo_coders", "readable"]
