"""Read one CSV, XLSX or Parquet file into a DuckDB table, keeping each row's number in the file.

Every reader produces a table with the file's own column names plus ``_file`` and ``_row``; the row
number is what a spreadsheet shows (the header is row 1). CSV and XLSX columns arrive as text,
except XLSX columns holding only numbers or only dates, and Parquet columns keep their types.
Records the CSV parser cannot split (wrong field count, unterminated quote, bad encoding) are
returned as ``BadRecord`` so they reach the rejects instead of vanishing.

Example:
    >>> con = duckdb.connect()
    >>> raw = read_file(con, Path("orders.csv"), "raw_1")   # doctest: +SKIP
    >>> raw.columns[:2], raw.rows                            # doctest: +SKIP
    (['order_id', 'seller_id'], 10000)
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pasar.kit.errors import InputError

SAMPLE_BYTES = 1 << 20
_BLANKS = " \t\r\n\u00a0\ufeff"  # trimmed around every text value
MAX_LINE_BYTES = 8 << 20
FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}

_CSV_ERRORS = {
    "MISSING COLUMNS": "row has fewer fields than the header",
    "TOO MANY COLUMNS": "row has more fields than the header",
    "UNQUOTED VALUE": "unterminated or misplaced quote",
    "INVALID ENCODING": "text is not valid in the file's encoding",
    "INVALID UNICODE": "text is not valid in the file's encoding",
    "LINE SIZE OVER MAXIMUM": f"row is longer than {MAX_LINE_BYTES // (1 << 20)} MiB",
}


@dataclass(frozen=True)
class BadRecord:
    """A record of the file that could not be split into fields."""

    row: int
    reason: str
    text: str


@dataclass
class RawFile:
    """A file loaded into DuckDB table ``table`` with its own column names."""

    path: Path
    table: str
    columns: list[str]
    rows: int
    bad_records: list[BadRecord] = field(default_factory=list)
    blank_rows: int = 0

    @property
    def label(self) -> str:
        return str(self.path)


def file_format(path: Path) -> str | None:
    """``csv``, ``xlsx`` or ``parquet`` from the file name, or ``None`` for other files."""
    return FORMATS.get(path.suffix.lower())


def read_file(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> RawFile:
    """Load ``path`` into DuckDB table ``table``; structural problems raise ``InputError``."""
    kind = file_format(path)
    if not path.is_file():
        raise InputError("no such file", file=str(path))
    if kind == "csv":
        raw = _read_csv(con, path, table)
    elif kind == "xlsx":
        raw = _read_xlsx(con, path, table)
    elif kind == "parquet":
        raw = _read_parquet(con, path, table)
    else:
        raise InputError(
            f"unknown file type {path.suffix!r} (expected .csv, .tsv, .txt, .xlsx or .parquet)",
            file=str(path),
        )
    raw.rows -= raw.blank_rows
    return raw


# -- CSV ---------------------------------------------------------------------------------------


def _detect_encoding(path: Path, sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        raise InputError("the file looks binary, not like CSV text", file=str(path))
    return "utf-8" if _reads_as_utf8(path) else "latin-1"


def _reads_as_utf8(path: Path) -> bool:
    """Whether the whole file is UTF-8 text, allowing a few broken bytes among more good
    multi-byte characters (those rows are refused rather than the whole file misread).

    A Latin-1 file's accented letters are never valid UTF-8, wherever they are in the file: a
    decision from the first megabyte alone refused every later row holding one.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    broken = wide = 0
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(SAMPLE_BYTES)
            text = decoder.decode(chunk, final=not chunk)
            if not text.isascii():
                invalid = text.count("\ufffd")
                broken += invalid
                wide += len(text) - len(text.encode("ascii", "ignore")) - invalid
            if not chunk:
                break
    return broken == 0 or wide > broken


def _sniff_dialect(path: Path, text: str) -> tuple[str, str]:
    """(delimiter, quote) of the sample; falls back to the most frequent delimiter of line 1."""
    head = text[: 64 * 1024].replace("\r\n", "\n").replace("\r", "\n")  # old Mac: CR only
    try:
        dialect = csv.Sniffer().sniff(head, delimiters=",;\t|")
        return dialect.delimiter, dialect.quotechar or '"'
    except csv.Error:
        first = head.splitlines()[0] if head else ""
        counts = {d: first.count(d) for d in ",;\t|"}
        best = max(counts, key=lambda d: counts[d])
        return (best if counts[best] else ","), '"'


