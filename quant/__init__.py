"""Quantitative side of Tandem: cities and dyads, models per collaboration dimension.

Data side: ``quant.cities`` (tables, name resolution), ``quant.dyads`` (pairs, covariates,
dyad tables), ``quant.agreements`` (agreement lists to prefecture dyads), ``quant.formula``
(node-attribute operators in formulas), ``quant.data`` (the store; the only module that
imports ``store``).
"""
from quant.errors import AmbiguousCityError, DyadError, ModelError, QuantError, UnknownCityError
from quant.cities import CityResolver, load_city_table, read_table, standard_cities
from quant.dyads import all_pairs, breadth_from_dyads, build_dyads, great_circle_km, read_dyad_table
from quant.agreements import fold_agreements
from quant.formula import prepare_dyad_formula
from quant.results import FitResult
from quant.dyadic import DyadicVcov, dyadic_vcov, hc0_vcov
from quant.models import fit, fit_breadth, fit_connection, fit_degree
from quant.cases import city_residual_from_dyads, select_cases
