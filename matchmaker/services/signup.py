"""The public volunteer sign-up (扫码报名): anyone may apply; a coordinator decides later.

Nobody is logged in here, so the operation trusts nothing it is given: every value is
parsed again, the region and the activity are looked up, and a duplicate is refused with
one message that tells nothing about the record already on file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from matchmaker.extensions import db
from matchmaker.models import Activity, Person, Region, VolunteerProfile
from matchmaker.models.base import utcnow
from matchmaker.models.profiles import AVAILABILITY, VOLUNTEER_TEAMS
from matchmaker.services import consent, notifications
from matchmaker.services.clock import as_utc, today
from matchmaker.services.errors import DomainError
from matchmaker.services.pinyin import name_keys
from matchmaker.services.privacy import vault
from matchmaker.services.validation import (
    age_on,
    clean_name,
    clean_text,
    parse_id_number,
    parse_mobile,
)

PURPOSE = "volunteer"
ADULT = 18


class AlreadyRegistered(DomainError):
    """The mobile or ID number is on file already. The message is the same whatever the
    existing record holds, so that the public page cannot be used to look people up."""

    def __init__(self) -> None:
        super().__init__(_("该手机号或身份证号已经报名登记过，请勿重复报名；"
                           "如需修改信息，请登录或联系所在地妇联。"))


@dataclass
class SignupInput:
    """What the public form supplies, as typed."""

    name: str
    mobile: str
    town_code: str
    village_code: str = ""
    id_number: str = ""
    teams: list[str] = field(default_factory=list)
    skills: str = ""
    availability: list[str] = field(default_factory=list)
    notice_version: str = ""
    activity_id: int | None = None


@dataclass(frozen=True)
class TownChoice:
    code: str
    label: str
    villages: tuple[tuple[str, str], ...]  # (code, name)


def public_regions() -> list[TownChoice]:
    """Every town of the database with its villages, for the public pickers. Towns are
    named with their county when the same name could otherwise appear twice."""
    rows = db.session.scalars(select(Region).where(Region.level.in_(("town", "village")))
                              .order_by(Region.path)).all()
    towns = [r for r in rows if r.level == "town"]
    villages: dict[int, list[tuple[str, str]]] = {}
    for r in rows:
        if r.level == "village" and r.parent_id is not None:
            villages.setdefault(r.parent_id, []).append((r.code, r.name))
    several_parents = len({t.parent_id for t in towns}) > 1
    return [TownChoice(code=t.code,
                       label=f"{t.parent.name} {t.name}" if several_parents and t.parent
                       else t.name,
                       villages=tuple(villages.get(t.id, ())))
            for t in towns]


def preset_region(code: str | None) -> tuple[str, str]:
    """(town code, village code) for a poster's ``?town=``; blanks when it is unknown."""
    region = db.session.scalar(select(Region).where(Region.code == (code or "")[:12]))
    if region is None:
        return "", ""
    if region.level == "town":
        return region.code, ""
    if region.level == "village" and region.parent is not None \
            and region.parent.level == "town":
        return region.parent.code, region.code
    return "", ""


def wanted_activity(activity_id: int | None) -> Activity | None:
    """The activity a poster points to, if it is still open and yet to start; otherwise
    ``None`` (the page then simply does not mention it)."""
    if not activity_id:
        return None
    activity = db.session.get(Activity, activity_id)
    if activity is None or activity.status != "open" or as_utc(activity.starts_at) <= utcnow():
        return None
    return activity


def _region(town_code: str, village_code: str) -> Region:
    town = db.session.scalar(select(Region).where(Region.code == town_code,
                                                  Region.level == "town"))
    if town is None:
        raise DomainError(_("请选择所在镇（街道）"), field="town")
    if not village_code:
        has_villages = db.session.scalar(select(Region.id).where(
            Region.parent_id == town.id, Region.level == "village").limit(1))
        if has_villages is not None:
            raise DomainError(_("请选择所在村（社区）"), field="village")
        return town
    village = db.session.scalar(select(Region).where(Region.code == village_code,
                                                     Region.level == "village"))
    if village is None or village.parent_id != town.id:
        raise DomainError(_("所选村（社区）不属于所选镇（街道），请重新选择"), field="village")
    return village


def _ordered(picked: list[str], allowed: tuple[str, ...]) -> list[str]:
    chosen = set(picked or [])
    return [v for v in allowed if v in chosen]


