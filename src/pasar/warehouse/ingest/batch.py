"""One ingestion batch: files in, validated rows merged into the warehouse, every refusal explained.

The batch is atomic: either every table it touches is updated together with its batch log entry,
or (on a structural error, a reject rate above ``max_reject_rate``, or a crash) nothing is.

Example:
    >>> report = ingest(IngestRequest([Path("orders.csv")], source="generic"))  # doctest: +SKIP
    >>> report.tables["orders"].inserted                                        # doctest: +SKIP
    10000
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import duckdb

from pasar.config import Settings, get_settings
from pasar.kit.errors import InputError
from pasar.kit.sqltext import literal
from pasar.warehouse.connectors.base import ConnectorOptions, get_connector
from pasar.warehouse.contract import CONTRACT, load_order
from pasar.warehouse.ingest.merge import merge_table
from pasar.warehouse.ingest.readers import RawFile, read_file
from pasar.warehouse.ingest.rejects import RejectSummary, summarise_rejects, write_rejects
from pasar.warehouse.ingest.validate import Validator
from pasar.warehouse.store import BatchRecord, FileRecord, TableCounts, Warehouse

Status = Literal["committed", "unchanged", "dry-run"]
Progress = Callable[[str], None]


@dataclass(frozen=True)
class IngestRequest:
    """Everything ``pasar ingest`` was asked to do."""

    paths: list[Path]
    source: str = "generic"
    options: ConnectorOptions = field(default_factory=ConnectorOptions)
    max_reject_rate: float | None = None
    force: bool = False
    dry_run: bool = False


@dataclass
class BatchReport:
    """What a batch did, for the CLI and the batch log."""

    batch_id: str
    status: Status
    files: list[FileRecord]
    skipped: list[tuple[Path, str]]
    tables: dict[str, TableCounts]
    rows_read: int
    rejected_rows: int
    reasons: list[RejectSummary]
    rejects_files: list[Path]
    seconds: float
    previous_batch: str | None = None

    @property
    def reject_rate(self) -> float:
        return self.rejected_rows / self.rows_read if self.rows_read else 0.0


class RejectRateExceededError(InputError):
    """The share of refused rows is above ``--max-reject-rate``; nothing was stored."""

    def __init__(self, message: str, report: BatchReport) -> None:
        super().__init__(message)
        self.report = report


def new_batch_id(now: datetime) -> str:
    """Sortable, unique batch id, e.g. ``20261122T101500-3fa2``."""
    return now.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(2)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def ingest(
    request: IngestRequest, settings: Settings | None = None, progress: Progress | None = None
) -> BatchReport:
    """Run one batch; raise ``InputError`` on structural problems or too many rejects."""
    settings = settings or get_settings()
    say = progress or (lambda _message: None)
    started = datetime.now(UTC)
    batch_id = new_batch_id(started)
    connector = get_connector(request.source)
    options = request.options
    if options.table and options.table not in CONTRACT:
        raise InputError(f"unknown table {options.table!r}; tables: {', '.join(CONTRACT)}")
    discovery = connector.discover(request.paths, options)
    hashes = {path: file_sha256(path) for path in discovery.files}
    warehouse = Warehouse(settings.warehouse_dir)
    fingerprint = _fingerprint(request)

    previous = _already_ingested(warehouse, hashes, fingerprint)
    if previous and not request.force and not request.dry_run:
        return _unchanged_report(batch_id, discovery.skipped, previous, started)

    scratch = settings.home / "tmp" / batch_id
    scratch.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"SET temp_directory = {literal(scratch.as_posix())}")
        con.execute("SET preserve_insertion_order = false")  # rows carry their numbers
        with warehouse.writer() as writer:
            raws = []
            for n, path in enumerate(discovery.files):
                say(f"reading {path}")
                raws.append(read_file(con, path, f"raw_{n}"))
            plan = connector.plan(con, raws, options)
            validator = Validator(con, lambda t: warehouse.table_sql(t, writer.base))
            for raw in raws:
                tables = plan.file_tables.get(raw.label) or [options.table or "unknown"]
                validator.add_bad_records(tables[0], raw.label, raw.bad_records)
            outcomes = {}
            for table in load_order():
                if table in plan.sources:
                    say(f"validating {table}")
                    outcomes[table] = validator.validate(table, plan.sources[table])
            rows_read = sum(r.rows + len(r.bad_records) for r in raws)
            rejected = validator.rejected_rows()
            files = [_file_record(con, raw, hashes[raw.path], plan.file_tables) for raw in raws]
            reasons = summarise_rejects(con)
            rejects_files = write_rejects(con, settings.rejects_dir, batch_id) if rejected else []
            report = BatchReport(
                batch_id=batch_id,
                status="dry-run" if request.dry_run else "committed",
                files=files,
                skipped=discovery.skipped,
                tables={},
                rows_read=rows_read,
                rejected_rows=rejected,
                reasons=reasons,
                rejects_files=rejects_files,
                seconds=0.0,
            )
            report.seconds = (datetime.now(UTC) - started).total_seconds()
            limit = request.max_reject_rate
            if limit is not None and report.reject_rate > limit:
                raise RejectRateExceededError(
                    f"{rejected:,} of {rows_read:,} rows refused ({report.reject_rate:.2%}), above "
                    f"--max-reject-rate {limit:.2%}: nothing was stored; reasons in "
                    f"{rejects_files[0] if rejects_files else settings.rejects_dir}",
                    report,
                )
            stubs = validator.stub_keys
            for table in load_order():
                if table not in outcomes and not stubs.get(table):
                    continue
                say(f"merging {table}")
                counts = merge_table(
                    con, writer, table, batch_id, stubs.get(table, []), table in outcomes
                )
                if table in outcomes:
                    counts.superseded = outcomes[table].superseded
                report.tables[table] = counts
            finished = datetime.now(UTC)
            report.seconds = (finished - started).total_seconds()
            if request.dry_run:
                return report
            writer.commit(
                BatchRecord(
                    batch_id=batch_id,
                    source=request.source,
                    started_at=started,
                    finished_at=finished,
                    files=files,
                    tables=report.tables,
                    rejected_rows=rejected,
                    rejects_file=str(rejects_files[0]) if rejects_files else None,
                    options={"fingerprint": fingerprint},
                )
            )
            return report
    finally:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)


def _fingerprint(request: IngestRequest) -> str:
    o = request.options
    mapping = file_sha256(o.mapping) if o.mapping and o.mapping.is_file() else ""
    parts = [
        request.source,
        o.table or "",
        o.timezone or "",
        o.number_style or "",
        o.seller_id or "",
    ]
    return hashlib.sha256("|".join([*parts, mapping]).encode()).hexdigest()[:16]


def _already_ingested(
    warehouse: Warehouse, hashes: dict[Path, str], fingerprint: str
) -> BatchRecord | None:
    """The last batch that ingested exactly these files with the same options, if any."""
    wanted = set(hashes.values())
    for batch in reversed(warehouse.manifest().batches):
        if batch.options.get("fingerprint") != fingerprint:
            continue
        if wanted <= {f.sha256 for f in batch.files}:
            return batch
    return None


def _unchanged_report(
    batch_id: str, skipped: list[tuple[Path, str]], previous: BatchRecord, started: datetime
) -> BatchReport:
    return BatchReport(
        batch_id=batch_id,
        status="unchanged",
        files=previous.files,
        skipped=skipped,
        tables={
            t: TableCounts(unchanged=c.inserted + c.updated + c.unchanged)
            for t, c in previous.tables.items()
        },
        rows_read=sum(f.rows_read for f in previous.files),
        rejected_rows=0,
        reasons=[],
        rejects_files=[],
        seconds=(datetime.now(UTC) - started).total_seconds(),
        previous_batch=previous.batch_id,
    )


def _file_record(
    con: duckdb.DuckDBPyConnection, raw: RawFile, sha256: str, file_tables: dict[str, list[str]]
) -> FileRecord:
    rejected = con.execute(
        f'SELECT count(DISTINCT "row") FROM rejects WHERE file = {literal(raw.label)}'
    ).fetchall()[0][0]
    return FileRecord(
        path=raw.label,
        sha256=sha256,
        size=raw.path.stat().st_size,
        tables=file_tables.get(raw.label, []),
        rows_read=raw.rows + len(raw.bad_records),
        rejected=int(rejected),
        blank=raw.blank_rows,
    )


__all__ = ["BatchReport", "IngestRequest", "RejectRateExceededError", "ingest"]
