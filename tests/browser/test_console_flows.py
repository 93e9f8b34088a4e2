"""The console in a real browser: a reviewer accepts an appeal, a seller appeals with a PDF,
an analyst backtests an edited draft, tables download as XLSX, the main pages render (and are
saved as screenshots), and the console reads in Indonesian."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]
from playwright.sync_api import Browser, FilePayload, Page, expect

from pasar.governance.models import Appeal
from tests.browser.conftest import Console

pytestmark = pytest.mark.xdist_group("browser")

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def test_reviewer_accepts_an_appeal(page: Page, console: Console, artifacts: Path) -> None:
    console.sign_in(page, "rina")
    console.open(page, "/appeals")
    form = page.locator(f'form[action="/appeals/{console.appeal_id}/decision"]')
    expect(form).to_have_count(1)
    form.locator("select[name=decision]").select_option("accept")
    form.locator("input[name=reason]").fill("Courier strike confirmed by the carrier")
    console.submit(page, form.get_by_role("button", name="Decide"), "/appeals")
    row = page.locator("#appeals tbody tr", has_text="Courier strike confirmed by the carrier")
    expect(row.locator("span.badge")).to_have_text("accepted")
    expect(page.locator(f'form[action="/appeals/{console.appeal_id}/decision"]')).to_have_count(0)
    _shot(page, artifacts, "appeals-decided")
    with console.db.unit_of_work() as unit:
        appeal = unit.get(Appeal, console.appeal_id)
        assert appeal is not None
        assert (appeal.status, appeal.decided_by) == ("accepted", "rina")
        assert appeal.decision_reason == "Courier strike confirmed by the carrier"


def test_seller_appeals_with_a_pdf(page: Page, console: Console, artifacts: Path) -> None:
    console.sign_in(page, "shop1")
    assert page.url == f"{console.url}/sellers/S1"
    violation = console.violations["S1"]
    page.locator("#violations a.button", has_text="Appeal").click()
    page.wait_for_url(f"{console.url}/violations/{violation}/appeal")
    page.select_option("select[name=reason]", "logistics_provider")
    page.get_by_role("button", name="Show the evidence it needs").click()
    page.wait_for_url(re.compile(r"reason=logistics_provider"))
    page.fill("input[name=evidence_0]", "S1-0, S1-1, S1-2")  # impacted order ids
    handover: FilePayload = {"name": "handover.pdf", "mimeType": "application/pdf", "buffer": PDF}
    page.set_input_files("input[name=file_1]", files=[handover])  # courier handover proof
    page.fill("input[name=evidence_2]", "The courier did not collect for a day.")
    page.fill("textarea[name=statement]", "The parcels were ready; the courier came late.")
    _shot(page, artifacts, "appeal-form-filled")
    console.submit(
        page, page.get_by_role("button", name="Submit the appeal"), "/sellers/S1#appeals"
    )

    row = page.locator("#appeals tbody tr", has_text="the courier came late")
    expect(row).to_have_count(1)
    expect(row.locator("span.badge")).to_have_text("submitted")
    expect(page.locator("#violations a.button", has_text="Appeal")).to_have_count(0)
    link = row.get_by_role("link", name="handover.pdf")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "handover.pdf"
    assert Path(download.path()).read_bytes() == PDF
    _shot(page, artifacts, "seller-after-appeal")
    with console.db.unit_of_work() as unit:
        appeal = unit.query(Appeal).filter_by(entry_id=violation).one()
        assert (appeal.status, appeal.submitted_by, appeal.reason) == (
            "submitted",
            "user:shop1",
            "logistics_provider",
        )


def test_analyst_backtests_an_edited_draft(page: Page, console: Console, artifacts: Path) -> None:
    console.sign_in(page, "ana")
    console.open(page, "/policies/backtest?pack=tokopedia-id")
    draft = page.locator("textarea[name=draft]")
    text = draft.input_value()
    assert "when: late_dispatch_rate_7d >= 0.10\n" in text
    # the draft: version 3, late dispatch points only from 20% (s2's 10% no longer earns them)
    edited = text.replace("version: 2\n", "version: 3\n", 1).replace(
        "when: late_dispatch_rate_7d >= 0.10\n", "when: late_dispatch_rate_7d >= 0.20\n"
    )
    draft.fill(edited)
    page.fill("input[name=start]", "2026-10-05")
    page.fill("input[name=end]", "2026-10-07")
    page.select_option("select[name=against]", "tokopedia-id")
    page.get_by_role("button", name="Run the backtest").click()

    result = page.locator("#backtest-result")
    expect(result).to_be_visible(timeout=30_000)
    expect(page.locator("#problems")).to_have_count(0)
    expect(result.locator("h2").first).to_contain_text("tokopedia-id@3")
    days = result.locator("#days tbody tr")
    expect(days).to_have_count(3)
    headers = result.locator("#days thead th").all_inner_texts()
    figures = {
        cells[0]: dict(zip(headers, cells, strict=True))
        for cells in (row.locator("td").all_inner_texts() for row in days.all())
    }
    assert sorted(figures) == ["2026-10-05", "2026-10-06", "2026-10-07"]
    # 10-06: s1 (30%) earns points and the 70% cap both ways, s2 (10%) the 90% cap both ways,
    # and points only under the pack; the 7-day cooldown holds 10-07 back
    busy = figures["2026-10-06"]
    assert (busy["Findings, draft"], busy["Findings, against"], busy["Difference"]) == (
        "3",
        "4",
        "-1",
    )
    assert (busy["Points, draft"], busy["Points, against"]) == ("2", "4")
    assert figures["2026-10-05"]["Findings, draft"] == figures["2026-10-07"]["Findings, draft"]
    subjects = result.locator("#subjects tbody tr", has_text="s2")
    expect(subjects.locator("span.badge")).to_have_text("flagged differently")
    _shot(page, artifacts, "backtest-result")

    with page.expect_download() as info:
        result.locator('#days a[href*="format=xlsx"]').click()
    sheet = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Day", "Findings, draft", "Findings, against")
    assert [row[1] for row in rows[1:]] == [0, 3, 0]


def test_sellers_table_downloads_as_xlsx(page: Page, console: Console) -> None:
    console.sign_in(page, "rina")
    console.open(page, "/sellers")
    link = page.locator('#sellers a[href*="format=xlsx"]')
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.startswith("sellers-")
    assert download.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0] == (
        "Seller",
        "Points",
        "Standing",
        "Violations, last 90 days",
        "Last violation",
        "Actions in force",
    )
    by_seller = {row[0]: row for row in rows[1:]}
    assert {"S1", "S3"} <= set(by_seller)
    assert by_seller["S1"][1] == 2 and by_seller["S1"][3] == 1


# screenshot name → (path, what must be on it)
STAFF_PAGES = {
    "overview": ("/", "#top-sellers tbody tr"),
    "sellers": ("/sellers", "#sellers tbody tr"),
    "seller": ("/sellers/S1", "#violations tbody tr"),
    "queue": ("/queue", "#queue tbody tr"),
    "appeals": ("/appeals", "#appeals tbody tr"),
    "plans": ("/plans", "#plans tbody tr"),
    "policies": ("/policies", "#packs tbody tr"),
    "policy-pack": ("/policies/tokopedia-id/2", "#policies tbody tr"),
    "explore": ("/explore", "main form"),
    "audit": ("/audit", "main table tbody tr"),
}


def test_main_pages_render_and_are_saved(
    page: Page, browser: Browser, console: Console, artifacts: Path
) -> None:
    console.open(page, "/login")
    _shot(page, artifacts, "login")
    console.sign_in(page, "rina")
    for name, (path, content) in STAFF_PAGES.items():
        console.open(page, path)
        expect(page.locator("header nav")).to_be_visible()
        expect(page.locator(content).first).to_be_visible()
        _shot(page, artifacts, name)

    seller = console.context(browser)
    try:
        shop = seller.new_page()
        console.sign_in(shop, "shop1")
        console.open(shop, "/sellers/S1")
        _shot(shop, artifacts, "seller-own-shop")
        console.open(shop, f"/violations/{console.violations['S1']}/appeal")
        _shot(shop, artifacts, "appeal-form")
        console.open(shop, f"/violations/{console.violations['S1']}/appeal?reason=system_error")
        expect(shop.locator("input[name=file_1]")).to_have_count(1)
        _shot(shop, artifacts, "appeal-form-evidence")
    finally:
        seller.close()


def test_console_in_indonesian(page: Page, console: Console, artifacts: Path) -> None:
    console.sign_in(page, "dewi")
    console.open(page, "/sellers/S1")
    metrics = page.locator("#metrics")
    expect(metrics).to_contain_text("30.0%")  # late dispatch rate, read in English
    console.submit(page, page.get_by_role("button", name="Bahasa Indonesia"), "/sellers/S1")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    sections, pages = page.locator("header nav"), page.locator("nav.pages")
    for word in ("Tata kelola", "Platform"):
        expect(sections).to_contain_text(word)
    for word in ("Ringkasan", "Penjual", "Banding"):  # the pages of the section of /sellers
        expect(pages).to_contain_text(word)
    expect(pages.locator("a.here")).to_have_text("Penjual")
    expect(metrics.locator("h2")).to_contain_text("Metrik penjual")
    expect(metrics).to_contain_text("30,0%")  # Indonesian decimal comma
    expect(metrics).to_contain_text("Rp 1.500.000")  # Indonesian grouping
    _shot(page, artifacts, "seller-id")
    for name, path in (("overview-id", "/"), ("appeals-id", "/appeals")):
        console.open(page, path)
        expect(page.locator("html")).to_have_attribute("lang", "id")
        _shot(page, artifacts, name)
    expect(page.locator("h1")).to_have_text("Banding")
    console.submit(page, page.get_by_role("button", name="English"), "/appeals")
    expect(page.locator("html")).to_have_attribute("lang", "en")
