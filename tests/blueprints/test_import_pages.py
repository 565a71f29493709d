"""The import pages: upload → dry-run report → confirm; the upload token is the uploader's."""

from __future__ import annotations

import io
import re
from datetime import date

import openpyxl
from sqlalchemy import func, select

from matchmaker.models import Person, VolunteerProfile
from tests.conftest import csrf_token, login
from tests.ids import make_id

HEADERS = ["姓名", "身份证号", "手机号", "所在地区", "服务队", "服务项目"]


def xlsx(rows: list[list], headers=HEADERS) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rows(n: int, start: int = 1) -> list[list]:
    return [[f"沈丽{'华芳英红萍'[i % 5]}", make_id("330481", date(1990, 1, 2), i),
             f"139{i:08d}", "盐官镇 郭店村", "家庭教育", "助老"] for i in range(start, start + n)]


def count(session, model=Person) -> int:
    return session.scalar(select(func.count()).select_from(model))


def upload(client, data: bytes, *, filename="名册.xlsx", all_or_nothing=False, slug="volunteers"):
    form = {"csrf_token": csrf_token(client), "file": (io.BytesIO(data), filename)}
    if all_or_nothing:
        form["all_or_nothing"] = "y"
    return client.post(f"/registry/{slug}/import", data=form,
                       content_type="multipart/form-data")


def token_of(html: str) -> str:
    m = re.search(r'name="token"[^>]*value="([^"]+)"', html)
    assert m, html[:2000]
    return m.group(1)


def test_upload_report_confirm(client, session, as_role, regions):
    as_role("coordinator", region_codes=("330481107",))
    page = client.get("/registry/volunteers/import")
    assert page.status_code == 200 and "服务队" in page.get_data(as_text=True)
    bad = rows(1, start=10)[0]
    bad[4] = "跳舞队"
    bad_id = rows(1, start=11)[0]
    bad_id[1] = bad_id[1][:-1] + ("0" if bad_id[1][-1] != "0" else "1")  # wrong check digit
    before = count(session)
    resp = upload(client, xlsx(rows(3) + [bad, bad_id]))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "检查结果（尚未写入）" in html and "确认导入" in html
    assert "第 5 行" in html and "跳舞队" in html and "不是可选的值" in html
    assert "第 6 行" in html and "校验位" in html
    assert bad_id[1] not in html and "*" * 14 + bad_id[1][-4:] in html  # masked
    assert count(session) == before  # the dry run wrote nothing
    token = token_of(html)
    assert token not in resp.request.url
    done = client.post("/registry/volunteers/import/commit",
                       data={"csrf_token": csrf_token(client), "token": token})
    assert done.status_code == 200 and "导入结果" in done.get_data(as_text=True)
    assert count(session) == before + 3
    assert count(session, VolunteerProfile) >= 3
    # The file is gone after its commit: the same token cannot import twice.
    again = client.post("/registry/volunteers/import/commit",
                        data={"csrf_token": csrf_token(client), "token": token})
    assert again.status_code == 404


def test_clean_file_redirects_to_the_registry(client, session, as_role, regions):
    as_role("admin")
    token = token_of(upload(client, xlsx(rows(2))).get_data(as_text=True))
    done = client.post("/registry/volunteers/import/commit",
                       data={"csrf_token": csrf_token(client), "token": token})
    assert done.status_code == 302 and done.location.endswith("/registry/volunteers/")
    second = upload(client, xlsx(rows(2))).get_data(as_text=True)
    assert "确认导入" not in second and "没有可以导入的行" in second  # all already on file


def test_another_user_cannot_commit_someone_elses_upload(app, client, session, as_role,
                                                         make_user, regions):
    as_role("coordinator", region_codes=("330481107",))
    token = token_of(upload(client, xlsx(rows(2))).get_data(as_text=True))
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    other = make_user("admin")
    session.flush()
    login(client, other)
    before = count(session)
    resp = client.post("/registry/volunteers/import/commit",
                       data={"csrf_token": csrf_token(client), "token": token})
    assert resp.status_code == 404 and count(session) == before
    forged = client.post("/registry/volunteers/import/commit",
                         data={"csrf_token": csrf_token(client), "token": "../../etc/passwd"})
    assert forged.status_code == 404


