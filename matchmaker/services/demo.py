"""Loading the demo county (海宁市): regions, a few hundred people, the demo accounts.

Only ever run on purpose (``matchmaker seed-demo``); a production start never calls it.
Running it twice creates nothing new: every row is found by its natural key first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from matchmaker.demo.people import demo_people
from matchmaker.demo.regions import region_rows
from matchmaker.extensions import db
from matchmaker.models import PROFILE_MODELS, Person, ProfileBase, Region, User
from matchmaker.services import demo_sponsorship, demo_volunteering
from matchmaker.services.pinyin import name_keys
from matchmaker.services.privacy import vault
from matchmaker.services.users import create_user

DEMO_PASSWORD = "matchmaker-demo"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    display_name: str
    scope: str  # what the account sees, for the printed list


DEMO_ACCOUNTS = (
    DemoAccount("admin", "admin", "系统管理员", "全部"),
    DemoAccount("coordinator", "coordinator", "市妇联 王主任", "海宁市全市"),
    DemoAccount("town-coordinator", "coordinator", "盐官镇妇联 李主席", "盐官镇"),
    DemoAccount("volunteer", "volunteer", "志愿者", "本人"),
    DemoAccount("donor", "donor", "捐助人", "本人资助的学员"),
)
TOWN_OF_TOWN_COORDINATOR = "盐官镇"


@dataclass
class SeedResult:
    created: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, n: int = 1) -> None:
        self.created[what] = self.created.get(what, 0) + n

    @property
    def total(self) -> int:
        return sum(self.created.values())


def is_empty() -> bool:
    return not db.session.scalar(select(func.count(Person.id))) and not db.session.scalar(
        select(func.count(User.id)))


def _seed_regions(result: SeedResult) -> dict[str, Region]:
    by_code = {r.code: r for r in db.session.scalars(select(Region))}
    for row in region_rows():
        if row["code"] in by_code:
            continue
        parent = by_code.get(row["parent_code"]) if row["parent_code"] else None
        region = Region(code=row["code"], name=row["name"], level=row["level"], parent=parent,
                        path=(parent.path if parent else "") + row["code"] + "/")
        db.session.add(region)
        by_code[row["code"]] = region
        result.add("regions")
    db.session.flush()
    return by_code


def _seed_people(regions: dict[str, Region], result: SeedResult) -> dict[str, Person]:
    v = vault()
    people_by_key: dict[str, Person] = {}
    for row in demo_people():
        key = v.digest(row["id_number"]) if row["id_number"] else None
        person = db.session.scalar(select(Person).where(Person.id_hash == key)) if key else None
        if person is None and key is None:
            person = db.session.scalar(select(Person).where(
                Person.name == row["name"], Person.birth_date == row["birth_date"],
                Person.region_id == regions[row["region_code"]].id))
        if person is None:
            pinyin, initials = name_keys(row["name"])
            person = Person(
                name=row["name"], name_pinyin=pinyin, name_initials=initials,
                gender=row["gender"], birth_date=row["birth_date"], mobile=row["mobile"],
                region=regions[row["region_code"]], status="active",
                id_cipher=v.encrypt(row["id_number"]) if key else None, id_hash=key,
                id_tail=row["id_number"][-4:] if key else None,
            )
            db.session.add(person)
            db.session.flush()
            result.add("people")
        for prof in row["profiles"]:
            _seed_profile(person, dict(prof), result)
        people_by_key.setdefault(_first_kind(row), person)
    db.session.flush()
    return people_by_key


def _first_kind(row: dict) -> str:
    return row["profiles"][0]["type"] if row["profiles"] else ""


def _seed_profile(person: Person, prof: dict, result: SeedResult) -> ProfileBase:
    kind = prof.pop("type")
    model = PROFILE_MODELS[kind]
    existing = db.session.scalar(select(model).where(model.person_id == person.id))
    if existing is not None:
        return existing
    for key, value in list(prof.items()):
        if isinstance(value, list | tuple | set):
            prof[key] = ",".join(value)
        elif value is None and key not in ("guardian_mobile",):
            prof[key] = ""
    profile = model(person=person, **prof)
    db.session.add(profile)
    result.add(f"profiles:{kind}")
    return profile


def _seed_accounts(regions: dict[str, Region], firsts: dict[str, Person],
                   result: SeedResult) -> None:
    city = next(r for r in regions.values() if r.level == "city")
    town = next(r for r in regions.values() if r.name == TOWN_OF_TOWN_COORDINATOR)
    scopes = {"coordinator": [city], "town-coordinator": [town]}
    persons = {"volunteer": firsts.get("volunteer"), "donor": firsts.get("donor")}
    for acc in DEMO_ACCOUNTS:
        if db.session.scalar(select(User.id).where(User.username == acc.username)):
            continue
        create_user(username=acc.username, password=DEMO_PASSWORD, role=acc.role,
                    display_name=acc.display_name, regions=scopes.get(acc.username),
                    person=persons.get(acc.username))
        result.add("accounts")


def _seed_programmes(regions: dict[str, Region], result: SeedResult) -> None:
    from matchmaker.services.programmes import seed_demo_programmes

    admin = db.session.scalar(select(User).where(User.username == "admin"))
    city = next(r for r in regions.values() if r.level == "city")
    made = seed_demo_programmes(user=admin, city=city)
    if made:
        result.add("programmes", made)


def _seed_funds(regions: dict[str, Region], result: SeedResult) -> None:
    """Three real kinds of fund, each asked for more than it holds, so allocation matters."""
    import random
    from decimal import Decimal

    from matchmaker.models import Fund, MenteeProfile, SpringBudProfile
    from matchmaker.services import funds

    admin = db.session.scalar(select(User).where(User.username == "admin"))
    city = next(r for r in regions.values() if r.level == "city")
    towns = sorted(r.code for r in regions.values() if r.level == "town")
    rng = random.Random(20261129)
    specs = [
        ("2026 巾帼创业贷款贴息", "interest_subsidy", "500000", "interest",
         {"pool": "mentee", "kinds": ["rural", "poor_mother"]}, {t: 2 for t in towns}),
        ("2026 助推贫困母亲创业帮扶资金", "material_aid", "200000", "standard",
         {"pool": "mentee", "kinds": ["poor_mother"], "min_hardship": 3}, {}),
        ("2026 春蕾计划助学金", "stipend", "20000", "standard", {"pool": "spring_bud"}, {}),
    ]
    for name, kind, budget, rule, eligibility, region_min in specs:
        if db.session.scalar(select(Fund.id).where(Fund.name == name)):
            continue
        fund = funds.create_fund(user=admin, data=funds.FundInput(
            name=name, year=2026, kind=kind, region_code=city.code, budget=budget, rule=rule,
            standard="4000" if kind == "material_aid" else "500",
            subsidy_share="0.5", cap="6000", eligibility=eligibility, region_min=region_min))
        result.add("funds")
        if eligibility["pool"] == "spring_bud":
            people = [(p.person, 4) for p in db.session.scalars(
                select(SpringBudProfile).order_by(SpringBudProfile.id))]
        else:
            people = [(p.person, p.hardship) for p in db.session.scalars(
                select(MenteeProfile).where(MenteeProfile.kind.in_(eligibility["kinds"]))
                .order_by(MenteeProfile.id))]
        for person, hardship in people:
            if hardship < eligibility.get("min_hardship", 0):
                continue
            loan = {}
            if rule == "interest":
                loan = {"principal": str(rng.choice(range(50_000, 300_001, 10_000))),
                        "annual_rate": str(Decimal("0.0435")), "months": rng.choice([12, 24]),
                        "loan_number": 1}
            funds.submit_application(user=admin, fund=fund, data=funds.ApplicationInput(
                person_id=person.id, hardship=hardship, household_size=rng.randint(2, 6),
                plan_score=rng.randint(1, 5), **loan))
            result.add("applications")


def seed_demo() -> SeedResult:
    """Create whatever part of the demo data is missing; flush, never commit."""
    result = SeedResult()
    regions = _seed_regions(result)
    firsts = _seed_people(regions, result)
    _seed_accounts(regions, firsts, result)
    _seed_programmes(regions, result)
    _seed_funds(regions, result)
    demo_volunteering.seed(result)
    demo_sponsorship.seed(result)
    db.session.flush()
    return result
