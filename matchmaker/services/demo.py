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


def seed_demo() -> SeedResult:
    """Create whatever part of the demo data is missing; flush, never commit."""
    result = SeedResult()
    regions = _seed_regions(result)
    firsts = _seed_people(regions, result)
    _seed_accounts(regions, firsts, result)
    _seed_programmes(regions, result)
    db.session.flush()
    return result
