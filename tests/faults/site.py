"""A real deployment in miniature for fault tests: the app under gunicorn in its own
process group (so that a test can ``kill -9`` it mid-request and start it again on the
same database), a cookie-keeping HTTP client that logs in the way a browser does, and
probes that read the database with the plain driver (never through the app), so that
what they see is what is committed.

On SQLite the probes use the ``sqlite3`` module directly: the app's engine begins every
transaction with BEGIN IMMEDIATE, and a probe through it would queue behind the very
write it is watching.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from tests.conftest import ID_KEY

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG = os.environ.get("TEST_DATABASE_URL", "")
DEMO_PASSWORD = "matchmaker-demo"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check: Callable[[], object], *, timeout: float, what: str,
               interval: float = 0.02):
    """Poll ``check`` until it returns something true; fail saying ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# --- HTTP ------------------------------------------------------------------------------

@dataclass
class Response:
    status: int
    headers: dict[str, str]
    text: str


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 comes back as it is, so tests see where it points


class Browser:
    """A cookie jar and the site's forms: what a coordinator's browser would send."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def request(self, method: str, path: str, body: bytes | None = None,
                content_type: str | None = None, timeout: float = 60) -> Response:
        req = urllib.request.Request(self.base + path, data=body, method=method)
        if content_type:
            req.add_header("Content-Type", content_type)
        try:
            with self.opener.open(req, timeout=timeout) as resp:
                return Response(resp.status, dict(resp.headers), resp.read().decode())
        except urllib.error.HTTPError as e:
            return Response(e.code, dict(e.headers), e.read().decode(errors="replace"))

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, fields: dict[str, str],
             files: dict[str, tuple[str, bytes]] | None = None, **kw) -> Response:
        if files:
            body, ctype = _multipart(fields, files)
        else:
            body = urllib.parse.urlencode(fields).encode()
            ctype = "application/x-www-form-urlencoded"
        return self.request("POST", path, body, ctype, **kw)

    def csrf(self, path: str = "/login") -> str:
        html = self.get(path).text
        m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        assert m, f"no CSRF token on {path}"
        return m.group(1)

    def login(self, username: str, password: str = DEMO_PASSWORD) -> None:
        resp = self.post("/login", {"username": username, "password": password,
                                    "csrf_token": self.csrf("/login")})
        assert resp.status == 302, f"login as {username} failed: HTTP {resp.status}"


def _multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]):
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                  f"{value}\r\n".encode())
    for name, (filename, data) in files.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                  f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                  .encode())
        out.write(data + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


class InFlight(threading.Thread):
    """One request sent in the background; afterwards ``response`` or ``error`` is set."""

    def __init__(self, send: Callable[[], Response]) -> None:
        super().__init__(daemon=True)
        self.send = send
        self.response: Response | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.response = self.send()
        except Exception as e:  # noqa: BLE001 — a killed server resets the connection
            self.error = e


# --- the database, read directly --------------------------------------------------------

@dataclass
class Probe:
    """Queries with the plain driver, one short connection each: it sees only what is
    committed, takes no lock a request would wait for, and survives a server restart."""

    backend: str
    target: str  # a file path (SQLite) or a libpq URL (PostgreSQL)

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        if self.backend == "sqlite":
            conn = sqlite3.connect(self.target, timeout=30)
            try:
                return conn.execute(sql, params).fetchall()
            finally:
                conn.close()
        import psycopg

        with psycopg.connect(self.target, autocommit=True, connect_timeout=5) as conn:
            return conn.execute(sql.replace("?", "%s"), params).fetchall()

    def scalar(self, sql: str, params: tuple = ()):
        return self.rows(sql, params)[0][0]

    def count(self, table: str, where: str = "1=1", params: tuple = ()) -> int:
        return self.scalar(f"SELECT count(*) FROM {table} WHERE {where}", params)  # noqa: S608

    def integrity(self) -> str:
        """SQLite's own check of the file (PostgreSQL has no equivalent to ask)."""
        if self.backend != "sqlite":
            return "ok"
        return "; ".join(r[0] for r in self.rows("PRAGMA integrity_check"))

    def write_locked(self) -> bool:
        """SQLite: another connection holds the write lock (the app begins every
        transaction with BEGIN IMMEDIATE, so a request in its transaction holds it)."""
        conn = sqlite3.connect(self.target, timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError as e:
            if "locked" in str(e) or "busy" in str(e):
                return True
            raise
        finally:
            conn.close()


class WriteWatch:
    """Evidence that the server is in the middle of a big write transaction, not
    committed yet. Made just before the request is sent; called while it runs, it returns
    a description of the evidence, or None while there is none yet.

    PostgreSQL: a backend of this database holds a transaction id (it has written) and
    ``table`` has grown on disk by 64 kB (uncommitted rows take pages too).
    SQLite: uncommitted pages are invisible until the page cache (2 MB) spills them into
    the WAL, so either the WAL (emptied here) has grown past 512 kB, or the server holds
    the write lock and its worker has spent a full second of CPU since — well inside the
    request's transaction, which began with the lock.
    """

    WAL_BYTES = 512 * 1024
    CPU_SECONDS = 1.0
    PG_BYTES = 64 * 1024

    def __init__(self, site: Site, table: str, *, cpu_seconds: float | None = CPU_SECONDS,
                 ) -> None:
        """``cpu_seconds=None``: on SQLite, only the WAL counts as evidence (for requests
        that hold the write lock a long while before they write: an approval)."""
        self.probe, self.server, self.table = site.probe, site.server, table
        self.cpu_seconds = cpu_seconds
        if self.probe.backend == "sqlite":
            wait_until(lambda: self.probe.rows("PRAGMA wal_checkpoint(TRUNCATE)")[0][0] == 0,
                       timeout=30, what="an idle database to checkpoint")
            self.cpu = self.server.cpu_seconds()
        else:
            self.size = self.probe.scalar("SELECT pg_relation_size(?)", (table,))

    def __call__(self) -> str | None:
        probe = self.probe
        if probe.backend == "sqlite":
            wal = Path(probe.target + "-wal")
            size = wal.stat().st_size if wal.exists() else 0
            if size > self.WAL_BYTES:
                return f"{size // 1024} kB of uncommitted pages in the WAL"
            if self.cpu_seconds is None:
                return None
            cpu = self.server.cpu_seconds() - self.cpu
            if cpu >= self.cpu_seconds and probe.write_locked():
                return f"write lock held, worker busy {cpu:.2f} s of CPU"
            return None
        writers = probe.scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'")  # not autovacuum's ANALYZE
        grown = probe.scalar("SELECT pg_relation_size(?)", (self.table,)) - self.size
        if writers and grown >= self.PG_BYTES:
            return f"a backend with a transaction id, {self.table} grown {grown // 1024} kB"
        return None


# --- the server -------------------------------------------------------------------------

def _control_socket() -> list[str]:
    """gunicorn 25+ opens a control socket at one path per user (~/.gunicorn/gunicorn.ctl)
    that every server on the machine would share: these servers need none."""
    import gunicorn

    return ["--no-control-socket"] if gunicorn.version_info >= (25,) else []


class Server:
    """gunicorn in a new session (its own process group), on a fixed port."""

    def __init__(self, env: dict[str, str], logs: Path, workers: int = 1) -> None:
        self.env = env
        self.logs = logs
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    @property
    def access_log(self) -> Path:
        return self.logs / "access.log"

    @property
    def error_log(self) -> Path:
        return self.logs / "error.log"

    def start(self) -> float:
        """Start and wait until it serves the login page; returns the seconds taken."""
        assert self.proc is None, "already running"
        began = time.monotonic()
        self.starts += 1
        with open(self.logs / f"stdout-{self.starts}.log", "wb") as out:
            self.proc = subprocess.Popen(
                [str(BIN / "gunicorn"), "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}",
                 # Long enough for the big requests below: gunicorn's default of 30 s
                 # would kill a slow worker by itself (itself a fault, but not this one).
                 "--timeout", "300", "--graceful-timeout", "5",
                 "--access-logfile", str(self.access_log),
                 "--access-logformat", "%(p)s %(s)s %(q)s",
                 "--error-logfile", str(self.error_log), *_control_socket(),
                 "matchmaker:create_app()"],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)

        def ready() -> bool:
            if self.proc.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "/login", timeout=5) as resp:
                    return resp.status == 200
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                return False

        wait_until(ready, timeout=60, what="gunicorn to serve /login", interval=0.05)
        return time.monotonic() - began

    def worker_pids(self) -> list[int]:
        pgid = self.proc.pid
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == pgid and fields[0] != "Z" and int(stat.parent.name) != pgid:
                pids.append(int(stat.parent.name))
        return pids

    def cpu_seconds(self) -> float:
        """CPU time the workers have used so far (user + system)."""
        ticks = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def kill(self) -> None:
        """kill -9 of the whole process group: the master and every worker, at once."""
        group = self.proc.pid
        pids = [group, *self.worker_pids()]
        os.killpg(group, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.proc = None

        def all_dead() -> bool:
            for pid in pids:
                try:
                    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
                except (FileNotFoundError, ProcessLookupError):
                    continue
                if state not in ("Z", "X"):
                    return False
            return True

        wait_until(all_dead, timeout=10, what="the killed workers to die")

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass
        self.proc = None

    def log_tail(self, lines: int = 40) -> str:
        text = ""
        for path in sorted(self.logs.glob("*.log")):
            text += f"--- {path.name}\n" + "\n".join(
                path.read_text(errors="replace").splitlines()[-lines:]) + "\n"
        return text

    def access_lines(self) -> list[tuple[int, int, str]]:
        """(worker pid, status, query string) of every request logged so far."""
        out = []
        if self.access_log.exists():
            for line in self.access_log.read_text().splitlines():
                parts = line.split()
                if len(parts) >= 2:
                    out.append((int(parts[0].strip("<>")), int(parts[1]),
                                parts[2] if len(parts) > 2 else ""))
        return out


# --- a site: database + server ----------------------------------------------------------

@dataclass
class Site:
    backend: str
    tmp: Path
    database_url: str
    probe: Probe
    server: Server
    env: dict[str, str] = field(default_factory=dict)

    def browser(self, username: str = "coordinator") -> Browser:
        b = Browser(self.server.url)
        b.login(username)
        return b

    def test_app(self):
        """An app object on the same database, for setting up data in bulk."""
        from matchmaker.config import database_url
        from tests.conftest import make_test_app

        return make_test_app(str(self.tmp / "test-side"), database_url(self.database_url))


def _server_env(tmp: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MATCHMAKER_", "REDIS_", "DATABASE_", "FLASK_"))}
    env.update({"DATABASE_URL": url, "MATCHMAKER_INSTANCE": str(tmp / "instance"),
                "SECRET_KEY": "fault-test-secret", "MATCHMAKER_ID_KEY": ID_KEY,
                "PYTHONUNBUFFERED": "1"})
    return env


@dataclass
class Template:
    """A database migrated and seeded with the demo county once per backend and session;
    each site starts from a copy of it (a file copy, or CREATE DATABASE … TEMPLATE)."""

    backend: str
    target: str  # the file (SQLite) or the database name (PostgreSQL)


def seed_template(backend: str, tmp: Path):
    """Generator body of a session fixture: the template, dropped afterwards."""
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        pytest.skip("gunicorn is not installed (pip install -e '.[test]')")
    if backend == "postgresql":
        if not PG.startswith("postgres"):
            pytest.skip("PostgreSQL not configured: set TEST_DATABASE_URL to run")
        import psycopg

        name = f"mm_faults_tpl_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        template, url = Template(backend, name), PG.rsplit("/", 1)[0] + "/" + name
    else:
        path = tmp / "template.db"
        template, url = Template(backend, str(path)), f"sqlite:///{path}"
    try:
        env = _server_env(tmp, url)
        for args in (["db", "upgrade"], ["seed-demo"]):
            done = subprocess.run([str(BIN / "matchmaker"), *args], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        yield template
    finally:
        if backend == "postgresql":
            _drop_pg(template.target)


def _drop_pg(name: str) -> None:
    import psycopg

    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def build_site(template: Template, tmp: Path, *, workers: int = 1):
    """Generator body of a fixture: a fresh copy of the seeded template and a server on
    it (not started by this); the server is stopped and the copy dropped afterwards."""
    name = None
    if template.backend == "postgresql":
        import psycopg

        name = f"mm_faults_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template.target}"')
        url = PG.rsplit("/", 1)[0] + "/" + name
        probe = Probe("postgresql", url)
    else:
        path = tmp / "faults.db"
        shutil.copyfile(template.target, path)
        url = f"sqlite:///{path}"
        probe = Probe("sqlite", str(path))
    logs = tmp / "logs"
    logs.mkdir()
    env = _server_env(tmp, url)
    site = Site(template.backend, tmp, url, probe, Server(env, logs, workers), env)
    try:
        yield site
    finally:
        site.server.stop()
        if name is not None:
            _drop_pg(name)
