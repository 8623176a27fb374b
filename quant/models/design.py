"""Design matrices from a patsy formula, with the bookkeeping the models need.

``build_design`` evaluates ``y ~ x1 + x2`` over a table and returns the outcome vector, the
design matrix, the term names and the positions of the rows used, so that unit ids (cities or
dyads) stay aligned with the rows a model saw. It counts the rows each referenced column loses
to missing values (reported as a warning sentence) and refuses infinite values, naming the
variable.

Every formula is checked by ``quant.formula.guard.check_formula`` before patsy parses or
evaluates it, and patsy evaluates in ``quant.formula.env.safe_environment()`` (the allowed
functions only, no Python builtins): formulas are data, never code.
"""
from __future__ import annotations

from i18n import _
import warnings as _warnings

import numpy as np
import pandas as pd
import patsy

from quant.models.design_columns import ColumnMatrix, as_array
from quant.models.design_names import formula_columns  # noqa: F401 (importable here, as before)
from quant.errors import FormulaError, ModelError, QuantError
from quant.formula.env import check_levels, safe_environment
from quant.formula.guard import check_formula

__all__ = ["Design", "build_design", "formula_columns"]


class Design:
    """Outcome, design matrix and row bookkeeping of one formula over one table.

    Attributes
    ----------
    y : ndarray, (n,)
        Outcome of the rows used.
    X : ndarray, (n, k), or quant.models.design_columns.ColumnMatrix
        Design matrix, C order, float64 (a ``ColumnMatrix`` of the table's own columns when
        ``build_design(..., columns=True)`` could keep them).
    names : list of str, (k,)
        Term names (``"Intercept"`` for the constant).
    outcome : str
        The outcome's name as written left of ``~``.
    rows : ndarray of intp, (n,)
        Positions (0-based, ``iloc``) in the input table of the rows used, in order. When every
        row is used (``rows=None`` to the constructor, ``all_rows`` True) it is made on access
        (``np.arange(n_input)``) and not kept: 31 MiB less at 4 M rows.
    n_input : int
        Rows in the input table.
    warnings : list of str
        Sentences on rows dropped (missing values per column).
    """

    __slots__ = ("y", "X", "names", "outcome", "_rows", "n_input", "warnings")

    def __init__(self, y, X, names, outcome, rows, n_input, warnings=None):
        self.y, self.X, self.names, self.outcome = y, X, names, outcome
        self.n_input = int(n_input)
        self._rows = None if rows is None or (
            len(rows) == self.n_input and (self.n_input == 0 or (rows[0] == 0 and rows[-1] == self.n_input - 1))
        ) else rows  # increasing positions, so first 0 and last n−1 means all rows
        self.warnings = list(warnings or [])

    @property
    def rows(self) -> np.ndarray:
        return np.arange(self.n_input, dtype=np.intp) if self._rows is None else self._rows

    @property
    def all_rows(self) -> bool:
        """True when every input row is used, in order."""
        return self._rows is None

    def row_index(self, name: str = "row") -> pd.Index:
        """``rows`` as a pandas index: a ``RangeIndex`` (no array) when every row is used."""
        if self._rows is None:
            return pd.RangeIndex(self.n_input, name=name)
        return pd.Index(self._rows, name=name)

    def without_matrix(self) -> Design:
        """The same bookkeeping with an empty (0, k) X, to free memory once a model is fitted."""
        return Design(
            y=self.y, X=np.empty((0, self.X.shape[1])), names=list(self.names),
            outcome=self.outcome, rows=self._rows, n_input=self.n_input,
            warnings=list(self.warnings),
        )

    def subset(self, mask: np.ndarray) -> Design:
        """The same design restricted to the rows where ``mask`` (length n) is True."""
        mask = np.asarray(mask, dtype=bool)
        return Design(
            y=self.y[mask],
            X=np.ascontiguousarray(np.asarray(self.X)[mask]),
            names=list(self.names),
            outcome=self.outcome,
            rows=self.rows[mask],
            n_input=self.n_input,
            warnings=list(self.warnings),
        )


