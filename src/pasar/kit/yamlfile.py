"""YAML files read with the line of every mapping and key, validated into pydantic models.

Users write catalogs and policy packs by hand; every problem must point at its file and line.

Example:
    >>> from pydantic import BaseModel, ConfigDict
    >>> class Item(BaseModel):
    ...     model_config = ConfigDict(extra="forbid")
    ...     name: str
    >>> found = Issues()
    >>> doc = parse_yaml("a.yml", "name: x\\nnmae: y\\n", found)
    >>> validate_model(Item, doc, "a.yml", found, 1, {}) is None
    True
    >>> print(found)
    a.yml:2: item x: nmae: unknown field (did you mean name?)
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import pydantic
import yaml

from pasar.kit.issues import Issues, did_you_mean

M = TypeVar("M", bound=pydantic.BaseModel)


class LineMapping(dict[Any, Any]):
    """A YAML mapping that remembers its own line and the line of each key."""

    line: int
    lines: dict[Any, int]


# a value quoted in a message: a few items deep (a YAML alias bomb would print for ever)
_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxstring = 2, 4, 4, 60
_SHORT.repr_LineMapping = _SHORT.repr_dict  # type: ignore[attr-defined]  # not repr() in full


class _LineLoader(yaml.SafeLoader):
    """Pure Python: slower, with the clearer messages for broken files."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:  # 30 February, a 5,000-digit number
            raise yaml.constructor.ConstructorError(None, None, str(exc), node.start_mark) from exc


class _FastLineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """LibYAML when installed: 5× faster on the files that are fine."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineMapping:
    loader.flatten_mapping(node)
    mapping = LineMapping()
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


for _loader in (_LineLoader, _FastLineLoader):
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(name: str, text: str, issues: Issues) -> Any:
    """The document of ``text`` with :class:`LineMapping` mappings, or ``None`` after adding
    the reason to ``issues`` when it is not valid YAML."""
    try:
        return yaml.load(text, Loader=_FastLineLoader)
    except (yaml.YAMLError, ValueError, OverflowError, RecursionError):
        pass
    loader: _LineLoader | None = None
    try:
        loader = _LineLoader(text)  # read again for the better message
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        if isinstance(exc, yaml.reader.ReaderError):  # a character YAML does not allow
            line = text[: exc.position].count("\n") + 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        issues.add(name, line, f"not valid YAML: {problem}")
        return None
    except RecursionError:
        line = loader.get_mark().line + 1 if loader is not None else 0
        issues.add(name, line, "not valid YAML: nested too deeply")
        return None
    finally:
        if loader is not None:
            loader.dispose()


def validate_model(
    model: type[M],
    item: Any,
    file: str,
    issues: Issues,
    parent_line: int,
    extra: Mapping[str, Any],
    label: Callable[[Any], str] | None = None,
) -> M | None:
    """``item`` validated as ``model`` (with ``extra`` fields added), or ``None`` after adding
    every error to ``issues`` at the line of the key it concerns."""
    kind = model.__name__.lower()
    if not isinstance(item, LineMapping):
        issues.add(file, parent_line, f"each {kind} must be a mapping, got {_SHORT.repr(item)}")
        return None
    try:
        return model.model_validate({**item, **extra})
    except pydantic.ValidationError as exc:
        shown = {key: _shown(value) for key, value in item.items()}  # what names the item
        name = label(shown) if label else f"{kind} {shown.get('name', shown.get('id', '?'))}"
        for error in exc.errors():
            line, where = locate(item, error["loc"])
            message = error_message(error, model)
            issues.add(file, line, f"{name}: {where + ': ' if where else ''}{message}")
    return None


def _shown(value: Any) -> Any:
    """A value as a message may quote it: short text as it is, anything else abbreviated."""
    if (isinstance(value, str) and len(value) <= 100) or isinstance(value, int | float | bool):
        return value
    return _SHORT.repr(value)


def locate(item: LineMapping, loc: tuple[int | str, ...]) -> tuple[int, str]:
    """The line of the deepest key of ``loc`` that exists, and the path as text."""
    line = item.line
    node: Any = item
    for part in loc:
        if isinstance(node, LineMapping) and part in node:
            line = node.lines.get(part, line)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            line = getattr(node, "line", line)
        else:
            break
    where = ".".join(
        str(p) for p in loc if not str(p).startswith(("function-", "union[", "literal["))
    )
    return line, where


def error_message(error: Any, model: type[Any]) -> str:
    """A pydantic error as a user reads it."""
    kind = error["type"]
    if kind == "extra_forbidden":
        field = str(error["loc"][-1])
        fields = [f for f in model.model_fields if f != "origin"]
        return f"unknown field{did_you_mean(field, fields)}"
    if kind == "missing":
        return "is required"
    text = str(error["msg"])
    return text.removeprefix("Value error, ")
