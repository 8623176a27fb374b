"""The event log and undo/redo: ``events`` (one ``store.Event`` per change), ``rowops``
(reversible row operations), ``undo`` (undo, redo and the history view per coder) and ``effect``
(what the next undo or redo would remove).

Public names load on first use (``lazy_exports``); import a module by its path to see where a
name lives.
"""
from lazy_exports import exports

_NAMES = {
    'apply_ops': 'coding.history.rowops',
    'describe': 'coding.history.undo',
    'effect_of': 'coding.history.effect',
    'event_log': 'coding.history.events',
    'EventType': 'coding.history.events',
    'execute': 'coding.history.rowops',
    'fetch_row': 'coding.history.rowops',
    'forward_ops': 'coding.history.undo',
    'history': 'coding.history.undo',
    'HISTORY_COLUMNS': 'coding.history.undo',
    'inverse': 'coding.history.rowops',
    'json_safe': 'coding.history.events',
    'last_ops': 'coding.history.events',
    'latest_event': 'coding.history.events',
    'peek': 'coding.history.undo',
    'record': 'coding.history.events',
    'redo': 'coding.history.undo',
    'redo_effect': 'coding.history.undo',
    'referencing': 'coding.history.rowops',
    'revert_ops': 'coding.history.rowops',
    'snapshot': 'coding.history.events',
    'stored_description': 'coding.history.undo',
    'table': 'coding.history.rowops',
    'undo_effect': 'coding.history.undo',
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = exports(__name__, _NAMES)
