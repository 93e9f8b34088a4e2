"""Program files read and checked: the shape (:mod:`pasar.incentives.spec`), then what the text
inside means — the eligibility condition through the policy engine (a checked predicate over
the merchant snapshot's columns, or a policy of the library by id), each session exclusion as
a checked predicate over the columns of the ``live_sessions`` table. Every problem of a file is
reported at once with its file and line, as the policy loader does; nothing a program says is
ever run as free SQL.

Shipped templates live in ``pasar/catalog/programs``; programs in use are stored in the
operational store as their YAML text and checked again with :func:`check_program` whenever
they are read or edited.

Example::

    compiled = check_program(text, "draft.yml", catalog, library)   # IssuesError if wrong
    compiled.program.schedule.kind                                  # 'step'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from sqlglot import exp

from pasar.incentives.spec import Program
from pasar.kit.errors import NotFoundError
from pasar.kit.issues import Issues, IssuesError, did_you_mean
from pasar.kit.yamlfile import LineMapping, parse_yaml, validate_model
from pasar.metrics.catalog import Catalog
from pasar.metrics.expressions import ExpressionError
from pasar.metrics.spec import Origin
from pasar.policy.packs import PolicyLibrary, snapshot_columns
from pasar.policy.predicate import parse_when
from pasar.warehouse.contract import CONTRACT

ENTITY = "merchant"
MAX_PROGRAM_CHARS = 100_000


def shipped_program_dir() -> Path:
    """The program templates that come with Pasar."""
    return Path(str(resources.files("pasar.catalog").joinpath("programs")))


def session_columns() -> list[str]:
    """The columns a session exclusion may read: those of the ``live_sessions`` table."""
    return list(CONTRACT["live_sessions"].column_names)


@dataclass(frozen=True)
class CompiledProgram:
    """A program with its checked trees: what enrolment, payouts and simulation run."""

    program: Program
    source: str
    eligibility: exp.Expr | None  # a condition over the merchant snapshot
    policy: str | None  # or the id of a policy of the library whose condition is used
    exclusions: dict[str, exp.Expr] = field(default_factory=dict)  # over live_sessions

    @property
    def key(self) -> str:
        return self.program.program


@dataclass
class ProgramLibrary:
    """The shipped templates, by program name."""

    templates: dict[str, CompiledProgram] = field(default_factory=dict)

    def template(self, name: str) -> CompiledProgram:
        found = self.templates.get(name)
        if found is None:
            known = ", ".join(sorted(self.templates)) or "none"
            hint = did_you_mean(name, self.templates)
            raise NotFoundError(f"no program template {name!r}{hint}; the templates are: {known}")
        return found


def load_templates(catalog: Catalog, library: PolicyLibrary) -> ProgramLibrary:
    """Every shipped template, checked; :class:`IssuesError` with every problem if any."""
    issues = Issues()
    found = ProgramLibrary()
    for path in sorted(shipped_program_dir().glob("*.yml")):
        compiled = _check(path.read_text(encoding="utf-8"), str(path), catalog, library, issues)
        if compiled is None:
            continue
        if compiled.key in found.templates:
            issues.add(str(path), 1, f"program {compiled.key} is also shipped in another file")
        found.templates[compiled.key] = compiled
    if issues:
        raise IssuesError("program templates have problems", issues)
    return found


def check_program(
    text: str, name: str, catalog: Catalog, library: PolicyLibrary
) -> CompiledProgram:
    """``text`` (a program file named ``name`` in messages) checked; :class:`IssuesError`
    naming the line of every problem if it is wrong."""
    issues = Issues()
    compiled = _check(text, name, catalog, library, issues)
    if issues or compiled is None:
        if not issues:
            issues.add(name, 0, "the program could not be read")
        raise IssuesError("the program has problems", issues)
    return compiled


def _check(
    text: str, name: str, catalog: Catalog, library: PolicyLibrary, issues: Issues
) -> CompiledProgram | None:
    if len(text) > MAX_PROGRAM_CHARS:
        issues.add(name, 0, f"a program file has at most {MAX_PROGRAM_CHARS:,} characters")
        return None
    if "\x00" in text:
        issues.add(name, 0, "a program file cannot hold NUL characters")
        return None
    document = parse_yaml(name, text, issues)
    if document is None:
        if not issues:
            issues.add(name, 0, "the program file is empty")
        return None
    if not isinstance(document, LineMapping):
        issues.add(name, 1, "a program file is a mapping with program, version, target …")
        return None
    fields = tuple((str(k), line) for k, line in document.lines.items())
    program = validate_model(
        Program,
        document,
        name,
        issues,
        1,
        {"origin": Origin(name, document.line, fields)},
        label=lambda item: f"program {item.get('program', '?')}",
    )
    if program is None:
        return None
    label = f"program {program.program}"
    columns = snapshot_columns(catalog, ENTITY)
    eligibility: exp.Expr | None = None
    if program.eligibility.when is not None:
        try:
            eligibility = parse_when(program.eligibility.when, columns)
        except ExpressionError as exc:
            issues.add(name, _line(document, "eligibility", "when"), f"{label}: eligibility: {exc}")
    if program.eligibility.policy is not None:
        _check_policy(program.eligibility.policy, library, name, document, label, issues)
    exclusions: dict[str, exp.Expr] = {}
    for rule, condition in program.integrity.exclude_sessions.items():
        try:
            exclusions[rule] = parse_when(condition, session_columns())
        except ExpressionError as exc:
            line = _line(document, "integrity", "exclude_sessions", rule)
            issues.add(name, line, f"{label}: exclude_sessions.{rule}: {exc}")
    if len(exclusions) != len(program.integrity.exclude_sessions):
        return None
    if program.eligibility.when is not None and eligibility is None:
        return None
    return CompiledProgram(program, text, eligibility, program.eligibility.policy, exclusions)


def _check_policy(
    policy_id: str,
    library: PolicyLibrary,
    name: str,
    document: LineMapping,
    label: str,
    issues: Issues,
) -> None:
    found = [c for cs in library.compiled.values() for c in cs if c.policy.id == policy_id]
    line = _line(document, "eligibility", "policy")
    if not found:
        known = {c.policy.id for cs in library.compiled.values() for c in cs}
        hint = did_you_mean(policy_id, known)
        issues.add(name, line, f"{label}: eligibility: no policy {policy_id!r}{hint}")
    elif any(c.entity != ENTITY for c in found):
        issues.add(name, line, f"{label}: eligibility: policy {policy_id} is not about merchants")


def policy_condition(library: PolicyLibrary, policy_id: str, day: Any) -> exp.Expr:
    """The condition of policy ``policy_id`` as in force on ``day``."""
    return library.find_policy(policy_id, day).when


def _line(document: LineMapping, *path: str) -> int:
    """The line of the deepest key of ``path`` present in ``document``."""
    line = document.line
    node: Any = document
    for key in path:
        if isinstance(node, LineMapping) and key in node:
            line = node.lines.get(key, line)
            node = node[key]
        else:
            break
    return line
