"""Malformed inputs never crash ingestion, never lose a good row, and every refusal is explained.

Property tests build files whose fate is known row by row (``malformed_data``): each record is
drawn good or spoiled in one specific way, in a drawn CSV dialect (delimiter, quoting, line
ending, BOM, encoding) or as a workbook, so the warehouse and the rejects can be compared
exactly. Fuzz tests feed arbitrary bytes and text and require an ``InputError`` or a batch whose
counts add up. Example tests pin structural errors (``InputError`` naming the file and the
column, exit code 2) and inputs too big or too particular to generate: 5 MB fields, formulas,
merged header cells, UTF-16, a Latin-1 letter after the first megabyte.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pasar.cli.main import main
from pasar.config import Settings
from pasar.kit.errors import InputError
from pasar.warehouse.connectors.base import ConnectorOptions
from pasar.warehouse.ingest.batch import (
    BatchReport,
    IngestRequest,
    RejectRateExceededError,
    ingest,
)
from pasar.warehouse.store import Warehouse
from tests.warehouse.ingest.malformed_data import (
    LATIN1_TEXT,
    UTF8_TEXT,
    Dialect,
    TableFile,
    check_batch,
    check_stubs,
    dialects,
    rejected_rows,
    render_csv,
    render_xlsx,
    stored_rows,
    table_files,
    with_cached_values,
)

PROPERTY = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FUZZ = settings(PROPERTY, max_examples=25)

HEADER = "order_id,seller_id,buyer_id,created_at,status,gmv,shipped_at,cancel_reason"
WIB = dt.timezone(dt.timedelta(hours=7))


def run(home: Path, *paths: Path, table: str | None = None, **kw: Any) -> BatchReport:
    """Ingest ``paths`` into the warehouse under ``home``."""
    request = IngestRequest(list(paths), options=ConnectorOptions(table=table), **kw)
    return ingest(request, Settings(home=home))


def line(n: int, sep: str = ",", **cells: str) -> str:
    """A valid orders row for ``HEADER``: created 2024-01-02 10:00 WIB, Rp 1.500, shipped later."""
    row = {
        "order_id": f"o{n}",
        "seller_id": "S1",
        "buyer_id": f"b{n}",
        "created_at": "2024-01-02 10:00:00",
        "status": "delivered",
        "gmv": "1500",
        "shipped_at": "2024-01-03 09:00:00",
        "cancel_reason": "",
    }
    row.update(cells)
    return sep.join(row[c] for c in HEADER.split(","))


def csv_bytes(*rows: str, header: str = HEADER, newline: str = "\n") -> bytes:
    return newline.join([header, *rows, ""]).encode()


def write(home: Path, name: str, data: bytes) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / name
    path.write_bytes(data)
    return path


def stored(home: Path, path: Path, table: str = "orders") -> dict[int, dict[str, Any]]:
    return stored_rows(Settings(home=home), table, str(path))


def refused(report: BatchReport, path: Path) -> dict[int, list[tuple[Any, ...]]]:
    """Rejects by row: (field, check, reason, column)."""
    return rejected_rows(report, str(path))


def counts_add_up(report: BatchReport, home: Path) -> None:
    """Stored + refused == read, for a batch whose content is not known row by row."""
    total = sum(
        len(stored_rows(Settings(home=home), table, file.path))
        for file in report.files
        for table in file.tables
    )
    assert total + report.rejected_rows == report.rows_read
    for file in report.files:
        rows = [
            *(r for t in file.tables for r in stored_rows(Settings(home=home), t, file.path)),
            *refused(report, Path(file.path)),
        ]
        assert len(rows) == len(set(rows)), "a row is both stored and refused"
        assert all(r >= 1 for r in rows)


# -- property tests: generated files with a known fate per row ----------------------------------


@st.composite
def csv_batches(draw: st.DrawFn) -> list[tuple[str, TableFile, Dialect]]:
    """An orders file and often a sellers file, each in its own dialect."""
    batch = []
    for table in ("orders", "sellers"):
        if table == "sellers" and not draw(st.booleans()):
            continue
        dialect = draw(dialects())
        alphabet = LATIN1_TEXT if dialect.encoding == "latin-1" else UTF8_TEXT
        file = draw(table_files(table, alphabet))
        name = draw(st.sampled_from([table, f"{table}_export", f"{table}-2026-10"]))
        batch.append((name + dialect.suffix, file, dialect))
    return batch


@PROPERTY
@given(batch=csv_batches())
def test_csv_good_rows_are_stored_exactly_and_bad_rows_refused_with_reason(
    batch: list[tuple[str, TableFile, Dialect]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        files = [(write(home, name, render_csv(file, d)), file) for name, file, d in batch]
        report = run(home, *(p for p, _ in files))
        settings_ = Settings(home=home)
        check_batch(report, settings_, files)
        orders = list(stored_rows(settings_, "orders", str(files[0][0])).values())
        sellers = set()
        if len(files) > 1:
            good = stored_rows(settings_, "sellers", str(files[1][0])).values()
            sellers = {str(r["seller_id"]) for r in good}
        check_stubs(settings_, orders, sellers)


@st.composite
def xlsx_files(draw: st.DrawFn) -> tuple[TableFile, set[str]]:
    file = draw(table_files("orders", UTF8_TEXT.replace("\r", ""), max_rows=20, csv=False))
    typed = draw(st.sets(st.sampled_from(["gmv", "created_at", "paid_at", "shipped_at"])))
    return file, typed


@settings(PROPERTY, max_examples=10)
@given(case=xlsx_files())
def test_xlsx_good_rows_are_stored_exactly_and_bad_rows_refused_with_reason(
    case: tuple[TableFile, set[str]],
) -> None:
    file, typed = case
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        path = write(home, "orders.xlsx", render_xlsx(file, typed))
        check_batch(run(home, path), Settings(home=home), [(path, file)], workbook=True)


# -- fuzz: arbitrary input gives an InputError or a batch whose counts add up --------------------


@FUZZ
@given(data=st.binary(max_size=4096), suffix=st.sampled_from([".csv", ".tsv", ".xlsx", ".parquet"]))
def test_arbitrary_bytes_never_crash(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        path = write(home, "orders" + suffix, data)
        try:
            report = run(home, path)
        except InputError as exc:
            assert str(path) in str(exc)
            return
        counts_add_up(report, home)


@settings(FUZZ, max_examples=12)
@given(
    body=st.lists(st.sampled_from([*'ab1 ,;\t"\r\n\x00é-:/', "2024-01-02", "Rp 1.500"])).map(
        "".join
    ),
    header=st.sampled_from(
        [HEADER, HEADER.replace(",", ";"), '"' + HEADER.replace(",", '","') + '"']
    ),
)
def test_arbitrary_text_under_a_valid_header_never_crashes(body: str, header: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        path = write(home, "orders.csv", (header + "\n" + body).encode())
        try:
            report = run(home, path)
        except InputError as exc:
            assert str(path) in str(exc)
            return
        counts_add_up(report, home)


# -- structural problems: InputError naming the file (and the column), exit code 2 --------------


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "empty"),
        (b"  \n\r\n\n", "empty"),
        (b"\xef\xbb\xbf", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
        (bytes(range(256)) * 8, "binary"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "binary"),
    ],
)
def test_empty_or_binary_csv_is_an_input_error_naming_the_file(
    tmp_path: Path, data: bytes, why: str
) -> None:
    path = write(tmp_path, "orders.csv", data)
    with pytest.raises(InputError, match=why) as caught:
        run(tmp_path / "home", path)
    assert caught.value.file == str(path)
    assert not (tmp_path / "home" / "warehouse" / "manifest.json").exists()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("orders.xlsx", b"order_id,seller_id\no1,S1\n"),
        ("orders.xlsx", b"PK\x03\x04 not really a zip"),
        ("orders.parquet", b"PAR1 garbage PAR1"),
        ("orders.parquet", b""),
    ],
)
def test_unreadable_workbook_or_parquet_is_an_input_error(
    tmp_path: Path, name: str, data: bytes
) -> None:
    path = write(tmp_path, name, data)
    with pytest.raises(InputError) as caught:
        run(tmp_path / "home", path)
    assert caught.value.file == str(path)


@pytest.mark.parametrize(
    ("table", "header", "row", "column"),
    [
        ("orders", HEADER.replace(",gmv", ""), "o1,S1,b1,2024-01-02,delivered,x,", "gmv"),
        ("orders", HEADER.replace("order_id", "id"), line(1), "order_id"),
        ("orders", HEADER.replace("created_at", "created"), line(1), "created_at"),
        ("sellers", "shop_name,city", "Toko,Bogor", "seller_id"),
    ],
)
def test_missing_required_column_names_the_file_and_the_column(
    tmp_path: Path, table: str, header: str, row: str, column: str
) -> None:
    path = write(tmp_path, f"{table}.csv", csv_bytes(row, header=header))
    with pytest.raises(InputError) as caught:
        run(tmp_path / "home", path)
    assert caught.value.file == str(path)
    assert caught.value.column == column
    assert str(path) in str(caught.value) and column in str(caught.value)


def test_missing_column_of_a_workbook_or_parquet_names_it(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["order_id", "seller_id", "buyer_id", "created_at", "gmv"])  # no status
    sheet.append(["o1", "S1", "b1", "2024-01-02", 5])
    xlsx = tmp_path / "orders.xlsx"
    book.save(xlsx)
    parquet = tmp_path / "orders.parquet"
    pq.write_table(pa.table({"order_id": ["o1"], "seller_id": ["S1"], "buyer_id": ["b1"]}), parquet)
    for path, column in ((xlsx, "status"), (parquet, "created_at")):
        with pytest.raises(InputError) as caught:
            run(tmp_path / "home", path)
        assert (caught.value.file, caught.value.column) == (str(path), column)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (csv_bytes(line(1), header=HEADER.replace(",gmv", ",amount")), ["column gmv"]),
        (b"", ["empty"]),
        (b"\x00\x01\x02binary\x00", ["binary"]),
    ],
)
def test_cli_structural_error_exits_2_with_one_line_naming_the_file(
    pasar_home: Path, capsys: pytest.CaptureFixture[str], data: bytes, words: list[str]
) -> None:
    path = write(pasar_home.parent / "in", "export.csv", data)
    code = main(["ingest", str(path), "--table", "orders"])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert str(path) in err
    for word in words:
        assert word in err
    assert not (pasar_home / "warehouse" / "manifest.json").exists()


@pytest.mark.parametrize("folder", ["plain", "x[/b]"])
def test_cli_error_names_a_file_with_brackets_in_its_path(
    pasar_home: Path, capsys: pytest.CaptureFixture[str], folder: str
) -> None:
    # Rich markup once ate "[draft]" from the message and raised on "[/b]"
    path = write(pasar_home.parent / folder, "export [draft].csv", b"order_id,seller_id\no1,S1\n")
    code = main(["ingest", str(path), "--table", "orders"])
    assert code == 2
    assert str(path) in capsys.readouterr().err


def test_cli_refused_rows_exit_0_and_land_in_the_rejects(
    pasar_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(pasar_home.parent / "in", "orders.csv", csv_bytes(line(1), line(2, gmv="abc")))
    assert main(["ingest", str(path)]) == 0
    assert "1 of 2 rows refused" in capsys.readouterr().out
    rejects = list((pasar_home / "rejects").glob("*.csv"))
    assert len(rejects) == 1 and "not an amount" in rejects[0].read_text()


def test_reject_rate_above_the_limit_stores_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, "orders.csv", csv_bytes(line(1), line(2, status="lost")))
    home = tmp_path / "home"
    with pytest.raises(RejectRateExceededError) as caught:
        run(home, path, max_reject_rate=0.1)
    assert isinstance(caught.value, InputError)
    assert not (home / "warehouse" / "manifest.json").exists()
    assert caught.value.report.rejects_files  # the reasons are still written


# -- row-level problems: the row is refused at its number, the others are stored ----------------


def test_header_only_files_store_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.split(","))
    book.save(tmp_path / "orders_c.xlsx")
    paths = [
        write(tmp_path, "orders_a.csv", csv_bytes()),
        write(tmp_path, "orders_b.csv", b"\xef\xbb\xbf" + csv_bytes(newline="\r\n")),
        tmp_path / "orders_c.xlsx",
    ]
    report = run(home, *paths)
    assert (report.rows_read, report.rejected_rows) == (0, 0)
    for path in paths:
        assert stored(home, path) == {}


def test_extra_columns_are_ignored(tmp_path: Path) -> None:
    header = "notes," + HEADER + ",,Order ID Lama,status_2"
    path = write(tmp_path, "orders.csv", csv_bytes("x," + line(1) + ",,o-old,lost", header=header))
    home = tmp_path / "home"
    report = run(home, path)
    assert report.rejected_rows == 0
    assert stored(home, path)[2]["order_id"] == "o1"


@pytest.mark.parametrize("blank_line", [False, True], ids=["duckdb", "python"])
def test_unterminated_quote_refuses_its_record_and_keeps_the_rows_before(
    tmp_path: Path, blank_line: bool
) -> None:
    # everything after an unterminated quote belongs to that quoted field: one refused record
    rows = [line(1), *([""] if blank_line else []), line(2, cancel_reason='"no end'), line(3)]
    path = write(tmp_path, "orders.csv", csv_bytes(*rows))
    home = tmp_path / "home"
    report = run(home, path)
    bad_row = 4 if blank_line else 3
    assert list(stored(home, path)) == [2]
    assert list(refused(report, path)) == [bad_row]
    [(field, check, reason, _)] = refused(report, path)[bad_row]
    assert (field, check) == (None, "record") and reason
    assert (report.rows_read, report.rejected_rows) == (2, 1)


@pytest.mark.parametrize("blank_line", [False, True], ids=["duckdb", "python"])
def test_misplaced_quote_refuses_only_its_record(tmp_path: Path, blank_line: bool) -> None:
    rows = [*([""] if blank_line else []), line(1, cancel_reason='"abc"x'), line(2), line(3)]
    path = write(tmp_path, "orders.csv", csv_bytes(*rows))
    home = tmp_path / "home"
    report = run(home, path)
    first = 3 if blank_line else 2
    assert sorted(stored(home, path)) == [first + 1, first + 2]
    assert list(refused(report, path)) == [first]


@pytest.mark.parametrize("blank_line", [False, True], ids=["duckdb", "python"])
def test_huge_fields_refuse_their_row_only(tmp_path: Path, blank_line: bool) -> None:
    five_mb, nine_mb = "y" * 5_000_000, "z" * 9_000_000
    rows = [
        line(1),
        *([""] if blank_line else []),
        line(2, cancel_reason=five_mb),
        line(3),
        line(4, cancel_reason=nine_mb),
        line(5),
    ]
    path = write(tmp_path, "orders.csv", csv_bytes(*rows))
    home = tmp_path / "home"
    report = run(home, path)
    shift = 1 if blank_line else 0
    assert sorted(stored(home, path)) == [2, 4 + shift, 6 + shift]
    rejects = refused(report, path)
    assert sorted(rejects) == [3 + shift, 5 + shift]
    [(field, check, reason, _)] = rejects[3 + shift]
    assert (field, check, reason) == ("cancel_reason", "range", "longer than 4096 characters")
    # over 8 MiB: refused as a record, or (when the reader takes it) as too long a value
    assert [c for _, c, _, _ in rejects[5 + shift]] in (["record"], ["range"])


def test_bom_and_crlf_leave_no_trace_in_names_or_values(tmp_path: Path) -> None:
    rows = [line(1, cancel_reason="akhir baris"), line(2)]
    path = write(tmp_path, "orders.csv", b"\xef\xbb\xbf" + csv_bytes(*rows, newline="\r\n"))
    home = tmp_path / "home"
    report = run(home, path)
    assert report.rejected_rows == 0
    got = stored(home, path)
    assert got[2]["order_id"] == "o1" and got[2]["cancel_reason"] == "akhir baris"
    assert got[3]["cancel_reason"] is None


@pytest.mark.parametrize("blank_line", [False, True], ids=["duckdb", "python"])
def test_cr_only_line_ends_are_read(tmp_path: Path, blank_line: bool) -> None:
    # Excel for Mac's "CSV (Macintosh)" ends lines with CR alone
    rows = [line(1), *([""] if blank_line else []), line(2)]
    path = write(tmp_path, "orders.csv", csv_bytes(*rows, newline="\r"))
    home = tmp_path / "home"
    run(home, path)
    second = 4 if blank_line else 3
    assert {r: v["order_id"] for r, v in stored(home, path).items()} == {2: "o1", second: "o2"}


def test_latin1_text_is_read_wherever_it_is_in_the_file(tmp_path: Path) -> None:
    # the first megabyte is plain ASCII: the accented letters come after it
    filler = [line(n, cancel_reason="x" * 100) for n in range(3, 10_003)]
    rows = [line(2), *filler, line(1, cancel_reason="Café Ñusantara")]
    rows.append(line(99_999, cancel_reason="pembeli pindah ke Yogyakarta; ongkir naïf"))
    path = write(tmp_path, "orders.csv", "\n".join([HEADER, *rows, ""]).encode("latin-1"))
    home = tmp_path / "home"
    report = run(home, path)
    assert report.rejected_rows == 0
    got = {v["order_id"]: v["cancel_reason"] for v in stored(home, path).values()}
    assert got["o1"] == "Café Ñusantara"
    assert got["o99999"] == "pembeli pindah ke Yogyakarta; ongkir naïf"


@pytest.mark.parametrize("blank_line", [False, True], ids=["duckdb", "python"])
def test_bytes_invalid_in_utf8_refuse_only_their_row(tmp_path: Path, blank_line: bool) -> None:
    # a UTF-8 file (its good rows hold more multi-byte letters than it has broken bytes)
    rows = [line(1, cancel_reason="ok 日本語 ñé"), *([""] if blank_line else []), line(2), line(3)]
    data = csv_bytes(*rows).replace(b"b2,", b"b\xff\xfe2,")
    path = write(tmp_path, "orders.csv", data)
    home = tmp_path / "home"
    report = run(home, path)
    bad = 4 if blank_line else 3
    assert sorted(stored(home, path)) == [2, bad + 1]
    assert stored(home, path)[2]["cancel_reason"] == "ok 日本語 ñé"
    assert [c for _, c, _, _ in refused(report, path)[bad]] == ["record"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_text_export_is_read(tmp_path: Path, encoding: str) -> None:
    # Excel's "Unicode Text": UTF-16 with a byte order mark, tab-delimited, CRLF
    rows = [line(1, cancel_reason="emoji 🙂 日本"), line(2)]
    text = csv_bytes(*rows, newline="\r\n").decode().replace(",", "\t")
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    path = write(tmp_path, "orders.txt", data)
    home = tmp_path / "home"
    report = run(home, path)
    assert report.rejected_rows == 0
    got = stored(home, path)
    assert sorted(got) == [2, 3] and got[2]["cancel_reason"] == "emoji 🙂 日本"


def test_other_delimiters_with_both_money_styles(tmp_path: Path) -> None:
    paths = []
    for k, (sep, name) in enumerate(((";", "a.csv"), ("\t", "b.tsv"), ("|", "c.txt"))):
        rows = [
            line(10 * k + 1, sep, gmv="Rp 1.234.567,50"),
            line(10 * k + 2, sep, gmv="1,234,567.50"),
            line(10 * k + 3, sep, gmv="12,5", cancel_reason='"a, b; c|d\te"'),
        ]
        header = HEADER.replace(",", sep)
        paths.append(write(tmp_path, "orders_" + name, csv_bytes(*rows, header=header)))
    home = tmp_path / "home"
    assert run(home, *paths).rejected_rows == 0
    for path in paths:
        got = stored(home, path)
        assert {r: v["gmv"] for r, v in got.items()} == {
            2: Decimal("1234567.50"),
            3: Decimal("1234567.50"),
            4: Decimal("12.50"),
        }
        assert got[4]["cancel_reason"] == "a, b; c|d\te"


def test_duplicate_keys_identical_keep_one_and_conflicting_refuse_all(tmp_path: Path) -> None:
    rows = [
        line(1),
        line(1, gmv="Rp 1.500", created_at="02/01/2024 10:00"),  # the same order, other styles
        line(2),
        line(2, gmv="1501"),
        line(3),
    ]
    path = write(tmp_path, "orders.csv", csv_bytes(*rows))
    home = tmp_path / "home"
    report = run(home, path)
    assert sorted(stored(home, path)) == [2, 6]
    rejects = refused(report, path)
    assert sorted(rejects) == [3, 4, 5]
    assert rejects[3][0][2] == "exact duplicate of row 2 (that row was kept)"
    assert rejects[4][0][2] == "order_id o2 appears on rows 4, 5 with different values"


def test_time_order_violation_names_both_columns_as_the_file_does(tmp_path: Path) -> None:
    header = HEADER.replace("created_at", "Created At").replace("shipped_at", "SHIPPED AT")
    rows = [line(1), line(2, shipped_at="2024-01-01 09:00:00")]
    path = write(tmp_path, "orders.csv", csv_bytes(*rows, header=header))
    home = tmp_path / "home"
    run_report = run(home, path, table="orders")
    assert list(stored(home, path)) == [2]
    [(field, check, reason, column)] = refused(run_report, path)[3]
    assert (field, check, column) == ("shipped_at", "time order", "SHIPPED AT")
    assert reason == (
        "SHIPPED AT (2024-01-01 09:00:00) is earlier than Created At (2024-01-02 10:00:00)"
    )


def test_delivered_before_created_is_refused_even_without_shipped(tmp_path: Path) -> None:
    # the contract's time order once had no created -> delivered pair
    header = "order_id,seller_id,buyer_id,created_at,status,gmv,delivered_at"
    row = "o1,S1,b1,2024-01-02 10:00:00,delivered,5,2023-12-01 10:00:00"
    path = write(tmp_path, "orders.csv", csv_bytes(row, header=header))
    report = run(tmp_path / "home", path)
    assert report.rejected_rows == 1


TIMES: list[tuple[str, dt.datetime | None]] = [
    ("2024-01-02 10:00:00 PM", None),  # was read as 10:00, twelve hours off
    ("2024-01-02 10:00:00 WIB", None),  # a zone name is refused, not ignored
    ("2024-01-02 10:00:00 garbage", None),
    ("2024-01-02 10:00:00 UTC", dt.datetime(2024, 1, 2, 10, tzinfo=dt.UTC)),  # was 7 h off
    ("2024-01-02", dt.datetime(2024, 1, 2, tzinfo=WIB)),  # midnight WIB, not UTC
    ("2024-01-02T10:00:00.5+07:00", dt.datetime(2024, 1, 2, 10, 0, 0, 500_000, tzinfo=WIB)),
    ("31/12/2023 23:59", dt.datetime(2023, 12, 31, 23, 59, tzinfo=WIB)),
]


def test_times_are_read_exactly_or_refused(tmp_path: Path) -> None:
    rows = [line(n, created_at=text, shipped_at="") for n, (text, _) in enumerate(TIMES)]
    path = write(tmp_path, "orders.csv", csv_bytes(*rows))
    home = tmp_path / "home"
    report = run(home, path)
    got, rejects = stored(home, path), refused(report, path)
    for row, (text, expected) in enumerate(TIMES, start=2):
        if expected is None:
            assert [(f, c) for f, c, _, _ in rejects[row]] == [("created_at", "format")], text
        else:
            assert got[row]["created_at"] == expected, text


# -- workbooks -----------------------------------------------------------------------------------


def workbook(*rows: list[Any], merge: str | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


XLSX_HEADER = ["order_id", "seller_id", "buyer_id", "created_at", "status", "gmv", "paid_at"]


def xlsx_row(n: int, gmv: Any = 1500, paid_at: Any = None, status: Any = "delivered") -> list[Any]:
    return [f"o{n}", "S1", f"b{n}", dt.datetime(2024, 1, 2, 10), status, gmv, paid_at]


def test_xlsx_formulas_with_cached_values_are_read(tmp_path: Path) -> None:
    data = workbook(
        XLSX_HEADER,
        xlsx_row(1, gmv="=1000+234.5"),
        xlsx_row(2, status='=LOWER("DELIVERED")', paid_at='=TEXT(D3+1,"yyyy-mm-dd hh:mm")'),
    )
    data = with_cached_values(data, {"F2": 1234.5, "E3": "delivered", "G3": "2024-01-03 10:00"})
    path = write(tmp_path, "orders.xlsx", data)
    home = tmp_path / "home"
    report = run(home, path)
    assert report.rejected_rows == 0
    got = stored(home, path)
    assert got[2]["gmv"] == Decimal("1234.50")
    assert got[3]["status"] == "delivered"
    assert got[3]["paid_at"] == dt.datetime(2024, 1, 3, 10, tzinfo=WIB)


def test_xlsx_formulas_without_cached_values_refuse_their_rows(tmp_path: Path) -> None:
    # openpyxl cannot calculate: the cells read as empty; the optional paid_at would be stored
    # as NULL without a word if the reader did not look at the sheet XML
    data = workbook(
        XLSX_HEADER,
        xlsx_row(1, gmv="=1000+234.5"),
        xlsx_row(2, paid_at="=D3+1"),
        xlsx_row(3),
        [None, None, None, None, None, "=F4*2"],  # a formula filled down into padding
    )
    path = write(tmp_path, "orders.xlsx", data)
    home = tmp_path / "home"
    report = run(home, path)
    assert list(stored(home, path)) == [4]
    rejects = refused(report, path)
    assert sorted(rejects) == [2, 3]
    assert "cell F2 holds a formula saved without its result" in rejects[2][0][2]
    assert "cell G3" in rejects[3][0][2]
    assert (report.rows_read, report.rejected_rows) == (3, 2)


def test_xlsx_error_cells_refuse_their_rows(tmp_path: Path) -> None:
    data = workbook(XLSX_HEADER, xlsx_row(1, paid_at="=1/0"), xlsx_row(2))
    data = with_cached_values(data, {"G2": "#DIV/0!"}, errors=frozenset({"G2"}))
    path = write(tmp_path, "orders.xlsx", data)
    home = tmp_path / "home"
    report = run(home, path)
    assert list(stored(home, path)) == [3]
    assert refused(report, path)[2][0][2] == "cell G2 holds the error #DIV/0!"


def test_xlsx_merged_header_cells(tmp_path: Path) -> None:
    # status merged over two columns: the second is column_6 and ignored
    header = [*XLSX_HEADER[:4], "status", None, "gmv"]
    rows = [[*r[:5], "catatan", r[5]] for r in (xlsx_row(1), xlsx_row(2))]
    path = write(tmp_path, "orders.xlsx", workbook(header, *rows, merge="E1:F1"))
    home = tmp_path / "home"
    report = run(home, path)
    assert report.rejected_rows == 0 and sorted(stored(home, path)) == [2, 3]
    # a merged title row above the header is taken as the header: a structural error
    titled = write(
        tmp_path, "orders_titled.xlsx", workbook(["Laporan Pesanan"], XLSX_HEADER, merge="A1:G1")
    )
    with pytest.raises(InputError) as caught:
        run(home, titled)
    assert caught.value.file == str(titled) and caught.value.column == "order_id"


def test_xlsx_number_cells_among_text_keep_their_value(tmp_path: Path) -> None:
    # a column of numbers and text is read as text: 12.345 must not become 12345 (1.234 in
    # Indonesian style), nor 0.00001 become "1e-05"
    rows = [xlsx_row(1, gmv=12.345), xlsx_row(2, gmv="Rp 5.000"), xlsx_row(3, gmv=1e-05)]
    rows.append(xlsx_row(4, gmv=123456789.5))
    path = write(tmp_path, "orders.xlsx", workbook(XLSX_HEADER, *rows))
    home = tmp_path / "home"
    assert run(home, path).rejected_rows == 0
    got = {r: v["gmv"] for r, v in stored(home, path).items()}
    assert got == {
        2: Decimal("12.35"),
        3: Decimal("5000.00"),
        4: Decimal("0.00"),
        5: Decimal("123456789.50"),
    }


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet"])
def test_typed_column_named_in_other_case_is_read(tmp_path: Path, suffix: str) -> None:
    # "GMV" holding numbers: the column kinds were once looked up by the contract's spelling
    path = tmp_path / ("orders" + suffix)
    if suffix == ".xlsx":
        path.write_bytes(workbook([*XLSX_HEADER[:5], "GMV"], xlsx_row(1)[:6]))
    else:
        columns = {c: [v] for c, v in zip(XLSX_HEADER[:5], xlsx_row(1), strict=False)}
        pq.write_table(pa.table({**columns, "GMV": [1500.0]}), path)
    home = tmp_path / "home"
    run(home, path)
    assert stored(home, path)[2 if suffix == ".xlsx" else 1]["gmv"] == Decimal("1500.00")


def test_parquet_with_wrong_types_refuses_rows_not_the_file(tmp_path: Path) -> None:
    table = pa.table(
        {
            "order_id": ["o1", "o2", "o3"],
            "seller_id": ["S1", "S1", "S1"],
            "buyer_id": [1, 2, 3],  # numbers where text is expected: read as text
            "created_at": [20240102, 20240102, 20240102],  # numbers are not times
            "status": ["delivered", "lost", "delivered"],
            "gmv": ["1.500", "2", "abc"],
        }
    )
    path = tmp_path / "orders.parquet"
    pq.write_table(table, path)
    home = tmp_path / "home"
    report = run(home, path)
    assert stored(home, path) == {}
    rejects = refused(report, path)
    assert sorted(rejects) == [1, 2, 3]  # a Parquet file has no header row
    assert ("created_at", "format") in {(f, c) for f, c, _, _ in rejects[1]}
    assert ("status", "allowed values") in {(f, c) for f, c, _, _ in rejects[2]}
    assert ("gmv", "format") in {(f, c) for f, c, _, _ in rejects[3]}
    assert Warehouse(Settings(home=home).warehouse_dir).manifest().batches
