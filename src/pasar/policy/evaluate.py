"""Evaluating policies over a snapshot: one SQL statement for a whole pack, every finding with
its values and its explanation in both languages.

The statement reads the snapshot once (a materialised CTE) and has one branch per policy:
``WHERE <when>`` keeps the subjects it fires on, a cooldown excludes those it already fired on
recently, and the select renders the outcome, the values used (as JSON) and the explanation.
A predicate that is NULL (a metric below its minimum volume) does not fire.

Example (the findings of a pack as of a day, reading the stored seller snapshot)::

    findings = evaluate(con, policies, snapshot_file, as_of=dt.date(2026, 10, 1))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
import pyarrow as pa
from sqlglot import exp

from pasar.kit.errors import ValidationError
from pasar.policy.packs import CompiledPolicy
from pasar.policy.template import render_sql

FINDINGS_SCHEMA = pa.schema(
    [
        ("as_of", pa.date32()),
        ("pack", pa.string()),
        ("pack_version", pa.int64()),
        ("policy_id", pa.string()),
        ("policy_version", pa.int64()),
        ("entity", pa.string()),
        ("subject", pa.string()),
        ("kind", pa.string()),
        ("severity", pa.string()),
        ("category", pa.string()),
        ("points", pa.int64()),
        ("points_max", pa.int64()),
        ("action", pa.string()),
        ("action_days", pa.int64()),
        ("action_value", pa.float64()),
        ("reward", pa.float64()),
        ("reward_form", pa.string()),
        ("explanation_en", pa.string()),
        ("explanation_id", pa.string()),
        ("values", pa.string()),
    ]
)
HISTORY_SCHEMA = pa.schema(
    [("policy_id", pa.string()), ("subject", pa.string()), ("as_of", pa.date32())]
)


def evaluate(
    con: duckdb.DuckDBPyConnection,
    policies: Sequence[CompiledPolicy],
    snapshot: str | pa.Table,
    as_of: dt.date,
    key: str,
    history: pa.Table | None = None,
    currency: str = "IDR",
) -> pa.Table:
    """The findings of ``policies`` (all of one entity, whose snapshot key column is ``key``)
    over ``snapshot`` (a Parquet path or an Arrow table) as of ``as_of``.

    ``history`` holds earlier findings (``policy_id``, ``subject``, ``as_of``); a policy with a
    cooldown does not fire for a subject it fired on fewer than ``cooldown`` days before.
    """
    if not policies:
        return FINDINGS_SCHEMA.empty_table()
    entities = {c.entity for c in policies}
    if len(entities) != 1:
        raise ValidationError(f"evaluate one entity at a time, got {', '.join(sorted(entities))}")
    source, params = _source(con, snapshot)
    # from_batches: an empty_table() would import pandas (0.2 s) on a fresh process
    past = history if history is not None else pa.Table.from_batches([], HISTORY_SCHEMA)
    con.register("__policy_history", past.select(["policy_id", "subject", "as_of"]))
    try:
        _check_types(con, policies, source, params)
        statement = _statement(tuple(policies), key, currency, source)
        table = con.sql(statement, params={**params, "as_of": as_of}).to_arrow_table()
    finally:
        con.unregister("__policy_history")
        if isinstance(snapshot, pa.Table):
            con.unregister("__policy_snapshot")
    return table.cast(FINDINGS_SCHEMA)


def evaluate_conditions(
    con: duckdb.DuckDBPyConnection,
    snapshot: str | pa.Table,
    trees: dict[str, exp.Expr],
) -> pa.Table:
    """Each tree's value (TRUE, FALSE or NULL) for every row of ``snapshot``, one column per
    name: what ``explain`` shows and what tests compare with an independent evaluation."""
    source, params = _source(con, snapshot)
    try:
        select = exp.select(*(tree.copy().as_(name, quoted=True) for name, tree in trees.items()))
        query = select.from_(source.subquery("s")).sql("duckdb")
        return con.sql(query, params=params or None).to_arrow_table()
    finally:
        if isinstance(snapshot, pa.Table):
            con.unregister("__policy_snapshot")


_STATEMENTS: dict[tuple[object, ...], tuple[tuple[CompiledPolicy, ...], str]] = {}
_STATEMENTS_KEPT = 64


def _statement(
    policies: tuple[CompiledPolicy, ...], key: str, currency: str, source: exp.Select
) -> str:
    """The pack's one SQL statement, with the day (``$as_of``) and the snapshot file
    (``$snapshot``) as parameters: built once for a set of policies, then reused every day
    (a backtest evaluates the same policies day after day)."""
    cache_key = (tuple(id(c) for c in policies), key, currency, source.sql("duckdb"))
    found = _STATEMENTS.get(cache_key)
    if found is not None and all(a is b for a, b in zip(found[0], policies, strict=True)):
        return found[1]
    branches = [_branch(c, key, currency) for c in policies]
    # in one call and without copies: sqlglot copies both sides of each pairwise union
    union: exp.Query = (
        exp.union(*branches, distinct=False, copy=False) if len(branches) > 1 else branches[0]
    )
    text = union.with_("__snapshot", as_=source, materialized=True, copy=False).sql("duckdb")
    if len(_STATEMENTS) >= _STATEMENTS_KEPT:
        _STATEMENTS.pop(next(iter(_STATEMENTS)))
    _STATEMENTS[cache_key] = (policies, text)  # the policies kept alive: their ids stay theirs
    return text


def _source(
    con: duckdb.DuckDBPyConnection, snapshot: str | pa.Table
) -> tuple[exp.Select, dict[str, object]]:
    """What a statement reads the snapshot from, and the parameters that say which."""
    if isinstance(snapshot, pa.Table):
        con.register("__policy_snapshot", snapshot)
        return exp.select("*").from_("__policy_snapshot"), {}
    reader = exp.Anonymous(this="read_parquet", expressions=[exp.Placeholder(this="snapshot")])
    return exp.select("*").from_(exp.Table(this=reader)), {"snapshot": snapshot}


def _check_types(
    con: duckdb.DuckDBPyConnection,
    policies: Sequence[CompiledPolicy],
    source: exp.Select,
    params: dict[str, object],
) -> None:
    """Every ``when`` is a boolean and every amount a number over this snapshot's columns;
    otherwise a message naming the policy (nothing is evaluated). One probe for the pack; the
    policies one by one only to name the one that fails."""
    try:
        _probe(con, policies, source, params)
    except duckdb.Error:
        for compiled in policies:
            try:
                _probe(con, [compiled], source, params)
            except duckdb.Error as exc:
                first = str(exc).splitlines()[0]
                raise ValidationError(
                    f"policy {compiled.policy.id}: cannot be evaluated on the "
                    f"{compiled.entity} snapshot: {first}",
                    field="when",
                ) from exc
        raise


def _probe(
    con: duckdb.DuckDBPyConnection,
    policies: Sequence[CompiledPolicy],
    source: exp.Select,
    params: dict[str, object],
) -> None:
    columns = []
    for i, compiled in enumerate(policies):
        columns.append(compiled.when.copy().as_(f"w{i}"))
        if compiled.amount is not None:
            columns.append(compiled.amount.copy().as_(f"a{i}"))
    # one row, run: a literal that cannot be converted (orders_7d > 'abc') fails here
    probe = exp.select(*columns).from_(source.subquery("s")).limit(1)
    relation = con.sql(probe.sql("duckdb"), params=params or None)
    types = dict(zip(relation.columns, [str(t) for t in relation.types], strict=True))
    relation.fetchall()
    for i, compiled in enumerate(policies):
        if types[f"w{i}"] != "BOOLEAN":
            raise ValidationError(
                f"policy {compiled.policy.id}: when is {types[f'w{i}']}, not a condition",
                field="when",
            )
        if f"a{i}" in types and not _numeric(types[f"a{i}"]):
            raise ValidationError(
                f"policy {compiled.policy.id}: amount is {types[f'a{i}']}, not a number",
                field="amount",
            )


def _numeric(type_name: str) -> bool:
    return type_name.startswith(("DECIMAL", "DOUBLE", "FLOAT", "BIGINT", "INTEGER", "HUGEINT"))


def _branch(compiled: CompiledPolicy, key: str, currency: str) -> exp.Select:
    pack, policy, outcome = compiled.pack, compiled.policy, compiled.policy.outcome

    def text(value: str | None) -> exp.Expr:
        return exp.Literal.string(value) if value is not None else exp.null()

    def number(value: float | None, kind: str) -> exp.Expr:
        literal = exp.Literal.number(value) if value is not None else exp.null()
        return exp.cast(literal, exp.DataType.build(kind))

    values = exp.Anonymous(
        this="to_json",
        expressions=[
            exp.Anonymous(
                this="struct_pack",
                expressions=[
                    exp.PropertyEQ(
                        this=exp.to_identifier(name, quoted=True),
                        expression=exp.column(name, quoted=True),
                    )
                    for name in compiled.used
                ],
            )
        ],
    )
    amount = (
        exp.cast(exp.Paren(this=compiled.amount.copy()), exp.DataType.build("DOUBLE"))
        if compiled.amount is not None
        else number(None, "DOUBLE")
    )
    day = exp.cast(exp.Placeholder(this="as_of"), exp.DataType.build("DATE"))
    subject = exp.cast(exp.column(key, quoted=True), exp.DataType.build("VARCHAR"))
    condition: exp.Expr = exp.Paren(this=compiled.when.copy())
    if policy.cooldown_days:
        since = exp.Sub(this=day.copy(), expression=exp.Literal.number(policy.cooldown_days))
        recent = (
            exp.select("1")
            .from_("__policy_history")
            .where(
                exp.and_(
                    exp.column("policy_id", "h").eq(exp.Literal.string(policy.id)),
                    exp.column("subject", "h").eq(subject.copy()),
                    exp.GT(this=exp.column("as_of", "h"), expression=since),
                    exp.LT(this=exp.column("as_of", "h"), expression=day.copy()),
                )
            )
        )
        recent.args["from_"].this.set("alias", exp.TableAlias(this=exp.to_identifier("h")))
        condition = exp.and_(condition, exp.Not(this=exp.Exists(this=recent)))
    return (
        exp.select(
            day.as_("as_of"),
            text(pack.pack).as_("pack"),
            number(pack.version, "BIGINT").as_("pack_version"),
            text(policy.id).as_("policy_id"),
            number(policy.version, "BIGINT").as_("policy_version"),
            text(compiled.entity).as_("entity"),
            subject.as_("subject"),
            text(outcome.kind).as_("kind"),
            text(policy.severity).as_("severity"),
            text(policy.category).as_("category"),
            number(outcome.points, "BIGINT").as_("points"),
            number(outcome.points_max, "BIGINT").as_("points_max"),
            text(outcome.action).as_("action"),
            number(outcome.days, "BIGINT").as_("action_days"),
            number(outcome.value, "DOUBLE").as_("action_value"),
            amount.as_("reward"),
            text(outcome.form).as_("reward_form"),
            render_sql(compiled.explain["en"], "en", currency).as_("explanation_en"),
            render_sql(compiled.explain["id"], "id", currency).as_("explanation_id"),
            values.as_("values", quoted=True),
        )
        .from_("__snapshot")
        .where(condition)
    )
