"""Whom to fund with a limited budget (samples, vouchers or incentive money): choose creators
to maximise their total predicted return under the total budget, a spending cap per category
and a minimum for new creators (a share of the budget and/or a number of them).

The optimiser is an exact 0/1 program solved with ``scipy.optimize.milp`` (HiGHS, no
optimality gap allowed). The greedy ranking it is compared with funds creators by return per
rupiah — new creators first until the new-creator minimum is met, then everyone — skipping
any that would break the budget or a cap; it reports when it cannot meet the minimum. Any plan
the greedy finds is one the optimiser may choose, so the optimiser's value is never lower.

Money is counted exactly (``Decimal``); the solver sees whole sen (1/100 rupiah), and every
plan is checked against every constraint in exact arithmetic before it is returned.

Example:
    >>> from decimal import Decimal as D
    >>> people = [Candidate("C1", "beauty", False, D(600), D(900)),
    ...           Candidate("C2", "beauty", True, D(500), D(700)),
    ...           Candidate("C3", "food", False, D(500), D(740))]
    >>> result = allocate(people, Constraints(budget=D(1000)))
    >>> [c.creator_id for c in result.optimiser.chosen], result.optimiser.value
    (['C2', 'C3'], Decimal('1440'))
    >>> [c.creator_id for c in result.greedy.chosen], result.greedy.value
    (['C1'], Decimal('900'))
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp  # type: ignore[import-untyped]

from pasar.kit.errors import InputError, ValidationError

COLUMNS = ("creator_id", "category", "is_new", "cost", "predicted_return")
MAX_CANDIDATES = 20_000
MAX_AMOUNT = Decimal(10) ** 12  # in sen, sums of amounts stay exact in the solver's doubles
_SEN = Decimal(100)
_TRUE = {"1", "true", "yes", "y", "ya", "t", "new", "baru"}
_FALSE = {"0", "false", "no", "n", "tidak", "f", "", "existing", "lama"}


@dataclass(frozen=True)
class Candidate:
    """A creator who could be funded: what funding costs and what it is predicted to return."""

    creator_id: str
    category: str
    is_new: bool
    cost: Decimal
    predicted_return: Decimal

    @property
    def ratio(self) -> Decimal:
        return self.predicted_return / self.cost


@dataclass(frozen=True)
class Constraints:
    """The budget and the rules a plan must follow.

    ``category_caps``: the most that may go to creators of a category. ``new_share``: the
    least share of the *budget* that must go to new creators. ``new_count``: the least number
    of new creators funded.
    """

    budget: Decimal
    category_caps: Mapping[str, Decimal] = field(default_factory=dict)
    new_share: Decimal = Decimal(0)
    new_count: int = 0

    @property
    def new_minimum(self) -> Decimal:
        """The least amount that must go to new creators."""
        return self.budget * self.new_share


@dataclass(frozen=True)
class Plan:
    """Whom one method funds, what it costs and returns; ``feasible`` False (with ``reason``)
    when the method could not meet the constraints."""

    method: str
    chosen: tuple[Candidate, ...]
    feasible: bool = True
    reason: str = ""

    @property
    def value(self) -> Decimal:
        return sum((c.predicted_return for c in self.chosen), Decimal(0))

    @property
    def spend(self) -> Decimal:
        return sum((c.cost for c in self.chosen), Decimal(0))

    @property
    def new_spend(self) -> Decimal:
        return sum((c.cost for c in self.chosen if c.is_new), Decimal(0))

    @property
    def new_count(self) -> int:
        return sum(1 for c in self.chosen if c.is_new)

    def spend_by_category(self) -> dict[str, Decimal]:
        found: dict[str, Decimal] = {}
        for c in self.chosen:
            found[c.category] = found.get(c.category, Decimal(0)) + c.cost
        return dict(sorted(found.items()))


@dataclass(frozen=True)
class Allocation:
    """The optimiser's plan and the greedy ranking's, for the same candidates and rules."""

    candidates: tuple[Candidate, ...]
    constraints: Constraints
    optimiser: Plan
    greedy: Plan

    @property
    def gain(self) -> Decimal | None:
        """How much more the optimiser's plan returns than the greedy's (None when the
        greedy found no plan)."""
        return self.optimiser.value - self.greedy.value if self.greedy.feasible else None


def allocate(candidates: Sequence[Candidate], constraints: Constraints) -> Allocation:
    """The best plan for ``candidates`` under ``constraints`` and the greedy plan beside it.

    Raises ``ValidationError`` naming the constraint (``new_share``, ``new_count`` or both)
    when no plan can meet it, with the most that could be reached.
    """
    check(candidates, constraints)
    best = _solve(candidates, constraints)
    if best is None:
        raise _infeasible(candidates, constraints)
    optimiser = Plan("optimiser", tuple(candidates[i] for i in best))
    problems = violations(optimiser, constraints)
    if problems:  # the solver's tolerances let a plan through that exact arithmetic refuses
        raise RuntimeError("the solver returned a plan that breaks " + "; ".join(problems))
    return Allocation(tuple(candidates), constraints, optimiser, greedy(candidates, constraints))


def check(candidates: Sequence[Candidate], constraints: Constraints) -> None:
    """Refuse input no plan can be made from, naming the field."""
    if not candidates:
        raise ValidationError("there are no candidates", field="candidates")
    if len(candidates) > MAX_CANDIDATES:
        raise ValidationError(
            f"{len(candidates):,} candidates; at most {MAX_CANDIDATES:,}", field="candidates"
        )
    if not constraints.budget.is_finite() or constraints.budget <= 0:
        raise ValidationError("the budget must be above 0", field="budget")
    if not _whole_sen(constraints.budget):
        raise ValidationError("the budget has more than 2 decimals", field="budget")
    if not constraints.new_share.is_finite() or not 0 <= constraints.new_share <= 1:
        raise ValidationError("the new-creator share must be between 0 and 1", field="new_share")
    if constraints.new_count < 0:
        raise ValidationError("the new-creator count cannot be negative", field="new_count")
    for category, cap in constraints.category_caps.items():
        if not cap.is_finite() or cap < 0 or not _whole_sen(cap):
            raise ValidationError(
                f"the cap of category {category!r} must be 0 or more with at most 2 decimals",
                field="category_caps",
            )
    seen: set[str] = set()
    for index, c in enumerate(candidates, start=1):
        where = f"candidate {index} ({c.creator_id})"
        if c.creator_id in seen:
            raise ValidationError(f"{where} appears twice", field="creator_id")
        seen.add(c.creator_id)
        if not c.cost.is_finite() or c.cost <= 0 or not _whole_sen(c.cost):
            raise ValidationError(
                f"{where}: the cost must be above 0 with at most 2 decimals", field="cost"
            )
        if not c.predicted_return.is_finite() or c.predicted_return < 0:
            raise ValidationError(
                f"{where}: the predicted return cannot be negative", field="predicted_return"
            )
        if max(c.cost, c.predicted_return) > MAX_AMOUNT:
            raise ValidationError(f"{where}: amounts above {MAX_AMOUNT:,}", field="cost")


def violations(plan: Plan, constraints: Constraints) -> list[str]:
    """Every constraint ``plan`` breaks, in exact arithmetic (empty when it keeps them all)."""
    found = []
    if plan.spend > constraints.budget:
        found.append(f"budget: spends {plan.spend} of {constraints.budget}")
    for category, spent in plan.spend_by_category().items():
        cap = constraints.category_caps.get(category)
        if cap is not None and spent > cap:
            found.append(f"category cap {category}: spends {spent} of {cap}")
    if plan.new_spend < constraints.new_minimum:
        found.append(f"new share: {plan.new_spend} to new creators, {constraints.new_minimum} due")
    if plan.new_count < constraints.new_count:
        found.append(f"new count: {plan.new_count} new creators, {constraints.new_count} due")
    return found


# -- the optimiser ------------------------------------------------------------------------


def _whole_sen(amount: Decimal) -> bool:
    return amount == amount.quantize(Decimal("0.01"))


def _sen(amount: Decimal) -> float:
    """An amount in whole sen (amounts are checked to have at most 2 decimals)."""
    return float(amount * _SEN)


def _rows(
    candidates: Sequence[Candidate], constraints: Constraints, minimums: bool = True
) -> list[LinearConstraint]:
    """The budget, the caps and (with ``minimums``) the new-creator minimums as rows."""
    cost = np.array([_sen(c.cost) for c in candidates])
    new = np.array([1.0 if c.is_new else 0.0 for c in candidates])
    # amounts are in whole sen: a right-hand side rounded down keeps exactness
    rows = [LinearConstraint(cost, -np.inf, math.floor(constraints.budget * _SEN))]
    for category, cap in sorted(constraints.category_caps.items()):
        member = np.array([1.0 if c.category == category else 0.0 for c in candidates])
        if member.any():
            rows.append(LinearConstraint(cost * member, -np.inf, math.floor(cap * _SEN)))
    if minimums and constraints.new_share > 0:
        rows.append(LinearConstraint(cost * new, math.ceil(constraints.new_minimum * _SEN), np.inf))
    if minimums and constraints.new_count > 0:
        rows.append(LinearConstraint(new, constraints.new_count, np.inf))
    return rows


def _binary(objective: np.ndarray, rows: list[LinearConstraint]) -> list[int] | None:
    """Indexes chosen by the 0/1 program maximising ``objective`` (None when infeasible)."""
    n = len(objective)
    result = milp(
        -objective,
        constraints=rows,
        integrality=np.ones(n),
        bounds=Bounds(np.zeros(n), np.ones(n)),
        options={"mip_rel_gap": 0.0},
    )
    if result.status == 2:  # infeasible
        return None
    if result.x is None:
        raise RuntimeError(f"the optimiser stopped: {result.message}")
    return [i for i, x in enumerate(result.x) if x > 0.5]


def _solve(candidates: Sequence[Candidate], constraints: Constraints) -> list[int] | None:
    objective = np.array([_sen(c.predicted_return) for c in candidates])
    return _binary(objective, _rows(candidates, constraints))


def _infeasible(candidates: Sequence[Candidate], constraints: Constraints) -> ValidationError:
    """Which minimum cannot be met, and the most that can be reached within the budget and
    the caps."""
    new = [c for c in candidates if c.is_new]
    plain = _rows(candidates, constraints, minimums=False)
    parts, fields = [], []
    if constraints.new_count > 0:
        most = _binary(np.array([1.0 if c.is_new else 0.0 for c in candidates]), plain) or []
        if len(most) < constraints.new_count:
            parts.append(
                f"new-count: {constraints.new_count} new creators are required but at most "
                f"{len(most)} of the {len(new)} new candidates fit the budget and category caps"
            )
            fields.append("new_count")
    if constraints.new_share > 0:
        spend = np.array([_sen(c.cost) if c.is_new else 0.0 for c in candidates])
        chosen = _binary(spend, plain) or []
        most_spend = sum((candidates[i].cost for i in chosen), Decimal(0))
        if most_spend < constraints.new_minimum:
            parts.append(
                f"new-share: {constraints.new_share:.0%} of the budget "
                f"({constraints.new_minimum:,.0f}) must go to new creators but at most "
                f"{most_spend:,.0f} can within the budget and category caps"
            )
            fields.append("new_share")
    if not parts:
        parts.append(
            f"new-share and new-count: each can be met alone but not both together "
            f"({constraints.new_share:.0%} of the budget and {constraints.new_count} new "
            "creators)"
        )
        fields = ["new_share", "new_count"]
    return ValidationError("no plan meets the constraints: " + "; ".join(parts), field=fields[0])


# -- the greedy ranking --------------------------------------------------------------------


def greedy(candidates: Sequence[Candidate], constraints: Constraints) -> Plan:
    """Fund by return per rupiah (new creators first until their minimum is met), skipping
    anyone who would break the budget or a cap."""
    order = sorted(
        range(len(candidates)),
        key=lambda i: (-candidates[i].ratio, -candidates[i].predicted_return, i),
    )
    spent = Decimal(0)
    by_category: dict[str, Decimal] = {}
    chosen: list[int] = []

    def fits(c: Candidate) -> bool:
        cap = constraints.category_caps.get(c.category)
        if spent + c.cost > constraints.budget:
            return False
        return cap is None or by_category.get(c.category, Decimal(0)) + c.cost <= cap

    def take(i: int) -> None:
        nonlocal spent
        c = candidates[i]
        spent += c.cost
        by_category[c.category] = by_category.get(c.category, Decimal(0)) + c.cost
        chosen.append(i)

    def minimum_met() -> bool:
        new = [candidates[i] for i in chosen if candidates[i].is_new]
        return (
            sum((c.cost for c in new), Decimal(0)) >= constraints.new_minimum
            and len(new) >= constraints.new_count
        )

    for i in order:
        if minimum_met():
            break
        if candidates[i].is_new and fits(candidates[i]):
            take(i)
    if not minimum_met():
        plan = Plan("greedy", tuple(candidates[i] for i in chosen))
        return Plan(
            "greedy",
            (),
            feasible=False,
            reason=(
                "the ranking could not meet the new-creator minimum: it funded "
                f"{plan.new_count} new creator(s) for {plan.new_spend:,.0f} before the budget "
                "or a cap stopped it"
            ),
        )
    taken = set(chosen)
    for i in order:
        if i not in taken and fits(candidates[i]):
            take(i)
    return Plan("greedy", tuple(candidates[i] for i in sorted(chosen)))


# -- reading candidates ---------------------------------------------------------------------


def read_candidates(text: str, source: str = "candidates") -> list[Candidate]:
    """Candidates from CSV text with the columns of :data:`COLUMNS`; a bad row is named by
    its row number (the header is row 1) and column."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=source, row=1)
    reader.fieldnames = header
    found = []
    for row_no, row in enumerate(reader, start=2):
        found.append(candidate_from(row, source, row_no))
        if len(found) > MAX_CANDIDATES:
            raise InputError(f"more than {MAX_CANDIDATES:,} candidates", file=source, row=row_no)
    if not found:
        raise InputError("no candidate rows", file=source)
    seen: dict[str, int] = {}
    for row_no, c in enumerate(found, start=2):
        if c.creator_id in seen:
            raise InputError(
                f"creator {c.creator_id!r} already on row {seen[c.creator_id]}",
                file=source,
                row=row_no,
                column="creator_id",
            )
        seen[c.creator_id] = row_no
    return found


