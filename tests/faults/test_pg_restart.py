"""PostgreSQL restarted under a running server (two gunicorn workers): while it is down
every request gets a clean Chinese 503 page, never a traceback or a bare 500; once it is
back every request succeeds again — the app is not restarted — on both workers, whether
their pooled connections died under traffic or quietly while idle (pool_pre_ping)."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import threading
import time
from collections import defaultdict

import pytest

from matchmaker.extensions import db
from tests.faults.site import PG, Response, build_site, wait_until

MESSAGE = "数据库暂时无法连接，您的操作没有保存，请稍后重试。"
CLIENTS = 3  # requests in flight at once, so that both workers serve

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG.startswith("postgres"),
                       reason="PostgreSQL not configured: set TEST_DATABASE_URL to run"),
]


@functools.cache
def _cluster() -> list[str] | None:
    """The command that stops or starts the cluster TEST_DATABASE_URL points at (found by
    the port it listens on, in pg_lsclusters), or None if we can't. Worked out once, while
    the database is up (the fixture asks first), and remembered for when it is down."""
    if os.geteuid() != 0:
        return None
    ctl, ls = shutil.which("pg_ctlcluster"), shutil.which("pg_lsclusters")
    if ctl is None or ls is None:
        return None
    try:
        import psycopg

        with psycopg.connect(PG, connect_timeout=5) as conn:
            port = conn.execute("SHOW port").fetchone()[0]
        listed = subprocess.run([ls, "--no-header"], capture_output=True, text=True,
                                timeout=30, check=True).stdout
    except Exception:  # noqa: BLE001 — no way to tell which cluster: do not touch any
        return None
    for line in listed.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[2] == str(port):
            return [ctl, "--skip-systemctl-redirect", fields[0], fields[1]]
    return None


def pg_ctl(action: str) -> float:
    began = time.monotonic()
    subprocess.run([*_cluster(), action], check=True, capture_output=True, timeout=120)
    return time.monotonic() - began


def pg_accepts(probe) -> bool:
    try:
        return probe.scalar("SELECT 1") == 1
    except Exception:  # noqa: BLE001 — psycopg.OperationalError while it starts
        return False


@pytest.fixture(scope="module")
def pg_site(request, tmp_path_factory):
    if _cluster() is None:
        pytest.skip("restarting PostgreSQL needs root, and Debian's postgresql-common "
                    "(pg_ctlcluster, pg_lsclusters) listing the cluster of TEST_DATABASE_URL")
    template = request.getfixturevalue("seeded_postgresql")
    yield from build_site(template, tmp_path_factory.mktemp("faults-pg-restart"), workers=2)


class Traffic:
    """Clients requesting the home page in a loop, each response kept with the phase it
    was sent in; the query string tags it so the access log tells which worker served."""

    def __init__(self, browsers, phase: str = "before") -> None:
        self.browsers = browsers
        self.phase = phase  # set before the first request: none goes untagged
        self.seen: list[tuple[str, str, Response | BaseException]] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.loop, args=(k,), daemon=True)
                        for k in range(len(browsers))]

    def loop(self, k: int) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            phase, tag = self.phase, f"{self.phase}-{k}-{n}"
            try:
                outcome = self.browsers[k].get(f"/?probe={tag}", timeout=30)
            except Exception as e:  # noqa: BLE001 — recorded and asserted on below
                outcome = e
            with self.lock:
                self.seen.append((phase, tag, outcome))

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=30)

    def of(self, phase: str) -> list[tuple[str, Response | BaseException]]:
        with self.lock:
            return [(tag, r) for p, tag, r in self.seen if p == phase]


def served_by(server, tags) -> dict[int, set[int]]:
    """Worker pid → the statuses it answered these tagged requests with."""
    wanted = {f"probe={t}" for t in tags}
    out: dict[int, set[int]] = defaultdict(set)
    for pid, status, query in server.access_lines():
        if query in wanted:
            out[pid].add(status)
    return out


def wait_for_both_workers(traffic, server, phase: str, status: int, timeout: float = 30,
                          at_least: int = 12):
    """Keep the phase until each of the two workers has answered with ``status`` and
    ``at_least`` responses have come back in it."""
    workers = set(server.worker_pids())
    assert len(workers) == 2

    def both() -> bool:
        tags = [tag for tag, _ in traffic.of(phase)]
        seen = served_by(server, tags)
        return len(tags) >= at_least and all(status in seen.get(pid, ()) for pid in workers)

    wait_until(both, timeout=timeout, what=f"both workers to answer {status} while {phase}")


def clean_503(resp: Response) -> bool:
    return (resp.status == 503 and MESSAGE in resp.text and "Traceback" not in resp.text
            and "Internal Server Error" not in resp.text
            and resp.headers.get("Retry-After", "").isdigit())


def test_postgresql_restart_gives_clean_errors_and_the_app_recovers(pg_site, app):
    server, probe = pg_site.server, pg_site.probe
    server.start()
    browsers = [pg_site.browser("coordinator") for _ in range(CLIENTS)]
    timings = {}
    try:
        with Traffic(browsers) as traffic:
            wait_for_both_workers(traffic, server, "before", 200)
            traffic.phase = "stopping"
            timings["stop"] = pg_ctl("stop")
            traffic.phase = "down"
            assert not pg_accepts(probe), "the database still answers: wrong cluster?"
            wait_for_both_workers(traffic, server, "down", 503)
            traffic.phase = "starting"
            timings["start"] = pg_ctl("start")
            began = time.monotonic()
            wait_until(lambda: pg_accepts(probe), timeout=60, what="PostgreSQL to accept")
            traffic.phase = "after"
            wait_for_both_workers(traffic, server, "after", 200)
            timings["recovered"] = time.monotonic() - began
            traffic.phase = "done"
    finally:
        if not pg_accepts(probe):
            subprocess.run([*_cluster(), "start"], capture_output=True, timeout=120)
            wait_until(lambda: pg_accepts(probe), timeout=60, what="PostgreSQL to accept")
        # The test process's own pool (the session's app) may hold dead connections.
        with app.app_context():
            db.engine.dispose()

    everything = traffic.of("before") + traffic.of("stopping") + traffic.of("down") \
        + traffic.of("starting") + traffic.of("after")
    errors = [r for _, r in everything if isinstance(r, BaseException)]
    assert not errors, f"the server dropped requests: {errors[:3]}"
    wrong = [(tag, r.status, r.text[:300]) for tag, r in everything
             if not (r.status == 200 or clean_503(r))]
    assert not wrong, wrong[:3]
    down = [r for _, r in traffic.of("down")]
    assert down and all(clean_503(r) for r in down)
    after = [r for _, r in traffic.of("after")]
    assert after and all(r.status == 200 for r in after)

    # Restarted again while the server is idle: each worker's pooled connection died
    # unnoticed; the ping on checkout replaces it, and not one request fails.
    try:
        timings["idle_restart"] = pg_ctl("restart")
        wait_until(lambda: pg_accepts(probe), timeout=60, what="PostgreSQL to accept")
        with Traffic(browsers, phase="idle-restart") as quiet:
            wait_for_both_workers(quiet, server, "idle-restart", 200)
            quiet.phase = "done"
    finally:
        if not pg_accepts(probe):
            subprocess.run([*_cluster(), "start"], capture_output=True, timeout=120)
            wait_until(lambda: pg_accepts(probe), timeout=60, what="PostgreSQL to accept")
        with app.app_context():
            db.engine.dispose()
    # Every response after the idle restart, the very first ones (which met the dead
    # pooled connections) included.
    idle = [r for _, r in quiet.of("idle-restart")]
    assert idle and all(not isinstance(r, BaseException) and r.status == 200 for r in idle)

    counts = {p: len(traffic.of(p)) for p in ("before", "stopping", "down", "starting",
                                               "after")}
    print(f"\n[postgresql] restart under load: stop {timings['stop']:.2f} s, start "
          f"{timings['start']:.2f} s, all requests succeed {timings['recovered']:.2f} s after "
          f"it accepts; responses by phase {counts}; idle restart "
          f"{timings['idle_restart']:.2f} s, {len(idle)} requests after it, all 200")
