"""Administration: user accounts and the audit log. Admins only."""

from __future__ import annotations

from io import BytesIO

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _

from matchmaker.blueprints.admin import bp
from matchmaker.blueprints.admin.forms import UserForm
from matchmaker.blueprints.fields import choices, show_error
from matchmaker.blueprints.helpers import for_user, int_arg, roles_required
from matchmaker.extensions import db
from matchmaker.services import audit, audit_views, users
from matchmaker.services.clock import today
from matchmaker.services.errors import DomainError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _region_choices(form: UserForm) -> None:
    form.regions.choices = choices((r.code, r.full_name) for r in users.scope_regions())


@bp.get("/users")
@roles_required("admin")
def user_index():
    accounts = users.all_users()
    return render_template("admin/users.html", users=accounts,
                           locked_ids={u.id for u in accounts if users.locked(u)})


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
                                  active=form.active.data, password=form.password.data or "",
                                  unlock_account=form.unlock.data)
        except DomainError as e:
            show_error(form, e)
        else:
            flash(_("已保存"), "success")
            return redirect(url_for(".user_index"))
    return render_template("admin/user_form.html", form=form, user=user,
                           is_locked=users.locked(user)), \
        422 if request.method == "POST" else 200


def _audit_filters():
    """The audit log's filters from the query string, and the errors by field."""
    args = request.args
    raw_person = args.get("person", "").strip()
    person_id = int_arg(raw_person)
    raw_user = args.get("user", "").strip()[:60]
    filters, errors = audit_views.make_filters(
        action=args.get("action", "")[:40], user=raw_user, user_digits=int_arg(raw_user),
        person_id=person_id, start=args.get("start", "")[:20], end=args.get("end", "")[:20])
    if raw_person and person_id is None:
        errors.by_field["person"] = _("人员编号应为数字")
    return filters, errors


def _audit_page(filters, errors, status: int = 200):
    pagination = None
    if not errors:
        pagination = db.paginate(audit_views.events_query(filters),
                                 page=int_arg(request.args.get("page")) or 1,
                                 per_page=current_app.config["PAGE_SIZE"] * 2, error_out=False)
    return render_template("admin/audit.html", pagination=pagination, filters=filters,
                           raw=request.args, errors=errors.by_field,
                           actions=audit.ACTION_LABELS,
                           export_args=filters.query_args(),
                           detail_keys=audit_views.detail_keys), status


@bp.get("/audit")
@roles_required("admin")
def audit_log():
    filters, errors = _audit_filters()
    return _audit_page(filters, errors, 422 if errors else 200)


@bp.get("/audit/export.<fmt>")
@roles_required("admin")
def audit_export(fmt: str):
    """The filtered audit log as .xlsx or .csv (the export is itself audited)."""
    if fmt not in ("xlsx", "csv"):
        abort(404)
    filters, errors = _audit_filters()
    if errors:
        return _audit_page(filters, errors, 422)
    try:
        data = (audit_views.build_xlsx if fmt == "xlsx" else audit_views.build_csv)(filters)
    except DomainError as e:
        flash(e.message, "error")
        return redirect(url_for(".audit_log", **filters.query_args()))
    name = f"audit-{today().isoformat()}.{fmt}"
    if fmt == "xlsx":
        return send_file(BytesIO(data), as_attachment=True, mimetype=XLSX, download_name=name)
    return send_file(BytesIO(data), as_attachment=True, mimetype="text/csv; charset=utf-8",
                     download_name=name)
