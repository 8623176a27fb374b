"""What every dyad model family shares: the node bookkeeping of the rows used
(:class:`DyadNodes`), the input checks (:func:`check_dyad_columns`), finishing a fit into a
``FitResult`` with its covariances (:func:`finish_dyad_fit`) and the covariances of a lean fit
from node score sums (:func:`covariances_from_sums`).

The covariances are those of ``quant.models.common.covariances``: model-based, HC0 (Huber 1967;
White 1980) and dyadic-robust (Fafchamps & Gubert 2007; Aronow, Samii & Assenova 2015; see
``quant.covariance.dyadic``), made as ``quant.covariance.settings.CovarianceSettings`` says.
"""
from __future__ import annotations

from i18n import _

import numpy as np
import pandas as pd

from quant.covariance.dyadic import dyadic_vcov_from_sums
from quant.covariance.nodes import node_index
from quant.covariance.settings import CovarianceSettings
from quant.errors import DyadError, ModelError, QuantError
from quant.models.common import SE_LABELS, Covariances, covariances, information_criteria, standard_errors
from quant.models.design import Design
from quant.models.results import FitResult

__all__ = ["DYAD_SE", "DyadNodes", "check_dyad_columns", "finish_dyad_fit", "covariances_from_sums"]

#: Standard-error types of the maximum-likelihood dyad models (and their default).
DYAD_SE = ("model", "hc0", "dyadic")


class DyadNodes:
    """Integer node indices of the rows used, and the number of nodes in the input table.

    Works on the pandas columns themselves (no conversion of string ids to Python objects);
    ``city_a``/``city_b`` keep the input dtype.

    Attributes
    ----------
    ia, ib : ndarray of int, (n_used,)
        Node index of each row used (into ``labels``).
    labels : ndarray, (M,)
        The distinct node ids of the rows used.
    n_input_nodes : int
        Distinct node ids of every complete row of the input (the default N).
    city_a, city_b : array, (n_used,)
        The node ids of the rows used, as in the input.

    Raises
    ------
    DyadError
        A row (any row, used or not) pairs a city with itself.
    """

    def __init__(self, data: pd.DataFrame, a: str, b: str, rows: np.ndarray | None):
        A, B = data[a], data[b]
        miss = A.isna().to_numpy() | B.isna().to_numpy()
        # rows are increasing positions (None: all rows, as ``Design.all_rows``)
        every = rows is None or len(rows) == len(data)
        if miss.any():
            keep = np.flatnonzero(~miss)
            ia_all, ib_all, labels = node_index(A.iloc[keep], B.iloc[keep])
            self.ia, self.ib, self.labels = node_index(A.iloc[rows], B.iloc[rows])
        else:
            keep = None
            ia_all, ib_all, labels = node_index(A, B)
            self.ia, self.ib, self.labels = (
                (ia_all, ib_all, labels) if every else (ia_all[rows], ib_all[rows], labels)
            )
        selfp = np.flatnonzero(ia_all == ib_all)
        if len(selfp):
            d = int(selfp[0] if keep is None else keep[selfp[0]])
            raise DyadError(
                _("row {d} pairs city {iloc!r} with itself; a dyad needs two different "
                "cities ({n} self-pair row(s) in all).").format(d=d, iloc=A.iloc[d], n=len(selfp))
            )
        self.n_input_nodes = len(labels)
        self.city_a = A.array if every else A.iloc[rows].array
        self.city_b = B.array if every else B.iloc[rows].array


def check_dyad_columns(data, cov: CovarianceSettings) -> tuple[str, ...]:
    """The id columns of a dyad fit, ``(a, b)`` or ``(a, b, group)``, after checking that ``data``
    is a DataFrame that has them.

    Raises
    ------
    QuantError
        ``data`` is not a DataFrame, or a column is missing (named).
    """
    if not isinstance(data, pd.DataFrame):
        raise QuantError(_("data must be a pandas DataFrame, got {name__}.").format(name__=type(data).__name__))
    ids = (cov.a, cov.b) + ((cov.group,) if cov.group else ())
    for col in ids:
        if col not in data.columns:
            raise QuantError(_("column {col!r} is not in the dyad table.").format(col=col))
    return ids


