"""The policy library: every pack file read, checked against the metric catalog, and chosen by
name, version or effective date.

Packs ship in ``pasar/catalog/policies`` and come from the directories of
``PASAR_POLICY_PATH``; a draft is any pack file given by its path. Every problem of every file
is reported at once with its file and line.

A pack reference is ``NAME`` (the version in force on each day), ``NAME@VERSION`` (that version
on every day) or a path to a YAML file (a draft, on every day).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from sqlglot import exp

from pasar.kit.errors import NotFoundError
from pasar.kit.issues import Issues, IssuesError, did_you_mean
from pasar.kit.yamlfile import LineMapping, parse_yaml, validate_model
from pasar.metrics.catalog import Catalog
from pasar.metrics.expressions import ExpressionError
from pasar.metrics.loader import path_list
from pasar.metrics.spec import Origin
from pasar.policy.predicate import parse_amount, parse_when
from pasar.policy.spec import Explanation, Outcome, Pack, Policy
from pasar.policy.template import Part, parse_template

LANGUAGES = ("en", "id")


def shipped_policy_dir() -> Path:
    """The policy packs that come with Pasar."""
    return Path(str(resources.files("pasar.catalog").joinpath("policies")))


def snapshot_columns(catalog: Catalog, entity: str) -> list[str]:
    """The columns of an entity's snapshot: its key (or ``marketplace``), ``as_of``, metrics."""
    spec = catalog.entity(entity)
    key = spec.key or "marketplace"
    return [key, "as_of", *(m.name for m in catalog.snapshot_metrics(entity))]


@dataclass(frozen=True)
class CompiledPolicy:
    """A policy with its checked trees: what evaluation turns into SQL."""

    pack: Pack
    policy: Policy
    entity: str
    when: exp.Expr
    amount: exp.Expr | None
    explain: dict[str, list[Part]]

    @property
    def used(self) -> list[str]:
        """The snapshot columns the policy reads (its "values used"), in first-use order."""
        names: list[str] = []
        trees = [self.when, *([self.amount] if self.amount is not None else [])]
        for tree in trees:
            for column in tree.find_all(exp.Column):
                if column.name not in names:
                    names.append(column.name)
        for parts in self.explain.values():
            for part in parts:
                if part.column and part.column not in names:
                    names.append(part.column)
        return names


@dataclass
class PolicyLibrary:
    """Every pack version read, each with its compiled policies."""

    packs: list[Pack] = field(default_factory=list)
    drafts: list[Pack] = field(default_factory=list)
    compiled: dict[str, list[CompiledPolicy]] = field(default_factory=dict)  # by file
    sources: list[Path] = field(default_factory=list)

    def names(self) -> list[str]:
        return sorted({p.pack for p in self.packs})

    def versions(self, name: str) -> list[Pack]:
        """The versions of pack ``name``, oldest first; :class:`NotFoundError` if none."""
        found = sorted((p for p in self.packs if p.pack == name), key=lambda p: p.version)
        if not found:
            hint = did_you_mean(name, self.names())
            known = ", ".join(self.names()) or "none"
            raise NotFoundError(f"no policy pack {name!r}{hint}; the packs are: {known}")
        return found

    def in_force(self, name: str, day: dt.date) -> Pack | None:
        """The version of ``name`` in force on ``day``, if any."""
        return next((p for p in self.versions(name) if p.in_force(day)), None)

    def version(self, name: str, version: int) -> Pack:
        for pack in self.versions(name):
            if pack.version == version:
                return pack
        have = ", ".join(str(p.version) for p in self.versions(name))
        raise NotFoundError(f"pack {name} has no version {version}; it has {have}")

    def policies(self, pack: Pack) -> list[CompiledPolicy]:
        """The compiled policies of ``pack`` (a library version or a draft)."""
        assert pack.origin is not None
        return self.compiled[pack.origin.file]

    def find_policy(self, policy_id: str, day: dt.date) -> CompiledPolicy:
        """Policy ``policy_id`` as in force on ``day`` (in whichever pack holds it)."""
        matches = [
            c
            for pack in self.packs
            if pack.in_force(day)
            for c in self.policies(pack)
            if c.policy.id == policy_id and c.policy.in_force(day)
        ]
        if not matches:
            known = {c.policy.id for cs in self.compiled.values() for c in cs}
            raise NotFoundError(
                f"no policy {policy_id!r} in force on {day}{did_you_mean(policy_id, known)}"
            )
        return matches[0]


