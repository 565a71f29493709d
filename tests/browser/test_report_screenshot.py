"""The city coordinator opens the yearly report of the demo county: the figures are there,
with the three charts, and printing hides the navigation. A screenshot is kept."""

from __future__ import annotations

import os
from datetime import date

from sqlalchemy import func, select

from matchmaker.extensions import db
from matchmaker.models import Fund, ServiceHours
from matchmaker.services import clock
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_registry_journey import login


def test_the_yearly_report_shows_the_figures(page, live_server):
    with live_server.app.app_context():
        year = clock.today().year
        minutes = db.session.scalar(select(func.coalesce(func.sum(ServiceHours.minutes), 0))
                                    .where(ServiceHours.status == "approved",
                                           ServiceHours.served_on >= date(year, 1, 1),
                                           ServiceHours.served_on <= date(year, 12, 31)))
        fund_names = list(db.session.scalars(select(Fund.name).where(Fund.year == year)))
    login(page, live_server)
    page.goto(live_server + "/reports/year")
    assert page.locator("h1").inner_text() == f"{year}年度工作报告"
    assert page.locator("[data-figure=hours]").inner_text() == f"{minutes / 60:.1f}"
    assert minutes > 0 and fund_names
    funds_table = page.locator("#funds").inner_text()
    assert all(name in funds_table for name in fund_names)
    assert page.locator("svg.chart").count() == 3
    assert page.locator("#by-town tbody tr").count() > 2
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, "year-report.png"), full_page=True)
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()
    assert not page.locator("form.filters").is_visible()
    assert page.locator("#by-town").is_visible()
    page.screenshot(path=os.path.join(ARTIFACTS, "year-report-print.png"), full_page=True)
