"""Service requests with the engine's volunteer suggestions, and the hours reports.
Routes are thin: check the form, call one operation, flash, redirect."""

from __future__ import annotations

from io import BytesIO

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.blueprints.fields import choices, show_error
from matchmaker.blueprints.helpers import for_user, int_arg, roles_required
from matchmaker.blueprints.service import bp
from matchmaker.blueprints.service.forms import ServiceRequestForm
from matchmaker.extensions import db
from matchmaker.models.profiles import MENTEE_KIND_LABELS
from matchmaker.models.volunteering import REQUEST_STATUS_LABELS
from matchmaker.services import clock, service_requests, volunteer_reports
from matchmaker.services.errors import DomainError

STAFF = ("admin", "coordinator")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _request(request_id: int):
    return for_user(service_requests.get_request, request_id)


def _form_choices(form: ServiceRequestForm) -> None:
    form.region.choices = choices([("", _("— 请选择 —"))] + [
        (r.code, ("　" * max(0, r.path.count("/") - 2)) + r.name)
        for r in service_requests.request_regions(current_user)])
    # Names, places and kinds only: no number of any kind in the list.
    form.person_id.choices = choices([("", _("（不指定）"))] + [
        (str(m.person.id), f"{m.person.name} · {m.person.region.full_name} · "
                           f"{_(MENTEE_KIND_LABELS[m.kind])}")
        for m in service_requests.beneficiary_choices(current_user)])


@bp.get("/service-requests/")
@roles_required(*STAFF)
def request_index():
    status = request.args.get("status", "")[:10]
    page = db.paginate(service_requests.requests_query(current_user, status=status),
                       page=int_arg(request.args.get("page")) or 1, per_page=50,
                       error_out=False)
    return render_template("service/requests.html", pagination=page, status=status,
                           statuses=REQUEST_STATUS_LABELS)


@bp.route("/service-requests/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def request_new():
    form = ServiceRequestForm()
    _form_choices(form)
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                req = service_requests.create_request(user=current_user, data=form.to_input())
        except DomainError as e:
            show_error(form, e)
        else:
            flash(_("已登记服务需求，请从推荐的志愿者中派单"), "success")
            return redirect(url_for(".request_detail", request_id=req.id))
    return render_template("service/request_form.html", form=form), \
        422 if request.method == "POST" else 200


@bp.route("/service-requests/<int:request_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def request_edit(request_id: int):
    req = _request(request_id)
    form = ServiceRequestForm()
    _form_choices(form)
    if req.person is not None and str(req.person.id) not in {
            c.value for c in form.person_id.choices}:
        # No longer an active 帮扶对象 in the list, she stays the one this request is for.
        form.person_id.choices += choices([(str(req.person.id), req.person.name)])
    if request.method == "GET":
        form.title.data, form.need.data = req.title, req.need
        form.teams.data = sorted(req.team_set)
        form.availability.data = sorted(req.availability_set)
        form.region.data = req.region.code
        form.volunteers_wanted.data = req.volunteers_wanted
        form.person_id.data = str(req.person_id) if req.person_id else ""
    elif form.validate_on_submit():
        try:
            with db.session.begin_nested():
                service_requests.update_request(user=current_user, req=req,
                                                data=form.to_input())
        except DomainError as e:
            show_error(form, e)
        else:
            flash(_("已保存"), "success")
            return redirect(url_for(".request_detail", request_id=req.id))
    return render_template("service/request_form.html", form=form, req=req), \
        422 if request.method == "POST" else 200


@bp.get("/service-requests/<int:request_id>")
@roles_required(*STAFF)
def request_detail(request_id: int):
    req = _request(request_id)
    return render_template("service/request.html", req=req,
                           assignments=service_requests.assignments_of(req),
                           suggestions=service_requests.suggestions(current_user, req))


@bp.post("/service-requests/<int:request_id>/assign")
@roles_required(*STAFF)
def request_assign(request_id: int):
    req = _request(request_id)
    try:
        with db.session.begin_nested():
            assignment = service_requests.assign(
                user=current_user, req=req,
                volunteer_id=int_arg(request.form.get("volunteer_id")) or 0)
    except DomainError as e:
        flash(e.message, "error")
    else:
        flash(_("已派单给%(name)s，并已通知本人", name=assignment.volunteer.person.name),
              "success")
    return redirect(url_for(".request_detail", request_id=req.id))


@bp.post("/service-requests/<int:request_id>/close")
@roles_required(*STAFF)
def request_close(request_id: int):
    req = _request(request_id)
    try:
        with db.session.begin_nested():
            ended = service_requests.close_request(req=req)
    except DomainError as e:
        flash(e.message, "error")
    else:
        flash(_("已办结，结束派单 %(n)s 条", n=ended), "success")
    return redirect(url_for(".request_detail", request_id=req.id))


@bp.post("/service-requests/assignments/<int:assignment_id>/end")
@roles_required(*STAFF)
def assignment_end(assignment_id: int):
    assignment = for_user(service_requests.get_assignment, assignment_id)
    try:
        with db.session.begin_nested():
            service_requests.end_assignment(assignment=assignment)
    except DomainError as e:
        flash(e.message, "error")
    else:
        flash(_("已结束派单"), "success")
    return redirect(url_for(".request_detail", request_id=assignment.request_id))


def _period() -> tuple[volunteer_reports.Period, str | None]:
    """The period asked for, or this year and the reason the request was refused."""
    a = request.args
    try:
        return volunteer_reports.parse_period(
            preset=a.get("preset", "")[:20], start=a.get("start", "")[:20],
            end=a.get("end", "")[:20], today=clock.today()), None
    except DomainError as e:
        return volunteer_reports.preset_period(volunteer_reports.DEFAULT_PRESET,
                                               clock.today()), e.message


@bp.get("/volunteer-reports/hours")
@roles_required(*STAFF)
def hours_report():
    period, error = _period()
    if error:
        flash(error, "error")
    report = volunteer_reports.hours_report(current_user, period)
    return render_template("service/hours_report.html", report=report,
                           presets=volunteer_reports.PRESETS)


@bp.get("/volunteer-reports/hours.xlsx")
@roles_required(*STAFF)
def hours_export():
    period, error = _period()
    if error:
        flash(error, "error")
        return redirect(url_for(".hours_report"))
    data = volunteer_reports.hours_xlsx(volunteer_reports.hours_report(current_user, period))
    name = f"volunteer-hours-{period.start.isoformat()}-{period.end.isoformat()}.xlsx"
    return send_file(BytesIO(data), as_attachment=True, download_name=name, mimetype=XLSX)
