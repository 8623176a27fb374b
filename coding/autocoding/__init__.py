"""Auto-coding: rules of keywords, regular expressions or spaCy token patterns per code
(``autocode``), and matching them over a text under a time limit (``match``).

(Not ``coding/rules/``: ``coding.rules`` is the function that lists the rules.)

Public names load on first use (``lazy_exports``); import a module by its path to see where a
name lives.
"""
from lazy_exports import exports

_NAMES = {
    'accept': 'coding.autocoding.autocode',
    'accept_rule': 'coding.autocoding.autocode',
    'add_rule': 'coding.autocoding.autocode',
    'check_pattern': 'coding.autocoding.match',
    'check_unit': 'coding.autocoding.match',
    'CompiledRule': 'coding.autocoding.match',
    'delete_rule': 'coding.autocoding.autocode',
    'keyword_regex': 'coding.autocoding.match',
    'parse_rule_pattern': 'coding.autocoding.autocode',
    'pending': 'coding.autocoding.autocode',
    'preview_rule': 'coding.autocoding.autocode',
    'reject': 'coding.autocoding.autocode',
    'reject_rule': 'coding.autocoding.autocode',
    'revert_rule': 'coding.autocoding.autocode',
    'RULE_KINDS': 'coding.autocoding.autocode',
    'rule_matches': 'coding.autocoding.match',
    'rules': 'coding.autocoding.autocode',
    'run_rules': 'coding.autocoding.autocode',
    'UNITS': 'coding.autocoding.autocode',
    'widen': 'coding.autocoding.match',
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = exports(__name__, _NAMES)
