"""A design matrix kept as the table's own columns, read in row blocks (no (n, k) copy).

At 4 million dyads × 5 terms a materialised float64 design matrix is 154 MiB, a second copy of
the float64 columns the table already holds. For plain numeric formulas (``y ~ x1 + x2``)
``quant.models.design.build_design(..., columns=True)`` returns a ``ColumnMatrix`` instead: the
intercept is implied, float64 columns are the table's own arrays (no copy), other numeric
columns are converted once. Code that works in row blocks (``quant.models.logit_lean``,
``quant.models.diagnostics.ranges_and_gram``, ``quant.models.separation``) asks for a transposed block
``block_t(start, stop)``, (k, rows), filled by one contiguous copy per column; anything else can
index it like an ndarray (row slices, row positions, ``[rows, j]``) or convert it whole with
``np.asarray`` (the copy this class exists to avoid, so only where the lean path falls back).
"""
from __future__ import annotations

import numpy as np

__all__ = ["ColumnMatrix", "as_array"]


class ColumnMatrix:
    """An (n, k) float64 matrix stored as k columns (``None`` = the intercept, all ones).

    Parameters
    ----------
    columns : list of (ndarray of float64, (n,)) or None
        The columns in order; ``None`` stands for a column of ones.
    n : int
        Number of rows.
    """

    ndim = 2
    dtype = np.dtype(float)

    def __init__(self, columns: list[np.ndarray | None], n: int):
        self.columns = list(columns)
        self.shape = (int(n), len(self.columns))

    def __len__(self) -> int:
        return self.shape[0]

    def _col(self, j: int, rows) -> np.ndarray:
        c = self.columns[j]
        if c is None:
            m = len(range(*rows.indices(self.shape[0]))) if isinstance(rows, slice) else len(rows)
            return np.ones(m)
        return c[rows]

    def block_t(self, start: int, stop: int, cols=None, out: np.ndarray | None = None) -> np.ndarray:
        """Rows ``start:stop`` transposed, (len(cols) or k, rows), C order; in ``out`` if given."""
        idx = range(self.shape[1]) if cols is None else [int(j) for j in cols]
        stop = min(stop, self.shape[0])
        b = np.empty((len(idx), stop - start)) if out is None else out[: len(idx), : stop - start]
        for i, j in enumerate(idx):
            c = self.columns[j]
            if c is None:
                b[i] = 1.0
            else:
                b[i] = c[start:stop]
        return b

    def __getitem__(self, key):
        rows, cols = key if isinstance(key, tuple) else (key, slice(None))
        if isinstance(cols, (int, np.integer)):
            return self._col(int(cols), rows)
        idx = range(self.shape[1])[cols] if isinstance(cols, slice) else [int(j) for j in np.atleast_1d(cols)]
        if isinstance(rows, slice) and rows.step in (None, 1):
            start, stop, _ = rows.indices(self.shape[0])
            return self.block_t(start, max(start, stop), cols=idx).T.copy()
        out = np.empty((len(self._col(0, rows)) if self.shape[1] else 0, len(idx)))
        for i, j in enumerate(idx):
            out[:, i] = self._col(j, rows)
        return out

    def __array__(self, dtype=None, copy=None):
        X = self[:, :]
        return X if dtype is None else X.astype(dtype, copy=False)

    def sum(self) -> float:
        """Sum of every entry (NaN or ±inf when some entry is)."""
        n = self.shape[0]
        return float(sum(n if c is None else float(c.sum()) for c in self.columns))

    def subsample(self, step: int) -> np.ndarray:
        """Every ``step``-th row, as a C-order ndarray, (⌈n/step⌉, k)."""
        return self[::step]

    def nbytes_shared(self) -> int:
        """Bytes of the columns (shared with the table; not a copy)."""
        return sum(0 if c is None else c.nbytes for c in self.columns)


def as_array(X) -> np.ndarray:
    """X as a C-order float64 ndarray (materialises a ``ColumnMatrix``)."""
    return np.ascontiguousarray(np.asarray(X, dtype=float))
