"""The CSV reader's pre-scans and text cleaning: the shortcuts never change what is read."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pasar.warehouse.ingest.readers import _clean_text, _has_blank_lines, read_file


@pytest.mark.parametrize(
    ("data", "blank"),
    [
        (b"a\nb\n", False),
        (b"a\n\nb\n", True),
        (b"a\r\nb\r\n", False),
        (b"a\r\n\r\nb\r\n", True),
        (b"a\rb\r", False),
        (b"a\r\rb", True),
        (b"a\n\rb", True),
        (b"a\nb\n\n", True),
        (b"a\r\n", False),
    ],
)
def test_blank_lines_are_found_with_every_line_ending(
    tmp_path: Path, data: bytes, blank: bool
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    assert _has_blank_lines(path) is blank


_TEXT = st.text(alphabet=st.sampled_from(["a", "é", " ", "\t", "\u00a0", "\ufeff", "©", "x"]))


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.none() | _TEXT, max_size=30))
def test_cleaning_trims_blanks_and_nulls_empty_values_whatever_the_shortcut(
    values: list[str | None],
) -> None:
    blanks = " \t\u00a0\ufeff"
    expected = [None if v is None or not v.strip(blanks) else v.strip(blanks) for v in values]
    cleaned = _clean_text(pa.chunked_array([pa.array(values, pa.string())]))
    assert cleaned.to_pylist() == expected


def test_clean_values_are_handed_over_untouched() -> None:
    column = pa.array(["ORD-1", "Jawa Barat", None, "Rp 1.000,50", "Sérum"], pa.string())
    assert _clean_text(column) is column


def test_a_csv_with_padded_and_clean_columns_reads_trimmed(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    text = "order_id,province\nA-1, Jawa Barat\u00a0\nA-2,Bali\nA-3,\t\n"
    path.write_text(text, encoding="utf-8")
    con = duckdb.connect()
    read_file(con, path, "raw")
    rows = con.execute("SELECT _file, _row, order_id, province FROM raw ORDER BY _row").fetchall()
    assert rows == [
        (str(path), 2, "A-1", "Jawa Barat"),
        (str(path), 3, "A-2", "Bali"),
        (str(path), 4, "A-3", None),
    ]
