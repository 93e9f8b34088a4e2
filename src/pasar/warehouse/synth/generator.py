"""Generate a whole synthetic marketplace into a directory of Parquet files, chunk by chunk.

Memory stays bounded: each chunk of days is generated, written as row groups and dropped.
Output appears atomically: files are written to a temporary folder and moved in at the end.

Example:
    >>> from pasar.warehouse.synth.profile import load_profile
    >>> result = generate(load_profile("small"), Path("/tmp/market"))  # doctest: +SKIP
    >>> result.rows["orders"] > 0                                        # doctest: +SKIP
    True
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pasar import __version__
from pasar.warehouse.contract import CONTRACT
from pasar.warehouse.synth import aftersales, listings, support
from pasar.warehouse.synth.calendar import chunk_boundaries
from pasar.warehouse.synth.entities import products_table
from pasar.warehouse.synth.orders import generate_orders
from pasar.warehouse.synth.profile import Profile
from pasar.warehouse.synth.world import (
    STREAM_AFTERSALES,
    STREAM_LISTINGS,
    STREAM_ORDERS,
    STREAM_TICKETS,
    World,
    build_world,
    stream,
)

MANIFEST = "manifest.json"
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SynthResult:
    """Where the marketplace was written and how many rows each table has."""

    out: Path
    rows: dict[str, int]
    fingerprint: str


def profile_fingerprint(profile: Profile) -> str:
    """A short hash of every parameter: same fingerprint, same data."""
    payload = profile.model_dump_json().encode() + __version__.encode()
    return hashlib.sha256(payload).hexdigest()[:16]


def read_manifest(out: Path) -> dict[str, object] | None:
    """The manifest of a generated directory, or ``None`` if there is none."""
    path = out / MANIFEST
    if not path.exists():
        return None
    data: dict[str, object] = json.loads(path.read_text())
    return data


class _Writers:
    """One Parquet writer per fact table, appending a row group per chunk."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.rows: dict[str, int] = {name: 0 for name in CONTRACT}

    def write(self, name: str, table: pa.Table) -> None:
        schema = CONTRACT[name].arrow_schema()
        table = table.select(schema.names).cast(schema)
        if name not in self.writers:
            self.writers[name] = pq.ParquetWriter(
                self.folder / f"{name}.parquet", schema, compression="zstd"
            )
        self.writers[name].write_table(table)
        self.rows[name] += table.num_rows

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()


def generate(profile: Profile, out: Path, progress: Progress | None = None) -> SynthResult:
    """Write every fact table of DESIGN 2.3 for ``profile`` into ``out`` as Parquet."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    writers = _Writers(staging)
    try:
        world = build_world(profile)
        chunks = chunk_boundaries(world.calendar, profile.chunk_orders)
        writers.write("sellers", world.sellers.table)
        writers.write("creators", world.creators.table)
        critical: list[np.ndarray] = []
        for index, (day_lo, day_hi) in enumerate(chunks):
            critical.append(_write_chunk(world, writers, index, day_lo, day_hi))
            if progress is not None:
                progress(day_hi, profile.days)
        banned = np.zeros(len(world.products.ids), dtype=bool)
        banned[np.concatenate(critical).astype(np.int64)] = True
        writers.write("products", products_table(profile, world.products, world.sellers, banned))
    except BaseException:
        writers.close()
        shutil.rmtree(staging, ignore_errors=True)
        raise
    writers.close()
    fingerprint = profile_fingerprint(profile)
    (staging / MANIFEST).write_text(
        json.dumps(
            {
                "profile": profile.name,
                "seed": profile.seed,
                "fingerprint": fingerprint,
                "start_date": profile.start_date.isoformat(),
                "end_date": profile.end_date.isoformat(),
                "rows": writers.rows,
                "pasar_version": __version__,
            },
            indent=2,
        )
    )
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    return SynthResult(out=out, rows=writers.rows, fingerprint=fingerprint)


def _write_chunk(
    world: World, writers: _Writers, index: int, day_lo: int, day_hi: int
) -> np.ndarray:
    seed = world.profile.seed
    chunk = generate_orders(world, day_lo, day_hi, stream(seed, STREAM_ORDERS, index))
    writers.write("orders", chunk.orders)
    writers.write("order_items", chunk.items)
    writers.write("live_sessions", chunk.live_sessions)
    writers.write("videos", chunk.videos)
    after = stream(seed, STREAM_AFTERSALES, index)
    writers.write("reviews", aftersales.reviews(world, chunk, after))
    writers.write("chats", aftersales.chats(world, chunk, after))
    checks, critical = listings.listing_checks(
        world, day_lo, day_hi, stream(seed, STREAM_LISTINGS, index)
    )
    writers.write("listing_checks", checks)
    writers.write(
        "tickets",
        support.tickets(world, chunk, day_lo, day_hi, stream(seed, STREAM_TICKETS, index)),
    )
    return critical
