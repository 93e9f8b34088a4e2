"""Bad input at scale: malformed files, hostile policy and catalog texts, hostile API bodies and
console forms, run as one suite that counts every case it tries.

The product's rule for bad input: a clear error naming the file, row, column or field and the
reason; nothing already stored is lost; policy text never becomes arbitrary SQL; a seller or a
creator sees only their own data; no 5xx and no traceback. Every case is checked against it and
counted (``tests/reliability/counting.py``; the terminal summary prints the counts). A test
collects every failing case of its category before it fails, so one run shows them all.

Fast (``make test``): the generic CSV export, every policy and catalog text, and on SQLite
one or two spoiled values per API and console field. Slow (``make test-slow``): the other
export layouts (real Olist files, the real Shopee sample, TikTok Shop CSV and XLSX, workbooks),
9 MB fields and zip bombs, and every API and console case on PostgreSQL.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from pydantic import ValidationError as PydanticError

from pasar.api.access import ROUTE_SCOPES
from pasar.api.app import api_routes
from pasar.auth.roles import ROLES
from pasar.cli.main import main
from pasar.config import get_settings
from pasar.metrics.catalog import load_catalog
from pasar.warehouse.store import Warehouse
from tests.api.test_access import BODIES, EVIDENCE, Api
from tests.api.test_access import api as api  # the fixture, reused
from tests.conftest import empty_database
from tests.console.test_form_fuzzing import SCRIPT, Fuzz, _body_fields, _filled, _post_routes
from tests.console.test_form_fuzzing import fuzz as fuzz  # the fixtures, reused
from tests.console.test_pages import _sign_in
from tests.console.test_pages import console as console
from tests.console.test_portal import (
    add_user,
    appeal_parts,
    fingerprint,
    post_appeal,
)
from tests.console.test_portal import portal as portal
from tests.console.test_portal import quick_hashing as quick_hashing
from tests.reliability import counting
from tests.reliability.corpus import Case, Layout, RefuseFile, cases, layouts, write_case
from tests.reliability.corpus_requests import Hostile, body_cases, field_kinds, program_cases
from tests.reliability.corpus_texts import AMOUNT_TEXTS, CATALOG_TEXTS, PACK_TEXTS, WHEN_TEXTS
from tests.reliability.ingest_check import make_bench, reference, run_case
from tests.reliability.request_check import (
    changed,
    error_shape,
    leaks,
    names_field,
    store_fingerprint,
)
from tests.reliability.text_check import (
    check_catalog_text,
    check_pack_text,
    compiler_vocabulary,
    environment_is_clean,
    sentinel_connection,
)
from tests.sqlglot_logging import quiet_sqlglot as quiet_sqlglot  # the autouse fixture


def _tried(
    category: str, checks: Iterable[tuple[str, list[str]]], failures: list[str] | None = None
) -> tuple[int, list[str]]:
    """Count every case of ``checks`` (its name and its problems; none when it passed) as a case
    of ``category``; (how many were tried, each failing one with its problems). The failures go
    to ``failures`` when given, where ``checks`` may put, as it runs, failures not counted as
    cases of their own."""
    tried, failures = 0, [] if failures is None else failures
    for name, problems in checks:
        counting.record(category, not problems)
        tried += 1
        if problems:
            failures.append(f"{name}: " + " | ".join(problems))
    return tried, failures


def _report(category: str, tried: int, failures: list[str]) -> None:
    """Print the count and fail with every failing case."""
    print(f"bad input: {category}: {tried} cases tried, {len(failures)} failures")
    assert not failures, f"{len(failures)} of {tried} {category} cases failed:\n" + "\n".join(
        failures
    )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The store of the API and console cases: SQLite in the fast suite, PostgreSQL in the slow
    one (conftest's fixture runs both in the fast suite)."""
    with empty_database(request.param, tmp_path) as url:
        yield url


# -- 1. malformed files for ingestion ----------------------------------------------------

LAYOUTS = [
    pytest.param(layout, id=layout.name, marks=() if n == 0 else pytest.mark.slow)
    for n, layout in enumerate(layouts())
]


