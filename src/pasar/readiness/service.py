"""Programs, their tasks and dependencies, and their schedule in dates: what each task's
forecast is, which tasks are critical, and what a change to a task would delay before it is
saved. Every change is audited; nothing here commits.

Example::

    program = create_program(session, "Live chat pilot", "dewi", dt.date(2026, 11, 2),
                             dt.date(2026, 12, 14), ["Makassar"], actor="user:dewi")
    sop = add_task(session, program.id, "Write the SOP", "dewi", "Service design",
                   dt.date(2026, 11, 2), dt.date(2026, 11, 6), actor="user:dewi")
    impact = preview_task_change(session, sop.id, due_on=dt.date(2026, 11, 11))
    impact.moved        # the downstream tasks that would start and finish later
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pasar.audit.service import audit, snapshot
from pasar.governance.recording import record_new
from pasar.kit.errors import ConflictError, NotFoundError, ValidationError
from pasar.kit.text import written
from pasar.kit.versioning import expect_version
from pasar.readiness import repository as repo
from pasar.readiness.models import PROGRAM_STATUSES, TASK_STATUSES, Dependency, Program, Task
from pasar.readiness.schedule import (
    Activity,
    CycleError,
    Schedule,
    compute,
    cycle_if_added,
    graph_of,
)

NAME = 200
MAX_DAYS = 3660  # no plan runs longer than ten years


def _name(text: str, field: str, limit: int = NAME) -> str:
    return written(text, field, limit=limit)


def _centers(centers: Sequence[str]) -> list[str]:
    kept = sorted({written(c, "centers", limit=100, what="a center") for c in centers})
    return kept


def _dates(first: dt.date, last: dt.date, first_field: str, last_field: str) -> None:
    if last < first:
        raise ValidationError(
            f"{last_field} {last} is before {first_field} {first}", field=last_field
        )
    if (last - first).days > MAX_DAYS:
        raise ValidationError(
            f"{last_field} is more than ten years after {first_field}", field=last_field
        )


# -- programs -----------------------------------------------------------------------------------


def create_program(
    session: Session,
    name: str,
    owner: str,
    starts_on: dt.date,
    launch_on: dt.date,
    centers: Sequence[str],
    *,
    description: str = "",
    actor: str,
) -> Program:
    """A new program in ``planning``; ``centers`` are its pilot centers (what gates check)."""
    name = _name(name, "name")
    _dates(starts_on, launch_on, "starts_on", "launch_on")
    if session.scalar(select(Program.id).where(Program.name == name)) is not None:
        raise ConflictError(f"a program called {name!r} already exists", field="name")
    program = Program(
        name=name,
        owner=_name(owner, "owner"),
        starts_on=starts_on,
        launch_on=launch_on,
        centers=_centers(centers),
        description=description.strip() and written(description, "description", limit=10_000),
        status="planning",
        created_by=actor,
    )
    return record_new(
        session, program, "readiness_program", actor=actor, action="readiness.program.created"
    )


def update_program(
    session: Session,
    program_id: int,
    *,
    actor: str,
    seen_version: int | None = None,
    owner: str | None = None,
    launch_on: dt.date | None = None,
    centers: Sequence[str] | None = None,
    description: str | None = None,
    status: str | None = None,
) -> Program:
    """Change a program's owner, launch date, pilot centers, description or status (``ready``
    is set by :func:`pasar.readiness.gates.mark_ready`, which checks the gates)."""
    program = repo.get(session, Program, program_id, lock=True)
    if seen_version is not None:
        expect_version(program, seen_version)
    before = snapshot(program)
    if owner is not None:
        program.owner = _name(owner, "owner")
    if launch_on is not None:
        _dates(program.starts_on, launch_on, "starts_on", "launch_on")
        program.launch_on = launch_on
    if centers is not None:
        program.centers = _centers(centers)
    if description is not None:
        program.description = description.strip() and written(
            description, "description", limit=10_000
        )
    if status is not None:
        if status not in PROGRAM_STATUSES:
            raise ValidationError(
                f"status {status!r}: use {', '.join(PROGRAM_STATUSES)}", field="status"
            )
        if status == "ready":
            raise ValidationError(
                "mark a program ready with `readiness ready`: its gates are checked first",
                field="status",
            )
        if status == "launched" and program.status != "ready":
            raise ConflictError(
                f"program {program.name!r} is {program.status}: mark it ready before launching",
                field="status",
            )
        program.status = status
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="readiness.program.updated",
        entity_type="readiness_program",
        entity_id=str(program.id),
        before=before,
        after=snapshot(program),
    )
    return program


# -- tasks and dependencies ---------------------------------------------------------------------


def add_task(
    session: Session,
    program_id: int,
    name: str,
    owner: str,
    team: str,
    start_on: dt.date,
    due_on: dt.date,
    *,
    milestone: bool = False,
    effort_days: float | None = None,
    predecessors: Sequence[int] = (),
    actor: str,
) -> Task:
    """A new task (its ``due_on`` is also its baseline), after ``predecessors``."""
    program = repo.get(session, Program, program_id)
    name = _name(name, "name")
    if any(t.name == name for t in repo.tasks_of(session, program.id)):
        raise ConflictError(f"program {program.name!r} already has a task {name!r}", field="name")
    due_on = start_on if milestone else due_on
    _dates(start_on, due_on, "start_on", "due_on")
    task = Task(
        program_id=program.id,
        name=name,
        owner=_name(owner, "owner"),
        team=_name(team, "team", 100),
        start_on=start_on,
        due_on=due_on,
        baseline_due_on=due_on,
        milestone=milestone,
        status="todo",
        effort_days=_effort(effort_days),
    )
    record_new(
        session,
        task,
        "readiness_task",
        actor=actor,
        action="readiness.task.created",
        context={"program": program.id},
    )
    for predecessor in predecessors:
        add_dependency(session, predecessor, task.id, actor=actor)
    return task


def _effort(value: float | None) -> float | None:
    if value is None:
        return None
    if not 0 <= value <= 10_000:
        raise ValidationError(
            "effort_days must be between 0 and 10,000 person-days", field="effort_days"
        )
    return float(value)


def add_dependency(
    session: Session, predecessor_id: int, successor_id: int, *, actor: str
) -> Dependency:
    """``successor`` waits for ``predecessor``; refused (naming the loop) if it would close a
    cycle, and between tasks of different programs."""
    before = repo.get(session, Task, predecessor_id)
    after = repo.get(session, Task, successor_id)
    if before.program_id != after.program_id:
        raise ValidationError(
            f"task {before.name!r} and task {after.name!r} belong to different programs",
            field="predecessor",
        )
    tasks = {t.id: t for t in repo.tasks_of(session, before.program_id)}
    edges = [
        (d.predecessor_id, d.successor_id) for d in repo.dependencies_of(session, before.program_id)
    ]
    if (before.id, after.id) in edges:
        raise ConflictError(
            f"{after.name!r} already waits for {before.name!r}", field="predecessor"
        )
    graph = graph_of([Activity(t, 0) for t in tasks], edges)
    cycle = cycle_if_added(graph, before.id, after.id)
    if cycle is not None:
        names = " → ".join(tasks[i].name for i in cycle)
        raise CycleError(
            f"{after.name!r} cannot wait for {before.name!r}: that would make a cycle {names}",
            cycle,
        )
    dependency = Dependency(
        program_id=before.program_id,
        predecessor_id=before.id,
        successor_id=after.id,
        created_by=actor,
    )
    return record_new(
        session,
        dependency,
        "readiness_dependency",
        actor=actor,
        action="readiness.dependency.added",
        context={"predecessor": before.name, "successor": after.name},
    )


def remove_dependency(
    session: Session, predecessor_id: int, successor_id: int, *, actor: str
) -> None:
    """``successor`` no longer waits for ``predecessor``."""
    found = session.scalar(
        select(Dependency).where(
            Dependency.predecessor_id == predecessor_id, Dependency.successor_id == successor_id
        )
    )
    if found is None:
        raise NotFoundError(f"task {successor_id} does not wait for task {predecessor_id}")
    audit.record(
        session,
        actor=actor,
        action="readiness.dependency.removed",
        entity_type="readiness_dependency",
        entity_id=str(found.id),
        before=snapshot(found),
    )
    session.execute(delete(Dependency).where(Dependency.id == found.id))


# -- the schedule in dates ----------------------------------------------------------------------


@dataclass(frozen=True)
class TaskPlan:
    """One task with its forecast: the earliest start and finish its predecessors allow."""

    task: Task
    start: dt.date
    finish: dt.date
    late_finish: dt.date
    slack: int
    critical: bool
    predecessors: list[int]

    @property
    def late_days(self) -> int:
        """Days the forecast finish falls after the due date."""
        return max(0, (self.finish - self.task.due_on).days)

    @property
    def slip_days(self) -> int:
        """Days the due date moved past its baseline."""
        return max(0, (self.task.due_on - self.task.baseline_due_on).days)

    def overdue(self, today: dt.date) -> bool:
        return self.task.status != "done" and self.task.due_on < today

    def slipped(self, today: dt.date) -> bool:
        """Re-planned later, forecast past its due date, or overdue."""
        return self.late_days > 0 or self.slip_days > 0 or self.overdue(today)


@dataclass(frozen=True)
class ProgramPlan:
    """A program's schedule: each task's forecast, the finish, the critical path."""

    program: Program
    base: dt.date
    schedule: Schedule
    tasks: list[TaskPlan]

    @property
    def finish(self) -> dt.date | None:
        return max((t.finish for t in self.tasks), default=None)

    @property
    def critical_path(self) -> list[Task]:
        by_id = {t.task.id: t.task for t in self.tasks}
        return [by_id[i] for i in self.schedule.critical_path]

    @property
    def days_to_spare(self) -> int | None:
        """Days between the forecast finish and the launch date (negative: late)."""
        return None if self.finish is None else (self.program.launch_on - self.finish).days

    def plan_of(self, task_id: int) -> TaskPlan:
        for plan in self.tasks:
            if plan.task.id == task_id:
                return plan
        raise NotFoundError(f"no task {task_id} in program {self.program.name!r}")


def _activity(
    task: Task,
    base: dt.date,
    today: dt.date | None,
    start_on: dt.date | None = None,
    due_on: dt.date | None = None,
    milestone: bool | None = None,
) -> Activity:
    """The task as the schedule sees it. A done task keeps its actual finish; with a status
    date ``today``, a task not started cannot start before it and one under way cannot
    finish before it."""
    start = start_on or task.start_on
    due = due_on or task.due_on
    is_milestone = task.milestone if milestone is None else milestone
    if task.status == "done" and task.done_on is not None and task.done_on >= start:
        due = task.done_on if not (start_on or due_on) else due
    duration = 0 if is_milestone else (due - start).days + 1
    if today is not None and task.status != "done":
        if task.status == "todo" or is_milestone:
            start = max(start, today)
        else:
            duration = max(duration, (today - start).days + 1)
    return Activity(task.id, duration, (start - base).days)


def _plan(
    program: Program,
    tasks: Sequence[Task],
    edges: list[tuple[int, int]],
    activities: Sequence[Activity],
    base: dt.date,
) -> ProgramPlan:
    schedule = _compute(tasks, activities, edges)
    predecessors: dict[int, list[int]] = {t.id: [] for t in tasks}
    for before, after in edges:
        predecessors[after].append(before)
    durations = {a.id: a.duration for a in activities}
    plans = []
    for task in tasks:
        timing = schedule.timings[task.id]
        last = 0 if durations[task.id] == 0 else 1
        plans.append(
            TaskPlan(
                task=task,
                start=base + dt.timedelta(days=timing.early_start),
                finish=base + dt.timedelta(days=timing.early_finish - last),
                late_finish=base + dt.timedelta(days=timing.late_finish - last),
                slack=timing.slack,
                critical=timing.slack == 0,
                predecessors=predecessors[task.id],
            )
        )
    plans.sort(key=lambda p: (p.start, p.finish, p.task.id))
    return ProgramPlan(program, base, schedule, plans)


def _compute(
    tasks: Sequence[Task], activities: Sequence[Activity], edges: list[tuple[int, int]]
) -> Schedule:
    try:
        return compute(activities, edges)
    except CycleError as exc:  # stored dependencies are acyclic; name the tasks all the same
        names = {t.id: t.name for t in tasks}
        raise CycleError(
            "the dependencies form a cycle: " + " → ".join(names[i] for i in exc.cycle), exc.cycle
        ) from exc


def _base(program: Program, tasks: Sequence[Task], extra: Sequence[dt.date] = ()) -> dt.date:
    return min([program.starts_on, *(t.start_on for t in tasks), *extra])


def program_plan(session: Session, program_id: int, today: dt.date | None = None) -> ProgramPlan:
    """The forecast schedule of a program's tasks (as of the status date ``today``: work not
    done cannot happen before it; ``None`` plans from the planned dates alone)."""
    program = repo.get(session, Program, program_id)
    tasks = list(repo.tasks_of(session, program.id))
    edges = [(d.predecessor_id, d.successor_id) for d in repo.dependencies_of(session, program.id)]
    base = _base(program, tasks)
    return _plan(program, tasks, edges, [_activity(t, base, today) for t in tasks], base)


@dataclass(frozen=True)
class Moved:
    """A task whose forecast would move, and whether it would then miss its due date."""

    task: Task
    start_before: dt.date
    start_after: dt.date
    finish_before: dt.date
    finish_after: dt.date
    late_after: int

    @property
    def days(self) -> int:
        return (self.finish_after - self.finish_before).days


@dataclass(frozen=True)
class Impact:
    """What a change to one task would do to the program, computed before it is saved."""

    task: Task
    changes: dict[str, tuple[Any, Any]]
    moved: list[Moved]
    finish_before: dt.date | None
    finish_after: dt.date | None
    launch_on: dt.date
    after: ProgramPlan = field(repr=False)

    @property
    def downstream(self) -> list[Moved]:
        """The other tasks that would move."""
        return [m for m in self.moved if m.task.id != self.task.id]

    @property
    def delay(self) -> int:
        """Days the program's finish would move (negative: earlier)."""
        if self.finish_before is None or self.finish_after is None:
            return 0
        return (self.finish_after - self.finish_before).days

    @property
    def misses_launch(self) -> bool:
        return self.finish_after is not None and self.finish_after > self.launch_on


