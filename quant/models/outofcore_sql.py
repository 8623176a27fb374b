"""The SQL side of the out-of-core fits (``quant.models.outofcore``): the plain formulas they
take (``parse_plain_formula``: column names joined by ``+``, nothing computed) and quoting a
column or table name as a SQL identifier (``quote_ident``), so that no user text reaches SQL
unquoted.
"""
from __future__ import annotations

from i18n import _
import re

from quant.errors import FormulaError

__all__ = ["parse_plain_formula", "quote_ident"]

_NAME = r"[^\W\d]\w*"
_PLAIN = re.compile(rf"^\s*({_NAME})\s*~\s*({_NAME}(?:\s*\+\s*{_NAME})*)\s*$", re.UNICODE)


def quote_ident(name: str) -> str:
    """``name`` as a SQL identifier: in double quotes, inner double quotes doubled."""
    return '"' + str(name).replace('"', '""') + '"'


def parse_plain_formula(formula: str) -> tuple[str, list[str]]:
    """Outcome and covariate columns of ``"y ~ x1 + x2"``.

    Raises
    ------
    FormulaError
        Anything but column names (letters, digits, underscores; not starting with a digit)
        joined by ``+``, or a column named twice.
    """
    m = _PLAIN.match(str(formula))
    if not m:
        raise FormulaError(
            _("out-of-core formula {formula!r} must be plain column names joined by + "
            "(e.g. 'y ~ x1 + x2'); compute logs, dummies and interactions as columns first.").format(formula=formula)
        )
    y = m.group(1)
    xs = [t.strip() for t in m.group(2).split("+")]
    if len(set(xs)) != len(xs) or y in xs:
        raise FormulaError(_("out-of-core formula {formula!r} names a column twice.").format(formula=formula))
    return y, xs
