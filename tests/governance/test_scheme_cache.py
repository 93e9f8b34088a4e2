"""The server reads governance schemes on every request: parsed once, again after a change
(seen within a second)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pasar.governance import scheme
from pasar.governance.scheme import current_schemes, shipped_scheme_dir


def test_schemes_are_parsed_again_only_when_a_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seconds = [100.0]
    monkeypatch.setattr(scheme.time, "monotonic", lambda: seconds[0])
    extra = tmp_path / "schemes"
    extra.mkdir()
    source = shipped_scheme_dir() / "account-health-1.yml"
    mine = extra / "mine.yml"
    mine.write_text(source.read_text().replace("scheme: account-health", "scheme: mine"))
    first = current_schemes(str(extra))
    assert current_schemes(str(extra))[-1] is first[-1]  # unchanged: the same parsed objects
    assert {s.ref for s in first} >= {"mine@1", "account-health@1"}
    mine.write_text(mine.read_text().replace("version: 1", "version: 2"))
    stamp = mine.stat().st_mtime_ns + 1_000_000
    os.utime(mine, ns=(stamp, stamp))
    assert "mine@2" not in {s.ref for s in current_schemes(str(extra))}  # not looked at yet
    seconds[0] += scheme.LOOK_EVERY
    assert "mine@2" in {s.ref for s in current_schemes(str(extra))}
    shutil.copy(source, extra / "other.yml")
    (extra / "other.yml").write_text(source.read_text().replace("account-health", "other"))
    seconds[0] += scheme.LOOK_EVERY
    assert "other@1" in {s.ref for s in current_schemes(str(extra))}
