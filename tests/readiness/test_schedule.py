"""The critical-path method against schedules computed by hand, cycles refused with the
cycle named, and properties over random DAGs checked against an independent longest-path
computation."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pasar.kit.errors import ValidationError
from pasar.readiness.schedule import (
    Activity,
    CycleError,
    compute,
    cycle_if_added,
    graph_of,
    shifts,
)

# A launch in miniature (days):
#   A write the SOP 3 ─┬─> C train agents 2 ─┐
#   B hire agents   5 ─┘                     ├─> E go-live (milestone, 0)
#   D set up chat   4 ───────────────────────┘
#   A ──> F comms plan 1
# By hand: A 0–3, B 0–5, C 5–7, D 0–4, F 3–4, E 7–7; the project takes 7 days.
# Backward: E 7–7, C 5–7, B 0–5 (slack 0); A must end by 5 (C) → slack 2; D by 7 → slack 3;
# F by 7 → slack 3. Critical path B → C → E.
A, B, C, D, E, F = 1, 2, 3, 4, 5, 6
EDGES = [(A, C), (B, C), (C, E), (D, E), (A, F)]


def plan(durations: dict[int, int], releases: dict[int, int] | None = None) -> list[Activity]:
    releases = releases or {}
    return [Activity(i, d, releases.get(i, 0)) for i, d in durations.items()]


BASE = {A: 3, B: 5, C: 2, D: 4, E: 0, F: 1}


def test_parallel_paths_by_hand() -> None:
    s = compute(plan(BASE), EDGES)
    assert s.finish == 7
    expected = {  # early start, early finish, late start, late finish
        A: (0, 3, 2, 5),
        B: (0, 5, 0, 5),
        C: (5, 7, 5, 7),
        D: (0, 4, 3, 7),
        E: (7, 7, 7, 7),
        F: (3, 4, 6, 7),
    }
    got = {
        i: (t.early_start, t.early_finish, t.late_start, t.late_finish)
        for i, t in s.timings.items()
    }
    assert got == expected
    assert {i: t.slack for i, t in s.timings.items()} == {A: 2, B: 0, C: 0, D: 3, E: 0, F: 3}
    assert s.critical_path == [B, C, E]


def test_two_critical_paths_of_equal_length() -> None:
    # A takes as long as B: both chains into C are critical; the path names the lower id
    s = compute(plan({**BASE, A: 5}), EDGES)
    assert s.finish == 7
    assert {i for i, t in s.timings.items() if t.slack == 0} == {A, B, C, E}
    assert s.critical_path == [A, C, E]
    assert s.timings[F].slack == 1  # F (after A, 5–6) may end at 7


def test_a_slipped_critical_task_delays_everything_after_it() -> None:
    before = compute(plan(BASE), EDGES)
    after = compute(plan({**BASE, B: 7}), EDGES)  # hiring takes two days more
    assert after.finish == 9
    moved = {
        m.id: (m.start_before, m.start_after, m.finish_before, m.finish_after)
        for m in shifts(before, after)
    }
    assert moved == {B: (0, 0, 5, 7), C: (5, 7, 7, 9), E: (7, 9, 7, 9)}
    assert after.critical_path == [B, C, E]
    assert (after.timings[A].slack, after.timings[D].slack) == (4, 5)


def test_a_slip_within_slack_moves_only_its_own_chain() -> None:
    before = compute(plan(BASE), EDGES)
    after = compute(plan({**BASE, A: 5}), EDGES)  # the SOP takes two days more: A had 2
    assert after.finish == before.finish == 7
    assert {m.id: m.days for m in shifts(before, after)} == {A: 2, F: 2}
    assert after.timings[A].slack == 0 and after.timings[F].slack == 1


def test_a_slip_beyond_slack_delays_by_the_excess_only() -> None:
    after = compute(plan({**BASE, D: 6}), EDGES)  # D had 3 days of slack; slips by 2
    assert after.finish == 7
    after = compute(plan({**BASE, D: 9}), EDGES)  # slips by 5: 2 beyond its slack
    assert after.finish == 9
    assert after.critical_path == [D, E]


def test_a_release_date_holds_a_task_back() -> None:
    # D cannot start before day 5 (its planned start): it then drives the go-live
    s = compute(plan(BASE, {D: 5}), EDGES)
    assert (s.timings[D].early_start, s.timings[D].early_finish) == (5, 9)
    assert s.finish == 9 and s.critical_path == [D, E]
    assert s.timings[B].slack == 2


def test_a_cycle_is_refused_and_named() -> None:
    with pytest.raises(CycleError) as info:
        compute(plan(BASE), [*EDGES, (E, B)])
    assert info.value.cycle == [B, C, E, B]
    assert "task 2 → task 3 → task 5 → task 2" in str(info.value)
    graph = graph_of(plan(BASE), EDGES)
    assert cycle_if_added(graph, E, A) == [E, A, C, E]
    assert cycle_if_added(graph, C, C) == [C, C]
    assert cycle_if_added(graph, D, F) is None


def test_unknown_tasks_in_edges_are_refused() -> None:
    with pytest.raises(ValidationError, match="unknown task 9"):
        compute(plan(BASE), [(A, 9)])


def test_an_empty_program() -> None:
    s = compute([], [])
    assert (s.finish, s.critical_path, s.timings) == (0, [], {})


@st.composite
def dags(draw: st.DrawFn) -> tuple[list[Activity], list[tuple[int, int]]]:
    """Random DAGs: edges only from a lower to a higher index of a shuffled order."""
    n = draw(st.integers(1, 25))
    durations = draw(st.lists(st.integers(0, 12), min_size=n, max_size=n))
    ids = draw(st.permutations(list(range(100, 100 + n))))
    edges = [
        (ids[i], ids[j])
        for i in range(n)
        for j in range(i + 1, n)
        if draw(st.booleans()) and draw(st.booleans())  # about a quarter of the pairs
    ]
    return [Activity(ids[i], durations[i]) for i in range(n)], edges


def longest_path(activities: list[Activity], edges: list[tuple[int, int]]) -> int:
    """The project's duration by brute dynamic programming over every path (no networkx)."""
    duration = {a.id: a.duration for a in activities}
    into: dict[int, list[int]] = {a.id: [] for a in activities}
    for before, after in edges:
        into[after].append(before)
    memo: dict[int, int] = {}

    def finish(node: int) -> int:
        if node not in memo:
            memo[node] = duration[node] + max((finish(p) for p in into[node]), default=0)
        return memo[node]

    return max(finish(a.id) for a in activities)


