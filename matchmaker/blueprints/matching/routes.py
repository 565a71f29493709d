"""Pairing programmes in the browser: runs, review, pairings, follow-ups, fairness."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.blueprints.fields import choices, show_error
from matchmaker.blueprints.helpers import for_user, int_arg, roles_required, safe_next
from matchmaker.blueprints.matching import bp
from matchmaker.blueprints.matching.forms import (
    BulkApproveForm,
    CloseForm,
    FollowUpForm,
    ProgrammeForm,
    RejectForm,
)
from matchmaker.extensions import db
from matchmaker.jobs import enqueue_run
from matchmaker.services import fairness, learning, match_runs, pairings, programmes, review
from matchmaker.services.errors import DomainError, Forbidden
from matchmaker.services.run_views import proposals_page, towns_of, unmatched_of
from matchmaker.services.scope import assignable_regions
from matchmaker.services.validation import parse_date

STAFF = ("admin", "coordinator")


@bp.get("/programmes/")
@roles_required(*STAFF)
def programme_index():
    rows = match_runs.programmes_with_latest_run(current_user)
    return render_template("matching/programmes.html", programmes=[p for p, _ in rows],
                           latest={p.id: run for p, run in rows})


def _programme_form(form: ProgrammeForm) -> None:
    form.region.choices = choices((r.code, r.full_name) for r in
                                  assignable_regions(current_user) if r.level != "village")


@bp.route("/programmes/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def programme_new():
    form = ProgrammeForm()
    _programme_form(form)
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                programme = programmes.create_programme(user=current_user,
                                                        data=form.to_input())
        except DomainError as e:
            show_error(form, e)
        else:
            flash(_("已创建项目"), "success")
            return redirect(url_for(".programme_detail", programme_id=programme.id))
    return render_template("matching/programme_form.html", form=form, programme=None), \
        422 if request.method == "POST" else 200


@bp.route("/programmes/<int:programme_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def programme_edit(programme_id: int):
    programme = for_user(programmes.get_programme, programme_id, manage=True)
    form = ProgrammeForm()
    _programme_form(form)
    if request.method == "GET":
        form.load(programme)
    elif form.validate():
        try:
            with db.session.begin_nested():
                programmes.update_programme(user=current_user, programme=programme,
                                            data=form.to_input())
        except DomainError as e:
            show_error(form, e)
        else:
            flash(_("已保存"), "success")
            return redirect(url_for(".programme_detail", programme_id=programme.id))
    return render_template("matching/programme_form.html", form=form, programme=programme), \
        422 if request.method == "POST" else 200


@bp.get("/programmes/<int:programme_id>")
@roles_required(*STAFF)
def programme_detail(programme_id: int):
    programme = for_user(programmes.get_programme, programme_id)
    counts = pairings.status_counts(current_user, programme)
    return render_template("matching/programme.html", programme=programme,
                           runs=match_runs.runs_of(programme), counts=counts)


@bp.post("/programmes/<int:programme_id>/runs")
@roles_required(*STAFF)
def run_start(programme_id: int):
    programme = for_user(programmes.get_programme, programme_id, manage=True)
    try:
        run = match_runs.start_run(user=current_user, programme=programme,
                                   enqueue=enqueue_run)
    except DomainError as e:
        flash(e.message, "error")
        return redirect(url_for(".programme_detail", programme_id=programme.id))
    return redirect(url_for(".run_detail", run_id=run.id))


@bp.get("/runs/<int:run_id>")
@roles_required(*STAFF)
def run_detail(run_id: int):
    run = for_user(match_runs.get_run, run_id)
    if run.status in ("queued", "running"):
        return render_template("matching/run_progress.html", run=run)
    page = proposals_page(current_user, run, town=request.args.get("town", "")[:12],
                          status=request.args.get("status", "")[:12],
                          sort=request.args.get("sort", "score")[:10],
                          page=int_arg(request.args.get("page")) or 1,
                          per_page=current_app.config["PAGE_SIZE"] * 2)
    return render_template("matching/run.html", run=run, page=page,
                           towns=towns_of(current_user, run),
                           unmatched=unmatched_of(current_user, run),
                           bulk=BulkApproveForm(min_score=0.8), reject=RejectForm(),
                           runs=match_runs.runs_of(run.programme))


@bp.get("/runs/<int:run_id>/progress")
@roles_required(*STAFF)
def run_progress(run_id: int):
    run = for_user(match_runs.get_run, run_id)
    return {"status": run.status, "progress": run.progress, "error": run.error}


def _back(proposal) -> str:
    return safe_next(request.form.get("next"), url_for(".run_detail", run_id=proposal.run_id))


@bp.post("/proposals/<int:proposal_id>/approve")
@roles_required(*STAFF)
def proposal_approve(proposal_id: int):
    proposal = for_user(review.get_proposal, proposal_id)
    try:
        review.approve(user=current_user, proposal=proposal)
    except DomainError as e:
        flash(e.message, "error")
    else:
        flash(_("已批准：%(name)s", name=proposal.mentee_profile.person.name), "success")
    return redirect(_back(proposal))


@bp.post("/proposals/<int:proposal_id>/reject")
@roles_required(*STAFF)
def proposal_reject(proposal_id: int):
    proposal = for_user(review.get_proposal, proposal_id)
    form = RejectForm()
    if not form.validate():
        flash(form.reason.errors[0], "error")
        return redirect(_back(proposal))
    try:
        review.reject(user=current_user, proposal=proposal, reason=form.reason.data)
    except DomainError as e:
        flash(e.message, "error")
    else:
        flash(_("已否决，今后不会再建议这一对"), "success")
    return redirect(_back(proposal))


@bp.post("/proposals/<int:proposal_id>/pin")
@roles_required(*STAFF)
def proposal_pin(proposal_id: int):
    proposal = for_user(review.get_proposal, proposal_id)
    try:
        review.set_pinned(proposal=proposal, pinned=request.form.get("pinned") == "1")
    except DomainError as e:
        flash(e.message, "error")
    return redirect(_back(proposal))


@bp.route("/proposals/<int:proposal_id>/swap", methods=["GET", "POST"])
@roles_required(*STAFF)
def proposal_swap(proposal_id: int):
    proposal = for_user(review.get_proposal, proposal_id)
    if request.method == "POST":
        try:
            review.swap(user=current_user, proposal=proposal,
                        mentor_id=int_arg(request.form.get("mentor_id")) or 0)
        except DomainError as e:
            flash(e.message, "error")
        else:
            flash(_("已更换导师"), "success")
            return redirect(url_for(".run_detail", run_id=proposal.run_id))
    return render_template("matching/swap.html", proposal=proposal,
                           alternatives=review.alternatives(proposal))


@bp.post("/runs/<int:run_id>/bulk-approve")
@roles_required(*STAFF)
def run_bulk_approve(run_id: int):
    run = for_user(match_runs.get_run, run_id)
    form = BulkApproveForm()
    if not form.validate():
        flash(_("请填写分数"), "error")
    else:
        result = review.bulk_approve(user=current_user, run_id=run.id,
                                     min_score=float(form.min_score.data))
        flash(_("已批准 %(n)s 对", n=result.approved), "success")
        for line in result.skipped[:10]:
            flash(line, "error")
    return redirect(url_for(".run_detail", run_id=run.id))


@bp.get("/runs/compare")
@roles_required(*STAFF)
def run_compare():
    a = for_user(match_runs.get_run, int_arg(request.args.get("a")) or 0)
    b = for_user(match_runs.get_run, int_arg(request.args.get("b")) or 0)
    return render_template("matching/compare.html", a=a, b=b,
                           diff=match_runs.compare_runs(a, b),
                           fa=fairness.run_fairness(current_user, a),
                           fb=fairness.run_fairness(current_user, b))


@bp.get("/runs/<int:run_id>/fairness")
@roles_required(*STAFF)
def run_fairness(run_id: int):
    run = for_user(match_runs.get_run, run_id)
    return render_template("matching/fairness.html", run=run,
                           f=fairness.run_fairness(current_user, run))


@bp.route("/programmes/<int:programme_id>/learning", methods=["GET", "POST"])
@roles_required(*STAFF)
def programme_learning(programme_id: int):
    programme = for_user(programmes.get_programme, programme_id,
                        manage=request.method == "POST")
    if request.method == "POST":
        weights = {k: request.form.get(k, type=float) for k in ProgrammeForm.WEIGHTS}
        try:
            learning.adopt(programme=programme, weights=weights)
        except DomainError as e:
            flash(e.message, "error")
        else:
            flash(_("已采用新的权重，下次匹配生效"), "success")
            return redirect(url_for(".programme_detail", programme_id=programme.id))
    try:
        result, error = learning.fit(programme), None
    except DomainError as e:
        result, error = None, e.message
    return render_template("matching/learning.html", programme=programme, fit=result,
                           error=error, n=len(learning.decisions(programme)))


@bp.get("/programmes/<int:programme_id>/pairings")
@roles_required(*STAFF)
def pairing_index(programme_id: int):
    programme = for_user(programmes.get_programme, programme_id)
    status = request.args.get("status", "active")[:10]
    pagination = db.paginate(pairings.pairings_query(current_user, programme, status),
                             page=int_arg(request.args.get("page")) or 1,
                             per_page=current_app.config["PAGE_SIZE"] * 2, error_out=False)
    return render_template("matching/pairings.html", programme=programme,
                           pagination=pagination, status=status)


@bp.get("/programmes/<int:programme_id>/overdue")
@roles_required(*STAFF)
def pairing_overdue(programme_id: int):
    programme = for_user(programmes.get_programme, programme_id)
    days = max(1, min(int_arg(request.args.get("days")) or 30, 3650))
    return render_template("matching/overdue.html", programme=programme, days=days,
                           rows=pairings.overdue(current_user, programme, days))


@bp.route("/pairings/<int:pairing_id>", methods=["GET", "POST"])
@roles_required(*STAFF)
def pairing_detail(pairing_id: int):
    pairing = for_user(pairings.get_pairing, pairing_id)
    form = FollowUpForm()
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                pairings.add_follow_up(user=current_user, pairing=pairing,
                                       data=pairings.FollowUpInput(
                                           on=parse_date(form.on.data, field="on"),
                                           kind=form.kind.data, notes=form.notes.data or "",
                                           income_change=form.income_change.data or "",
                                           business_started=form.business_started.data))
        except DomainError as e:
            show_error(form, e)
        else:
            flash(_("已记录跟踪服务"), "success")
            return redirect(url_for(".pairing_detail", pairing_id=pairing.id))
    return render_template("matching/pairing.html", pairing=pairing, form=form,
                           close=CloseForm(), follow_ups=pairings.follow_ups(pairing)), \
        422 if request.method == "POST" else 200


@bp.post("/pairings/<int:pairing_id>/close")
@roles_required(*STAFF)
def pairing_close(pairing_id: int):
    pairing = for_user(pairings.get_pairing, pairing_id)
    form = CloseForm()
    if not form.validate():
        flash(_("请检查填写的内容"), "error")
        return redirect(url_for(".pairing_detail", pairing_id=pairing.id))
    try:
        if form.status.data == "ended" and form.rematch.data:
            run = pairings.rematch(user=current_user, pairing=pairing,
                                   reason=form.reason.data, enqueue=enqueue_run)
            flash(_("已解除，并重新匹配；其他结对保持不变"), "success")
            return redirect(url_for(".run_detail", run_id=run.id))
        pairings.close_pairing(user=current_user, pairing=pairing, status=form.status.data,
                               reason=form.reason.data)
    except Forbidden as e:
        flash(e.message, "error")
    except DomainError as e:
        flash(e.message, "error")
    else:
        flash(_("已更新结对状态"), "success")
    return redirect(url_for(".pairing_detail", pairing_id=pairing.id))
