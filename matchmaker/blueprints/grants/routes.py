"""Grant funds in the browser: applications, trial allocations, approval, payment, export."""

from __future__ import annotations

import uuid
from datetime import date

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.blueprints.fields import choices, show_error
from matchmaker.blueprints.grants import bp
from matchmaker.blueprints.grants.forms import ApplicationForm, FundEditForm, FundForm
from matchmaker.blueprints.helpers import for_user, int_arg, roles_required
from matchmaker.extensions import db
from matchmaker.services import exports, funds, ledger
from matchmaker.services.errors import DomainError
from matchmaker.services.money import parse_yuan, to_fen, to_yuan
from matchmaker.services.scope import assignable_regions
from matchmaker.services.validation import parse_date

STAFF = ("admin", "coordinator")


def _fund(fund_id: int, manage: bool = False):
    return for_user(funds.get_fund, fund_id, manage=manage)


@bp.get("/")
@roles_required(*STAFF)
def fund_index():
    return render_template("grants/funds.html", funds=funds.visible_funds(current_user))


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def fund_new():
    form = FundForm()
    form.region.choices = choices((r.code, r.full_name) for r in
                                  assignable_regions(current_user) if r.level != "village")
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                fund = funds.create_fund(user=current_user, data=funds.FundInput(
                    name=form.name.data, year=form.year.data, kind=form.kind.data,
                    region_code=form.region.data, budget=form.budget.data or "",
                    rule=form.rule.data, standard=form.standard.data or "",
                    subsidy_share=form.subsidy_share.data or "", cap=form.cap.data or "",
                    eligibility={"pool": form.pool.data, "kinds": form.kinds.data or [],
                                 "min_hardship": form.min_hardship.data or 0},
                    region_min=form.region_min_dict(), description=form.description.data,
                    priority_weights=form.priority_weights()))
        except DomainError as e:
            show_error(form, e)
        else:
            flash(_("已创建专项资金"), "success")
            return redirect(url_for(".fund_detail", fund_id=fund.id))
    return render_template("grants/fund_form.html", form=form), \
        422 if request.method == "POST" else 200


@bp.route("/<int:fund_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def fund_edit(fund_id: int):
    fund = _fund(fund_id, manage=True)
    form = FundEditForm()
    if request.method == "GET":
        form.name.data, form.description.data = fund.name, fund.description
        form.budget.data = str(to_yuan(fund.budget_fen))
    elif form.validate():
        try:
            with db.session.begin_nested():
                funds.update_fund(fund=fund, name=form.name.data,
                                  description=form.description.data or "",
                                  budget=form.budget.data or "")
        except DomainError as e:
            show_error(form, e)
        else:
            flash(_("已保存"), "success")
            return redirect(url_for(".fund_detail", fund_id=fund.id))
    return render_template("grants/fund_form.html", form=form, fund=fund), \
        422 if request.method == "POST" else 200


@bp.route("/<int:fund_id>/applications/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def application_new(fund_id: int):
    fund = _fund(fund_id)
    form = ApplicationForm()
    people = funds.candidates(current_user, fund)
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                funds.submit_application(user=current_user, fund=fund, data=funds.ApplicationInput(
                    person_id=int_arg(request.form.get("person_id")) or 0,
                    hardship=form.hardship.data, household_size=form.household_size.data,
                    plan_score=form.plan_score.data, principal=form.principal.data or "",
                    annual_rate=form.annual_rate.data or "", months=form.months.data,
                    loan_number=form.loan_number.data,
                    first_loan_repaid=form.first_loan_repaid.data, note=form.note.data or ""))
        except DomainError as e:
            show_error(form, e)
            if e.field is None or e.field == "person_id":
                flash(e.message, "error")
        else:
            flash(_("已登记申请"), "success")
            return redirect(url_for(".fund_detail", fund_id=fund.id))
    return render_template("grants/application_form.html", form=form, fund=fund,
                           people=people), 422 if request.method == "POST" else 200


@bp.get("/<int:fund_id>")
@roles_required(*STAFF)
def fund_detail(fund_id: int):
    fund = _fund(fund_id)
    return render_template("grants/fund.html", fund=fund,
                           applications=funds.applications_of(current_user, fund),
                           trial=funds.latest_trial(fund), balance=ledger.balance_fen(fund))


@bp.post("/<int:fund_id>/trials")
@roles_required(*STAFF)
def fund_trial(fund_id: int):
    fund = _fund(fund_id, manage=True)
    policy = request.form.get("policy", "optimal")
    if policy not in ("optimal", "ranked"):
        abort(400)
    try:
        funds.trial_allocation(user=current_user, fund=fund, policy=policy)
    except DomainError as e:
        flash(e.message, "error")
    else:
        flash(_("已完成试分配，请核对后批准"), "success")
    return redirect(url_for(".fund_detail", fund_id=fund.id))


@bp.post("/<int:fund_id>/carry-forward")
@roles_required(*STAFF)
def fund_carry_forward(fund_id: int):
    fund = _fund(fund_id, manage=True)
    done, refused = funds.carry_forward(user=current_user, fund=fund)
    flash(_("已承接往年多年贴息 %(n)s 项", n=done), "success")
    for line in refused[:10]:
        flash(line, "error")
    return redirect(url_for(".fund_detail", fund_id=fund.id))


@bp.post("/trials/<int:run_id>/approve")
@roles_required(*STAFF)
def trial_approve(run_id: int):
    run = for_user(funds.get_trial, run_id)
    done, refused = funds.approve_trial(user=current_user, run=run)
    flash(_("已批准 %(n)s 项资助", n=done), "success")
    for line in refused[:10]:
        flash(line, "error")
    return redirect(url_for(".fund_detail", fund_id=run.fund_id))


@bp.route("/awards/<int:award_id>/pay", methods=["GET", "POST"])
@roles_required(*STAFF)
def award_pay(award_id: int):
    award = for_user(funds.get_award, award_id)
    fund = award.fund
    if request.method == "POST":
        try:
            amount = parse_yuan(request.form.get("amount", ""))
            ledger.disburse(user=current_user, award=award, amount_fen=to_fen(amount),
                            paid_on=date.today(), idempotency_key=request.form.get("key", ""))
        except DomainError as e:
            flash(e.message, "error")
        else:
            flash(_("已发放 %(amount)s 元", amount=amount), "success")
            return redirect(url_for(".fund_detail", fund_id=fund.id))
    # A fresh key per form: a double click or a resubmitted page pays once.
    return render_template("grants/pay.html", award=award, fund=fund, key=uuid.uuid4().hex)


@bp.get("/<int:fund_id>/ledger.xlsx")
@roles_required(*STAFF)
def fund_export(fund_id: int):
    fund = _fund(fund_id, manage=True)
    try:
        start = parse_date(request.args["start"], field="start") if request.args.get("start") \
            else None
        end = parse_date(request.args["end"], field="end") if request.args.get("end") else None
    except DomainError as e:
        flash(e.message, "error")
        return redirect(url_for(".fund_detail", fund_id=fund.id))
    data = exports.fund_ledger_xlsx(fund=fund, start=start, end=end)
    from io import BytesIO

    return send_file(BytesIO(data), as_attachment=True, download_name=f"fund-{fund.id}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument."
                              "spreadsheetml.sheet")