def preview_task_change(
    session: Session,
    task_id: int,
    *,
    start_on: dt.date | None = None,
    due_on: dt.date | None = None,
    milestone: bool | None = None,
    today: dt.date | None = None,
) -> Impact:
    """What moving a task's dates would delay downstream, without changing anything
    (``today``: the status date, as for :func:`program_plan`)."""
    task = repo.get(session, Task, task_id)
    program = repo.get(session, Program, task.program_id)
    tasks = list(repo.tasks_of(session, program.id))
    edges = [(d.predecessor_id, d.successor_id) for d in repo.dependencies_of(session, program.id)]
    new_start = start_on or task.start_on
    new_milestone = task.milestone if milestone is None else milestone
    new_due = new_start if new_milestone else (due_on or task.due_on)
    _dates(new_start, new_due, "start_on", "due_on")
    base = _base(program, tasks, [new_start])
    before = _plan(program, tasks, edges, [_activity(t, base, today) for t in tasks], base)
    changed = [
        _activity(t, base, today, new_start, new_due, new_milestone)
        if t.id == task.id
        else _activity(t, base, today)
        for t in tasks
    ]
    after = _plan(program, tasks, edges, changed, base)
    moved = []
    for old in before.tasks:
        new = after.plan_of(old.task.id)
        if (new.start, new.finish) != (old.start, old.finish):
            due = new_due if old.task.id == task.id else old.task.due_on
            moved.append(
                Moved(
                    old.task,
                    old.start,
                    new.start,
                    old.finish,
                    new.finish,
                    max(0, (new.finish - due).days),
                )
            )
    moved.sort(key=lambda m: (-abs(m.days), m.start_after, m.task.id))
    changes = {
        name: (old, new)
        for name, old, new in (
            ("start_on", task.start_on, new_start),
            ("due_on", task.due_on, new_due),
            ("milestone", task.milestone, new_milestone),
        )
        if old != new
    }
    return Impact(task, changes, moved, before.finish, after.finish, program.launch_on, after)


