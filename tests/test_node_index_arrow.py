"""node_index on Arrow-backed string columns (H2): same pairs as a plain Python mapping."""
import numpy as np
import pandas as pd
import pyarrow as pa

from quant.covariance.dyadic import node_index, release_arrow_pool


def _by_hand(a, b):
    labels, seen = [], {}
    for x in list(a) + list(b):
        if x not in seen:
            seen[x] = len(labels)
            labels.append(x)
    return labels


def test_arrow_chunked_strings_match_a_python_mapping():
    a = ["广州市", "佛山市", "广州市", "深圳市", "x"]
    b = ["佛山市", "深圳市", "珠海市", "珠海市", "广州市"]
    # several chunks, as read_parquet gives them
    col_a = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([a[:2], a[2:]])))
    col_b = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([b[:3], b[3:]])))
    ia, ib, labels = node_index(col_a, col_b)
    assert sorted(labels.tolist()) == sorted(set(a) | set(b))
    assert [labels[i] for i in ia] == a and [labels[i] for i in ib] == b
    assert ia.dtype == np.int32 and ib.dtype == np.int32
    assert len(labels) == len(_by_hand(a, b))
    # object columns give the same pairs
    ja, jb, lab2 = node_index(pd.Series(a, dtype=object), pd.Series(b, dtype=object))
    assert [lab2[i] for i in ja] == a and [lab2[i] for i in jb] == b


def test_missing_id_in_arrow_column_is_named():
    col_a = pd.Series(["a", None, "c"], dtype="str")
    col_b = pd.Series(["b", "c", "a"], dtype="str")
    try:
        node_index(col_a, col_b)
    except ValueError as e:
        assert "row 1" in str(e)
    else:
        raise AssertionError("a missing id must raise")


def test_release_arrow_pool_is_harmless():
    release_arrow_pool()
    assert pa.default_memory_pool().bytes_allocated() >= 0
