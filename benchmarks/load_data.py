"""Bulk data for the load benchmark (benchmarks/load.py): people, registries, a fund and a
双百 programme on top of the seeded demo county, written fast with PostgreSQL COPY.

People are spread over the demo county's villages (unevenly, as real villages are), with
names, pinyin keys, mobiles and — for about four in ten adults and half the girls — an ID
number, encrypted and hashed with the application's own vault exactly as
``services.people`` does. Registry shares of the N people (a person may hold two):

    volunteers 50 %   mentors 4 % (女企业家 1 %, 女能手 2 %, 专家 0.3 %, 社会妈妈 0.7 %)
    mentees 12 % (女大学生 1 %, 农村妇女 8 %, 贫困母亲 3 %)   春蕾学员 5 %   捐助人 2 %

Rows written by COPY bypass the ORM, so they have no audit events ("create" rows); the
fund's applications and the programme go through the services like any other write.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from matchmaker.demo.identities import unique_id_number, unique_mobile
from matchmaker.demo.vocabulary import (
    _BRANDS,
    _ENTREPRENEUR_TOPICS,
    _EXPERTS,
    _GRADE_NAMES,
    _GUARDIAN_CASES,
    _HIGH_SCHOOLS,
    _MAJORS,
    _POOR_MOTHER_TOPICS,
    _RURAL_TOPICS,
    _SKILLED_TOPICS,
    _SURNAMES,
    _TOPIC_BY_SPECIALTY,
    _VOLUNTEER_SKILLS,
    AVAILABILITY,
    VOLUNTEER_SERVICES,
    VOLUNTEER_TEAMS,
    _given_pool,
)
from matchmaker.extensions import db
from matchmaker.models import MenteeProfile, Person, Region, User
from matchmaker.services.pinyin import name_keys
from matchmaker.services.privacy import vault

TOWN_OF_PROGRAMME = "盐官镇"  # the town coordinator's town
REFERENCE = date(2026, 11, 1)
# (profile mix, share of people): a person's main registry; some get a second one below.
MIX = (
    ("volunteer", 0.50), ("entrepreneur", 0.010), ("skilled", 0.020), ("expert", 0.003),
    ("social_mother", 0.007), ("student", 0.010), ("rural", 0.080), ("poor_mother", 0.030),
    ("spring_bud", 0.050), ("donor", 0.020), ("none", 0.270),
)  # fmt: skip


@dataclass
class Generated:
    """What the load run needs to know about the people it wrote."""

    people: int = 0
    profiles: dict[str, int] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)  # a sample, for searches
    initials: list[str] = field(default_factory=list)
    mobile_tails: list[str] = field(default_factory=list)


class _Gen:
    def __init__(self, seed: int, villages: list[Region], first_id: int,
                 taken_hashes: set[str]) -> None:
        self.rng = random.Random(seed)
        self.villages = villages
        # Real villages differ in size: weights from 0.4 to 1.6.
        self.weights = [0.4 + 1.2 * self.rng.random() for _ in villages]
        self.next_id = first_id
        self.vault = vault()
        self.taken_hashes = taken_hashes
        self.used_ids: set[str] = set()
        self.used_mobiles: set[str] = set()
        self.surnames = [s for s, _ in _SURNAMES]
        self.surname_weights = [w for _, w in _SURNAMES]
        self.keys: dict[str, tuple[str, str]] = {}

    def birth(self, first: int, last: int) -> date:
        start = date(first, 1, 1)
        return start + timedelta(days=self.rng.randint(0, (date(last, 12, 31) - start).days))

    def name(self, gender: str, year: int) -> str:
        surname = self.rng.choices(self.surnames, weights=self.surname_weights)[0]
        return surname + self.rng.choice(_given_pool(gender, year))

    def mobile(self) -> str:
        return unique_mobile(self.rng, self.used_mobiles)

    def id_number(self, birth: date, gender: str) -> str | None:
        return unique_id_number(self.rng, self.used_ids, gender, birth, tries=20)

    def pinyin(self, name: str) -> tuple[str, str]:
        if name not in self.keys:
            self.keys[name] = name_keys(name)
        return self.keys[name]


def _availability(rng: random.Random, items=AVAILABILITY) -> str:
    k = rng.randint(1, len(items))
    return ",".join(a for a in items if a in set(rng.sample(items, k)))


def generate(conn, *, n: int, seed: int = 20261130) -> Generated:
    """Write ``n`` people and their profiles with COPY on ``conn`` (a psycopg connection;
    the caller commits). Needs an application context (for the ID vault)."""
    villages = list(db.session.scalars(select(Region).where(Region.level == "village")
                                       .order_by(Region.code)))
    taken = set(db.session.scalars(select(Person.id_hash).where(Person.id_hash.is_not(None))))
    with conn.cursor() as cur:
        cur.execute("SELECT coalesce(max(id), 0) FROM person")
        first_id = cur.fetchone()[0] + 1
    g = _Gen(seed, villages, first_id, taken)
    rng = g.rng
    now = datetime.now(UTC)
    out = Generated()
    people_rows: list[tuple] = []
    profiles: dict[str, list[tuple]] = {k: [] for k in
                                        ("volunteer", "mentor", "mentee", "spring_bud", "donor")}
    kinds = [k for k, _ in MIX]
    shares = [s for _, s in MIX]

    def volunteer(pid: int, team: str | None = None) -> None:
        team = team or rng.choice(VOLUNTEER_TEAMS)
        status = rng.choices(("active", "pending", "inactive"), weights=(75, 15, 10))[0]
        profiles["volunteer"].append((
            status, pid, now, now, team, team,
            ",".join(rng.sample(VOLUNTEER_SERVICES, rng.randint(1, 3))),
            rng.choice(_VOLUNTEER_SKILLS[team]), _availability(rng), "registry"))

    for _ in range(n):
        pid = g.next_id
        g.next_id += 1
        kind = rng.choices(kinds, weights=shares)[0]
        gender = "F"
        if kind == "spring_bud":
            birth = g.birth(2009, 2018)
        elif kind == "student":
            birth = g.birth(2002, 2007)
        elif kind in ("volunteer", "none", "donor"):
            gender = "M" if rng.random() < 0.08 else "F"
            birth = g.birth(1950, 2004)
        else:
            birth = g.birth(1960, 1998)
        name = g.name(gender, birth.year)
        pinyin, initials = g.pinyin(name)
        village = rng.choices(g.villages, weights=g.weights)[0]
        mobile = None if kind == "spring_bud" or rng.random() < 0.05 else g.mobile()
        number = None
        if rng.random() < (0.5 if kind == "spring_bud" else 0.4):
            number = g.id_number(birth, gender)
        cipher = digest = tail = None
        if number is not None:
            digest = g.vault.digest(number)
            if digest not in g.taken_hashes:
                cipher, tail = g.vault.encrypt(number), number[-4:]
            else:
                digest = None
        people_rows.append((pid, name, pinyin, initials, gender, birth, mobile, cipher, digest,
                            tail, village.id, "active", "", "", now, now))
        if len(out.names) < 400 and rng.random() < 0.05:
            out.names.append(name)
            out.initials.append(initials.split("|")[0])
            if mobile:
                out.mobile_tails.append(mobile[-4:])

        if kind == "volunteer":
            volunteer(pid)
        elif kind in ("entrepreneur", "skilled", "expert", "social_mother"):
            if kind == "expert":
                specialty, org = rng.choice(_EXPERTS)
            else:
                pool = _SKILLED_TOPICS if kind == "skilled" else _ENTREPRENEUR_TOPICS
                if kind == "social_mother":
                    pool = ["家庭教育", "幼儿教育", "面点小吃", "家政服务"]
                specialty = rng.choice(pool)
                topic = _TOPIC_BY_SPECIALTY[specialty]
                org = f"海宁市{rng.choice(_BRANDS)}{topic['suffix']}"
            topic = _TOPIC_BY_SPECIALTY[specialty]
            experience = f"从事{specialty}工作{rng.randint(3, 25)}年，{topic['detail']}。"
            status = "active" if rng.random() < 0.92 else "inactive"
            profiles["mentor"].append((
                status, pid, now, now, kind, specialty, topic["industry"], org, experience,
                rng.randint(1, 3), _availability(rng), 0))
            if rng.random() < 0.2:
                volunteer(pid, "创业指导")
            if kind == "entrepreneur" and rng.random() < 0.1:
                profiles["donor"].append(("active", pid, now, now, "organisation", org, org))
        elif kind in ("student", "rural", "poor_mother"):
            school = major = ""
            if kind == "student":
                major = rng.choice(list(_MAJORS))
                topics, schools = _MAJORS[major]
                specialty, school = rng.choice(topics), rng.choice(schools)
                needs = f"{major}专业在读，希望在{specialty}方面得到行业前辈指导"
                hardship = rng.randint(0, 3)
                avail = _availability(rng, ("wd_ev", "we_am", "we_pm", "we_ev"))
            else:
                pool = _RURAL_TOPICS if kind == "rural" else _POOR_MOTHER_TOPICS
                specialty = rng.choice(pool)
                needs = rng.choice(_TOPIC_BY_SPECIALTY[specialty]["needs"])
                hardship = rng.randint(1, 4) if kind == "rural" else rng.randint(3, 5)
                avail = _availability(rng)
            profiles["mentee"].append((
                "active", pid, now, now, kind, needs, _TOPIC_BY_SPECIALTY[specialty]["industry"],
                hardship, school, major, avail))
            if kind == "student" and rng.random() < 0.1:
                volunteer(pid)
        elif kind == "spring_bud":
            relation, note = rng.choice(_GUARDIAN_CASES)
            grade = max(1, min(12, REFERENCE.year - birth.year - 6))
            school = (f"海宁市{village.name[:2]}小学" if grade <= 6 else
                      f"海宁市{village.name[:2]}中学" if grade <= 9 else rng.choice(_HIGH_SCHOOLS))
            guardian_gender = "M" if relation in ("父亲", "祖父", "外公") else "F"
            profiles["spring_bud"].append((
                "active", pid, now, now, school, _GRADE_NAMES[grade - 1],
                g.name(guardian_gender, birth.year - 30), relation, g.mobile(), True, note,
                "小" + name[-1], REFERENCE - timedelta(days=rng.randint(0, 700))))
        elif kind == "donor":
            title = "先生" if gender == "M" else "女士"
            profiles["donor"].append(("active", pid, now, now, "person", "", name[0] + title))

    columns = {
        "person": "id, name, name_pinyin, name_initials, gender, birth_date, mobile, id_cipher, "
                  "id_hash, id_tail, region_id, status, note, household, created_at, updated_at",
        "volunteer": "status, person_id, created_at, updated_at, team, teams, services, skills, "
                     "availability, source",
        "mentor": "status, person_id, created_at, updated_at, kind, specialty, industry, "
                  "organisation, experience, capacity, availability, active_pairings",
        "mentee": "status, person_id, created_at, updated_at, kind, needs, industry, hardship, "
                  "school, major, availability",
        "spring_bud": "status, person_id, created_at, updated_at, school, grade, guardian_name, "
                      "guardian_relation, guardian_mobile, guardian_consent, hardship_note, "
                      "alias, waiting_since",
        "donor": "status, person_id, created_at, updated_at, kind, organisation, display_name",
    }
    with conn.cursor() as cur:
        _copy(cur, "person", columns["person"], people_rows)
        cur.execute("SELECT setval(pg_get_serial_sequence('person', 'id'), max(id)) FROM person")
        for key, rows in profiles.items():
            _copy(cur, f"{key}_profile", columns[key], rows)
            out.profiles[key] = len(rows)
    out.people = len(people_rows)
    return out


def _copy(cur, table: str, columns: str, rows: list[tuple]) -> None:
    with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def make_programme(*, n_target: int = 100):
    """A town 双百 programme (女大学生 × 女企业家) in the town coordinator's town."""
    from matchmaker.services.programmes import WEIGHTS, ProgrammeInput, create_programme

    admin = db.session.scalar(select(User).where(User.username == "admin"))
    town = db.session.scalar(select(Region).where(Region.name == TOWN_OF_PROGRAMME))
    return create_programme(user=admin, data=ProgrammeInput(
        name=f"2026 双百结对（{TOWN_OF_PROGRAMME}）：女大学生 × 女企业家", year=2026,
        region_code=town.code, mentor_kinds=["entrepreneur"], mentee_pool="mentee",
        mentee_kinds=["student"], target_pairs=n_target, default_capacity=1,
        weights=WEIGHTS["university"].as_dict(), rules={"max_region_level": 2}))


