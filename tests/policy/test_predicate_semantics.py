"""What a checked predicate means: DuckDB's answer for every row equals an independent one.

Random snapshots and random well-formed predicates (written as text from a small grammar of
this file's own) are parsed by ``parse_when``, evaluated by DuckDB through
``evaluate_conditions``, and compared row by row with a Python evaluator that walks this file's
grammar — not SQLGlot's tree — with SQL's three-valued logic. Values are small integers and
multiples of 0.25, so arithmetic is exact in binary floating point, in DECIMAL and in
``Fraction`` alike, and any difference is one of meaning.

The second half checks explanation fields rendered by SQL against Python's own ``format()``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import duckdb
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pasar.policy.evaluate import evaluate_conditions
from pasar.policy.predicate import parse_when
from pasar.policy.template import MISSING, parse_template, render_sql

FLOATS = ("rate_a", "rate_b", "rate_c")
INTS = ("orders_a", "orders_b")
NUMERIC = FLOATS + INTS
COLUMNS = {"seller_id", *NUMERIC}

Value = Fraction | None
Truth = bool | None

# -- the grammar -------------------------------------------------------------------------------
# Precedence, loosest first: OR, AND, NOT, comparisons (=, <, IS, BETWEEN, IN), + -, *, atoms.
OR, AND, NOT, COMPARE, ADD, MUL, ATOM = range(7)


@dataclass(frozen=True)
class Col:
    name: str


@dataclass(frozen=True)
class Lit:
    text: str  # as written: "3", "-0.25", "NULL"

    @property
    def value(self) -> Value:
        return None if self.text == "NULL" else Fraction(self.text)


@dataclass(frozen=True)
class Arith:
    op: str  # + - *
    left: Num
    right: Num


@dataclass(frozen=True)
class Coalesce:
    column: Col
    default: Lit


Num = Col | Lit | Arith | Coalesce


@dataclass(frozen=True)
class Cmp:
    op: str  # = <> < <= > >=
    left: Num
    right: Num


@dataclass(frozen=True)
class IsNull:
    operand: Num
    negated: bool


@dataclass(frozen=True)
class Between:
    operand: Num
    low: Num
    high: Num
    negated: bool


@dataclass(frozen=True)
class InList:
    operand: Num
    items: tuple[Lit, ...]
    negated: bool


@dataclass(frozen=True)
class BoolLit:
    value: bool


@dataclass(frozen=True)
class Not:
    operand: Cond


@dataclass(frozen=True)
class Logic:
    op: str  # AND / OR
    left: Cond
    right: Cond


Cond = Cmp | IsNull | Between | InList | BoolLit | Not | Logic
Node = Num | Cond


# -- text --------------------------------------------------------------------------------------


def precedence(node: Node) -> int:
    if isinstance(node, Logic):
        return OR if node.op == "OR" else AND
    if isinstance(node, Not):
        return NOT
    if isinstance(node, Cmp | IsNull | Between | InList):
        return COMPARE
    if isinstance(node, Arith):
        return MUL if node.op == "*" else ADD
    return ATOM


def write(node: Node, minimal: bool) -> str:
    """``node`` as SQL text; ``minimal`` uses parentheses only where precedence needs them,
    otherwise around every operand that is not an atom."""

    def operand(child: Node, least: int) -> str:
        text = write(child, minimal)
        tight = precedence(child) >= least if minimal else precedence(child) == ATOM
        return text if tight else f"({text})"

    if isinstance(node, Col):
        return node.name
    if isinstance(node, Lit):
        return node.text
    if isinstance(node, BoolLit):
        return "TRUE" if node.value else "FALSE"
    if isinstance(node, Coalesce):
        return f"coalesce({node.column.name}, {node.default.text})"
    if isinstance(node, Arith | Cmp | Logic):
        level = precedence(node)
        # left-associative: the left operand may be at the same level, the right one not
        return f"{operand(node.left, level)} {node.op} {operand(node.right, level + 1)}"
    if isinstance(node, Not):
        return f"NOT {operand(node.operand, NOT)}"
    if isinstance(node, IsNull):
        return f"{operand(node.operand, ADD)} IS {'NOT ' * node.negated}NULL"
    if isinstance(node, Between):
        low, high = operand(node.low, ADD), operand(node.high, ADD)
        keyword = "NOT BETWEEN" if node.negated else "BETWEEN"
        return f"{operand(node.operand, ADD)} {keyword} {low} AND {high}"
    items = ", ".join(item.text for item in node.items)
    return f"{operand(node.operand, ADD)} {'NOT IN' if node.negated else 'IN'} ({items})"


# -- the independent evaluator: SQL's three-valued logic ---------------------------------------

ARITHMETIC: dict[str, Callable[[Fraction, Fraction], Fraction]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
}
COMPARISONS: dict[str, Callable[[Fraction, Fraction], bool]] = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
Row = dict[str, Value]


def number(node: Num, row: Row) -> Value:
    if isinstance(node, Col):
        return row[node.name]
    if isinstance(node, Lit):
        return node.value
    if isinstance(node, Coalesce):
        value = row[node.column.name]
        return value if value is not None else node.default.value
    left, right = number(node.left, row), number(node.right, row)
    if left is None or right is None:
        return None
    return ARITHMETIC[node.op](left, right)


def not3(value: Truth) -> Truth:
    return None if value is None else not value


def and3(*values: Truth) -> Truth:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def or3(*values: Truth) -> Truth:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def compare(op: str, left: Value, right: Value) -> Truth:
    if left is None or right is None:
        return None
    return COMPARISONS[op](left, right)


def truth(node: Cond, row: Row) -> Truth:
    if isinstance(node, BoolLit):
        return node.value
    if isinstance(node, Cmp):
        return compare(node.op, number(node.left, row), number(node.right, row))
    if isinstance(node, IsNull):
        return (number(node.operand, row) is None) != node.negated
    if isinstance(node, Between):
        x = number(node.operand, row)
        inside = and3(
            compare(">=", x, number(node.low, row)), compare("<=", x, number(node.high, row))
        )
        return not3(inside) if node.negated else inside
    if isinstance(node, InList):
        x = number(node.operand, row)
        values = [item.value for item in node.items]
        if x is None:
            found: Truth = None
        elif any(v is not None and v == x for v in values):
            found = True
        elif any(v is None for v in values):
            found = None
        else:
            found = False
        return not3(found) if node.negated else found
    if isinstance(node, Not):
        return not3(truth(node.operand, row))
    left, right = truth(node.left, row), truth(node.right, row)
    return and3(left, right) if node.op == "AND" else or3(left, right)


def test_the_evaluator_follows_sql_null_rules() -> None:
    """The reference itself, on the cases people get wrong."""
    row: Row = {"rate_a": None, "orders_a": Fraction(2)}
    a, n = Col("rate_a"), Col("orders_a")
    one, null = Lit("1"), Lit("NULL")
    assert truth(Cmp(">", a, one), row) is None
    assert truth(Not(Cmp(">", a, one)), row) is None
    assert truth(Logic("AND", Cmp(">", a, one), BoolLit(False)), row) is False
    assert truth(Logic("OR", Cmp(">", a, one), BoolLit(True)), row) is True
    assert truth(Logic("OR", Cmp(">", a, one), BoolLit(False)), row) is None
    assert truth(IsNull(Arith("+", n, null), False), row) is True
    assert truth(InList(n, (Lit("2"), null), False), row) is True
    assert truth(InList(n, (Lit("3"), null), False), row) is None
    assert truth(InList(n, (Lit("3"), null), True), row) is None
    assert truth(InList(n, (Lit("3"), Lit("4")), True), row) is True
    assert truth(Between(n, Lit("3"), null, False), row) is False  # 2 >= 3 is false
    assert truth(Between(n, Lit("1"), null, False), row) is None
    assert truth(Between(n, null, Lit("1"), True), row) is True  # NOT (NULL AND FALSE)
    assert number(Coalesce(a, Lit("-0.25")), row) == Fraction(-1, 4)
    # precedence in the minimal text
    tree = Not(Logic("AND", Cmp("=", Arith("*", Arith("+", n, one), n), one), BoolLit(True)))
    assert write(tree, minimal=True) == "NOT ((orders_a + 1) * orders_a = 1 AND TRUE)"
    assert write(tree, minimal=False) == "NOT ((((orders_a + 1) * orders_a) = 1) AND TRUE)"
    sub = Arith("-", one, Arith("-", n, Lit("-2")))
    assert write(sub, minimal=True) == "1 - (orders_a - -2)"


# -- strategies --------------------------------------------------------------------------------

QUARTERS = st.integers(-32, 32).map(lambda k: k / 4)  # -8.0 … 8.0, exact in binary
SMALL_INTS = st.integers(-10, 10)


def float_text(value: float) -> str:
    return repr(value)  # "2.25", "-0.5", "3.0": a DECIMAL literal in DuckDB


number_literals = st.one_of(
    SMALL_INTS.map(str),
    QUARTERS.map(float_text),
)
literals = st.one_of(number_literals, number_literals, number_literals, st.just("NULL"))
columns = st.sampled_from(NUMERIC).map(Col)
coalesces = st.builds(Coalesce, columns, number_literals.map(Lit))


def numbers(depth: int) -> st.SearchStrategy[Num]:
    leaves: st.SearchStrategy[Num] = st.one_of(columns, columns, literals.map(Lit), coalesces)
    if depth == 0:
        return leaves
    inner = numbers(depth - 1)
    return st.one_of(leaves, st.builds(Arith, st.sampled_from("+-*"), inner, inner))


NUMBERS = numbers(2)
ATOMS: st.SearchStrategy[Cond] = st.one_of(
    st.builds(Cmp, st.sampled_from(sorted(COMPARISONS)), NUMBERS, NUMBERS),
    st.builds(Cmp, st.sampled_from(sorted(COMPARISONS)), NUMBERS, NUMBERS),
    st.builds(IsNull, NUMBERS, st.booleans()),
    st.builds(Between, NUMBERS, NUMBERS, NUMBERS, st.booleans()),
    st.builds(
        InList,
        NUMBERS,
        st.lists(literals.map(Lit), min_size=1, max_size=3).map(tuple),
        st.booleans(),
    ),
    st.builds(BoolLit, st.booleans()),
)


def conditions(depth: int) -> st.SearchStrategy[Cond]:
    if depth == 0:
        return ATOMS
    inner = conditions(depth - 1)
    return st.one_of(
        ATOMS,
        st.builds(Not, inner),
        st.builds(Logic, st.just("AND"), inner, inner),
        st.builds(Logic, st.just("OR"), inner, inner),
    )


CONDITIONS = conditions(3)


@st.composite
def snapshots(draw: st.DrawFn) -> tuple[pa.Table, list[Row]]:
    """A snapshot of 1–30 sellers (as Arrow) and the same rows as exact numbers."""
    size = draw(st.integers(1, 30))
    data: dict[str, pa.Array] = {"seller_id": pa.array([f"s{i}" for i in range(size)])}
    for name in NUMERIC:
        values = st.none() | (QUARTERS if name in FLOATS else SMALL_INTS)
        column = draw(st.lists(values, min_size=size, max_size=size))
        data[name] = pa.array(column, pa.float64() if name in FLOATS else pa.int64())
    table = pa.table(data)
    rows = [
        {name: None if value is None else Fraction(value) for name, value in row.items()}
        for row in table.select(list(NUMERIC)).to_pylist()
    ]
    return table, rows


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    snapshot=snapshots(),
    predicates=st.lists(CONDITIONS, min_size=1, max_size=4),
    minimal=st.booleans(),
    wrapped=st.booleans(),
)
def test_duckdb_agrees_with_the_independent_evaluator(
    snapshot: tuple[pa.Table, list[Row]],
    predicates: Sequence[Cond],
    minimal: bool,
    wrapped: bool,
) -> None:
    table, rows = snapshot
    texts = [write(p, minimal) for p in predicates]
    if wrapped:
        texts = [f"({text})" for text in texts]
    trees = {f"p{i}": parse_when(text, COLUMNS) for i, text in enumerate(texts)}
    con = duckdb.connect()
    try:
        result = evaluate_conditions(con, table, trees)
    finally:
        con.close()
    assert result.column_names == list(trees)
    assert result.num_rows == len(rows)
    for i, (predicate, text) in enumerate(zip(predicates, texts, strict=True)):
        got = result.column(f"p{i}").to_pylist()
        expected = [truth(predicate, row) for row in rows]
        assert got == expected, f"{text}\nrows: {rows}"


# -- explanation fields against Python's format() ----------------------------------------------

FINITE = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)
WHOLE = st.integers(min_value=-(10**12), max_value=10**12)
FLOAT_SPECS = (".1%", ",.1%", ".2f", ",.0f", ",.2f", ".0f", ",", "%", ".0%", "f", ",f")
INT_SPECS = (",d", "d", ".1%", ".2f", ",.0f", ",")


def swapped(text: str) -> str:
    return text.translate(str.maketrans(",.", ".,"))


def rendered(table: pa.Table, spec: str) -> tuple[list[str], list[str]]:
    """The English and Indonesian text of ``Nilai {v:spec} ini`` for every row of ``table``."""
    parts = parse_template(f"Nilai {{v:{spec}}} ini", {"v"})
    en, id_ = render_sql(parts, "en").sql("duckdb"), render_sql(parts, "id").sql("duckdb")
    con = duckdb.connect()
    try:
        con.register("tbl", table)
        rows = con.sql(f"SELECT {en} AS en, {id_} AS id FROM tbl").fetchall()
    finally:
        con.close()
    return [r[0] for r in rows], [r[1] for r in rows]


def check_rendering(
    values: list[float | None] | list[int | None], spec: str, kind: pa.DataType
) -> None:
    english, indonesian = rendered(pa.table({"v": pa.array(values, kind)}), spec)
    for value, en, id_ in zip(values, english, indonesian, strict=True):
        shown = MISSING if value is None else format(value, spec)
        assert en == f"Nilai {shown} ini", (value, spec)
        # the literal text has no separators, so the whole sentence swaps
        assert id_ == swapped(en), (value, spec)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.none() | FINITE, min_size=1, max_size=20),
    spec=st.sampled_from(FLOAT_SPECS),
)
def test_float_fields_render_as_python_formats_them(values: list[float | None], spec: str) -> None:
    check_rendering(values, spec, pa.float64())


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.none() | WHOLE, min_size=1, max_size=20),
    spec=st.sampled_from(INT_SPECS),
)
def test_integer_fields_render_as_python_formats_them(values: list[int | None], spec: str) -> None:
    check_rendering(values, spec, pa.int64())


def test_rendering_known_values() -> None:
    english, indonesian = rendered(
        pa.table({"v": pa.array([0.125, 1234567.5, None, -0.0004], pa.float64())}), ".1%"
    )
    assert english == [
        "Nilai 12.5% ini",
        "Nilai 123456750.0% ini",
        "Nilai — ini",
        "Nilai -0.0% ini",
    ]
    assert indonesian == [
        "Nilai 12,5% ini",
        "Nilai 123456750,0% ini",
        "Nilai — ini",
        "Nilai -0,0% ini",
    ]
    english, indonesian = rendered(pa.table({"v": pa.array([1234567, -5], pa.int64())}), ",d")
    assert english == ["Nilai 1,234,567 ini", "Nilai -5 ini"]
    assert indonesian == ["Nilai 1.234.567 ini", "Nilai -5 ini"]
