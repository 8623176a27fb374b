"""Inference on a fitted model: VIF, standardised coefficients, Wald and likelihood-ratio
tests (``hypotheses``), average marginal effects (``margins``) and delete-a-city influence
(``influence``).

Public names load on first use (``lazy_exports``); import a module by its path to see where a
name lives.
"""
from lazy_exports import exports

_NAMES = {
    'average_marginal_effects': 'quant.inference.margins',
    'city_influence': 'quant.inference.influence',
    'CityInfluence': 'quant.inference.influence',
    'lr_test': 'quant.inference.hypotheses',
    'model_parts': 'quant.inference.hypotheses',
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
