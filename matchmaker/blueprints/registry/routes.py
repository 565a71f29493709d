"""Registry screens: lists with search and filters, person pages, create/edit/deactivate.
Routes are thin: check the form, call one operation, flash, redirect."""

from __future__ import annotations

from dataclasses import asdict
from io import BytesIO

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from matchmaker.blueprints.fields import SafeText, choices, show_error
from matchmaker.blueprints.helpers import for_user, int_arg, roles_required
from matchmaker.blueprints.registry import bp
from matchmaker.blueprints.registry.forms import PROFILE_FORMS, PersonForm
from matchmaker.extensions import db
from matchmaker.models import Person
from matchmaker.models.base import N_
from matchmaker.models.person import STATUS_LABELS
from matchmaker.services import (
    erasure,
    people,
    personal_export,
    registry_export,
    registry_templates,
)
from matchmaker.services.clock import today
from matchmaker.services.errors import DomainError, Forbidden
from matchmaker.services.registries import (
    BY_KEY,
    REGISTRIES,
    Filters,
    people_page,
    registry_page,
)
from matchmaker.services.scope import assignable_regions, get_person

STAFF = ("admin", "coordinator")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filters() -> Filters:
    a = request.args
    return Filters(q=a.get("q", "")[:40], region=a.get("region", "")[:12],
                   kind=a.get("kind", "")[:20], status=a.get("status", "")[:10])


def _page():
    return int_arg(request.args.get("page")) or 1


def _region_choices(form: PersonForm) -> None:
    form.region.choices = choices([("", _("— 请选择 —"))] + [
        (r.code, ("　" * max(0, r.path.count("/") - 2)) + r.name)
        for r in assignable_regions(current_user)
    ])


@bp.get("/people/")
@roles_required(*STAFF)
def people_index():
    filters = _filters()
    pagination = people_page(current_user, filters, page=_page(),
                             per_page=current_app.config["PAGE_SIZE"])
    return render_template("registry/people.html", pagination=pagination, filters=filters,
                           regions=assignable_regions(current_user), statuses=STATUS_LABELS)


@bp.get("/registry/<slug>/")
@roles_required(*STAFF)
def registry_index(slug: str):
    reg = REGISTRIES.get(slug) or abort(404)
    filters = _filters()
    pagination = registry_page(current_user, reg, filters, page=_page(),
                               per_page=current_app.config["PAGE_SIZE"])
    return render_template("registry/index.html", reg=reg, pagination=pagination,
                           filters=filters, regions=assignable_regions(current_user),
                           statuses=STATUS_LABELS,
                           export_args={k: v for k, v in asdict(filters).items() if v})


@bp.get("/registry/<slug>/template.xlsx")
@roles_required(*STAFF)
def template(slug: str):
    """The import template of this registry (the user's regions in its drop-down)."""
    reg = REGISTRIES.get(slug) or abort(404)
    data = registry_templates.build_template(current_user, reg)
    return send_file(BytesIO(data), as_attachment=True, mimetype=XLSX,
                     download_name=f"{reg.slug}-template.xlsx")


@bp.get("/registry/<slug>/export.xlsx")
@roles_required(*STAFF)
def export_xlsx(slug: str):
    """The registry list, with the page's filters, as a workbook (audited)."""
    reg = REGISTRIES.get(slug) or abort(404)
    data = registry_export.build_xlsx(current_user, reg, _filters())
    return send_file(BytesIO(data), as_attachment=True, mimetype=XLSX,
                     download_name=f"{reg.slug}-{today().isoformat()}.xlsx")


@bp.get("/registry/<slug>/export.csv")
@roles_required(*STAFF)
def export_csv(slug: str):
    """The registry list, with the page's filters, as CSV for Excel (audited)."""
    reg = REGISTRIES.get(slug) or abort(404)
    data = registry_export.build_csv(current_user, reg, _filters())
    return send_file(BytesIO(data), as_attachment=True, mimetype="text/csv; charset=utf-8",
                     download_name=f"{reg.slug}-{today().isoformat()}.csv")


