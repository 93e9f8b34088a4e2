"""Console pages of creator planning: a seller's creator GMV target (``/creators/targets``:
forecast, 80% range, how it was made, the chance of a typed target, a chart of the period) and
whom to fund with a budget (``/creators/allocation``: the optimiser's plan beside the greedy
ranking's).

The allocation form is posted (a CSV of candidates); its result's downloads and table pages
replay it from a copy of the CSV kept for a day under the SHA-256 of its text, in a private
temporary folder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np
from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from pasar.api.access import session
from pasar.console.charts import band_chart
from pasar.console.formats import show
from pasar.console.labels import INDONESIAN
from pasar.console.shell import Page, page
from pasar.console.tables import Column, Table
from pasar.creators.allocation import (
    Allocation,
    Constraints,
    Plan,
    allocate,
    parse_caps,
    read_candidates,
)
from pasar.creators.target_service import TargetReport, propose_target
from pasar.creators.targets import Component, TargetForecast
from pasar.kit.errors import NotFoundError, PasarError, ValidationError
from pasar.kit.money import format_compact

router = APIRouter(include_in_schema=False)

MAX_CSV_BYTES = 4 * 1024 * 1024
KEEP_SECONDS = 24 * 3600
_KEY = re.compile(r"^[0-9a-f]{64}$")
VERDICT_BADGE = {"realistic": "accepted", "stretch": "pending_review", "unrealistic": "rejected"}

INDONESIAN.update(
    {
        "Creator GMV targets": "Target GMV kreator",
        "Creator targets": "Target kreator",
        "Budget allocation": "Alokasi anggaran",
        "Seller id(s)": "ID penjual",
        "Target (IDR)": "Target (IDR)",
        "Forecast": "Perkiraan",
        "Forecast (expected)": "Perkiraan (harapan)",
        "80% range": "Rentang 80%",
        "Proposed target (50% chance)": "Target usulan (peluang 50%)",
        "Stretch target (25% chance)": "Target menantang (peluang 25%)",
        "Chance of reaching the target": "Peluang mencapai target",
        "realistic": "realistis",
        "stretch": "menantang",
        "unrealistic": "tidak realistis",
        "How the forecast is made": "Cara perkiraan dibuat",
        "Component": "Komponen",
        "Value": "Nilai",
        "How": "Cara",
        "Calendar effects in the period": "Efek kalender dalam periode",
        "Calendar effect": "Efek kalender",
        "GMV it adds": "GMV tambahan",
        "Multiplier": "Pengali",
        "The funnel the target needs": "Corong yang dibutuhkan target",
        "Stage": "Tahap",
        "Recent window": "Periode terakhir",
        "Period at that pace": "Periode pada laju itu",
        "Target needs": "Kebutuhan target",
        "Expected GMV per day": "Perkiraan GMV per hari",
        "Expected": "Perkiraan",
        "Cumulative": "Kumulatif",
        "Cumulative, 80% low": "Kumulatif, batas bawah 80%",
        "Cumulative, 80% high": "Kumulatif, batas atas 80%",
        "Data up to": "Data sampai",
        "Candidates (CSV)": "Kandidat (CSV)",
        "or upload a file": "atau unggah berkas",
        "Budget (IDR)": "Anggaran (IDR)",
        "Category caps": "Batas per kategori",
        "Minimum share for new creators (%)": "Porsi minimum kreator baru (%)",
        "Minimum number of new creators": "Jumlah minimum kreator baru",
        "Allocate": "Alokasikan",
        "Optimiser vs greedy ranking": "Pengoptimal vs peringkat serakah",
        "Funded by the optimiser": "Didanai oleh pengoptimal",
        "Funded by the greedy ranking": "Didanai oleh peringkat serakah",
        "Spend by category": "Belanja per kategori",
        "Plan": "Rencana",
        "Spent": "Terpakai",
        "To new creators": "Untuk kreator baru",
        "Creators funded": "Kreator didanai",
        "New creators funded": "Kreator baru didanai",
        "Optimiser": "Pengoptimal",
        "Greedy": "Serakah",
        "Creator": "Kreator",
        "New": "Baru",
        "Cost": "Biaya",
        "Predicted return": "Perkiraan hasil",
        "Return per rupiah": "Hasil per rupiah",
        "Cap": "Batas",
        "Nothing was computed": "Tidak ada yang dihitung",
        "Nobody is funded.": "Tidak ada yang didanai.",
    }
)


# -- targets -------------------------------------------------------------------------------


def _amount(text: str) -> float | None:
    """A typed amount: digits with optional Rp and thousands separators (no decimals)."""
    cleaned = re.sub(r"[\s._,]|^(rp|idr)", "", text.strip().lower())
    return float(cleaned) if cleaned.isdigit() else None


def _component_value(c: Component, lang: str) -> str:
    if c.unit == "money":
        return show(c.value, "money", lang)
    if c.unit == "percent":
        return show(c.value, "percent", lang)
    return show(round(c.value, 2), "number", lang)


def forecast_chart(forecast: TargetForecast, target: float | None, lang: str) -> Markup:
    """The period's cumulative expected creator GMV with the 80% range spread along it (the
    period total's range, in proportion to the expected path) and the target as a line."""
    days = [d for d, _ in forecast.daily]
    cumulative = np.cumsum([v for _, v in forecast.daily])
    share = cumulative / cumulative[-1] if cumulative[-1] > 0 else cumulative * 0
    title = "Cumulative creator GMV: expected and 80% range"
    if lang == "id":
        title = "GMV kreator kumulatif: perkiraan dan rentang 80%"
    return band_chart(
        days,
        list(forecast.point * share),
        (list(forecast.low * share), list(forecast.high * share)),
        title,
        ("Perkiraan" if lang == "id" else "Expected", "80%"),
        target,
        lambda v: format_compact(v, "IDR", lang),
    )


