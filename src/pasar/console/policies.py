"""Console pages of the policy library: every pack version, one pack's source and policies, and
the backtest of a draft — pasted YAML — against a pack over past days.

A draft only ever goes through the policy loader (:func:`pasar.policy.packs.load_library`), which
refuses anything that is not a safe condition over snapshot columns before it reaches a
database. The loader reads files, so the draft is written to a private temporary folder, named
by the hash of its text: nothing is added to the library. That name also lets the result's
downloads (plain links) replay the same backtest.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import os
import re
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import duckdb
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from pasar.api.access import session
from pasar.config import Settings
from pasar.console.charts import line_chart
from pasar.console.labels import INDONESIAN
from pasar.console.shell import Page, page
from pasar.console.tables import Column, Table
from pasar.kit.errors import PasarError
from pasar.kit.issues import IssuesError
from pasar.metrics.engines import duckdb as engine
from pasar.metrics.query import catalog_for, latest_day
from pasar.policy.backtest import Backtest, backtest
from pasar.policy.packs import PolicyLibrary, Selection, load_library, select
from pasar.policy.spec import Outcome, Pack
from pasar.warehouse.store import Warehouse

router = APIRouter(include_in_schema=False)

DEFAULT_PACK = "tokopedia-id"
DEFAULT_DAYS = 14  # the form proposes the last two weeks of warehouse data
MAX_DAYS = 92  # longer replays belong to `pasar policy backtest`, not to a web request
MAX_DRAFT_CHARS = 200_000
DRAFT_KEEP_SECONDS = 24 * 3600
RESULTS_KEPT = 16  # recent backtests kept in memory for their downloads and table pages
RESULT_KEEP_SECONDS = 30 * 60
_KEY = re.compile(r"^[0-9a-f]{64}$")
_RESULTS: dict[tuple[Any, ...], tuple[float, Backtest]] = {}
_RESULTS_LOCK = threading.Lock()

CHANGES = {
    "only in pack": "newly flagged",
    "only in other": "no longer flagged",
    "different": "flagged differently",
    "same": "unchanged",
}

OPEN_ENDED = "A pack without an end date stays in force."
WHO_CHANGED = "Newly flagged: only the draft flags them; no longer flagged: only the pack does."

INDONESIAN.update(
    {
        "Today is": "Hari ini",
        OPEN_ENDED: "Paket tanpa tanggal akhir tetap berlaku.",
        WHO_CHANGED: (
            "Baru ditandai: hanya draf yang menandai mereka; tidak lagi ditandai: hanya paket "
            "yang menandai."
        ),
        "Policy packs": "Paket kebijakan",
        "Policies of this pack": "Kebijakan dalam paket ini",
        "In force today": "Berlaku hari ini",
        "yes": "ya",
        "no": "tidak",
        "Description": "Deskripsi",
        "When": "Kondisi",
        "Outcome": "Hasil",
        "Outcome kind": "Jenis hasil",
        "Points or action": "Poin atau tindakan",
        "Cooldown": "Jeda",
        "Severity": "Tingkat",
        "Explanation (English)": "Penjelasan (Inggris)",
        "Explanation (Indonesian)": "Penjelasan (Indonesia)",
        "Source": "Sumber",
        "No policy packs.": "Tidak ada paket kebijakan.",
        "Backtest a change to this pack": "Uji mundur perubahan paket ini",
        "Draft pack (YAML)": "Draf paket (YAML)",
        "First day": "Hari pertama",
        "Last day": "Hari terakhir",
        "Nothing: the draft alone": "Tidak ada: draf saja",
        "version in force each day": "versi yang berlaku setiap hari",
        "The draft was not run": "Draf tidak dijalankan",
        "Findings per day": "Temuan per hari",
        "Findings, draft": "Temuan, draf",
        "Findings, against": "Temuan, pembanding",
        "Difference": "Selisih",
        "Subjects hit, draft": "Subjek terkena, draf",
        "Subjects hit, against": "Subjek terkena, pembanding",
        "Points, draft": "Poin, draf",
        "Points, against": "Poin, pembanding",
        "Reward cost, draft": "Biaya hadiah, draf",
        "Reward cost, against": "Biaya hadiah, pembanding",
        "Pack applied": "Paket yang berlaku",
        "Subjects": "Subjek",
        "Subject": "Subjek",
        "Change": "Perubahan",
        "Points difference": "Selisih poin",
        "Policies, draft": "Kebijakan, draf",
        "Policies, against": "Kebijakan, pembanding",
        "Findings": "Temuan",
        "Points over the days": "Poin selama periode",
        "Policies hit": "Kebijakan yang terkena",
        "newly flagged": "baru ditandai",
        "no longer flagged": "tidak lagi ditandai",
        "flagged differently": "ditandai berbeda",
        "unchanged": "tidak berubah",
        "flagged": "ditandai",
        "Backtest per day": "Uji mundur per hari",
        "Subjects, draft against pack": "Subjek, draf dibandingkan paket",
        "No subject was flagged by either side.": "Tidak ada subjek yang ditandai.",
        "Result": "Hasil",
        "Draft findings": "Temuan draf",
        "Against findings": "Temuan pembanding",
        "against": "dibandingkan dengan",
        "Newly flagged": "Baru ditandai",
        "No longer flagged": "Tidak lagi ditandai",
        "Flagged differently": "Ditandai berbeda",
        "Subjects flagged": "Subjek ditandai",
        "in force today": "berlaku hari ini",
        "not in force today": "tidak berlaku hari ini",
        "at most": "paling lama",
        "days": "hari",
        "Each pack version is one YAML file: a condition over an entity's metric snapshot and "
        "an outcome per policy. The version in force on a day is chosen by its dates.": (
            "Setiap versi paket adalah satu berkas YAML: sebuah kondisi atas snapshot metrik "
            "entitas dan satu hasil per kebijakan. Versi yang berlaku pada suatu hari dipilih "
            "menurut tanggalnya."
        ),
        "Edit a policy pack below and replay it over past days of the warehouse: what it would "
        "have found each day, and who it flags differently from the pack you compare it with. "
        "Nothing is saved and nothing is enforced.": (
            "Ubah paket kebijakan di bawah dan jalankan ulang atas hari-hari lalu di gudang data: "
            "apa yang akan ditemukannya setiap hari, dan siapa yang ditandai berbeda dari paket "
            "pembanding. Tidak ada yang disimpan dan tidak ada yang ditegakkan."
        ),
        "Conditions may only read the entity's snapshot columns; anything else is refused "
        "before it runs.": (
            "Kondisi hanya boleh membaca kolom snapshot entitas; selain itu ditolak sebelum "
            "dijalankan."
        ),
    }
)


@dataclasses.dataclass
class BacktestForm:
    """What the backtest form holds (as typed: dates are checked when it runs)."""

    draft: str
    start: str
    end: str
    against: str


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _library(settings: Settings, drafts: Sequence[Path] = ()) -> PolicyLibrary:
    return load_library(catalog_for(settings), settings.policy_path, drafts)


def outcome_text(outcome: Outcome) -> str:
    """An outcome as one phrase: ``2–4 points``, ``order_cap for 7 days (0.9)`` …"""
    if outcome.kind == "points":
        top = outcome.points_max
        return f"{outcome.points}–{top} points" if top else f"{outcome.points} points"
    if outcome.kind == "action":
        days = f" for {outcome.days} days" if outcome.days else " until lifted"
        value = f" ({outcome.value:g})" if outcome.value is not None else ""
        return f"{outcome.action}{days}{value}"
    if outcome.kind == "reward":
        return f"reward {outcome.amount} as {outcome.form or 'reward'}"
    return {"eligibility": "eligible", "gate": "gate passes"}[outcome.kind]


@router.get("/policies")
def policies_page(request: Request, view: Page = Depends(page, scope="function")) -> Response:
    """Every version of every policy pack, with its dates and whether it is in force today."""
    if not view.can("policies:read"):
        return view.error(403, "Not allowed", "Your role cannot read policy packs.")
    try:
        library = _library(_settings(request))
    except IssuesError as exc:
        return view.error(503, "Policy packs have problems", str(exc))
    today = dt.date.today()
    rows = [
        {
            "pack": p.pack,
            "version": p.version,
            "region": p.region,
            "entity": p.entity,
            "effective_from": p.effective_from,
            "effective_to": p.effective_to,
            "policies": len(p.policies),
            "in_force": view.t("yes" if p.in_force(today) else "no"),
            "description": p.description,
        }
        for p in sorted(library.packs, key=lambda p: (p.pack, p.version))
    ]
    table = Table(
        "packs",
        "Policy packs",
        [
            Column("pack", "Pack", href="/policies/{pack}/{version}"),
            Column("version", "Version", "int", href="/policies/{pack}/{version}"),
            Column("region", "Region"),
            Column("entity", "Entity"),
            Column("effective_from", "Effective from", "date"),
            Column("effective_to", "Effective to", "date"),
            Column("policies", "Policies", "int"),
            Column("in_force", "In force today"),
            Column("description", "Description"),
        ],
        rows,
        empty="No policy packs.",
        note=f"{view.t('Today is')} {today}. {view.t(OPEN_ENDED)}",
    )
    return view.render(
        "policies.html", "Policies", packs=table, can_backtest=view.can("policies:backtest")
    )


@router.get("/policies/backtest")
def backtest_page(
    request: Request,
    pack: str = "",
    draft: str = "",
    start: str = "",
    end: str = "",
    against: str | None = None,
    view: Page = Depends(page, scope="function"),
) -> Response:
    """The backtest form, pre-filled with a pack (``?pack=NAME`` or ``NAME@VERSION``) and the
    last two weeks of warehouse data; with ``?draft=<key>`` it replays a draft run before
    (what the result's download links ask for)."""
    if not view.can("policies:backtest"):
        return view.error(403, "Not allowed", "Your role cannot backtest policy packs.")
    settings = _settings(request)
    try:
        library = _library(settings)
    except IssuesError as exc:
        return view.error(503, "Policy packs have problems", str(exc))
    if draft:
        text = _kept_draft(draft)
        form = BacktestForm(text or "", start, end, against or "")
        if text is None:
            message = "This draft is no longer kept on the server: paste it and run it again."
            return _render_form(view, library, form, problems=[message], status=404)
        return _run(view, settings, library, form)
    chosen = pack or DEFAULT_PACK
    try:
        selection = select(library, chosen)
    except PasarError as exc:
        return view.error(404, "Not found", str(exc))
    shown = selection.fixed or library.versions(chosen)[-1]
    assert shown.origin is not None
    last = _last_day(settings)
    form = BacktestForm(
        Path(shown.origin.file).read_text(encoding="utf-8"),
        start or (last - dt.timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
        end or last.isoformat(),
        shown.pack if against is None else against,
    )
    return _render_form(view, library, form)


@router.post("/policies/backtest")
def run_backtest(
    request: Request,
    draft: str = Form(""),
    start: str = Form(""),
    end: str = Form(""),
    against: str = Form(""),
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Check the draft with the policy loader, then replay it against the chosen pack."""
    view.check_csrf(unit, csrf_token)
    if not view.can("policies:backtest"):
        return view.error(403, "Not allowed", "Your role cannot backtest policy packs.")
    settings = _settings(request)
    try:
        library = _library(settings)
    except IssuesError as exc:
        return view.error(503, "Policy packs have problems", str(exc))
    form = BacktestForm(draft.replace("\r\n", "\n"), start, end, against)
    return _run(view, settings, library, form)


@router.get("/policies/{name}/{version}")
def pack_page(
    name: str, version: str, request: Request, view: Page = Depends(page, scope="function")
) -> Response:
    """One pack version: its YAML source and a table of its policies."""
    if not view.can("policies:read"):
        return view.error(403, "Not allowed", "Your role cannot read policy packs.")
    try:
        library = _library(_settings(request))
    except IssuesError as exc:
        return view.error(503, "Policy packs have problems", str(exc))
    if not version.isdigit():
        return view.error(404, "Not found", f"{version!r} is not a pack version number.")
    try:
        pack = library.version(name, int(version))
    except PasarError as exc:
        return view.error(404, "Not found", str(exc))
    assert pack.origin is not None
    source = Path(pack.origin.file).read_text(encoding="utf-8")
    rows = [
        {
            "id": p.id,
            "version": p.version,
            "when": p.when,
            "kind": p.outcome.kind,
            "outcome": outcome_text(p.outcome),
            "cooldown": p.cooldown or "",
            "severity": p.severity,
            "category": p.category,
            "explain_en": p.explain.en,
            "explain_id": p.explain.id,
        }
        for p in pack.policies
    ]
    table = Table(
        "policies",
        "Policies of this pack",
        [
            Column("id", "Policy"),
            Column("version", "Version", "int"),
            Column("when", "When"),
            Column("kind", "Outcome kind"),
            Column("outcome", "Points or action"),
            Column("cooldown", "Cooldown"),
            Column("severity", "Severity"),
            Column("category", "Category"),
            Column("explain_en", "Explanation (English)"),
            Column("explain_id", "Explanation (Indonesian)"),
        ],
        rows,
    )
    return view.render(
        "policy.html",
        pack.ref,
        pack=pack,
        in_force=pack.in_force(dt.date.today()),
        source=source,
        policies=table,
        can_backtest=view.can("policies:backtest"),
    )


# -- the backtest ------------------------------------------------------------------------------


class _Linked(Page):
    """The page answering a backtest: its links (downloads, pages of tables) carry what
    replays the same backtest, since the form itself was posted."""

    def __init__(self, view: Page, carried: dict[str, str]) -> None:
        self.__dict__.update(view.__dict__)  # the same page (user, scopes, CSRF token …)
        self.carried = carried

    def url(self, **changes: str | int) -> str:
        """This page's address replaying the backtest, with some query parameters changed."""
        query = {
            k: v for k, v in self.request.query_params.items() if k not in ("download", "format")
        }
        query.update(self.carried)
        query.update({k: str(v) for k, v in changes.items()})
        return f"{self.request.url.path}?{urlencode(query)}"


def _run(view: Page, settings: Settings, library: PolicyLibrary, form: BacktestForm) -> Response:
    """Validate the form and the draft, replay it, and show the result (or every problem)."""
    problems: list[str] = []
    first = _date(form.start, "first day", problems)
    last = _date(form.end, "last day", problems)
    if first and last:
        if last < first:
            problems.append(f"The last day {last} is before the first day {first}.")
        elif (last - first).days + 1 > MAX_DAYS:
            problems.append(
                f"The console replays at most {MAX_DAYS} days at a time; for longer periods run "
                "`pasar policy backtest`."
            )
    if not form.draft.strip():
        problems.append("The draft is empty: paste a policy pack in YAML.")
    elif len(form.draft) > MAX_DRAFT_CHARS:
        problems.append(f"The draft is longer than {MAX_DRAFT_CHARS:,} characters.")
    if problems:
        return _render_form(view, library, form, problems=problems, status=422)
    assert first is not None and last is not None
    key, path = _keep_draft(form.draft)
    try:
        with_draft = _library(settings, [path])
    except IssuesError as exc:
        problems = [
            (f"line {i.line}: {i.message}" if i.line else i.message)
            if i.file == str(path)
            else str(i)
            for i in exc.issues
        ]
        return _render_form(view, library, form, problems=problems, status=422)
    try:
        fixed = select(with_draft, str(path)).fixed
        assert fixed is not None
        mine = Selection(f"draft {fixed.ref}", with_draft, fixed=fixed)
        other = select(with_draft, form.against) if form.against else None
        if other is not None and other.label == mine.label:
            other = dataclasses.replace(other, label=f"pack {other.label}")
        result = _replayed(settings, with_draft, mine, other, first, last, (key, form.against))
    except (PasarError, duckdb.Error) as exc:
        return _render_form(view, library, form, problems=[str(exc)], status=422)
    carried = {"draft": key, "start": form.start, "end": form.end, "against": form.against}
    linked = _Linked(view, carried)
    return _render_form(linked, library, form, **_result(linked, result))


def _replayed(
    settings: Settings,
    library: PolicyLibrary,
    mine: Selection,
    other: Selection | None,
    first: dt.date,
    last: dt.date,
    names: tuple[str, str],
) -> Backtest:
    """The backtest of ``mine`` against ``other``, reused for a while when nothing it depends
    on changed: its downloads and the pages of its tables ask for the same one again."""
    packs = sorted(
        (p.origin.file, Path(p.origin.file).stat().st_mtime_ns)
        for p in library.packs
        if p.origin is not None
    )
    version = Warehouse(settings.warehouse_dir).manifest().version
    key = (str(settings.home.resolve()), version, tuple(packs), *names, first, last)
    moment = time.monotonic()
    with _RESULTS_LOCK:
        for stale in [k for k, (at, _) in _RESULTS.items() if moment - at > RESULT_KEEP_SECONDS]:
            del _RESULTS[stale]
        kept = _RESULTS.get(key)
    if kept is not None:
        return kept[1]
    result = backtest(mine, first, last, settings, catalog_for(settings), against=other)
    with _RESULTS_LOCK:
        _RESULTS[key] = (moment, result)
        while len(_RESULTS) > RESULTS_KEPT:
            del _RESULTS[next(iter(_RESULTS))]
    return result


def _render_form(
    view: Page,
    library: PolicyLibrary,
    form: BacktestForm,
    problems: Sequence[str] = (),
    status: int = 200,
    **values: Any,
) -> Response:
    packs = sorted(library.packs, key=lambda p: (p.pack, p.version))
    choices = [
        (name, f"{name} ({view.t('version in force each day')})") for name in library.names()
    ]
    choices += [(p.ref, f"{p.ref} ({_dates(p)})") for p in packs]
    if form.against and form.against not in {value for value, _ in choices}:
        choices.append((form.against, form.against))
    return view.render(
        "backtest.html",
        "Backtest a draft",
        status,
        form=form,
        choices=choices,
        problems=list(problems),
        max_days=MAX_DAYS,
        **values,
    )


def _result(view: Page, result: Backtest) -> dict[str, Any]:
    """The tables, totals and chart of a backtest."""
    other = result.other
    days = result.days.to_pylist()
    rows = []
    for row in days:
        shown: dict[str, Any] = {
            "day": row["day"],
            "draft_findings": row["findings"],
            "draft_subjects": row["subjects_hit"],
            "draft_points": row["points"],
            "draft_reward": row["reward_cost"],
        }
        if other is not None:
            shown |= {
                "against_findings": row["other_findings"],
                "difference": row["findings"] - row["other_findings"],
                "against_subjects": row["other_subjects_hit"],
                "against_points": row["other_points"],
                "against_reward": row["other_reward_cost"],
                "against_pack": row["other_pack"],
            }
        rows.append(shown)
    rewarded = any(r["draft_reward"] or r.get("against_reward") for r in rows)
    columns = [Column("day", "Day", "date"), Column("draft_findings", "Findings, draft", "int")]
    if other is not None:
        columns += [
            Column("against_findings", "Findings, against", "int"),
            Column("difference", "Difference", "int"),
        ]
    columns.append(Column("draft_subjects", "Subjects hit, draft", "int"))
    if other is not None:
        columns.append(Column("against_subjects", "Subjects hit, against", "int"))
    columns.append(Column("draft_points", "Points, draft", "int"))
    if other is not None:
        columns.append(Column("against_points", "Points, against", "int"))
    if rewarded:
        columns.append(Column("draft_reward", "Reward cost, draft", "money"))
        if other is not None:
            columns.append(Column("against_reward", "Reward cost, against", "money"))
    if other is not None:
        columns.append(Column("against_pack", "Pack applied"))
    against = f" {view.t('against')} {other.label}" if other is not None else ""
    day_table = Table(
        "days",
        "Backtest per day",
        columns,
        rows,
        note=f"{result.main.label}{against}, {result.start} → {result.end}",
        per_page=MAX_DAYS,
    )
    subjects = _subjects_table(result, view)
    series = {view.t("Draft findings") + f" ({result.main.label})": _line(days, "findings")}
    if other is not None:
        series[view.t("Against findings") + f" ({other.label})"] = _line(days, "other_findings")
    chart = line_chart(series, view.t("Findings per day"))
    changes = {label: 0 for label in CHANGES.values()}
    for row in subjects.rows if other is not None else []:
        changes[row["change"]] = changes.get(row["change"], 0) + 1
    totals: list[tuple[str, int]] = [("Draft findings", sum(r["draft_findings"] for r in rows))]
    if other is not None:
        totals += [
            ("Against findings", sum(r["against_findings"] for r in rows)),
            ("Newly flagged", changes["newly flagged"]),
            ("No longer flagged", changes["no longer flagged"]),
            ("Flagged differently", changes["flagged differently"]),
        ]
    else:
        totals.append(("Subjects flagged", len(subjects.rows)))
    return {
        "days": day_table,
        "subjects": subjects,
        "chart": chart,
        "totals": totals,
        "run": result,
    }


def _line(days: list[dict[str, Any]], key: str) -> list[tuple[Any, float | None]]:
    """A day's value per point."""
    return [(row["day"], row[key]) for row in days]


def _subjects_table(result: Backtest, view: Page) -> Table:
    rows = result.subjects.to_pylist()
    if result.other is None:
        return Table(
            "subjects",
            "Subjects",
            [
                Column("entity", "Entity"),
                Column("subject", "Subject"),
                Column("findings", "Findings", "int"),
                Column("points", "Points", "int"),
                Column("policies", "Policies hit"),
                Column("first_day", "First day", "date"),
            ],
            rows,
            empty="No subject was flagged by either side.",
        )
    shown = [
        {
            "entity": r["entity"],
            "subject": r["subject"],
            "change": CHANGES.get(r["change"], r["change"]),
            "draft_findings": r["findings"] or 0,
            "against_findings": r["other_findings"] or 0,
            "draft_points": r["points"] or 0,
            "against_points": r["other_points"] or 0,
            "points_delta": r["points_delta"],
            "draft_policies": r["policies"] or "",
            "against_policies": r["other_policies"] or "",
        }
        for r in rows
    ]
    return Table(
        "subjects",
        "Subjects, draft against pack",
        [
            Column("entity", "Entity"),
            Column("subject", "Subject"),
            Column("change", "Change", "badge"),
            Column("draft_findings", "Findings, draft", "int"),
            Column("against_findings", "Findings, against", "int"),
            Column("draft_points", "Points, draft", "int"),
            Column("against_points", "Points, against", "int"),
            Column("points_delta", "Points difference", "int"),
            Column("draft_policies", "Policies, draft"),
            Column("against_policies", "Policies, against"),
        ],
        shown,
        empty="No subject was flagged by either side.",
        note=view.t(WHO_CHANGED),
    )


def _date(text: str, what: str, problems: list[str]) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        problems.append(f"The {what} {text!r} is not a date like 2026-10-31.")
        return None


def _dates(pack: Pack) -> str:
    until = pack.effective_to.isoformat() if pack.effective_to else "…"
    return f"{pack.effective_from} → {until}"


def _last_day(settings: Settings) -> dt.date:
    """The last local day with orders in the warehouse (yesterday when it holds none)."""
    con = engine.connect(Warehouse(settings.warehouse_dir))
    try:
        return latest_day(con, settings.timezone)
    finally:
        con.close()


def _draft_dir() -> Path:
    """A private temporary folder for drafts being checked (never the policy library)."""
    owner = os.getuid() if hasattr(os, "getuid") else "user"
    folder = Path(tempfile.gettempdir()) / f"pasar-drafts-{owner}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _keep_draft(text: str) -> tuple[str, Path]:
    """Write ``text`` where the loader can read it: its key and path (drafts older than a day
    are removed)."""
    folder = _draft_dir()
    key = hashlib.sha256(text.encode("utf-8")).hexdigest()
    path = folder / f"{key}.yml"
    if not path.exists():
        partial = folder / f".{key}.{os.getpid()}.{time.monotonic_ns()}"
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    else:
        path.touch()
    horizon = time.time() - DRAFT_KEEP_SECONDS
    for old in folder.glob("*.yml"):
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < horizon:
                old.unlink()
    return key, path


def _kept_draft(key: str) -> str | None:
    """The text of the draft kept under ``key``, if it still is."""
    if not _KEY.match(key):
        return None
    try:
        return (_draft_dir() / f"{key}.yml").read_text(encoding="utf-8")
    except OSError:
        return None
