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
from quant.errors import AmbiguousCityError, DyadError, FormulaError, ModelError, QuantError, UnknownCityError
from quant.cities import CityResolver, load_city_table, read_table, standard_cities
from quant.dyads import all_pairs, breadth_from_dyads, build_dyads, great_circle_km, read_dyad_table
from quant.agreements import fold_agreements
from quant.formula import prepare_dyad_formula
from quant.formula_guard import check_formula
from quant.results import FitResult
from quant.dyadic import DyadicVcov, dyadic_vcov, hc0_vcov
from quant.models import fit, fit_breadth, fit_connection, fit_degree, fit_hurdle
from quant.cases import city_residual_from_dyads, select_cases
from quant.margins import average_marginal_effects
from quant.inference import lr_test, standardized, vif, wald_nested, wald_test
from quant.influence import city_influence
