"""Service activities for coordinators: offer them, see who comes, cancel; and approve
the hours volunteers log."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.blueprints.activities import bp
from matchmaker.blueprints.activities.forms import ActivityForm, RejectForm
from matchmaker.blueprints.fields import choices, show_error
from matchmaker.blueprints.helpers import for_user, int_arg, roles_required
from matchmaker.extensions import db
from matchmaker.services import activities, clock, hours
from matchmaker.services.errors import DomainError
from matchmaker.services.scope import assignable_regions

STAFF = ("admin", "coordinator")


def _region_choices(form: ActivityForm) -> None:
    form.region.choices = choices((r.code, r.full_name) for r in
                                  assignable_regions(current_user)
                                  if r.level in ("town", "village"))


def _input(form: ActivityForm) -> activities.ActivityInput:
    return activities.ActivityInput(
        title=form.title.data, service=form.service.data, team=form.team.data or "",
        region_code=form.region.data, place=form.place.data, day=form.day.data or "",
        start=form.start.data or "", end=form.end.data or "", slots=form.slots.data,
        description=form.description.data or "")


@bp.get("/activities/")
@roles_required(*STAFF)
def index():
    past = request.args.get("when") == "past"
    return render_template("activities/index.html", past=past,
                           activities=activities.activities_for(current_user, past=past))


@bp.route("/activities/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def new():
    form = ActivityForm()
    _region_choices(form)
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                activity = activities.create_activity(user=current_user, data=_input(form))
        except DomainError as e:
            show_error(form, e)
        else:
            flash(_("已发布活动"), "success")
            return redirect(url_for(".detail", activity_id=activity.id))
    return render_template("activities/form.html", form=form), \
        422 if request.method == "POST" else 200


@bp.route("/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def edit(activity_id: int):
    activity = for_user(activities.get_activity, activity_id)
    form = ActivityForm()
    _region_choices(form)
    if request.method == "GET":
        start, end = clock.to_local(activity.starts_at), clock.to_local(activity.ends_at)
        form.title.data, form.service.data, form.team.data = \
            activity.title, activity.service, activity.team
        form.region.data, form.place.data = activity.region.code, activity.place
        form.day.data, form.start.data, form.end.data = \
            start.date().isoformat(), start.strftime("%H:%M"), end.strftime("%H:%M")
        form.slots.data, form.description.data = activity.slots, activity.description
    elif form.validate():
        try:
            with db.session.begin_nested():
                activities.update_activity(user=current_user, activity=activity,
                                           data=_input(form))
        except DomainError as e:
            show_error(form, e)
        else:
            flash(_("已保存"), "success")
            return redirect(url_for(".detail", activity_id=activity.id))
    return render_template("activities/form.html", form=form, activity=activity), \
        422 if request.method == "POST" else 200


@bp.get("/activities/<int:activity_id>")
@roles_required(*STAFF)
def detail(activity_id: int):
    activity = for_user(activities.get_activity, activity_id)
    confirmed, waiting = activities.roster(activity)
    return render_template("activities/detail.html", activity=activity, confirmed=confirmed,
                           waiting=waiting)


@bp.post("/activities/<int:activity_id>/cancel")
@roles_required(*STAFF)
def cancel(activity_id: int):
    activity = for_user(activities.get_activity, activity_id)
    try:
        told = activities.cancel_activity(user=current_user, activity=activity)
    except DomainError as e:
        flash(e.message, "error")
    else:
        flash(_("已取消活动，已通知 %(n)s 名报名的志愿者", n=told), "success")
    return redirect(url_for(".detail", activity_id=activity.id))


@bp.get("/activities/hours")
@roles_required(*STAFF)
def hours_queue():
    return render_template("activities/hours.html", entries=hours.pending_for(current_user))


@bp.post("/activities/hours/approve")
@roles_required(*STAFF)
def hours_approve():
    ids = [i for i in map(int_arg, request.form.getlist("hours_id")) if i is not None]
    if not ids:
        flash(_("请先勾选要认定的记录"), "error")
        return redirect(url_for(".hours_queue"))
    done, refused = hours.approve_many(user=current_user, hours_ids=ids)
    flash(_("已认定 %(n)s 条服务记录", n=done), "success")
    for line in refused[:10]:
        flash(line, "error")
    return redirect(url_for(".hours_queue"))


@bp.post("/activities/hours/<int:hours_id>/reject")
@roles_required(*STAFF)
def hours_reject(hours_id: int):
    entry = for_user(hours.get_entry, hours_id)
    form = RejectForm()
    if not form.validate():
        for message in form.reason.errors:
            flash(message, "error")
        return redirect(url_for(".hours_queue"))
    try:
        hours.reject(user=current_user, entry=entry, reason=form.reason.data)
    except DomainError as e:
        flash(e.message, "error")
    else:
        flash(_("已标记为未认定"), "success")
    return redirect(url_for(".hours_queue"))


@bp.post("/activities/hours/<int:hours_id>/approve")
@roles_required(*STAFF)
def hours_approve_one(hours_id: int):
    entry = for_user(hours.get_entry, hours_id)
    try:
        hours.approve(user=current_user, entry=entry)
    except DomainError as e:
        flash(e.message, "error")
    else:
        flash(_("已认定 %(n)s 条服务记录", n=1), "success")
    return redirect(url_for(".hours_queue"))