def register(*, data: SignupInput) -> VolunteerProfile:
    """Record an application: a new person, a pending volunteer profile, her consent to
    the notice she read, and a message to her.

    Duplicates. A mobile or ID number that already belongs to someone with a volunteer
    profile is refused (``AlreadyRegistered``) — the one thing this page may confirm. An
    ID number held by someone *outside* the volunteer registry (a mentee, a poor mother)
    must not be confirmed, nor may an anonymous form attach anything to her record: the
    application is taken like any other, as a new person without the ID number, and a
    note asks the coordinator to compare and merge the two records. A mobile alone is no
    proof of identity (families share phones), so it never links records either.
    Under-18s cannot sign up online (a guardian must consent); the age is read from the
    ID number when she gives one.
    """
    notice = consent.current_notice(PURPOSE)
    if data.notice_version != notice.version:
        raise DomainError(_("个人信息保护告知书已经更新，请重新阅读后再勾选同意"),
                          field="consent")
    name = clean_name(data.name)
    mobile = parse_mobile(data.mobile)
    id_info = parse_id_number(data.id_number) if (data.id_number or "").strip() else None
    if id_info is not None and age_on(id_info.birth_date, today()) < ADULT:
        raise DomainError(_("未满 18 周岁不能在线报名，请由监护人陪同到所在地妇联登记"),
                          field="id_number")
    birth, gender = (id_info.birth_date, id_info.gender) if id_info else (None, "F")
    teams = _ordered(data.teams, VOLUNTEER_TEAMS)
    if not teams:
        raise DomainError(_("请至少选择一个服务队"), field="teams")
    availability = _ordered(data.availability, AVAILABILITY)
    if not availability:
        raise DomainError(_("请至少选择一个可服务时间"), field="availability")
    skills = clean_text(data.skills, field="skills", label=_("特长"), max_length=500)
    region = _region(data.town_code, data.village_code)
    activity = wanted_activity(data.activity_id)

    _one_at_a_time(mobile)
    volunteer_by_mobile = db.session.scalar(
        select(VolunteerProfile.id).join(Person, VolunteerProfile.person_id == Person.id)
        .where(Person.mobile == mobile).limit(1))
    if volunteer_by_mobile is not None:
        raise AlreadyRegistered()

    digest = vault().digest(id_info.number) if id_info else None
    on_file = db.session.scalar(select(Person.id).where(Person.id_hash == digest)) \
        if digest is not None else None
    if on_file is not None:
        if db.session.scalar(select(VolunteerProfile.id).where(
                VolunteerProfile.person_id == on_file)) is not None:
            raise AlreadyRegistered()
        id_info, digest = None, None  # kept off the new record; the note asks to merge

    try:
        with db.session.begin_nested():
            person = _new_person(name=name, mobile=mobile, region=region, id_info=id_info,
                                 digest=digest, birth=birth, gender=gender,
                                 note=_("报名时填写的身份证号与已登记的人员相同，请核对后合并两条记录。")
                                 if on_file is not None else "")
            profile = VolunteerProfile(
                person_id=person.id, status="pending", source="signup", team=teams[0],
                teams=",".join(teams), skills=skills, availability=",".join(availability),
                wanted_activity_id=activity.id if activity else None)
            db.session.add(profile)
            db.session.flush()
    except IntegrityError:
        # The same number sent twice at the same moment: the database keeps one.
        raise AlreadyRegistered() from None
    consent.give(person=person, purpose=PURPOSE, channel="web", version=notice.version)
    notifications.notify(
        person=person, subject=_("已收到您的巾帼志愿者报名"),
        body=_("%(name)s，您好！我们已收到您的巾帼志愿者报名。所在地妇联将尽快审核，"
               "审核结果会通过短信通知您。感谢您的热心参与！", name=person.name))
    db.session.flush()
    return profile


def _one_at_a_time(mobile: str) -> None:
    """Serialise sign-ups with one mobile until the transaction ends, so that the same form
    sent twice at once cannot pass the duplicate check twice (the mobile has no unique
    key: families share phones). PostgreSQL: a transaction-scoped advisory lock on a hash
    of the number; SQLite already serialises writers (BEGIN IMMEDIATE)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(b"signup:" + mobile.encode()).digest()[:8], "big",
                         signed=True)
    db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _new_person(*, name: str, mobile: str, region: Region, id_info, digest: str | None,
                birth, gender: str, note: str) -> Person:
    pinyin, initials = name_keys(name)
    # 巾帼志愿者 are women: female unless her ID number says otherwise.
    person = Person(status="active", name=name, name_pinyin=pinyin, name_initials=initials,
                    gender=gender, birth_date=birth, mobile=mobile, region=region, note=note)
    if id_info is not None:
        person.id_cipher = vault().encrypt(id_info.number)
        person.id_hash = digest
        person.id_tail = id_info.number[-4:]
    db.session.add(person)
    db.session.flush()
    return person
