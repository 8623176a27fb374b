"""Models of the three collaboration dimensions and a dispatcher (quant.md §2).

=============  =====================  ======================================  ===========
dimension      unit                   models                                  default SE
=============  =====================  ======================================  ===========
breadth        city                   nb (default), poisson, binomial         model
connection     dyad (all pairs)       logit (default), probit                 dyadic
degree         collaborating dyad     ztnb (default), nb_pos                  dyadic
degree         all dyads (two parts)  hurdle: logit + ztnb, joint covariance  dyadic
=============  =====================  ======================================  ===========
"""
from __future__ import annotations

import pandas as pd

from quant.errors import QuantError
from quant.models_breadth import fit_breadth
from quant.models_degree import fit_degree
from quant.models_hurdle import fit_hurdle
from quant.models_dyad import LEAN_LOGIT_MIN_ROWS, fit_connection
from quant.results import FitResult

__all__ = [
    "fit",
    "fit_breadth",
    "fit_connection",
    "fit_degree",
    "fit_hurdle",
    "DEFAULT_MODELS",
    "MODELS_BY_DIMENSION",
    "LEAN_LOGIT_MIN_ROWS",
]

DEFAULT_MODELS = {"breadth": "nb", "connection": "logit", "degree": "ztnb"}
MODELS_BY_DIMENSION = {
    "breadth": ("nb", "poisson", "binomial"),
    "connection": ("logit", "probit"),
    "degree": ("ztnb", "nb_pos", "hurdle"),
}
_FITTERS = {"breadth": fit_breadth, "connection": fit_connection, "degree": fit_degree}


def fit(
    data: pd.DataFrame,
    dimension: str,
    model: str | None = None,
    formula: str | None = None,
    **kw,
) -> FitResult:
    """Fit the model of one collaboration dimension.

    Parameters
    ----------
    data : pandas.DataFrame
        City table (breadth) or dyad table (connection, degree).
    dimension : {"breadth", "connection", "degree"}
    model : str, optional
        One of ``MODELS_BY_DIMENSION[dimension]``; default ``DEFAULT_MODELS[dimension]``.
    formula : str
        Patsy formula (required).
    **kw
        Passed to ``fit_breadth``, ``fit_connection``, ``fit_degree`` or (model "hurdle")
        ``fit_hurdle``.

    Returns
    -------
    FitResult

    Raises
    ------
    QuantError
        Unknown dimension or model, or no formula; otherwise whatever the fitter raises.
    """
    if dimension not in _FITTERS:
        raise QuantError(
            f"dimension {dimension!r} is not one of {', '.join(_FITTERS)}."
        )
    model = DEFAULT_MODELS[dimension] if model is None else model
    if model not in MODELS_BY_DIMENSION[dimension]:
        raise QuantError(
            f"model {model!r} does not fit the {dimension} dimension; choose one of "
            f"{', '.join(MODELS_BY_DIMENSION[dimension])}."
        )
    if not formula:
        raise QuantError(f"a formula is needed to fit the {dimension} model, e.g. 'y ~ x'.")
    if model == "hurdle":
        return fit_hurdle(data, formula, **kw)
    return _FITTERS[dimension](data, formula, model=model, **kw)
