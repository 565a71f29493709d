"""The volunteer portal (/me): her profile and consent, activities, hours, certificate.
Every record is looked up from her own profile: another volunteer's ids are 404."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.blueprints.fields import choices, show_error
from matchmaker.blueprints.helpers import for_user, int_arg, roles_required
from matchmaker.blueprints.portal import bp
from matchmaker.blueprints.portal.forms import HoursForm, ProfileForm
from matchmaker.extensions import db
from matchmaker.services import (
    activities,
    clock,
    consent,
    hours,
    notifications,
    portal,
    service_requests,
)
from matchmaker.services.errors import DomainError


def _me():
    return for_user(portal.require_volunteer)


@bp.app_template_global()
def my_upcoming_signups(person, limit: int = 5) -> list:
    """Her next activities, for the volunteer's home page."""
    volunteer = portal.volunteer_of_person(person) if person is not None else None
    return activities.upcoming_signups(volunteer, limit=limit) if volunteer else []


def _render_home(form: ProfileForm | None = None, status: int = 200):
    volunteer = portal.volunteer_of(current_user)
    person = current_user.person
    if volunteer is not None and form is None:
        form = ProfileForm(formdata=None, teams=sorted(volunteer.team_set),
                           skills=volunteer.skills,
                           availability=sorted(volunteer.availability_set))
    return render_template(
        "portal/home.html", volunteer=volunteer, person=person, form=form,
        consent=consent.active(person, "volunteer") if person else None,
        pairings=portal.pairings_of(person) if person else [],
        assignments=service_requests.assignments_for(volunteer) if volunteer else [],
        upcoming=activities.upcoming_signups(volunteer) if volunteer else [],
        inbox=notifications.inbox(person) if person else []), status


@bp.get("/me")
@roles_required("volunteer")
def home():
    return _render_home()


@bp.post("/me/profile")
@roles_required("volunteer")
def profile_update():
    volunteer = _me()
    form = ProfileForm()
    if form.validate():
        try:
            with db.session.begin_nested():
                portal.update_profile(volunteer=volunteer, teams=form.teams.data or [],
                                      skills=form.skills.data or "",
                                      availability=form.availability.data or [])
        except DomainError as e:
            show_error(form, e)
        else:
            flash(_("已保存"), "success")
            return redirect(url_for(".home"))
    return _render_home(form, 422)


@bp.route("/me/consent/withdraw", methods=["GET", "POST"])
@roles_required("volunteer")
def consent_withdraw():
    volunteer = _me()
    if request.method == "POST":
        try:
            cancelled = portal.withdraw_consent(volunteer=volunteer)
        except DomainError as e:
            flash(e.message, "error")
        else:
            flash(_("已撤回同意，您的志愿服务已暂停，取消了 %(n)s 个待参加的活动报名", n=cancelled),
                  "success")
        return redirect(url_for(".home"))
    return render_template("portal/withdraw.html", volunteer=volunteer,
                           consent=consent.active(volunteer.person, "volunteer"),
                           upcoming=activities.upcoming_signups(volunteer, limit=1000))


@bp.route("/me/consent", methods=["GET", "POST"])
@roles_required("volunteer")
def consent_give():
    """She consents again (after withdrawing) to the notice now in force; a coordinator
    then resumes her service."""
    volunteer = _me()
    if request.method == "POST":
        try:
            portal.give_consent_again(volunteer=volunteer)
        except DomainError as e:
            flash(e.message, "error")
        else:
            flash(_("已记录您的同意。请联系所在地妇联恢复志愿服务"), "success")
        return redirect(url_for(".home"))
    return render_template("portal/consent.html", volunteer=volunteer,
                           notice=consent.current_notice("volunteer"))


@bp.get("/me/activities")
@roles_required("volunteer")
def activity_index():
    volunteer = _me()
    mine = activities.signups_of(volunteer)
    live = {s.activity_id for s in mine if s.status in activities.LIVE}
    return render_template(
        "portal/activities.html", volunteer=volunteer, live=live,
        offered=activities.open_activities_for(volunteer), mine=mine,
        position=activities.waitlist_position, started=activities.has_started)


@bp.post("/me/activities/<int:activity_id>/signup")
@roles_required("volunteer")
def activity_signup(activity_id: int):
    volunteer = _me()
    activity = for_user(lambda user: activities.open_activity_for(volunteer, activity_id))
    try:
        signup = activities.sign_up(volunteer=volunteer, activity=activity)
    except DomainError as e:
        flash(e.message, "error")
    else:
        if signup.status == "confirmed":
            flash(_("报名成功：%(title)s", title=activity.title), "success")
        else:
            flash(_("名额已满，您已进入候补（第 %(n)s 位），有名额空出时会自动转为正式报名",
                    n=activities.waitlist_position(signup)), "success")
    return redirect(url_for(".activity_index"))


@bp.post("/me/signups/<int:signup_id>/cancel")
@roles_required("volunteer")
def signup_cancel(signup_id: int):
    volunteer = _me()
    signup = for_user(lambda user: activities.get_signup_of(volunteer, signup_id))
    try:
        activities.cancel(signup=signup)
    except DomainError as e:
        flash(e.message, "error")
    else:
        flash(_("已取消报名"), "success")
    return redirect(url_for(".activity_index"))


def _hours_form() -> HoursForm:
    form = HoursForm()
    form.activity.choices = choices(
        [("", _("不对应活动")),
         *((str(s.activity_id), f"{clock.to_local(s.activity.starts_at):%Y-%m-%d} "
            f"{s.activity.title}") for s in hours.loggable_activities(_me()))])
    return form


def _activity_id(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return None if not raw else int_arg(raw) or -1  # -1: no such activity


@bp.route("/me/hours", methods=["GET", "POST"])
@roles_required("volunteer")
def hours_index():
    volunteer = _me()
    form = _hours_form()
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                hours.log_hours(volunteer=volunteer, served_on=form.served_on.data or "",
                                hours=form.hours.data or "",
                                description=form.description.data or "",
                                activity_id=_activity_id(form.activity.data))
        except DomainError as e:
            show_error(form, e)
        else:
            flash(_("已登记，等待妇联审核"), "success")
            return redirect(url_for(".hours_index"))
    year = clock.today().year
    return render_template("portal/hours.html", form=form, entries=hours.entries_of(volunteer),
                           year=year, total=hours.approved_total(volunteer, year)), \
        422 if request.method == "POST" else 200


@bp.post("/me/hours/<int:hours_id>/withdraw")
@roles_required("volunteer")
def hours_withdraw(hours_id: int):
    volunteer = _me()
    entry = for_user(lambda user: hours.get_entry_of(volunteer, hours_id))
    try:
        hours.withdraw_entry(entry=entry)
    except DomainError as e:
        flash(e.message, "error")
    else:
        flash(_("已撤回这条记录"), "success")
    return redirect(url_for(".hours_index"))


@bp.get("/me/certificate")
@roles_required("volunteer")
def certificate():
    volunteer = _me()
    this_year = clock.today().year
    year = int_arg(request.args.get("year")) or this_year
    if not 2000 <= year <= this_year:
        year = this_year
    return render_template("portal/certificate.html",
                           cert=hours.certificate(volunteer, year), this_year=this_year)
