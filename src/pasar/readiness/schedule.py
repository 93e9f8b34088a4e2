"""The critical-path method over a program's task graph (a DAG, kept in networkx).

Times are whole days counted from the program's first day; an activity occupies
``[start, start + duration)`` and a successor may start on the day its predecessor's finish
offset names (finish-to-start). An activity may also have a ``release``: the earliest day it
may start (its planned start date), whatever its predecessors.

* forward pass: ``early_start = max(release, early_finish of every predecessor)``;
* the project's duration is the latest early finish;
* backward pass: ``late_finish = min(late_start of every successor)`` (the project's duration
  for the last ones), ``late_start = late_finish - duration``;
* slack is ``late_start - early_start`` (never negative), and the critical path is the chain
  of zero-slack activities that drives the project's finish.

Example:
    >>> s = compute([Activity(1, 3), Activity(2, 2), Activity(3, 4)], [(1, 3), (2, 3)])
    >>> s.finish, s.critical_path, s.timings[2].slack
    (7, [1, 3], 1)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import networkx as nx  # type: ignore[import-untyped]

from pasar.kit.errors import ValidationError


class CycleError(ValidationError):
    """Dependencies that would loop; ``cycle`` lists the activities, first one repeated."""

    def __init__(self, message: str, cycle: Sequence[int]) -> None:
        super().__init__(message, field="predecessor")
        self.cycle = list(cycle)


@dataclass(frozen=True)
class Activity:
    """A task as the schedule sees it: ``duration`` days, startable from day ``release``."""

    id: int
    duration: int
    release: int = 0


@dataclass(frozen=True)
class Timing:
    """When an activity can run: earliest and latest start and finish (finish exclusive)."""

    early_start: int
    early_finish: int
    late_start: int
    late_finish: int

    @property
    def slack(self) -> int:
        """Days the activity may slip without delaying the project."""
        return self.late_start - self.early_start


@dataclass(frozen=True)
class Schedule:
    """The timings of every activity, the project's duration and its critical path."""

    timings: dict[int, Timing]
    finish: int
    critical_path: list[int]

    def critical(self, activity: int) -> bool:
        return self.timings[activity].slack == 0


def graph_of(activities: Iterable[Activity], edges: Iterable[tuple[int, int]]) -> nx.DiGraph:
    """The dependency graph; :class:`CycleError` naming the cycle when there is one, and a
    :class:`ValidationError` for an edge naming an unknown activity."""
    graph = nx.DiGraph()
    for activity in activities:
        if activity.duration < 0:
            raise ValidationError(f"task {activity.id} has a negative duration", field="due_on")
        graph.add_node(activity.id, activity=activity)
    for before, after in edges:
        for node in (before, after):
            if node not in graph:
                raise ValidationError(f"dependency on unknown task {node}", field="predecessor")
        graph.add_edge(before, after)
    try:
        found = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return graph
    loop = [edge[0] for edge in found]
    first = loop.index(min(loop))  # the same cycle is named the same way every time
    cycle = [*loop[first:], *loop[:first], loop[first]]
    raise CycleError(f"the dependencies form a cycle: {_path(cycle)}", cycle)


def cycle_if_added(graph: nx.DiGraph, predecessor: int, successor: int) -> list[int] | None:
    """The cycle that the edge ``predecessor → successor`` would close (starting and ending
    with ``predecessor``), or ``None`` when it keeps the graph acyclic."""
    if predecessor == successor:
        return [predecessor, predecessor]
    if predecessor not in graph or successor not in graph:
        return None
    try:
        back = nx.shortest_path(graph, successor, predecessor)
    except nx.NetworkXNoPath:
        return None
    return [predecessor, *back]


def compute(activities: Sequence[Activity], edges: Iterable[tuple[int, int]]) -> Schedule:
    """The critical-path schedule of ``activities`` under ``edges`` (predecessor, successor)."""
    graph = graph_of(activities, edges)
    by_id = {a.id: a for a in activities}
    # ties between ready activities broken by id: the same input gives the same schedule
    order = list(nx.lexicographical_topological_sort(graph))
    early: dict[int, tuple[int, int]] = {}
    for node in order:
        activity = by_id[node]
        start = max([activity.release, *(early[p][1] for p in graph.predecessors(node))])
        early[node] = (start, start + activity.duration)
    finish = max((ef for _, ef in early.values()), default=0)
    late: dict[int, tuple[int, int]] = {}
    for node in reversed(order):
        successors = [late[s][0] for s in graph.successors(node)]
        late_finish = min(successors) if successors else finish
        late[node] = (late_finish - by_id[node].duration, late_finish)
    timings = {n: Timing(early[n][0], early[n][1], late[n][0], late[n][1]) for n in order}
    return Schedule(timings, finish, _critical_path(graph, timings, finish))


def _critical_path(graph: nx.DiGraph, timings: Mapping[int, Timing], finish: int) -> list[int]:
    """The zero-slack chain ending at the project's finish, walked back through the
    predecessors that drive each start (the smallest id when several do)."""
    candidates = {n for n, t in timings.items() if t.early_finish == finish and t.slack == 0}
    # the last of them: a zero-duration milestone after a task ends when the task does
    ends = sorted(n for n in candidates if not candidates & set(graph.successors(n)))
    if not ends:
        return []
    path = [ends[0]]
    while True:
        node = path[-1]
        driving = sorted(
            p
            for p in graph.predecessors(node)
            if timings[p].slack == 0 and timings[p].early_finish == timings[node].early_start
        )
        if not driving:
            return path[::-1]
        path.append(driving[0])


@dataclass(frozen=True)
class Shift:
    """How one activity's early start and finish move between two schedules."""

    id: int
    start_before: int
    start_after: int
    finish_before: int
    finish_after: int

    @property
    def days(self) -> int:
        return self.finish_after - self.finish_before


def shifts(before: Schedule, after: Schedule) -> list[Shift]:
    """The activities whose early start or finish differ, latest-moving first."""
    moved = [
        Shift(n, b.early_start, a.early_start, b.early_finish, a.early_finish)
        for n, b in before.timings.items()
        if (a := after.timings.get(n)) is not None
        and (a.early_start, a.early_finish) != (b.early_start, b.early_finish)
    ]
    return sorted(moved, key=lambda s: (-abs(s.days), s.start_after, s.id))


def _path(ids: Sequence[int]) -> str:
    return " → ".join(f"task {i}" for i in ids)
