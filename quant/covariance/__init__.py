"""Covariance of M-estimators: dyadic-robust (dyadic cluster-robust) and HC0 (``dyadic``), the
node bookkeeping of a dyad table (``nodes``) and the settings a fit computes them with
(``settings.CovarianceSettings``). Beneath the models,
which call it when they finish a fit.

Public names load on first use (``lazy_exports``); import a module by its path to see where a
name lives.
"""
from lazy_exports import exports

_NAMES = {
    'check_dyadic_options': 'quant.covariance.settings',
    'covariance_settings': 'quant.covariance.settings',
    'CovarianceSettings': 'quant.covariance.settings',
    'dyadic_vcov': 'quant.covariance.dyadic',
    'dyadic_vcov_from_sums': 'quant.covariance.dyadic',
    'DyadicVcov': 'quant.covariance.dyadic',
    'hc0_vcov': 'quant.covariance.dyadic',
    'node_index': 'quant.covariance.nodes',
    'pair_count': 'quant.covariance.nodes',
    'PSD': 'quant.covariance.settings',
    'release_arrow_pool': 'quant.covariance.nodes',
    'SE_TYPES': 'quant.covariance.settings',
    'SMALL_SAMPLE': 'quant.covariance.settings',
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = exports(__name__, _NAMES)