def test_upload_kept_for_one_registry_only(client, session, as_role, regions):
    as_role("admin")
    token = token_of(upload(client, xlsx(rows(1))).get_data(as_text=True))
    resp = client.post("/registry/mentors/import/commit",
                       data={"csrf_token": csrf_token(client), "token": token})
    assert resp.status_code == 404


def test_unreadable_file_and_bad_headers_are_shown_beside_the_field(client, session, as_role,
                                                                    regions):
    as_role("admin")
    resp = upload(client, b"not a spreadsheet at all", filename="名册.xlsx")
    assert resp.status_code == 422 and "不是有效的 Excel 文件" in resp.get_data(as_text=True)
    resp = upload(client, xlsx(rows(1), headers=["姓名", "身份证号", "手机号吗", "所在地区",
                                                  "服务队", "服务项目"]))
    assert resp.status_code == 422
    assert "未知的列“手机号吗”，是不是“手机号”？" in resp.get_data(as_text=True)
    resp = upload(client, b"x", filename="名册.pdf")
    assert resp.status_code == 422 and "只能导入" in resp.get_data(as_text=True)


def test_all_or_nothing_offers_no_commit_when_a_row_is_bad(client, session, as_role, regions):
    as_role("admin")
    data = rows(2)
    data[1][4] = "跳舞队"
    html = upload(client, xlsx(data), all_or_nothing=True).get_data(as_text=True)
    assert "全部或全不" in html and "确认导入" not in html


def test_csv_in_gb18030(client, session, as_role, regions):
    as_role("admin")
    text = ",".join(HEADERS) + "\r\n" + "\r\n".join(",".join(r) for r in rows(2)) + "\r\n"
    html = upload(client, text.encode("gb18030"), filename="名册.csv").get_data(as_text=True)
    assert "确认导入" in html and re.search(r'tile-num">2</span> 新增', html)


def test_only_staff_may_import(client, session, as_role, regions):
    as_role("volunteer")
    assert client.get("/registry/volunteers/import").status_code == 403
    assert client.get("/registry/nothing/import").status_code in (403, 404)


def test_an_untouched_template_imports_nothing(client, session, as_role, regions):
    """The template's example row, left in, is refused — it is not a real person."""
    from matchmaker.models import Person
    from matchmaker.services import registry_templates
    from matchmaker.services.registries import BY_KEY

    coordinator = as_role("coordinator")
    with client.application.app_context():
        data = registry_templates.build_template(coordinator, BY_KEY["volunteer"])
        session.commit()  # a savepoint: the request below must see the same rows
    before = session.query(Person).count()
    resp = client.post("/registry/volunteers/import", data={
        "csrf_token": csrf_token(client), "file": (io.BytesIO(data), "模板.xlsx")},
        content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert "这是导入模板的示例行，请删除后再导入" in html
    assert session.query(Person).count() == before


def test_an_upload_over_the_size_limit_gets_a_chinese_page(app, client, session, as_role):
    as_role("coordinator")
    token = csrf_token(client)
    old = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        resp = client.post("/registry/volunteers/import", data={
            "csrf_token": token, "file": (io.BytesIO(b"x" * 5000), "big.xlsx")},
            content_type="multipart/form-data")
    finally:
        app.config["MAX_CONTENT_LENGTH"] = old
    assert resp.status_code == 413 and "文件太大" in resp.get_data(as_text=True)


def test_an_upload_is_claimed_once(app, session, make_user):
    """Two confirms at once (a double click, two tabs): only one may take the file."""
    import pytest

    from matchmaker.services import import_uploads
    from matchmaker.services.errors import NotFound

    with app.app_context():
        user = make_user("coordinator")
        kept = import_uploads.save_upload(user=user, key="volunteer", data=b"x",
                                           filename="a.csv", all_or_nothing=False)
        claimed = import_uploads.claim_upload(kept)
        assert claimed.path.exists() and not kept.path.exists()
        with pytest.raises(NotFound):
            import_uploads.claim_upload(kept)
        import_uploads.discard_upload(kept.token)
        assert not claimed.path.exists()
        session.commit()
