"""The public volunteer sign-up page (no login) and the coordinators' QR poster."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.blueprints.fields import choices, show_error
from matchmaker.blueprints.helpers import code_arg, roles_required
from matchmaker.blueprints.signup import bp
from matchmaker.blueprints.signup.forms import PosterForm, SignupForm
from matchmaker.extensions import db, limiter
from matchmaker.services import consent, posters, signup
from matchmaker.services.errors import DomainError, NotFound

STAFF = ("admin", "coordinator")


@bp.route("/join", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGNUP_RATE_LIMIT"], methods=["POST"])
def join():
    """Sign up as a volunteer. A poster may preset ``?town=<code>`` and ``?activity=<id>``."""
    form = SignupForm()
    notice = consent.current_notice(signup.PURPOSE)
    if request.method == "GET":
        form.activity.data = request.args.get("activity", "")[:10]
    activity = signup.wanted_activity(form.activity_id)
    if request.method == "GET":
        form.town.data, form.village.data = signup.preset_region(
            code_arg(request.args.get("town")))
        if not form.town.data and activity is not None:
            form.town.data, form.village.data = signup.preset_region(activity.region.code)
    if form.is_submitted() and form.robot:
        # A robot filled the hidden field: it is told what a person would be, and
        # nothing is written.
        return redirect(url_for(".done"))
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                signup.register(data=form.to_input())
        except DomainError as e:
            show_error(form, e)
            if e.field == "consent":
                form.consent.data = False
        else:
            return redirect(url_for(".done"))
    form.notice_version.data = notice.version
    form.activity.data = str(activity.id) if activity else ""
    return render_template("signup/join.html", form=form, notice=notice, activity=activity,
                           towns=signup.public_regions()), \
        422 if request.method == "POST" else 200


@bp.get("/join/done")
def done():
    """The same page after every sign-up (and after a robot's): no personal data."""
    return render_template("signup/done.html")


def _poster_form():
    form = PosterForm(request.args)
    regions = posters.poster_regions(current_user)
    form.town.choices = choices([("", _("— 不指定，报名者自选 —"))] + [
        (r.code, r.full_name) for r in regions])
    if "town" not in request.args and len(regions) == 1:
        form.town.data = regions[0].code  # a town coordinator's posters are for her town
    activities = posters.poster_activities(current_user)
    form.activity.choices = choices([("", _("— 不指定 —"))] + [
        (str(a.id), f"{a.title}（{a.region.name}）") for a in activities])
    return form


def _target(form: PosterForm):
    if form.town.data and not form.town_code:
        raise NotFound(_("镇（街道）不存在或不在您负责的范围内"), field="town")
    return posters.poster_target(current_user, town_code=form.town_code,
                                 activity_id=form.activity_id)


def _args(town, activity) -> dict[str, object]:
    args: dict[str, object] = {}
    if town is not None:
        args["town"] = town.code
    if activity is not None:
        args["activity"] = activity.id
    return args


def _join_url(town, activity) -> str:
    return url_for("signup.join", _external=True, **_args(town, activity))


@bp.get("/volunteers/poster")
@roles_required(*STAFF)
def poster():
    """A printable A4 poster: the QR code of the sign-up link, optionally set to a town
    or to one of the open activities in her regions."""
    form = _poster_form()
    url = svg = svg_url = town = activity = None
    try:
        town, activity = _target(form)
    except NotFound as e:
        show_error(form, e)
    else:
        url = _join_url(town, activity)
        svg = posters.qr_svg(url)
        svg_url = url_for(".poster_svg", **_args(town, activity))
    return render_template("signup/poster.html", form=form, url=url, svg=svg, svg_url=svg_url,
                           town=town, activity=activity)


@bp.get("/volunteers/poster.svg")
@roles_required(*STAFF)
def poster_svg():
    """The poster's QR code alone, as an SVG file for a print shop."""
    form = _poster_form()
    try:
        town, activity = _target(form)
    except NotFound:
        abort(404)
    name = "join-qr"
    if town is not None:
        name += f"-{town.code}"
    if activity is not None:
        name += f"-activity{activity.id}"
    return Response(posters.qr_svg_file(_join_url(town, activity)),
                    mimetype="image/svg+xml",
                    headers={"Content-Disposition": f'attachment; filename="{name}.svg"'})
