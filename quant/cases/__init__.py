"""Case selection (quant.md §4): typical and deviant cases by Pearson residual
(``typical_deviant``), the rules on residuals and raw values (``rules``, ``rules_more``), case
groups of a fit (``groups``) and selection for a saved run (``select``, ``select_more``).

Public names load on first use (``lazy_exports``); import a module by its path to see where a
name lives.
"""
from lazy_exports import exports

_NAMES = {
    'case_groups': 'quant.cases.groups',
    'case_label': 'quant.cases.rules',
    'case_labels': 'quant.cases.rules',
    'case_table': 'quant.cases.rules',
    'CITY_MODELS': 'quant.cases.groups',
    'city_residual_from_dyads': 'quant.cases.typical_deviant',
    'count_interval': 'quant.cases.rules_more',
    'covariate_choices': 'quant.cases.select',
    'DEFAULT_C': 'quant.cases.select',
    'deviant': 'quant.cases.rules',
    'deviant_predint': 'quant.cases.rules',
    'deviant_residstd': 'quant.cases.rules',
    'different_pairs': 'quant.cases.rules_more',
    'DIRECTIONS': 'quant.cases.groups',
    'EXACT_PAIRS_MAX': 'quant.cases.rules_more',
    'extreme_x': 'quant.cases.rules',
    'extreme_y': 'quant.cases.rules',
    'FIT_GROUPS': 'quant.cases.groups',
    'fit_unit': 'quant.cases.groups',
    'glm_influence': 'quant.cases.rules_more',
    'group_labels': 'quant.cases.groups',
    'influential': 'quant.cases.rules_more',
    'interval_status': 'quant.cases.rules_more',
    'leverage': 'quant.cases.rules',
    'MAX_PAIRS': 'quant.cases.select',
    'order_by': 'quant.cases.rules',
    'overpredicted': 'quant.cases.rules',
    'pair_candidates': 'quant.cases.rules_more',
    'pathway': 'quant.cases.rules_more',
    'reduced_formula': 'quant.cases.select_more',
    'resolve_variable': 'quant.cases.select',
    'RULE_TITLES': 'quant.cases.select',
    'RULES': 'quant.cases.select',
    'select_cases': 'quant.cases.typical_deviant',
    'select_run_cases': 'quant.cases.select',
    'similar_pairs': 'quant.cases.rules_more',
    'standardize': 'quant.cases.rules_more',
    'TIES': 'quant.cases.groups',
    'typical': 'quant.cases.rules',
    'underpredicted': 'quant.cases.rules',
    'unit_id_columns': 'quant.cases.typical_deviant',
    'variable_label': 'quant.cases.select',
    'ztnb_mu_from_mean': 'quant.cases.rules_more',
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = exports(__name__, _NAMES)
