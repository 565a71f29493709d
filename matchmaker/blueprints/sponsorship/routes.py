"""Spring Bud money for coordinators: pledges, donations and receipts, term payments,
and the girls waiting for a new sponsor."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.blueprints.fields import choices, show_error
from matchmaker.blueprints.helpers import for_user, int_arg, roles_required
from matchmaker.blueprints.sponsorship import bp
from matchmaker.blueprints.sponsorship.forms import DonationForm, PledgeForm, TermForm
from matchmaker.extensions import db
from matchmaker.models.sponsorship import PLEDGE_STATUSES
from matchmaker.services import clock, donations, pledges, term_payments, terms
from matchmaker.services.errors import DomainError, NotFound
from matchmaker.services.money import to_yuan
from matchmaker.services.scope import assignable_regions, region_by_code
from matchmaker.services.validation import parse_date

STAFF = ("admin", "coordinator")


def _regions(blank: str | None = None):
    """Federations in the user's scope that can handle money: cities, counties, towns."""
    rows = [(r.code, r.full_name) for r in assignable_regions(current_user)
            if r.level != "village"]
    return choices(([("", blank)] if blank is not None else []) + rows)


def _donor_choices():
    return choices([("", _("请选择"))] + [
        (str(d.id), f"{pledges.donor_name(d)}（{d.person.region.name}）")
        for d in pledges.donors_in_scope(current_user)])


def _pledge_label(p) -> str:
    return _("#%(id)s %(donor)s · 每名学员%(period)s %(amount)s 元", id=p.id,
             donor=pledges.donor_name(p.donor), period=_period(p.period),
             amount=f"{to_yuan(p.amount_fen):,.2f}")


def _period(code: str) -> str:
    from matchmaker.models.sponsorship import PLEDGE_PERIOD_LABELS

    return _(PLEDGE_PERIOD_LABELS.get(code, code))


@bp.get("/sponsorship/")
@roles_required(*STAFF)
def pledge_index():
    # Lapsing is lazy: opening the list ends what ran out (cheap when nothing did).
    pledges.lapse_due(today=clock.today())
    status = request.args.get("status", "")
    if status not in PLEDGE_STATUSES:
        status = ""
    return render_template("sponsorship/pledges.html", status=status,
                           statuses=PLEDGE_STATUSES,
                           rows=pledges.pledges_of(current_user, status=status))


def _pledge_input(form: PledgeForm, donor_id: int | None = None) -> pledges.PledgeInput:
    ends = (form.ends_on.data or "").strip()
    return pledges.PledgeInput(
        donor_id=donor_id or int_arg(form.donor.data), region_code=form.region.data or "",
        amount=form.amount.data or "", period=form.period.data, students=form.students.data,
        greatest_need=form.greatest_need.data, pref_region_code=form.pref_region.data or "",
        pref_grade=form.pref_grade.data or "",
        starts_on=parse_date(form.starts_on.data, field="starts_on"),
        ends_on=parse_date(ends, field="ends_on") if ends else None,
        note=form.note.data or "")


def _pledge_form(form: PledgeForm) -> PledgeForm:
    form.donor.choices = _donor_choices()
    form.region.choices = _regions()
    form.pref_region.choices = _regions(_("不限"))
    return form


