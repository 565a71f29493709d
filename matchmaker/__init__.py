"""matchmaker — 妇联结对帮扶与专项资金分配服务."""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, g, request, session
from flask_babel import lazy_gettext
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.routing import IntegerConverter, ValidationError

from matchmaker import config as config_module
from matchmaker.extensions import babel, csrf, db, limiter, login_manager, migrate


def create_app(test_config: Mapping[str, Any] | None = None, *,
               instance_path: str | None = None) -> Flask:
    """Application factory: config → extensions → blueprints, CLI and error pages."""
    instance_path = instance_path or os.environ.get("MATCHMAKER_INSTANCE")
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config_module.load(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = config_module.engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config["SQLALCHEMY_ENGINE_OPTIONS"])

    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops:
        # Behind a reverse proxy: trust its X-Forwarded-* headers (and only that many), so
        # that rate limits see the visitor's address and links sent out by SMS use the
        # public scheme and host.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.url_map.converters["int"] = BoundedInt  # before any route is added
    register_extensions(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_errors(app)
    register_template_helpers(app)
    from matchmaker.cli import register_commands

    register_commands(app)
    return app


class BoundedInt(IntegerConverter):
    """``<int:…>`` for ids: ASCII digits only and at most 2**31-1, so that a huge number
    in a URL is "not found" rather than an overflow in the database (a 500)."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = 2**31 - 1, signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str) -> int:
        if len(value.lstrip("-")) > 10:  # decide before int() reads a 10,000-digit number
            raise ValidationError()
        return super().to_python(value)


def _locale() -> str:
    from flask import current_app, has_request_context

    if not has_request_context():  # CLI and jobs speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    lang = session.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, connection_record) -> None:
    """SQLite, per connection: enforce foreign keys; write-ahead log, so readers do not
    wait for a writer; wait (rather than fail) for a lock; and leave BEGIN to us, since
    pysqlite's own transaction handling breaks SAVEPOINT."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn) -> None:
    """BEGIN IMMEDIATE takes the write lock up front: two transactions that read and then
    write can no longer deadlock (SQLite would fail one at once with "database is
    locked"); they queue instead, which is what a single-file database does anyway."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def register_extensions(app: Flask) -> None:
    from matchmaker import models  # noqa: F401  (register the tables)
    from matchmaker.services import audit

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "..",
                                                     "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("请先登录")
    login_manager.login_message_category = "info"
    audit.install()

    @login_manager.user_loader
    def load_user(user_id: str):
        from matchmaker.models import User

        user = db.session.get(User, int(user_id))
        return user if user is not None and user.active else None


def register_blueprints(app: Flask) -> None:
    from matchmaker.blueprints.activities import bp as activities_bp
    from matchmaker.blueprints.admin import bp as admin_bp
    from matchmaker.blueprints.auth import bp as auth_bp
    from matchmaker.blueprints.donor import bp as donor_bp
    from matchmaker.blueprints.grants import bp as grants_bp
    from matchmaker.blueprints.imports import bp as imports_bp
    from matchmaker.blueprints.main import bp as main_bp
    from matchmaker.blueprints.matching import bp as matching_bp
    from matchmaker.blueprints.notes import bp as notes_bp
    from matchmaker.blueprints.portal import bp as portal_bp
    from matchmaker.blueprints.registry import bp as registry_bp
    from matchmaker.blueprints.reports import bp as reports_bp
    from matchmaker.blueprints.service import bp as service_bp
    from matchmaker.blueprints.signup import bp as signup_bp
    from matchmaker.blueprints.sponsorship import bp as sponsorship_bp
    from matchmaker.blueprints.springbud import bp as springbud_bp
    from matchmaker.blueprints.volunteers import bp as volunteers_bp

    app.register_blueprint(activities_bp)
    app.register_blueprint(portal_bp)
    app.register_blueprint(service_bp)
    app.register_blueprint(signup_bp)
    app.register_blueprint(donor_bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(notes_bp)
    app.register_blueprint(sponsorship_bp)
    app.register_blueprint(springbud_bp)
    app.register_blueprint(volunteers_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(grants_bp)
    app.register_blueprint(main_bp)
    app.register_blueprint(matching_bp)
    app.register_blueprint(registry_bp)
    app.register_blueprint(reports_bp)


def register_request_hooks(app: Flask) -> None:
    from flask_login import current_user

    from matchmaker import security_headers
    from matchmaker.services import audit

    @app.before_request
    def remember_session() -> None:
        # What the session held before the view: a request that fails writes nothing to
        # the database, and gets this back too (a login, a flash, a choice the view made).
        # A deep copy: flash() appends to the session's list in place.
        g.session_before = copy.deepcopy(dict(session))

    @app.before_request
    def set_actor() -> None:
        if current_user.is_authenticated:
            audit.set_actor(audit.Actor(current_user.id, current_user.username))
        else:
            audit.set_actor(audit.Actor(None, request.remote_addr or "anonymous"))

    @app.after_request
    def commit(response):
        """One commit per request, at its boundary; failed requests write nothing."""
        if response.status_code < 400 and not g.get("rollback"):
            db.session.commit()
            for callback in g.pop("after_commit", []):
                callback()
        else:
            db.session.rollback()
        return response

    security_headers.init_app(app)


def register_errors(app: Flask) -> None:
    from flask import make_response, render_template
    from flask_babel import gettext as _
    from flask_wtf.csrf import CSRFError
    from sqlalchemy import exc as sa_exc

    def rollback() -> None:
        """End the request's transaction. On a connection that has just died even the
        rollback can fail; the error page must be shown all the same."""
        try:
            db.session.rollback()
        except Exception as e:  # noqa: BLE001
            app.logger.warning("rollback failed after an error (%s)", type(e).__name__)
            try:
                db.session.remove()
            except Exception:  # noqa: BLE001, S110 — the connection is gone either way
                pass

    def restore_session() -> None:
        """The session as it was before the view, but for two things the view did that
        must stand: a sign-out (on a shared office PC the next person must not find her
        still signed in), and the CSRF token the error page is about to carry."""
        before = g.get("session_before")
        if before is None:
            return
        now = dict(session)
        session.clear()
        session.update(before)
        if "_user_id" not in now:
            for key in ("_user_id", "_id", "_fresh"):
                session.pop(key, None)
            if "_remember" in now:
                session["_remember"] = now["_remember"]
        if "csrf_token" in now:
            session["csrf_token"] = now["csrf_token"]

    def page(code: int, title: str, message: str):
        rollback()
        return render_template("error.html", code=code, title=title, message=message), code

    def database_unavailable(e: BaseException | None) -> bool:
        """The database cannot be reached or cannot serve right now (PostgreSQL down or
        restarting, a connection cut, no connection free in the pool, SQLite locked or
        unreadable) — as opposed to a bug, such as a query naming a missing table."""
        if isinstance(e, (sa_exc.InterfaceError, sa_exc.TimeoutError)):
            return True
        if isinstance(e, sa_exc.DBAPIError) and e.connection_invalidated:
            return True
        if isinstance(e, sa_exc.OperationalError):
            return driver_outage(e.orig)
        return False

    # PostgreSQL states that mean the server is going away or not taking connections:
    # admin / crash shutdown, cannot connect now, too many connections (and class 08).
    outage_states = {"57P01", "57P02", "57P03", "53300"}

    def driver_outage(orig: BaseException | None) -> bool:
        code = getattr(orig, "sqlite_errorcode", None)
        if code is not None:
            # sqlite3 reports SQL mistakes as OperationalError too, with the generic code
            # SQLITE_ERROR (1); busy, locked, I/O and cannot-open codes are outages.
            return code & 0xFF != 1
        if hasattr(orig, "sqlstate"):  # psycopg
            state = orig.sqlstate
            if state:  # a statement timeout, a deadlock, a serialization failure: bugs
                return state[:2] == "08" or state in outage_states
            # No state: libpq's own error. An outage only if the connection is bad (a
            # refused connect); "too many parameters" on a good connection is a bug.
            pgconn = getattr(orig, "pgconn", None)
            return pgconn is not None and pgconn.status != 0  # 0: ConnStatus.OK
        return True  # another driver's operational error: its connection, most likely

    def unavailable(e: BaseException):
        # Names of the errors only: a database error's text can carry a query's values.
        app.logger.warning("database unavailable: %s (%s)", type(e).__name__,
                           type(getattr(e, "orig", None)).__name__)
        rollback()
        # Nothing was saved: neither is what the view put in the session (a login, the
        # message "已批准…" it queued).
        restore_session()
        # The page must not touch the database again: the signed-in user (expired by the
        # rollback, or never loaded) would be read from it by the page's header.
        g._login_user = login_manager.anonymous_user()
        response = make_response(render_template(
            "error.html", code=503, title=_("服务暂时不可用"),
            message=_("数据库暂时无法连接，您的操作没有保存，请稍后重试。")), 503)
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(sa_exc.DBAPIError)
    @app.errorhandler(sa_exc.TimeoutError)
    def database_error(e):
        if database_unavailable(e):
            return unavailable(e)
        raise e  # a bug, not an outage: Flask logs it and shows the 500 page

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return page(400, "请求已失效", "表单已过期或缺少安全令牌，请返回刷新页面后重试。")

    @app.errorhandler(403)
    def forbidden(e):
        return page(403, "没有权限", "您的账号无权访问此页面。")

    @app.errorhandler(404)
    def not_found(e):
        return page(404, "页面不存在", "找不到您要访问的内容，或不在您负责的地区内。")

    @app.errorhandler(413)
    def too_large(e):
        limit = (app.config.get("MAX_CONTENT_LENGTH") or 0) / 1024 / 1024
        return page(413, "文件太大", f"上传的文件超过 {limit:.0f} MB，请分成几个文件后再上传。")

    @app.errorhandler(429)
    def too_many(e):
        return page(429, "操作过于频繁", "请求过于频繁，请稍后再试。")

    @app.errorhandler(500)
    def server_error(e):
        # A failure after the view (the commit at the request boundary) arrives here
        # wrapped; an outage is still an outage.
        if database_unavailable(getattr(e, "original_exception", None)):
            return unavailable(e.original_exception)
        restore_session()  # nothing was saved, whatever the view put in the session
        return page(500, "系统出错", "系统暂时出错，您的操作没有保存。请稍后重试。")


def register_template_helpers(app: Flask) -> None:
    from matchmaker.blueprints import helpers

    helpers.init_app(app)
