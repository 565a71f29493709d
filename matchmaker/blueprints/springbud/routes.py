"""Spring Bud sponsorship for coordinators: the girls waiting for a sponsor, a girl's
guardian consent and links, and the engine's proposals for a pledge. Routes are thin:
check the form, call one operation, flash, redirect."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.blueprints.fields import choices, show_error
from matchmaker.blueprints.helpers import code_arg, for_user, int_arg, roles_required
from matchmaker.blueprints.springbud import bp
from matchmaker.blueprints.springbud.forms import (
    DEFAULT_SCOPE,
    EndForm,
    GuardianConsentForm,
    LinkForm,
)
from matchmaker.extensions import db
from matchmaker.models.base import N_, utcnow
from matchmaker.models.sponsorship import PLEDGE_PERIOD_LABELS
from matchmaker.services import consent, people, sponsorships
from matchmaker.services.clock import today
from matchmaker.services.errors import DomainError
from matchmaker.services.scope import assignable_regions

STAFF = ("admin", "coordinator")
FILTER_LABELS = {"waiting": N_("等待捐助"), "flagged": N_("原捐助中断"), "sponsored": N_("已结对"),
                 "no_consent": N_("未取得监护人同意")}


def _student(student_id: int):
    return for_user(sponsorships.get_student, student_id)


def _pledge(pledge_id: int):
    return for_user(sponsorships.get_pledge, pledge_id)


def _pledge_label(pledge, free: int) -> str:
    return _("%(donor)s：每人%(period)s %(amount)s 元，尚余 %(free)s 个名额",
             donor=sponsorships.donor_label(pledge.donor),
             period=_(PLEDGE_PERIOD_LABELS.get(pledge.period, pledge.period)),
             amount=f"{pledge.amount_fen / 100:,.2f}", free=free)


@bp.get("/spring-bud/")
@roles_required(*STAFF)
def girls():
    sponsorships.expire_holds()
    show = request.args.get("show", "")
    show = show if show in sponsorships.FILTERS else ""
    region = code_arg(request.args.get("region"))
    pagination = db.paginate(
        sponsorships.girls_query(current_user, show=show, region_code=region),
        page=int_arg(request.args.get("page")) or 1,
        per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("springbud/girls.html", pagination=pagination,
                           rows=sponsorships.rows(list(pagination.items)), show=show,
                           region=region, filters=FILTER_LABELS,
                           regions=[r for r in assignable_regions(current_user)
                                    if r.level != "village"])


def _render_girl(student, *, consent_form=None, link_form=None, status: int = 200):
    """Her sponsorship page. Every rendering is a view of a minor's record: audited."""
    people.record_full_view(person=student.person)
    if consent_form is None:
        consent_form = GuardianConsentForm()
        consent_form.given_by.data = student.guardian_name
        consent_form.relation.data = student.guardian_relation
        consent_form.scope.data = str(DEFAULT_SCOPE)
    if link_form is None:
        link_form = LinkForm()
    open_pledges = sponsorships.open_pledges(current_user)
    link_form.pledge.choices = choices(
        [("", _("— 请选择 —"))] + [(str(p.id), _pledge_label(p, free)) for p, free in open_pledges])
    listing = sponsorships.sponsorships_of(student)
    live = next((sp for sp in listing if sp.status in sponsorships.LIVE), None)
    day = today()
    return render_template(
        "springbud/girl.html", student=student, person=student.person,
        age_band=sponsorships.age_band(student.person.birth_date, day),
        town=sponsorships.town_of(student.person.region).name,
        consented=sponsorships.consented(student),
        history=sponsorships.consent_history(student),
        notice=consent.current_notice(sponsorships.PURPOSE),
        sponsorships=listing, live=live, open_pledges=open_pledges,
        waiting_days=sponsorships.waiting_days(
            student, day, sponsored=live is not None and live.status == "active"),
        consent_form=consent_form, link_form=link_form, end_form=EndForm()), status


@bp.get("/spring-bud/girls/<int:student_id>")
@roles_required(*STAFF)
def girl(student_id: int):
    student = _student(student_id)
    sponsorships.expire_holds()
    return _render_girl(student)