def _header(path: Path, text: str, delimiter: str, quote: str) -> list[str]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar=quote)
    try:
        names = next(reader)
    except StopIteration:
        raise InputError("the file is empty (no header row)", file=str(path)) from None
    except csv.Error as exc:
        raise InputError(f"the header row cannot be read: {exc}", file=str(path)) from exc
    return unique_names(names)


def unique_names(names: list[Any]) -> list[str]:
    """Header names made usable: blanks become ``column_N``, repeats get ``_2``, ``_3``…

    Example:
        >>> unique_names(["Price", "", "Price"])
        ['Price', 'column_2', 'Price_2']
    """
    seen: dict[str, int] = {}
    result = []
    for position, raw in enumerate(names, start=1):
        name = str(raw).strip().lstrip("\ufeff") if raw is not None else ""
        name = name or f"column_{position}"
        count = seen.get(name.lower(), 0) + 1
        seen[name.lower()] = count
        result.append(name if count == 1 else f"{name}_{count}")
    return result


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> RawFile:
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    if not sample.strip():
        raise InputError("the file is empty", file=str(path))
    encoding = _detect_encoding(path, sample)
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample, final=False)
    text = text.lstrip("\ufeff")
    delimiter, quote = _sniff_dialect(path, text)
    names = _header(path, text, delimiter, quote)
    # the byte scans for blank lines and quotes assume an ASCII-compatible encoding (not UTF-16)
    if (
        encoding == "utf-16"
        or _has_blank_lines(path)
        or not _quotes_are_regular(path, delimiter, quote)
    ):
        return _read_csv_exact(con, path, table, encoding, delimiter, quote, names)
    arrow = _read_csv_arrow(path, encoding, delimiter, quote, names)
    if arrow is None:  # something the fast reader cannot number exactly: read it record by record
        return _read_csv_exact(con, path, table, encoding, delimiter, quote, names)
    numbers = pa.array(np.arange(2, arrow.num_rows + 2, dtype=np.int64))
    blanks = _publish(con, table, path, numbers, arrow)
    return RawFile(path, table, names, arrow.num_rows, blank_rows=blanks)


def _read_csv_arrow(
    path: Path, encoding: str, delimiter: str, quote: str, names: list[str]
) -> pa.Table | None:
    """The whole file as text columns with Arrow's parallel reader, or ``None`` when a record
    cannot be split (its number would be unknown) — the careful reader then takes over."""
    invalid: list[object] = []

    def refuse(row: object) -> str:
        invalid.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=names,
                skip_rows=1,
                encoding="utf8" if encoding == "utf-8" else encoding,
                block_size=1 << 24,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                quote_char=quote,
                double_quote=True,
                newlines_in_values=True,
                invalid_row_handler=refuse,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowException, UnicodeDecodeError, ValueError):  # any Arrow refusal
        return None
    return None if invalid else table


def _all_null(table: pa.Table) -> pa.ChunkedArray:
    """True where every column of the row is null (an empty record)."""
    masks = [pc.is_null(column) for column in table.columns]
    result = masks[0]
    for mask in masks[1:]:
        result = pc.and_(result, mask)
    return result


def _quotes_are_regular(path: Path, delimiter: str, quote: str) -> bool:
    """Whether every quote of the file opens a field, closes one, or is doubled inside one.

    Arrow's reader forgives the rest: it stores ``"abc"x`` as ``abcx`` and lets an unterminated
    quote run to the end of the file, swallowing the rows after it into one value. Such files
    go to the careful reader, which refuses exactly the broken records. Quotes toggle between
    inside and outside a field, so the n-th quote opens when n is even (it must follow a
    delimiter, a line end or a closing quote) and closes when n is odd (it must precede one).
    Bytes suffice: delimiter, quote and line ends are ASCII in UTF-8 and Latin-1 alike.
    """
    q = ord(quote)
    around = np.zeros(256, dtype=bool)  # what may stand before an opening quote, after a closing
    around[[q, ord(delimiter), ord("\r"), ord("\n")]] = True
    data = np.memmap(path, dtype=np.uint8, mode="r")
    start = 3 if data[:3].tobytes() == codecs.BOM_UTF8 else 0
    seen = 0
    for begin in range(start, data.size, _SCAN_BYTES):
        at = np.flatnonzero(data[begin : begin + _SCAN_BYTES] == q) + begin
        opening, closing = (at[0::2], at[1::2]) if seen % 2 == 0 else (at[1::2], at[0::2])
        before = around[data[np.maximum(opening - 1, 0)]] | (opening == start)
        after = around[data[np.minimum(closing + 1, data.size - 1)]] | (closing + 1 == data.size)
        if not (before.all() and after.all()):
            return False
        seen += at.size
    return seen % 2 == 0