@settings(max_examples=150, deadline=None)
@given(dags())
def test_random_dags(dag: tuple[list[Activity], list[tuple[int, int]]]) -> None:
    activities, edges = dag
    s = compute(activities, edges)
    duration = {a.id: a.duration for a in activities}
    assert s.finish == longest_path(activities, edges)
    for timing in s.timings.values():
        assert timing.slack >= 0
        assert timing.early_finish <= timing.late_finish <= s.finish
    path = s.critical_path
    assert sum(duration[i] for i in path) == s.finish
    assert all((a, b) in set(edges) for a, b in itertools.pairwise(path))
    assert all(s.timings[i].slack == 0 for i in path)
    assert s.timings[path[0]].early_start == 0 and s.timings[path[-1]].early_finish == s.finish
    for before, after in edges:  # finish-to-start holds, early and late
        assert s.timings[before].early_finish <= s.timings[after].early_start
        assert s.timings[before].late_finish <= s.timings[after].late_start


@settings(max_examples=60, deadline=None)
@given(dags(), st.data())
def test_random_dags_with_release_dates(
    dag: tuple[list[Activity], list[tuple[int, int]]], data: st.DataObject
) -> None:
    activities, edges = dag
    held = [
        Activity(a.id, a.duration, data.draw(st.integers(0, 20), label=f"release {a.id}"))
        for a in activities
    ]
    s = compute(held, edges)
    for activity in held:
        timing = s.timings[activity.id]
        assert timing.slack >= 0 and timing.early_start >= activity.release
    assert s.finish == max(t.early_finish for t in s.timings.values())