def _run_cases(layout: Layout, root: Path, heavy: bool) -> tuple[int, list[str]]:
    bench = make_bench(root)
    good = reference(bench, layout)
    return _tried(
        "ingestion", ((case.id, run_case(bench, case, good)) for case in cases(layout, heavy))
    )


@pytest.mark.parametrize("layout", LAYOUTS)
def test_malformed_exports_are_stored_right_or_refused_with_a_reason(
    layout: Layout, tmp_path: Path
) -> None:
    tried, failures = _run_cases(layout, tmp_path, heavy=False)
    assert tried >= 25, f"only {tried} mutations apply to {layout.name}"
    _report(f"ingestion {layout.name}", tried, failures)


@pytest.mark.slow
@pytest.mark.parametrize(
    "layout",
    [layout for layout in layouts() if layout.text is not None],  # a text column to fill
    ids=lambda layout: layout.name,
)
def test_huge_fields_and_zip_bombs(layout: Layout, tmp_path: Path) -> None:
    tried, failures = _run_cases(layout, tmp_path, heavy=True)
    assert tried >= 1
    _report(f"ingestion {layout.name} (heavy)", tried, failures)


def test_the_corpus_spans_every_layout_and_mutation() -> None:
    every = [case for layout in layouts() for case in cases(layout, heavy=False)]
    assert len(every) >= 200, len(every)
    assert len({c.layout.source for c in every}) == 4  # generic, olist, tiktok-shop, shopee
    assert {c.layout.fmt for c in every} == {"csv", "xlsx"}
    assert len({c.id for c in every}) == len(every)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_cli_refuses_a_malformed_file_in_one_line(
    layout: Layout,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Through ``pasar ingest``: exit code 2 and one line naming the file, no traceback."""
    checks = (
        (f"{case.id} (cli)", _cli_problems(case, tmp_path, monkeypatch, capsys))
        for case in cases(layout, heavy=False)
        if isinstance(case.outcome, RefuseFile)
    )
    tried, failures = _tried("ingestion", checks)
    get_settings.cache_clear()
    assert tried >= 4
    _report(f"ingestion cli {layout.name}", tried, failures)


def _cli_problems(
    case: Case,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> list[str]:
    assert isinstance(case.outcome, RefuseFile)
    layout = case.layout
    home = tmp_path / case.mutation / "home"
    monkeypatch.setenv("PASAR_HOME", str(home))
    get_settings.cache_clear()
    path, target = write_case(home.parent / "files", layout, case.files)
    args = ["ingest", str(path), "--source", layout.source]
    code = main([*args, *(["--seller", layout.seller] if layout.seller else [])])
    err = capsys.readouterr().err.strip()
    named = str(path) if case.outcome.file == "" else str(target)
    problems = []
    if code != 2:
        problems.append(f"exit code {code}")
    if len(err.splitlines()) != 1 or not err.startswith("error:") or "Traceback" in err:
        problems.append(f"not one error line: {err[:300]!r}")
    if named not in err.replace("\n", ""):
        problems.append(f"{named} not named: {err[:300]!r}")
    if (home / "warehouse" / "manifest.json").exists():
        problems.append("something was stored")
    return problems


def test_hostile_mapping_files_name_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mapping file (``--mapping``) is YAML too: every hostile one exits 2 naming it."""
    data = tmp_path / "pesanan.csv"
    data.write_text("No,Toko\n1,T\n", encoding="utf-8")
    bomb = "".join(
        f"{b}: &{b} [" + ", ".join([f"*{a}"] * 10) + "]\n"
        for a, b in itertools.pairwise("abcdefghi")
    )
    mappings: dict[str, str | bytes] = {
        "yaml-bomb": "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + bomb + "columns: *i\n",
        "deep-nesting": "columns: " + "[" * 5000 + "]" * 5000 + "\n",
        "python-tag": "columns: !!python/object/apply:os.system ['touch pwned']\n",
        "february-30": "table: orders\ncolumns: {order_id: No}\nsince: 2026-02-30\n",
        "huge-number": "table: orders\nversion: " + "9" * 5000 + "\n",
        "duplicate-keys": "table: orders\ntable: sellers\ncolumns: {seller_id: Toko}\n",
        "binary": b"\x89PNG\r\n\x1a\n\x00\xff\xfe",
        "latin1": "table: orders\ncolumns: {order_id: Nº}\n".encode("latin-1"),
        "not-a-mapping": "- table\n- orders\n",
        "unknown-table": "table: users; DROP TABLE orders\ncolumns: {x: No}\n",
        "empty": "",
    }
    checks = itertools.chain(
        [("mapping:sql-in-names", _sql_names_problems(tmp_path, monkeypatch, capsys))],
        (
            (f"mapping:{name}", _mapping_problems(data, name, text, monkeypatch, capsys))
            for name, text in mappings.items()
        ),
    )
    tried, failures = _tried("ingestion", checks)
    get_settings.cache_clear()
    _report("ingestion mapping files", tried, failures)


def _sql_names_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> list[str]:
    """Names that look like SQL are quoted identifiers and literals: this mapping simply works."""
    sql = tmp_path / "sql-names.csv"
    sql.write_text('"No""; DROP TABLE orders; --"\n1\n', encoding="utf-8")
    sql_mapping = tmp_path / "sql-names.yml"
    sql_mapping.write_text(
        "table: orders\ncolumns:\n  order_id: 'No\"; DROP TABLE orders; --'\n"
        '  seller_id: {constant: "S1\'); DROP TABLE sellers; --"}\n'
        "  buyer_id: {constant: b1}\n  created_at: {constant: '2024-01-02 10:00'}\n"
        "  status: {constant: delivered}\n  gmv: {constant: '1500'}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PASAR_HOME", str(tmp_path / "sql-names" / "home"))
    get_settings.cache_clear()
    code = main(["ingest", str(sql), "--mapping", str(sql_mapping)])
    out = capsys.readouterr()
    stored = (
        Warehouse(get_settings().warehouse_dir)
        .connect()
        .execute("SELECT order_id, seller_id FROM orders")
        .fetchall()
    )
    ok = code == 0 and stored == [("1", "S1'); DROP TABLE sellers; --")]
    return [] if ok else [f"exit {code}, stored {stored}: {out.err[:300]}"]


def _mapping_problems(
    data: Path,
    name: str,
    text: str | bytes,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> list[str]:
    """``data`` ingested with the hostile mapping ``text``: exit code 2, one line naming it."""
    mapping = data.parent / f"{name}.yml"
    mapping.write_bytes(text if isinstance(text, bytes) else text.encode())
    monkeypatch.setenv("PASAR_HOME", str(data.parent / name / "home"))
    get_settings.cache_clear()
    code = main(["ingest", str(data), "--mapping", str(mapping)])
    err = capsys.readouterr().err.strip()
    problems = []
    if code != 2:
        problems.append(f"exit code {code}: {err[:300]}")
    if str(mapping) not in err or len(err.splitlines()) != 1 or len(err) > 2_000:
        problems.append(f"not one line naming the mapping: {err[:300]!r}")
    return problems + environment_is_clean()


# -- 2. hostile policy and catalog texts --------------------------------------------------


def _expectation(name: str) -> str | None:
    if name.startswith("policy-tests:"):
        return "refused"  # each is refused in tests/policy: here in a pack, with a sentinel
    if name.startswith("harmless:") or name.startswith("amount:fine"):
        return "compiled"
    return None


@pytest.mark.parametrize(
    "texts",
    [
        pytest.param(WHEN_TEXTS[: len(WHEN_TEXTS) // 2], id="when-1"),
        pytest.param(WHEN_TEXTS[len(WHEN_TEXTS) // 2 :], id="when-2"),
        pytest.param(AMOUNT_TEXTS + PACK_TEXTS, id="amounts-and-pack-files"),
    ],
)
def test_hostile_policy_packs_are_refused_at_their_line_or_compile_to_the_whitelist(
    texts: list[Any], tmp_path: Path
) -> None:
    catalog = load_catalog()
    con = sentinel_connection()
    checks = (
        (
            text.name,
            check_pack_text(text, tmp_path / str(n), catalog, _expectation(text.name), con)
            + environment_is_clean(),
        )
        for n, text in enumerate(texts)
    )
    _report("policy packs", *_tried("policy", checks))


def test_hostile_catalog_files_are_refused_at_their_line_or_compile_to_the_whitelist(
    tmp_path: Path,
) -> None:
    vocabulary = compiler_vocabulary()
    checks = (
        (
            text.name,
            check_catalog_text(text, tmp_path / str(n), vocabulary) + environment_is_clean(),
        )
        for n, text in enumerate(CATALOG_TEXTS)
    )
    _report("catalog files", *_tried("catalog", checks))


def test_the_text_corpus_is_large_enough() -> None:
    packs = len(WHEN_TEXTS) + len(AMOUNT_TEXTS) + len(PACK_TEXTS)
    assert packs + len(CATALOG_TEXTS) >= 100
    assert len({t.name for t in [*WHEN_TEXTS, *AMOUNT_TEXTS, *PACK_TEXTS, *CATALOG_TEXTS]}) == (
        packs + len(CATALOG_TEXTS)
    )


CHECKED_LIKE_EXPR = ("metric-filter", "dimension-expr", "join-column", "metric-expr")


def test_metrics_validate_names_a_hostile_catalog_in_one_line_per_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``pasar metrics validate``: exit code 2, every problem as ``file:line: reason``."""
    monkeypatch.setenv("PASAR_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    checks = (
        (f"{text.name} (cli)", _validate_problems(text.body, tmp_path / str(n), capsys))
        for n, text in enumerate(CATALOG_TEXTS)
        # expressions are checked through the loader above; here the files as a whole
        if "fine" not in text.name and text.name.split(":")[1] not in CHECKED_LIKE_EXPR
    )
    tried, failures = _tried("catalog", checks)
    get_settings.cache_clear()
    _report("catalog validate cli", tried, failures)


def _validate_problems(
    body: str | bytes, folder: Path, capsys: pytest.CaptureFixture[str]
) -> list[str]:
    folder.mkdir()
    path = folder / "extra.yml"
    path.write_bytes(body if isinstance(body, bytes) else body.encode())
    code = main(["metrics", "validate", "--catalog", str(folder)])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    problems = []
    if code != 2:
        problems.append(f"exit code {code}")
    if not lines or "Traceback" in err:
        problems.append(f"no clear error: {err[:300]!r}")
    if not any(line.startswith(f"{path}:") for line in lines):
        problems.append(f"no line names {path}: {err[:300]!r}")
    return problems


# -- 3. hostile API bodies and console forms ---------------------------------------------


def _role_for(scope: str) -> str:
    """The least trusted role that may call a route of ``scope``."""
    for role in ("seller", "creator", "agent", "analyst", "governance_reviewer"):
        if scope in ROLES[role]:
            return role
    return "admin"


def _good_body(api: Api, route: APIRoute) -> dict[str, Any]:
    if route.name == "submit_appeal":
        return {
            "violation_id": api.violations["S1"],
            "reason": "logistics_provider",
            "evidence": EVIDENCE,
            "statement": "again",
        }
    if route.name == "submit_plan":
        return {
            "action_id": api.ids["S1"]["action_id"],
            "root_causes": ["a"],
            "corrective_actions": ["b"],
            "preventive_measures": ["c"],
            "evidence": ["d"],
        }
    return dict(BODIES.get(route.name) or {})


# rows the write routes act on that the access fixture does not make: the good body of each
# route is sent once before its hostile ones, so that the creating routes make them
MORE_IDS = {
    "program_id": 1, "task_id": 1, "predecessor_id": 2, "risk_id": 1, "document_id": 1,
    "handover_id": 1, "item_id": 1, "key": "access-check", "run_id": 1,
}  # fmt: skip
OTHERS = {"seller": ("S2",), "creator": ("C2",), "agent": ("C2",)}


@dataclass
class WriteRoute:
    """A write route as the cases call it: method, path with ids, role, body model."""

    method: str
    path: str
    role: str
    route: APIRoute
    model: Any  # the pydantic model of a JSON body, or None

    def schema_refuses(self, body: bytes) -> bool:
        """Whether the body breaks the route's own schema (so the field must be named)."""
        if self.model is None:
            return False
        try:
            self.model.model_validate(json.loads(body))
        except (ValueError, PydanticError):
            return True
        return False


def _write_routes(api: Api) -> list[WriteRoute]:
    found = []
    ids = {**MORE_IDS, **api.ids["S1"]}
    for path, route in api_routes():
        method = sorted(route.methods)[0]
        if method == "GET":
            continue
        calls = [d.call for d in route.dependant.dependencies]
        scope = next(ROUTE_SCOPES[c] for c in calls if c in ROUTE_SCOPES)
        for name in re.findall(r"{(\w+)}", path):
            path = path.replace("{" + name + "}", str(ids[name]))
        json_body = route.body_field is not None and route.name != "attach_evidence"
        model = route.body_field.field_info.annotation if json_body and route.body_field else None
        found.append(WriteRoute(method, path, _role_for(scope), route, model))
    return found


def _cases(api: Api, write: WriteRoute, full: bool) -> list[Hostile]:
    good = _good_body(api, write.route)
    kinds: dict[str, str] = {}
    required: list[str] = []
    if write.model is not None:
        schema = write.model.model_json_schema()
        kinds, required = field_kinds(schema), list(schema.get("required", []))
    found = body_cases(write.route.name, good, kinds, required, full)
    if "source" in kinds:
        found += program_cases(write.route.name, good)
    return found


def test_hostile_api_bodies_get_a_clear_4xx_and_change_nothing(api: Api, database_url: str) -> None:
    """Every write route, signed in as the least trusted role that may call it. On SQLite
    (fast) each field gets its wrong type, null, missing and one more spoiled value; on
    PostgreSQL (slow) every spoiled value."""
    full = database_url.startswith("postgresql")
    statuses: list[int] = []
    failures: list[str] = []
    tried, failures = _tried("api", _api_checks(api, full, statuses, failures), failures)
    refused = sum(400 <= status < 500 for status in statuses)
    assert tried >= 200 and refused >= tried // 2, (tried, refused)
    _report("api bodies", tried, failures)


def _api_checks(
    api: Api, full: bool, statuses: list[int], failures: list[str]
) -> Iterator[tuple[str, list[str]]]:
    """Each hostile body of each write route, sent after the route's good body: (the case, its
    problems). The status of each answer goes to ``statuses``; a good body answered 5xx, which
    is not a case of its own, goes to ``failures``."""
    engine = api.client.app.state.db.engine  # type: ignore[attr-defined]
    for write in _write_routes(api):
        headers = {"Authorization": f"Bearer {api.tokens[write.role]}"}
        try:  # the good body first: it makes the rows later routes act on
            good = api.client.request(
                write.method, write.path, json=_good_body(api, write.route), headers=headers
            )
        except Exception as exc:
            good = _Crash(exc)
        if good.status_code >= 500:
            failures.append(f"{write.method} {write.path} good body: {good.text[:300]}")
        before = store_fingerprint(engine)
        for case in _cases(api, write, full):
            sent = {**headers, "Content-Type": case.content_type}
            try:
                response = api.client.request(
                    write.method, write.path, content=case.body, headers=sent
                )
            except Exception as exc:  # the test client re-raises what the server let escape
                response = _Crash(exc)
            after = store_fingerprint(engine)
            statuses.append(response.status_code)
            problems = _answer_problems(write, case, response, changed(before, after))
            before = after
            yield f"{write.method} {write.path} as {write.role} {case.name}", problems


class _Crash:
    """What a client would get from an exception the server let escape: a 500."""

    def __init__(self, exc: Exception) -> None:
        self.status_code = 500
        self.text = f"unhandled {type(exc).__name__}: {str(exc)[:200]}"
        self.headers: dict[str, str] = {}


def _answer_problems(
    write: WriteRoute, case: Hostile, response: Any, changes: list[str]
) -> list[str]:
    status = response.status_code
    problems = []
    if "Traceback" in response.text:
        problems.append("a traceback in the answer")
    problems += leaks(response.text, status, OTHERS.get(write.role, ()))
    if status >= 500:
        return [*problems, f"{status}: {response.text[:300]}"]
    field_at_fault = case.field is not None and write.schema_refuses(case.body)
    if field_at_fault and status not in (400, 413, 422):
        problems.append(f"{status}, though {case.field} breaks the schema")
    if status < 400:
        return problems
    try:
        body = response.json()
    except ValueError:
        body = response.text
    problems += error_shape(body)
    if not problems and field_at_fault and status == 422 and not names_field(body, str(case.field)):
        problems.append(f"422 does not name {case.field}: {body['error']}")
    if changes:
        problems.append(f"refused but changed {changes}")
    return problems


NASTY_FORM_VALUES = {
    "script": SCRIPT,
    "image-onerror": '"><img src=x onerror=alert(1)>',
    "nul-byte": "a\x00b",
    "huge-text": "y" * 100_000,
    "traversal": "../../../../etc/passwd",
    "template": "{{ 7*7 }}{% raw %}",
    "rtl-override": "\u202egnp.exe",
}


def test_hostile_console_forms_are_escaped_or_refused(fuzz: Fuzz, database_url: str) -> None:
    """Every console form, each field in turn holding nasty values (every one on PostgreSQL,
    the script and one more on SQLite), signed in as an administrator with a valid CSRF token;
    then every form without a token."""
    full = database_url.startswith("postgresql")
    portal = fuzz.portal
    app: Any = portal.client.app
    add_user(portal, "root", "admin")
    admin = portal.other_client()
    csrf = _sign_in(admin, "root")
    routes = [
        (p, r)
        for p, r in _post_routes(app.routes)
        if not p.startswith("/api/") and p not in ("/login", "/logout")
    ]
    assert len(routes) >= 8
    ids = {"violation_id": fuzz.violation, "action_id": portal.plan_action}
    checks = _form_checks(fuzz, routes, ids, admin, csrf, full)
    _report("console forms", *_tried("console", checks))


def _form_checks(
    fuzz: Fuzz,
    routes: list[tuple[str, Any]],
    ids: dict[str, Any],
    admin: Any,
    csrf: str,
    full: bool,
) -> Iterator[tuple[str, list[str]]]:
    """Each field of each form holding each nasty value, then each form without a CSRF token:
    (the case, its problems)."""
    portal = fuzz.portal
    for template, route in routes:
        path, form = _filled(template, route, ids)
        names = [f.alias for f in _body_fields(route.dependant) if f.alias != "csrf_token"]
        for n, name in enumerate(names or ["(none)"]):
            values = list(NASTY_FORM_VALUES.items())
            if not full:
                values = [values[0], values[1:][n % (len(values) - 1)]]
            for what, value in values:
                before = fingerprint(portal)
                try:
                    if template == "/violations/{violation_id}/appeal":
                        parts = _appeal(fuzz.csrf, value)
                        answer = post_appeal(fuzz.client, fuzz.violation, parts)
                    else:
                        answer = admin.post(path, data={**form, name: value, "csrf_token": csrf})
                except Exception as exc:  # the test client re-raises what the server let escape
                    answer = _Crash(exc)
                problems = _form_problems(answer, value, before, fingerprint(portal))
                yield f"{template} {name}={what}", problems
        answer = admin.post(path, data=form)  # no CSRF token at all
        ok = answer.status_code == 403 and "this form is stale" in answer.text
        yield f"{template} without a token", [] if ok else [f"{answer.status_code}"]


def _appeal(csrf: str, value: str) -> list[Any]:
    return appeal_parts(csrf, statement=value, texts={"evidence_0": value, "evidence_2": value})


def _form_problems(answer: Any, value: str, before: Any, after: Any) -> list[str]:
    problems = []
    if answer.status_code >= 500:
        problems.append(f"{answer.status_code}")
    if "Traceback" in answer.text:
        problems.append("a traceback on the page")
    if value in (SCRIPT, NASTY_FORM_VALUES["image-onerror"]) and value in answer.text:
        problems.append("the value is shown unescaped")
    if answer.status_code in (400, 403, 404, 409, 413, 422):
        if after != before:
            problems.append("refused but the store changed")
        shown = re.search(r'class="error"[^>]*>(.*?)</p>', answer.text, re.S)
        if answer.headers.get("content-type", "").startswith("text/html") and not (
            shown and shown[1].strip()
        ):
            problems.append("refused without a message")
    return problems
