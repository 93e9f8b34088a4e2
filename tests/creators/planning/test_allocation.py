"""Allocation: on random instances the optimiser's plan is the best plan there is (equal to a
brute force over every subset), never worse than the greedy ranking's, and both always keep
the budget, the category caps and the new-creator minimums; an instance no plan can satisfy
is refused naming the constraint; a bad CSV row is named by row and column."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from pasar.creators.allocation import (
    Candidate,
    Constraints,
    Plan,
    allocate,
    greedy,
    parse_caps,
    read_candidates,
    violations,
)
from pasar.kit.errors import InputError, ValidationError

CATEGORIES = ("beauty", "food", "fashion")


@st.composite
def instances(draw: st.DrawFn, largest: int) -> tuple[list[Candidate], Constraints]:
    n = draw(st.integers(min_value=1, max_value=largest))
    candidates = []
    for i in range(n):
        cost = draw(st.integers(min_value=10_000, max_value=5_000_000)) / Decimal(100)
        ratio = draw(st.integers(min_value=0, max_value=300)) / Decimal(100)
        gross = (cost * ratio).quantize(Decimal("0.01"))
        category, new = draw(st.sampled_from(CATEGORIES)), draw(st.booleans())
        candidates.append(Candidate(f"C{i}", category, new, cost, gross))
    total = sum(c.cost for c in candidates)
    percent = st.integers(min_value=5, max_value=100).map(lambda p: Decimal(p) / 100)
    budget = max((total * draw(percent)).quantize(Decimal("0.01")), Decimal("0.01"))
    caps = {
        category: (budget * draw(percent)).quantize(Decimal("0.01"))
        for category in draw(st.sets(st.sampled_from(CATEGORIES), max_size=3))
    }
    share = draw(st.sampled_from(["0", "0", "0.1", "0.25", "0.5"]))
    count = draw(st.sampled_from([0, 0, 0, 1, 2, 3]))
    return candidates, Constraints(budget, caps, Decimal(share), count)


def brute_force(candidates: list[Candidate], rules: Constraints) -> Decimal | None:
    """The best total return over every subset that keeps every rule (None: no subset does)."""
    best = None
    for size in range(len(candidates) + 1):
        for chosen in itertools.combinations(candidates, size):
            plan = Plan("brute force", chosen)
            if not violations(plan, rules) and (best is None or plan.value > best):
                best = plan.value
    return best


@settings(max_examples=150, deadline=None, database=None)
@given(instance=instances(largest=9))
def test_the_optimiser_finds_the_best_plan(instance: tuple[list[Candidate], Constraints]) -> None:
    candidates, rules = instance
    best = brute_force(candidates, rules)
    event("no plan" if best is None else "a plan")
    if best is None:
        with pytest.raises(ValidationError) as refused:
            allocate(candidates, rules)
        assert refused.value.field in ("new_share", "new_count")
        assert "new-share" in str(refused.value) or "new-count" in str(refused.value)
        assert rules.new_share > 0 or rules.new_count > 0
        return
    result = allocate(candidates, rules)
    assert result.optimiser.value == best
    assert violations(result.optimiser, rules) == []
    _greedy_is_valid_and_not_better(result.greedy, result.optimiser, rules)


@settings(max_examples=80, deadline=None, database=None)
@given(instance=instances(largest=40))
def test_the_optimiser_never_loses_to_the_greedy_ranking(
    instance: tuple[list[Candidate], Constraints],
) -> None:
    candidates, rules = instance
    try:
        result = allocate(candidates, rules)
    except ValidationError as refused:
        assert refused.field in ("new_share", "new_count")
        assert not greedy(candidates, rules).feasible  # the greedy cannot do what nobody can
        return
    assert violations(result.optimiser, rules) == []
    _greedy_is_valid_and_not_better(result.greedy, result.optimiser, rules)


def _greedy_is_valid_and_not_better(plan: Plan, best: Plan, rules: Constraints) -> None:
    event("greedy plan" if plan.feasible else "greedy cannot")
    if plan.feasible:
        event("optimiser better" if best.value > plan.value else "greedy as good")
        assert violations(plan, rules) == []
        assert best.value >= plan.value
    else:
        assert plan.reason and plan.chosen == ()
        assert rules.new_share > 0 or rules.new_count > 0


def test_the_optimiser_beats_a_ranking_that_fills_the_budget_badly() -> None:
    people = [
        Candidate("C1", "beauty", False, Decimal(600), Decimal(900)),
        Candidate("C2", "beauty", True, Decimal(500), Decimal(700)),
        Candidate("C3", "food", False, Decimal(500), Decimal(740)),
    ]
    result = allocate(people, Constraints(Decimal(1000)))
    assert [c.creator_id for c in result.optimiser.chosen] == ["C2", "C3"]
    assert (result.optimiser.value, result.greedy.value, result.gain) == tuple(
        map(Decimal, (1440, 900, 540))
    )
    capped = allocate(people, Constraints(Decimal(1000), {"food": Decimal(0)}))
    assert [c.creator_id for c in capped.optimiser.chosen] == ["C1"]
    new = allocate(people, Constraints(Decimal(1100), new_share=Decimal("0.4")))
    assert {c.creator_id for c in new.optimiser.chosen} == {"C1", "C2"}


def test_the_greedy_ranking_says_when_it_cannot_meet_the_minimum() -> None:
    people = [
        Candidate("N1", "x", True, Decimal(50), Decimal(150)),
        Candidate("N2", "x", True, Decimal(60), Decimal(60)),
        Candidate("O1", "x", False, Decimal(40), Decimal(100)),
    ]
    result = allocate(people, Constraints(Decimal(100), new_share=Decimal("0.6")))
    assert [c.creator_id for c in result.optimiser.chosen] == ["N2", "O1"]
    assert not result.greedy.feasible and result.gain is None
    assert "funded 1 new creator(s) for 50 before the budget or a cap stopped it" in (
        result.greedy.reason
    )


def _people(costs: dict[str, int]) -> list[Candidate]:
    return [Candidate(k, "x", True, Decimal(v), Decimal(v)) for k, v in costs.items()]


def test_infeasible_instances_name_the_constraint() -> None:
    few = _people({"A": 10, "B": 10})
    with pytest.raises(ValidationError) as refused:
        allocate(few, Constraints(Decimal(100), new_count=3))
    assert refused.value.field == "new_count"
    assert "new-count: 3 new creators are required but at most 2" in str(refused.value)
    with pytest.raises(ValidationError) as refused:
        allocate(few, Constraints(Decimal(100), new_share=Decimal("0.5")))
    assert refused.value.field == "new_share"
    assert "new-share: 50% of the budget (50) must go to new creators but at most 20" in str(
        refused.value
    )
    capped = _people({"A": 30, "B": 30})
    with pytest.raises(ValidationError) as refused:
        allocate(capped, Constraints(Decimal(100), {"x": Decimal(40)}, new_count=2))
    assert "at most 1 of the 2 new candidates fit the budget and category caps" in str(
        refused.value
    )
    apart = _people({"A": 70, "B": 10, "C": 10, "D": 10, "E": 10, "F": 10})
    allocate(apart, Constraints(Decimal(100), new_share=Decimal("0.7")))
    allocate(apart, Constraints(Decimal(100), new_count=5))
    with pytest.raises(ValidationError) as refused:
        allocate(apart, Constraints(Decimal(100), new_share=Decimal("0.7"), new_count=5))
    assert "new-share and new-count: each can be met alone but not both" in str(refused.value)


@pytest.mark.parametrize(
    ("people", "rules", "field"),
    [
        ([], Constraints(Decimal(1)), "candidates"),
        (_people({"A": 1}), Constraints(Decimal(0)), "budget"),
        (_people({"A": 1}), Constraints(Decimal("1.005")), "budget"),
        (_people({"A": 1}), Constraints(Decimal(1), new_share=Decimal(2)), "new_share"),
        (_people({"A": 1}), Constraints(Decimal(1), new_count=-1), "new_count"),
        (_people({"A": 1}), Constraints(Decimal(1), {"x": Decimal(-1)}), "category_caps"),
        (_people({"A": 1}) * 2, Constraints(Decimal(1)), "creator_id"),
        ([Candidate("A", "x", True, Decimal(0), Decimal(1))], Constraints(Decimal(1)), "cost"),
        ([Candidate("A", "x", True, Decimal(1), Decimal(-1))], Constraints(Decimal(1)),
         "predicted_return"),
    ],
)  # fmt: skip
def test_bad_input_names_the_field(people: list[Candidate], rules: Constraints, field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        allocate(people, rules)
    assert refused.value.field == field


HEADER = "creator_id,category,is_new,cost,predicted_return\n"


def test_candidates_are_read_from_csv() -> None:
    text = "\ufeff" + HEADER + "C1,beauty,ya,150000,420000\nC2, food ,FALSE,1_000,0\nC3,,0,99.5,1\n"
    people = read_candidates(text)
    assert people == [
        Candidate("C1", "beauty", True, Decimal(150000), Decimal(420000)),
        Candidate("C2", "food", False, Decimal(1000), Decimal(0)),
        Candidate("C3", "", False, Decimal("99.50"), Decimal(1)),
    ]


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ("C1,beauty,true,abc,5\n", "file.csv row 2 column cost: 'abc' is not a number"),
        ("C1,beauty,true,5,5\nC2,beauty,maybe,5,5\n", "row 3 column is_new: 'maybe' is not"),
        ("C1,beauty,true,0,5\n", "row 2 column cost: the cost must be above 0"),
        ("C1,beauty,true,5,-5\n", "row 2 column predicted_return: cannot be negative"),
        (",beauty,true,5,5\n", "row 2 column creator_id: empty creator id"),
        ("C1,b,true,5,5\nC2,b,true,5,5\nC1,b,true,5,5\n", "row 4 column creator_id: creator 'C1' "
         "already on row 2"),
        ("C1,b,true,5,inf\n", "row 2 column predicted_return: 'inf' is not a usable amount"),
        ("C1,b,true,5,1e16\n", "row 2 column predicted_return"),
        ("", "file.csv: no candidate rows"),
    ],
)  # fmt: skip
def test_a_bad_row_is_named_by_row_and_column(body: str, where: str) -> None:
    with pytest.raises(InputError) as refused:
        read_candidates(HEADER + body, "file.csv")
    assert where in str(refused.value)


def test_a_missing_column_is_named() -> None:
    with pytest.raises(InputError) as refused:
        read_candidates("creator_id,category,cost\nC1,b,5\n", "file.csv")
    assert "row 1: missing column(s) is_new, predicted_return" in str(refused.value)


def test_category_caps_are_parsed() -> None:
    assert parse_caps(["beauty=10_000_000", " food = 5 "]) == {
        "beauty": Decimal(10_000_000),
        "food": Decimal(5),
    }
    for bad in ("beauty", "=5", "beauty=lots", "beauty=-1"):
        with pytest.raises(ValidationError) as refused:
            parse_caps([bad])
        assert refused.value.field == "category_caps" and repr(bad) in str(refused.value)