_SCAN_BYTES = 64 << 20


def _has_blank_lines(path: Path) -> bool:
    """Whether the file has an empty line, which Arrow's reader skips without counting (the
    row numbers after it would be off by one), so the careful reader must take the file.

    An empty line is a line end right after another: LF LF, LF CR (which covers CRLF CRLF) or
    CR CR. Vectorised over the positions of line ends, so the scan runs near memory speed.
    """
    data = np.memmap(path, dtype=np.uint8, mode="r")
    for begin in range(0, data.size, _SCAN_BYTES):
        block = np.asarray(data[begin : begin + _SCAN_BYTES + 1])  # one byte into the next
        after_lf = block[np.flatnonzero(block[:-1] == 10) + 1]
        if np.any((after_lf == 10) | (after_lf == 13)):
            return True
        is_cr = block[:-1] == 13
        if is_cr.any() and np.any(block[np.flatnonzero(is_cr) + 1] == 13):
            return True
    return False


def _read_csv_exact(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    table: str,
    encoding: str,
    delimiter: str,
    quote: str,
    names: list[str],
) -> RawFile:
    """The careful reader (UTF-16, empty lines, irregular quotes, records Arrow cannot split):
    Python's csv module, record by record, numbering every record exactly.

    It refuses one record at a time and reads on after each: a record the parser cannot split,
    bytes invalid in the encoding, a wrong field count. Surplus fields that are all empty (a
    trailing delimiter) are accepted, as Arrow's reader would.
    """
    width = len(names)
    columns: list[list[str | None]] = [[] for _ in names]
    numbers: list[int] = []
    bad: list[BadRecord] = []
    csv.field_size_limit(MAX_LINE_BYTES)
    with path.open(
        encoding="utf-8-sig" if encoding == "utf-8" else encoding,
        errors="surrogateescape",
        newline="",
    ) as handle:
        reader = csv.reader(handle, delimiter=delimiter, quotechar=quote, strict=True)
        row_number = 0
        while True:
            row_number += 1
            line = reader.line_num
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                bad.append(BadRecord(row_number, _unreadable_record(exc), ""))
                if reader.line_num == line:
                    break  # no progress: nothing more can be read
                continue
            if row_number == 1 or not record:
                continue
            text = delimiter.join(record)
            if _UNDECODABLE.search(text):
                bad.append(BadRecord(row_number, _CSV_ERRORS["INVALID ENCODING"], _printable(text)))
                continue
            if len(record) > width and not any(record[width:]):
                record = record[:width]
            if len(record) != width:
                reason = _CSV_ERRORS[
                    "MISSING COLUMNS" if len(record) < width else "TOO MANY COLUMNS"
                ]
                bad.append(BadRecord(row_number, reason, text[:1000]))
                continue
            numbers.append(row_number)
            for i, value in enumerate(record):
                columns[i].append(value if value != "" else None)
    arrow = pa.table(
        {name: pa.array(values, pa.string()) for name, values in zip(names, columns, strict=True)}
    )
    blanks = _publish(con, table, path, pa.array(numbers, pa.int64()), arrow)
    return RawFile(path, table, names, len(numbers), bad, blank_rows=blanks)


def _unreadable_record(exc: csv.Error) -> str:
    """Why the csv module could not split a record, in the user's words."""
    if str(exc) == "unexpected end of data":
        return "unterminated quote: the file ends inside a quoted value"
    if "expected after" in str(exc):
        return f"misplaced quote: {exc}"
    return f"unreadable record: {exc}"


_UNDECODABLE = re.compile("[\udc80-\udcff]")  # bytes the decoder could not read (surrogateescape)


def _printable(text: str) -> str:
    """``text`` with undecodable bytes shown as U+FFFD, at most 1000 characters."""
    return text[:1000].encode("utf-8", "surrogateescape").decode("utf-8", "replace")


# -- XLSX --------------------------------------------------------------------------------------


