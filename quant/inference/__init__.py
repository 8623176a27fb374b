"""Inference on a fit: dyadic-robust (and HC0) covariance (``dyadic``), VIF, standardised
coefficients, Wald and likelihood-ratio tests (``hypotheses``), average marginal effects
(``margins``) and delete-a-city influence (``influence``).

Public names load on first use (``lazy_exports``); import a module by its path to see where a
name lives.
"""
from lazy_exports import exports

_NAMES = {
    'average_marginal_effects': 'quant.inference.margins',
    'city_influence': 'quant.inference.influence',
    'CityInfluence': 'quant.inference.influence',
    'dyadic_vcov': 'quant.inference.dyadic',
    'dyadic_vcov_from_sums': 'quant.inference.dyadic',
    'DyadicVcov': 'quant.inference.dyadic',
    'hc0_vcov': 'quant.inference.dyadic',
    'lr_test': 'quant.inference.hypotheses',
    'model_parts': 'quant.inference.hypotheses',
    'node_index': 'quant.inference.dyadic',
    'pair_count': 'quant.inference.dyadic',
    'Part': 'quant.inference.hypotheses',
    'part_mean': 'quant.inference.margins',
    'standardized': 'quant.inference.hypotheses',
    'TestResult': 'quant.inference.hypotheses',
    'vif': 'quant.inference.hypotheses',
    'wald_nested': 'quant.inference.hypotheses',
    'wald_test': 'quant.inference.hypotheses',
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = exports(__name__, _NAMES)
