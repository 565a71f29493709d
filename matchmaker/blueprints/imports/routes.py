"""Importing a registry from a spreadsheet: upload → dry-run report → confirm (commit).

The uploaded file is kept under ``instance/imports/<random token>`` between the two steps
(the token travels in a hidden form field, never in a URL) and only its uploader may
commit it; it is deleted after the commit or after a day.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.blueprints.helpers import roles_required
from matchmaker.blueprints.imports import bp
from matchmaker.blueprints.imports.forms import ConfirmForm, UploadForm
from matchmaker.services import import_uploads, registry_import
from matchmaker.services.errors import NotFound
from matchmaker.services.registries import REGISTRIES
from matchmaker.services.registry_columns import columns_for
from matchmaker.services.spreadsheets import UnreadableFile, open_table

STAFF = ("admin", "coordinator")
SHOWN_PROBLEMS = 500  # a page lists this many problems; the CLI prints them all


def _registry(slug: str):
    return REGISTRIES.get(slug) or abort(404)


def _table(upload: import_uploads.Upload):
    with open(upload.path, "rb") as fh:
        return open_table(fh, upload.filename,
                          max_bytes=current_app.config["MAX_CONTENT_LENGTH"])


def _report_page(reg, report, *, confirm: ConfirmForm | None = None, filename: str = "",
                 all_or_nothing: bool = False):
    return render_template("imports/report.html", reg=reg, report=report, confirm=confirm,
                           filename=filename, all_or_nothing=all_or_nothing,
                           problems=report.problems[:SHOWN_PROBLEMS])


@bp.route("/registry/<slug>/import", methods=["GET", "POST"])
@roles_required(*STAFF)
def upload(slug: str):
    """Upload a file and see what importing it would do (a dry run: nothing is written)."""
    reg = _registry(slug)
    import_uploads.purge_uploads()  # files left after a dry run go after a day
    form = UploadForm()
    if form.validate_on_submit():
        data = form.file.data.read()
        filename = form.file.data.filename or ""
        kept = import_uploads.save_upload(user=current_user, key=reg.key, data=data,
                                           filename=filename,
                                           all_or_nothing=form.all_or_nothing.data)
        try:
            report = registry_import.dry_run(current_user, reg.key, _table(kept))
        except UnreadableFile as e:
            import_uploads.discard_upload(kept.token)
            form.file.errors = list(getattr(e, "messages", [e.message]))
        else:
            worth_it = (report.created or report.updated) and not (
                kept.all_or_nothing and report.problems)
            if not worth_it:  # nothing a commit would write: do not keep the file
                import_uploads.discard_upload(kept.token)
            confirm = ConfirmForm(formdata=None, token=kept.token) if worth_it else None
            return _report_page(reg, report, confirm=confirm, filename=filename,
                                all_or_nothing=kept.all_or_nothing)
    status = 422 if form.is_submitted() else 200
    return render_template("imports/upload.html", reg=reg, form=form,
                           columns=columns_for(reg.key)), status


@bp.post("/registry/<slug>/import/commit")
@roles_required(*STAFF)
def confirm(slug: str):
    """Import the file of an earlier dry run: the valid rows, or nothing (all-or-nothing)."""
    reg = _registry(slug)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        kept = import_uploads.claim_upload(import_uploads.load_upload(
            user=current_user, key=reg.key, token=form.token.data))
    except NotFound as e:
        # Committed already, expired, someone else's, or claimed by a confirm that was cut
        # off (a server killed mid-import wrote nothing): say so in her words, not as a
        # bare "page not found"; uploading the file again shows what is still to import.
        return render_template("error.html", code=404, title=_("导入文件已失效"),
                               message=e.message), 404
    try:
        report = registry_import.commit(current_user, reg.key, _table(kept),
                                       kept.all_or_nothing)
    except UnreadableFile as e:
        import_uploads.discard_upload(kept.token)
        flash(e.message, "error")
        return redirect(url_for(".upload", slug=reg.slug))
    import_uploads.discard_upload(kept.token)
    if report.written:
        flash(_("已导入：新增 %(created)s，更新 %(updated)s，重复跳过 %(skipped)s",
                created=report.created, updated=report.updated, skipped=report.skipped),
              "success")
        if report.ok:
            return redirect(url_for("registry.registry_index", slug=reg.slug))
    else:
        flash(_("文件有问题，按“全部或全不”的要求，没有导入任何数据"), "error")
    return _report_page(reg, report, filename=kept.filename,
                        all_or_nothing=kept.all_or_nothing)
