"""Program files: the shipped templates load; every problem of a broken file is reported at
once with its line, the policy engine refusing anything that is not a safe condition; periods
and their labels."""

from __future__ import annotations

import datetime as dt

import pytest

from pasar.incentives.programs import check_program
from pasar.incentives.spec import Period
from pasar.kit.issues import IssuesError
from tests.incentives.conftest import World, program_text

GOOD_BODY = """\
target: {metric: valid_sessions}
schedule: {kind: per_unit, rate: 1000}
reward: {form: cash}
"""


def test_the_templates_cover_the_four_program_patterns(world: World) -> None:
    templates = world.ctx.templates.templates
    assert set(templates) == {
        "new-seller-live-starter", "daily-live-streak", "tiered-attainment",
        "incremental-gmv-sprint",
    }  # fmt: skip
    kinds = {
        key: (t.program.target.metric, t.program.schedule.kind) for key, t in templates.items()
    }
    assert kinds == {
        "new-seller-live-starter": ("valid_sessions", "per_unit"),
        "daily-live-streak": ("longest_streak", "step"),
        "tiered-attainment": ("valid_sessions", "step"),
        "incremental-gmv-sprint": ("incremental_gmv", "rank_table"),
    }
    for compiled in templates.values():
        assert compiled.exclusions["idle"] is not None
        assert compiled.program.holdout is not None and compiled.program.integrity.refund


def test_every_problem_is_reported_with_its_line(world: World) -> None:
    text = program_text(
        "eligibility:\n"
        '  when: "valid_live_sessions_30d >= 4; DROP TABLE sellers"\n'  # line 6
        "target: {metric: valid_sesions}\n"  # line 7
        "schedule:\n"
        "  kind: step\n"
        "  steps: [{at: 8, amount: 100}, {at: 4, amount: 200}]\n"  # line 10
        "reward: {form: cash, colour: red}\n"  # line 11
    )
    with pytest.raises(IssuesError) as caught:
        check_program(text, "bad.yml", world.ctx.catalog, world.ctx.policies)
    lines = {(i.line, i.message.split(": ", 1)[1]) for i in caught.value.issues}
    text_of = "\n".join(f"{line}: {message}" for line, message in sorted(lines))
    assert "7: target.metric: unknown measure 'valid_sesions'" in text_of
    assert "8: schedule: steps must be in increasing order of at" in text_of
    assert "11: reward.colour: unknown field" in text_of
    # the condition is checked once the shape is right
    fixed = text.replace("valid_sesions", "valid_sessions").replace("{at: 4", "{at: 9")
    fixed = fixed.replace(", colour: red", "")
    with pytest.raises(IssuesError) as caught:
        check_program(fixed, "bad.yml", world.ctx.catalog, world.ctx.policies)
    (issue,) = caught.value.issues
    assert issue.line == 6 and "must be one expression, found 2 statements" in issue.message


@pytest.mark.parametrize(
    ("eligibility", "message"),
    [
        ('when: "valid_live_sesions_30d >= 4"', "unknown column 'valid_live_sesions_30d'"),
        ('when: "valid_live_sessions_30d"', "must be a condition"),
        ('when: "seller_id IN (SELECT seller_id FROM sellers)"', "may not use a subquery"),
        ("when: \"read_csv('/etc/passwd') IS NULL\"", "may not use function read_csv"),
        ("policy: late-dispatch-points", "is not about merchants"),
        ("policy: live-starter-eligable", "did you mean live-starter-eligible"),
    ],
)
def test_eligibility_goes_through_the_policy_engine(
    world: World, eligibility: str, message: str
) -> None:
    text = program_text(f"eligibility: {{{eligibility}}}\n" + GOOD_BODY)
    with pytest.raises(IssuesError, match=message) as caught:
        check_program(text, "e.yml", world.ctx.catalog, world.ctx.policies)
    assert {i.line for i in caught.value.issues} == {5}


def test_a_policy_of_the_library_can_be_the_eligibility(world: World) -> None:
    text = program_text("eligibility: {policy: live-starter-eligible}\n" + GOOD_BODY)
    compiled = check_program(text, "p.yml", world.ctx.catalog, world.ctx.policies)
    assert compiled.policy == "live-starter-eligible" and compiled.eligibility is None


def test_session_exclusions_read_only_session_columns(world: World) -> None:
    text = program_text(GOOD_BODY + 'integrity:\n  exclude_sessions:\n    idle: "gmv_90d = 0"\n')
    with pytest.raises(
        IssuesError, match=r"exclude_sessions\.idle: .*unknown column 'gmv_90d'"
    ) as e:
        check_program(text, "x.yml", world.ctx.catalog, world.ctx.policies)
    assert [i.line for i in e.value.issues] == [10]


def test_shape_rules() -> None:
    from pydantic import ValidationError

    from pasar.incentives.spec import Schedule, Target

    with pytest.raises(ValidationError, match="needs a baseline"):
        Target(metric="incremental_gmv")
    with pytest.raises(ValidationError, match="does not take steps"):
        Schedule(kind="pct", rate=0.1, steps=[{"at": 1, "amount": 1}])
    with pytest.raises(ValidationError, match="a fraction"):
        Schedule(kind="pct", rate=2)
    with pytest.raises(ValidationError, match="starts on the 1st"):
        Period(every="month", start=dt.date(2026, 1, 2))


def test_periods_and_their_labels() -> None:
    month = Period(every="month", start=dt.date(2026, 1, 1))
    october = month.parse("2026-10")
    assert (october.start, october.end, october.days) == (
        dt.date(2026, 10, 1),
        dt.date(2026, 10, 31),
        31,
    )
    assert month.shifted(october, 1).label == "2026-09"
    assert month.shifted(month.parse("2026-01"), 1).label == "2025-12"
    assert [w.label for w in month.windows(dt.date(2026, 3, 30))] == ["2026-01", "2026-02"]
    with pytest.raises(ValueError, match="not a month like 2026-10"):
        month.parse("October")
    week = Period(every="week", start=dt.date(2026, 10, 5))
    assert week.parse("2026-W43").start == dt.date(2026, 10, 19)
    once = Period(every="once", start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 21))
    sprint = once.parse("2026-10-01..2026-10-21")
    assert once.shifted(sprint, 1).label == "2026-09-10..2026-09-30"
    assert not once.covers(once.shifted(sprint, 1))
