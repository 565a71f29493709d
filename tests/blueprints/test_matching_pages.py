"""The 双百 review in the browser's terms: HTTP routes, roles and region scope."""

from datetime import date

import pytest
from sqlalchemy import select

from matchmaker.models import FollowUp, MatchRun, Pairing, Proposal
from tests.conftest import csrf_token
from tests.services.test_matching_flow import world  # noqa: F401  (fixture)


@pytest.fixture
def web_world(world, client):  # noqa: F811
    return world


def run_programme(client, programme_id) -> int:
    resp = client.post(f"/programmes/{programme_id}/runs",
                       data={"csrf_token": csrf_token(client)})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return int(resp.headers["Location"].rsplit("/", 1)[1])


def test_coordinator_runs_reviews_and_follows_up(client, session, as_role, web_world):
    as_role("coordinator")
    pid = web_world["programme"].id
    assert "测试双百" in client.get("/programmes/").get_data(as_text=True)
    run_id = run_programme(client, pid)
    page = client.get(f"/runs/{run_id}").get_data(as_text=True)
    assert "茶农甲" in page and "专长相近" in page
    assert client.get(f"/runs/{run_id}/progress").json == {
        "status": "done", "progress": 100, "error": ""}

    props = session.scalars(select(Proposal).where(Proposal.run_id == run_id)).all()
    first, second = props[0], props[1]
    resp = client.post(f"/proposals/{first.id}/approve", data={"csrf_token": csrf_token(client)})
    assert resp.status_code == 302
    assert session.scalar(select(Pairing).where(Pairing.proposal_id == first.id))
    resp = client.post(f"/proposals/{second.id}/reject",
                       data={"csrf_token": csrf_token(client), "reason": ""})
    assert session.get(Proposal, second.id).status == "proposed"  # a reason is required
    client.post(f"/proposals/{second.id}/reject",
                data={"csrf_token": csrf_token(client), "reason": "不合适"})
    assert session.get(Proposal, second.id).status == "rejected"

    swap_page = client.get(f"/proposals/{props[2].id}/swap").get_data(as_text=True)
    assert "候选导师" in swap_page

    pairing = session.scalar(select(Pairing).where(Pairing.proposal_id == first.id))
    resp = client.post(f"/pairings/{pairing.id}", data={
        "csrf_token": csrf_token(client), "kind": "visit",
        "on": f"{date.today().year}年{date.today().month}月{date.today().day}日",
        "notes": "上门指导", "income_change": "200"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[-2000:]
    assert session.scalar(select(FollowUp).where(FollowUp.pairing_id == pairing.id))
    bad = client.post(f"/pairings/{pairing.id}", data={
        "csrf_token": csrf_token(client), "on": "明天", "kind": "visit"})
    assert bad.status_code == 422 and "日期格式不正确" in bad.get_data(as_text=True)

    for url in (f"/runs/{run_id}/fairness", f"/programmes/{pid}/learning",
                f"/programmes/{pid}/pairings", f"/programmes/{pid}/overdue?days=1",
                f"/programmes/{pid}", f"/programmes/{pid}/edit"):
        assert client.get(url).status_code == 200, url


def test_bulk_approve_and_compare(client, session, as_role, web_world):
    as_role("admin")
    pid = web_world["programme"].id
    first = run_programme(client, pid)
    client.post(f"/runs/{first}/bulk-approve",
                data={"csrf_token": csrf_token(client), "min_score": "-10"})
    assert {p.status for p in session.scalars(
        select(Proposal).where(Proposal.run_id == first))} == {"approved"}
    second = run_programme(client, pid)
    html = client.get(f"/runs/compare?a={first}&b={second}").get_data(as_text=True)
    assert "相同的配对" in html
    assert session.get(MatchRun, second).stats["pairs"] == 4


@pytest.mark.parametrize("role", ["volunteer", "donor"])
def test_other_roles_are_refused(client, as_role, web_world, role):
    as_role(role)
    pid = web_world["programme"].id
    for url in ("/programmes/", f"/programmes/{pid}", "/programmes/new"):
        assert client.get(url).status_code == 403


def test_town_coordinator_sees_only_her_town(client, session, as_role, web_world):
    as_role("coordinator")  # the city coordinator runs the city programme…
    pid = web_world["programme"].id
    admin_run = run_programme(client, pid)
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    as_role("coordinator", region_codes=("330481107",))  # …the town reviews her part
    html = client.get(f"/runs/{admin_run}").get_data(as_text=True)
    assert "学员一" in html and "学员三" not in html  # 学员三 lives in 许村镇
    other = session.scalar(select(Proposal).where(
        Proposal.run_id == admin_run, Proposal.mentee_person.has(name="学员三")))
    resp = client.post(f"/proposals/{other.id}/approve", data={"csrf_token": csrf_token(client)})
    assert resp.status_code == 404
    assert session.get(Proposal, other.id).status == "proposed"
    # She may not re-run, re-weight or edit the city's programme for everyone.
    assert client.post(f"/programmes/{pid}/runs",
                       data={"csrf_token": csrf_token(client)}).status_code == 403
    assert client.get(f"/programmes/{pid}/edit").status_code == 403
    assert client.post(f"/programmes/{pid}/learning", data={
        "csrf_token": csrf_token(client), "text": "9"}).status_code == 403
    fair = client.get(f"/runs/{admin_run}/fairness").get_data(as_text=True)
    assert "盐官镇" in fair and "许村镇" not in fair


def test_programme_form_validates(client, session, as_role, regions):
    as_role("admin")
    data = {"csrf_token": csrf_token(client), "name": "新项目", "year": "2027",
            "region": "330481", "mentor_kinds": ["skilled"], "mentee_pool": "mentee",
            "mentee_kinds": [], "target_pairs": "50", "default_capacity": "1",
            "max_region_level": "2", "top_k": "20", "w_text": "2", "w_category": "0.2",
            "w_region": "0.5", "w_availability": "0.1", "w_priority": "0.2"}
    resp = client.post("/programmes/new", data=data)
    assert resp.status_code == 422 and "请选择帮扶对象类别" in resp.get_data(as_text=True)
    data["mentee_kinds"] = ["rural"]
    data["w_text"] = "-1"
    assert client.post("/programmes/new", data=data).status_code == 422
    data["w_text"] = "2"
    assert client.post("/programmes/new", data=data).status_code == 302


def test_next_cannot_leave_the_site(client, session, as_role, web_world):
    as_role("admin")
    run_id = run_programme(client, web_world["programme"].id)
    prop = session.scalar(select(Proposal).where(Proposal.run_id == run_id))
    for target in ("https://evil.example/phish", "//evil.example/", "/\\evil.example"):
        resp = client.post(f"/proposals/{prop.id}/pin", data={
            "csrf_token": csrf_token(client), "pinned": "1", "next": target})
        assert resp.headers["Location"] == f"/runs/{run_id}", target


def test_a_run_the_queue_refuses_is_marked_failed(client, session, as_role, web_world,
                                                  app, monkeypatch):
    from matchmaker.services import match_runs

    monkeypatch.setattr(match_runs, "INLINE_LIMIT", 0)
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nobody there
    as_role("admin")
    run_id = run_programme(client, web_world["programme"].id)
    run = session.get(MatchRun, run_id)
    assert run.status == "failed" and "队列" in run.error
    monkeypatch.setitem(app.config, "JOBS_INLINE", True)
    assert run_programme(client, web_world["programme"].id) != run_id  # not blocked