class _KeepRows(patsy.NAAction):
    """Let every row through patsy: missing inputs are dropped before, and NaN made by
    transformations after, with counts (patsy's own "drop" copies every column once more)."""

    def __init__(self) -> None:
        super().__init__(on_NA="drop", NA_types=[])

    def handle_NA(self, values, is_NAs, origins):
        return values


_CHUNK = 1 << 18  # rows per patsy evaluation
#: Most design columns a formula may make (``C(x)`` of a variable with many values makes one each).
MAX_COLUMNS = 5_000
#: Most cells (rows × columns, float64: 8 bytes each, so 2 GB) of a design matrix.
MAX_CELLS = 250_000_000


def _evaluate(formula: str, frame: pd.DataFrame, env, outcome: str):
    """patsy in row chunks: one pass learns the design (factor types, categorical levels,
    stateful transforms, over all chunks as patsy requires), then each chunk is built and
    copied into preallocated arrays, so no full-size per-factor temporaries exist at once."""
    n = len(frame)

    def chunks():
        for s in range(0, n, _CHUNK):
            yield frame.iloc[s : s + _CHUNK]

    y_info, x_info = patsy.incr_dbuilders(formula, chunks, eval_env=env, NA_action=_KeepRows())
    if len(y_info.column_names) != 1:
        raise QuantError(
            _("outcome {outcome!r} must be one numeric column; patsy made "
            "{n} ({column_names}), so it is categorical.").format(outcome=outcome, n=len(y_info.column_names), column_names=', '.join(y_info.column_names))
        )
    names = list(x_info.column_names)
    if len(names) > MAX_COLUMNS or n * len(names) > MAX_CELLS:
        raise ModelError(
            _("formula {formula!r} makes {n:,} design columns over {n2:,} rows (at most "
            "{max_columns:,} columns and {max_cells:,} cells); a C() of a variable with many distinct values?").format(formula=formula, n=len(names), n2=n, max_columns=MAX_COLUMNS, max_cells=MAX_CELLS)
        )
    y = np.empty(n)
    X = np.empty((n, len(names)))
    for s in range(0, n, _CHUNK):
        ym, xm = patsy.build_design_matrices(
            [y_info, x_info], frame.iloc[s : s + _CHUNK], NA_action=_KeepRows(),
            return_type="matrix",
        )
        y[s : s + _CHUNK] = np.asarray(ym, dtype=float)[:, 0]
        X[s : s + _CHUNK] = np.asarray(xm, dtype=float)
    return y, X, names


_FILL_BLOCK = 1 << 13  # rows per block when filling X (8,192 × k float64 stays in L2)


def _plain_numeric(formula: str, frame: pd.DataFrame, columns: bool = False):
    """(y, X, names) built directly when every term is a bare numeric column, else None.

    ``y ~ x1 + x2`` (with or without ``- 1``/``+ 0``) over int/float columns is what patsy
    would build — an intercept column of ones first, then each column as float64 in term
    order, named as the column — made here with one float64 copy per column and no patsy
    chunks. Booleans, text, transformations, interactions and ``Q()`` go through patsy.
    """
    try:
        desc = patsy.ModelDesc.from_formula(formula)
    except patsy.PatsyError:
        return None

    def bare(term):
        if len(term.factors) != 1:
            return None
        code = term.factors[0].code.strip()
        if not code.isidentifier() or code not in frame.columns:
            return None
        dtype = frame[code].dtype
        if not (pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype)):
            return None
        if pd.api.types.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
            return None
        return code

    if len(desc.lhs_termlist) != 1:
        return None
    lhs = bare(desc.lhs_termlist[0])
    intercept = False
    cols: list[str] = []
    for t in desc.rhs_termlist:
        if not t.factors:
            intercept = True
            continue
        c = bare(t)
        if c is None:
            return None
        cols.append(c)
    if lhs is None or (intercept and desc.rhs_termlist[0].factors):
        return None  # patsy puts the intercept first; keep its own order otherwise
    names = (["Intercept"] if intercept else []) + cols
    n = len(frame)
    if not names or len(names) > MAX_COLUMNS or n * len(names) > MAX_CELLS:
        return None  # patsy's path gives the messages
    j0 = 1 if intercept else 0
    # NumPy-typed columns as they are (cast to float64 on assignment), extension types
    # (nullable integers) converted once
    src = [frame[c].to_numpy() if isinstance(frame[c].dtype, np.dtype) else frame[c].to_numpy(dtype=float)
           for c in cols]
    y = frame[lhs].to_numpy(dtype=float, copy=True)
    if columns:  # the table's float64 columns themselves, others converted once
        kept = [np.ascontiguousarray(v, dtype=float) for v in src]
        return y, ColumnMatrix(([None] if intercept else []) + kept, n), names
    X = np.empty((n, len(names)))
    # row blocks of X filled column by column while in cache: half the time of writing
    # each strided column of the C-order matrix over all rows
    for s in range(0, n, _FILL_BLOCK):
        Xb = X[s : s + _FILL_BLOCK]
        if intercept:
            Xb[:, 0] = 1.0
        for j, v in enumerate(src, start=j0):
            Xb[:, j] = v[s : s + _FILL_BLOCK]
    return y, X, names


