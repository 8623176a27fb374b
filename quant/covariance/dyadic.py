"""Dyadic-robust (dyadic cluster-robust) covariance of M-estimators, and HC0 for comparison.

Rows are dyads (pairs of nodes). Two rows are dependent when their pairs share a node; the
dyadic-robust sandwich of Fafchamps & Gubert (2007) sums the score cross-products of every
such pair of rows. Tandem computes it in O(n·k²) from node score sums (quant.md §1.3):

.. math::

    \\hat V = H^{-1} \\Big( \\sum_i U_i U_i^\\top - \\sum_g S_g S_g^\\top \\Big) H^{-1},

where :math:`U_i` is the score sum over the rows touching node :math:`i` and :math:`S_g` the
score sum over the rows of unordered pair :math:`g`. This equals the double sum
:math:`\\sum_d \\sum_{d'} 1[d \\cap d' \\neq \\emptyset] s_d s_{d'}^\\top` and the multiway
decomposition of Aronow, Samii & Assenova (2015).

References
----------
Fafchamps, M. & Gubert, F. (2007). The formation of risk sharing networks. *Journal of
Development Economics* 83(2): 326–350.
Aronow, P. M., Samii, C. & Assenova, V. A. (2015). Cluster–robust variance estimation for dyadic
data. *Political Analysis* 23(4): 564–577.
Cameron, A. C., Gelbach, J. B. & Miller, D. L. (2011). Robust inference with multiway
clustering. *Journal of Business & Economic Statistics* 29(2): 238–249.
Graham, B. S. (2017). An econometric model of network formation with degree heterogeneity.
*Econometrica* 85(4): 1033–1063 (the conservative "DR" variant).
"""
from __future__ import annotations

from i18n import _
from dataclasses import dataclass

import numpy as np
import pandas as pd

from quant.blas import single_blas_thread
from quant.covariance.settings import check_dyadic_options
# node_index, pair_count and release_arrow_pool live in quant.covariance.nodes (importable here too)
from quant.covariance.nodes import node_index, pair_count, release_arrow_pool  # noqa: F401
from quant.errors import DyadError, QuantError

__all__ = ["DyadicVcov", "dyadic_vcov", "dyadic_vcov_from_sums", "hc0_vcov"]


@dataclass(frozen=True)
class DyadicVcov:
    """A dyadic-robust covariance matrix and how it was made.

    Attributes
    ----------
    cov : ndarray, (k, k)
        The covariance matrix (symmetric; PSD if clipped or conservative).
    min_eigenvalue : float
        Smallest eigenvalue of the matrix before any clipping (negative means not PSD).
    clipped : bool
        True when ``psd="clip"`` set at least one negative eigenvalue to zero.
    n_nodes : int
        Number of nodes N used in the label and in the N/(N−1) factor.
    description : str
        One sentence naming the estimator and its options.
    n_pairs : int or None
        Distinct unordered pairs among the rows (fewer than the rows when pairs repeat).
    """

    cov: np.ndarray
    min_eigenvalue: float
    clipped: bool
    n_nodes: int
    description: str
    n_pairs: int | None = None


