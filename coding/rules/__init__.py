"""Auto-coding rules: keywords, regular expressions or spaCy token patterns per code
(``autocode``), and matching them over a text under a time limit (``match``).

Public names load on first use (``lazy_exports``); import a module by its path to see where a
name lives.
"""
from lazy_exports import exports

_NAMES = {
    'accept': 'coding.rules.autocode',
    'accept_rule': 'coding.rules.autocode',
    'add_rule': 'coding.rules.autocode',
    'check_pattern': 'coding.rules.match',
    'check_unit': 'coding.rules.match',
    'CompiledRule': 'coding.rules.match',
    'delete_rule': 'coding.rules.autocode',
    'keyword_regex': 'coding.rules.match',
    'parse_rule_pattern': 'coding.rules.autocode',
    'pending': 'coding.rules.autocode',
    'preview_rule': 'coding.rules.autocode',
    'reject': 'coding.rules.autocode',
    'reject_rule': 'coding.rules.autocode',
    'revert_rule': 'coding.rules.autocode',
    'RULE_KINDS': 'coding.rules.autocode',
    'rule_matches': 'coding.rules.match',
    'rules': 'coding.rules.autocode',
    'run_rules': 'coding.rules.autocode',
    'UNITS': 'coding.rules.autocode',
    'widen': 'coding.rules.match',
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = exports(__name__, _NAMES)
