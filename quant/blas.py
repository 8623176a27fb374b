"""Run narrow linear algebra on one BLAS thread.

Tandem's matrices are tall and narrow (millions of dyads × fewer than ~20 columns): every
product is memory-bound, so a second BLAS thread gains little, while OpenBLAS's spinning
threads slow such products down several-fold when another process shares the cores (measured:
a 4-million-row logit took 7.1 s with two OpenBLAS threads on a busy 2-core machine, 0.76 s
with one). ``one_blas_thread`` sets the calling thread's OpenBLAS thread count to 1 for the
duration of a block, with OpenBLAS's thread-local setter, and restores it after. Where numpy
does not use the bundled OpenBLAS (other platforms or builds) it does nothing.
"""
from __future__ import annotations

import contextlib
import ctypes
import functools
from collections.abc import Iterator
from pathlib import Path

import numpy as np

__all__ = ["one_blas_thread", "single_blas_thread"]


@functools.lru_cache(maxsize=1)
def _setter():
    """OpenBLAS's ``openblas_set_num_threads_local`` from numpy's bundled library, or None."""
    libs = Path(np.__file__).resolve().parent.parent / "numpy.libs"
    for path in sorted(libs.glob("*openblas*.so*")) if libs.is_dir() else []:
        try:
            lib = ctypes.CDLL(str(path))  # already loaded by numpy: the same handle
            fn = lib.openblas_set_num_threads_local
        except (OSError, AttributeError):
            continue
        fn.argtypes = [ctypes.c_int]
        fn.restype = ctypes.c_int
        return fn
    return None


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Within the block, BLAS calls from this thread use one thread (no-op if unsupported)."""
    fn = _setter()
    if fn is None:
        yield
        return
    previous = fn(1)
    try:
        yield
    finally:
        fn(previous)


def single_blas_thread(func):
    """Decorator form of ``one_blas_thread``."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with one_blas_thread():
            return func(*args, **kwargs)

    return wrapper
