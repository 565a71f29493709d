"""Configuration defaults. Secrets come from the environment only.

In development (the default) a missing SECRET_KEY or ID key is generated once and kept
under ``instance/`` so that ``make run`` works from a fresh clone. With
``MATCHMAKER_ENV=production`` both must be given in the environment.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet


class ConfigError(RuntimeError):
    """The configuration cannot run the service safely."""


DEFAULTS: dict[str, object] = {
    "ENV_NAME": "development",
    # pool_pre_ping: a connection that died (PostgreSQL restarted) is replaced, not used.
    # hide_parameters: a database error's text, which Flask logs, leaves out the query's
    # values (names, mobiles).
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
    "BABEL_DEFAULT_LOCALE": "zh_CN",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "LANGUAGES": ["zh_CN", "en"],
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    # Imports: data rows one spreadsheet may hold, and the most its .xlsx may unpack to
    # (zip bombs are refused before parsing).
    "IMPORT_MAX_ROWS": 200_000,
    "IMPORT_MAX_UNCOMPRESSED": 200 * 1024 * 1024,
    "WTF_CSRF_TIME_LIMIT": None,  # tokens live as long as the session
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "LOGIN_RATE_LIMIT": "10 per minute",
    # Wrong passwords in a row before an account is locked, and for how long (minutes).
    # An administrator can unlock it at once; a new password unlocks it too.
    "LOGIN_LOCKOUT_ATTEMPTS": 5,
    "LOGIN_LOCKOUT_MINUTES": 15,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    # Public volunteer sign-up, per address. Generous per hour: at a poster event many
    # women sign up over one shared Wi-Fi (one address); the per-minute cap stops floods.
    "SIGNUP_RATE_LIMIT": "10 per minute;40 per hour",
    # One-time set-password links: how long they live, and POSTs per address to the page
    # (None: the same as LOGIN_RATE_LIMIT).
    "SET_PASSWORD_TTL_HOURS": 72,
    "SET_PASSWORD_RATE_LIMIT": None,
    "RATELIMIT_HEADERS_ENABLED": True,
    # When Redis (the shared limit storage) is down, count in each process instead of
    # failing every login and sign-up with an error; Redis is tried again as it returns.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "PAGE_SIZE": 20,
    # Days a donor has to confirm a girl proposed for her pledge before the hold lapses.
    "SPONSOR_HOLD_DAYS": 14,
    "JOBS_INLINE": True,
    # Spring Bud: the share of every donation kept in the continuity reserve (a decimal
    # string, read as Decimal), and the issuer printed on receipts ("" = the federation
    # of the fund's region, e.g. 海宁市妇女联合会).
    "SPRING_BUD_RESERVE_SHARE": "0.10",
    "SPRING_BUD_RECEIPT_ISSUER": "",
    # Retention (``matchmaker purge``). People whose every registration is inactive or
    # archived are erased after the longest period of the registries they were in, counted
    # from the last change to their records; anyone with awards, disbursements or donations
    # is anonymised instead, and those financial rows are never purged (accounting records
    # are kept 30 years under 会计档案管理办法). Notifications and the audit log are deleted
    # after their periods ("erase" entries are kept for good: they prove an erasure was
    # done). Import uploads are files kept between a dry run and its commit.
    "RETENTION_YEARS": {
        "volunteer_inactive": 3,
        "mentor_inactive": 5,
        "mentee_inactive": 5,
        "spring_bud_inactive": 5,
        "donor_inactive": 5,
        "person_inactive": 5,
        "notification": 1,
        "audit": 10,
        "import_files_hours": 24,
    },
}


def _instance_secret(instance_path: Path, name: str, make: callable) -> str:
    """Read a development secret from instance/, creating it (mode 0600) on first use.

    Several server workers may start at once on a fresh instance folder: the value is
    written whole to a private temporary file and then linked into place, which only
    one of them can do; the others read the winner's value."""
    path = instance_path / name
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    value = make()
    tmp = instance_path / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(value)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return path.read_text().strip()
    finally:
        tmp.unlink()
    return value


def engine_options(uri: str, options: dict) -> dict:
    """The engine options for this database. On PostgreSQL, psycopg's automatic prepared
    statements are turned off: after five runs of a statement PostgreSQL may switch it to
    a generic plan, chosen for no LIMIT/OFFSET in particular — list pages then took 200 ms
    where a plan for their own offset takes 40 ms (benchmarks/load.py, 100,000 people).
    Planning each time costs far less than that; it also suits connection poolers."""
    from sqlalchemy.engine import make_url

    if make_url(uri).get_driver_name() != "psycopg":
        return options
    connect_args = {**options.get("connect_args", {}), "prepare_threshold": None}
    return {**options, "connect_args": connect_args}


def database_url(url: str | None) -> str | None:
    """Accept the usual ``postgresql://`` / ``postgres://`` and use the psycopg 3 driver."""
    if not url:
        return None
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load(instance_path: str, environ: os._Environ | dict | None = None) -> dict[str, object]:
    """Build the configuration mapping from defaults and the environment."""
    env = os.environ if environ is None else environ
    inst = Path(instance_path)
    cfg = dict(DEFAULTS)
    cfg["ENV_NAME"] = env.get("MATCHMAKER_ENV", "development")
    production = cfg["ENV_NAME"] == "production"

    secret = env.get("SECRET_KEY")
    id_key = env.get("MATCHMAKER_ID_KEY")
    if production and not (secret and id_key):
        raise ConfigError("生产环境必须设置 SECRET_KEY 和 MATCHMAKER_ID_KEY 环境变量")
    cfg["SECRET_KEY"] = secret or _instance_secret(
        inst, "secret_key", lambda: secrets.token_urlsafe(48)
    )
    cfg["ID_KEY"] = id_key or _instance_secret(
        inst, "id.key", lambda: Fernet.generate_key().decode()
    )

    cfg["SQLALCHEMY_DATABASE_URI"] = database_url(env.get("DATABASE_URL")) or (
        "sqlite:///" + str(inst / "matchmaker.db")
    )
    redis_url = env.get("REDIS_URL")
    cfg["REDIS_URL"] = redis_url
    cfg["RATELIMIT_STORAGE_URI"] = redis_url or "memory://"
    cfg["JOBS_INLINE"] = not redis_url
    # Secure cookies only when the deployment says it is served over HTTPS.
    https = env.get("MATCHMAKER_HTTPS", "").lower() in {"1", "true", "yes"}
    hops = env.get("MATCHMAKER_PROXY_HOPS", "0")
    if not hops.isdigit():
        raise ConfigError("MATCHMAKER_PROXY_HOPS 必须是 0 或正整数（反向代理的层数）")
    cfg["PROXY_HOPS"] = int(hops)
    cfg["SESSION_COOKIE_SECURE"] = https
    cfg["REMEMBER_COOKIE_SECURE"] = https
    return cfg