@bp.route("/sponsorship/pledges/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def pledge_new():
    form = _pledge_form(PledgeForm())
    if request.method == "GET":
        form.starts_on.data = clock.today().isoformat()
        form.donor.data = request.args.get("donor_id", "")
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                pledge = pledges.create_pledge(user=current_user, data=_pledge_input(form))
        except DomainError as e:
            show_error(form, e)
        else:
            flash(_("已登记捐助承诺"), "success")
            return redirect(url_for(".pledge_detail", pledge_id=pledge.id))
    return render_template("sponsorship/pledge_form.html", form=form), \
        422 if request.method == "POST" else 200


@bp.route("/sponsorship/pledges/<int:pledge_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def pledge_edit(pledge_id: int):
    pledge = for_user(pledges.get_pledge, pledge_id)
    form = _pledge_form(PledgeForm())
    del form.donor  # a pledge keeps its donor
    if request.method == "GET":
        form.region.data = pledge.region.code
        form.amount.data = str(to_yuan(pledge.amount_fen))
        form.period.data, form.students.data = pledge.period, pledge.students
        form.greatest_need.data = pledge.greatest_need
        form.pref_region.data = pledge.pref_region.code if pledge.pref_region else ""
        form.pref_grade.data, form.note.data = pledge.pref_grade, pledge.note
        form.starts_on.data = pledge.starts_on.isoformat()
        form.ends_on.data = pledge.ends_on.isoformat() if pledge.ends_on else ""
    elif form.validate_on_submit():
        try:
            with db.session.begin_nested():
                pledges.update_pledge(user=current_user, pledge=pledge,
                                      data=_pledge_input(form, pledge.donor_id))
        except DomainError as e:
            show_error(form, e)
        else:
            flash(_("已保存"), "success")
            return redirect(url_for(".pledge_detail", pledge_id=pledge.id))
    return render_template("sponsorship/pledge_form.html", form=form, pledge=pledge), \
        422 if request.method == "POST" else 200


@bp.post("/sponsorship/pledges/<int:pledge_id>/end")
@roles_required(*STAFF)
def pledge_end(pledge_id: int):
    pledge = for_user(pledges.get_pledge, pledge_id)
    try:
        with db.session.begin_nested():
            n = pledges.end_pledge(user=current_user, pledge=pledge)
    except DomainError as e:
        flash(e.message, "error")
    else:
        flash(_("已结束这项承诺；%(n)s 名学员转由续助储备金资助，等待新的捐助人", n=n),
              "success")
    return redirect(url_for(".pledge_detail", pledge_id=pledge.id))


@bp.get("/sponsorship/pledges/<int:pledge_id>")
@roles_required(*STAFF)
def pledge_detail(pledge_id: int):
    pledge = for_user(pledges.get_pledge, pledge_id)
    return render_template("sponsorship/pledge.html", pledge=pledge,
                           linked=pledges.live_count(pledge),
                           sponsorships=pledges.sponsorships_of(pledge, current_user),
                           donations=donations.donations_of(current_user, pledge=pledge))


@bp.get("/sponsorship/donations/")
@roles_required(*STAFF)
def donation_index():
    return render_template("sponsorship/donations.html",
                           donations=donations.donations_of(current_user))


@bp.route("/sponsorship/donations/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def donation_new():
    form = DonationForm()
    form.donor.choices = _donor_choices()
    form.pledge.choices = choices([("", _("无（一般捐款）"))] + [
        (str(p.id), _pledge_label(p))
        for p, _n in pledges.pledges_of(current_user, status="active")])
    form.region.choices = _regions(_("按捐助人的承诺"))
    if request.method == "GET":
        form.received_on.data = clock.today().isoformat()
        pledge_id = int_arg(request.args.get("pledge_id"))
        if pledge_id:
            pledge = for_user(pledges.get_pledge, pledge_id)
            form.pledge.data, form.donor.data = str(pledge.id), str(pledge.donor_id)
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                donor = pledges.get_donor(current_user, int_arg(form.donor.data))
                pledge = None
                if form.pledge.data:
                    try:
                        pledge = pledges.get_pledge(current_user, int_arg(form.pledge.data) or 0)
                    except NotFound:
                        raise NotFound(_("找不到这项捐助承诺"), field="pledge") from None
                region = region_by_code(current_user, form.region.data) \
                    if form.region.data else None
                donation = donations.record_donation(
                    user=current_user, donor=donor, amount=form.amount.data or "",
                    received_on=parse_date(form.received_on.data, field="received_on"),
                    pledge=pledge, region=region)
        except DomainError as e:
            show_error(form, e)
        else:
            flash(_("已登记捐款，收据号 %(no)s", no=donation.receipt_no), "success")
            return redirect(url_for(".receipt", donation_id=donation.id))
    return render_template("sponsorship/donation_form.html", form=form), \
        422 if request.method == "POST" else 200


@bp.get("/sponsorship/donations/<int:donation_id>/receipt")
@roles_required(*STAFF)
def receipt(donation_id: int):
    donation = for_user(donations.get_donation, donation_id)
    return render_template("sponsorship/receipt.html", donation=donation,
                           receipt=donations.receipt_data(donation))


def _term_region():
    code = request.values.get("region", "")
    return region_by_code(current_user, code) if code else None


@bp.route("/sponsorship/terms", methods=["GET", "POST"])
@roles_required(*STAFF)
def term_pay():
    # The choice of term is a GET (a preview changes nothing); paying is one POST, whose
    # CSRF token the app-wide protection checks.
    form = TermForm(request.args if request.method == "GET" else None, meta={"csrf": False})
    form.region.choices = _regions(_("我负责的全部地区"))
    plan, result, term = None, None, ""
    if request.method == "GET" and request.args.get("year"):
        if form.validate():
            term = f"{form.year.data}-{form.half.data}"
            try:
                plan = term_payments.plan_term(user=current_user, term=term, region=_term_region())
            except DomainError as e:
                show_error(form, e)
    elif request.method == "POST":
        term = request.form.get("term", "")
        try:
            with db.session.begin_nested():
                result = term_payments.pay_term(user=current_user, term=term, region=_term_region())
        except DomainError as e:
            flash(e.message, "error")
            return redirect(url_for(".term_pay"))
        term = result.term  # as normalised by the service
        plan = term_payments.plan_term(user=current_user, term=term, region=_term_region())
    if result is not None:
        form.year.data, form.half.data = terms.split_term(term)
    if not form.year.data:
        form.year.data = clock.today().year
        form.half.data = "spring" if clock.today().month < 7 else "autumn"
    return render_template("sponsorship/terms.html", form=form, plan=plan, result=result,
                           term=term, term_label=terms.term_label(term) if term else "",
                           region=request.values.get("region", ""))


@bp.get("/sponsorship/waiting")
@roles_required(*STAFF)
def waiting():
    pledges.lapse_due(today=clock.today())
    return render_template("sponsorship/waiting.html",
                           rows=term_payments.flagged_girls(current_user))
