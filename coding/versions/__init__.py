"""Corrected versions of a document: importing one and re-anchoring its codings
(``reanchor``) by placing each old span on the new text (``anchor``).

Public names load on first use (``lazy_exports``); import a module by its path to see where a
name lives.
"""
from lazy_exports import exports

_NAMES = {
    'codings_to_review': 'coding.versions.reanchor',
    'DEFAULT_THRESHOLD': 'coding.versions.anchor',
    'FAR': 'coding.versions.anchor',
    'import_new_version': 'coding.versions.reanchor',
    'METHODS': 'coding.versions.anchor',
    'OffsetMap': 'coding.versions.anchor',
    'pieces': 'coding.versions.anchor',
    'place': 'coding.versions.anchor',
    'Placement': 'coding.versions.anchor',
    'ReanchorReport': 'coding.versions.reanchor',
    'REVIEW_COLUMNS': 'coding.versions.reanchor',
    'versions': 'coding.versions.reanchor',
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = exports(__name__, _NAMES)