def _read_xlsx(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> RawFile:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        sheet = next(
            (s for s in (book.get_sheet_by_name(n) for n in book.sheet_names) if s.height),
            None,
        )
        if sheet is None:
            raise InputError("the workbook has no data in any sheet", file=str(path))
        cells: list[list[Any]] = sheet.to_python(skip_empty_area=False)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"not a readable XLSX workbook: {exc}", file=str(path)) from exc
    header_at = next((i for i, r in enumerate(cells) if any(_present(c) for c in r)), None)
    if header_at is None:
        raise InputError("the workbook is empty", file=str(path))
    names = unique_names(cells[header_at])
    unusable = _unusable_cells(path, sheet.name)
    body: list[list[Any]] = []
    numbers: list[int] = []
    bad: list[BadRecord] = []
    # spreadsheet rows are 1-based and the header takes one
    for number, row in enumerate(cells[header_at + 1 :], start=header_at + 2):
        if number in unusable and any(_present(c) for c in row):
            text = ",".join(_as_text(c) or "" for c in row)[:1000]
            bad.append(BadRecord(number, unusable[number], text))
        else:
            body.append(row)
            numbers.append(number)
    columns = {
        name: _xlsx_column([r[i] if i < len(r) else None for r in body])
        for i, name in enumerate(names)
    }
    blanks = _publish(con, table, path, pa.array(numbers, pa.int64()), pa.table(columns))
    return RawFile(path, table, names, len(body), bad, blank_rows=blanks)


def _unusable_cells(path: Path, sheet: str) -> dict[int, str]:
    """Rows of a sheet holding a cell with no usable value, and why (the first such cell).

    A formula saved without its result (by a program that does not calculate, like openpyxl)
    or a cell holding an error (``#DIV/0!``) reads as an empty cell: storing the row would lose
    that value without a word. The sheet XML is parsed only when it has such cells at all.
    """
    try:
        with zipfile.ZipFile(path) as book:
            member = _sheet_member(book, sheet)
            if member is None or not _mentions(book, member, _FORMULA_OR_ERROR):
                return {}
            with book.open(member) as xml:
                return _cells_without_value(xml)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, ElementTree.ParseError):
        return {}  # what calamine could read is read; this check is a refinement


