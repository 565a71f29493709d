"""A leak scan of the donor portal on the demo data: log in as the demo donor, follow every
link she can reach (GET, same site), and look for anything of a minor that a donor must
never see — ID numbers, phones (hers and her guardian's), addresses and villages, school
names, full names, guardians' names, birth dates, family circumstances. Then withdraw a
guardian's consent and see the girl vanish from every page at once."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.models import Person, Region, Sponsorship, SpringBudProfile, User
from matchmaker.services.privacy import vault
from tests.conftest import seeded_demo_app

ID_LIKE = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
MOBILE_LIKE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
MASKED_MOBILE = re.compile(r"1[3-9]\d\*{4}\d{4}")
LINK = re.compile(r'href="([^"#]+)"')
NOT_FOLLOWED = ("/logout", "/language")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    yield from seeded_demo_app(tmp_path_factory, "leak")


def secrets_of_minors(app) -> dict[str, str]:
    """Every string about a Spring Bud girl a donor must not see, with what it is."""
    found: dict[str, str] = {}
    with app.app_context():
        v = vault()
        for girl in db.session.scalars(select(SpringBudProfile)):
            p = girl.person
            found[p.name] = "full name"
            if girl.school:
                found[girl.school] = "school"
            if girl.guardian_name:
                found[girl.guardian_name] = "guardian"
            if girl.hardship_note and len(girl.hardship_note) >= 4:
                found[girl.hardship_note] = "family circumstances"
            if p.birth_date:
                found[p.birth_date.isoformat()] = "birth date"
            for number in (p.mobile, girl.guardian_mobile):
                if number:
                    found[number] = "phone"
                    found[number[:3] + "****" + number[-4:]] = "masked phone"
            if p.id_cipher:
                found[v.decrypt(p.id_cipher)] = "ID number"
            if p.region.level == "village":
                found[p.region.name] = "village (address)"
            if p.household:
                found[p.household] = "household"
    return found


def crawl(client, start: str = "/") -> dict[str, str]:
    """Every page reachable from ``start`` by links, as {path: html}."""
    seen: dict[str, str] = {}
    queue = deque([start])
    while queue:
        path = queue.popleft()
        if path in seen or any(path.startswith(p) for p in NOT_FOLLOWED):
            continue
        resp = client.get(path)
        assert resp.status_code < 500, path
        if resp.status_code in (301, 302):
            target = urlsplit(resp.headers["Location"]).path
            if target not in seen:
                queue.append(target)
            seen[path] = ""
            continue
        html = resp.get_data(as_text=True)
        seen[path] = html
        for href in LINK.findall(html):
            url = urlsplit(urljoin(path, href))
            if url.netloc or url.path.startswith("/static/"):
                continue
            queue.append(url.path + (f"?{url.query}" if url.query else ""))
    return seen


def donor_client(app):
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    resp = client.post("/login", data={"username": "donor", "password": "matchmaker-demo",
                                       "csrf_token": token})
    assert resp.status_code == 302
    return client


def test_no_page_the_demo_donor_reaches_leaks_a_minor(demo):
    pages = crawl(donor_client(demo))
    assert len(pages) >= 8, sorted(pages)  # home, cards, payments, receipts, letters …
    assert any(p.startswith("/donor/students/") for p in pages)
    assert any(p.startswith("/donor/receipts/") for p in pages)
    forbidden = secrets_of_minors(demo)
    leaks = []
    for path, html in pages.items():
        text = re.sub(r'name="csrf_token"[^>]*>', "", html)
        leaks += [(path, what, s) for s, what in forbidden.items() if s in text]
        leaks += [(path, "ID-like number", m) for m in ID_LIKE.findall(text)]
        leaks += [(path, "phone-like number", m) for m in MOBILE_LIKE.findall(text)]
        leaks += [(path, "masked phone", m) for m in MASKED_MOBILE.findall(text)]
        assert "export" not in path and ".xlsx" not in text, path  # no bulk download
    assert leaks == []


def test_the_demo_donor_sees_her_girls_by_pseudonym(demo):
    """The scan above would pass on an empty portal: check it shows what it should."""
    client = donor_client(demo)
    html = client.get("/donor").get_data(as_text=True)
    with demo.app_context():
        donor = db.session.scalar(select(User).where(User.username == "donor")).person
        active = db.session.scalars(
            select(Sponsorship).join(Sponsorship.pledge)
            .where(Sponsorship.status == "active")).all()
        mine = [s for s in active if s.pledge.donor.person_id == donor.id]
        assert len(mine) == 2
        for s in mine:
            girl = s.student
            shown = girl.alias or girl.person.name[1:]
            assert shown in html and girl.person.name not in html
            town = db.session.get(Region, girl.person.region.parent_id).name
            assert town in html


def test_withdrawing_consent_hides_her_everywhere_at_once(demo):
    client = donor_client(demo)
    with demo.app_context():
        donor = db.session.scalar(select(User).where(User.username == "donor")).person
        sp = next(s for s in db.session.scalars(
            select(Sponsorship).where(Sponsorship.status == "active"))
            if s.pledge.donor.person_id == donor.id)
        girl_id, sp_id = sp.student_id, sp.id
        girl = db.session.get(SpringBudProfile, girl_id)
        shown = girl.alias or girl.person.name[1:]
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        assert client.get(f"/donor/students/{sp_id}").status_code == 200
        from matchmaker.services import sponsorships

        sponsorships.withdraw_guardian_consent(user=admin, student=girl)
        db.session.commit()
    assert client.get(f"/donor/students/{sp_id}").status_code == 404
    for path, html in crawl(client).items():
        assert f"/donor/students/{sp_id}" not in html, path
        assert shown not in html, path
    with demo.app_context():  # the girl's record itself is untouched
        assert db.session.get(Person, db.session.get(SpringBudProfile, girl_id).person_id)
