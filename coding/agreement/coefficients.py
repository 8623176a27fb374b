"""Agreement coefficients for nominal ratings, computed from weighted rating patterns.

A *pattern* is one row of ratings, one value per coder (``0``/``1`` for a code's presence, or
NaN when that coder did not rate the unit); its *weight* is the number of units showing it.
Working on patterns keeps character-level agreement cheap (a document of 100,000 characters has
at most ``2**m`` patterns for ``m`` coders) and lets a bootstrap replicate be just another
weight vector, so :func:`coefficients_batch` computes every replicate at once.

Definitions (``n_uc`` = coders putting unit ``u`` in category ``c``, ``r_u = sum_c n_uc``;
only units with ``r_u >= 2`` carry information about agreement):

- **Percent agreement** ``P_o``: the weighted mean over units of the share of agreeing coder
  pairs, ``sum_c n_uc (n_uc - 1) / (r_u (r_u - 1))``; with two coders, the share of units on
  which both agree, ``(a + d) / N``.
- **Cohen's kappa** (Cohen 1960), two coders, units both rated: ``(P_o - P_e)/(1 - P_e)`` with
  ``P_e = sum_c p_A(c) p_B(c)`` (each coder keeps their own marginals).
- **Fleiss' kappa** (Fleiss 1971), units rated by every coder: ``(P̄ - P̄_e)/(1 - P̄_e)`` with
  ``P̄_e = sum_c p_c**2``; with two coders it equals Scott's pi.
- **Krippendorff's alpha, nominal** (Krippendorff 2004, ch. 11; 2011 "Computing Krippendorff's
  Alpha-Reliability"): ``1 - (n - 1) sum_{c!=k} o_ck / sum_{c!=k} n_c n_k`` over the coincidence
  matrix ``o_ck = sum_u n_uc (n_uk - [c=k]) / (r_u - 1)``; missing ratings are allowed.
- **Gwet's AC1** (Gwet 2008): ``(P_o - P_e)/(1 - P_e)``, ``P_e = sum_q pi_q (1 - pi_q)/(Q - 1)``
  with ``pi_q`` the mean over units of ``n_uq / r_u`` (units with ``r_u >= 2``).
- **Brennan–Prediger** (Brennan & Prediger 1981; MAXQDA's chance correction):
  ``(P_o - 1/Q)/(1 - 1/Q)``.

``Q`` is the number of categories (2 for presence/absence). A coefficient whose chance term is
1 (every coder constant in the same category) or that has no unit to work on is NaN, never 0
or 1; :func:`undefined_reason` says why in one sentence.
"""
from __future__ import annotations

import numpy as np

from coding.errors import CodingError
from i18n import _

__all__ = ["COEFFICIENTS", "coefficients", "coefficients_batch", "undefined_reason"]

COEFFICIENTS = ("pct_agreement", "cohen_kappa", "fleiss_kappa", "alpha", "gwet_ac1", "brennan_prediger")


def _prepare(values: np.ndarray, categories: tuple) -> dict[str, np.ndarray]:
    """Per-pattern quantities that do not depend on the weights."""
    v = np.asarray(values, dtype=float)
    if v.ndim != 2 or v.shape[1] < 2:
        raise CodingError(_("Ratings need one column per coder and at least two coders."))
    m = v.shape[1]
    n = np.stack([(v == c).sum(axis=1) for c in categories], axis=1).astype(float)  # k x Q
    r = n.sum(axis=1)
    ok2 = r >= 2
    denom = np.where(ok2, r * (r - 1), 1.0)
    pair_agree = np.where(ok2, (n * (n - 1)).sum(axis=1) / denom, 0.0)
    share = np.where(ok2[:, None], n / np.where(r > 0, r, 1.0)[:, None], 0.0)
    coin = np.where(ok2[:, None, None],
                    (n[:, :, None] * n[:, None, :] - np.einsum("kc,cd->kcd", n, np.eye(len(categories))))
                    / np.where(ok2, r - 1, 1.0)[:, None, None], 0.0)
    prep = {"n": n, "r": r, "ok2": ok2.astype(float), "pair_agree": pair_agree, "share": share, "coin": coin,
            "complete": (r == m).astype(float), "m": np.array(m)}
    if m == 2:
        both = ~np.isnan(v).any(axis=1)
        prep["both"] = both.astype(float)
        prep["first"] = np.stack([(v[:, 0] == c) & both for c in categories], axis=1).astype(float)
        prep["second"] = np.stack([(v[:, 1] == c) & both for c in categories], axis=1).astype(float)
        prep["agree"] = ((v[:, 0] == v[:, 1]) & both).astype(float)
    return prep


