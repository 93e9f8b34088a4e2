"""Checking one hostile policy or catalog text: refused at its file and line with a reason, or
compiled to SQL whose every piece is on the documented whitelist and run without side effects.

The whitelist here is written from the documentation (``docs/policies.md`` "when",
``docs/metrics.md`` "Expressions"), not taken from the code under test. Compiled SQL runs on a
DuckDB connection holding a sentinel table: after the run the table must still hold its row,
and no file may have appeared in the case's folder or the working directory.

Example:
    >>> sorted(FUNCTIONS)[:3]
    ['abs', 'ceil', 'coalesce']
"""

from __future__ import annotations

import datetime as dt
import json
import os
import traceback
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlglot import exp

from pasar.kit.errors import PasarError
from pasar.kit.issues import IssuesError
from pasar.metrics.catalog import Catalog, load_catalog
from pasar.metrics.compiler import Compiler
from pasar.policy.evaluate import evaluate
from pasar.policy.packs import load_library, snapshot_columns
from pasar.warehouse.contract import CONTRACT
from pasar.warehouse.store import Warehouse
from tests.policy.test_hostile_policies import seller_snapshot
from tests.reliability.corpus_texts import PACK_HEAD, POLICY, Text

# documented functions a condition or expression may call (SQLGlot's names for them)
FUNCTIONS = {
    "abs", "ceil", "coalesce", "floor", "greatest", "if", "least", "length", "lower", "nullif",
    "round", "upper",
}  # fmt: skip
AGGREGATES = {"count", "sum", "avg", "min", "max"}  # join columns only
HELPERS = {
    "local_date", "iso_weekday", "local_hour", "days_between", "hours_between",
    "minutes_between", "seconds_between",
}  # fmt: skip
CAST_TYPES = {"DOUBLE", "FLOAT", "BIGINT", "INT", "DECIMAL", "VARCHAR", "TEXT", "BOOLEAN", "DATE"}
NODES = (
    exp.Column, exp.Identifier, exp.Literal, exp.Null, exp.Boolean, exp.Paren, exp.Neg, exp.Not,
    exp.And, exp.Or, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is, exp.In,
    exp.Between, exp.Like, exp.ILike, exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.Case,
    exp.If, exp.DataType, exp.DataTypeParam, exp.Cast, exp.Star, exp.Distinct,
)  # fmt: skip
SENTINEL = "CREATE TABLE sentinel AS SELECT 42 AS answer"
DAY = dt.date(2026, 3, 1)
MAX_MESSAGE = 2_000  # one issue line: a reason, not a dump of the input


def outside_whitelist(tree: exp.Expr, columns: set[str], aggregates: bool = False) -> list[str]:
    """What in ``tree`` is not on the documented whitelist (empty when all of it is)."""
    found = []
    allowed = FUNCTIONS | HELPERS | (AGGREGATES if aggregates else set())
    for node in tree.walk():
        if isinstance(node, NODES):
            pass
        elif isinstance(node, exp.Func):
            if function_name(node) not in allowed:
                found.append(f"function {function_name(node)}()")
        else:
            found.append(type(node).__name__)
        if isinstance(node, exp.Column) and (node.table or node.name not in columns):
            found.append(f"column {node.sql()}")
        if isinstance(node, exp.Cast) and node.to.this.name not in CAST_TYPES:
            found.append(f"cast to {node.to.sql()}")
        if isinstance(node, exp.Star) and not aggregates:
            found.append("*")
    return found


