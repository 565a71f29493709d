"""The volunteer pipeline for coordinators: applicants in their regions, reviewed one by
one or accepted in bulk; pause, archive, reinstate; a fresh set-password link."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.blueprints.fields import show_error
from matchmaker.blueprints.helpers import for_user, int_arg, roles_required
from matchmaker.blueprints.volunteers import bp
from matchmaker.blueprints.volunteers.forms import BulkAcceptForm, RejectForm
from matchmaker.extensions import db
from matchmaker.models.profiles import VOLUNTEER_STATUS_LABELS
from matchmaker.services import consent, volunteers
from matchmaker.services.errors import DomainError

STAFF = ("admin", "coordinator")


def _link_for(raw: str) -> str:
    return url_for("auth.set_password", token=raw, _external=True)


def _profile(profile_id: int):
    return for_user(volunteers.get_profile, profile_id)


def _back(profile_id: int):
    return redirect(url_for(".review", profile_id=profile_id))


@bp.get("/volunteers/applicants")
@roles_required(*STAFF)
def applicants():
    a = request.args
    status = a.get("status", "pending")
    filters = volunteers.Filters(
        status=status if status in VOLUNTEER_STATUS_LABELS else "pending",
        town=str(int_arg(a.get("town")) or ""))
    pagination = db.paginate(volunteers.volunteers_query(current_user, filters),
                             page=int_arg(a.get("page")) or 1,
                             per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("volunteers/applicants.html", pagination=pagination,
                           filters=filters, statuses=VOLUNTEER_STATUS_LABELS,
                           towns=volunteers.towns(current_user), form=BulkAcceptForm())


@bp.get("/volunteers/<int:profile_id>")
@roles_required(*STAFF)
def review(profile_id: int):
    profile = _profile(profile_id)
    return _render_review(profile, RejectForm())


def _render_review(profile, reject_form: RejectForm, status: int = 200):
    return render_template(
        "volunteers/review.html", profile=profile, person=profile.person,
        account=volunteers.account_of(profile), reject_form=reject_form,
        consent=consent.active(profile.person, "volunteer"),
        activity=volunteers.wanted_activity(profile)), status


@bp.post("/volunteers/<int:profile_id>/accept")
@roles_required(*STAFF)
def accept(profile_id: int):
    profile = _profile(profile_id)
    try:
        with db.session.begin_nested():
            volunteers.accept(user=current_user, profile=profile, link_for=_link_for)
    except DomainError as e:
        flash(e.message, "error")
    else:
        flash(_("已录用%(name)s，并已通知本人", name=profile.person.name), "success")
    return _back(profile_id)


@bp.post("/volunteers/<int:profile_id>/reject")
@roles_required(*STAFF)
def reject(profile_id: int):
    profile = _profile(profile_id)
    form = RejectForm()
    if form.validate():
        try:
            with db.session.begin_nested():
                volunteers.reject(user=current_user, profile=profile,
                                  reason=form.reason.data)
        except DomainError as e:
            show_error(form, e)
        else:
            flash(_("已不予录用%(name)s，并已通知本人", name=profile.person.name), "success")
            return _back(profile_id)
    return _render_review(profile, form, 422)


@bp.post("/volunteers/<int:profile_id>/status")
@roles_required(*STAFF)
def status(profile_id: int):
    profile = _profile(profile_id)
    new = request.form.get("status", "")
    try:
        with db.session.begin_nested():
            volunteers.set_status(user=current_user, profile=profile, status=new,
                                  link_for=_link_for)
    except DomainError as e:
        flash(e.message, "error")
    else:
        flash(_("状态已改为“%(status)s”", status=_(VOLUNTEER_STATUS_LABELS[new])), "success")
    return _back(profile_id)


@bp.post("/volunteers/<int:profile_id>/resend-link")
@roles_required(*STAFF)
def resend_link(profile_id: int):
    profile = _profile(profile_id)
    try:
        with db.session.begin_nested():
            volunteers.resend_link(user=current_user, profile=profile, link_for=_link_for)
    except DomainError as e:
        flash(e.message, "error")
    else:
        flash(_("已重新发送设置密码链接，此前的链接已失效"), "success")
    return _back(profile_id)


@bp.post("/volunteers/bulk-accept")
@roles_required(*STAFF)
def bulk_accept():
    form = BulkAcceptForm()
    if not form.validate() or not form.ids.data:
        flash(_("请先勾选要录用的报名"), "error")
        return redirect(url_for(".applicants"))
    result = volunteers.bulk_accept(user=current_user, ids=form.ids.data, link_for=_link_for)
    if result.accepted:
        flash(_("已录用 %(n)s 人，设置密码链接已发出", n=len(result.accepted)), "success")
    for _id, why in result.skipped:
        flash(_("未录用：%(why)s", why=why), "error")
    return redirect(url_for(".applicants"))
