"""Load benchmark against gunicorn with two workers on loopback (run by hand; prints figures).

    .venv/bin/python benchmarks/load.py [--people 100000] [--applicants 5000] [--quick]

1. Creates a fresh PostgreSQL database (``matchmaker_load``, dropped first if it exists),
   runs ``matchmaker db upgrade`` and ``seed-demo``, then writes N people with their
   registries (benchmarks/load_data.py, PostgreSQL COPY), a town 双百 programme
   (女大学生 × 女企业家 in 盐官镇, about 100 + 100 at N = 100,000) and an interest-subsidy
   fund with 5,000 applications (submitted through the fund service).
2. Starts ``gunicorn -w 2`` and a ``matchmaker worker`` with REDIS_URL on a flushed Redis
   database, and logs in once as ``coordinator`` (the city) and ``town-coordinator``.
3. Runs wrk (``--latency``, a Lua script rotating over the paths of each scenario and
   counting every response that is not 2xx) per scenario: registry lists (page 1, a deep
   page, a town filter) and searches (name, pinyin initials, last four mobile digits).
4. Times a 双百 match run through the web (the town programme runs inside the request;
   the city programme, over 2,000 people, on the worker), and a trial allocation over
   the applicants, then reports each server process's memory.

Everything it started is stopped and the database dropped at the end, also on Ctrl-C or
failure. Needs wrk (``apt-get install -y wrk``), PostgreSQL and Redis on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote

import psycopg
import requests
from cryptography.fernet import Fernet

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
PASSWORD = "matchmaker-demo"
USER_AGENT = "matchmaker-load/1"
CITY_PROGRAMME = "2026 双百结对：女大学生 × 女企业家"  # the demo's, over the whole city
REGISTRY_SLUGS = ("volunteers", "mentors", "mentees", "spring-buds", "donors")


@dataclass
class Scenario:
    name: str
    user: str
    paths: list[str]


@dataclass
class Figures:
    scenario: Scenario
    requests: int
    seconds: float
    p50: float
    p95: float
    p99: float
    max: float
    non2xx: int
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def log(msg: str) -> None:
    print(msg, flush=True)


# --------------------------------------------------------------------------- database


def reset_database(server: str, name: str, *, drop_only: bool = False) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def cli(env: dict[str, str], *args: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([str(BIN / "matchmaker"), *args], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def seed(env: dict[str, str], url: str, people: int, applicants: int) -> dict:
    """Bulk people, the town programme and the fund, in this process (the app's own
    vault encrypts the ID numbers). Returns timings and what the scenarios need."""
    os.environ.update(env)
    import load_data
    from sqlalchemy import func, select

    from matchmaker import create_app
    from matchmaker.extensions import db
    from matchmaker.models import PROFILE_MODELS, Person, Programme, Region
    from matchmaker.services import audit

    app = create_app()
    out: dict = {}
    with app.app_context(), audit.acting_as(audit.Actor(None, "load-benchmark")):
        t0 = time.perf_counter()
        with psycopg.connect(url) as conn:
            gen = load_data.generate(conn, n=people)
            conn.commit()
        out["bulk_seconds"] = time.perf_counter() - t0
        out["generated"] = gen
        t0 = time.perf_counter()
        town_programme = load_data.make_programme()
        fund, made = load_data.make_fund(applicants=applicants)
        db.session.commit()
        out["fund_seconds"] = time.perf_counter() - t0
        out["applications"] = made
        out["town_programme_id"] = town_programme.id
        out["fund_id"] = fund.id
        out["city_programme_id"] = db.session.scalar(
            select(Programme.id).where(Programme.name == CITY_PROGRAMME))
        out["people_total"] = db.session.scalar(select(func.count(Person.id)))
        out["registry_counts"] = {
            key: db.session.scalar(select(func.count(model.id)))
            for key, model in PROFILE_MODELS.items()}
        out["towns"] = list(db.session.execute(
            select(Region.code, Region.name).where(Region.level == "town")
            .order_by(Region.code)))
        out["programme_town"] = db.session.scalar(
            select(Region.code).where(Region.name == load_data.TOWN_OF_PROGRAMME))
        db.session.remove()
        db.engine.dispose()
    t0 = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    out["analyze_seconds"] = time.perf_counter() - t0
    return out


def programme_pools(url: str, programme_id: int) -> tuple[int, int]:
    """Active mentors and mentees in a programme's pools (as load_pools counts them)."""
    with psycopg.connect(url) as conn:
        row = conn.execute("""
            SELECT
              (SELECT count(*) FROM mentor_profile m JOIN person p ON p.id = m.person_id
                 JOIN region r ON r.id = p.region_id
                 WHERE r.path LIKE pr.path || '%%' AND m.status = 'active'
                   AND p.status = 'active'
                   AND m.kind = ANY (string_to_array(g.mentor_kinds, ','))),
              (SELECT count(*) FROM mentee_profile e JOIN person p ON p.id = e.person_id
                 JOIN region r ON r.id = p.region_id
                 WHERE r.path LIKE pr.path || '%%' AND e.status = 'active'
                   AND p.status = 'active'
                   AND e.kind = ANY (string_to_array(g.mentee_kinds, ',')))
            FROM programme g JOIN region pr ON pr.id = g.region_id WHERE g.id = %s
        """, (programme_id,)).fetchone()
    return row[0], row[1]


