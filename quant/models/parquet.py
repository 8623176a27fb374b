"""Read a dyad (or city) table from Parquet with only the columns a formula needs.

A 4-million-dyad table read whole with ``pandas.read_parquet`` holds ~318 MB of data (the two
city id columns as Arrow strings, 57 MB each, every numeric column) and peaks at ~850 MB while
reading. ``read_model_columns`` reads the formula's columns and the id columns only, with the
ids dictionary-encoded (pandas Categoricals: int16 codes for up to 32,767 cities, 8 MB each at
4 M rows), and hands Arrow's freed buffers back to the operating system: ~140 MB for the
bench's four-term logit (bench/RESULTS.md).
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from i18n import _
from quant.models.design import formula_columns
from quant.covariance.nodes import release_arrow_pool
from quant.errors import QuantError

__all__ = ["read_model_columns"]


def read_model_columns(
    path: str | Path, formula: str | None = None, ids: Sequence[str] = ("city_a", "city_b"),
    columns: Sequence[str] = (),
) -> pd.DataFrame:
    """The id columns, the columns ``formula`` refers to and ``columns`` of a Parquet file.

    Parameters
    ----------
    path : str or Path
        A Parquet file (or a folder of Parquet files that pyarrow reads as one dataset).
    formula : str, optional
        A two-sided formula (``quant.models.design.formula_columns``): its columns are read.
    ids : sequence of str
        Id columns, read as pandas Categoricals (Arrow dictionary encoding).
    columns : sequence of str
        Further columns to read as they are.

    Returns
    -------
    pandas.DataFrame, (n_rows, len(ids) + referenced columns)
        The columns in file order (no copy to reorder them); a RangeIndex.

    Raises
    ------
    QuantError
        The file cannot be read, or an id column or requested column is not in it.
    FormulaError
        The formula is outside Tandem's formula language.
    """
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path) if Path(path).is_file() else pq.ParquetDataset(path).schema
    except (OSError, ValueError) as exc:
        raise QuantError(_("The Parquet file {path} cannot be read: {error}").format(
            path=Path(path).name, error=exc)) from None
    names = list(schema.names)
    want = list(dict.fromkeys([*ids, *columns]))
    if formula is not None:
        lhs, rhs = formula_columns(formula, names)
        want += [c for c in lhs + rhs if c not in want]
    missing = [c for c in want if c not in names]
    if missing:
        raise QuantError(_("Column {column!r} is not in the Parquet file {path} (columns: {columns}).").format(
            column=missing[0], path=Path(path).name, columns=", ".join(names)))
    order = [c for c in names if c in want]
    try:
        table = pq.read_table(path, columns=order, read_dictionary=list(ids), memory_map=True)
    except (OSError, ValueError) as exc:
        raise QuantError(_("The Parquet file {path} cannot be read: {error}").format(
            path=Path(path).name, error=exc)) from None
    frame = table.to_pandas(self_destruct=True, split_blocks=True)
    del table
    release_arrow_pool()
    return frame