def candidate_from(row: Mapping[str, object], source: str, row_no: int) -> Candidate:
    """One candidate from a mapping of the CSV columns (strings or numbers)."""

    def text(column: str) -> str:
        value = row.get(column)
        return "" if value is None else str(value).strip()

    def bad(column: str, reason: str) -> InputError:
        return InputError(reason, file=source, row=row_no, column=column)

    creator, category = text("creator_id"), text("category")
    if not creator:
        raise bad("creator_id", "empty creator id")
    if "\x00" in creator or "\x00" in category or len(creator) > 100 or len(category) > 100:
        raise bad("creator_id" if len(creator) > 100 else "category", "too long or not text")
    flag = text("is_new").lower()
    if flag not in _TRUE | _FALSE:
        raise bad("is_new", f"{flag!r} is not true or false")
    amounts = {}
    for column in ("cost", "predicted_return"):
        raw = text(column).replace("_", "")
        try:
            amount = Decimal(raw)
        except InvalidOperation:
            raise bad(column, f"{raw!r} is not a number") from None
        if not amount.is_finite() or abs(amount) > MAX_AMOUNT:
            raise bad(column, f"{raw!r} is not a usable amount")
        if column == "cost" and amount <= 0:
            raise bad(column, "the cost must be above 0")
        if amount < 0:
            raise bad(column, "cannot be negative")
        amounts[column] = amount.quantize(Decimal("0.01"))
    return Candidate(creator, category, flag in _TRUE, amounts["cost"], amounts["predicted_return"])


def parse_caps(items: Iterable[str]) -> dict[str, Decimal]:
    """``category=amount`` items (``beauty=10000000``) as a cap per category."""
    caps: dict[str, Decimal] = {}
    for item in items:
        category, sep, amount = item.partition("=")
        if not sep or not category.strip():
            raise ValidationError(
                f"category cap {item!r}: write category=amount", field="category_caps"
            )
        try:
            value = Decimal(amount.strip().replace("_", ""))
        except InvalidOperation:
            raise ValidationError(
                f"category cap {item!r}: {amount.strip()!r} is not a number",
                field="category_caps",
            ) from None
        if not value.is_finite() or value < 0:
            raise ValidationError(
                f"category cap {item!r}: the amount must be 0 or more", field="category_caps"
            )
        caps[category.strip()] = value
    return caps
