"""Corrected versions of a document: importing one and re-anchoring its codings
(``reanchor``) by placing each old span on the new text (``anchor``).

(Not ``coding/versions/``: ``coding.versions`` is the function that lists a document's versions.)

Public names load on first use (``lazy_exports``); import a module by its path to see where a
name lives.
"""
from lazy_exports import exports

_NAMES = {
    'codings_to_review': 'coding.reanchoring.reanchor',
    'DEFAULT_THRESHOLD': 'coding.reanchoring.anchor',
    'FAR': 'coding.reanchoring.anchor',
    'import_new_version': 'coding.reanchoring.reanchor',
    'METHODS': 'coding.reanchoring.anchor',
    'OffsetMap': 'coding.reanchoring.anchor',
    'pieces': 'coding.reanchoring.anchor',
    'place': 'coding.reanchoring.anchor',
    'Placement': 'coding.reanchoring.anchor',
    'ReanchorReport': 'coding.reanchoring.reanchor',
    'REVIEW_COLUMNS': 'coding.reanchoring.reanchor',
    'versions': 'coding.reanchoring.reanchor',
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = exports(__name__, _NAMES)