# --------------------------------------------------------------------------- processes


def start(stack: ExitStack, args: list[str], env: dict[str, str], logfile: Path,
          ) -> subprocess.Popen:
    fh = open(logfile, "wb")  # noqa: SIM115  (closed by the stack)
    stack.callback(fh.close)
    # A session of its own: Ctrl-C reaches this script, which stops the group in order.
    # From the project folder, so that gunicorn reads the project's gunicorn.conf.py (its
    # 300 s timeout, no access log); -w and -b on the command line take precedence.
    proc = subprocess.Popen(args, env=env, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT,
                            start_new_session=True)
    stack.callback(stop, proc)
    return proc


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def memory_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of a process in MB."""
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, kb = line.split()[:2]
                values[key] = int(kb) / 1024
    except OSError:
        return 0.0, 0.0
    return values.get("VmRSS:", 0.0), values.get("VmHWM:", 0.0)


def wait_until_up(base: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited; see its log")
        try:
            if requests.get(f"{base}/login", timeout=10).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer within a minute")


# --------------------------------------------------------------------------- web


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_of(html: str) -> str:
    m = CSRF.search(html)
    if not m:
        raise RuntimeError("no CSRF token on the page")
    return m.group(1)


def login(base: str, username: str) -> requests.Session:
    """One login per account (the login form is rate-limited); the cookie is reused."""
    s = requests.Session()
    s.headers["User-Agent"] = USER_AGENT
    page = s.get(f"{base}/login")
    r = s.post(f"{base}/login", data={"username": username, "password": PASSWORD,
                                      "csrf_token": csrf_of(page.text)})
    if r.url.rstrip("/").endswith("/login") or r.status_code != 200:
        raise RuntimeError(f"login as {username} failed ({r.status_code})")
    s.get(f"{base}/people/")  # the session now holds its CSRF token: the cookie is final
    return s


def check_paths(base: str, s: requests.Session, paths: list[str]) -> None:
    """Every path answers 200 without a redirect (also warms both workers up)."""
    for path in paths:
        r = s.get(base + path, allow_redirects=False)
        if r.status_code != 200:
            raise RuntimeError(f"{path} answered {r.status_code}")


def post(base: str, s: requests.Session, path: str, form_page: str, data: dict
         ) -> requests.Response:
    token = csrf_of(s.get(base + form_page).text)
    return s.post(base + path, data={**data, "csrf_token": token}, allow_redirects=False)


def timed_match_run(base: str, s: requests.Session, programme_id: int) -> dict:
    """Start a run as a coordinator and poll its progress until it is done."""
    page = f"/programmes/{programme_id}"
    token = csrf_of(s.get(base + page).text)
    t0 = time.perf_counter()
    r = s.post(f"{base}/programmes/{programme_id}/runs", data={"csrf_token": token},
               allow_redirects=False)
    posted = time.perf_counter() - t0
    m = re.search(r"/runs/(\d+)", r.headers.get("Location", ""))
    if r.status_code != 302 or not m:
        raise RuntimeError(f"starting the run answered {r.status_code}")
    run_id = int(m.group(1))
    where = "inline"
    while True:
        state = s.get(f"{base}/runs/{run_id}/progress").json()
        if state["status"] not in ("queued", "running"):
            break
        where = "worker"
        time.sleep(0.2)
    total = time.perf_counter() - t0
    if state["status"] != "done":
        raise RuntimeError(f"run {run_id} {state['status']}: {state.get('error')}")
    t1 = time.perf_counter()
    review = s.get(f"{base}/runs/{run_id}")
    return {"run_id": run_id, "where": where, "post_seconds": posted, "total_seconds": total,
            "review_seconds": time.perf_counter() - t1, "review_status": review.status_code}


def timed_allocation(base: str, s: requests.Session, fund_id: int) -> dict:
    page = f"/funds/{fund_id}"
    t0 = time.perf_counter()
    first = s.get(base + page)
    page_seconds = time.perf_counter() - t0
    token = csrf_of(first.text)
    t0 = time.perf_counter()
    r = s.post(f"{base}/funds/{fund_id}/trials", data={"policy": "optimal",
                                                        "csrf_token": token},
               allow_redirects=False)
    seconds = time.perf_counter() - t0
    if r.status_code != 302:
        raise RuntimeError(f"the trial allocation answered {r.status_code}")
    t0 = time.perf_counter()
    after = s.get(base + page)
    return {"post_seconds": seconds, "page_seconds": page_seconds,
            "page_after_seconds": time.perf_counter() - t0, "page_status": after.status_code}


def run_facts(url: str, run_id: int | None = None, fund_id: int | None = None) -> dict:
    with psycopg.connect(url) as conn:
        if run_id is not None:
            inputs, stats = conn.execute("SELECT inputs, stats FROM match_run WHERE id = %s",
                                         (run_id,)).fetchone()
            return {"mentors": inputs.get("mentors"), "mentees": inputs.get("mentees"),
                    "pairs": stats.get("pairs"), "engine_seconds": stats.get("seconds"),
                    "candidates": stats.get("candidates")}
        row = conn.execute("SELECT results FROM allocation_run WHERE fund_id = %s "
                           "ORDER BY id DESC LIMIT 1", (fund_id,)).fetchone()
        if row is None:
            raise RuntimeError("the trial allocation kept no run (refused: see the fund page)")
        results = row[0]
        return {"funded": len(results["funded"]), "status": results["status"],
                "total_yuan": results["total_fen"] / 100}


# --------------------------------------------------------------------------- scenarios


def scenarios(data: dict, quick: bool) -> list[Scenario]:
    gen = data["generated"]
    counts = {"people": data["people_total"], **{
        slug: data["registry_counts"][key] for slug, key in zip(
            REGISTRY_SLUGS, ("volunteer", "mentor", "mentee", "spring_bud", "donor"),
            strict=True)}}
    lists = ["/people/"] + [f"/registry/{s}/" for s in REGISTRY_SLUGS]

    def deep(path: str, key: str) -> str:
        pages = max(1, math.ceil(counts[key] / 20))
        return f"{path}?page={max(1, pages * 9 // 10)}"

    towns = [code for code, _ in data["towns"]]
    by_town = [f"{p}?region={t}" for t in towns for p in lists]
    names = gen.names[:100]
    given = sorted({n[1:] for n in names if len(n) >= 3})[:50]
    out = [
        Scenario("列表 第1页", "coordinator", lists),
        Scenario("列表 深页（90%）", "coordinator",
                 [deep("/people/", "people")] + [deep(f"/registry/{s}/", s)
                                                for s in REGISTRY_SLUGS]),
        Scenario("列表 按镇筛选", "coordinator", by_town),
        Scenario("搜索 姓名", "coordinator",
                 [f"/people/?q={n}" for n in names] + [f"/people/?q={g}" for g in given]
                 + [f"/registry/volunteers/?q={n}" for n in names[:20]]),
        Scenario("搜索 拼音首字母", "coordinator",
                 [f"/people/?q={i}" for i in gen.initials[:100]]
                 + [f"/registry/mentees/?q={i}" for i in gen.initials[:20]]),
        Scenario("搜索 手机尾号", "coordinator",
                 [f"/people/?q={t}" for t in gen.mobile_tails[:100]]),
        Scenario("镇协调员 列表+搜索", "town-coordinator",
                 lists + [f"/people/?q={n}" for n in names[:30]]
                 + [f"/people/?q={i}" for i in gen.initials[:30]]),
    ]
    return out


def run_wrk(base: str, cookie: str, scenario: Scenario, workdir: Path, *, threads: int,
            connections: int, duration: int) -> Figures:
    paths_file = workdir / f"paths-{abs(hash(scenario.name))}.txt"
    # wrk sends the path as written: percent-encode the Chinese in it, as a browser does.
    paths_file.write_text("".join(quote(p, safe="/?=&") + "\n" for p in scenario.paths))
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency",
           "--timeout", "60s", "-H", f"Cookie: session={cookie}",
           "-H", f"User-Agent: {USER_AGENT}", "-s", str(HERE / "load.lua"), base, "--",
           str(paths_file)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    out = done.stdout
    line = next(x for x in out.splitlines() if x.startswith("LOAD "))
    d = json.loads(line[5:])
    return Figures(scenario, d["requests"], d["seconds"], d["p50"], d["p95"], d["p99"],
                   d["max"], d["non2xx"], d["socket_errors"] + d["timeouts"])


# --------------------------------------------------------------------------- report


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kb = next(int(line.split()[1]) for line in
                  Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal:"))
    return {"cpus": os.cpu_count(), "memory_gb": round(mem_kb / 1024 / 1024, 1), "cpu": cpu,
            "python": platform.python_version()}


def print_table(rows: list[Figures]) -> None:
    head = (f"{'scenario':<22}{'user':<18}{'paths':>6}{'requests':>10}{'req/s':>8}"
            f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}{'non-2xx':>9}{'errors':>8}")
    log(head)
    log("-" * len(head))
    for f in rows:
        # Chinese characters are two columns wide in a terminal.
        pad = 22 - sum(2 if ord(c) > 0x2E80 else 1 for c in f.scenario.name)
        log(f"{f.scenario.name}{' ' * max(pad, 1)}{f.scenario.user:<18}"
            f"{len(f.scenario.paths):>6}{f.requests:>10}{f.rps:>8.1f}{f.p50:>9.1f}"
            f"{f.p95:>9.1f}{f.p99:>9.1f}{f.max:>9.1f}{f.non2xx:>9}{f.errors:>8}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=100_000)
    ap.add_argument("--applicants", type=int, default=5_000)
    ap.add_argument("--quick", action="store_true",
                    help="a smoke run: 3,000 people, 300 applicants, 3 s per scenario")
    ap.add_argument("--duration", type=int, default=20, help="seconds per scenario")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--port", type=int, default=8731)
    ap.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    ap.add_argument("--database", default="matchmaker_load")
    ap.add_argument("--keep", action="store_true",
                    help="keep the database afterwards (to EXPLAIN its queries); drop it "
                         "yourself with DROP DATABASE")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/11",
                    help="a Redis database of its own: it is flushed first")
    args = ap.parse_args(argv)
    if args.quick:
        args.people, args.applicants, args.duration = 3_000, 300, 3
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install -y wrk (or build it from "
              "https://github.com/wg/wrk) and run again.", file=sys.stderr)
        return 2

    # Ctrl-C and SIGTERM both unwind through the ExitStack below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    url = f"{args.server}/{args.database}"
    base = f"http://127.0.0.1:{args.port}"
    with tempfile.TemporaryDirectory(prefix="mm-load-") as tmp, ExitStack() as stack:
        workdir = Path(tmp)
        env = {**os.environ, "DATABASE_URL": url, "MATCHMAKER_INSTANCE": str(workdir / "inst"),
               "SECRET_KEY": secrets.token_urlsafe(32),
               "MATCHMAKER_ID_KEY": Fernet.generate_key().decode(), "REDIS_URL": args.redis,
               "PYTHONPATH": str(HERE)}
        info = machine()
        with psycopg.connect(f"{args.server}/postgres") as conn:
            pg_version = conn.execute("SHOW server_version").fetchone()[0]
        log(f"Load benchmark {date.today()} · {info['cpus']} CPUs ({info['cpu']}), "
            f"{info['memory_gb']} GB, PostgreSQL {pg_version}, Python {info['python']}")

        # Other work on the machine shows in the figures: say how busy it was.
        log(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        reset_database(args.server, args.database)
        if not args.keep:
            stack.callback(reset_database, args.server, args.database, drop_only=True)
        t_upgrade = cli(env, "db", "upgrade")
        t_demo = cli(env, "seed-demo")
        log(f"db upgrade {t_upgrade:.1f} s, seed-demo {t_demo:.1f} s")
        data = seed(env, url, args.people, args.applicants)
        gen = data["generated"]
        log(f"bulk: {gen.people:,} people in {data['bulk_seconds']:.1f} s "
            f"({gen.people / data['bulk_seconds']:,.0f}/s), profiles "
            + ", ".join(f"{k} {v:,}" for k, v in gen.profiles.items()))
        log(f"fund: {data['applications']:,} applications through the service and the town "
            f"programme in {data['fund_seconds']:.1f} s; VACUUM ANALYZE "
            f"{data['analyze_seconds']:.1f} s; {data['people_total']:,} people in all")
        town_pools = programme_pools(url, data["town_programme_id"])
        city_pools = programme_pools(url, data["city_programme_id"])
        log(f"pools: town 双百 {town_pools[0]} mentors × {town_pools[1]} mentees; "
            f"city 双百 {city_pools[0]} × {city_pools[1]}")

        import redis

        redis.Redis.from_url(args.redis).flushdb()
        gunicorn = start(stack, [str(BIN / "gunicorn"), "-w", "2", "-b",
                                 f"127.0.0.1:{args.port}", "matchmaker:create_app()"],
                         env, workdir / "gunicorn.log")
        worker = start(stack, [str(BIN / "matchmaker"), "worker"], env,
                       workdir / "worker.log")
        try:
            wait_until_up(base, gunicorn)
            sessions = {u: login(base, u) for u in ("coordinator", "town-coordinator")}
            rows = []
            for sc in scenarios(data, args.quick):
                s = sessions[sc.user]
                check_paths(base, s, sc.paths)
                f = run_wrk(base, s.cookies["session"], sc, workdir, threads=args.threads,
                            connections=args.connections, duration=args.duration)
                rows.append(f)
                log(f"  {sc.name}: {f.rps:.1f} req/s, p50 {f.p50:.0f} ms, p95 {f.p95:.0f} ms "
                    f"(load average {os.getloadavg()[0]:.1f})")
            log("")
            log(f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s per scenario:")
            print_table(rows)
            log("")

            coord = sessions["coordinator"]
            for label, pid in (("town 双百", data["town_programme_id"]),
                               ("city 双百", data["city_programme_id"])):
                m = timed_match_run(base, coord, pid)
                facts = run_facts(url, run_id=m["run_id"])
                log(f"match run, {label} ({m['where']}): {facts['mentors']} mentors × "
                    f"{facts['mentees']} mentees → {facts['pairs']} pairs; "
                    f"{m['total_seconds']:.2f} s start to done "
                    f"(POST {m['post_seconds']:.2f} s, engine {facts['engine_seconds']} s); "
                    f"review page {m['review_seconds']:.2f} s")
            a = timed_allocation(base, coord, data["fund_id"])
            facts = run_facts(url, fund_id=data["fund_id"])
            log(f"trial allocation over {data['applications']:,} applicants: "
                f"{a['post_seconds']:.2f} s (POST, {facts['status']}, {facts['funded']:,} "
                f"funded, {facts['total_yuan']:,.2f} yuan); fund page "
                f"{a['page_seconds']:.2f} s before, {a['page_after_seconds']:.2f} s after")

            log("")
            log("server memory (MB, now / peak):")
            for label, pid in [("gunicorn master", gunicorn.pid)] + [
                    (f"gunicorn worker {i + 1}", c) for i, c in enumerate(children(gunicorn.pid))
            ] + [("matchmaker worker", worker.pid)]:
                now, peak = memory_mb(pid)
                log(f"  {label:<20}{now:>8.0f}{peak:>8.0f}")
        except Exception:
            for name in ("gunicorn.log", "worker.log"):
                text = (workdir / name).read_text(errors="replace")[-3000:]
                print(f"--- {name} (tail)\n{text}", file=sys.stderr)
            raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