def make_fund(*, applicants: int, seed: int = 7):
    """A city interest-subsidy fund with ``applicants`` applications (rural women and poor
    mothers from the registries), submitted through ``services.funds`` one by one, and a
    budget that funds about a third of them, with at least 20 in every town (fewer when
    there are fewer than 5,000 applicants)."""
    from matchmaker.services import funds

    rng = random.Random(seed)
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    city = db.session.scalar(select(Region).where(Region.level == "city"))
    towns = list(db.session.scalars(select(Region.code).where(Region.level == "town")))
    fund = funds.create_fund(user=admin, data=funds.FundInput(
        name="2026 巾帼创业贷款贴息（负载测试）", year=2026, kind="interest_subsidy",
        region_code=city.code, budget=str(1300 * applicants), rule="interest",
        subsidy_share="0.5", cap="6000",
        eligibility={"pool": "mentee", "kinds": ["rural", "poor_mother"]},
        region_min={t: max(1, min(20, applicants // 250)) for t in towns}))
    mentees = list(db.session.execute(
        select(MenteeProfile.person_id, MenteeProfile.hardship)
        .where(MenteeProfile.kind.in_(("rural", "poor_mother")))
        .order_by(MenteeProfile.id)))
    rng.shuffle(mentees)
    made = 0
    for person_id, hardship in mentees[:applicants]:
        funds.submit_application(user=admin, fund=fund, data=funds.ApplicationInput(
            person_id=person_id, hardship=hardship, household_size=rng.randint(2, 6),
            plan_score=rng.randint(1, 5),
            principal=str(rng.choice(range(50_000, 300_001, 10_000))), annual_rate="0.0435",
            months=12, loan_number=1))
        made += 1
    return fund, made
