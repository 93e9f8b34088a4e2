"""The disk of the warehouse fills up during a batch: a clear error, the committed version
intact, no stray files, and the batch stored whole once space is freed.

The warehouse directory is a small tmpfs. In the first test a filler file leaves a chosen amount
of space — none, part of what the new batch needs (seeded; ``PASAR_FAULT_SEED`` replays a run),
or exactly its segments but not its manifest — and ``pasar ingest`` runs. It must end with one
error line naming the full disk (no traceback), the warehouse must hold exactly the files and
rows it held before (manifest, listed segments; nothing half written left behind), and once the
filler is deleted ingesting the file again stores the whole batch once. In the second test
batches are ingested until the disk is full; the warehouse is then moved to a bigger tmpfs and
the refused batch ingested again.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from pasar.cli.main import main
from pasar.config import Settings, get_settings
from pasar.warehouse.connectors.base import ConnectorOptions
from pasar.warehouse.ingest.batch import IngestRequest, ingest
from pasar.warehouse.store import Manifest, Warehouse, WarehouseFullError
from tests.reliability.orders import Scenario, check_rerun, scenario, state, write_orders
from tests.reliability.tally import FaultTally

pytestmark = pytest.mark.slow

PAGE = 4096  # tmpfs allocates whole pages
SMALL = 4 * 1024 * 1024
BATCH_ROWS = 60_000


@pytest.fixture(autouse=True)
def _as_root() -> None:
    """Mounting a tmpfs needs root (as in CI); elsewhere the test is skipped, visibly."""
    if os.geteuid() == 0:
        return
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true: the disk-full tests mount a tmpfs and must run as root")
    pytest.skip("mounting a tmpfs for the warehouse needs root")


@contextmanager
def tmpfs(folder: Path, size: int) -> Iterator[Path]:
    """A tmpfs of ``size`` bytes mounted on ``folder`` (unmounted afterwards)."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        if subprocess.run(["umount", str(folder)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(folder)], check=True)


def free_bytes(folder: Path) -> int:
    stats = os.statvfs(folder)
    return stats.f_bavail * stats.f_frsize


def fill(folder: Path, leave: int) -> Path:
    """A filler file taking all the free space of ``folder``'s disk but ``leave`` bytes."""
    filler = folder / "filler"
    with filler.open("wb") as out:
        out.write(b"\0" * max(free_bytes(folder) - leave, 0))
    return filler


def files(folder: Path) -> dict[str, int]:
    """Every file under ``folder`` and its size."""
    return {
        p.relative_to(folder).as_posix(): p.stat().st_size for p in folder.rglob("*") if p.is_file()
    }


def pages(size: int) -> int:
    return -(-size // PAGE) * PAGE


def copy_into(source: Path, target: Path) -> None:
    """The content of folder ``source`` copied into the existing folder ``target``."""
    for item in source.iterdir():
        if item.is_dir():
            shutil.copytree(item, target / item.name)
        else:
            shutil.copy2(item, target / item.name)


def ingest_cli(
    home: Path, csv: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str]:
    """``pasar ingest csv --table orders`` on ``home``, in this process; exit code, stderr."""
    monkeypatch.setenv("PASAR_HOME", str(home))
    monkeypatch.delenv("PASAR_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        code = main(["ingest", str(csv), "--table", "orders"])
    finally:
        get_settings.cache_clear()
    return code, capsys.readouterr().err


def batch_needs(sc: Scenario, root: Path) -> int:
    """The space (whole pages) the new batch's segments take, measured on a copy."""
    copy = root / "measure"
    shutil.copytree(sc.before, copy)
    earlier = files(copy / "warehouse")
    check_rerun(copy, sc, "measuring the batch")
    added = files(copy / "warehouse")
    return sum(pages(size) for name, size in added.items() if name not in earlier and "/" in name)


def test_a_full_disk_fails_the_batch_cleanly_and_a_rerun_completes(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    faults: Callable[[str, str], FaultTally],
) -> None:
    tally = faults("warehouse disk full during `pasar ingest`", "fill points")
    sc = scenario(tmp_path, earlier_rows=20_000, new_rows=BATCH_ROWS)
    segments = batch_needs(sc, tmp_path)
    rng = random.Random(int(os.environ.get("PASAR_FAULT_SEED", "20261204")))
    leaves = [
        0,  # the first segment cannot start
        int(segments * rng.uniform(0.05, 0.6)),
        int(segments * rng.uniform(0.6, 0.98)),
        segments,  # every segment fits, the manifest does not
    ]
    free: list[int] = []
    for n, leave in enumerate(leaves):
        home = tmp_path / f"case-{n}"
        shutil.copytree(sc.before, home, ignore=shutil.ignore_patterns("warehouse"))
        with tmpfs(home / "warehouse", SMALL) as root:
            copy_into(sc.before / "warehouse", root)
            filler = fill(root, leave)
            left = free_bytes(root)
            free.append(left)
            with tally.case(f"case {n}: {left:,} bytes free for a batch of {segments:,}"):
                before, version = files(root), Warehouse(root).manifest().version
                code, err = ingest_cli(home, sc.new, capsys, monkeypatch)
                assert code == 2, f"exit {code}: {err}"
                assert err.startswith("error: no space left on the device"), err
                assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
                assert files(root) == before, "files changed by a batch that was not stored"
                manifest = Manifest.model_validate_json((root / "manifest.json").read_bytes())
                assert manifest.version == version
                assert state(home) == sc.a
                filler.unlink()
                check_rerun(home, sc, f"case {n} after freeing space")
    tally.note(f"{', '.join(f'{left:,}' for left in free)} bytes free, {segments:,} needed")
    print(tally.line())
    tally.assert_clean()


def test_batches_until_the_disk_is_full_then_a_bigger_disk(
    tmp_path: Path, faults: Callable[[str, str], FaultTally]
) -> None:
    tally = faults("warehouse disk filled by successive batches", "fill points")
    home = tmp_path / "home"
    settings = Settings(home=home)

    def request(csv: Path) -> IngestRequest:
        return IngestRequest([csv], options=ConnectorOptions(table="orders"))

    with tally.case("batches until ENOSPC, then moved to a bigger disk"):
        with tmpfs(home / "warehouse", 3 * 1024 * 1024) as root:
            stored, refused = 0, None
            for n in range(40):  # a bound, far above what 3 MiB holds
                csv = tmp_path / f"orders-{n}.csv"
                write_orders(csv, n * BATCH_ROWS, BATCH_ROWS, "0", sellers=131)
                before, committed = files(root), state(home)
                try:
                    ingest(request(csv), settings)
                except WarehouseFullError:
                    refused = csv
                    break
                stored += 1
            assert refused is not None and stored >= 1, f"{stored} batches, never full"
            assert files(root) == before and state(home) == committed
            saved = tmp_path / "saved"
            shutil.copytree(root, saved)
        with tmpfs(home / "warehouse", 64 * 1024 * 1024) as root:
            copy_into(saved, root)
            assert state(home) == committed
            assert ingest(request(refused), settings).status == "committed"
            rows, keys = state(home)[:2]
            assert rows == keys == (stored + 1) * BATCH_ROWS
            manifest = Warehouse(root).manifest()
            sources = [f.path for b in manifest.batches for f in b.files]
            assert len(manifest.batches) == stored + 1 and sorted(sources) == sorted(set(sources))
    tally.note(f"{stored} batches of {BATCH_ROWS:,} orders filled 3 MiB")
    print(tally.line())
    tally.assert_clean()
