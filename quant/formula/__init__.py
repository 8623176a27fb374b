"""Model formulas: formulas are data, never code. ``guard`` checks every formula before patsy
sees it, ``env`` is the namespace patsy evaluates in, ``nodes`` turns node attributes
(``sum(x)``, ``absdiff(x)``…, their constructions in ``quant.data.operators``) into dyad columns,
for undirected and directed dyads.

Public names load on first use (``lazy_exports``); import a module by its path to see where a
name lives.
"""
from lazy_exports import exports

_NAMES = {
    'check_formula': 'quant.formula.guard',
    'check_levels': 'quant.formula.env',
    'DIRECTED_OPERATORS': 'quant.formula.guard',
    'find_operator_terms': 'quant.formula.nodes',
    'FORMULA_FUNCTIONS': 'quant.formula.nodes',
    'FUNCTIONS': 'quant.formula.guard',
    'MAX_DEPTH': 'quant.formula.guard',
    'MAX_LENGTH': 'quant.formula.guard',
    'MAX_LEVELS': 'quant.formula.env',
    'MAX_NESTING': 'quant.formula.guard',
    'MAX_TERMS': 'quant.formula.guard',
    'NP_FUNCTIONS': 'quant.formula.guard',
    'prepare_directed_formula': 'quant.formula.nodes',
    'prepare_dyad_formula': 'quant.formula.nodes',
    'safe_environment': 'quant.formula.env',
    'unknown_names': 'quant.formula.nodes',
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = exports(__name__, _NAMES)
