"""Policy predicates and amounts: user SQL checked against a whitelist before it is ever run.

A ``when`` is parsed with SQLGlot into exactly one expression whose every node is on the
whitelist of :mod:`pasar.metrics.expressions` (columns of the snapshot, literals, arithmetic,
comparisons, boolean logic, CASE and a few scalar functions). It must also be a condition —
a comparison or a combination of them — so ``when: orders_7d`` is refused rather than read
as "orders_7d is not zero". Subqueries, second statements, comments hiding statements, table
functions, COPY/ATTACH/PRAGMA/INSTALL and unknown columns are all refused with a message.

Example:
    >>> tree = parse_when("orders_7d >= 10 AND late_dispatch_rate_7d >= 0.1",
    ...                   {"orders_7d", "late_dispatch_rate_7d"})
    >>> tree.sql("duckdb")
    'orders_7d >= 10 AND late_dispatch_rate_7d >= 0.1'
    >>> parse_when("orders_7d >= 10; DROP TABLE x", {"orders_7d"})
    Traceback (most recent call last):
    ...
    pasar.metrics.expressions.ExpressionError: when must be one expression, found 2 statements
"""

from __future__ import annotations

from collections.abc import Collection

from sqlglot import exp

from pasar.metrics.expressions import CONDITION_NODES, ExpressionError, parse_expression

_CONDITIONS = CONDITION_NODES


def parse_when(text: str, columns: Collection[str]) -> exp.Expr:
    """The checked condition tree of a policy's ``when``, or :class:`ExpressionError`."""
    tree = parse_expression(text, columns, what="when")
    _require_condition(tree)
    return tree


def _require_condition(node: exp.Expr) -> None:
    """``node`` and every operand of its AND/OR/NOT are conditions, never bare values (which
    engines would read as "is not zero")."""
    root = node.unnest() if isinstance(node, exp.Paren) else node
    if not isinstance(root, _CONDITIONS):
        raise ExpressionError(
            f"when must be a condition such as `orders_7d >= 10`, not a value "
            f"({root.sql('duckdb')[:60]})"
        )
    if isinstance(root, exp.And | exp.Or):
        _require_condition(root.this)
        _require_condition(root.expression)
    elif isinstance(root, exp.Not):
        _require_condition(root.this)


def parse_amount(text: str, columns: Collection[str]) -> exp.Expr:
    """The checked tree of a reward amount: a number or arithmetic over snapshot columns."""
    tree = parse_expression(text, columns, what="amount")
    root = tree.unnest() if isinstance(tree, exp.Paren) else tree
    if isinstance(root, _CONDITIONS) or (isinstance(root, exp.Literal) and root.is_string):
        raise ExpressionError(f"amount must be a number, not {root.sql('duckdb')[:60]}")
    return tree


def conditions(tree: exp.Expr) -> list[exp.Expr]:
    """The comparisons of a predicate, in reading order (what ``explain`` shows one by one).

    Example:
        >>> [c.sql() for c in conditions(parse_when("a > 1 AND (b < 2 OR a IS NULL)", "ab"))]
        ['a > 1', 'b < 2', 'a IS NULL']
    """
    found: list[exp.Expr] = []

    def visit(node: exp.Expr) -> None:
        if isinstance(node, exp.Paren):
            visit(node.this)
        elif isinstance(node, exp.And | exp.Or):
            visit(node.this)
            visit(node.expression)
        elif isinstance(node, exp.Not) and isinstance(node.this, exp.And | exp.Or | exp.Paren):
            visit(node.this)
        else:
            found.append(node)

    visit(tree)
    return found
