"""Links from a coding to the city or dyad it speaks about (``linking``), and the one home of
link suggestions from place mentions, accepted or queued for review (``suggest``).

Public names load on first use (``lazy_exports``); import a module by its path to see where a
name lives.
"""
from lazy_exports import exports

_NAMES = {
    'accept_suggestion': 'coding.links.suggest',
    'city_names': 'coding.links.linking',
    'DASH': 'coding.links.linking',
    'dyad_for': 'coding.links.linking',
    'find_dyad': 'coding.links.linking',
    'fold_pair': 'coding.links.linking',
    'link_city': 'coding.links.linking',
    'link_dyad': 'coding.links.linking',
    'links_of': 'coding.links.linking',
    'ORIGINS': 'coding.links.linking',
    'suggest_links': 'coding.links.suggest',
    'unlink': 'coding.links.linking',
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = exports(__name__, _NAMES)
