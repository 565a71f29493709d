"""Administration: user accounts and the audit log. Admins only."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from matchmaker.blueprints.admin import bp
from matchmaker.blueprints.admin.forms import UserForm
from matchmaker.blueprints.fields import choices, show_error
from matchmaker.blueprints.helpers import for_user, int_arg, roles_required
from matchmaker.extensions import db
from matchmaker.services import audit, users
from matchmaker.services.errors import DomainError


def _region_choices(form: UserForm) -> None:
    form.regions.choices = choices((r.code, r.full_name) for r in users.scope_regions())


@bp.get("/users")
@roles_required("admin")
def user_index():
    return render_template("admin/users.html", users=users.all_users())


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required("admin")
def user_new():
    form = UserForm()
    _region_choices(form)
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                user = users.create_user(
                    username=form.username.data, password=form.password.data or "",
                    role=form.role.data, display_name=form.display_name.data,
                    regions=users.regions_by_code(form.regions.data))
        except DomainError as e:
            show_error(form, e)
        else:
            flash(_("已创建账号 %(name)s", name=user.username), "success")
            return redirect(url_for(".user_index"))
    return render_template("admin/user_form.html", form=form, user=None), \
        422 if request.method == "POST" else 200


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required("admin")
def user_edit(user_id: int):
    user = for_user(users.get_user, user_id)
    form = UserForm(obj=user)
    _region_choices(form)
    if request.method == "GET":
        form.regions.data = [r.code for r in user.regions]
    elif form.validate():
        try:
            with db.session.begin_nested():
                users.update_user(user=user, role=form.role.data,
                                  display_name=form.display_name.data,
                                  regions=users.regions_by_code(form.regions.data),
                                  active=form.active.data, password=form.password.data or "")
        except DomainError as e:
            show_error(form, e)
        else:
            flash(_("已保存"), "success")
            return redirect(url_for(".user_index"))
    return render_template("admin/user_form.html", form=form, user=user), \
        422 if request.method == "POST" else 200


@bp.get("/audit")
@roles_required("admin")
def audit_log():
    action = request.args.get("action", "")[:40]
    pagination = db.paginate(audit.events_query(action=action),
                             page=int_arg(request.args.get("page")) or 1,
                             per_page=current_app.config["PAGE_SIZE"] * 2, error_out=False)
    return render_template("admin/audit.html", pagination=pagination, action=action,
                           actions=audit.ACTION_LABELS)