def _written(text: str | bytes, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


def pack_file(text: Text, folder: Path) -> tuple[Path, int]:
    """Write ``text`` as a pack file; (its path, the line a refusal must name; 0: any line)."""
    path = folder / "hostile.yml"
    if text.where == "pack":
        _written(text.body, path)
        return path, 0
    body = str(text.body)
    policy = POLICY.replace("orders_7d > 1", json.dumps(body)) if text.where == "when" else POLICY
    if text.where == "amount":
        policy = policy.replace(
            "{kind: gate}", "{kind: reward, form: cash, amount: " + json.dumps(body) + "}"
        )
    content = PACK_HEAD + "policies:\n" + policy
    _written(content, path)
    key = "when:" if text.where == "when" else "outcome:"
    line = next(n for n, line in enumerate(content.splitlines(), 1) if line.strip().startswith(key))
    return path, line


def _sentinel_intact(con: duckdb.DuckDBPyConnection) -> list[str]:
    try:
        rows = con.execute("SELECT answer FROM sentinel").fetchall()
    except duckdb.Error as exc:
        return [f"the sentinel table is gone: {exc}"]
    return [] if rows == [(42,)] else [f"the sentinel table changed: {rows}"]


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _refusal(error: IssuesError, path: Path, line: int, binary: bool) -> list[str]:
    """An ``IssuesError`` must name this file (at ``line``) with a readable reason; a file
    that is not text, or has no line but comments, may be refused as a whole (line 0)."""
    problems = []
    blank = not binary and not [
        n for n in path.read_text(encoding="utf-8").splitlines() if n.strip()[:1] not in ("", "#")
    ]
    text = str(error)
    if "Traceback" in text:
        problems.append("a traceback in the message")
    mine = [i for i in error.issues if i.file == str(path)]
    if not mine:
        problems.append(f"no issue names {path.name}: {text[:300]}")
    for issue in mine:
        if len(issue.message) > MAX_MESSAGE:
            problems.append(f"an issue of {len(issue.message):,} characters")
        if not issue.message.strip():
            problems.append("an issue without a reason")
        if issue.line == 0 and not binary and not blank:
            problems.append(f"no line: {issue}")
    if line and not any(i.line == line for i in mine):
        problems.append(f"no issue at line {line}: {[str(i)[:200] for i in mine]}")
    if [*text.splitlines()[1:]] != [str(i) for i in error.issues]:
        problems.append("the message is not one issue per line")
    return problems


def sentinel_connection() -> duckdb.DuckDBPyConnection:
    """A DuckDB connection holding the sentinel table (one per test: cases share it)."""
    con = duckdb.connect()
    con.execute(SENTINEL)
    return con


def check_pack_text(
    text: Text,
    folder: Path,
    catalog: Catalog,
    expect: str | None,
    con: duckdb.DuckDBPyConnection,
) -> list[str]:
    """Load ``text`` as a pack (``expect``: "refused", "compiled" or None for either) and run
    what compiles on ``con``, a :func:`sentinel_connection`."""
    path, line = pack_file(text, folder)
    before = _files(folder)
    problems: list[str] = []
    try:
        library = load_library(catalog, [folder])
    except IssuesError as exc:
        problems += _refusal(exc, path, line, isinstance(text.body, bytes))
        if expect == "compiled":
            problems.append(f"refused, but it is harmless: {exc}")
    except Exception as exc:
        return [_unexpected(exc)]
    else:
        if expect == "refused":
            problems.append("it loaded, but it is hostile")
        problems += _run_policies(library.compiled.get(str(path), []), con, catalog)
    problems += _sentinel_intact(con)
    appeared = _files(folder) - before
    if appeared:
        problems.append(f"files appeared: {sorted(appeared)}")
    return problems


def _run_policies(
    compiled: list[Any], con: duckdb.DuckDBPyConnection, catalog: Catalog
) -> list[str]:
    problems = []
    columns = set(snapshot_columns(catalog, "seller"))
    for policy in compiled:
        for tree in (policy.when, policy.amount):
            if tree is not None:
                problems += [f"compiled with {p}" for p in outside_whitelist(tree, columns)]
    if not compiled or problems:
        return problems
    snapshot = _full_snapshot(catalog)
    try:
        evaluate(con, compiled, snapshot, DAY, "seller_id")
    except PasarError as exc:  # a clear refusal at run time is fine
        if "Traceback" in str(exc):
            problems.append(f"a traceback in the message: {exc}")
    except Exception as exc:
        problems.append(_unexpected(exc))
    return problems


def _full_snapshot(catalog: Catalog) -> pa.Table:
    """The policy tests' seller snapshot with every other column of the entity (as NULLs)."""
    table = seller_snapshot()
    for name in snapshot_columns(catalog, "seller"):
        if name not in table.column_names:
            table = table.append_column(name, pa.nulls(table.num_rows, pa.float64()))
    return table


def _unexpected(exc: BaseException) -> str:
    where = traceback.format_exception(exc)[-2].strip().splitlines()[0]
    return f"unexpected {type(exc).__name__}: {str(exc)[:300]} ({where})"


def check_catalog_text(text: Text, folder: Path, vocabulary: set[str]) -> list[str]:
    """Load ``text`` as a user catalog file; compile and run what it defines if it loads."""
    path = folder / "extra.yml"
    _written(text.body, path)
    before = _files(folder)
    problems: list[str] = []
    try:
        catalog = load_catalog(extra=[folder])
    except IssuesError as exc:
        problems += _refusal(exc, path, 0, isinstance(text.body, bytes))
    except Exception as exc:
        return [_unexpected(exc)]
    else:
        problems += _compile_and_run(catalog, path, folder, vocabulary)
    appeared = _files(folder) - before
    if appeared:
        problems.append(f"files appeared: {sorted(appeared)}")
    return problems


def _compile_and_run(catalog: Catalog, path: Path, folder: Path, vocabulary: set[str]) -> list[str]:
    problems = []
    mine = [m for m in catalog.metrics.values() if m.origin and m.origin.file == str(path)]
    compiler = Compiler(catalog, "duckdb", "Asia/Jakarta")
    con = Warehouse(folder / "warehouse").connect(sentinel_connection())
    try:
        for metric in mine:
            queries = [compiler.snapshot(metric.entities[0], DAY, [metric.name])]
            dataset = catalog.datasets.get(metric.dataset or "")
            if dataset is not None and dataset.dimensions:
                by = [dataset.dimensions[0].name]
                queries.append(compiler.query([metric.name], by, as_of=DAY))
            for query in queries:
                problems += [f"{metric.name}: {p}" for p in compiled_outside(query, vocabulary)]
                try:
                    con.execute(query.sql("duckdb")).fetchall()
                except duckdb.Error as exc:
                    problems.append(f"{metric.name}: the compiled SQL fails: {exc}")
        problems += _sentinel_intact(con)
    except PasarError as exc:
        if "Traceback" in str(exc):
            problems.append(f"a traceback in the message: {exc}")
    except Exception as exc:
        problems.append(_unexpected(exc))
    finally:
        con.close()
    return problems


def compiled_outside(query: exp.Expr, vocabulary: set[str]) -> list[str]:
    """Functions of compiled SQL that neither the compiler uses for the shipped catalog nor
    the whitelist allows, statements other than SELECT, and tables that are not contract tables
    or the query's own names."""
    found = []
    names = {str(t.alias_or_name) for t in query.find_all(exp.CTE, exp.Subquery)}
    for node in query.walk():
        if isinstance(node, exp.Func):
            name = function_name(node)
            if name not in vocabulary | FUNCTIONS | HELPERS | AGGREGATES:
                found.append(f"function {name}()")
        if isinstance(node, exp.Command | exp.Copy | exp.Attach | exp.Pragma | exp.Insert):
            found.append(type(node).__name__)
        if isinstance(node, exp.Table) and node.name not in set(CONTRACT) | names:
            found.append(f"table {node.sql()}")
    return found


def function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    return node.sql_name().lower()


def compiler_vocabulary() -> set[str]:
    """Every function the compiler writes for the shipped catalog's snapshots and queries."""
    catalog = load_catalog()
    compiler = Compiler(catalog, "duckdb", "Asia/Jakarta")
    found: set[str] = set()
    for entity in catalog.entities:
        if catalog.snapshot_metrics(entity):
            for node in compiler.snapshot(entity, DAY).walk():
                if isinstance(node, exp.Func):
                    found.add(function_name(node))
    return found


def environment_is_clean() -> list[str]:
    """No file named ``pwned`` anywhere a hostile text tried to create one."""
    return [p for p in ("pwned", "/tmp/pwned") if os.path.exists(p)]
