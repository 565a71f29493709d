"""Benchmark of a registry import (run by hand; prints figures).

    .venv/bin/python benchmarks/imports.py [--rows 100000] [--keep]

Writes a 花名册 of volunteers as .xlsx (openpyxl write-only) in a temporary folder, builds a
fresh SQLite database from the migrations (as the tests do), then imports the file with
``registry_import.commit`` (the CLI's path: open_table in read-only mode, rows validated
and written in batches, one commit) and prints the time, rows per second and peak memory.
Then it imports the same file again (every row found on file and skipped).
Target (issue 8): 100,000 rows in under 60 s and under 300 MB.
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import openpyxl
from cryptography.fernet import Fernet
from flask_migrate import upgrade
from sqlalchemy import func, select
from stdnum.cn import ric

from matchmaker import create_app
from matchmaker.extensions import db
from matchmaker.models import Person, Region, User, VolunteerProfile
from matchmaker.models.profiles import VOLUNTEER_SERVICES, VOLUNTEER_TEAMS
from matchmaker.services import audit, registry_import
from matchmaker.services.spreadsheets import open_table

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘沈"
GIVEN = "秀英华兰芳玉珍丽娟敏静燕红霞萍婷雪梅琳慧颖洁晓"
SLOTS = ("工作日上午", "工作日下午", "工作日晚上", "周末上午", "周末下午", "周末晚上")
HEADERS = ["姓名", "身份证号", "手机号", "所在地区", "服务队", "服务项目", "特长", "可服务时间",
           "备注"]
TOWNS, VILLAGES = 12, 15


def id_number(i: int) -> str:
    birth = date(1960, 1, 1) + timedelta(days=i // 400)
    first17 = f"330481{birth:%Y%m%d}{(i % 400) * 2:03d}"  # even: a woman
    return first17 + ric.calc_check_digit(first17 + "0")


def write_roster(path: Path, n: int, rng: random.Random) -> None:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("志愿者")
    ws.append(HEADERS)
    for i in range(n):
        name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))
        town, village = rng.randrange(TOWNS), rng.randrange(VILLAGES)
        ws.append([name, id_number(i), f"139{i:08d}", f"第{town + 1}镇 第{village + 1}村",
                   rng.choice(VOLUNTEER_TEAMS), "、".join(rng.sample(VOLUNTEER_SERVICES, 2)),
                   rng.choice(("心理咨询", "会计记账", "广场舞", "")),
                   "、".join(rng.sample(SLOTS, 2)), ""])
    wb.save(path)


def seed(app) -> None:
    with app.app_context():
        upgrade()
        city = Region(code="330481", name="海宁市", level="city", path="330481/")
        db.session.add(city)
        for t in range(TOWNS):
            tcode = f"330481{t + 101:03d}"
            town = Region(code=tcode, name=f"第{t + 1}镇", level="town", parent=city,
                          path=f"330481/{tcode}/")
            db.session.add(town)
            for v in range(VILLAGES):
                vcode = f"{tcode}{v + 201:03d}"
                db.session.add(Region(code=vcode, name=f"第{v + 1}村", level="village",
                                      parent=town, path=f"{town.path}{vcode}/"))
        db.session.add(User(username="admin", role="admin", display_name="admin",
                            password_hash="x"))
        db.session.commit()


def run_import(app, path: Path) -> tuple[float, registry_import.ImportReport]:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "admin"))
        started = time.perf_counter()
        with audit.acting_as(audit.Actor(user.id, user.username)), open(path, "rb") as fh:
            table = open_table(fh, path.name)
            report = registry_import.commit(user, "volunteer", table)
            db.session.commit()
        return time.perf_counter() - started, report


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--keep", action="store_true", help="Keep the temporary folder.")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="matchmaker-bench-imports-"))
    app = create_app({"SECRET_KEY": "bench", "ID_KEY": Fernet.generate_key().decode(),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db",
                      "MAX_CONTENT_LENGTH": 64 * 1024 * 1024}, instance_path=str(tmp))
    seed(app)
    path = tmp / "volunteers.xlsx"
    t0 = time.perf_counter()
    write_roster(path, args.rows, random.Random(8))
    print(f"wrote {args.rows:,} rows to .xlsx ({path.stat().st_size / 1e6:.1f} MB) "
          f"in {time.perf_counter() - t0:.1f} s")
    seconds, report = run_import(app, path)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"import: {report.rows:,} rows, created {report.created:,}, "
          f"problems {len(report.problems)} — {seconds:.1f} s, "
          f"{report.rows / seconds:,.0f} rows/s, peak RSS {peak:.0f} MB")
    with app.app_context():
        people = db.session.scalar(select(func.count()).select_from(Person))
        profiles = db.session.scalar(select(func.count()).select_from(VolunteerProfile))
    print(f"database: {people:,} people, {profiles:,} volunteer profiles")
    seconds, again = run_import(app, path)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"re-import: created {again.created}, skipped {again.skipped:,} — {seconds:.1f} s, "
          f"{again.rows / seconds:,.0f} rows/s, peak RSS {peak:.0f} MB")
    with app.app_context():
        db.engine.dispose()
    if args.keep:
        print(f"kept {tmp}")
    else:
        for p in sorted(tmp.rglob("*"), reverse=True):
            p.rmdir() if p.is_dir() else p.unlink()
        tmp.rmdir()


if __name__ == "__main__":
    main()
