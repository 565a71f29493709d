"""The yearly account: a dashboard with charts, printable, and its workbook."""

from __future__ import annotations

from io import BytesIO

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.blueprints.helpers import roles_required
from matchmaker.blueprints.reports import bp
from matchmaker.models.fund import FUND_KIND_LABELS
from matchmaker.services import svg_charts, year_report
from matchmaker.services.clock import today
from matchmaker.services.errors import DomainError
from matchmaker.services.money import to_yuan

STAFF = ("admin", "coordinator")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _year() -> int:
    """The year asked for; a bad one is said in Chinese and the current year shown."""
    try:
        return year_report.parse_year(request.args.get("year"))
    except DomainError as e:
        flash(e.message, "error")
        return today().year


def _charts(report: year_report.YearReport) -> dict:
    return {
        "pairs": svg_charts.bar_chart(
            _("各镇（街道）新结对数"), [(t.name, t.pairs_formed) for t in report.towns]),
        "hours": svg_charts.bar_chart(
            _("各镇（街道）志愿服务时长（小时）"), [(t.name, t.hours) for t in report.towns],
            color=svg_charts.PALETTE[3]),
        "funds": svg_charts.stacked_bar_chart(
            _("专项资金：预算与发放（元）"), [_("已发放"), _("已预留"), _("余额")],
            [(f.name, [float(to_yuan(f.paid_fen)), float(to_yuan(f.reserved_fen)),
                       float(to_yuan(f.remaining_fen))]) for f in report.funds]),
    }


@bp.get("/year")
@roles_required(*STAFF)
def year():
    report = year_report.year_report(current_user, _year())
    return render_template("reports/year.html", report=report, charts=_charts(report),
                           kinds=FUND_KIND_LABELS)


@bp.get("/year.xlsx")
@roles_required(*STAFF)
def year_export():
    try:
        year = year_report.parse_year(request.args.get("year"))
    except DomainError as e:
        flash(e.message, "error")
        return redirect(url_for(".year"))
    report = year_report.year_report(current_user, year)
    data = year_report.year_xlsx(report)
    return send_file(BytesIO(data), as_attachment=True,
                     download_name=f"year-report-{report.year}.xlsx", mimetype=XLSX)