def _target_tables(report: TargetReport, lang: str) -> dict[str, Any]:
    forecast = report.forecast
    components = Table(
        "components",
        "How the forecast is made",
        [Column("name", "Component"), Column("value", "Value"), Column("detail", "How")],
        [
            {"name": c.name, "value": _component_value(c, lang), "detail": c.detail}
            for c in forecast.components
        ],
    )
    effects = Table(
        "effects",
        "Calendar effects in the period",
        [
            Column("name", "Calendar effect"),
            Column("value", "GMV it adds", "money"),
            Column("detail", "Multiplier"),
        ],
        [{"name": c.name, "value": c.value, "detail": c.detail} for c in forecast.effects],
        empty="No sale event, payday or holiday in the period.",
    )
    point = forecast.point
    total = sum(v for _, v in forecast.daily) or 1.0
    running = 0.0
    daily_rows = []
    for day, value in forecast.daily:
        running += value
        daily_rows.append(
            {
                "day": day,
                "expected": round(value),
                "cumulative": round(running),
                "low": round(forecast.low * running / total),
                "high": round(forecast.high * running / total),
            }
        )
    daily = Table(
        "daily",
        "Expected GMV per day",
        [
            Column("day", "Day", "date"),
            Column("expected", "Expected", "money"),
            Column("cumulative", "Cumulative", "money"),
            Column("low", "Cumulative, 80% low", "money"),
            Column("high", "Cumulative, 80% high", "money"),
        ],
        daily_rows,
        note=f"Forecast {show(point, 'money', lang)}",
    )
    values: dict[str, Any] = {"components": components, "effects": effects, "daily": daily}
    assessment = report.assessment
    if assessment is not None and assessment.funnel:
        window = forecast.funnel.days if forecast.funnel else 0

        def cell(stage: str, value: float | None) -> str:
            if value is None:
                return "—"
            return show(value, "money" if stage == "Creator GMV" else "int", lang)

        values["funnel"] = Table(
            "funnel",
            "The funnel the target needs",
            [
                Column("stage", "Stage"),
                Column("recent", "Recent window"),
                Column("pace", "Period at that pace"),
                Column("needed", "Target needs"),
            ],
            [
                {
                    "stage": s.stage,
                    "recent": cell(s.stage, s.recent),
                    "pace": cell(s.stage, s.at_recent_pace),
                    "needed": cell(s.stage, s.needed),
                }
                for s in assessment.funnel
            ],
            note=f"Recent window: the last {window} days; rates are the seller's own.",
        )
    return values


