"""``pasar creators assign | unassign | assigned`` end to end, audited."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from pasar.audit.models import AuditEvent
from pasar.auth.service import create_user
from pasar.config import get_settings
from pasar.kit.db import Database
from tests.cli.test_metrics_cli import run


def test_an_agents_creators_are_assigned_listed_and_ended(
    pasar_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "db", "upgrade")
    assert code == 0, err
    database = Database(get_settings().database_url)
    with database.unit_of_work() as session:
        create_user(session, "mira", "Mira", "agent", "a long enough passphrase")
        create_user(session, "rina", "Rina", "analyst", "a long enough passphrase")
    week_ago = (dt.date.today() - dt.timedelta(days=7)).isoformat()
    code, out, err = run(capsys, "creators", "assign", "mira", "C1", "C2", "C1", "--from", week_ago)
    assert code == 0 and "2 creator(s) assigned to mira." in out, err
    code, out, err = run(capsys, "creators", "assign", "mira", "C2", "C3")
    assert code == 0 and "1 creator(s) assigned" in out, err
    code, out, _ = run(capsys, "creators", "assigned", "mira")
    assert out.strip().splitlines()[1:] == ["C1", "C2", "C3"]
    code, out, _ = run(capsys, "creators", "unassign", "mira", "C2")
    assert code == 0 and "1 assignment(s) of mira ended." in out
    code, out, _ = run(capsys, "creators", "assigned", "mira")
    assert out.strip().splitlines()[1:] == ["C1", "C3"]
    earlier = (dt.date.today() - dt.timedelta(days=3)).isoformat()
    code, out, _ = run(capsys, "creators", "assigned", "mira", "--as-of", earlier)
    assert out.strip().splitlines()[1:] == ["C1", "C2"]
    code, _, err = run(capsys, "creators", "assign", "rina", "C1")
    assert code == 2 and "rina has the role analyst, not agent" in err
    code, _, err = run(capsys, "creators", "assign", "nobody", "C1")
    assert code == 2 and "no user 'nobody'" in err
    code, _, err = run(capsys, "creators", "assigned", "mira", "--as-of", "yesterday")
    assert code == 2 and "--as-of 'yesterday' is not a date" in err
    with database.unit_of_work() as session:
        actions = list(
            session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "creator"))
        )
    assert sorted(actions) == ["creator.assigned"] * 3 + ["creator.unassigned"]
    database.dispose()
