"""User-written expressions: a hostile corpus refused with a clear message, helpers per dialect.

``parse_expression`` is the only gate between catalog YAML (or ``--where``) and the SQL an
engine runs, so anything that is not a plain scalar expression over known columns must come
back as an ``ExpressionError`` naming the problem — never another exception, never a tree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from pasar.metrics import expressions
from pasar.metrics.dialects import dialect_for
from pasar.metrics.expressions import (
    HELPERS,
    MAX_LENGTH,
    ExpressionError,
    columns_of,
    parse_expression,
    render,
)
from tests.sqlglot_logging import quiet_sqlglot as quiet_sqlglot  # the autouse fixture

COLUMNS = {"gmv", "status", "created_at", "shipped_at", "quantity", "unit_price"}
ZONE = "Asia/Jakarta"
JAKARTA = dt.timezone(dt.timedelta(hours=7))


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    # the helpers must not depend on the session zone: use one that is neither UTC nor Jakarta
    connection.execute("SET TimeZone = 'America/New_York'")
    yield connection
    connection.close()


def refused(text: str, *, aggregates: bool = False) -> str:
    """The message of the ``ExpressionError`` that ``text`` raises."""
    with pytest.raises(ExpressionError) as info:
        parse_expression(text, COLUMNS, aggregates=aggregates, what="filter")
    return str(info.value)


# -- the hostile corpus ------------------------------------------------------------------------

HOSTILE = [
    # subqueries, however they are written
    ("gmv > (SELECT 1)", "filter may not use a subquery"),
    ("(SELECT gmv FROM orders)", "filter may not use a subquery"),
    ("SELECT 1", "filter may not use a subquery"),
    ("WITH a AS (SELECT 1) SELECT * FROM a", "filter may not use a subquery"),
    ("status IN (SELECT status FROM orders)", "filter may not use a subquery"),
    ("status IN (SELECT 'a' UNION SELECT 'b')", "filter may not use a subquery"),
    ("status IN UNNEST(['a'])", "filter may not use a subquery"),
    ("EXISTS (SELECT 1 FROM orders)", "filter may not use function exists()"),
    ("gmv > ALL (SELECT gmv FROM orders)", "filter may not use All"),
    ("gmv = ANY (SELECT gmv FROM orders)", "filter may not use Any"),
    # second statements, with and without comments hiding them
    ("gmv > 1; DROP TABLE orders", "filter must be one expression, found 2 statements"),
    ("; DROP TABLE x", "filter may not use Drop"),
    ("gmv > 1 /* */; DELETE FROM orders", "filter must be one expression, found 2 statements"),
    ("gmv > 1 /* ; */ ; DELETE FROM orders", "filter must be one expression, found 2 statements"),
    ("-- x\n; ATTACH 'x'", "filter must be one expression, found 2 statements"),
    ("gmv > 1 -- x\n; ATTACH 'evil.db'", "filter must be one expression, found 2 statements"),
    ("gmv > 1;\nCOPY orders TO 'out.csv'", "filter must be one expression, found 2 statements"),
    ("gmv > 1; SELECT * FROM read_csv('/etc/passwd')", "found 2 statements"),
    # statements on their own
    ("COPY orders TO 'out.csv'", "filter may not use Copy"),
    ("ATTACH 'evil.db'", "filter may not use Attach"),
    ("ATTACH 'evil.db' AS e; SELECT 1", "found 2 statements"),
    ("DETACH e", "filter may not use"),
    ("PRAGMA version", "filter may not use Pragma"),
    ("PRAGMA enable_profiling", "filter may not use Pragma"),
    ("INSTALL httpfs", "filter may not use Install"),
    ("LOAD httpfs", "filter may not use Command"),
    ("SET threads = 1", "filter may not use Set"),
    ("USE other", "filter may not use Use"),
    ("DROP TABLE orders", "filter may not use Drop"),
    ("DELETE FROM orders", "filter may not use Delete"),
    ("INSERT INTO orders VALUES (1)", "filter may not use Insert"),
    ("UPDATE orders SET gmv = 0", "filter may not use Update"),
    ("CREATE TABLE x AS SELECT 1", "filter may not use Create"),
    ("DESCRIBE orders", "filter may not use Describe"),
    ("PIVOT orders ON status", "filter may not use Pivot"),
    ("VALUES (1)", "filter may not use Values"),
    ("CALL pragma_version()", "filter may not use"),
    ("EXPORT DATABASE 'dir'", "filter is not a valid SQL expression"),
    # table functions and other functions outside the list
    ("read_csv('/etc/passwd') IS NOT NULL", "filter may not use function read_csv()"),
    ("read_csv_auto('x.csv') IS NULL", "filter may not use function read_csv_auto()"),
    ("read_parquet('s3://bucket/x.parquet') IS NULL", "filter may not use function read_parquet()"),
    ("read_json('x.json') IS NULL", "filter may not use function read_json()"),
    ("glob('/home/*') IS NULL", "filter may not use function glob()"),
    ("random() > 0.5", "filter may not use function rand()"),
    ("getenv('HOME') = 'x'", "filter may not use function getenv()"),
    ("current_setting('threads') = 1", "filter may not use function current_setting()"),
    ("sum(gmv) OVER () > 1", "filter may not use Window"),
    ("gmv ** 2 > 1", "filter may not use function power()"),
    ("status REGEXP 'a'", "filter may not use function regexp_like()"),
    ("[1, 2] IS NULL", "filter may not use function array()"),
    ("{'a': 1} IS NULL", "filter may not use function struct()"),
    ("gmv -> '$.a' IS NULL", "filter may not use function json_extract()"),
    ("COLUMNS('.*') > 1", "filter may not use function columns()"),
    # qualified columns, unknown columns, placeholders, odd types
    ("t.gmv > 1", "filter: write column 'gmv' without a table name"),
    ("main.orders.gmv > 1", "filter: write column 'gmv' without a table name"),
    ('"orders"."gmv" > 1', "filter: write column 'gmv' without a table name"),
    ("gmvv > 1", "filter: unknown column 'gmvv' (did you mean gmv?)"),
    ("GMV > 1", "filter: unknown column 'GMV'"),
    ("password IS NULL", "filter: unknown column 'password'"),
    ("gmv > $1", "filter may not use Placeholder"),
    ("gmv > ?", "filter may not use Placeholder"),
    ("CAST(gmv AS BLOB) IS NULL", "filter may not cast to"),
    ("gmv::INTERVAL IS NULL", "filter may not cast to INTERVAL"),
    ("created_at + INTERVAL 1 DAY > shipped_at", "filter may not use Interval"),
    ("created_at AT TIME ZONE 'UTC' > shipped_at", "filter may not use AtTimeZone"),
    ("'a' || status = 'ab'", "filter may not use DPipe"),
    # not SQL at all
    ("gmv >", "filter is not a valid SQL expression"),
    ("1 1", "filter is not a valid SQL expression"),
    ("`gmv` > 1", "filter is not a valid SQL expression"),
    ("'unterminated", "filter is not a valid SQL expression"),
    ("SHOW ALL", "filter is not a valid SQL expression"),  # the parser itself fails on it
    ("show all", "filter is not a valid SQL expression"),
    ("SHOW TABLES", "filter may not use Show"),
    ("-- DROP TABLE orders", "filter must be one expression, found 0 statements"),
    ("/* ; DROP TABLE orders */", "filter must be one expression, found 0 statements"),
    ("", "filter is empty"),
    ("   \n\t ", "filter is empty"),
]


@pytest.mark.parametrize(("text", "expected"), HOSTILE, ids=[repr(t[:40]) for t, _ in HOSTILE])
@pytest.mark.parametrize("aggregates", [False, True], ids=["scalar", "aggregates"])
def test_hostile_expression_is_refused(text: str, expected: str, aggregates: bool) -> None:
    message = refused(text, aggregates=aggregates)
    assert expected in message
    assert message.startswith("filter")  # says what was refused
    assert "Traceback" not in message


def test_helper_names_are_suggested_for_unknown_functions() -> None:
    message = refused("local_dat(created_at) > '2026-01-01'")
    assert message.startswith("filter may not use function local_dat() (did you mean local_date?)")
    assert f"the helpers are {', '.join(sorted(HELPERS))}" in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("iso_weekday(created_at, 1) = 1", "filter: iso_weekday() takes 1 argument"),
        ("iso_weekday() = 1", "filter: iso_weekday() takes 1 argument"),
        ("hours_between(created_at) > 1", "filter: hours_between() takes 2 arguments"),
        ("days_between(created_at, shipped_at, gmv) > 1", "days_between() takes 2 arguments"),
    ],
)
def test_helpers_check_their_arguments(text: str, expected: str) -> None:
    assert expected in refused(text)


def test_qualified_column_inside_a_helper_is_refused() -> None:
    assert "without a table name" in refused("hours_between(o.created_at, shipped_at) > 1")


def test_aggregations_only_where_allowed() -> None:
    assert "may not use function sum()" in refused("sum(gmv)")
    tree = parse_expression("sum(gmv) + count(*)", COLUMNS, aggregates=True)
    assert tree.find(exp.Sum) is not None
    assert "may not nest aggregations" in refused("sum(count(gmv))", aggregates=True)
    assert "may not use a subquery" in refused("max((SELECT 1))", aggregates=True)


def test_comments_are_dropped_from_the_tree() -> None:
    tree = parse_expression("gmv /* DROP TABLE orders */ > 1 -- ; DELETE", COLUMNS)
    for dialect in ("duckdb", "spark"):
        sql = tree.sql(dialect)
        assert sql == "gmv > 1"
        assert "DROP" not in sql and "--" not in sql and "/*" not in sql


def test_string_literals_stay_literals() -> None:
    tree = parse_expression("status = '; DROP TABLE orders; --'", COLUMNS)
    assert isinstance(tree, exp.EQ)
    assert columns_of(tree) == {"status"}
    assert tree.sql("duckdb") == "status = '; DROP TABLE orders; --'"


# -- size and depth ----------------------------------------------------------------------------


def test_length_limit() -> None:
    padded = "gmv" + " " * (MAX_LENGTH - 3)
    assert len(padded) == MAX_LENGTH
    assert parse_expression(padded, COLUMNS).sql() == "gmv"
    assert refused(padded + " ") == f"filter is longer than {MAX_LENGTH} characters"
    assert MAX_LENGTH == 4000
    long = "gmv + " * 700 + "1"
    assert len(long) > 4000
    assert refused(long) == "filter is longer than 4000 characters"


@pytest.mark.parametrize(
    "text",
    [
        "(" * 500 + "gmv" + ")" * 500,
        "(" * 1000 + "gmv > 1" + ")" * 1000,
        "gmv > 1" + " AND gmv > 1" * 200,
        "gmv > 1" + " OR NOT gmv > 1" * 200,
        "(" * 200 + "gmv > 1" + " AND gmv > 1)" * 200,
        "CASE WHEN gmv > 1 THEN " * 140 + "1" + " END" * 140,
        "- " * 1000 + "gmv",  # "--" would start a comment
        "NOT " * 900 + "gmv > 1",
        "coalesce(" * 300 + "gmv" + ")" * 300,
        "iso_weekday(" * 250 + "created_at" + ")" * 250,
    ],
    ids=[
        "500 parentheses",
        "1000 parentheses",
        "200 ANDs",
        "200 OR NOTs",
        "200 nested ANDs",
        "140 nested CASEs",
        "1000 minus signs",
        "900 NOTs",
        "300 coalesce",
        "250 helpers",
    ],
)
def test_deep_input_is_refused_without_recursion_error(text: str) -> None:
    assert len(text) <= MAX_LENGTH
    message = refused(text)
    assert "nested" in message or "not a valid SQL expression" in message


@pytest.mark.parametrize(
    "text",
    [
        "(" * 5000 + "gmv" + ")" * 5000,
        "CASE WHEN gmv > 1 THEN " * 200 + "1" + " END" * 200,
        "gmv > 1" + " AND gmv > 1" * 2000,
        "gmv" + " + gmv" * 5000,
        "NOT " * 5000 + "gmv > 1",
    ],
    ids=["5000 parentheses", "200 nested CASEs", "2000 ANDs", "5000 additions", "5000 NOTs"],
)
def test_depth_is_checked_beyond_the_length_limit(
    monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    """With the length limit lifted, depth alone must stop these (and no RecursionError)."""
    monkeypatch.setattr(expressions, "MAX_LENGTH", 10**7)
    assert "nested" in refused(text)


def test_nesting_just_under_the_limit_is_accepted() -> None:
    text = "gmv > 1" + " AND gmv > 1" * 30
    assert parse_expression(text, COLUMNS).sql("duckdb") == text


# -- helpers per dialect -----------------------------------------------------------------------


def rendered(text: str, dialect: str, zone: str = ZONE) -> str:
    tree = parse_expression(text, {"a", "b"})
    return render(tree, dialect_for(dialect, zone)).sql(dialect)


def evaluate(con: duckdb.DuckDBPyConnection, sql: str, **instants: dt.datetime) -> object:
    """``sql`` evaluated by DuckDB with the columns ``instants`` as TIMESTAMPTZ values."""
    columns = ", ".join(
        f"CAST('{moment.astimezone(dt.UTC).isoformat()}' AS TIMESTAMPTZ) AS {name}"
        for name, moment in instants.items()
    )
    row = con.execute(f"SELECT {sql} FROM (SELECT {columns})").fetchone()
    assert row is not None
    return row[0]


def jakarta(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=JAKARTA)


def test_iso_weekday_duckdb_uses_isodow() -> None:
    assert rendered("iso_weekday(a)", "duckdb") == (
        "(ISODOW(MAKE_TIMESTAMP(EPOCH_US(a) + 25200000000)))"
    )
    # a zone with daylight saving goes through the zone database instead of an offset
    assert rendered("iso_weekday(a)", "duckdb", "Europe/Amsterdam") == (
        "(ISODOW(TIMEZONE('Europe/Amsterdam', a)))"
    )


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (jakarta(2026, 11, 2, 0, 30), 1),  # Monday in Jakarta, still Sunday in UTC
        (jakarta(2026, 11, 1, 23, 59, 59), 7),  # Sunday, last second
        (jakarta(2026, 11, 2, 0, 0, 0), 1),  # Monday, first second
        (jakarta(2026, 11, 3, 12, 0), 2),
        (jakarta(2026, 11, 4, 12, 0), 3),
        (jakarta(2026, 11, 5, 12, 0), 4),
        (jakarta(2026, 11, 6, 12, 0), 5),
        (jakarta(2026, 11, 7, 6, 59), 6),  # Saturday 06:59 Jakarta is Friday 23:59 UTC
        (jakarta(2026, 11, 8, 12, 0), 7),
        (jakarta(2024, 2, 29, 3, 0), 4),  # a leap day, Thursday
    ],
)
def test_iso_weekday_duckdb_on_known_dates(
    con: duckdb.DuckDBPyConnection, moment: dt.datetime, expected: int
) -> None:
    assert moment.isoweekday() == expected
    assert evaluate(con, rendered("iso_weekday(a)", "duckdb"), a=moment) == expected


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        (dt.datetime(2026, 10, 25, 22, 30, tzinfo=dt.UTC), 7),  # 23:30 CET, Sunday
        (dt.datetime(2026, 10, 25, 23, 30, tzinfo=dt.UTC), 1),  # 00:30 CET, Monday
        (dt.datetime(2026, 3, 29, 21, 59, tzinfo=dt.UTC), 7),  # 23:59 CEST, Sunday
        (dt.datetime(2026, 3, 29, 22, 1, tzinfo=dt.UTC), 1),  # 00:01 CEST, Monday
    ],
)
def test_iso_weekday_duckdb_in_a_zone_with_daylight_saving(
    con: duckdb.DuckDBPyConnection, utc: dt.datetime, expected: int
) -> None:
    assert evaluate(con, rendered("iso_weekday(a)", "duckdb", "Europe/Amsterdam"), a=utc) == (
        expected
    )


def test_iso_weekday_spark_maps_sunday_first_numbering_to_iso(
    con: duckdb.DuckDBPyConnection,
) -> None:
    sql = rendered("iso_weekday(a)", "spark")
    assert sql == "((DAYOFWEEK(FROM_UTC_TIMESTAMP(a, 'Asia/Jakarta')) + 5) % 7 + 1)"
    assert "ISODOW" not in sql.upper()
    # Spark's DAYOFWEEK is 1 = Sunday … 7 = Saturday; the arithmetic around it must give ISO
    tree = render(parse_expression("iso_weekday(a)", {"a"}), dialect_for("spark", ZONE))
    for spark_day, iso_day in zip(range(1, 8), (7, 1, 2, 3, 4, 5, 6), strict=True):
        mapped = tree.transform(
            lambda node, day=spark_day: (
                exp.Literal.number(day)
                if isinstance(node, exp.Anonymous) and str(node.this).lower() == "dayofweek"
                else node
            )
        )
        assert con.execute(f"SELECT {mapped.sql('duckdb')}").fetchone() == (iso_day,)


def test_days_between_counts_local_calendar_days(con: duckdb.DuckDBPyConnection) -> None:
    sql = rendered("days_between(a, b)", "duckdb")
    assert sql.startswith("(DATE_DIFF('day', ")
    # two minutes apart across local midnight: one day, though both are 1 November in UTC
    assert evaluate(con, sql, a=jakarta(2026, 11, 1, 23, 59), b=jakarta(2026, 11, 2, 0, 1)) == 1
    # the same local day, though the UTC dates differ
    assert evaluate(con, sql, a=jakarta(2026, 11, 2, 6, 0), b=jakarta(2026, 11, 2, 8, 0)) == 0
    assert evaluate(con, sql, a=jakarta(2026, 11, 2, 8, 0), b=jakarta(2026, 10, 2, 8, 0)) == -31
    assert evaluate(con, sql, a=jakarta(2026, 2, 27, 12), b=jakarta(2026, 3, 1, 1)) == 2


def test_days_between_spark_text() -> None:
    assert rendered("days_between(a, b)", "spark") == (
        "(DATEDIFF(TO_DATE(FROM_UTC_TIMESTAMP(b, 'Asia/Jakarta')), "
        "TO_DATE(FROM_UTC_TIMESTAMP(a, 'Asia/Jakarta'))))"
    )


def test_hours_between_is_elapsed_time(con: duckdb.DuckDBPyConnection) -> None:
    sql = rendered("hours_between(a, b)", "duckdb")
    assert sql == "((CAST((EPOCH_US(b) - EPOCH_US(a)) AS DOUBLE) / 1000000) / 3600)"
    start = jakarta(2026, 11, 1, 23, 15)
    assert evaluate(con, sql, a=start, b=start + dt.timedelta(minutes=90)) == 1.5
    assert evaluate(con, sql, a=start, b=start - dt.timedelta(hours=2)) == -2.0
    assert evaluate(con, sql, a=start, b=start + dt.timedelta(microseconds=36)) == pytest.approx(
        1e-8
    )
    # elapsed time across a daylight-saving change is the real elapsed time
    before = dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC)
    assert evaluate(con, sql, a=before, b=before + dt.timedelta(hours=3)) == 3.0


def test_hours_and_minutes_between_spark_text() -> None:
    assert rendered("hours_between(a, b)", "spark") == (
        "((CAST((UNIX_MICROS(b) - UNIX_MICROS(a)) AS DOUBLE) / 1000000) / 3600)"
    )
    assert rendered("minutes_between(a, b)", "spark") == (
        "((CAST((UNIX_MICROS(b) - UNIX_MICROS(a)) AS DOUBLE) / 1000000) / 60)"
    )


def test_local_date_and_hour(con: duckdb.DuckDBPyConnection) -> None:
    moment = jakarta(2026, 11, 2, 0, 30)
    assert evaluate(con, rendered("local_date(a)", "duckdb"), a=moment) == dt.date(2026, 11, 2)
    assert evaluate(con, rendered("local_hour(a)", "duckdb"), a=moment) == 0
    assert rendered("local_date(a)", "spark") == "(TO_DATE(FROM_UTC_TIMESTAMP(a, 'Asia/Jakarta')))"


def test_helpers_inside_a_filter_render_for_both_dialects(con: duckdb.DuckDBPyConnection) -> None:
    text = "iso_weekday(a) >= 6 AND hours_between(a, b) <= 12"
    sql = rendered(text, "duckdb")
    saturday = jakarta(2026, 11, 7, 1, 0)
    assert evaluate(con, sql, a=saturday, b=saturday + dt.timedelta(hours=12)) is True
    assert evaluate(con, sql, a=saturday, b=saturday + dt.timedelta(hours=13)) is False
    spark = rendered(text, "spark")
    assert "DAYOFWEEK" in spark and "UNIX_MICROS" in spark and "ISO_WEEKDAY" not in spark


# -- fuzzing -----------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    return text.split()


# SQL-looking pieces
TOKENS = [
    *sorted(COLUMNS),
    *words("( ) , + - * / % = < > ; [ ] { } : ' \" ` ? $ @ ! ~ ^ | & #"),
    *words("<> <= >= != || :: -> ->> := => -- /* */"),
    "\n",
    *words(
        "SELECT FROM WHERE AND OR NOT IS NULL IN BETWEEN LIKE ILIKE CASE WHEN THEN ELSE END "
        "CAST AS TRY_CAST DOUBLE INT DATE VARCHAR BLOB INTERVAL DAY TRUE FALSE DISTINCT ALL ANY "
        "EXISTS UNION WITH VALUES OVER PARTITION BY ORDER FILTER GROUP HAVING JOIN ON USING "
        "ATTACH DETACH COPY TO PRAGMA INSTALL LOAD SET USE SHOW DESCRIBE SUMMARIZE PIVOT DROP "
        "TABLE DELETE INSERT INTO UPDATE CREATE CALL EXPORT AT TIME ZONE COLLATE LAMBDA MAP STRUCT"
    ),
    *words(
        "sum count avg min max coalesce nullif round abs lower upper length greatest least if "
        "iso_weekday local_date local_hour days_between hours_between minutes_between "
        "read_csv read_parquet glob random getenv unnest"
    ),
    "'a'",
    "'x''y'",
    "1",
    "2.5",
    "-0",
    "1e400",
    "0x1f",
    "$$a$$",
    "x'00'",
    "t.gmv",
]


def _parses_or_refuses(text: str, aggregates: bool) -> None:
    try:
        tree = parse_expression(text, COLUMNS, aggregates=aggregates)
    except ExpressionError as exc:
        assert str(exc)
    else:
        assert isinstance(tree, exp.Expr)
        assert columns_of(tree) <= COLUMNS
        assert not list(tree.find_all(exp.Query, exp.Subquery, exp.Table))


FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@FUZZ
@given(text=st.text(max_size=200), aggregates=st.booleans())
def test_random_text_parses_or_is_refused(text: str, aggregates: bool) -> None:
    _parses_or_refuses(text, aggregates)


@FUZZ
@given(
    tokens=st.lists(st.sampled_from(TOKENS), max_size=30),
    separator=st.sampled_from([" ", "", "\n"]),
    aggregates=st.booleans(),
)
def test_random_sql_pieces_parse_or_are_refused(
    tokens: list[str], separator: str, aggregates: bool
) -> None:
    _parses_or_refuses(separator.join(tokens), aggregates)


NUMBERS = st.recursive(
    st.sampled_from(["gmv", "quantity", "unit_price", "1", "2.5", "0", "NULL"]),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        st.tuples(inner, inner).map(lambda t: f"coalesce({t[0]}, {t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"nullif({t[0]}, {t[1]})"),
        inner.map(lambda t: f"abs({t})"),
        inner.map(lambda t: f"round({t}, 2)"),
        inner.map(lambda t: f"-({t})"),
    ),
    max_leaves=6,
)
CONDITIONS = st.recursive(
    st.tuples(NUMBERS, st.sampled_from(["=", "<>", "<", "<=", ">", ">="]), NUMBERS).map(" ".join)
    | NUMBERS.map(lambda n: f"{n} IS NULL")
    | st.just("status IN ('delivered', 'cancelled')"),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["AND", "OR"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        inner.map(lambda t: f"NOT ({t})"),
    ),
    max_leaves=4,
)


@FUZZ
@given(condition=CONDITIONS, value=NUMBERS)
def test_generated_valid_expressions_are_accepted_and_run(
    con: duckdb.DuckDBPyConnection, condition: str, value: str
) -> None:
    text = f"CASE WHEN {condition} THEN {value} ELSE 0 END"
    try:
        tree = parse_expression(text, COLUMNS)
    except ExpressionError as exc:  # only the depth limit may refuse what the grammar builds
        assert f"nested more than {expressions.MAX_DEPTH} levels" in str(exc)
        return
    assert columns_of(tree) <= COLUMNS
    sql = render(tree, dialect_for("duckdb", ZONE)).sql("duckdb")
    row = con.execute(
        f"SELECT {sql} FROM (SELECT 12000.5::DOUBLE AS gmv, 3::DOUBLE AS quantity, "
        "4000.0::DOUBLE AS unit_price, 'delivered' AS status)"
    ).fetchone()
    assert row is not None
    assert render(tree, dialect_for("spark", ZONE)).sql("spark")
