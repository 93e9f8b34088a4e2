"""Vectorised string IDs: a prefix plus a zero-padded sequence number."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def make_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``make_ids("S", np.array([1, 2]), 6)`` → ``["S000001", "S000002"]`` (as Arrow)."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, type=pa.int64()), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def take_ids(ids: pa.Array, index: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """``ids[index]`` as Arrow, with nulls where ``mask`` is True."""
    if mask is None:
        return ids.take(pa.array(index, type=pa.int64()))
    return ids.take(pa.array(np.where(mask, 0, index), type=pa.int64(), mask=mask))
