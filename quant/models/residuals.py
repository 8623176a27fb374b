"""Pearson residuals and the moments they need, per model family (quant.md §4.3).

The Pearson residual of a unit is r = (y − E[y]) / √Var(y) under the fitted model:

==========  ==================  ===============================================
model       E[y]                Var(y)
==========  ==================  ===============================================
logit/probit p                  p(1 − p)
binomial    m·p                 m·p(1 − p)      (m trials: possible partners)
poisson     μ                   μ
nb, nb_pos  μ                   μ + αμ²         (NB2, Cameron & Trivedi 2013, eq. 3.11)
ztnb        μ/(1 − P₀)          see ``ztnb_moments``
cloglog     p = 1 − exp(−e^η)   p(1 − p)
gaussian    xβ                  σ̂², σ̂² = RSS/(n − k)   (residual e/σ̂)
==========  ==================  ===============================================

Poisson (PPML, Santos Silva & Tenreyro 2006) uses the Poisson moments even when y is not an
integer: the residual is then a scaled deviation, not a count residual.

References
----------
Cameron, A. C. & Trivedi, P. K. (2013). *Regression Analysis of Count Data*, 2nd ed.
Cambridge University Press (NB2 variance §3.3; truncated counts §4.5).
Lieberman, E. S. (2005). Nested analysis as a mixed-method strategy for comparative research.
*American Political Science Review* 99(3): 435–452 (residual-based case selection).
"""
from __future__ import annotations

from i18n import _
import numpy as np

from quant.errors import QuantError

__all__ = [
    "nb2_zero_probability",
    "ztnb_moments",
    "pearson_binary",
    "pearson_binomial",
    "pearson_poisson",
    "pearson_nb2",
    "pearson_ztnb",
    "pearson_gaussian",
]


def _arrays(*xs):
    out = [np.asarray(x, dtype=float) for x in xs]
    shape = np.broadcast_shapes(*(x.shape for x in out))
    return [np.broadcast_to(x, shape) for x in out]


def nb2_zero_probability(mu, alpha) -> np.ndarray:
    """P(Y = 0) under NB2 with mean μ and dispersion α: (1 + αμ)^(−1/α).

    Parameters
    ----------
    mu : array_like, (n,)
        Untruncated means, > 0.
    alpha : float or array_like
        Dispersion, > 0 (Var = μ + αμ²).

    Returns
    -------
    ndarray, (n,)
        P₀, computed as exp(−log1p(αμ)/α) for accuracy when αμ is small.

    Raises
    ------
    QuantError
        If α ≤ 0 or μ ≤ 0.
    """
    mu, alpha = _arrays(mu, alpha)
    if np.any(alpha <= 0):
        raise QuantError(_("NB2 dispersion alpha must be positive, got {min}.").format(min=float(np.min(alpha))))
    if np.any(mu <= 0):
        raise QuantError(_("NB2 mean mu must be positive, got {min}.").format(min=float(np.min(mu))))
    return np.exp(-np.log1p(alpha * mu) / alpha)


