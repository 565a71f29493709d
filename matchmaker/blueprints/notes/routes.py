"""Spring Bud progress notes and donors' letters, as coordinators handle them: write a
term's note, approve a colleague's (never one's own), withdraw; read donors' letters,
forward (and print) or decline them."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.blueprints.fields import choices, show_error
from matchmaker.blueprints.helpers import for_user, int_arg, roles_required
from matchmaker.blueprints.notes import bp
from matchmaker.blueprints.notes.forms import DeclineForm, NoteForm
from matchmaker.extensions import db
from matchmaker.services import letters, names, progress_notes, terms
from matchmaker.services.errors import DomainError

STAFF = ("admin", "coordinator")


@bp.app_template_filter("donor_signature")
def donor_signature_filter(donor) -> str:
    """How a donor signs to a girl: her chosen display name, never her registered name."""
    return letters.donor_signature(donor)


# ---------------------------------------------------------------- progress notes


@bp.get("/spring-bud/notes/")
@roles_required(*STAFF)
def note_queue():
    return render_template("notes/notes.html",
                           drafts=progress_notes.to_approve(current_user),
                           mine=progress_notes.my_drafts(current_user),
                           approved=progress_notes.recent_approved(current_user))


@bp.route("/spring-bud/notes/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def note_new():
    form = NoteForm()
    girls = progress_notes.students_in_scope(current_user)
    form.student.choices = choices(
        [("", _("— 请选择 —"))] + [(str(g.id), f"{g.person.name} · {g.person.region.name} · "
                                             f"{g.grade}") for g in girls])
    form.term.choices = choices((t, terms.term_label(t))
                                for t in terms.recent_terms())
    if request.method == "GET" and int_arg(request.args.get("student")):
        form.student.data = request.args["student"]
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                student = progress_notes.get_student(current_user, int_arg(form.student.data))
                progress_notes.write(user=current_user, student=student, term=form.term.data,
                                     body=form.body.data)
        except DomainError as e:  # a girl out of scope is "not found" beside the field
            show_error(form, e)
        else:
            flash(_("已保存学期进展，请另一位工作人员审核后发布"), "success")
            return redirect(url_for(".note_queue"))
    return render_template("notes/note_form.html", form=form), \
        422 if request.method == "POST" else 200


@bp.post("/spring-bud/notes/<int:note_id>/approve")
@roles_required(*STAFF)
def note_approve(note_id: int):
    note = for_user(progress_notes.get_note, note_id)
    try:
        with db.session.begin_nested():
            progress_notes.approve(user=current_user, note=note)
    except DomainError as e:
        flash(e.message, "error")
    else:
        flash(_("已发布，捐助人可以看到这份进展"), "success")
    return redirect(url_for(".note_queue"))


@bp.post("/spring-bud/notes/<int:note_id>/withdraw")
@roles_required(*STAFF)
def note_withdraw(note_id: int):
    note = for_user(progress_notes.get_note, note_id)
    try:
        with db.session.begin_nested():
            progress_notes.withdraw(user=current_user, note=note)
    except DomainError as e:
        flash(e.message, "error")
    else:
        flash(_("已撤下这份进展"), "success")
    return redirect(url_for(".note_queue"))


# ---------------------------------------------------------------- letters


@bp.get("/spring-bud/letters/")
@roles_required(*STAFF)
def letter_queue():
    return render_template("notes/letters.html", pending=letters.queue(current_user),
                           reviewed=letters.recent_reviewed(current_user))


@bp.get("/spring-bud/letters/<int:letter_id>")
@roles_required(*STAFF)
def letter_detail(letter_id: int):
    letter = for_user(letters.get_letter, letter_id)
    return render_template("notes/letter.html", letter=letter, form=DeclineForm(),
                           donor_name=letters.donor_signature(letter.donor),
                           pseudonym=letters.pseudonym(letter.student))


@bp.post("/spring-bud/letters/<int:letter_id>/forward")
@roles_required(*STAFF)
def letter_forward(letter_id: int):
    letter = for_user(letters.get_letter, letter_id)
    try:
        with db.session.begin_nested():
            letters.forward(user=current_user, letter=letter)
    except DomainError as e:
        flash(e.message, "error")
        return redirect(url_for(".letter_detail", letter_id=letter.id))
    flash(_("已转交，并已通知捐助人；请打印后交给学员"), "success")
    return redirect(url_for(".letter_print", letter_id=letter.id))


@bp.post("/spring-bud/letters/<int:letter_id>/decline")
@roles_required(*STAFF)
def letter_decline(letter_id: int):
    letter = for_user(letters.get_letter, letter_id)
    form = DeclineForm()
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                letters.decline(user=current_user, letter=letter, note=form.note.data)
        except DomainError as e:
            show_error(form, e)
        else:
            flash(_("已记录不转交，并已通知捐助人"), "success")
            return redirect(url_for(".letter_queue"))
    return render_template("notes/letter.html", letter=letter, form=form,
                           donor_name=letters.donor_signature(letter.donor),
                           pseudonym=letters.pseudonym(letter.student)), 422


@bp.get("/spring-bud/letters/<int:letter_id>/print")
@roles_required(*STAFF)
def letter_print(letter_id: int):
    """The page handed to the girl: the donor's chosen name, the girl's given name, the
    letter, and the promise that writing back is voluntary. Nothing else about anyone."""
    letter = for_user(letters.get_letter, letter_id)
    if letter.status != "forwarded":
        flash(_("只有已转交的信可以打印"), "error")
        return redirect(url_for(".letter_detail", letter_id=letter.id))
    return render_template("notes/letter_print.html", letter=letter,
                           donor_name=letters.donor_signature(letter.donor),
                           girl_name=names.given_name(letter.student.person.name))
