"""Covariance of M-estimators: dyadic-robust (dyadic cluster-robust) and HC0 (``dyadic``).
Beneath the models, which call it when they finish a fit.

Public names load on first use (``lazy_exports``); import a module by its path to see where a
name lives.
"""
from lazy_exports import exports

_NAMES = {
    'dyadic_vcov': 'quant.covariance.dyadic',
    'dyadic_vcov_from_sums': 'quant.covariance.dyadic',
    'DyadicVcov': 'quant.covariance.dyadic',
    'hc0_vcov': 'quant.covariance.dyadic',
    'node_index': 'quant.covariance.dyadic',
    'pair_count': 'quant.covariance.dyadic',
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = exports(__name__, _NAMES)
