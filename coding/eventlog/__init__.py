"""The event log and undo/redo: ``events`` (one ``store.Event`` per change), ``forward`` (the row
ops an event did), ``rowops`` (reversible row operations) with ``rowchecks`` (what is checked
before one runs) and ``rowtables`` (tables and rows by name and id), ``undo`` (undo, redo and the
history view per coder), ``wording`` (how an event reads) and ``effect`` (what the next undo or
redo would remove).

(Not ``coding/history/``: ``coding.history`` is the function that lists a coder's history.)

Public names load on first use (``lazy_exports``); import a module by its path to see where a
name lives.
"""
from lazy_exports import exports

_NAMES = {
    'apply_ops': 'coding.eventlog.rowops',
    'check_insert': 'coding.eventlog.rowchecks',
    'check_update': 'coding.eventlog.rowchecks',
    'describe': 'coding.eventlog.wording',
    'effect_of': 'coding.eventlog.effect',
    'event_log': 'coding.eventlog.events',
    'EventType': 'coding.eventlog.events',
    'execute': 'coding.eventlog.rowops',
    'fetch_row': 'coding.eventlog.rowtables',
    'forward_ops': 'coding.eventlog.forward',
    'history': 'coding.eventlog.undo',
    'HISTORY_COLUMNS': 'coding.eventlog.undo',
    'inverse': 'coding.eventlog.rowops',
    'json_safe': 'coding.eventlog.events',
    'last_ops': 'coding.eventlog.events',
    'latest_event': 'coding.eventlog.events',
    'ONE_SPAN': 'coding.eventlog.rowchecks',
    'peek': 'coding.eventlog.undo',
    'primary_key': 'coding.eventlog.rowtables',
    'record': 'coding.eventlog.events',
    'redo': 'coding.eventlog.undo',
    'redo_effect': 'coding.eventlog.undo',
    'referencing': 'coding.eventlog.rowops',
    'refuse_dependents': 'coding.eventlog.rowchecks',
    'revert_ops': 'coding.eventlog.rowops',
    'row_exists': 'coding.eventlog.rowtables',
    'row_key': 'coding.eventlog.rowtables',
    'row_label': 'coding.eventlog.rowtables',
    'snapshot': 'coding.eventlog.events',
    'stored_description': 'coding.eventlog.undo',
    'table': 'coding.eventlog.rowtables',
    'undo_effect': 'coding.eventlog.undo',
    'where_row': 'coding.eventlog.rowtables',
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = exports(__name__, _NAMES)
