"""How a fit's covariance is computed: one frozen :class:`CovarianceSettings` that every model
function takes (``cov=``), instead of the same bundle of keyword arguments in each.

The dyadic-robust covariance (``quant.covariance.dyadic``) is the sandwich of Fafchamps & Gubert
(2007) in the node-sum form of Aronow, Samii & Assenova (2015); ``small_sample="nodes"`` is the
N/(N − 1) factor by analogy with the G/(G − 1) factor of cluster-robust variances (Cameron,
Gelbach & Miller 2011; Cameron & Miller 2015); ``psd="clip"`` sets negative eigenvalues to zero
(Cameron, Gelbach & Miller 2011, §2.3); ``conservative=True`` is Graham's always-PSD form
V̂ + V̂_HC0 (Graham 2017). HC0 is Huber (1967) and White (1980); HC1–HC3 (OLS only) MacKinnon &
White (1985).

References
----------
Aronow, P. M., Samii, C. & Assenova, V. A. (2015). Cluster–robust variance estimation for dyadic
data. *Political Analysis* 23(4): 564–577.
Cameron, A. C., Gelbach, J. B. & Miller, D. L. (2011). Robust inference with multiway
clustering. *Journal of Business & Economic Statistics* 29(2): 238–249.
Cameron, A. C. & Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
*Journal of Human Resources* 50(2): 317–372.
Fafchamps, M. & Gubert, F. (2007). The formation of risk sharing networks. *Journal of
Development Economics* 83(2): 326–350.
Graham, B. S. (2017). An econometric model of network formation with degree heterogeneity.
*Econometrica* 85(4): 1033–1063.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from i18n import _
from quant.errors import QuantError

__all__ = ["CovarianceSettings", "covariance_settings", "check_dyadic_options", "SE_TYPES",
           "SMALL_SAMPLE", "PSD", "FIELDS"]

#: Every standard-error type a model may compute; which ones a model offers is its own check
#: (``quant.models.common.check_se``): HC1–HC3 are for OLS only, "dyadic" for dyads only.
SE_TYPES = ("model", "hc0", "hc1", "hc2", "hc3", "dyadic")
#: Values of ``small_sample``: none, or × N/(N − 1) with N the number of cities.
SMALL_SAMPLE = ("none", "nodes")
#: Values of ``psd``: none, or clip negative eigenvalues to zero.
PSD = ("none", "clip")


def check_dyadic_options(small_sample: str, psd: str) -> None:
    """Refuse a ``small_sample`` or ``psd`` value that is not one of :data:`SMALL_SAMPLE`,
    :data:`PSD`.

    Raises
    ------
    QuantError
        E.g. "small_sample 'HC1' is not one of none, nodes."
    """
    if small_sample not in SMALL_SAMPLE:
        raise QuantError(_("small_sample {small_sample!r} is not one of {small_sample2}.").format(
            small_sample=small_sample, small_sample2=", ".join(SMALL_SAMPLE)))
    if psd not in PSD:
        raise QuantError(_("psd {psd!r} is not one of {psd2}.").format(psd=psd, psd2=", ".join(PSD)))


@dataclass(frozen=True)
class CovarianceSettings:
    """Which standard errors a fit computes and how the dyadic-robust one is made.

    Attributes
    ----------
    se : tuple of str, or None
        Standard-error types, from :data:`SE_TYPES` ("model": inverse observed information;
        "hc0": Huber–White sandwich, rows independent; "hc1"–"hc3": OLS corrections, MacKinnon &
        White 1985; "dyadic": dyadic-robust, rows that share a city dependent). None: the model's
        default (model, hc0 and, on dyads, dyadic). A single string is taken as a one-type tuple.
        Which types a model offers is checked by the model (``quant.models.common.check_se``).
    a, b : str
        The dyad table's node (city) id columns; default "city_a", "city_b". City models ignore
        them.
    group : str or None
        Column holding a pair id when a pair has several rows (directed dyads, panels): the rows
        of one pair are one cluster (checked against the pairs by ``dyadic_vcov``).
    n_nodes : int or None
        Number of cities N (isolated ones included), a whole number ≥ 2; None: the distinct ids
        of the table. It sets the N/(N − 1) factor and the label; fewer than the cities in the
        rows used is refused when the covariance is computed.
    small_sample : {"none", "nodes"}
        "nodes": the dyadic covariance × N/(N − 1) (the G/(G − 1) factor of Cameron, Gelbach &
        Miller 2011 with cities as clusters).
    psd : {"none", "clip"}
        "clip": set negative eigenvalues of the dyadic covariance to zero (Cameron, Gelbach &
        Miller 2011, §2.3), so every SE exists.
    conservative : bool
        Graham's (2017) always-PSD form V̂ + V̂_HC0 (the diagonal term added back).

    Raises
    ------
    QuantError
        From ``__post_init__``, one sentence for the first bad value.
    """

    se: tuple[str, ...] | None = None
    a: str = "city_a"
    b: str = "city_b"
    group: str | None = None
    n_nodes: int | None = None
    small_sample: str = "none"
    psd: str = "none"
    conservative: bool = False

    def __post_init__(self):
        se = self.se
        if se is not None:
            se = (se,) if isinstance(se, str) else tuple(se) if isinstance(se, Sequence) else se
            if not isinstance(se, tuple) or not all(isinstance(s, str) for s in se):
                raise QuantError(_("standard-error types must be names such as 'model', 'hc0' or 'dyadic', got "
                                   "{se!r}.").format(se=self.se))
            if not se:
                raise QuantError(_("at least one standard-error type is needed."))
            for s in se:
                if s.lower() not in SE_TYPES:
                    raise QuantError(_("standard-error type {s!r} is not one of {types}.").format(
                        s=s, types=", ".join(SE_TYPES)))
            object.__setattr__(self, "se", se)
        for name in ("a", "b"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise QuantError(_("the node id column {name} must be a column name, got {value!r}.").format(
                    name=name, value=value))
        if self.a == self.b:
            raise QuantError(_("the two node id columns must differ, got {a!r} twice.").format(a=self.a))
        if self.group is not None and (not isinstance(self.group, str) or not self.group):
            raise QuantError(_("the pair column (group) must be a column name, got {group!r}.").format(group=self.group))
        n = self.n_nodes
        if n is not None:
            whole = isinstance(n, (int, np.integer)) and not isinstance(n, bool) or (
                isinstance(n, (float, np.floating)) and float(n).is_integer())
            if not whole or int(n) < 2:
                raise QuantError(_("the number of cities n_nodes must be a whole number of at least 2, "
                                   "got {n!r}.").format(n=n))
            object.__setattr__(self, "n_nodes", int(n))
        check_dyadic_options(self.small_sample, self.psd)
        if not isinstance(self.conservative, (bool, np.bool_)) and self.conservative not in (0, 1):
            raise QuantError(_("conservative must be true or false, got {value!r}.").format(value=self.conservative))
        object.__setattr__(self, "conservative", bool(self.conservative))

    def dyadic_options(self) -> dict[str, Any]:
        """``small_sample``, ``psd`` and ``conservative``, as ``dyadic_vcov`` takes them."""
        return {"small_sample": self.small_sample, "psd": self.psd, "conservative": self.conservative}


#: The field names, which the model functions also accept as separate keywords.
FIELDS = tuple(f.name for f in dataclasses.fields(CovarianceSettings))


def covariance_settings(cov: CovarianceSettings | None = None, options: dict | None = None, *,
                        where: str = "the fit") -> CovarianceSettings:
    """The settings of one fit: ``cov``, or built from ``options`` (keywords named as the fields,
    None meaning not given) — the compatibility layer of the model functions' old keywords.

    Raises
    ------
    TypeError
        An option that is not a field (as Python says for an unknown keyword of ``where``).
    QuantError
        ``cov`` is not a :class:`CovarianceSettings`, both ``cov`` and options are given, or a
        bad value (``CovarianceSettings.__post_init__``).
    """
    options = {k: v for k, v in (options or {}).items() if v is not None}
    unknown = sorted(set(options) - set(FIELDS))
    if unknown:
        raise TypeError(f"{where}() got an unexpected keyword argument {unknown[0]!r}")
    if cov is None:
        return CovarianceSettings(**options)
    if not isinstance(cov, CovarianceSettings):
        raise QuantError(_("cov must be a CovarianceSettings, got {name}.").format(name=type(cov).__name__))
    if options:
        raise QuantError(_("give the covariance options either as cov=CovarianceSettings(...) or as "
                           "keywords ({names}), not both.").format(names=", ".join(sorted(options))))
    return cov