@bp.post("/spring-bud/girls/<int:student_id>/consent")
@roles_required(*STAFF)
def consent_record(student_id: int):
    student = _student(student_id)
    form = GuardianConsentForm()
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                sponsorships.record_guardian_consent(
                    user=current_user, student=student, given_by=form.given_by.data,
                    relation=form.relation.data, scope=form.scope.data,
                    signed_on=form.signed_date)
        except DomainError as e:
            show_error(form, e)
        else:
            flash(_("已登记监护人同意"), "success")
            return redirect(url_for(".girl", student_id=student.id))
    return _render_girl(student, consent_form=form, status=422)


@bp.post("/spring-bud/girls/<int:student_id>/consent/withdraw")
@roles_required(*STAFF)
def consent_withdraw(student_id: int):
    student = _student(student_id)
    try:
        with db.session.begin_nested():
            ended = sponsorships.withdraw_guardian_consent(user=current_user, student=student)
    except DomainError as e:
        flash(e.message, "error")
    else:
        flash(_("已撤回监护人同意，结束结对 %(n)s 项；捐助人已看不到这名学生。"
                "资助如何安排请另行处理。", n=ended), "success")
    return redirect(url_for(".girl", student_id=student.id))


@bp.post("/spring-bud/girls/<int:student_id>/link")
@roles_required(*STAFF)
def girl_link(student_id: int):
    student = _student(student_id)
    sponsorships.expire_holds(now=utcnow())  # an expired hold must not block her
    form = LinkForm()
    if form.validate_on_submit():
        pledge = _pledge(int(form.pledge.data))
        try:
            with db.session.begin_nested():
                sponsorships.link(user=current_user, pledge=pledge, student=student)
        except DomainError as e:
            show_error(form, e)
        else:
            flash(_("已结对，等待捐助人确认"), "success")
            return redirect(url_for(".girl", student_id=student.id))
    return _render_girl(student, link_form=form, status=422)


@bp.post("/spring-bud/sponsorships/<int:sponsorship_id>/end")
@roles_required(*STAFF)
def sponsorship_end(sponsorship_id: int):
    sp = for_user(sponsorships.get_sponsorship, sponsorship_id)
    form = EndForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    else:
        try:
            with db.session.begin_nested():
                sponsorships.end(user=current_user, sponsorship=sp, reason=form.reason.data)
        except DomainError as e:
            flash(e.message, "error")
        else:
            flash(_("已结束结对"), "success")
    return redirect(url_for(".girl", student_id=sp.student_id))


@bp.get("/spring-bud/pledges/")
@roles_required(*STAFF)
def pledges():
    sponsorships.expire_holds()
    return render_template("springbud/pledges.html",
                           pledges=sponsorships.open_pledges(current_user))


@bp.get("/spring-bud/pledges/<int:pledge_id>/proposals")
@roles_required(*STAFF)
def proposals(pledge_id: int):
    pledge = _pledge(pledge_id)
    sponsorships.expire_holds()
    return render_template("springbud/proposals.html", pledge=pledge,
                           free=sponsorships.free_places(pledge),
                           proposals=sponsorships.proposals(current_user, pledge),
                           day=today(), age_band=sponsorships.age_band,
                           town_of=sponsorships.town_of)


@bp.post("/spring-bud/pledges/<int:pledge_id>/proposals")
@roles_required(*STAFF)
def proposals_link(pledge_id: int):
    pledge = _pledge(pledge_id)
    sponsorships.expire_holds(now=utcnow())  # expired holds free girls and places
    if request.form.get("all") == "1":
        ids = [i for i in (int_arg(v) for v in request.form.getlist("student_id")) if i]
    else:
        one = int_arg(request.form.get("student_id"))
        ids = [one] if one else []
    if not ids:
        abort(400)
    try:
        with db.session.begin_nested():
            made = sponsorships.link_proposed(user=current_user, pledge=pledge, student_ids=ids)
    except DomainError as e:
        flash(e.message, "error")
    else:
        if made:
            flash(_("已结对 %(n)s 名学生，等待捐助人确认", n=len(made)), "success")
        if len(made) < len(ids):
            flash(_("%(n)s 名学生已不在推荐名单中（可能已结对或撤回同意），未结对",
                    n=len(ids) - len(made)), "error")
    return redirect(url_for(".proposals", pledge_id=pledge.id))
