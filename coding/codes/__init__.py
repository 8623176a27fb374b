"""Codes and the codebook: the tree of codes (``book``: read, add, move, rename, delete; reading
the tree is ``coding.tree``), the starting codebook (``default``), merging and splitting codes
(``merge``), and the maps from codes to collaboration dimensions (``dimensions``) and to model
variables (``variables``).

(Not ``coding/codebook/``: ``coding.codebook`` is the function that reads the codebook.)

Public names load on first use (``lazy_exports``); import a module by its path to see where a
name lives.
"""
from lazy_exports import exports

_NAMES = {
    'add_code': 'coding.codes.book',
    'check_sibling_name': 'coding.codes.book',
    'clean_code_name': 'coding.codes.book',
    'code_id_by_name': 'coding.codes.book',
    'codebook': 'coding.codes.book',
    'codes_for_dimension': 'coding.codes.dimensions',
    'CodeSpec': 'coding.codes.book',
    'DEFAULT_CODEBOOK': 'coding.codes.book',
    'DEFAULT_VARIABLE_MAP': 'coding.codes.book',
    'delete_code': 'coding.codes.book',
    'depth_of': 'coding.tree',
    'descendants': 'coding.codes.book',
    'dimension_map': 'coding.codes.dimensions',
    'DIMENSIONS': 'coding.codes.dimensions',
    'ensure_default_codebook': 'coding.codes.book',
    'fold_coding_ops': 'coding.codes.merge',
    'MAX_NAME': 'coding.codes.book',
    'merge_codes': 'coding.codes.merge',
    'move_code': 'coding.codes.book',
    'next_position': 'coding.codes.book',
    'rename_code': 'coding.codes.book',
    'set_dimension_map': 'coding.codes.dimensions',
    'set_variable_map': 'coding.codes.book',
    'split_code': 'coding.codes.merge',
    'update_code': 'coding.codes.book',
    'variable_map': 'coding.codes.book',
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = exports(__name__, _NAMES)
