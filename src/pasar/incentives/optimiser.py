"""Choosing one offer level per merchant under a budget: a multiple-choice knapsack.

Merchant ``i`` gets exactly one option ``j`` (option 0 is *no offer*: no cost, no value);
option ``j`` costs ``cost[i, j]`` (the expected reward paid) and is worth ``value[i, j]`` (the
predicted incremental GMV). Maximise Σ value·x subject to

* Σⱼ x[i, j] = 1 for every merchant;
* Σ cost·x ≤ budget;
* fairness: the spend on the merchants of each group (segment tier) with a minimum share is
  at least that share of the total spend — Σ_{i∈t} cost·x − share_t · Σ cost·x ≥ 0.

:func:`solve` hands the integer program to HiGHS through ``scipy.optimize.milp`` (sparse
constraint matrix); :func:`lp_bound` is its linear relaxation, an upper bound on any
allocation. :func:`greedy` is the rule an analyst would apply by hand: each merchant's
options reduced to their efficient frontier, then the upgrades with the most value per rupiah
taken first while the budget lasts, after first reserving each group's minimum share of the
budget for its own merchants. The optimiser is never worse than the rule on the same problem.

:func:`offers` builds the value and cost tables from the cost simulation: each level scales
the program's rewards (and caps), and the response grows with the offer (``uplift × level^e``).

Example:
    >>> import numpy as np
    >>> value = np.array([[0, 10, 12], [0, 8, 20]]); cost = np.array([[0, 5, 9], [0, 4, 10]])
    >>> best = solve(value, cost, budget=15)
    >>> best.choice.tolist(), best.value
    ([1, 2], 30.0)
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse  # type: ignore[import-untyped]
from scipy.optimize import (  # type: ignore[import-untyped]
    Bounds,
    LinearConstraint,
    linprog,
    milp,
)

from pasar.incentives.simulation import History, Response, _cost, _draw
from pasar.incentives.spec import Program
from pasar.kit.errors import ValidationError

TOLERANCE = 1e-6


@dataclass(frozen=True)
class Allocation:
    """One option per merchant, with the allocation's value and cost."""

    method: str
    choice: np.ndarray
    value: float
    cost: float
    feasible: bool
    seconds: float
    spend_by_group: dict[str, float]
    status: str = ""
    bound: float | None = None  # the LP relaxation's value, when it was solved

    def summary(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "value": self.value,
            "cost": self.cost,
            "feasible": self.feasible,
            "seconds": self.seconds,
            "offered": int((self.choice > 0).sum()),
            "spend_by_group": self.spend_by_group,
            "status": self.status,
            "lp_bound": self.bound,
        }


