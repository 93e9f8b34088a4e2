"""Programs and tasks in the store (SQLite and PostgreSQL): the schedule in dates against one
computed by hand, what a slipped task delays shown before saving, saving it with or without
moving the tasks it pushes, cycles refused by name, the status date, stale edits."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from pasar.audit.models import AuditEvent
from pasar.audit.service import audit
from pasar.kit.db import Database
from pasar.kit.errors import ConflictError, ValidationError
from pasar.readiness import service
from pasar.readiness.models import Dependency, Task
from pasar.readiness.schedule import CycleError


def d(day: int) -> dt.date:
    """Day ``day`` of November 2026."""
    return dt.date(2026, 11, day)


# The hand-computed plan of tests/readiness/test_schedule.py in dates (day 0 = 2 November):
#   A SOP 2–4, B hiring 2–6, C training 7–8 after A and B, D chat setup 2–5,
#   E go-live (milestone) 9 after C and D, F comms 5 after A.
PLAN = {
    "A": (d(2), d(4), False, []),
    "B": (d(2), d(6), False, []),
    "C": (d(7), d(8), False, ["A", "B"]),
    "D": (d(2), d(5), False, []),
    "E": (d(9), d(9), True, ["C", "D"]),
    "F": (d(5), d(5), False, ["A"]),
}


def build(store: Database, name: str) -> dict[str, int]:
    ids: dict[str, int] = {}
    with store.unit_of_work() as s:
        program = service.create_program(s, name, "dewi", d(2), d(12), ["Makassar"], actor="t")
        for task, (start, due, milestone, after) in PLAN.items():
            made = service.add_task(
                s,
                program.id,
                task,
                "owner",
                "team",
                start,
                due,
                milestone=milestone,
                predecessors=[ids[a] for a in after],
                actor="t",
            )
            ids[task] = made.id
        ids["program"] = program.id
    return ids


def test_the_schedule_in_dates_and_what_a_slip_delays(store: Database) -> None:
    ids = build(store, "Slip preview")
    names = {v: k for k, v in ids.items() if k != "program"}
    with store.unit_of_work() as s:
        plan = service.program_plan(s, ids["program"])
        got = {names[p.task.id]: (p.start, p.finish, p.slack) for p in plan.tasks}
        assert got == {
            "A": (d(2), d(4), 2),
            "B": (d(2), d(6), 0),
            "C": (d(7), d(8), 0),
            "D": (d(2), d(5), 3),
            "E": (d(9), d(9), 0),
            "F": (d(5), d(5), 3),
        }
        assert [t.name for t in plan.critical_path] == ["B", "C", "E"]
        assert (plan.finish, plan.days_to_spare) == (d(9), 3)
        impact = service.preview_task_change(s, ids["B"], due_on=d(8))  # hiring slips 2 days
        moved = {
            names[m.task.id]: (m.start_after, m.finish_after, m.days, m.late_after)
            for m in impact.moved
        }
        assert moved == {
            "B": (d(2), d(8), 2, 0),
            "C": (d(9), d(10), 2, 2),
            "E": (d(11), d(11), 2, 2),
        }
        assert [m.task.name for m in impact.downstream] == ["C", "E"]
        assert (impact.finish_before, impact.finish_after, impact.delay) == (d(9), d(11), 2)
        assert not impact.misses_launch
        assert impact.changes == {"due_on": (d(6), d(8))}
        within = service.preview_task_change(s, ids["D"], due_on=d(7))  # D has 3 days of slack
        assert [m.task.name for m in within.moved] == ["D"] and within.delay == 0
        late = service.preview_task_change(s, ids["D"], due_on=d(13))  # 8 days: 5 beyond
        assert late.delay == 5 and late.misses_launch
    with store.unit_of_work() as s:  # a preview saved nothing
        assert s.get(Task, ids["B"]).due_on == d(6)  # type: ignore[union-attr]
        assert not [
            e
            for e in audit.history(s, "readiness_task", str(ids["B"]))
            if e.action == "readiness.task.updated"
        ]
    with store.unit_of_work() as s:
        saved = service.update_task(s, ids["B"], actor="user:dewi", seen_version=1, due_on=d(8))
        assert saved.delay == 2
    with store.unit_of_work() as s:
        b = s.get(Task, ids["B"])
        assert b is not None and (b.due_on, b.baseline_due_on, b.version) == (d(8), d(6), 2)
        (event,) = [
            e
            for e in audit.history(s, "readiness_task", str(ids["B"]))
            if e.action == "readiness.task.updated"
        ]
        assert event.context == {"delay_days": 2, "moved": ["C", "E"]}
        assert event.before["due_on"] == "2026-11-06" and event.after["due_on"] == "2026-11-08"  # type: ignore[index]
        plan = service.program_plan(s, ids["program"])
        c = plan.plan_of(ids["C"])
        assert (c.start, c.finish, c.late_days, c.slip_days) == (d(9), d(10), 2, 0)
        assert plan.plan_of(ids["B"]).slip_days == 2
        with pytest.raises(ConflictError, match="changed by someone else"):
            service.update_task(s, ids["B"], actor="t", seen_version=1, due_on=d(9))


def test_saving_a_slip_can_move_the_tasks_it_pushes(store: Database) -> None:
    ids = build(store, "Slip saved")
    with store.unit_of_work() as s:
        service.update_task(s, ids["B"], actor="t", due_on=d(8), shift_downstream=True)
    with store.unit_of_work() as s:
        c, e = s.get(Task, ids["C"]), s.get(Task, ids["E"])
        assert c is not None and e is not None
        assert (c.start_on, c.due_on, c.baseline_due_on) == (d(9), d(10), d(8))
        assert (e.start_on, e.due_on, e.baseline_due_on) == (d(11), d(11), d(9))
        plan = service.program_plan(s, ids["program"])
        assert all(p.late_days == 0 for p in plan.tasks)  # the plan now matches the forecast
        assert [p.task.name for p in plan.tasks if p.slip_days] == ["B", "C", "E"]
        moves = s.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "readiness.task.rescheduled",
                AuditEvent.entity_id.in_([str(i) for i in ids.values()]),
            )
        )
        assert sorted(e.entity_id for e in moves) == sorted([str(ids["C"]), str(ids["E"])])


def test_a_cycle_is_refused_naming_the_tasks(store: Database) -> None:
    ids = build(store, "Cycles")
    other = build(store, "Cycles elsewhere")
    with store.unit_of_work() as s:
        with pytest.raises(CycleError) as info:
            service.add_dependency(s, ids["E"], ids["A"], actor="t")  # A would wait for go-live
        assert str(info.value) == ("'A' cannot wait for 'E': that would make a cycle E → A → C → E")
        assert info.value.cycle == [ids["E"], ids["A"], ids["C"], ids["E"]]
        with pytest.raises(CycleError, match="cycle C → C"):
            service.add_dependency(s, ids["C"], ids["C"], actor="t")
        with pytest.raises(ValidationError, match="different programs"):
            service.add_dependency(s, ids["A"], other["B"], actor="t")
        with pytest.raises(ConflictError, match="already waits"):
            service.add_dependency(s, ids["A"], ids["C"], actor="t")
    programs = [ids["program"], other["program"]]
    with store.unit_of_work() as s:
        mine = select(Dependency).where(Dependency.program_id.in_(programs))
        assert len(s.scalars(mine).all()) == 10  # nothing added
        made = service.add_dependency(s, ids["D"], ids["F"], actor="t")  # keeps it acyclic
        gone = (
            s.scalars(
                mine.where(
                    Dependency.successor_id == ids["F"], Dependency.predecessor_id == ids["A"]
                )
            )
            .one()
            .id
        )
        service.remove_dependency(s, ids["A"], ids["F"], actor="t")
        assert len(s.scalars(mine).all()) == 10
        added = [e.action for e in audit.history(s, "readiness_dependency", str(made.id))]
        removed = [e.action for e in audit.history(s, "readiness_dependency", str(gone))]
        assert added == ["readiness.dependency.added"]
        assert removed == ["readiness.dependency.added", "readiness.dependency.removed"]


def test_the_status_date_moves_work_not_done(store: Database) -> None:
    ids = build(store, "Status date")
    with store.unit_of_work() as s:
        service.update_task(s, ids["A"], actor="t", status="done", on=d(3))  # a day early
        service.update_task(s, ids["B"], actor="t", status="in_progress")
        plan = service.program_plan(s, ids["program"], today=d(8))
        b, c, d_task = plan.plan_of(ids["B"]), plan.plan_of(ids["C"]), plan.plan_of(ids["D"])
        assert (b.finish, b.late_days) == (d(8), 2)  # under way, due the 6th: not before today
        assert (c.start, c.finish) == (d(9), d(10))
        assert (d_task.start, d_task.finish) == (d(8), d(11))  # not started: starts today
        assert plan.plan_of(ids["A"]).finish == d(3)  # done: its actual finish
        assert plan.plan_of(ids["F"]).start == d(8) and plan.finish == d(12)
        assert [t.name for t in plan.critical_path] == ["D", "E"]
        assert b.overdue(d(8)) and b.slipped(d(8)) and not plan.plan_of(ids["A"]).slipped(d(8))


def test_bad_programs_and_tasks_are_refused(store: Database) -> None:
    ids = build(store, "Refusals")
    with store.unit_of_work() as s:
        with pytest.raises(ConflictError, match="already exists"):
            service.create_program(s, "Refusals", "x", d(2), d(3), [], actor="t")
        with pytest.raises(ValidationError, match="launch_on 2026-11-01 is before starts_on"):
            service.create_program(s, "Refusals 2", "x", d(2), d(1), [], actor="t")
        with pytest.raises(ValidationError, match="due_on 2026-11-01 is before start_on"):
            service.add_task(s, ids["program"], "G", "o", "t", d(2), d(1), actor="t")
        with pytest.raises(ConflictError, match="already has a task 'A'"):
            service.add_task(s, ids["program"], "A", "o", "t", d(2), d(3), actor="t")
        with pytest.raises(ValidationError, match="NUL"):
            service.add_task(s, ids["program"], "G\x00", "o", "t", d(2), d(3), actor="t")
        with pytest.raises(ValidationError, match="status 'finished'"):
            service.update_task(s, ids["A"], actor="t", status="finished")
        with pytest.raises(ValidationError, match="mark a program ready"):
            service.update_program(s, ids["program"], actor="t", status="ready")
        with pytest.raises(ConflictError, match="mark it ready before launching"):
            service.update_program(s, ids["program"], actor="t", status="launched")
