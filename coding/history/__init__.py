"""The event log and undo/redo: ``events`` (one ``store.Event`` per change), ``forward`` (the row
ops an event did), ``rowops``
(reversible row operations) with ``rowchecks`` (what is checked before one runs) and ``rowtables``
(tables and rows by name and id), ``undo`` (undo, redo and the history view per coder), ``wording``
(how an event reads) and ``effect``
(what the next undo or redo would remove).

Public names load on first use (``lazy_exports``); import a module by its path to see where a
name lives.
"""
from lazy_exports import exports

_NAMES = {
    'apply_ops': 'coding.history.rowops',
    'check_insert': 'coding.history.rowchecks',
    'check_update': 'coding.history.rowchecks',
    'describe': 'coding.history.wording',
    'effect_of': 'coding.history.effect',
    'event_log': 'coding.history.events',
    'EventType': 'coding.history.events',
    'execute': 'coding.history.rowops',
    'fetch_row': 'coding.history.rowtables',
    'forward_ops': 'coding.history.forward',
    'history': 'coding.history.undo',
    'HISTORY_COLUMNS': 'coding.history.undo',
    'inverse': 'coding.history.rowops',
    'json_safe': 'coding.history.events',
    'last_ops': 'coding.history.events',
    'latest_event': 'coding.history.events',
    'ONE_SPAN': 'coding.history.rowchecks',
    'peek': 'coding.history.undo',
    'primary_key': 'coding.history.rowtables',
    'record': 'coding.history.events',
    'redo': 'coding.history.undo',
    'redo_effect': 'coding.history.undo',
    'referencing': 'coding.history.rowops',
    'refuse_dependents': 'coding.history.rowchecks',
    'revert_ops': 'coding.history.rowops',
    'row_exists': 'coding.history.rowtables',
    'row_key': 'coding.history.rowtables',
    'row_label': 'coding.history.rowtables',
    'snapshot': 'coding.history.events',
    'stored_description': 'coding.history.undo',
    'table': 'coding.history.rowtables',
    'undo_effect': 'coding.history.undo',
    'where_row': 'coding.history.rowtables',
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = exports(__name__, _NAMES)