_FORMULA_OR_ERROR = re.compile(rb'<(\w+:)?f[\s>/]|\st="e"')


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _sheet_member(book: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding the sheet named ``sheet``."""
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    rid = next(
        (
            value
            for element in workbook.iter()
            if _local(element.tag) == "sheet" and element.get("name") == sheet
            for key, value in element.attrib.items()
            if key.startswith("{") and _local(key) == "id"
        ),
        None,
    )
    relations = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    target = next(
        (r.get("Target") for r in relations.iter() if rid and r.get("Id") == rid),
        None,
    )
    if not target:
        return None
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)


def _mentions(book: zipfile.ZipFile, member: str, pattern: re.Pattern[bytes]) -> bool:
    tail = b""
    with book.open(member) as handle:
        while chunk := handle.read(SAMPLE_BYTES):
            if pattern.search(tail + chunk):
                return True
            tail = chunk[-16:]
    return False


def _cells_without_value(xml: IO[bytes]) -> dict[int, str]:
    found: dict[int, str] = {}
    row_number = 0
    for event, element in ElementTree.iterparse(xml, events=("start", "end")):
        tag = _local(element.tag)
        if event == "start":
            if tag == "row":
                row_number = int(element.get("r") or row_number + 1)
            continue
        if tag == "row":
            element.clear()
        if tag != "c":
            continue
        parts = {_local(child.tag): child for child in element}
        value = parts["v"].text if "v" in parts else None
        kind = element.get("t", "n")
        ref = element.get("r") or f"in row {row_number}"
        if kind == "e":
            found.setdefault(row_number, f"cell {ref} holds the error {value or ''}".strip())
        elif "f" in parts and not value and kind not in ("str", "inlineStr"):
            found.setdefault(
                row_number,
                f"cell {ref} holds a formula saved without its result (written by a program "
                "that does not calculate); open and save the file in a spreadsheet app",
            )
    return found


def _present(cell: Any) -> bool:
    return cell is not None and cell != ""


def _xlsx_column(values: list[Any]) -> pa.Array:
    """Numbers stay numbers and dates stay dates when the whole column agrees; else text."""
    present = [v for v in values if _present(v)]
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return pa.array([float(v) if _present(v) else None for v in values], pa.float64())
    if present and all(isinstance(v, dt.datetime | dt.date) for v in present):
        return pa.array(
            [_as_datetime(v) if _present(v) else None for v in values], pa.timestamp("us")
        )
    return pa.array([_as_text(v) for v in values], pa.string())


def _as_datetime(value: dt.date) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return dt.datetime.combine(value, dt.time())


def _number_text(value: float) -> str:
    """A number cell as text that every parser reads back as the same number.

    Never in exponent form (``1e-05``), and never like an Indonesian thousands group: ``12.345``
    from a number cell is twelve and a bit, but as text it reads as 12345, so it gets a zero.
    """
    if value.is_integer():
        return str(int(value))
    text = format(Decimal(repr(value)), "f")
    return text + "0" if re.fullmatch(r"-?\d{1,3}\.\d{3}", text) else text


def _as_text(value: Any) -> str | None:
    if not _present(value):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta | dt.time):
        return str(value)
    return str(value)


# -- Parquet -----------------------------------------------------------------------------------


def _read_parquet(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> RawFile:
    try:
        arrow = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(
            f"not a readable Parquet file: {_first_line(exc)}", file=str(path)
        ) from exc
    names = unique_names(arrow.column_names)
    arrow = arrow.rename_columns(names)
    numbers = pa.array(np.arange(1, arrow.num_rows + 1, dtype=np.int64))
    blanks = _publish(con, table, path, numbers, arrow)
    return RawFile(path, table, names, arrow.num_rows, blank_rows=blanks)


# -- shared ------------------------------------------------------------------------------------


def _publish(
    con: duckdb.DuckDBPyConnection,
    table: str,
    path: Path,
    numbers: pa.Array,
    arrow: pa.Table,
) -> int:
    """Register ``arrow`` as ``table`` (no copy) with ``_file`` and ``_row``; return blank rows.

    Every reader hands over text the same way: blanks around a value (spaces, tabs, no-break
    spaces) are trimmed and an empty value is NULL. A row with nothing in it is dropped and
    counted; it carries no data to lose.
    """
    # blank means nothing at all: a row of spaces is not blank, it is refused with reasons
    blank = _all_null(arrow) if arrow.num_columns else None
    columns = [_clean_text(c) if pa.types.is_string(c.type) else c for c in arrow.columns]
    arrow = pa.table(columns, names=arrow.column_names)
    blanks = int(pc.sum(blank).as_py() or 0) if blank is not None and arrow.num_rows else 0
    arrow = arrow.add_column(0, "_row", numbers).add_column(
        0, "_file", _repeated_text(str(path), arrow.num_rows)
    )
    if blanks and blank is not None:
        arrow = arrow.filter(pc.invert(blank))
    con.register(table, arrow)
    return blanks


def _repeated_text(text: str, count: int) -> pa.DictionaryArray:
    """``text`` ``count`` times, stored once (a dictionary column)."""
    indices = pa.array(np.zeros(count, dtype=np.int32))
    return pa.DictionaryArray.from_arrays(indices, pa.array([text], pa.string()))


def _clean_text(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    if isinstance(column, pa.ChunkedArray):
        return pa.chunked_array([_clean_text(c) for c in column.chunks], type=column.type)
    if not _may_need_cleaning(column):
        return column
    trimmed = pc.utf8_trim(column, characters=_BLANKS)
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


def _edge_bytes(blanks: str, edge: int) -> np.ndarray:
    table = np.zeros(256, dtype=bool)
    table[[blank.encode()[edge] for blank in blanks]] = True
    return table


# the first and last UTF-8 byte of each blank: a value starting or ending with one may need a trim
_LEADING = _edge_bytes(_BLANKS, 0)
_TRAILING = _edge_bytes(_BLANKS, -1)


def _may_need_cleaning(array: pa.Array) -> bool:
    """Whether any value of a string array is empty or may start or end with a blank.

    Reads only the first and last byte of each value from Arrow's buffers, a small fraction of
    the cost of trimming: clean exports skip the trim entirely. A byte that merely could begin
    or end a blank (a multi-byte letter sharing it) only costs the trim, never a wrong value.
    """
    if not pa.types.is_string(array.type) or len(array) == 0:
        return True
    buffers = array.buffers()
    if buffers[2] is None:
        return bool(array.null_count < len(array))  # only empty strings (or nulls)
    start = array.offset
    offsets = np.frombuffer(buffers[1], dtype=np.int32)[start : start + len(array) + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8)
    lengths = np.diff(offsets)
    filled = lengths > 0
    if int(filled.sum()) < len(array) - array.null_count:  # an empty value that is not null
        return True
    return bool(
        _LEADING[data[offsets[:-1][filled]]].any() or _TRAILING[data[offsets[1:][filled] - 1]].any()
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


__all__ = ["BadRecord", "RawFile", "file_format", "read_file", "unique_names"]
