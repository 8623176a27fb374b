"""A table with more columns than Tandem reads is refused before it is parsed (found by a tester:
a 10 MB CSV of a million columns took gigabytes and minutes)."""
from __future__ import annotations

import pytest

from coding.exchange.codebook_table import read_codebook_table
from coding.errors import CodingError
from corpus.read_txt import MAX_TABLE_COLUMNS
from quant.errors import QuantError
from quant.data.tables import read_table


def _wide(n: int) -> bytes:
    return ("case," + ",".join(f"c{i}" for i in range(n - 1)) + "\nID1," + ",".join("1" for _ in range(n - 1))
            + "\n").encode("utf-8")


def test_read_table_refuses_a_million_columns():
    with pytest.raises(QuantError, match=r"1,000,000 columns, more than the 5,000"):
        read_table(_wide(1_000_000), "wide.csv")


def test_read_table_reads_the_widest_allowed():
    frame = read_table(_wide(MAX_TABLE_COLUMNS), "wide.csv")
    assert frame.shape == (1, MAX_TABLE_COLUMNS)


def test_codebook_table_refuses_a_million_columns():
    with pytest.raises(CodingError, match=r"1,000,000 columns"):
        read_codebook_table(_wide(1_000_000), label="wide.csv")