def finish_dyad_fit(
    *, dimension, model, formula, design: Design, nodes: DyadNodes, params, names, S, H, llf,
    fitted, pearson, se: tuple[str, ...], cov: CovarianceSettings, group_vals, converged,
    warnings, meta, blocks=None, computed: Covariances | None = None,
) -> FitResult:
    """The ``FitResult`` of a dyad fit: covariances of the checked SE types ``se`` made as
    ``cov`` says (unless ``computed`` from score sums already), a note when pairs repeat, AIC/BIC
    and the units table (``city_a``, ``city_b``, ``y``, ``fitted``, ``pearson``).

    ``S`` (n, k) scores and ``H`` (k, k) Hessian at the estimate; ``group_vals`` (n,) the pair
    ids of the rows used or None; ``blocks`` parameter blocks clipped separately (hurdle parts).

    Raises
    ------
    ModelError, DyadError, QuantError
        As ``quant.models.common.covariances``.
    """
    N = nodes.n_input_nodes if cov.n_nodes is None else cov.n_nodes
    if computed is None:  # else computed from score sums by the caller (no (n, k) scores)
        computed = covariances(
            S, H, names, se, a=nodes.ia, b=nodes.ib, group=group_vals, n_nodes=N, blocks=blocks,
            **cov.dyadic_options(),
        )
    warnings = list(warnings) + computed.warnings
    n_pairs = computed.meta.get("n_pairs")
    if n_pairs is not None and n_pairs < len(design.y):
        warnings.append(
            _("{n:,} rows form {n_pairs:,} distinct pairs; rows of one pair are "
            "treated as one cluster in the dyadic-robust covariance.").format(n=len(design.y), n_pairs=n_pairs)
        )
    aic, bic = information_criteria(llf, len(params), len(design.y))
    units = pd.DataFrame(
        {"city_a": nodes.city_a, "city_b": nodes.city_b, "y": design.y, "fitted": fitted,
         "pearson": pearson},
        index=design.row_index(),
        copy=False,
    )
    meta = dict(meta)
    meta.update(
        outcome=design.outcome, n_input=design.n_input, covariance=computed.meta,
        se_requested=list(se),
    )
    se_type = "dyadic" if "dyadic" in computed.se else se[0]
    return FitResult(
        dimension=dimension, model=model, formula=formula,
        params=pd.Series(np.asarray(params, float), index=names),
        se=computed.se, cov=computed.cov, se_type=se_type, se_labels=computed.labels,
        n=len(design.y), n_nodes=N, llf=float(llf), aic=aic, bic=bic, converged=bool(converged),
        warnings=warnings, units=units, meta=meta,
    )


def covariances_from_sums(H, sums, names, se, *, n_nodes: int, n_pairs: int, n_rows: int,
                          cov: CovarianceSettings) -> Covariances:
    """``quant.models.common.covariances`` for a lean fit whose last pass accumulated the node
    score sums and Σ s sᵀ (``quant.models.logit_lean.NodeSums``: ``U`` (N, k), ``outer`` (k, k))
    instead of the (n, k) scores: the same matrices, labels, meta and notes.

    Raises
    ------
    ModelError
        A singular or non-finite Hessian, or a non-positive model-based variance.
    """
    try:
        Hinv = np.linalg.inv(H)
    except np.linalg.LinAlgError:
        raise ModelError(_("the Hessian is singular at the estimate; covariates may be collinear.")) from None
    if not np.all(np.isfinite(Hinv)):
        raise ModelError(_("the Hessian cannot be inverted at the estimate (non-finite values)."))
    out, labels, meta, notes = {}, {}, {}, []
    for key in se:
        if key == "model":
            V = -Hinv
            V = (V + V.T) / 2.0
            bad = np.diag(V) <= 0
            if bad.any():
                raise ModelError(
                    _("the log-likelihood is not at a maximum for {names!r} "
                    "(non-positive model-based variance); the fit cannot be trusted.").format(names=names[int(np.flatnonzero(bad)[0])])
                )
            out[key], labels[key] = V, SE_LABELS["model"]
        elif key == "hc0":
            V = Hinv @ sums.outer @ Hinv.T
            out[key], labels[key] = (V + V.T) / 2.0, SE_LABELS["hc0"]
        elif key == "dyadic":
            d = dyadic_vcov_from_sums(
                sums.U, sums.outer, Hinv, n_pairs=n_pairs, n_rows=n_rows, n_nodes=n_nodes,
                **cov.dyadic_options(),
            )
            out[key], labels[key] = d.cov, d.description
            meta = {"small_sample": cov.small_sample, "psd": cov.psd, "conservative": cov.conservative,
                    "clipped": d.clipped, "min_eigenvalue": d.min_eigenvalue, "n_nodes": d.n_nodes,
                    "n_pairs": d.n_pairs}
    return Covariances(cov=out, se=standard_errors(out, names, notes), labels=labels, meta=meta, warnings=notes)