def _chance_corrected(po: np.ndarray, pe: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (po - pe) / (1.0 - pe)
    return np.where(np.isclose(pe, 1.0) | np.isnan(po), np.nan, out)


def coefficients_batch(values: np.ndarray, weights: np.ndarray, categories: tuple = (0, 1)) -> dict[str, np.ndarray]:
    """Every coefficient for ``B`` weight vectors at once.

    Parameters
    ----------
    values : array (k, m)
        ``k`` distinct rating patterns of ``m`` coders; values in ``categories`` or NaN (missing).
    weights : array (B, k)
        How many units show each pattern, per replicate (non-negative; need not be integers).
    categories : tuple
        The possible values (``Q = len(categories)``).

    Returns
    -------
    dict of str to array (B,)
        ``units`` (units rated by at least two coders), the coefficients named in
        :data:`COEFFICIENTS` (``cohen_kappa`` only with two coders, NaN otherwise) and, with two
        coders, ``both``, ``only_first``, ``only_second``, ``neither`` (weights of the four
        cells of the 2x2 table for categories ``(0, 1)``: a, b, c, d).
    """
    p = _prepare(values, categories)
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    q = len(categories)
    with np.errstate(divide="ignore", invalid="ignore"):
        units = w @ p["ok2"]
        po = (w @ p["pair_agree"]) / units
        out: dict[str, np.ndarray] = {"units": units, "pct_agreement": po}
        # Fleiss: units rated by every coder
        nf = w @ p["complete"]
        pbar = (w @ (p["pair_agree"] * p["complete"])) / nf
        pj = (w @ (p["n"] * p["complete"][:, None])) / (nf * float(p["m"]))[:, None]
        out["fleiss_kappa"] = _chance_corrected(pbar, (pj ** 2).sum(axis=1))
        # Gwet's AC1 and Brennan-Prediger on units rated by at least two coders
        pi = (w @ p["share"]) / units[:, None]
        out["gwet_ac1"] = _chance_corrected(po, (pi * (1 - pi)).sum(axis=1) / (q - 1))
        out["brennan_prediger"] = _chance_corrected(po, np.full_like(po, 1.0 / q))
        # Krippendorff's alpha from the coincidence matrix
        o = np.einsum("bk,kcd->bcd", w, p["coin"])
        nc = o.sum(axis=2)
        ntot = nc.sum(axis=1)
        off = ~np.eye(q, dtype=bool)
        disagree = o[:, off].sum(axis=1)
        expected = (nc[:, :, None] * nc[:, None, :])[:, off].sum(axis=1)
        alpha = 1.0 - (ntot - 1.0) * disagree / expected
        out["alpha"] = np.where(expected > 0, alpha, np.nan)
        if float(p["m"]) == 2:
            nb = w @ p["both"]
            pa, pb = (w @ p["first"]) / nb[:, None], (w @ p["second"]) / nb[:, None]
            out["cohen_kappa"] = _chance_corrected((w @ p["agree"]) / nb, (pa * pb).sum(axis=1))
            if tuple(categories) == (0, 1):
                f, s = p["first"], p["second"]
                out["both"] = w @ (f[:, 1] * s[:, 1])
                out["only_first"] = w @ (f[:, 1] * s[:, 0])
                out["only_second"] = w @ (f[:, 0] * s[:, 1])
                out["neither"] = w @ (f[:, 0] * s[:, 0])
        else:
            out["cohen_kappa"] = np.full(w.shape[0], np.nan)
    return out


def coefficients(values: np.ndarray, weights: np.ndarray | None = None, categories: tuple = (0, 1)) -> dict[str, float]:
    """The coefficients for one weight vector (default: every pattern once); see the module text.

    Parameters
    ----------
    values : array (k, m)
        Ratings: one row per unit (or pattern), one column per coder, NaN where missing.
    weights : array (k,), optional
    categories : tuple

    Returns
    -------
    dict of str to float
    """
    v = np.asarray(values, dtype=float)
    w = np.ones(len(v)) if weights is None else np.asarray(weights, dtype=float)
    return {k: float(a[0]) for k, a in coefficients_batch(v, w[None, :], categories).items()}


def undefined_reason(result: dict[str, float]) -> str:
    """One sentence saying why kappa or alpha is NaN (empty when both are defined)."""
    if not result.get("units"):
        return "No unit was rated by two coders."
    if np.isnan(result.get("alpha", np.nan)) or np.isnan(result.get("fleiss_kappa", np.nan)):
        return "Every rating is in the same category, so chance agreement is 1 and kappa and alpha are undefined."
    return ""