def _check(value: np.ndarray, cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    value = np.asarray(value, dtype=np.float64)
    cost = np.asarray(cost, dtype=np.float64)
    if value.shape != cost.shape or value.ndim != 2 or value.shape[1] < 1:
        raise ValidationError("value and cost must be (merchants × options) tables of one shape")
    if not (np.isfinite(value).all() and np.isfinite(cost).all()):
        raise ValidationError("value and cost must be finite numbers")
    if (cost < 0).any():
        raise ValidationError("an option cannot cost less than nothing")
    return value, cost


def _groups(groups: Sequence[str] | np.ndarray | None, m: int) -> np.ndarray:
    return np.asarray(groups if groups is not None else ["all"] * m, dtype=object)


def evaluate(
    choice: np.ndarray,
    value: np.ndarray,
    cost: np.ndarray,
    budget: float,
    groups: Sequence[str] | np.ndarray | None = None,
    min_share: Mapping[str, float] | None = None,
) -> tuple[float, float, bool, dict[str, float]]:
    """(value, cost, whether every constraint holds, spend per group) of ``choice``."""
    rows = np.arange(len(choice))
    labels = _groups(groups, len(choice))
    total_value = float(value[rows, choice].sum())
    spend = cost[rows, choice]
    total_cost = float(spend.sum())
    by_group = {str(g): float(spend[labels == g].sum()) for g in sorted(set(labels.tolist()))}
    ok = total_cost <= budget * (1 + TOLERANCE) + TOLERANCE
    for group, share in (min_share or {}).items():
        ok &= by_group.get(group, 0.0) >= share * total_cost - TOLERANCE * max(1.0, total_cost)
    return total_value, total_cost, bool(ok), by_group


def _matrices(
    value: np.ndarray,
    cost: np.ndarray,
    budget: float,
    groups: np.ndarray,
    min_share: Mapping[str, float],
    settled: Mapping[str, float] | None = None,
) -> tuple[np.ndarray, list[LinearConstraint]]:
    """The objective and constraints; ``settled`` holds, per fairness group, what merchants
    already fixed elsewhere add to that group's row (Σ (member − share) · cost)."""
    m, j = value.shape
    one_each = sparse.kron(sparse.identity(m, format="csr"), np.ones((1, j)), format="csr")
    flat_cost = cost.ravel()
    constraints = [
        LinearConstraint(one_each, np.ones(m), np.ones(m)),
        LinearConstraint(sparse.csr_matrix(flat_cost[None, :]), -np.inf, budget),
    ]
    for group, share in min_share.items():
        member = np.repeat(groups == group, j).astype(np.float64)
        row = flat_cost * member - share * flat_cost
        floor = -(settled or {}).get(group, 0.0)
        constraints.append(LinearConstraint(sparse.csr_matrix(row[None, :]), floor, np.inf))
    return -value.ravel(), constraints


DIRECT = 4000  # options × merchants up to which HiGHS gets the whole problem
CORE = 400  # merchants nearest to changing their LP option, branched on to find an incumbent


def solve(
    value: np.ndarray,
    cost: np.ndarray,
    budget: float,
    groups: Sequence[str] | np.ndarray | None = None,
    min_share: Mapping[str, float] | None = None,
    gap: float = 1e-6,
    time_limit: float | None = 30.0,
) -> Allocation:
    """The allocation maximising value under the budget and the fairness shares.

    Small problems go to HiGHS whole (``scipy.optimize.milp``, branch and bound to a relative
    ``gap``). Larger ones use the *core* method: the linear relaxation is solved (interior
    point); the merchants nearest to changing their LP option are branched on with everyone
    else at their LP option, which gives a near-optimal allocation; then every option whose
    reduced cost exceeds the distance between the LP bound and that allocation is ruled out
    (it cannot be part of a better one), and branch and bound runs again on the merchants
    still open, if they are not all within the first core. Same optimum, in seconds instead
    of hours. Branch and bound stops after ``time_limit`` seconds in all (None: never) with
    the best allocation found so far, or the best known one (the first core's, the greedy
    rule's) when that is better; ``status`` says which, and ``bound`` how far it can be from
    the optimum."""
    value, cost = _check(value, cost)
    m, j = value.shape
    labels = _groups(groups, m)
    shares = dict(min_share or {})
    start = time.perf_counter()
    steps = _upgrades(value, cost)
    rule = greedy(value, cost, budget, labels, shares, steps)
    known: np.ndarray | None = rule.choice if rule.feasible else None
    bound: float | None = None
    if m * j <= DIRECT:
        choice, status = _branch(value, cost, budget, labels, shares, np.ones(m, dtype=bool),
                                 np.zeros(m, dtype=np.int64), gap, time_limit)  # fmt: skip
    else:
        choice, status, known, bound = _core(value, cost, budget, labels, shares, known, steps,
                                             gap, time_limit)  # fmt: skip
    seconds = time.perf_counter() - start
    if choice is None:
        choice = known if known is not None else np.zeros(m, dtype=np.int64)
    total, spent, ok, by_group = evaluate(choice, value, cost, budget, labels, shares)
    if known is not None:
        other, other_cost, other_ok, other_groups = evaluate(
            known, value, cost, budget, labels, shares
        )
        if other_ok and (not ok or other > total + TOLERANCE * max(1.0, abs(total))):
            return Allocation(
                "milp", known, other, other_cost, True, seconds, other_groups,
                f"{status}; the best known allocation was better and is kept", bound,
            )  # fmt: skip
    return Allocation("milp", choice, total, spent, ok, seconds, by_group, status, bound)


def _branch(
    value: np.ndarray,
    cost: np.ndarray,
    budget: float,
    labels: np.ndarray,
    shares: Mapping[str, float],
    free: np.ndarray,
    fixed_choice: np.ndarray,
    gap: float,
    time_limit: float | None,
) -> tuple[np.ndarray | None, str]:
    """Branch and bound on the ``free`` merchants, the others held at ``fixed_choice``."""
    j = value.shape[1]
    rows, fixed = np.flatnonzero(free), np.flatnonzero(~free)
    choice = fixed_choice.copy()
    if not len(rows):
        return choice, "every merchant settled by the LP"
    held = cost[fixed, choice[fixed]]
    settled = {
        group: float(((labels[fixed] == group) - share) @ held) for group, share in shares.items()
    }
    objective, constraints = _matrices(
        value[rows], cost[rows], budget - float(held.sum()), labels[rows], shares, settled
    )
    options: dict[str, Any] = {"mip_rel_gap": gap, "disp": False}
    if time_limit is not None:
        options["time_limit"] = time_limit
    result = milp(
        objective,
        integrality=np.ones(len(rows) * j),
        bounds=Bounds(0, 1),
        constraints=constraints,
        options=options,
    )
    if result.x is None:
        return None, f"no solution from HiGHS ({result.message})"
    choice[rows] = np.asarray(result.x).reshape(len(rows), j).argmax(axis=1)
    return choice, str(result.message)


def _core(
    value: np.ndarray,
    cost: np.ndarray,
    budget: float,
    labels: np.ndarray,
    shares: Mapping[str, float],
    known: np.ndarray | None,
    steps: list[tuple[float, int, int, int, float]],
    gap: float,
    time_limit: float | None,
) -> tuple[np.ndarray | None, str, np.ndarray | None, float | None]:
    """(allocation, status, best allocation known, LP bound) by the core method."""
    m, j = value.shape
    everyone = np.ones(m, dtype=bool)
    nothing = np.zeros(m, dtype=np.int64)
    objective, constraints = _matrices(value, cost, budget, labels, shares)
    upper = [constraints[1].A, *(-c.A for c in constraints[2:])]
    limits = [budget, *(0.0 for _ in constraints[2:])]
    lp = linprog(
        objective,
        A_ub=sparse.vstack(upper, format="csr"),
        b_ub=np.array(limits),
        A_eq=constraints[0].A,
        b_eq=np.ones(m),
        bounds=(0, 1),
        method="highs-ipm",  # interior point then crossover: 15× the dual simplex here
    )
    if lp.status != 0:
        choice, status = _branch(value, cost, budget, labels, shares, everyone, nothing, gap,
                                 time_limit)  # fmt: skip
        return choice, f"the LP failed ({lp.message}); whole problem: {status}", known, None
    bound = -float(lp.fun)
    x = np.asarray(lp.x).reshape(m, j)
    low = np.asarray(lp.lower.marginals).reshape(m, j)
    high = -np.asarray(lp.upper.marginals).reshape(m, j)
    lp_choice = x.argmax(axis=1)
    # how close each merchant is to another option: fractional merchants first
    whole = (x >= 1 - 1e-9).any(axis=1)
    others = np.where(x <= 1e-9, low, np.inf)
    closeness = np.where(whole, others.min(axis=1), -1.0)
    first = np.zeros(m, dtype=bool)
    first[np.argsort(closeness, kind="stable")[: min(m, CORE)]] = True
    started = time.perf_counter()
    first_limit = None if time_limit is None else max(1.0, time_limit / 3)
    trial, _ = _branch(value, cost, budget, labels, shares, first, lp_choice, gap, first_limit)
    candidates = [known, trial, _rounded(x, value, cost, budget, labels, shares)]
    best, best_value = None, -np.inf
    for candidate in candidates:
        if candidate is None:
            continue
        candidate = _fill(candidate, steps, cost, budget, labels, shares)
        total, _, ok, _ = evaluate(candidate, value, cost, budget, labels, shares)
        if ok and total > best_value:
            best, best_value = candidate, total
    if best is None:
        choice, status = _branch(value, cost, budget, labels, shares, everyone, nothing, gap,
                                 time_limit)  # fmt: skip
        return choice, f"no allocation known; whole problem: {status}", known, bound
    slack = bound - best_value + 1e-9 * max(1.0, abs(bound))
    out = (x <= 1e-9) & (low > slack)
    kept = (x >= 1 - 1e-9) & (high > slack)
    settled = kept.any(axis=1) | (out.sum(axis=1) >= j - 1)
    fixed_choice = np.where(kept.any(axis=1), kept.argmax(axis=1), (~out).argmax(axis=1))
    free = ~settled
    note = f"core of {int(free.sum()):,} of {m:,} merchants"
    if (
        trial is not None
        and not (free & ~first).any()
        and np.array_equal(
            np.where(settled & ~first, fixed_choice, lp_choice)[~first], lp_choice[~first]
        )
    ):
        return best, f"{note}, within the first {int(first.sum()):,}: optimal", best, bound
    left = None if time_limit is None else max(1.0, time_limit - (time.perf_counter() - started))
    choice, status = _branch(value, cost, budget, labels, shares, free,
                             np.where(settled, fixed_choice, 0), gap, left)  # fmt: skip
    return choice, f"{note}; {status}", best, bound


def _rounded(
    x: np.ndarray,
    value: np.ndarray,
    cost: np.ndarray,
    budget: float,
    labels: np.ndarray,
    shares: Mapping[str, float],
) -> np.ndarray | None:
    """The LP's allocation with its few fractional merchants (at most one per constraint
    besides the choices) given their best feasible whole options, tried exhaustively."""
    base = x.argmax(axis=1)
    fractional = np.flatnonzero((x < 1 - 1e-9).all(axis=1))
    if len(fractional) > 6:
        return None
    best, best_value = None, -np.inf
    for options in itertools.product(range(x.shape[1]), repeat=len(fractional)):
        candidate = base.copy()
        candidate[fractional] = options
        total, _, ok, _ = evaluate(candidate, value, cost, budget, labels, shares)
        if ok and total > best_value:
            best, best_value = candidate, total
    return best


def _fill(
    choice: np.ndarray,
    steps: list[tuple[float, int, int, int, float]],
    cost: np.ndarray,
    budget: float,
    labels: np.ndarray,
    shares: Mapping[str, float],
) -> np.ndarray:
    """``choice`` improved by the greedy's upgrades that still fit the budget and keep every
    fairness share that holds (an allocation that breaks one is returned as it is)."""
    choice = choice.copy()
    rows = np.arange(len(choice))
    spend = cost[rows, choice]
    total = float(spend.sum())
    groups = {g: float(spend[labels == g].sum()) for g in shares}
    if total > budget or any(groups[g] < s * total - 1e-9 for g, s in shares.items()):
        return choice
    for _, i, src, dst, extra in steps:
        if choice[i] != src or total + extra > budget:
            continue
        mine = labels[i]
        if any(groups[g] - s * total < s * extra - 1e-9 for g, s in shares.items() if g != mine):
            continue
        choice[i] = dst
        total += extra
        if mine in groups:
            groups[mine] += extra
    return choice


def _drop_fractional(x: np.ndarray) -> np.ndarray:
    """The LP's allocation with its fractional merchants given no offer."""
    whole = (x >= 1 - 1e-9).any(axis=1)
    return np.where(whole, x.argmax(axis=1), 0).astype(np.int64)


def lp_bound(
    value: np.ndarray,
    cost: np.ndarray,
    budget: float,
    groups: Sequence[str] | np.ndarray | None = None,
    min_share: Mapping[str, float] | None = None,
) -> float:
    """The value of the linear relaxation: no allocation can do better."""
    value, cost = _check(value, cost)
    m = value.shape[0]
    if m == 0:  # no merchant: nothing to relax (linprog refuses an empty problem)
        return 0.0
    objective, constraints = _matrices(
        value, cost, budget, _groups(groups, m), dict(min_share or {})
    )
    upper = [constraints[1].A, *(-c.A for c in constraints[2:])]
    limits = [budget, *(0.0 for _ in constraints[2:])]
    result = linprog(
        objective,
        A_ub=sparse.vstack(upper, format="csr"),
        b_ub=np.array(limits),
        A_eq=constraints[0].A,
        b_eq=np.ones(m),
        bounds=(0, 1),
        method="highs-ipm",
    )
    if result.status != 0:
        raise ValidationError(f"the relaxation has no solution: {result.message}")
    return float(-result.fun)


def greedy(
    value: np.ndarray,
    cost: np.ndarray,
    budget: float,
    groups: Sequence[str] | np.ndarray | None = None,
    min_share: Mapping[str, float] | None = None,
    steps: list[tuple[float, int, int, int, float]] | None = None,
) -> Allocation:
    """The greedy rule (see the module's docstring): reserve each group's minimum share of the
    budget for its own merchants' best upgrades, then spend the rest on the best upgrades of
    anyone. Its ``feasible`` says whether the shares held in the end."""
    value, cost = _check(value, cost)
    m, _ = value.shape
    labels = _groups(groups, m)
    shares = dict(min_share or {})
    start = time.perf_counter()
    upgrades = steps if steps is not None else _upgrades(value, cost)
    choice = np.zeros(m, dtype=np.int64)
    spent = 0.0
    for group, share in shares.items():
        members = labels == group
        mine = [u for u in upgrades if members[u[1]]]
        spent = _take(mine, choice, min(budget, spent + share * budget), spent)
    _take(upgrades, choice, budget, spent)
    total, total_cost, ok, by_group = evaluate(choice, value, cost, budget, labels, shares)
    return Allocation(
        "greedy", choice, total, total_cost, ok, time.perf_counter() - start, by_group
    )


def _upgrades(value: np.ndarray, cost: np.ndarray) -> list[tuple[float, int, int, int, float]]:
    """Every merchant's steps up its efficient frontier (the upper convex hull of its options
    by cost), from option 0, as (value per cost, merchant, from option, to option, extra cost),
    best first. Vectorised over merchants (a few passes over the options)."""
    m, j = value.shape
    order = np.lexsort((-value, cost), axis=1)
    c = np.take_along_axis(cost, order, axis=1)
    v = np.take_along_axis(value, order, axis=1)
    best_before = np.concatenate(
        [np.full((m, 1), -np.inf), np.maximum.accumulate(v, axis=1)[:, :-1]], axis=1
    )
    keep = v > best_before  # worth more than every cheaper option
    index = np.broadcast_to(np.arange(j), (m, j))
    rows = np.arange(m)
    for _ in range(j):
        before = np.where(keep, index, -1)
        prev = np.concatenate(
            [np.full((m, 1), -1), np.maximum.accumulate(before, axis=1)[:, :-1]], axis=1
        )
        after = np.where(keep, index, j)
        nxt = np.concatenate(
            [np.minimum.accumulate(after[:, ::-1], axis=1)[:, ::-1][:, 1:], np.full((m, 1), j)],
            axis=1,
        )
        inner = keep & (prev >= 0) & (nxt < j)
        p, n = np.clip(prev, 0, j - 1), np.clip(nxt, 0, j - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            slope_in = (v - np.take_along_axis(v, p, 1)) / (c - np.take_along_axis(c, p, 1))
            slope_out = (np.take_along_axis(v, n, 1) - v) / (np.take_along_axis(c, n, 1) - c)
        under = inner & (slope_out >= slope_in)
        if not under.any():
            break
        hit = under.any(axis=1)
        keep[rows[hit], under[hit].argmax(axis=1)] = False  # one point per merchant per pass
    c0, v0 = cost[:, :1], value[:, :1]
    target = keep & (c >= c0) & (v > v0) & (order != 0)
    src_position = np.concatenate(
        [np.full((m, 1), -1), np.maximum.accumulate(np.where(target, index, -1), axis=1)[:, :-1]],
        axis=1,
    )
    merchant, position = np.nonzero(target)
    previous = src_position[merchant, position]
    src = np.where(previous >= 0, order[merchant, np.maximum(previous, 0)], 0)
    dst = order[merchant, position]
    extra = cost[merchant, dst] - cost[merchant, src]
    gain = value[merchant, dst] - value[merchant, src]
    with np.errstate(divide="ignore"):
        ratio = np.where(extra > 0, gain / np.where(extra > 0, extra, 1.0), np.inf)
    ranked = np.lexsort((dst, merchant, -ratio))
    return list(
        zip(
            ratio[ranked].tolist(), merchant[ranked].tolist(), src[ranked].tolist(),
            dst[ranked].tolist(), extra[ranked].tolist(), strict=True,
        )
    )  # fmt: skip


def _take(
    steps: list[tuple[float, int, int, int, float]], choice: np.ndarray, limit: float, spent: float
) -> float:
    """Take the steps in order while the spend stays within ``limit``; a merchant's later
    steps follow only from the option it holds (one that did not fit ends its climb)."""
    for _, i, src, dst, extra in steps:
        if choice[i] != src or spent + extra > limit + TOLERANCE:
            continue
        choice[i] = dst
        spent += extra
    return spent


# -- the tables from the simulation -----------------------------------------------------------


@dataclass(frozen=True)
class Offers:
    """Per merchant and offer level: expected cost and expected incremental LIVE GMV."""

    levels: list[float]
    cost: np.ndarray
    value: np.ndarray


def offers(
    program: Program,
    past: History,
    response: Response,
    levels: Sequence[float] = (0.5, 1.0, 1.5),
    elasticity: float = 0.5,
    draws: int = 500,
    seed: int = 0,
    currency: str = "IDR",
) -> Offers:
    """The offer table: level 0 (no offer) then each level, which scales the program's
    rewards and caps; the response at a level is ``uplift × level^elasticity`` (smaller
    offers move merchants less), with the same random draws at every level. Pool and tier
    caps are left to the budget constraint (the merchant cap scales with the level)."""
    program = program.model_copy(
        update={"caps": program.caps.model_copy(update={"tier": {}, "pool": None})}
    )
    m = len(past.merchants.sellers)
    all_levels = [0.0, *levels]
    cost = np.zeros((m, len(all_levels)))
    value = np.zeros((m, len(all_levels)))
    for j, level in enumerate(all_levels):
        if level == 0:
            continue
        rng = np.random.default_rng(seed)
        grown = Response(response.uplift * level**elasticity, response.sd)
        base, treated = _draw(past, grown, draws, rng)
        result = _cost(program, past, base, treated, currency, level)
        cost[:, j] = result.merchant_cost
        value[:, j] = np.maximum(result.merchant_gmv, 0.0)
    return Offers(all_levels, cost, value)