@router.get("/creators/targets")
def targets_page(
    request: Request,
    seller: str = "",
    period: str = "",
    target: str = "",
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """The target form; with a seller (or several, comma-separated, for a campaign) its
    forecast for the period, the 80% range, the components and the chance of the target."""
    if not view.can("creators:read") or view.caller.sellers == frozenset():
        return view.error(403, "Not allowed", "Your role cannot see sellers' creator targets.")
    form = {"seller": seller, "period": period, "target": target}
    sellers = [s.strip() for s in seller.split(",") if s.strip()]
    if not sellers:
        return view.render("creators_target.html", "Creator GMV targets", form=form)
    for one in sellers:
        if not view.caller.may_see_seller(one):
            return view.error(404, "Not found", f"There is no seller {one} to show.")
    amount = _amount(target) if target.strip() else None
    if target.strip() and amount is None:
        problem = f"The target {target!r} is not an amount in rupiah (digits only)."
        return view.render(
            "creators_target.html", "Creator GMV targets", 422, form=form, problems=[problem]
        )
    try:
        report = propose_target(
            request.app.state.settings, sellers, period or None, amount, session=unit
        )
    except PasarError as exc:
        status = 404 if isinstance(exc, NotFoundError) else 422
        return view.render(
            "creators_target.html", "Creator GMV targets", status, form=form, problems=[str(exc)]
        )
    forecast = report.forecast
    return view.render(
        "creators_target.html",
        "Creator GMV targets",
        form=form,
        forecast=forecast,
        last_day=forecast.end - dt.timedelta(days=1),
        data_until=forecast.cutoff - dt.timedelta(days=1),
        assessment=report.assessment,
        badge=VERDICT_BADGE,
        chart=forecast_chart(forecast, amount, view.lang),
        **_target_tables(report, view.lang),
    )


# -- allocation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AllocationForm:
    csv: str
    budget: str
    caps: str
    new_share: str
    new_count: str


class _Carried(Page):
    """The page answering a posted allocation: its links (downloads, pages of tables) carry
    what replays the same allocation."""

    def __init__(self, view: Page, carried: Mapping[str, str]) -> None:
        self.__dict__.update(view.__dict__)
        self.carried = dict(carried)

    def url(self, **changes: str | int) -> str:
        query = {
            k: v for k, v in self.request.query_params.items() if k not in ("download", "format")
        }
        query.update(self.carried)
        query.update({k: str(v) for k, v in changes.items()})
        return f"{self.request.url.path}?{urlencode(query)}"


def _folder() -> Path:
    owner = os.getuid() if hasattr(os, "getuid") else "user"
    folder = Path(tempfile.gettempdir()) / f"pasar-allocations-{owner}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _keep(text: str) -> str:
    """Keep ``text`` for a day under the SHA-256 of its content; its key."""
    folder = _folder()
    key = hashlib.sha256(text.encode("utf-8")).hexdigest()
    path = folder / f"{key}.csv"
    if path.exists():
        path.touch()
    else:
        partial = folder / f".{key}.{os.getpid()}.{time.monotonic_ns()}"
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    horizon = time.time() - KEEP_SECONDS
    for old in folder.glob("*.csv"):
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < horizon:
                old.unlink()
    return key


def _kept(key: str) -> str | None:
    if not _KEY.match(key):
        return None
    try:
        return (_folder() / f"{key}.csv").read_text(encoding="utf-8")
    except OSError:
        return None


def _render_allocation(
    view: Page, form: AllocationForm, status: int = 200, **values: Any
) -> Response:
    return view.render("creators_allocation.html", "Budget allocation", status, form=form, **values)


def _rules(form: AllocationForm) -> Constraints:
    """The constraints typed in the form (errors name the field)."""

    def number(text: str, field: str, label: str) -> Decimal:
        cleaned = re.sub(r"[\s_]|^(rp|idr)", "", text.strip().lower())
        try:
            return Decimal(cleaned or "0")
        except InvalidOperation:
            raise ValidationError(f"{label} {text!r} is not a number", field=field) from None

    budget = _amount(form.budget)
    if budget is None:
        raise ValidationError(
            f"The budget {form.budget!r} is not an amount in rupiah (digits only)",
            field="budget",
        )
    caps = parse_caps(part for part in re.split(r"[\n;]+", form.caps) if part.strip())
    share = number(form.new_share, "new_share", "The new-creator share") / 100
    count = number(form.new_count, "new_count", "The new-creator count")
    if count != count.to_integral_value():
        raise ValidationError("The new-creator count must be a whole number", field="new_count")
    return Constraints(Decimal(int(budget)), caps, share, int(count))


def _plan_table(name: str, title: str, plan: Plan) -> Table:
    return Table(
        name,
        title,
        [
            Column("creator_id", "Creator"),
            Column("category", "Category"),
            Column("is_new", "New"),
            Column("cost", "Cost", "money"),
            Column("predicted_return", "Predicted return", "money"),
            Column("ratio", "Return per rupiah", "number"),
        ],
        [
            {
                "creator_id": c.creator_id,
                "category": c.category,
                "is_new": "✓" if c.is_new else "",
                "cost": c.cost,
                "predicted_return": c.predicted_return,
                "ratio": round(float(c.ratio), 2),
            }
            for c in sorted(plan.chosen, key=lambda c: (-c.ratio, c.creator_id))
        ],
        empty=plan.reason or "Nobody is funded.",
    )


def _allocation_tables(result: Allocation) -> dict[str, Any]:
    ours, theirs = result.optimiser, result.greedy
    feasible = theirs.feasible

    def row(name: str, plan: Plan) -> dict[str, Any]:
        if not plan.feasible:
            return {"plan": name}
        return {
            "plan": name,
            "value": plan.value,
            "spend": plan.spend,
            "new_spend": plan.new_spend,
            "funded": len(plan.chosen),
            "new": plan.new_count,
        }

    comparison = Table(
        "comparison",
        "Optimiser vs greedy ranking",
        [
            Column("plan", "Plan"),
            Column("value", "Predicted return", "money"),
            Column("spend", "Spent", "money"),
            Column("new_spend", "To new creators", "money"),
            Column("funded", "Creators funded", "int"),
            Column("new", "New creators funded", "int"),
        ],
        [row("Optimiser", ours), row("Greedy", theirs)],
        note=theirs.reason,
    )
    caps = result.constraints.category_caps
    spent_ours, spent_theirs = ours.spend_by_category(), theirs.spend_by_category()
    categories = sorted({c.category for c in result.candidates})
    by_category = Table(
        "categories",
        "Spend by category",
        [
            Column("category", "Category"),
            Column("cap", "Cap", "money"),
            Column("optimiser", "Optimiser", "money"),
            Column("greedy", "Greedy", "money"),
        ],
        [
            {
                "category": c,
                "cap": caps.get(c),
                "optimiser": spent_ours.get(c, Decimal(0)),
                "greedy": spent_theirs.get(c, Decimal(0)) if feasible else None,
            }
            for c in categories
        ],
    )
    return {
        "comparison": comparison,
        "categories": by_category,
        "plans": [
            _plan_table("optimiser", "Funded by the optimiser", ours),
            _plan_table("greedy", "Funded by the greedy ranking", theirs),
        ],
        "gain": result.gain,
    }


def _run_allocation(view: Page, form: AllocationForm) -> Response:
    """Read the candidates and the rules, allocate and show both plans (or every problem)."""
    try:
        people = read_candidates(form.csv, "candidates")
        rules = _rules(form)
        hidden = [p.creator_id for p in people if not view.caller.may_see_creator(p.creator_id)]
        if hidden:
            raise NotFoundError(
                f"not assigned to you: {', '.join(hidden[:5])}"
                + (f" and {len(hidden) - 5} more" if len(hidden) > 5 else "")
            )
        result = allocate(people, rules)
    except PasarError as exc:
        status = 404 if isinstance(exc, NotFoundError) else 422
        return _render_allocation(view, form, status, problems=[str(exc)])
    carried = {
        "candidates": _keep(form.csv),
        "budget": form.budget,
        "caps": form.caps,
        "new_share": form.new_share,
        "new_count": form.new_count,
    }
    linked = _Carried(view, carried)
    return _render_allocation(linked, form, result=result, **_allocation_tables(result))


@router.get("/creators/allocation")
def allocation_page(
    candidates: str = "",
    budget: str = "",
    caps: str = "",
    new_share: str = "",
    new_count: str = "",
    view: Page = Depends(page, scope="function"),
) -> Response:
    """The allocation form; with ``?candidates=<key>`` (what a result's links carry) it
    replays the allocation of a CSV posted before."""
    if not view.can("creators:manage"):
        return view.error(403, "Not allowed", "Your role cannot allocate creator budgets.")
    form = AllocationForm("", budget, caps, new_share, new_count)
    if not candidates:
        return _render_allocation(view, form)
    text = _kept(candidates)
    if text is None:
        problem = "These candidates are no longer kept on the server: post the CSV again."
        return _render_allocation(view, form, 404, problems=[problem])
    return _run_allocation(view, AllocationForm(text, budget, caps, new_share, new_count))


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


@router.post("/creators/allocation")
async def post_allocation(
    request: Request,
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Check the CSRF token, read the candidates (pasted or uploaded) and allocate."""
    try:
        posted = await request.form(max_files=1, max_fields=20, max_part_size=MAX_CSV_BYTES)
    except HTTPException as exc:
        return view.error(400, "Not accepted", f"The form was refused: {exc.detail}")
    view.check_csrf(unit, _field(posted, "csrf_token"))
    if not view.can("creators:manage"):
        return view.error(403, "Not allowed", "Your role cannot allocate creator budgets.")
    text = _field(posted, "candidates_csv")
    upload = posted.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read(MAX_CSV_BYTES + 1)
        problem = None
        if len(raw) > MAX_CSV_BYTES:
            problem = f"The file is larger than {MAX_CSV_BYTES // 1024 // 1024} MB."
        else:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                problem = "The file is not UTF-8 text (save it as CSV UTF-8)."
        if problem:
            form = AllocationForm("", *(_field(posted, k) for k in _RULE_FIELDS))
            return _render_allocation(view, form, 422, problems=[problem])
    form = AllocationForm(text.replace("\r\n", "\n"), *(_field(posted, k) for k in _RULE_FIELDS))
    return await run_in_threadpool(_run_allocation, view, form)


_RULE_FIELDS: Sequence[str] = ("budget", "caps", "new_share", "new_count")
