"""Words and references of a Chinese report draft: SE types, case and meta-inference labels,
dates and numbers in zh_CN conventions, and the GB/T 7714-2015 reference list.

Every label is an English msgid marked with ``N_`` and translated with ``_`` when shown (inside
``i18n.using("zh")``), so the Chinese comes from the catalogue (``i18n/locale/zh_CN/parts/i7.tsv``).
Values from other modules (case types of ``quant.cases.rules``, meta-inference labels of
``mixed.meta``) are looked up the same way: a value without a msgid is shown as it is.

References follow GB/T 7714-2015 (信息与文献 参考文献著录规则), numeric system (顺序编码制):
``[n] 著者. 题名[文献类型标识]. 刊名, 年, 卷(期): 起止页.``; Latin-script authors surname first in
capitals, given names as initials without full stops, more than three authors cut to three and
"et al."; a chapter in a book ``[M]//``, a paper in proceedings ``[C]//``, a report ``[R]``.
"""
from __future__ import annotations

from datetime import date, datetime

from i18n import N_, _

__all__ = ["REFERENCES", "se_name", "term", "zh_date", "zh_int", "cited_keys"]

#: Chinese names of the SE types (keys of ``FitResult.se``); others fall back to the run's label.
_SE_NAMES = {
    "dyadic": N_("dyadic-robust standard errors"),
    "hc0": N_("heteroskedasticity-robust (HC0) standard errors"),
    "hc1": N_("heteroskedasticity-robust (HC1) standard errors"),
    "hc2": N_("heteroskedasticity-robust (HC2) standard errors"),
    "hc3": N_("heteroskedasticity-robust (HC3) standard errors"),
    "model": N_("model-based standard errors"),
    "cluster": N_("cluster-robust standard errors"),
}

#: Labels that arrive as English values from quant/mixed (case types, groups, meta-inferences).
_VALUES = [
    N_("typical"), N_("deviant"), N_("typical tie"), N_("typical non-tie"),
    N_("deviant tie (unexpected collaboration)"), N_("deviant non-tie (missing expected collaboration)"),
    N_("deviant (under-predicted)"), N_("deviant (over-predicted)"), N_("over-predicted"), N_("under-predicted"),
    N_("over-predicted non-tie (missing expected collaboration)"),
    N_("under-predicted tie (unexpected collaboration)"), N_("advertised, not implemented"),
    N_("confirmation"), N_("expansion"), N_("discordance"), N_("tie"), N_("non-tie"),
    N_("Not linked"), N_("breadth"), N_("connection"), N_("degree"),
]


def term(value) -> str:
    """``value`` (an English label from quant/mixed) in the current language; unknown values as they are."""
    text = "" if value is None else str(value)
    return _(text) if text else text


def se_name(se_type: str, label: str) -> str:
    """The SE type in words (e.g. 二元稳健标准误), or the run's own label when the type is not listed."""
    msg = _SE_NAMES.get(str(se_type))
    return _(msg) if msg else str(label)


def zh_date(value) -> str:
    """A date as zh_CN writes it, e.g. ``2026年12月3日`` (Babel, format "long"); text that is not an
    ISO date is returned unchanged."""
    from babel.dates import format_date

    if value is None:
        day = date.today()
    elif isinstance(value, (date, datetime)):
        day = value if isinstance(value, date) else value.date()
    else:
        try:
            day = date.fromisoformat(str(value).strip()[:10])
        except ValueError:
            return str(value)
    return format_date(day, format="long", locale="zh_CN")


def zh_int(n) -> str:
    """A count with zh_CN grouping (Babel), e.g. ``11,935``."""
    from babel.numbers import format_decimal

    return format_decimal(int(n), locale="zh_CN")


#: key → (reference in GB/T 7714-2015, in-text name). Written by hand from the publications.
REFERENCES = {
    "guetterman2015": (
        "GUETTERMAN T C, FETTERS M D, CRESWELL J W. Integrating quantitative and qualitative results in "
        "health science mixed methods research through joint displays[J]. Annals of Family Medicine, 2015, "
        "13(6): 554-561.", "Guetterman et al., 2015"),
    "fetters2013": (
        "FETTERS M D, CURRY L A, CRESWELL J W. Achieving integration in mixed methods designs: principles "
        "and practices[J]. Health Services Research, 2013, 48(6): 2134-2156.", "Fetters et al., 2013"),
    "lieberman2005": (
        "LIEBERMAN E S. Nested analysis as a mixed-method strategy for comparative research[J]. American "
        "Political Science Review, 2005, 99(3): 435-452.", "Lieberman, 2005"),
    "fafchamps2007": (
        "FAFCHAMPS M, GUBERT F. The formation of risk sharing networks[J]. Journal of Development Economics, "
        "2007, 83(2): 326-350.", "Fafchamps & Gubert, 2007"),
    "aronow2015": (
        "ARONOW P M, SAMII C, ASSENOVA V A. Cluster-robust variance estimation for dyadic data[J]. Political "
        "Analysis, 2015, 23(4): 564-577.", "Aronow et al., 2015"),
    "cameron2014": (
        "CAMERON A C, MILLER D L. Robust inference for dyadic data[R]. Davis: University of California, "
        "Davis, 2014.", "Cameron & Miller, 2014"),
    "graham2020": (
        "GRAHAM B S. Network data[M]//DURLAUF S N, HANSEN L P, HECKMAN J J, et al. Handbook of "
        "Econometrics: Volume 7A. Amsterdam: Elsevier, 2020: 111-218.", "Graham, 2020"),
    "huber1967": (
        "HUBER P J. The behavior of maximum likelihood estimates under nonstandard conditions[C]//LE CAM L M, "
        "NEYMAN J. Proceedings of the Fifth Berkeley Symposium on Mathematical Statistics and Probability: "
        "Volume 1. Berkeley: University of California Press, 1967: 221-233.", "Huber, 1967"),
    "white1980": (
        "WHITE H. A heteroskedasticity-consistent covariance matrix estimator and a direct test for "
        "heteroskedasticity[J]. Econometrica, 1980, 48(4): 817-838.", "White, 1980"),
    "firth1993": (
        "FIRTH D. Bias reduction of maximum likelihood estimates[J]. Biometrika, 1993, 80(1): 27-38.",
        "Firth, 1993"),
    "heinze2002": (
        "HEINZE G, SCHEMPER M. A solution to the problem of separation in logistic regression[J]. Statistics "
        "in Medicine, 2002, 21(16): 2409-2419.", "Heinze & Schemper, 2002"),
}


def cited_keys(dimensions: list[dict]) -> list[str]:
    """The methods references a draft's runs call for, in order of first citation after the three
    of the design (joint displays, meta-inferences, nested analysis): dyadic-robust SEs cite
    Fafchamps & Gubert 2007, Aronow et al. 2015, Cameron & Miller 2014 (and Graham 2020 for his
    conservative form); HC SEs Huber 1967 and White 1980; a Firth logit Firth 1993 and
    Heinze & Schemper 2002."""
    keys: list[str] = []
    for d in dimensions:
        se, label, model = str(d.get("se_type")), str(d.get("se_label", "")), str(d.get("model"))
        if se == "dyadic" or "dyadic" in label.lower():
            keys += ["fafchamps2007", "aronow2015", "cameron2014"]
            if "graham" in label.lower():
                keys.append("graham2020")
        elif se.startswith("hc"):
            keys += ["huber1967", "white1980"]
        if model == "firth":
            keys += ["firth1993", "heinze2002"]
    return list(dict.fromkeys(keys))
