"""What every connector does: find the files it knows, say where each contract column comes from.

Example:
    >>> connector = get_connector("generic")
    >>> connector.name
    'generic'
"""

from __future__ import annotations

import difflib
import importlib
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb

from pasar.kit.errors import InputError
from pasar.warehouse.ingest.parsing import NumberStyle, ParseOptions
from pasar.warehouse.ingest.readers import RawFile, file_format
from pasar.warehouse.ingest.sources import TableSource


@dataclass(frozen=True)
class ConnectorOptions:
    """What the user said on the command line."""

    table: str | None = None
    timezone: str | None = None
    number_style: NumberStyle | None = None
    seller_id: str | None = None
    mapping: Path | None = None


@dataclass
class Discovery:
    """Files a connector will read, and files it skipped with the reason."""

    files: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)


@dataclass
class Plan:
    """The table sources of a batch and, per file, the tables it feeds."""

    sources: dict[str, list[TableSource]] = field(default_factory=dict)
    file_tables: dict[str, list[str]] = field(default_factory=dict)

    def add(self, source: TableSource, *files: RawFile) -> None:
        self.sources.setdefault(source.table, []).append(source)
        for raw in files:
            tables = self.file_tables.setdefault(raw.label, [])
            if source.table not in tables:
                tables.append(source.table)


class Connector(ABC):
    """A kind of export (Olist, TikTok Shop, Shopee, or generic with a mapping)."""

    name: str = ""
    default_timezone: str = "Asia/Jakarta"
    prefer: str = "id"

    def parse_options(self, options: ConnectorOptions) -> ParseOptions:
        """The source's time zone and number style, with the user's overrides."""
        base = ParseOptions(
            timezone=options.timezone or self.default_timezone,
            prefer="en" if self.prefer == "en" else "id",
        )
        return replace(base, number_style=options.number_style) if options.number_style else base

    def discover(self, paths: Iterable[Path], options: ConnectorOptions) -> Discovery:
        """Expand directories (recursively, in name order) into the files this connector knows."""
        found = Discovery()
        for path in paths:
            if path.is_dir():
                for child in sorted(p for p in path.rglob("*") if p.is_file()):
                    why = self.refuse(child, options)
                    if why:
                        found.skipped.append((child, why))
                    else:
                        found.files.append(child)
            elif not path.exists():
                raise InputError("no such file or directory", file=str(path))
            else:
                why = self.refuse(path, options)
                if why:
                    raise InputError(why, file=str(path))
                found.files.append(path)
        if not found.files:
            where = ", ".join(str(p) for p in paths)
            raise InputError(f"no file this source ({self.name}) knows was found in {where}")
        return found

    def refuse(self, path: Path, options: ConnectorOptions) -> str | None:
        """Why this connector will not read ``path`` (``None`` when it will)."""
        if path.name.startswith(".") or path.name == "manifest.json":
            return "hidden or bookkeeping file"
        if file_format(path) is None:
            return f"not a CSV, XLSX or Parquet file ({path.suffix or 'no extension'})"
        return None

    @abstractmethod
    def plan(
        self, con: duckdb.DuckDBPyConnection, raws: list[RawFile], options: ConnectorOptions
    ) -> Plan:
        """Table sources for the files read (raise ``InputError`` for structural problems)."""


def find_column(raw: RawFile, *candidates: str) -> str | None:
    """The file's column matching any candidate, ignoring case, spaces and underscores.

    Example:
        >>> raw = RawFile(Path("x.csv"), "raw_1", ["Order ID", "Created Time"], 0)
        >>> find_column(raw, "order_id")
        'Order ID'
    """
    wanted = {_squash(c) for c in candidates}
    return next((c for c in raw.columns if _squash(c) in wanted), None)


def require_column(raw: RawFile, *candidates: str, why: str = "required column") -> str:
    """Like ``find_column`` but a missing column stops the file with a clear message."""
    found = find_column(raw, *candidates)
    if found is None:
        close = difflib.get_close_matches(candidates[0], raw.columns, n=1, cutoff=0.75)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InputError(f"{why} is missing{hint}", file=raw.label, column=candidates[0])
    return found


def _squash(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


CONNECTORS = {
    "generic": "pasar.warehouse.connectors.generic:GenericConnector",
    "olist": "pasar.warehouse.connectors.olist:OlistConnector",
    "tiktok-shop": "pasar.warehouse.connectors.tiktok:TikTokShopConnector",
    "shopee": "pasar.warehouse.connectors.shopee:ShopeeConnector",
}
SOURCES = tuple(CONNECTORS)


def get_connector(name: str) -> Connector:
    """The connector called ``name`` (generic, olist, tiktok-shop, shopee)."""
    if name not in CONNECTORS:
        raise InputError(f"unknown source {name!r}; choose one of: {', '.join(CONNECTORS)}")
    module, _, cls = CONNECTORS[name].partition(":")
    connector: Connector = getattr(importlib.import_module(module), cls)()
    return connector