@dataclass(frozen=True)
class Selection:
    """What a pack reference selects: a named pack following its effective dates, or one
    fixed version (a ``NAME@VERSION`` or a draft file) applied to every day."""

    label: str
    library: PolicyLibrary
    name: str | None = None
    fixed: Pack | None = None

    def on(self, day: dt.date) -> Pack | None:
        """The pack version that applies on ``day``."""
        if self.fixed is not None:
            return self.fixed
        assert self.name is not None
        return self.library.in_force(self.name, day)

    def policies_on(self, day: dt.date) -> list[CompiledPolicy]:
        pack = self.on(day)
        if pack is None:
            return []
        return [c for c in self.library.policies(pack) if c.policy.in_force(day)]


def load_library(
    catalog: Catalog, extra: str | Sequence[Path] = "", drafts: Iterable[Path] = ()
) -> PolicyLibrary:
    """Read the shipped packs, the directories of ``extra`` (``PASAR_POLICY_PATH`` text) and
    the ``drafts`` files; :class:`IssuesError` with every problem if any is wrong."""
    dirs = [shipped_policy_dir(), *(path_list(extra) if isinstance(extra, str) else extra)]
    issues = Issues()
    library = PolicyLibrary(sources=dirs)
    files: list[Path] = []
    for directory in dirs:
        if not directory.is_dir():
            issues.add(str(directory), 0, "policy directory does not exist")
            continue
        files += sorted(p for p in directory.rglob("*") if p.suffix in (".yml", ".yaml"))
    known = {f.resolve() for f in files}
    for path in files:
        pack = read_pack(path, issues)
        if pack is not None and _compile_pack(pack, catalog, issues, library):
            library.packs.append(pack)
    for draft in drafts:
        if not draft.is_file():
            issues.add(str(draft), 0, "policy pack file does not exist")
        elif draft.resolve() not in known:
            pack = read_pack(draft, issues)
            if pack is not None and _compile_pack(pack, catalog, issues, library):
                library.drafts.append(pack)
    _check_versions(library.packs, issues)
    if issues:
        raise IssuesError("policy packs have problems", issues)
    return library


def select(library: PolicyLibrary, reference: str) -> Selection:
    """The selection a command-line pack reference names (see the module's docstring)."""
    if reference.endswith((".yml", ".yaml")) or "/" in reference:
        path = Path(reference)
        for pack in [*library.drafts, *library.packs]:
            if pack.origin is not None and Path(pack.origin.file).resolve() == path.resolve():
                return Selection(f"{pack.ref} (draft {path.name})", library, fixed=pack)
        raise NotFoundError(f"{reference} was not loaded as a policy pack")
    name, _, version = reference.partition("@")
    if version:
        if not version.isdigit():
            raise NotFoundError(f"pack version {version!r} is not a number (write {name}@2)")
        pack = library.version(name, int(version))
        return Selection(pack.ref, library, fixed=pack)
    library.versions(name)
    return Selection(name, library, name=name)


