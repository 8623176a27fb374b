"""The namespace patsy evaluates formulas in: the allowed functions, and no Python builtin.

Defence in depth behind ``quant.formula.guard.check_formula`` (which refuses every formula
outside Tandem's formula language before patsy sees it). patsy evaluates each factor with
``eval(code, {}, lookup)``; Python then inserts the real ``__builtins__`` into the empty globals,
so any name missing from ``lookup`` would fall through to ``open``, ``__import__``, ``eval``.
Here every builtin name (and ``__builtins__`` itself) is bound to a stub that refuses to be
used, ``np`` is a namespace of the five allowed numpy functions only, and ``Q`` looks names up
among the columns and these names, never in the frame's globals.
"""
from __future__ import annotations

from i18n import _
import builtins
import sys
import types

import numpy as np
import pandas as pd
import patsy
import patsy.builtins

from quant.errors import FormulaError
from quant.formula.guard import NP_FUNCTIONS

__all__ = ["MAX_LEVELS", "check_levels", "safe_environment"]

#: Most distinct values a categorical factor may have: patsy builds a levels × (levels - 1)
#: contrast matrix for it before any design column exists (3,000 levels: 72 MB).
MAX_LEVELS = 3_000


def check_levels(n_levels: int, what: str) -> None:
    """Raise ``FormulaError`` (one sentence naming ``what``) when ``n_levels > MAX_LEVELS``."""
    if n_levels > MAX_LEVELS:
        raise FormulaError(
            _("{what} has {n_levels:,} distinct values, too many for a categorical factor (at most "
            "{max_levels:,}); use it as a number, or group its values first.").format(what=what, n_levels=n_levels, max_levels=MAX_LEVELS)
        )


class _Refused:
    """Stands for a Python builtin inside patsy's namespace: any use raises FormulaError."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_name", name)

    def _refuse(self, *args, **kwargs):
        raise FormulaError(_("`{name}` is not a column or an allowed function in a formula.").format(name=self._name))

    __call__ = _refuse
    __getattr__ = _refuse
    __getitem__ = _refuse
    __iter__ = _refuse

    def __repr__(self) -> str:
        return f"<refused {self._name}>"


def _q(name):
    """patsy's ``Q("name")`` without its reach into the evaluating frame's globals (which hold
    ``__builtins__``): the name is looked up among the columns and the allowed names only."""
    if not isinstance(name, str) or name.startswith("_"):
        raise FormulaError(_("Q() takes one quoted column name not starting with '_', not {name}.").format(name=repr(name)[:60]))
    try:
        return sys._getframe(1).f_locals[name]  # patsy's lookup dict: the table, then this namespace
    except KeyError:
        raise NameError(_("no data named {name!r} found").format(name=name)) from None


def _c(data, contrast=None, levels=None):
    """patsy's ``C()``, refusing a factor with more than ``MAX_LEVELS`` levels before patsy
    builds its contrast matrix (whose size grows with the square of the levels)."""
    if levels is not None:
        n = len(levels)
    elif isinstance(getattr(data, "dtype", None), pd.CategoricalDtype):
        n = len(data.cat.categories if hasattr(data, "cat") else data.categories)
    else:
        n = int(pd.Series(np.asarray(data).ravel()).nunique())
    check_levels(n, "A C() factor")
    return patsy.builtins.C(data, contrast, levels)


_NP = types.SimpleNamespace(**{name: getattr(np, name) for name in NP_FUNCTIONS})
_NAMESPACE = {name: _Refused(name) for name in [*dir(builtins), "__builtins__"]}
_NAMESPACE.update({name: getattr(np, name) for name in NP_FUNCTIONS}, np=_NP, Q=_q, C=_c)


def safe_environment() -> patsy.EvalEnvironment:
    """The evaluation environment for patsy: exactly the allowed functions.

    Returns
    -------
    patsy.EvalEnvironment
        One namespace: ``log, log1p, exp, sqrt, abs`` (numpy's), ``np`` (a namespace of those
        five only), ``Q`` (patsy's, minus its lookup in the frame's globals, where Python keeps
        ``__builtins__``), ``C`` (patsy's, refusing more than ``MAX_LEVELS`` levels) and every Python builtin name plus ``__builtins__`` bound to a stub
        that raises ``FormulaError`` when called, indexed or read. patsy adds its own ``I, C,
        center, standardize, scale, Treatment`` … behind it; the table's columns come first.
    """
    return patsy.EvalEnvironment([_NAMESPACE])
