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

import pydantic
import yaml

from pasar.kit.issues import Issues, did_you_mean
from pasar.metrics.spec import CatalogFile, Dataset, Entity, Metric, Origin


class _Mapping(dict[Any, Any]):
    """A YAML mapping that remembers its own line and the line of each key."""

    line: int
    lines: dict[Any, int]


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Mapping:
    loader.flatten_mapping(node)
    mapping = _Mapping()
    mapping.line = node.start_mark.line + 1
    mapping.lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain name, not a list or mapping", key_node.start_mark
            )
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.lines[key] = key_node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


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
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        loaded.issues.add(name, line, f"not valid YAML: {problem}")
        return
    if document is None:
        return
    if not isinstance(document, _Mapping):
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
    if not isinstance(item, _Mapping):
        kind = model.__name__.lower()
        issues.add(file, section_line, f"each {kind} must be a mapping, got {item!r}")
        return None
    label = f"{model.__name__.lower()} {item.get('name', '?')}"
    try:
        fields = tuple((str(k), line) for k, line in item.lines.items())
        return model.model_validate({**item, "origin": Origin(file, item.line, fields)})
    except pydantic.ValidationError as exc:
        for error in exc.errors():
            line, where = _locate(item, error["loc"])
            message = _message(error, model)
            issues.add(file, line, f"{label}: {where + ': ' if where else ''}{message}")
    return None


def _locate(item: _Mapping, loc: tuple[int | str, ...]) -> tuple[int, str]:
    """The line of the deepest key of ``loc`` that exists, and the path as text."""
    line = item.line
    node: Any = item
    for part in loc:
        if isinstance(node, _Mapping) and part in node:
            line = node.lines.get(part, line)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            line = getattr(node, "line", line)
        else:
            break
    where = ".".join(str(p) for p in loc if not str(p).startswith(("function-", "union[")))
    return line, where


def _message(error: Any, model: type[Any]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        field = str(error["loc"][-1])
        fields = [f for f in model.model_fields if f != "origin"]
        return f"unknown field{did_you_mean(field, fields)}"
    if kind == "missing":
        return "is required"
    text = str(error["msg"])
    return text.removeprefix("Value error, ")


__all__ = ["CatalogFile", "LoadedFiles", "catalog_dirs", "read_catalog_files"]
