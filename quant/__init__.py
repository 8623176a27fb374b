"""Quantitative side of Tandem: cities and dyads, models per collaboration dimension.

Sub-packages, one concept each:

- ``quant.data`` — city tables and name resolution, dyads, dyad tables, agreements folded into
  dyads, directed dyads, boundaries, quantitized codes; ``project``, ``loading``, ``outcomes``
  and ``quantitize`` read and write the store.
- ``quant.formula`` — formulas are data, never code: the guard, patsy's namespace, node
  attributes as dyad columns.
- ``quant.models`` — the dispatcher and one module per model family, the lean fits for millions
  of dyads, design matrices, the checks that stop a fit, Pearson residuals, ``FitResult``.
- ``quant.covariance`` — ``CovarianceSettings`` (what every fit's covariance is) and the
  dyadic-robust and HC0 estimators.
- ``quant.inference`` — Wald/LR tests and VIF, marginal effects, delete-a-city influence.
- ``quant.cases`` — case selection (typical and deviant cases by Pearson residual, and more rules).
- ``quant.runs`` — fitting from a project, saved specifications and saved runs.

``quant.errors`` holds the errors; ``quant.blas`` keeps narrow linear algebra on one BLAS thread.
"""
# Names are imported on first use (PEP 562), so `import quant` and a command that needs
# one module do not load statsmodels, scipy and spaCy for every other.
from lazy_exports import exports
from quant.errors import AmbiguousCityError, DyadError, FormulaError, ModelError, QuantError, UnknownCityError

_LAZY = {
    'CityResolver': 'quant.data.resolver',
    'CovarianceSettings': 'quant.covariance.settings',
    'DyadicVcov': 'quant.covariance.dyadic',
    'FitResult': 'quant.models.results',
    'all_pairs': 'quant.data.dyads',
    'average_marginal_effects': 'quant.inference.margins',
    'breadth_from_dyads': 'quant.data.dyads',
    'build_dyads': 'quant.data.dyads',
    'check_formula': 'quant.formula.guard',
    'city_influence': 'quant.inference.influence',
    'city_residual_from_dyads': 'quant.cases.typical_deviant',
    'dyadic_vcov': 'quant.covariance.dyadic',
    'fit': 'quant.models.dispatch',
    'fit_breadth': 'quant.models.dispatch',
    'fit_connection': 'quant.models.dispatch',
    'fit_degree': 'quant.models.dispatch',
    'fit_hurdle': 'quant.models.dispatch',
    'fold_agreements': 'quant.data.agreements',
    'great_circle_km': 'quant.data.dyads',
    'hc0_vcov': 'quant.covariance.dyadic',
    'load_city_table': 'quant.data.cities',
    'lr_test': 'quant.inference.hypotheses',
    'prepare_dyad_formula': 'quant.formula.nodes',
    'read_dyad_table': 'quant.data.dyads',
    'read_table': 'quant.data.cities',
    'select_cases': 'quant.cases.typical_deviant',
    'standard_cities': 'quant.data.cities',
    'standardized': 'quant.inference.hypotheses',
    'vif': 'quant.inference.hypotheses',
    'wald_nested': 'quant.inference.hypotheses',
    'wald_test': 'quant.inference.hypotheses',
}

__all__ = [
    "AmbiguousCityError", "CityResolver", "CovarianceSettings", "DyadError", "DyadicVcov", "FitResult", "FormulaError",
    "ModelError", "QuantError", "UnknownCityError", "all_pairs", "average_marginal_effects",
    "breadth_from_dyads", "build_dyads", "check_formula", "city_influence", "city_residual_from_dyads",
    "dyadic_vcov", "fit", "fit_breadth", "fit_connection", "fit_degree", "fit_hurdle", "fold_agreements",
    "great_circle_km", "hc0_vcov", "load_city_table", "lr_test", "prepare_dyad_formula", "read_dyad_table",
    "read_table", "select_cases", "standard_cities", "standardized", "vif", "wald_nested", "wald_test",
]
__getattr__, __dir__ = exports(__name__, _LAZY)