def _check_scores(S: np.ndarray, Hinv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    S = np.asarray(S, dtype=float)
    if S.ndim == 1:
        S = S[:, None]
    if S.ndim != 2:
        raise QuantError(_("scores S must be a 2-d array (rows × parameters), got {ndim} dimensions.").format(ndim=S.ndim))
    Hinv = np.asarray(Hinv, dtype=float)
    k = S.shape[1]
    if Hinv.shape != (k, k):
        raise QuantError(
            _("Hinv has shape {shape} but the scores have {k} columns; it must be ({k}, {k}).").format(shape=Hinv.shape, k=k)
        )
    if not np.all(np.isfinite(Hinv)):
        raise QuantError(_("Hinv contains NaN or infinite values; the Hessian is singular."))
    if not np.isfinite(S.sum()):  # NaN and inf propagate into the total; locate only then
        bad = np.flatnonzero(~np.all(np.isfinite(S), axis=1))
        if len(bad):
            raise QuantError(_("scores S contain NaN or infinite values (first at row {bad}).").format(bad=int(bad[0])))
    return S, Hinv


@single_blas_thread
def hc0_vcov(S: np.ndarray, Hinv: np.ndarray) -> np.ndarray:
    """Heteroskedasticity-robust HC0 (Huber–White) sandwich, treating rows as independent.

    Parameters
    ----------
    S : array_like, (n, k)
        Per-row scores at the estimate (``model.score_obs(params)``).
    Hinv : array_like, (k, k)
        Inverse Hessian (or inverse of XᵀX for OLS); its sign cancels.

    Returns
    -------
    ndarray, (k, k)
        H⁻¹ (Σ_d s_d s_dᵀ) H⁻¹ (White 1980), symmetrized.

    Raises
    ------
    QuantError
        If shapes disagree or an input holds NaN/infinite values.
    """
    S, Hinv = _check_scores(S, Hinv)
    V = Hinv @ (S.T @ S) @ Hinv.T
    return (V + V.T) / 2.0


def _node_sums(ia: np.ndarray, ib: np.ndarray, S: np.ndarray, m: int) -> np.ndarray:
    """U (m × k): U[i] = Σ_{d: ia[d]=i} S[d] + Σ_{d: ib[d]=i} S[d].

    Row blocks of S are transposed into a small buffer (in cache) so that each weighted
    ``np.bincount`` reads one contiguous column.
    """
    n, k = S.shape
    out = np.zeros((k, m))
    block = 1 << 14
    for s in range(0, n, block):
        ST = S[s : s + block].T.copy()
        a_b, b_b = ia[s : s + block], ib[s : s + block]
        for j in range(k):
            out[j] += np.bincount(a_b, ST[j], m)
            out[j] += np.bincount(b_b, ST[j], m)
    return out.T.copy()


def _group_sums(index: np.ndarray, S: np.ndarray, size: int) -> np.ndarray:
    """Per-index column sums of S: out[g] = Σ_{d: index[d]=g} S[d]."""
    out = np.empty((size, S.shape[1]))
    for c in range(S.shape[1]):
        out[:, c] = np.bincount(index, weights=S[:, c], minlength=size)
    return out


def _finish_vcov(meat, Hinv, N, *, small_sample, psd, conservative, blocks, repeated, n_pairs):
    """H⁻¹ meat H⁻¹ with the small-sample factor, PSD handling and the description."""
    V = Hinv @ meat @ Hinv.T
    V = (V + V.T) / 2.0
    if small_sample == "nodes":
        V = V * (N / (N - 1.0))
    eig, vec = np.linalg.eigh(V)
    min_eig = float(eig.min())
    clipped = False
    if psd == "clip" and min_eig < 0:
        if blocks:  # e.g. the hurdle's two parts: a part whose block is PSD keeps its SEs
            V = V.copy()
            for blk in blocks:
                e_b, v_b = np.linalg.eigh(V[blk, blk])
                if e_b.min() < 0:
                    V[blk, blk] = (v_b * np.clip(e_b, 0.0, None)) @ v_b.T
                    clipped = True
            V = (V + V.T) / 2.0
        else:
            V = (vec * np.clip(eig, 0.0, None)) @ vec.T
            V = (V + V.T) / 2.0
            clipped = True

    parts = [
        "dyadic-robust (Fafchamps & Gubert 2007)",
        # Graham's conservative form adds back the diagonal term that the DR form subtracts: the
        # HC0 meat when every pair has one row, the per-pair (clustered) meat V_D when pairs repeat
        ("Graham DR conservative (V + V_D, pairs repeated)" if repeated else "Graham DR conservative (V + V_HC0)")
        if conservative else "HC0-type",
        f"N = {N} nodes",
    ]
    if small_sample == "nodes":
        parts.append("N/(N-1) correction")
    if clipped and blocks:
        parts.append(f"negative eigenvalues clipped within each part's block (joint min {min_eig:.3g})")
    elif blocks and psd == "clip" and min_eig < 0:
        parts.append(f"each part's block PSD, no clipping; the joint matrix is not PSD (min {min_eig:.3g})")
    elif clipped:
        parts.append(f"negative eigenvalues clipped (min {min_eig:.3g})")
    elif psd == "clip":
        parts.append("PSD, no clipping needed")
    else:
        parts.append("no clipping" + ("" if min_eig >= 0 else f" (not PSD: min eigenvalue {min_eig:.3g})"))
    return DyadicVcov(
        cov=V, min_eigenvalue=min_eig, clipped=clipped, n_nodes=N, description=", ".join(parts),
        n_pairs=n_pairs,
    )


@single_blas_thread
def dyadic_vcov(
    S,
    Hinv,
    a,
    b,
    group=None,
    n_nodes: int | None = None,
    small_sample: str = "none",
    psd: str = "none",
    conservative: bool = False,
    blocks: list[slice] | None = None,
) -> DyadicVcov:
    """Dyadic-robust covariance of an M-estimator, in O(n·k²).

    Parameters
    ----------
    S : array_like, (n, k)
        Per-row scores at the estimate, s_d = ∂ℓ_d/∂θ (``model.score_obs(params)``; x_d·e_d
        for OLS). Rows must be exactly the rows used in the fit.
    Hinv : array_like, (k, k)
        Inverse Hessian of the objective (``inv(model.hessian(params))``; (XᵀX)⁻¹ for OLS).
        Its sign cancels.
    a, b : array_like, (n,)
        The two node ids of each row (order within a row does not matter).
    group : array_like, (n,), optional
        Pair id of each row, for data with several rows per unordered pair (years, both
        directions). Pairs are always recognised from ``a`` and ``b``; when ``group`` is given
        it must label exactly the same partition of rows, else ``DyadError``.
    n_nodes : int, optional
        Number of nodes N in the population (isolated nodes included). Default: the number of
        distinct ids in ``a`` and ``b``. Enters the label and the ``"nodes"`` factor only.
    small_sample : {"none", "nodes"}
        ``"none"``: the HC0-type estimator; ``"nodes"``: multiplied by N/(N−1) (R ``dcr``
        ``dofcorr=TRUE``).
    psd : {"none", "clip"}
        ``"clip"``: eigendecompose (V+Vᵀ)/2, set negative eigenvalues to 0 and rebuild
        (Cameron, Gelbach & Miller 2011, section 2.6).
    conservative : bool
        If True return Graham's (2017) "DR" form H⁻¹(Σ_i U_iU_iᵀ)H⁻¹, always PSD; it equals
        V̂ + V̂_HC0 when each pair has one row, and V̂ + V̂_D (the pair-clustered meat) when pairs
        repeat.
    blocks : list of slice, optional
        Parameter blocks (e.g. the zero and count parts of a hurdle). With ``psd="clip"`` each
        diagonal block is clipped on its own, only if it is not PSD, and the cross-block
        covariances are kept, so a part whose block is fine keeps its SEs exactly.

    Returns
    -------
    DyadicVcov
        ``cov`` (k × k), the minimum eigenvalue before clipping, the clipping flag, N and a
        one-sentence description.

    Raises
    ------
    DyadError
        Self-pairs (a_d = b_d, the first one is named), length mismatches, missing ids, a
        ``group`` that does not match the pairs, or ``n_nodes`` below the nodes observed.
    QuantError
        Bad shapes, NaN/infinite scores, unknown option values.

    Notes
    -----
    With U_i = Σ_{d∋i} s_d and S_g = Σ_{d∈g} s_d (quant.md §1.3),

        B̂ = Σ_i U_iU_iᵀ − Σ_g S_gS_gᵀ,    V̂ = H⁻¹ B̂ H⁻¹,

    which equals the Fafchamps & Gubert (2007) double sum over all ordered row pairs sharing a
    node, and the Aronow, Samii & Assenova (2015, eq. 6) decomposition
    Σ_i V̂_{C,i} − V̂_D − (N−2)V̂_0. Cost: O(n·k) for the sums plus O((N + #pairs)·k²).
    """
    check_dyadic_options(small_sample, psd)
    S, Hinv = _check_scores(S, Hinv)
    n, k = S.shape
    ia, ib, labels = node_index(a, b)
    if len(ia) != n:
        raise DyadError(_("the node columns have {n} rows but the scores have {n2}.").format(n=len(ia), n2=n))
    self_rows = np.flatnonzero(ia == ib)
    if len(self_rows):
        d = int(self_rows[0])
        raise DyadError(
            _("row {d} pairs node {labels!r} with itself; a dyad needs two different nodes "
            "({n} self-pair row(s) in all).").format(d=d, labels=labels[ia[d]], n=len(self_rows))
        )
    m = len(labels)
    if n_nodes is None:
        N = m
    else:
        N = int(n_nodes)
        if N < m:
            raise DyadError(_("n_nodes = {n} is fewer than the {m} distinct nodes in the dyads.").format(n=N, m=m))
    if N < 2:
        raise DyadError(_("dyadic covariance needs at least 2 nodes, got {n}.").format(n=N))

    # Unordered pair key of each row, then the partition of rows into pairs.
    key = np.minimum(ia, ib).astype(np.int64, copy=False)  # a new array (not the caller's)
    key *= m
    key += np.maximum(ia, ib)
    ks = np.sort(key)
    same = ks[1:] == ks[:-1]
    repeated = bool(np.any(same))
    n_pairs = int(n - same.sum()) if n else 0
    del ks, same
    if group is not None:
        group = np.asarray(group)
        if group.shape != (n,):
            raise DyadError(_("group has shape {shape}; it must have one entry per row ({n}).").format(shape=group.shape, n=n))
        gi, guniq = pd.factorize(group, use_na_sentinel=True)
        if n and gi.min() < 0:
            raise DyadError(_("group is missing at row {flatnonzero}.").format(flatnonzero=int(np.flatnonzero(gi < 0)[0])))
        ki, kuniq = pd.factorize(key)
        joint = pd.factorize(gi.astype(np.int64) * len(kuniq) + ki)[1]
        if not (len(guniq) == len(kuniq) == len(joint)):
            raise DyadError(
                _("group defines {n} groups but the rows form {n2} node pairs; "
                "each group must hold exactly the rows of one unordered pair.").format(n=len(guniq), n2=len(kuniq))
            )
    U = _node_sums(ia, ib, S, m)
    meat = U.T @ U
    if not conservative:
        if repeated:
            ki = pd.factorize(key)[0].astype(np.intp)
            G = _group_sums(ki, S, int(ki.max()) + 1)
        else:
            G = S
        meat = meat - G.T @ G
    return _finish_vcov(
        meat, Hinv, N, small_sample=small_sample, psd=psd, conservative=conservative,
        blocks=blocks, repeated=repeated, n_pairs=n_pairs,
    )



@single_blas_thread
def dyadic_vcov_from_sums(
    U,
    outer,
    Hinv,
    n_pairs: int,
    n_rows: int,
    n_nodes: int,
    small_sample: str = "none",
    psd: str = "none",
    conservative: bool = False,
    blocks: list[slice] | None = None,
) -> DyadicVcov:
    """The dyadic-robust covariance of ``dyadic_vcov`` from score sums accumulated elsewhere.

    For fits that never hold the (n, k) score matrix (``quant.models.logit_lean`` with ``nodes``,
    ``quant.models.outofcore``): the same estimator, options and description as ``dyadic_vcov``.

    Parameters
    ----------
    U : array_like, (m, k)
        Node score sums U_i = Σ_{d∋i} s_d (m observed nodes; rows of nodes without data may be
        absent or zero).
    outer : array_like, (k, k)
        Σ_g S_g S_gᵀ over unordered pairs g; with one row per pair this is Σ_d s_d s_dᵀ.
    Hinv : array_like, (k, k)
        Inverse Hessian (its sign cancels).
    n_pairs, n_rows : int
        Distinct unordered pairs and rows (pairs repeat when n_pairs < n_rows; then ``outer``
        must be the per-pair sum, and the description says so).
    n_nodes : int
        N for the label and the ``"nodes"`` factor.
    small_sample, psd, conservative, blocks
        As in ``dyadic_vcov``.

    Returns
    -------
    DyadicVcov

    Raises
    ------
    QuantError
        Unknown options, shapes that disagree, non-finite inputs.
    DyadError
        Fewer than 2 nodes.
    """
    check_dyadic_options(small_sample, psd)
    U = np.asarray(U, dtype=float)
    outer = np.asarray(outer, dtype=float)
    Hinv = np.asarray(Hinv, dtype=float)
    k = Hinv.shape[0]
    if U.ndim != 2 or U.shape[1] != k or outer.shape != (k, k) or Hinv.shape != (k, k):
        raise QuantError(
            _("score sums of shapes {shape}, {shape2} do not match the ({k}, {k}) inverse Hessian.").format(shape=U.shape, shape2=outer.shape, k=k)
        )
    if not (np.isfinite(U.sum()) and np.all(np.isfinite(outer)) and np.all(np.isfinite(Hinv))):
        raise QuantError(_("the score sums or the inverse Hessian contain NaN or infinite values."))
    N = int(n_nodes)
    if N < 2:
        raise DyadError(_("dyadic covariance needs at least 2 nodes, got {n}.").format(n=N))
    meat = U.T @ U
    if not conservative:
        meat = meat - outer
    return _finish_vcov(
        meat, Hinv, N, small_sample=small_sample, psd=psd, conservative=conservative,
        blocks=blocks, repeated=int(n_pairs) < int(n_rows), n_pairs=int(n_pairs),
    )