def read_pack(path: Path, issues: Issues) -> Pack | None:
    """One pack file validated as a :class:`Pack`; problems are added to ``issues`` and the
    policies with problems left out (so the others are still checked)."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        issues.add(name, 0, f"cannot read the pack: {exc}")
        return None
    document = parse_yaml(name, text, issues)
    if document is None:
        if name not in {i.file for i in issues}:
            issues.add(name, 0, "the pack file is empty")
        return None
    if not isinstance(document, LineMapping):
        issues.add(name, 1, "a pack file is a mapping with pack, version, policies …")
        return None
    policies = document.get("policies")
    if isinstance(policies, list) and policies:  # an empty list is refused by the pack's model
        checked = []
        for item in policies:
            fields = tuple((str(k), line) for k, line in getattr(item, "lines", {}).items())
            origin = Origin(name, getattr(item, "line", document.line), fields)
            policy = validate_model(
                Policy, item, name, issues, document.lines["policies"], {"origin": origin}
            )
            checked.append(policy)
        valid = [p for p in checked if p is not None]
        # the pack's own fields are checked even when no policy is valid
        stand_in = Policy.model_construct(
            id="stand-in",
            version=1,
            when="TRUE",
            outcome=Outcome(kind="gate"),
            explain=Explanation(en="-", id="-"),
        )
        document = _with(document, "policies", valid or [stand_in])
        if not valid and checked:
            _validate_pack(document, name, issues)
            return None
    return _validate_pack(document, name, issues)


def _validate_pack(document: LineMapping, name: str, issues: Issues) -> Pack | None:
    fields = tuple((str(k), line) for k, line in document.lines.items())
    origin = Origin(name, document.line, fields)
    return validate_model(
        Pack,
        document,
        name,
        issues,
        1,
        {"origin": origin},
        label=lambda item: f"pack {item.get('pack', '?')}",
    )


def _with(document: LineMapping, key: str, value: Any) -> LineMapping:
    copy = LineMapping(document)
    copy.line, copy.lines = document.line, document.lines
    copy[key] = value
    return copy


def _compile_pack(pack: Pack, catalog: Catalog, issues: Issues, library: PolicyLibrary) -> bool:
    assert pack.origin is not None
    file = pack.origin.file
    compiled: list[CompiledPolicy] = []
    seen: set[str] = set()
    for policy in pack.policies:
        assert policy.origin is not None
        label = f"policy {policy.id}"
        if policy.id in seen:
            issues.add(file, policy.origin.line_of("id"), f"{label} appears twice in the pack")
        seen.add(policy.id)
        entity = pack.entity_of(policy)
        if entity not in catalog.entities:
            hint = did_you_mean(entity, catalog.entities)
            where = "entity" if policy.entity else None
            line = policy.origin.line_of(where) if where else pack.origin.line_of("entity")
            issues.add(file, line, f"{label}: unknown entity {entity!r}{hint}")
            continue
        columns = snapshot_columns(catalog, entity)
        trees: dict[str, exp.Expr | None] = {}
        templates: dict[str, list[Part]] = {}
        try:
            trees["when"] = parse_when(policy.when, columns)
        except ExpressionError as exc:
            issues.add(file, policy.origin.line_of("when"), f"{label}: {exc}")
        try:
            amount = policy.outcome.amount
            trees["amount"] = parse_amount(amount, columns) if amount else None
        except ExpressionError as exc:
            issues.add(file, policy.origin.line_of("outcome"), f"{label}: {exc}")
        for language in LANGUAGES:
            try:
                text = getattr(policy.explain, language)
                templates[language] = parse_template(text, columns, f"explain.{language}")
            except ExpressionError as exc:
                issues.add(file, policy.origin.line_of("explain"), f"{label}: {exc}")
        if len(trees) == 2 and len(templates) == len(LANGUAGES):
            when = trees["when"]
            assert when is not None
            compiled.append(CompiledPolicy(pack, policy, entity, when, trees["amount"], templates))
    if len(compiled) != len(pack.policies):
        return False
    library.compiled[pack.origin.file] = compiled
    return True


def _check_versions(packs: list[Pack], issues: Issues) -> None:
    """One file per version, and no two versions of a pack in force on the same day."""
    by_name: dict[str, list[Pack]] = {}
    for pack in packs:
        by_name.setdefault(pack.pack, []).append(pack)
    for versions in by_name.values():
        versions.sort(key=lambda p: (p.version, p.origin.file if p.origin else ""))
        for before, after in itertools.pairwise(versions):
            assert after.origin is not None and before.origin is not None
            if before.version == after.version:
                issues.add(
                    after.origin.file,
                    after.origin.line_of("version"),
                    f"pack {after.ref} is also defined in {before.origin.file}",
                )
        dated = sorted(versions, key=lambda p: p.effective_from)
        for before, after in itertools.pairwise(dated):
            assert after.origin is not None
            if before.effective_to is None or before.effective_to >= after.effective_from:
                issues.add(
                    after.origin.file,
                    after.origin.line_of("effective_from"),
                    f"pack {after.ref} starts on {after.effective_from} while {before.ref} is "
                    f"still in force (set its effective_to before {after.effective_from})",
                )
