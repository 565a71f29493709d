"""kill -9 of the server in the middle of a registry import: after a restart not one row
of it exists, the database is sound, the app serves pages, a retried confirm gets a
Chinese answer and the same file imports completely when uploaded again."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta

from tests.faults.site import InFlight, WriteWatch, wait_until
from tests.ids import make_id

ROWS = 12_000
HEADERS = ["姓名", "身份证号", "手机号", "所在地区", "服务队", "服务项目"]
TEAMS = ("文明传播", "创业指导", "家庭教育", "法律维权", "科技惠民", "环保护绿")


def roster(villages: list[tuple[str, str]], n: int) -> bytes:
    lines = [",".join(HEADERS)]
    for i in range(n):
        birth = date(1970, 1, 1) + timedelta(days=i // 400)
        town, village = villages[i % len(villages)]
        lines.append(",".join([f"演练{'华芳英红萍'[i % 5]}{'一二三四五六七八九十'[i // 5 % 10]}",
                               make_id("330481", birth, 100 + i % 400), f"150{i:08d}",
                               f"{town} {village}", TEAMS[i % len(TEAMS)], "助老"]))
    return ("\r\n".join(lines) + "\r\n").encode()


def created_of(html: str) -> int:
    m = re.search(r'tile-num">(\d+)</span> 新增', html)
    assert m, html[:2000]
    return int(m.group(1))


def token_of(html: str) -> str:
    m = re.search(r'name="token"[^>]*value="([^"]+)"', html)
    assert m, html[:2000]
    return m.group(1)


def counts(probe) -> dict[str, int]:
    return {"person": probe.count("person"),
            "volunteer_profile": probe.count("volunteer_profile"),
            "audit_event": probe.count("audit_event"),
            "import_audits": probe.count("audit_event", "action = 'import'")}


def upload(browser, data: bytes):
    return browser.post("/registry/volunteers/import",
                        {"csrf_token": browser.csrf("/registry/volunteers/import")},
                        files={"file": ("演练名册.csv", data)}, timeout=300)


def test_kill_during_import_leaves_nothing_half_written(site):
    server, probe = site.server, site.probe
    server.start()
    coordinator = site.browser("coordinator")
    villages = probe.rows(
        "SELECT t.name, v.name FROM region v JOIN region t ON t.id = v.parent_id "
        "WHERE v.level = 'village' ORDER BY v.id")[:20]
    data = roster(villages, ROWS)

    report = upload(coordinator, data)
    assert report.status == 200
    assert created_of(report.text) == ROWS  # every row is new: a clean measure below
    token = token_of(report.text)
    before = counts(probe)

    watch = WriteWatch(site, "person")
    confirm = InFlight(lambda: coordinator.post(
        "/registry/volunteers/import/commit",
        {"csrf_token": coordinator.csrf("/registry/volunteers/import"), "token": token},
        timeout=300))
    sent = time.monotonic()
    confirm.start()
    # Kill only once the import is really writing (and has not committed).
    evidence = wait_until(watch, timeout=120,
               what="the import to write uncommitted rows")
    assert confirm.is_alive() and probe.count("person") == before["person"]
    writing_after = time.monotonic() - sent
    server.kill()
    confirm.join(timeout=10)
    assert confirm.response is None and confirm.error is not None  # the connection died

    restart = server.start()
    assert counts(probe) == before  # not one person, profile or audit entry of it
    assert probe.integrity() == "ok"
    assert probe.count("person", "mobile LIKE ? AND name LIKE ?", ("150%", "演练%")) == 0

    # The app serves pages again, to the same (still logged-in) browser.
    page = coordinator.get("/registry/volunteers/")
    assert page.status == 200 and "志愿者" in page.text
    # Retrying the confirm of the killed import: a Chinese answer, nothing imported.
    again = coordinator.post(
        "/registry/volunteers/import/commit",
        {"csrf_token": coordinator.csrf("/registry/volunteers/import"), "token": token})
    assert again.status == 404 and "Traceback" not in again.text
    assert "导入文件已失效" in again.text and "导入文件已过期或不存在，请重新上传" in again.text
    assert counts(probe) == before

    # Uploading the same file again finds every row still to create, and imports it all.
    report = upload(coordinator, data)
    assert created_of(report.text) == ROWS
    began = time.monotonic()
    done = coordinator.post(
        "/registry/volunteers/import/commit",
        {"csrf_token": coordinator.csrf("/registry/volunteers/import"),
         "token": token_of(report.text)}, timeout=300)
    commit_took = time.monotonic() - began
    assert done.status == 302 and done.headers["Location"].endswith("/registry/volunteers/")
    after = counts(probe)
    assert after["person"] == before["person"] + ROWS
    assert after["volunteer_profile"] == before["volunteer_profile"] + ROWS
    assert after["import_audits"] == before["import_audits"] + 1
    print(f"\n[{site.backend}] import of {ROWS} rows: killed {writing_after:.2f} s after the "
          f"confirm was sent ({evidence}); restart {restart:.2f} s; full commit afterwards "
          f"{commit_took:.2f} s")
