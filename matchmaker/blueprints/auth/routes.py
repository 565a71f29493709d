import logging
import re

from flask import (
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from matchmaker.blueprints.auth import bp
from matchmaker.blueprints.auth.forms import LoginForm, SetPasswordForm
from matchmaker.blueprints.fields import show_error
from matchmaker.blueprints.helpers import safe_next
from matchmaker.extensions import db, limiter
from matchmaker.services import audit, tokens, users
from matchmaker.services.errors import DomainError


def _safe_next(target: str | None) -> str:
    return safe_next(target, url_for("main.home"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = users.authenticate(username=form.username.data, password=form.password.data)
        if user is None:
            # One answer for a wrong password, an unknown name and a locked account.
            flash(users.login_failed_message(), "error")
        else:
            session.clear()  # a fresh session on every login
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    audit.record("logout", target_type="user_account", target_id=current_user.id)
    logout_user()
    session.clear()
    flash(_("您已退出登录"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
def language():
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(_safe_next(request.form.get("next")))


_TOKEN_IN_PATH = re.compile(r"(/account/set-password/)[^/\s?\"]+")


class _RedactTokens(logging.Filter):
    """The development server logs each request line: keep set-password tokens out."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_TOKEN_IN_PATH.sub(r"\1…", a) if isinstance(a, str) else a
                                for a in record.args)
        return True


logging.getLogger("werkzeug").addFilter(_RedactTokens())
# The app's own logger too: an error on that page logs "Exception on <path>".
logging.getLogger("matchmaker").addFilter(_RedactTokens())


def _set_password_limit() -> str:
    cfg = current_app.config
    return cfg.get("SET_PASSWORD_RATE_LIMIT") or cfg["LOGIN_RATE_LIMIT"]


def _private(body, status: int = 200):
    """The token is in this page's URL: send it to no other site, keep it in no cache."""
    response = make_response(body, status)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _link_gone():
    return _private(render_template("auth/set_password_invalid.html"), 410)


@bp.route("/account/set-password/<token>", methods=["GET", "POST"])
@limiter.limit(_set_password_limit, methods=["POST"])
def set_password(token: str):
    """The one-time link sent to a newly accepted volunteer (or on request)."""
    if tokens.peek(token, "set_password") is None:
        return _link_gone()
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                users.set_password_with_token(token=token, password=form.password.data)
        except DomainError as e:
            if e.field is None:  # the link was used meanwhile
                return _link_gone()
            show_error(form, e)
        else:
            if current_user.is_authenticated:  # someone else's session on this device
                logout_user()
                session.clear()
            flash(_("密码已设置，请用手机号（或用户名）和新密码登录"), "success")
            return _private(redirect(url_for("auth.login")), 302)
    return _private(render_template("auth/set_password.html", form=form),
                    422 if request.method == "POST" else 200)