@bp.route("/registry/<slug>/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def registry_new(slug: str):
    """A new person and her profile in this registry, in one form."""
    reg = REGISTRIES.get(slug) or abort(404)
    # One <form>, two parts: CSRFProtect checks the page's token for both.
    person_form = PersonForm(prefix="person", meta={"csrf": False})
    profile_form = PROFILE_FORMS[reg.key](prefix="profile", meta={"csrf": False})
    _region_choices(person_form)
    if request.method == "POST":
        ok_person = person_form.validate()
        ok_profile = profile_form.validate()
        if ok_person and ok_profile:
            try:
                with db.session.begin_nested():
                    person = people.create_person(user=current_user,
                                                  data=person_form.to_input())
                    people.add_profile(person=person, kind=reg.key,
                                       fields=profile_form.values())
            except DomainError as e:
                show_error(person_form if e.field in person_form else profile_form, e)
            else:
                flash(_("已登记：%(name)s", name=person.name), "success")
                return redirect(url_for(".person_detail", person_id=person.id))
    return render_template("registry/new.html", reg=reg, person_form=person_form,
                           profile_form=profile_form), 422 if request.method == "POST" else 200


@bp.get("/people/<int:person_id>")
@roles_required(*STAFF)
def person_detail(person_id: int):
    person = for_user(get_person, person_id)
    people.record_full_view(person=person)
    return _render_person(person, revealed={})


def _render_person(person: Person, revealed: dict[str, str]):
    return render_template("registry/person.html", person=person,
                           profiles=people.profiles_of(person), registries=BY_KEY,
                           is_minor=people.is_minor(person), revealed=revealed)


@bp.post("/people/<int:person_id>/reveal")
@roles_required(*STAFF)
def person_reveal(person_id: int):
    person = for_user(get_person, person_id)
    field = request.form.get("field", "")
    try:
        value = people.reveal(user=current_user, person=person, field=field)
    except Forbidden:
        abort(403)
    except DomainError as e:
        flash(e.message, "error")
        return redirect(url_for(".person_detail", person_id=person.id))
    return _render_person(person, revealed={field: value})


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def person_edit(person_id: int):
    person = for_user(get_person, person_id)
    form = PersonForm()
    _region_choices(form)
    if request.method == "GET":
        form.name.data = person.name
        form.gender.data = person.gender
        form.birth_date.data = person.birth_date.isoformat() if person.birth_date else ""
        form.region.data = person.region.code
        form.note.data = person.note
        form.household.data = person.household
    elif form.validate():
        try:
            with db.session.begin_nested():
                people.update_person(user=current_user, person=person,
                                     data=form.to_input(editing=True))
        except DomainError as e:
            show_error(form, e)
        else:
            flash(_("已保存"), "success")
            return redirect(url_for(".person_detail", person_id=person.id))
    return render_template("registry/person_form.html", form=form, person=person), \
        422 if request.method == "POST" else 200


@bp.post("/people/<int:person_id>/status")
@roles_required(*STAFF)
def person_status(person_id: int):
    person = for_user(get_person, person_id)
    status = request.form.get("status", "")
    try:
        people.set_person_status(person=person, status=status)
    except DomainError as e:
        flash(e.message, "error")
    else:
        flash(_("已停用") if status == "inactive" else _("已恢复"), "success")
    return redirect(url_for(".person_detail", person_id=person.id))


def _profile_kind(kind: str):
    if kind not in PROFILE_FORMS:
        abort(404)
    return BY_KEY[kind]


@bp.route("/people/<int:person_id>/profiles/<kind>/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def profile_new(person_id: int, kind: str):
    person = for_user(get_person, person_id)
    reg = _profile_kind(kind)
    form = PROFILE_FORMS[kind]()
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                people.add_profile(person=person, kind=kind, fields=form.values())
        except DomainError as e:
            show_error(form, e)
        else:
            flash(_("已加入%(label)s", label=_(reg.label)), "success")
            return redirect(url_for(".person_detail", person_id=person.id))
    return render_template("registry/profile_form.html", form=form, person=person, reg=reg,
                           creating=True), 422 if request.method == "POST" else 200


@bp.route("/people/<int:person_id>/profiles/<kind>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def profile_edit(person_id: int, kind: str):
    person = for_user(get_person, person_id)
    reg = _profile_kind(kind)
    profile = people.profiles_of(person).get(kind) or abort(404)
    form = PROFILE_FORMS[kind]()
    if request.method == "GET":
        form.load(profile)
    elif form.validate():
        try:
            with db.session.begin_nested():
                people.update_profile(profile=profile, kind=kind,
                                      fields=form.values(editing=True))
        except DomainError as e:
            show_error(form, e)
        else:
            flash(_("已保存"), "success")
            return redirect(url_for(".person_detail", person_id=person.id))
    return render_template("registry/profile_form.html", form=form, person=person, reg=reg,
                           creating=False), 422 if request.method == "POST" else 200


@bp.post("/people/<int:person_id>/profiles/<kind>/status")
@roles_required(*STAFF)
def profile_status(person_id: int, kind: str):
    person = for_user(get_person, person_id)
    _profile_kind(kind)
    profile = people.profiles_of(person).get(kind) or abort(404)
    try:
        people.set_profile_status(profile=profile, status=request.form.get("status", ""))
    except DomainError as e:
        flash(e.message, "error")
    else:
        flash(_("状态已更新"), "success")
    return redirect(url_for(".person_detail", person_id=person.id))


# ------------------------------------------------------------ personal-information rights


class EraseForm(FlaskForm):
    reason = TextAreaField(_l("删除依据"), validators=[SafeText(N_("删除依据"), 200,
                                                               required=True)])


@bp.post("/people/<int:person_id>/export-personal")
@roles_required(*STAFF)
def person_export(person_id: int):
    """Subject access: everything held about her, as a workbook (audited)."""
    person = for_user(get_person, person_id)
    data = personal_export.export_person(current_user, person)
    return send_file(BytesIO(data), as_attachment=True, mimetype=XLSX,
                     download_name=f"person-{person.id}-personal-data.xlsx")


@bp.route("/people/<int:person_id>/erase", methods=["GET", "POST"])
@roles_required(*STAFF)
def person_erase(person_id: int):
    """Erase on request: a preview of what is deleted or anonymised and why, then a POST
    with the reason."""
    person = for_user(get_person, person_id)
    try:
        plan = erasure.plan_erase(current_user, person)
    except DomainError as e:
        flash(e.message, "error")
        return redirect(url_for(".person_detail", person_id=person.id))
    form = EraseForm()
    if request.method == "POST" and form.validate():
        try:
            with db.session.begin_nested():
                done = erasure.erase_person(current_user, person, form.reason.data)
        except DomainError as e:
            show_error(form, e)
        else:
            if done.anonymise:
                flash(_("已匿名化：财务记录保留，个人信息已清除"), "success")
                return redirect(url_for(".person_detail", person_id=person_id))
            flash(_("已删除此人员的全部信息"), "success")
            return redirect(url_for(".people_index"))
    return render_template("registry/erase.html", person=person, plan=plan, form=form), \
        422 if request.method == "POST" else 200