def build_design(data: pd.DataFrame, formula: str, id_cols: tuple[str, ...] = (),
                 columns: bool = False) -> Design:
    """Evaluate a patsy formula over a table, dropping rows with missing values.

    Parameters
    ----------
    data : pandas.DataFrame, (n_input, ...)
        The table (cities or dyads).
    formula : str
        Two-sided patsy formula in Tandem's formula language (``quant.formula.guard``):
        columns, numbers, ``+ - * / ** : ( )``, ``I``, ``C`` (with ``Treatment``), ``Q``,
        ``log``, ``log1p``, ``exp``, ``sqrt``, ``abs`` (also ``np.log`` …), ``center``,
        ``standardize``, ``scale``; node operators must have been rewritten to columns.
    id_cols : tuple of str
        Unit id columns that must exist and be complete on the rows used.
    columns : bool
        For a plain numeric formula with no row dropped, return ``X`` as a
        ``quant.models.design_columns.ColumnMatrix`` over the table's own columns (no (n, k) copy);
        otherwise (and by default) an ndarray.

    Returns
    -------
    Design
        With ``rows`` giving the ``iloc`` positions used; the warning lists how many rows each
        referenced column dropped for missing values.

    Raises
    ------
    FormulaError
        The formula is outside Tandem's formula language (refused before patsy sees it).
    QuantError
        Not a DataFrame, unparseable formula, unknown variables, a non-numeric outcome, or a
        missing id column.
    ModelError
        Infinite values in the outcome or a design column (named, with the row count), no
        complete rows, or more than ``MAX_COLUMNS`` design columns or ``MAX_CELLS`` cells.
    """
    if not isinstance(data, pd.DataFrame):
        raise QuantError(_("data must be a pandas DataFrame, got {name__}.").format(name__=type(data).__name__))
    formula = check_formula(formula)  # before anything else reads it; a plain str from here on
    n_input = len(data)
    for col in id_cols:
        if col not in data.columns:
            raise QuantError(
                _("id column {col!r} is not in the table (columns: {map}).").format(col=col, map=', '.join(map(str, data.columns)))
            )
    lhs, rhs = formula_columns(formula, data.columns)
    referenced = list(dict.fromkeys(lhs + rhs))

    # Missing values in referenced columns, counted per column before patsy sees the table.
    missing_counts: dict[str, int] = {}
    mask = np.zeros(n_input, dtype=bool)
    for col in referenced:
        isna = data[col].isna().to_numpy()
        cnt = int(isna.sum())
        if cnt:
            missing_counts[col] = cnt
            mask |= isna
    keep = np.flatnonzero(~mask)
    frame = data if not mask.any() else data.iloc[keep]
    # Text columns go to patsy as pandas Categoricals: patsy reads them as categorical either way
    # (same sorted levels), but arithmetic on them fails at once instead of `I(province * 10**9)`
    # repeating every string a billion times.
    text = [c for c in referenced if frame[c].dtype == object or isinstance(frame[c].dtype, pd.StringDtype)]
    if text:
        frame = frame.assign(**{c: pd.Categorical(frame[c]) for c in text})
        for c in text:  # patsy makes a contrast matrix of levels² cells for each
            check_levels(len(frame[c].cat.categories), f"The text column {c!r}")

    if len(keep) == 0:
        raise ModelError(_("no complete rows remain for formula {formula!r} (of {n_input:,} rows).").format(formula=formula, n_input=n_input))
    env = safe_environment()
    outcome = formula.split("~", 1)[0].strip()
    try:
        # NaN/inf made by transformations are detected and reported below, not warned about.
        with np.errstate(all="ignore"), _warnings.catch_warnings():
            _warnings.simplefilter("ignore", RuntimeWarning)
            plain = _plain_numeric(formula, frame, columns=columns and frame is data)
            y, X, names = plain if plain is not None else _evaluate(formula, frame, env, outcome)
    except patsy.PatsyError as exc:
        inner = exc.__cause__ or exc.__context__
        if isinstance(inner, FormulaError):  # our own refusal inside a factor: its sentence as it is
            raise inner from None
        raise QuantError(_("formula {formula!r} cannot be evaluated on the table: {message}").format(formula=formula, message=exc.message)) from None
    except (NameError, KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, QuantError):
            raise
        raise QuantError(_("formula {formula!r} cannot be evaluated on the table: {exc}").format(formula=formula, exc=exc)) from None

    warnings: list[str] = []
    # A finite total means every entry is finite (NaN and ±inf propagate); check in detail only
    # otherwise (two cheap sums instead of full-size boolean masks on millions of rows).
    if not (np.isfinite(y.sum()) and np.isfinite(X.sum())):
        X = as_array(X)  # the detailed checks below index it whole
        if np.isinf(y).any():
            raise ModelError(
                _("outcome {outcome!r} has infinite values in {sum} row(s); "
                "fix or drop them before fitting.").format(outcome=outcome, sum=int(np.isinf(y).sum()))
            )
        col_inf = np.isinf(X).sum(axis=0)
        if col_inf.any():
            j = int(np.flatnonzero(col_inf)[0])
            raise ModelError(
                _("variable {names!r} has infinite values in {col_inf} row(s) "
                "(e.g. the log of 0); fix or drop them before fitting.").format(names=names[j], col_inf=int(col_inf[j]))
            )
        # NaN made by transformations (np.log of a negative value, ...): drop and name them.
        bad = np.isnan(y) | np.isnan(X).any(axis=1)
        made = {outcome: int(np.isnan(y).sum())} if np.isnan(y).any() else {}
        for j in np.flatnonzero(np.isnan(X).any(axis=0)):
            made[names[j]] = int(np.isnan(X[:, j]).sum())
        good = ~bad
        y, X, keep = y[good], np.ascontiguousarray(X[good]), keep[good]
        warnings.append(
            _("{n:,} row(s) dropped because a transformation gave NaN ({counts}).").format(
                n=int(bad.sum()), counts=", ".join(f"{k}: {v:,}" for k, v in made.items())))
    if missing_counts:
        warnings.insert(
            0,
            f"{int(mask.sum()):,} of {n_input:,} rows dropped for missing values ("
            + ", ".join(f"{k}: {v:,}" for k, v in missing_counts.items())
            + "; a row can miss several).",
        )
    if len(y) == 0:
        raise ModelError(_("no complete rows remain for formula {formula!r} (of {n_input:,} rows).").format(formula=formula, n_input=n_input))
    for col in id_cols:
        missing_ids = int(data[col].isna().to_numpy()[keep].sum())
        if missing_ids:
            raise QuantError(
                _("id column {col!r} is missing on {missing_ids} row(s) used by the model.").format(col=col, missing_ids=missing_ids)
            )
    return Design(
        y=y, X=X, names=names, outcome=outcome, rows=None if len(keep) == n_input else keep.astype(np.intp),
        n_input=n_input, warnings=warnings,
    )
