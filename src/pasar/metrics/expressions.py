"""User-written SQL expressions (metric values, filters, dimensions), checked before use.

An expression is parsed with SQLGlot into exactly one expression, and every node of its tree
must be on a short list: columns the caller knows, literals, arithmetic, comparisons, boolean
logic, ``CASE``, a few scalar functions, and Pasar's portable helpers. Anything else — a
subquery, a second statement, a table function, an unknown column — is refused with a message
saying what and why. The checked tree is then rendered per engine by :func:`render`.

Example:
    >>> columns = {"created_at", "shipped_at"}
    >>> tree = parse_expression("hours_between(created_at, shipped_at) > 48", columns)
    >>> render(tree, dialect_for("duckdb", "Asia/Jakarta")).sql("duckdb")
    '(CAST((EPOCH_US(shipped_at) - EPOCH_US(created_at)) AS DOUBLE) / 1000000) / 3600 > 48'
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from pasar.kit.issues import did_you_mean
from pasar.metrics.dialects import Dialect

MAX_LENGTH = 4000
MAX_DEPTH = 100


class ExpressionError(ValueError):
    """An expression that cannot be used, with the reason."""


# helper name → (number of arguments, how a dialect writes it)
HelperWriter = Callable[[Dialect, list[exp.Expr]], exp.Expr]


def _between(unit_seconds: int) -> HelperWriter:
    def write(d: Dialect, args: list[exp.Expr]) -> exp.Expr:
        seconds = d.seconds_between(args[0], args[1])
        if unit_seconds == 1:
            return seconds
        return exp.Div(this=exp.Paren(this=seconds), expression=exp.Literal.number(unit_seconds))

    return write


HELPERS: dict[str, tuple[int, HelperWriter, str]] = {
    "local_date": (1, lambda d, a: d.local_date(a[0]), "the local calendar date of a time"),
    "iso_weekday": (
        1,
        lambda d, a: d.day_of_week(a[0]),
        "local ISO day of week, 1 = Monday … 7 = Sunday",
    ),
    "local_hour": (1, lambda d, a: d.hour_of_day(a[0]), "local hour 0–23"),
    "days_between": (2, lambda d, a: d.days_between(a[0], a[1]), "local calendar days from a to b"),
    "hours_between": (2, _between(3600), "elapsed hours from a to b (fractional)"),
    "minutes_between": (2, _between(60), "elapsed minutes from a to b (fractional)"),
    "seconds_between": (2, _between(1), "elapsed seconds from a to b"),
}

# the nodes whose value is TRUE, FALSE or NULL (what a filter or a policy's ``when`` is)
CONDITION_NODES: tuple[type[exp.Expr], ...] = (
    exp.And,
    exp.Or,
    exp.Not,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.Is,
    exp.In,
    exp.Between,
    exp.Like,
    exp.ILike,
    exp.Boolean,
)
_SCALAR_NODES: tuple[type[exp.Expr], ...] = (
    *CONDITION_NODES,
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Null,
    exp.Paren,
    exp.Neg,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Mod,
    exp.Case,
    exp.If,
    exp.Coalesce,
    exp.Nullif,
    exp.Abs,
    exp.Round,
    exp.Floor,
    exp.Ceil,
    exp.Lower,
    exp.Upper,
    exp.Length,
    exp.Greatest,
    exp.Least,
    exp.Cast,
    exp.DataType,
    exp.DataTypeParam,
    exp.Anonymous,
)
_AGGREGATE_NODES: tuple[type[exp.Expr], ...] = (
    exp.Count,
    exp.Sum,
    exp.Avg,
    exp.Min,
    exp.Max,
    exp.Distinct,
    exp.Star,
)
_AGGREGATES = (exp.Count, exp.Sum, exp.Avg, exp.Min, exp.Max)
_CAST_TYPES = {
    exp.DataType.Type.DOUBLE,
    exp.DataType.Type.FLOAT,
    exp.DataType.Type.BIGINT,
    exp.DataType.Type.INT,
    exp.DataType.Type.DECIMAL,
    exp.DataType.Type.VARCHAR,
    exp.DataType.Type.TEXT,
    exp.DataType.Type.BOOLEAN,
    exp.DataType.Type.DATE,
}


def parse_expression(
    text: str, columns: Collection[str], *, aggregates: bool = False, what: str = "expression"
) -> exp.Expr:
    """The checked tree of ``text``, or :class:`ExpressionError` saying what is not allowed.

    ``columns`` are the names it may use; ``aggregates`` allows count/sum/avg/min/max (join
    columns); ``what`` names it in messages ("filter", "expr" …).
    """
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(f"{what} is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"{what} is longer than {MAX_LENGTH} characters")
    try:
        statements = [s for s in sqlglot.parse(text, read="duckdb") if s is not None]
    except (ParseError, TokenError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ExpressionError(f"{what} is not a valid SQL expression: {first}") from exc
    except RecursionError as exc:
        raise ExpressionError(f"{what} is nested too deeply") from exc
    except (IndexError, KeyError, ValueError, TypeError, AttributeError) as exc:
        # the parser's own failure on statements it only half knows (e.g. "SHOW ALL")
        raise ExpressionError(f"{what} is not a valid SQL expression") from exc
    if len(statements) != 1:
        raise ExpressionError(f"{what} must be one expression, found {len(statements)} statements")
    tree = statements[0]
    _check(tree, set(columns), aggregates, what)
    return _without_comments(tree)


def _check(tree: exp.Expr, columns: set[str], aggregates: bool, what: str) -> None:
    allowed = _SCALAR_NODES + (_AGGREGATE_NODES if aggregates else ())
    for node in tree.walk():
        if _depth(node) > MAX_DEPTH:
            raise ExpressionError(f"{what} is nested more than {MAX_DEPTH} levels deep")
        if not isinstance(node, allowed):
            raise ExpressionError(f"{what} may not use {_describe(node)}")
        if isinstance(node, exp.Anonymous):
            _check_helper(node, what)
        elif isinstance(node, exp.Column):
            if node.table or node.args.get("db") or node.args.get("catalog"):
                raise ExpressionError(f"{what}: write column {node.name!r} without a table name")
            if node.name not in columns:
                hint = did_you_mean(node.name, columns)
                raise ExpressionError(f"{what}: unknown column {node.name!r}{hint}")
        elif isinstance(node, exp.Cast) and node.to.this not in _CAST_TYPES:
            raise ExpressionError(f"{what} may not cast to {node.to.sql()}")
        elif isinstance(node, exp.In) and (node.args.get("query") or node.args.get("unnest")):
            raise ExpressionError(f"{what} may not use a subquery")
        elif isinstance(node, _AGGREGATES) and any(
            inner is not node and isinstance(inner, _AGGREGATES) for inner in node.walk()
        ):
            raise ExpressionError(f"{what} may not nest aggregations")


def _check_helper(node: exp.Anonymous, what: str) -> None:
    name = str(node.this).lower()
    if name not in HELPERS:
        raise ExpressionError(
            f"{what} may not use function {name}(){did_you_mean(name, HELPERS)}; "
            f"the helpers are {', '.join(sorted(HELPERS))}"
        )
    arity = HELPERS[name][0]
    if len(node.expressions) != arity:
        raise ExpressionError(f"{what}: {name}() takes {arity} argument{'s' * (arity > 1)}")


def _depth(node: exp.Expr) -> int:
    depth = 0
    parent = node.parent
    while parent is not None:
        depth += 1
        parent = parent.parent
    return depth


def _describe(node: exp.Expr) -> str:
    if isinstance(node, exp.Func):
        return f"function {node.sql_name().lower()}()"
    if isinstance(node, exp.Query | exp.Subquery):
        return "a subquery"
    return f"{type(node).__name__} ({node.sql()[:40]})"


def _without_comments(tree: exp.Expr) -> exp.Expr:
    tree = tree.copy()
    for node in tree.walk():
        node.comments = None
    return tree


def columns_of(tree: exp.Expr) -> set[str]:
    """The column names an expression reads."""
    return {c.name for c in tree.find_all(exp.Column)}


def render(
    tree: exp.Expr,
    dialect: Dialect,
    columns: Mapping[str, exp.Expr] | None = None,
) -> exp.Expr:
    """The tree for ``dialect``: helpers written out, columns replaced from ``columns``."""

    def rewrite(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Anonymous) and str(node.this).lower() in HELPERS:
            _, write, _ = HELPERS[str(node.this).lower()]
            return exp.Paren(this=write(dialect, [rewrite(a) for a in node.expressions]))
        if isinstance(node, exp.Column) and columns is not None and node.name in columns:
            return columns[node.name].copy()
        return node

    return tree.copy().transform(rewrite)
