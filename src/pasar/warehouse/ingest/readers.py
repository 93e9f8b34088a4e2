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
import pyarrow as pa

from pasar.kit.errors import InputError
from pasar.kit.sqltext import ident, literal

SAMPLE_BYTES = 1 << 20
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
    if kind != "parquet":  # blank rows are an artefact of text files and spreadsheets
        raw.blank_rows = _drop_blank_rows(con, raw)
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
    if encoding == "utf-16" or _has_blank_lines(path):
        # DuckDB's UTF-16 reads a big-endian file as empty and refuses characters beyond the
        # BMP (emoji); its blank-line check would need the bytes decoded. Python reads all.
        return _read_csv_exact(con, path, table, encoding, delimiter, quote, names)
    columns = "{" + ", ".join(f"{literal(n)}: 'VARCHAR'" for n in names) + "}"
    rejects, scans = f"{table}_rejects", f"{table}_scans"
    try:
        con.execute(
            f"""
            CREATE TABLE {ident(table)} AS
            SELECT * FROM read_csv({literal(path.as_posix())}, auto_detect = false,
                header = true, delim = {literal(delimiter)}, quote = {literal(quote)},
                escape = {literal(quote)}, columns = {columns}, encoding = {literal(encoding)},
                store_rejects = true, rejects_table = {literal(rejects)},
                rejects_scan = {literal(scans)}, strict_mode = true,
                max_line_size = {MAX_LINE_BYTES}, parallel = true)
            """
        )
    except duckdb.Error as exc:
        raise InputError(f"not a readable CSV file: {_first_line(exc)}", file=str(path)) from exc
    bad = _bad_csv_records(con, rejects)
    rows = con.execute(f"SELECT count(*) FROM {ident(table)}").fetchall()[0][0]
    _number_rows(con, table, path, [b.row for b in bad])
    return RawFile(path, table, names, int(rows), bad)


def _has_blank_lines(path: Path) -> bool:
    """Whether the file has an empty line, which DuckDB's reader skips without counting."""
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(SAMPLE_BYTES):
            block = (tail + chunk).replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            if b"\n\n" in block:
                return True
            tail = chunk[-2:]
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
    """The careful reader for files with empty lines: Python's csv module, record by record.

    It refuses what DuckDB's reader refuses, record by record, and reads on after each: a
    record the parser cannot split, bytes invalid in the encoding, a wrong field count. Like
    DuckDB's reader it accepts surplus fields that are all empty (a trailing delimiter).
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
                bad.append(BadRecord(row_number, f"unreadable record: {exc}", ""))
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
        {
            "_file": pa.array([str(path)] * len(numbers), pa.string()),
            "_row": pa.array(numbers, pa.int64()),
            **{
                name: pa.array(values, pa.string())
                for name, values in zip(names, columns, strict=True)
            },
        }
    )
    con.register(f"{table}_arrow", arrow)
    con.execute(f"CREATE TABLE {ident(table)} AS SELECT * FROM {ident(table + '_arrow')}")
    con.unregister(f"{table}_arrow")
    return RawFile(path, table, names, len(numbers), bad)


_UNDECODABLE = re.compile("[\udc80-\udcff]")  # bytes the decoder could not read (surrogateescape)


def _printable(text: str) -> str:
    """``text`` with undecodable bytes shown as U+FFFD, at most 1000 characters."""
    return text[:1000].encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _bad_csv_records(con: duckdb.DuckDBPyConnection, rejects: str) -> list[BadRecord]:
    found = con.execute(
        f"SELECT line, any_value(error_type ORDER BY column_idx), any_value(csv_line), "
        f"any_value(error_message) FROM {ident(rejects)} GROUP BY line ORDER BY line"
    ).fetchall()
    return [
        BadRecord(int(line), _CSV_ERRORS.get(str(kind), str(message)), str(text or ""))
        for line, kind, text, message in found
    ]


def _number_rows(
    con: duckdb.DuckDBPyConnection, table: str, path: Path, bad_rows: list[int]
) -> None:
    """Add ``_file`` and ``_row``: the record number, counting the header as row 1.

    Good records keep file order in the table; a record the parser refused leaves a gap, so
    good record ``r`` (0-based) is row ``r + 2`` plus the number of refused records before it.
    """
    file_label = literal(str(path))
    if not bad_rows:
        row_expr = "rowid + 2"
        source = ident(table)
        join = ""
    else:
        gaps = ", ".join(f"({row - 2 - i}, {i + 1})" for i, row in enumerate(sorted(bad_rows)))
        con.execute(f"CREATE TEMP TABLE {ident(table + '_gaps')}(good_before BIGINT, k BIGINT)")
        con.execute(f"INSERT INTO {ident(table + '_gaps')} VALUES {gaps}")
        source = f"(SELECT rowid AS _rid, * FROM {ident(table)}) t"
        join = f"ASOF LEFT JOIN {ident(table + '_gaps')} g ON t._rid >= g.good_before"
        row_expr = "t._rid + 2 + coalesce(g.k, 0)"
    con.execute(
        f"CREATE TABLE {ident(table + '_n')} AS SELECT {file_label} AS _file, "
        f"CAST({row_expr} AS BIGINT) AS _row, "
        + ("t.* EXCLUDE (_rid)" if bad_rows else "*")
        + f" FROM {source} {join}"
    )
    con.execute(f"DROP TABLE {ident(table)}")
    con.execute(f"ALTER TABLE {ident(table + '_n')} RENAME TO {ident(table)}")


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
    arrow = pa.table(
        {
            "_file": pa.array([str(path)] * len(body), pa.string()),
            "_row": pa.array(numbers, pa.int64()),
            **columns,
        }
    )
    con.register(f"{table}_arrow", arrow)
    con.execute(f"CREATE TABLE {ident(table)} AS SELECT * FROM {ident(table + '_arrow')}")
    con.unregister(f"{table}_arrow")
    return RawFile(path, table, names, len(body), bad)


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
        con.execute(
            f"CREATE TABLE {ident(table)} AS SELECT {literal(str(path))} AS _file, "
            f"CAST(file_row_number + 1 AS BIGINT) AS _row, * EXCLUDE (file_row_number) "
            f"FROM read_parquet({literal(path.as_posix())}, file_row_number = true)"
        )
    except duckdb.Error as exc:
        raise InputError(
            f"not a readable Parquet file: {_first_line(exc)}", file=str(path)
        ) from exc
    names = [d[0] for d in con.execute(f"SELECT * FROM {ident(table)} LIMIT 0").description or []][
        2:
    ]
    rows = con.execute(f"SELECT count(*) FROM {ident(table)}").fetchall()[0][0]
    return RawFile(path, table, names, int(rows))


# -- shared ------------------------------------------------------------------------------------


def _drop_blank_rows(con: duckdb.DuckDBPyConnection, raw: RawFile) -> int:
    """Delete rows whose every field is empty (spreadsheet padding); return how many."""
    if not raw.columns:
        return 0
    # readers give NULL for an empty field; a row of blanks only is refused later, with reasons
    blank = " AND ".join(f"{ident(c)} IS NULL" for c in raw.columns)
    deleted = con.execute(f"DELETE FROM {ident(raw.table)} WHERE {blank}").fetchall()
    return int(deleted[0][0]) if deleted else 0


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


__all__ = ["BadRecord", "RawFile", "file_format", "read_file", "unique_names"]
