"""The donor portal (/donor): the girls she sponsors (an allow-list projection, never a
girl's record), the payments made from her money, her receipts and her letters. Every
lookup starts from her own donor profile: any other id is 404.

Staff side (/donors/<id>): a donor's summary for coordinators, and her invitation (an
account and a one-time set-password link, sent through the outbox)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.blueprints.donor import bp
from matchmaker.blueprints.donor.forms import LetterForm
from matchmaker.blueprints.fields import show_error
from matchmaker.blueprints.helpers import for_user, roles_required
from matchmaker.extensions import db
from matchmaker.services import donor_accounts, donor_view, letters, sponsorships
from matchmaker.services.errors import DomainError, Forbidden, NotFound

STAFF = ("admin", "coordinator")


def _me():
    return for_user(donor_view.donor_of)


def _mine(lookup, *args):
    """A record of hers, or 404 (never telling whether it exists)."""
    try:
        return lookup(*args)
    except (NotFound, Forbidden):
        abort(404)


@bp.get("/donor")
@roles_required("donor")
def home():
    donor = _me()
    return render_template("donor/home.html", cards=donor_view.cards(donor),
                           money=donor_view.money_summary(donor))


def _render_student(donor, card, form: LetterForm, status: int = 200):
    return render_template("donor/student.html", card=card, form=form), status


@bp.get("/donor/students/<int:sponsorship_id>")
@roles_required("donor")
def student(sponsorship_id: int):
    donor = _me()
    card = _mine(donor_view.card, donor, sponsorship_id)
    return _render_student(donor, card, LetterForm())


@bp.post("/donor/students/<int:sponsorship_id>/letter")
@roles_required("donor")
def letter_new(sponsorship_id: int):
    donor = _me()
    card = _mine(donor_view.card, donor, sponsorship_id)
    student_id = _mine(donor_view.student_id_for_letter, donor, sponsorship_id)
    form = LetterForm()
    if form.validate():
        try:
            with db.session.begin_nested():
                letters.submit(donor=donor, student_id=student_id, body=form.body.data)
        except NotFound:
            abort(404)
        except DomainError as e:
            show_error(form, e)
        else:
            flash(_("来信已提交，妇联工作人员审阅后转交"), "success")
            return redirect(url_for(".letter_index"))
    return _render_student(donor, card, form, 422)


def _hold(sponsorship_id: int, action) -> object:
    donor = _me()
    card = _mine(donor_view.card, donor, sponsorship_id)
    if card.status != "held":
        flash(_("这项资助已确认或已结束"), "error")
        return None
    try:
        with db.session.begin_nested():
            action(donor=donor, sponsorship_id=sponsorship_id)
    except (NotFound, Forbidden):
        abort(404)
    except DomainError as e:
        flash(e.message, "error")
        return None
    return donor


@bp.post("/donor/students/<int:sponsorship_id>/confirm")
@roles_required("donor")
def hold_confirm(sponsorship_id: int):
    if _hold(sponsorship_id, sponsorships.confirm_hold) is not None:
        flash(_("感谢您！资助已确认"), "success")
        return redirect(url_for(".student", sponsorship_id=sponsorship_id))
    return redirect(url_for(".home"))


@bp.post("/donor/students/<int:sponsorship_id>/decline")
@roles_required("donor")
def hold_decline(sponsorship_id: int):
    if _hold(sponsorship_id, sponsorships.decline_hold) is not None:
        flash(_("已谢绝这项资助建议，妇联会为她另找捐助人"), "success")
    return redirect(url_for(".home"))


@bp.get("/donor/payments")
@roles_required("donor")
def payment_index():
    donor = _me()
    return render_template("donor/payments.html", payments=donor_view.payments(donor),
                           money=donor_view.money_summary(donor))


@bp.get("/donor/payments/<int:payment_id>")
@roles_required("donor")
def payment_detail(payment_id: int):
    donor = _me()
    return render_template("donor/payment.html",
                           payment=_mine(donor_view.payment, donor, payment_id))


@bp.get("/donor/receipts")
@roles_required("donor")
def receipt_index():
    donor = _me()
    return render_template("donor/receipts.html", receipts=donor_view.receipts(donor))


@bp.get("/donor/receipts/<int:donation_id>")
@roles_required("donor")
def receipt_detail(donation_id: int):
    donor = _me()
    return render_template("donor/receipt.html",
                           receipt=_mine(donor_view.receipt, donor, donation_id))


@bp.get("/donor/letters")
@roles_required("donor")
def letter_index():
    donor = _me()
    return render_template("donor/letters.html", letters=donor_view.letters(donor))


@bp.get("/donor/letters/<int:letter_id>")
@roles_required("donor")
def letter_detail(letter_id: int):
    donor = _me()
    return render_template("donor/letter.html",
                           letter=_mine(donor_view.letter, donor, letter_id))


# --- Staff: a donor's summary and invitation ------------------------------------------

def _link_for(raw: str) -> str:
    return url_for("auth.set_password", token=raw, _external=True)


@bp.get("/donors/<int:donor_profile_id>")
@roles_required(*STAFF)
def staff_detail(donor_profile_id: int):
    donor = for_user(donor_accounts.get_donor, donor_profile_id)
    return render_template("donor/staff_detail.html", donor=donor, person=donor.person,
                           summary=donor_accounts.summary(donor))


@bp.post("/donors/<int:donor_profile_id>/invite")
@roles_required(*STAFF)
def staff_invite(donor_profile_id: int):
    donor = for_user(donor_accounts.get_donor, donor_profile_id)
    try:
        with db.session.begin_nested():
            donor_accounts.invite(user=current_user, donor=donor, link_for=_link_for)
    except NotFound:
        abort(404)
    except DomainError as e:
        flash(e.message, "error")
    else:
        flash(_("已发送邀请短信，此前的链接已失效"), "success")
    return redirect(url_for(".staff_detail", donor_profile_id=donor_profile_id))
