"""Small helpers turning numpy arrays into typed Arrow columns."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

TIMESTAMP = pa.timestamp("us", tz="UTC")
MONEY = pa.decimal128(18, 2)


def timestamps(values: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """µs since epoch → UTC timestamps; ``null`` marks missing values."""
    return pa.array(values.astype(np.int64), type=TIMESTAMP, mask=null)


def money(rupiah: np.ndarray) -> pa.Array:
    """Whole rupiah (int64) → DECIMAL(18,2)."""
    whole = pa.array(rupiah.astype(np.int64), type=pa.int64()).cast(pa.decimal128(19, 0))
    return whole.cast(MONEY)


def labels(
    codes: np.ndarray, vocabulary: Sequence[str], null: np.ndarray | None = None
) -> pa.Array:
    """Integer codes → strings from ``vocabulary`` (nulls where ``null``)."""
    safe = np.where(null, 0, codes) if null is not None else codes
    indices = pa.array(safe.astype(np.int32), type=pa.int32(), mask=null)
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(vocabulary))).dictionary_decode()
