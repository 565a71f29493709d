"""``matchmaker import KIND FILE``: the report, and exit codes 0 / 1 / 2."""

from __future__ import annotations

from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from matchmaker.extensions import db
from matchmaker.models import Person, Region, User, VolunteerProfile
from tests.conftest import make_test_app, reset_database
from tests.ids import make_id

HEADERS = ["名字", "公民身份号码", "联系电话", "地区", "服务队"]


@pytest.fixture(scope="module")
def cli_app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli-import")
    app = make_test_app(str(tmp), f"sqlite:///{tmp}/cli.db")
    reset_database(app)
    with app.app_context():
        city = Region(code="330481", name="海宁市", level="city", path="330481/")
        town = Region(code="330481107", name="盐官镇", level="town", parent=city,
                      path="330481/330481107/")
        village = Region(code="330481107201", name="郭店村", level="village", parent=town,
                         path="330481/330481107/330481107201/")
        other = Region(code="330481101", name="许村镇", level="town", parent=city,
                       path="330481/330481101/")
        pw = generate_password_hash("x", method="pbkdf2:sha256:1000")
        db.session.add_all([city, town, village, other,
                            User(username="root", role="admin", display_name="root",
                                 password_hash=pw),
                            User(username="xu", role="coordinator", display_name="xu",
                                 password_hash=pw, regions=[other])])
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def write_xlsx(path, rows, headers=HEADERS) -> str:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return str(path)


def rows(start: int, n: int) -> list[list]:
    return [[f"王秀{'英兰芳'[i % 3]}", make_id("330481", date(1992, 7, 1), i), f"138{i:08d}",
             "盐官镇 郭店村", "法律维权"] for i in range(start, start + n)]


def count(app, model=Person) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_dry_run_then_commit_then_reimport(cli_app, tmp_path):
    path = write_xlsx(tmp_path / "v.xlsx", rows(1, 4))
    runner = cli_app.test_cli_runner()
    before = count(cli_app)
    dry = runner.invoke(args=["import", "volunteers", path])
    assert dry.exit_code == 0, dry.output
    assert "试运行" in dry.output and "新增 4" in dry.output and count(cli_app) == before
    done = runner.invoke(args=["import", "volunteer", path, "--commit"])
    assert done.exit_code == 0, done.output
    assert "新增 4" in done.output and count(cli_app) == before + 4
    assert count(cli_app, VolunteerProfile) >= 4
    again = runner.invoke(args=["import", "volunteers", path, "--commit"])
    assert again.exit_code == 0 and "新增 0" in again.output and "重复跳过 4" in again.output
    assert count(cli_app) == before + 4


def test_problems_exit_1_and_all_or_nothing_writes_nothing(cli_app, tmp_path):
    data = rows(20, 3)
    data[1][4] = "跳舞队"
    path = write_xlsx(tmp_path / "bad.xlsx", data)
    runner = cli_app.test_cli_runner()
    before = count(cli_app)
    refused = runner.invoke(args=["import", "volunteers", path, "--commit", "--all-or-nothing"])
    assert refused.exit_code == 1, refused.output
    assert "第 3 行 · 服务队 · 跳舞队 · " in refused.output and "未写入任何数据" in refused.output
    assert count(cli_app) == before
    partial = runner.invoke(args=["import", "volunteers", path, "--commit"])
    assert partial.exit_code == 1 and "新增 2" in partial.output
    assert count(cli_app) == before + 2


def test_unreadable_file_and_bad_headers_exit_2(cli_app, tmp_path):
    runner = cli_app.test_cli_runner()
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"this is not excel")
    out = runner.invoke(args=["import", "volunteers", str(fake), "--commit"])
    assert out.exit_code == 2 and "不是有效的 Excel 文件" in out.output
    headers = write_xlsx(tmp_path / "h.xlsx", rows(40, 1),
                         headers=["名字", "身份证号", "手机号吗", "地区", "服务队"])
    before = count(cli_app)
    out = runner.invoke(args=["import", "volunteers", headers, "--commit"])
    assert out.exit_code == 2 and "是不是“手机号”" in out.output and count(cli_app) == before
    missing = runner.invoke(args=["import", "volunteers", str(tmp_path / "none.xlsx")])
    assert missing.exit_code == 2
    assert runner.invoke(args=["import", "nothing", headers]).exit_code == 2  # usage error


def test_as_a_coordinator_out_of_scope_rows_are_problems(cli_app, tmp_path):
    path = write_xlsx(tmp_path / "scope.xlsx", rows(60, 1))
    out = cli_app.test_cli_runner().invoke(args=["import", "volunteers", path, "--as", "xu"])
    assert out.exit_code == 1 and "不在您负责的范围内" in out.output
    assert "13800000060" not in out.output  # personal numbers are never printed whole


def test_csv_with_bom(cli_app, tmp_path):
    text = ",".join(HEADERS) + "\n" + "\n".join(",".join(r) for r in rows(80, 2)) + "\n"
    path = tmp_path / "v.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    out = cli_app.test_cli_runner().invoke(args=["import", "volunteers", str(path)])
    assert out.exit_code == 0 and "新增 2" in out.output, out.output
