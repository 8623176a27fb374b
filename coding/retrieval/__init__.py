"""Retrieval over coded text: passages by code, document, city and dyad (``queries``), text
search with keyword in context (``search``), code matrices (``matrices``, ``matrix_axes``),
co-occurrence (``cooccurrence``) and word frequencies (``wordfreq``, with its stop-word list in
``stopwords``).

Public names load on first use (``lazy_exports``); import a module by its path to see where a
name lives.
"""
from lazy_exports import exports

_NAMES = {
    'BY': 'coding.retrieval.wordfreq',
    'c_coefficient': 'coding.retrieval.cooccurrence',
    'CACHE_ENTRIES': 'coding.retrieval.wordfreq',
    'clean_stopwords': 'coding.retrieval.stopwords',
    'code_city_matrix': 'coding.retrieval.matrices',
    'code_document_matrix': 'coding.retrieval.matrices',
    'code_dyad_matrix': 'coding.retrieval.matrices',
    'code_hits': 'coding.retrieval.search',
    'code_rows': 'coding.retrieval.matrix_axes',
    'coders': 'coding.retrieval.queries',
    'coding_filters': 'coding.retrieval.matrix_axes',
    'COLUMNS': 'coding.retrieval.wordfreq',
    'compile_pattern': 'coding.retrieval.search',
    'cooccurrence_cell': 'coding.retrieval.cooccurrence',
    'cooccurrence_matrix': 'coding.retrieval.cooccurrence',
    'cooccurrence_table': 'coding.retrieval.cooccurrence',
    'counts_by_city': 'coding.retrieval.queries',
    'counts_by_dyad': 'coding.retrieval.queries',
    'default_stopwords': 'coding.retrieval.stopwords',
    'expand_codes': 'coding.retrieval.queries',
    'export_matrix': 'coding.retrieval.matrices',
    'find_spans': 'coding.retrieval.search',
    'frequency_file_frame': 'coding.retrieval.wordfreq',
    'get_stopwords': 'coding.retrieval.stopwords',
    'HIT_COLUMNS': 'coding.retrieval.search',
    'matrix_cell_codings': 'coding.retrieval.matrices',
    'MAX_PATTERN': 'coding.retrieval.search',
    'MAX_STOPWORDS': 'coding.retrieval.stopwords',
    'MAX_WORD': 'coding.retrieval.stopwords',
    'MEASURES': 'coding.retrieval.matrices',
    'paragraph_starts': 'coding.retrieval.search',
    'PatternTimeoutError': 'coding.retrieval.search',
    'project_words': 'coding.retrieval.wordfreq',
    'REGEX_TIMEOUT': 'coding.retrieval.search',
    'reset_stopwords': 'coding.retrieval.stopwords',
    'resolve_code': 'coding.retrieval.matrix_axes',
    'resolve_column': 'coding.retrieval.matrix_axes',
    'retrieve': 'coding.retrieval.queries',
    'roll_up': 'coding.retrieval.matrix_axes',
    'SEARCH_BUDGET': 'coding.retrieval.search',
    'set_stopwords': 'coding.retrieval.stopwords',
    'STOPWORDS_KEY': 'coding.retrieval.stopwords',
    'tokenize': 'coding.retrieval.wordfreq',
    'UNITS': 'coding.retrieval.cooccurrence',
    'word_counts': 'coding.retrieval.wordfreq',
    'word_frequencies': 'coding.retrieval.wordfreq',
}
__all__ = sorted(_NAMES)
__getattr__, __dir__ = exports(__name__, _NAMES)
