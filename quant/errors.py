"""Errors raised by ``quant``: each a ``TandemError`` (``ValueError``) subclass carrying one clear sentence.

The CLI prints the message to stderr and exits non-zero; the UI shows it with ``st.error``.
"""
from __future__ import annotations

from collections.abc import Sequence

from applog.errors import TandemError

__all__ = [
    "QuantError",
    "ModelError",
    "FormulaError",
    "DyadError",
    "UnknownCityError",
    "AmbiguousCityError",
]


class QuantError(TandemError):
    """Bad input to a quantitative routine (the message names the value and the reason)."""


class ModelError(QuantError):
    """A model cannot be fitted or its result cannot be trusted.

    Raised for non-convergence (the message says which optimizers were tried), perfect or
    quasi-complete separation (naming the variable), too few events, a constant outcome,
    a constant covariate, or infinite values in a variable.
    """


class FormulaError(QuantError):
    """A model formula uses something other than the formula language Tandem allows.

    Raised by ``quant.formula.guard.check_formula`` before patsy sees the text: a name, call,
    attribute, string or construct outside the allowlist (the message names the piece), or a
    formula too long, too deeply nested or expanding to too many terms.
    """


class DyadError(QuantError):
    """Malformed dyad input: a self-pair, a duplicate pair, mismatched id columns."""


class UnknownCityError(QuantError):
    """A city name or code that matches no city of the project."""


class AmbiguousCityError(QuantError):
    """A city name that matches several cities; ``candidates`` lists them.

    Parameters
    ----------
    message : str
        One sentence naming the ambiguous value and listing the candidates.
    candidates : sequence of str, optional
        The matching cities (e.g. ``"320500 苏州市"``), in a stable order.
    """

    def __init__(self, message: str, candidates: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.candidates: list[str] = list(candidates)
