"""Quantitative side of Tandem: cities and dyads, models per collaboration dimension.

Data side: ``quant.cities`` (tables, name resolution), ``quant.dyads`` (pairs, covariates,
dyad tables), ``quant.agreements`` (agreement lists to prefecture dyads), ``quant.formula``
(node-attribute operators in formulas), ``quant.formula_guard`` (every formula checked
before patsy sees it: formulas are data, never code), ``quant.data`` (the store).

Models: ``quant.models`` (breadth, connection, degree, the two-part hurdle), ``quant.analysis``
(fitting from a project), ``quant.specs`` (saved specifications), ``quant.quantitize``
(variables from codings). Inference: ``quant.margins`` (average marginal effects),
``quant.inference`` (VIF, standardised coefficients, Wald and LR tests), ``quant.influence``
(delete-a-city influence). Only ``data``, ``analysis``, ``outcomes``, ``specs`` and
``quantitize`` touch ``store``.
"""
# Names are imported on first use (PEP 562), so `import quant` and a command that needs
# one module do not load statsmodels, scipy and spaCy for every other.
import importlib

from quant.errors import AmbiguousCityError, DyadError, FormulaError, ModelError, QuantError, UnknownCityError

_LAZY = {
    'CityResolver': 'quant.cities',
    'DyadicVcov': 'quant.dyadic',
    'FitResult': 'quant.results',
    'all_pairs': 'quant.dyads',
    'average_marginal_effects': 'quant.margins',
    'breadth_from_dyads': 'quant.dyads',
    'build_dyads': 'quant.dyads',
    'check_formula': 'quant.formula_guard',
    'city_influence': 'quant.influence',
    'city_residual_from_dyads': 'quant.cases',
    'dyadic_vcov': 'quant.dyadic',
    'fit': 'quant.models',
    'fit_breadth': 'quant.models',
    'fit_connection': 'quant.models',
    'fit_degree': 'quant.models',
    'fit_hurdle': 'quant.models',
    'fold_agreements': 'quant.agreements',
    'great_circle_km': 'quant.dyads',
    'hc0_vcov': 'quant.dyadic',
    'load_city_table': 'quant.cities',
    'lr_test': 'quant.inference',
    'prepare_dyad_formula': 'quant.formula',
    'read_dyad_table': 'quant.dyads',
    'read_table': 'quant.cities',
    'select_cases': 'quant.cases',
    'standard_cities': 'quant.cities',
    'standardized': 'quant.inference',
    'vif': 'quant.inference',
    'wald_nested': 'quant.inference',
    'wald_test': 'quant.inference',
}

__all__ = [
    "AmbiguousCityError", "CityResolver", "DyadError", "DyadicVcov", "FitResult", "FormulaError",
    "ModelError", "QuantError", "UnknownCityError", "all_pairs", "average_marginal_effects",
    "breadth_from_dyads", "build_dyads", "check_formula", "city_influence", "city_residual_from_dyads",
    "dyadic_vcov", "fit", "fit_breadth", "fit_connection", "fit_degree", "fit_hurdle", "fold_agreements",
    "great_circle_km", "hc0_vcov", "load_city_table", "lr_test", "prepare_dyad_formula", "read_dyad_table",
    "read_table", "select_cases", "standard_cities", "standardized", "vif", "wald_nested", "wald_test",
]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:  # a submodule (``quant.models``) reached as an attribute
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
