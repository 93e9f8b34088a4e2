"""Reading catalog YAML files into specs, with the file and line of every definition.

The shipped catalog (``pasar/catalog/metrics``) is read first, then each directory of
``PASAR_CATALOG_PATH`` (separated by ``:``). Every problem of every file is collected; nothing
stops at the first one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pasar.kit.issues import Issues, did_you_mean
from pasar.kit.yamlfile import LineMapping, parse_yaml, validate_model
from pasar.metrics.spec import CatalogFile, Dataset, Entity, Metric, Origin


@dataclass
class LoadedFiles:
    """Every definition read, in reading order, and the problems met while reading."""

    entities: list[Entity]
    datasets: list[Dataset]
    metrics: list[Metric]
    issues: Issues


def shipped_catalog_dir() -> Path:
    """The catalog that comes with Pasar."""
    return Path(str(resources.files("pasar.catalog").joinpath("metrics")))


def catalog_dirs(extra: str | Sequence[Path] = "") -> list[Path]:
    """The shipped catalog, then the user's directories (``PASAR_CATALOG_PATH`` style text)."""
    return [shipped_catalog_dir(), *(path_list(extra) if isinstance(extra, str) else extra)]


def path_list(text: str) -> list[Path]:
    """Directories of a ``PASAR_CATALOG_PATH`` style text (separated by ``:``)."""
    return [Path(p) for p in text.split(os.pathsep) if p.strip()]


def read_catalog_files(dirs: Iterable[Path]) -> LoadedFiles:
    """Parse every ``*.yml``/``*.yaml`` under ``dirs`` (sorted, recursively)."""
    loaded = LoadedFiles([], [], [], Issues())
    for directory in dirs:
        if not directory.is_dir():
            loaded.issues.add(str(directory), 0, "catalog directory does not exist")
            continue
        files = sorted(p for p in directory.rglob("*") if p.suffix in (".yml", ".yaml"))
        for path in files:
            _read_file(path, loaded)
    return loaded


def _read_file(path: Path, loaded: LoadedFiles) -> None:
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        loaded.issues.add(name, 0, f"not valid YAML: {exc}")
        return
    document = parse_yaml(name, text, loaded.issues)
    if document is None:
        return
    if not isinstance(document, LineMapping):
        loaded.issues.add(name, 1, "a catalog file is a mapping with entities, datasets, metrics")
        return
    for key in document:
        if key not in ("entities", "datasets", "metrics"):
            hint = did_you_mean(str(key), ["entities", "datasets", "metrics"])
            loaded.issues.add(name, document.lines[key], f"unknown section {key!r}{hint}")
    for section, model, into in (
        ("entities", Entity, loaded.entities),
        ("datasets", Dataset, loaded.datasets),
        ("metrics", Metric, loaded.metrics),
    ):
        items = document.get(section) or []
        if not isinstance(items, list):
            loaded.issues.add(name, document.lines[section], f"{section} must be a list")
            continue
        for item in items:
            parsed = _parse(model, item, name, loaded.issues, document.lines[section])
            if parsed is not None:
                into.append(parsed)  # type: ignore[arg-type]


def _parse(
    model: type[Entity] | type[Dataset] | type[Metric],
    item: Any,
    file: str,
    issues: Issues,
    section_line: int,
) -> Entity | Dataset | Metric | None:
    fields = tuple((str(k), line) for k, line in getattr(item, "lines", {}).items())
    origin = Origin(file, getattr(item, "line", section_line), fields)
    return validate_model(model, item, file, issues, section_line, {"origin": origin})


__all__ = ["CatalogFile", "LoadedFiles", "catalog_dirs", "read_catalog_files"]