def update_task(
    session: Session,
    task_id: int,
    *,
    actor: str,
    seen_version: int | None = None,
    name: str | None = None,
    owner: str | None = None,
    team: str | None = None,
    start_on: dt.date | None = None,
    due_on: dt.date | None = None,
    milestone: bool | None = None,
    effort_days: float | None = None,
    status: str | None = None,
    on: dt.date | None = None,
    today: dt.date | None = None,
    shift_downstream: bool = False,
) -> Impact:
    """Save a change to a task; returns what it delayed. ``shift_downstream`` also moves the
    planned dates of the tasks it pushes to their new forecast (each audited)."""
    task = repo.get(session, Task, task_id, lock=True)
    if seen_version is not None:
        expect_version(task, seen_version)
    impact = preview_task_change(
        session, task.id, start_on=start_on, due_on=due_on, milestone=milestone, today=today
    )
    before = snapshot(task)
    if name is not None and name.strip() != task.name:
        new_name = _name(name, "name")
        if any(t.name == new_name for t in repo.tasks_of(session, task.program_id)):
            raise ConflictError(f"the program already has a task {new_name!r}", field="name")
        task.name = new_name
    if owner is not None:
        task.owner = _name(owner, "owner")
    if team is not None:
        task.team = _name(team, "team", 100)
    for key, (_old, new) in impact.changes.items():
        setattr(task, key, new)
    if effort_days is not None:
        task.effort_days = _effort(effort_days)
    if status is not None:
        if status not in TASK_STATUSES:
            raise ValidationError(
                f"status {status!r}: use {', '.join(TASK_STATUSES)}", field="status"
            )
        task.status = status
        task.done_on = (on or dt.date.today()) if status == "done" else None
    session.flush()
    context = {"delay_days": impact.delay, "moved": [m.task.name for m in impact.downstream]}
    audit.record(
        session,
        actor=actor,
        action="readiness.task.updated",
        entity_type="readiness_task",
        entity_id=str(task.id),
        before=before,
        after=snapshot(task),
        context=context,
    )
    if shift_downstream:
        for moved in impact.downstream:
            _shift(session, moved, actor, task)
    return impact


def _shift(session: Session, moved: Moved, actor: str, cause: Task) -> None:
    """Move a pushed task's planned dates to its new forecast (its baseline stays)."""
    task = moved.task
    if moved.start_after <= task.start_on:
        return
    before = snapshot(task)
    task.start_on, task.due_on = moved.start_after, moved.finish_after
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="readiness.task.rescheduled",
        entity_type="readiness_task",
        entity_id=str(task.id),
        reason=f"pushed by {cause.name!r}",
        before=before,
        after=snapshot(task),
    )
