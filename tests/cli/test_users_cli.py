"""``pasar users`` end to end: create, list, token, disable."""

from __future__ import annotations

from pathlib import Path

import pytest

from pasar.auth.service import verify_token
from pasar.config import get_settings
from pasar.kit.db import Database
from tests.cli.test_metrics_cli import run


def test_users_lifecycle(
    pasar_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", _Lines("a long enough passphrase\n"))
    code, out, err = run(
        capsys, "users", "create", "shop62", "--role", "seller", "--seller-id", "S000062",
        "--password-stdin",
    )  # fmt: skip
    assert code == 0 and "User shop62 (seller) created." in out, err
    code, out, err = run(capsys, "users", "list")
    assert code == 0 and "S000062" in out and "active" in out, err
    code, out, err = run(
        capsys, "users", "token", "shop62", "--name", "erp", "--scope", "governance:read"
    )
    assert code == 0, err
    plain = out.strip().splitlines()[-1]
    database = Database(get_settings().database_url)
    with database.unit_of_work() as session:
        assert verify_token(session, plain)[1] == ["governance:read"]
    code, _, err = run(
        capsys, "users", "token", "shop62", "--name", "x", "--scope", "governance:decide"
    )
    assert code == 2 and "a seller cannot hold governance:decide" in err
    code, out, err = run(capsys, "users", "disable", "shop62")
    assert code == 0 and "tokens are revoked" in out, err
    code, out, _ = run(capsys, "users", "list")
    assert "disabled" in out
    database.dispose()


class _Lines:
    def __init__(self, text: str) -> None:
        self.lines = text.splitlines(keepends=True)

    def readline(self) -> str:
        return self.lines.pop(0) if self.lines else ""
