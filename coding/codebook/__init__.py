"""The codebook: the tree of codes (``codes``, ``tree``), the starting codebook (``default``),
merging and splitting codes (``merge``), and the maps from codes to collaboration dimensions
(``dimensions``) and to model variables (``variables``).

Public names load on first use (``lazy_exports``); import a module by its path to see where a
name lives.
"""
from lazy_exports import exports

_NAMES = {
    'add_code': 'coding.codebook.codes',
    'check_sibling_name': 'coding.codebook.codes',
    'clean_code_name': 'coding.codebook.codes',
    'code_id_by_name': 'coding.codebook.codes',
    'codebook': 'coding.codebook.codes',
    'codes_for_dimension': 'coding.codebook.dimensions',
    'CodeSpec': 'coding.codebook.codes',
    'DEFAULT_CODEBOOK': 'coding.codebook.codes',
    'DEFAULT_VARIABLE_MAP': 'coding.codebook.codes',
    'delete_code': 'coding.codebook.codes',
    'depth_of': 'coding.codebook.tree',
    'descendants': 'coding.codebook.codes',
    'dimension_map': 'coding.codebook.dimensions',
    'DIMENSIONS': 'coding.codebook.dimensions',
    'ensure_default_codebook': 'coding.codebook.codes',
    'fold_coding_ops': 'coding.codebook.merge',
    'MAX_NAME': 'coding.codebook.codes',
    'merge_codes': 'coding.codebook.merge',
    'move_code': 'coding.codebook.codes',
    'next_position': 'coding.codebook.codes',
    'rename_code': 'coding.codebook.codes',
    'set_dimension_map': 'coding.codebook.dimensions',
    'set_variable_map': 'coding.codebook.codes',
    'split_code': 'coding.codebook.merge',
    'update_code': 'coding.codebook.codes',
    'variable_map': 'coding.codebook.codes',
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = exports(__name__, _NAMES)