def ztnb_moments(mu, alpha) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of the zero-truncated NB2 distribution.

    Parameters
    ----------
    mu : array_like, (n,)
        Mean of the untruncated NB2 (exp of the linear predictor), > 0.
    alpha : float or array_like
        NB2 dispersion, > 0.

    Returns
    -------
    mean, var : ndarray, (n,)
        E[Y | Y > 0] and Var(Y | Y > 0).

    Raises
    ------
    QuantError
        If α ≤ 0 or μ ≤ 0.

    Notes
    -----
    Truncation at zero rescales the pmf by 1/(1 − P₀), P₀ = (1 + αμ)^(−1/α); since the
    zero contributes nothing to the raw moments (Cameron & Trivedi 2013, §4.5.1),

        E[Y | Y>0] = μ / (1 − P₀),
        E[Y² | Y>0] = (μ + αμ² + μ²) / (1 − P₀),
        Var(Y | Y>0) = E[Y² | Y>0] − E[Y | Y>0]².

    1 − P₀ is computed with ``expm1`` to keep precision when P₀ is near 1.
    """
    mu, alpha = _arrays(mu, alpha)
    nb2_zero_probability(mu, alpha)  # validates
    one_minus_p0 = -np.expm1(-np.log1p(alpha * mu) / alpha)
    mean = mu / one_minus_p0
    second = (mu + alpha * mu**2 + mu**2) / one_minus_p0
    return mean, second - mean**2


def _check_len(y, m):
    if y.shape != m.shape:
        raise QuantError(_("outcome has shape {shape} but fitted values have shape {shape2}.").format(shape=y.shape, shape2=m.shape))


def pearson_binary(y, p) -> np.ndarray:
    """Pearson residuals of a binary model: (y − p)/√(p(1 − p)).

    Parameters
    ----------
    y : array_like of {0, 1}, (n,)
    p : array_like, (n,)
        Fitted probabilities in (0, 1).

    Returns
    -------
    ndarray, (n,)
        For y = 1 this is √((1 − p)/p); for y = 0, −√(p/(1 − p)) (quant.md §4.3).
    """
    y, p = np.asarray(y, float), np.asarray(p, float)
    _check_len(y, p)
    return (y - p) / np.sqrt(p * (1.0 - p))


def pearson_binomial(y, p, trials) -> np.ndarray:
    """Pearson residuals of a binomial count out of ``trials``: (y − mp)/√(mp(1 − p)).

    Parameters
    ----------
    y : array_like, (n,)
        Successes (e.g. partner cities).
    p : array_like, (n,)
        Fitted success probabilities.
    trials : array_like or int
        Number of trials m (e.g. N − 1 possible partners).
    """
    y, p = np.asarray(y, float), np.asarray(p, float)
    _check_len(y, p)
    m = np.broadcast_to(np.asarray(trials, float), y.shape)
    return (y - m * p) / np.sqrt(m * p * (1.0 - p))


def pearson_poisson(y, mu) -> np.ndarray:
    """Pearson residuals of a Poisson model: (y − μ)/√μ."""
    y, mu = np.asarray(y, float), np.asarray(mu, float)
    _check_len(y, mu)
    return (y - mu) / np.sqrt(mu)


def pearson_nb2(y, mu, alpha) -> np.ndarray:
    """Pearson residuals of an NB2 model: (y − μ)/√(μ + αμ²).

    Parameters
    ----------
    y : array_like, (n,)
    mu : array_like, (n,)
        Fitted means.
    alpha : float
        Estimated dispersion (≥ 0; 0 gives the Poisson residual).
    """
    y, mu = np.asarray(y, float), np.asarray(mu, float)
    _check_len(y, mu)
    if alpha < 0:
        raise QuantError(_("NB2 dispersion alpha must be non-negative, got {alpha}.").format(alpha=alpha))
    return (y - mu) / np.sqrt(mu + alpha * mu**2)


def pearson_ztnb(y, mu, alpha) -> tuple[np.ndarray, np.ndarray]:
    """Pearson residuals of a zero-truncated NB2 model, with its fitted (truncated) means.

    Parameters
    ----------
    y : array_like, (n,)
        Positive counts.
    mu : array_like, (n,)
        Untruncated NB2 means exp(xβ).
    alpha : float
        Dispersion, > 0.

    Returns
    -------
    residual, mean : ndarray, (n,)
        (y − E[y|y>0])/√Var(y|y>0) from ``ztnb_moments``, and E[y|y>0].
    """
    y, mu = np.asarray(y, float), np.asarray(mu, float)
    _check_len(y, mu)
    mean, var = ztnb_moments(mu, alpha)
    return (y - mean) / np.sqrt(var), mean


def pearson_gaussian(y, fitted, sigma) -> np.ndarray:
    """Pearson residuals of a linear (Gaussian) model: (y − ŷ)/σ̂.

    Parameters
    ----------
    y, fitted : array_like, (n,)
    sigma : float
        The residual scale σ̂ = √(RSS/(n − k)), > 0 (MMRcaseselection's ``residstd`` scale,
        quant.md §4.2).

    Raises
    ------
    QuantError
        If σ̂ is not positive (a perfect fit).
    """
    y, fitted = np.asarray(y, float), np.asarray(fitted, float)
    _check_len(y, fitted)
    if not sigma > 0:
        raise QuantError(_("the residual scale must be positive, got {sigma}; the model fits exactly.").format(sigma=sigma))
    return (y - fitted) / float(sigma)
