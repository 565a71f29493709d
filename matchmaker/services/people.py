"""Operations on people and their profiles. They validate, write and flush; the request
(or the CLI command) commits once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.models import (
    PROFILE_MODELS,
    Person,
    ProfileBase,
    SpringBudProfile,
    User,
    VolunteerProfile,
)
from matchmaker.models.profiles import VOLUNTEER_TEAMS
from matchmaker.services import audit
from matchmaker.services.clock import today
from matchmaker.services.errors import DomainError, Forbidden
from matchmaker.services.pinyin import name_keys
from matchmaker.services.privacy import vault
from matchmaker.services.scope import REVEAL_ROLES, region_by_code
from matchmaker.services.validation import (
    age_on,
    clean_name,
    clean_text,
    parse_id_number,
    parse_mobile,
)


@dataclass
class PersonInput:
    """What a form or an import supplies about a person, as typed (strings)."""

    name: str
    region_code: str
    gender: str = ""
    birth_date: date | None = None
    mobile: str = ""
    id_number: str = ""  # blank on edit: keep the number on file
    note: str = ""
    household: str = ""
    # On edit, personal numbers are never prefilled (they would show unmasked), so a blank
    # mobile or ID number means "unchanged".
    editing: bool = False


def _apply(person: Person, data: PersonInput, user: User) -> None:
    person.name = clean_name(data.name)
    person.name_pinyin, person.name_initials = name_keys(person.name)
    person.region = region_by_code(user, data.region_code)
    if data.mobile.strip():
        person.mobile = parse_mobile(data.mobile)
    elif not data.editing:
        person.mobile = None
    person.note = clean_text(data.note, field="note", label=_("备注"), max_length=500)
    person.household = clean_text(data.household, field="household", label=_("户号"),
                                  max_length=40)

    if data.id_number.strip():
        info = parse_id_number(data.id_number)
        v = vault()
        digest = v.digest(info.number)
        clash = db.session.scalar(
            select(Person.id).where(Person.id_hash == digest, Person.id != person.id)
        )
        if clash is not None:
            raise DomainError(_("该身份证号码已在系统中登记，请勿重复录入"), field="id_number")
        person.id_cipher = v.encrypt(info.number)
        person.id_hash = digest
        person.id_tail = info.number[-4:]
        # Birth date and gender come from the ID number, never typed twice.
        person.birth_date = info.birth_date
        person.gender = info.gender
    elif not person.has_id_number:
        if data.gender not in ("F", "M"):
            raise DomainError(_("请选择性别"), field="gender")
        person.gender = data.gender
        if data.birth_date and data.birth_date > today():
            raise DomainError(_("出生日期不能晚于今天"), field="birth_date")
        person.birth_date = data.birth_date


def create_person(*, user: User, data: PersonInput) -> Person:
    person = Person(status="active")
    _apply(person, data, user)
    db.session.add(person)
    db.session.flush()
    return person


def update_person(*, user: User, person: Person, data: PersonInput) -> Person:
    with db.session.no_autoflush:
        _apply(person, data, user)
    db.session.flush()
    return person


def set_person_status(*, person: Person, status: str) -> None:
    if status not in ("active", "inactive"):
        raise DomainError(_("状态无效"))
    person.status = status
    db.session.flush()


def profiles_of(person: Person) -> dict[str, ProfileBase]:
    """The person's profiles by kind, in registry order."""
    found = {}
    for key, model in PROFILE_MODELS.items():
        prof = db.session.scalar(select(model).where(model.person_id == person.id))
        if prof is not None:
            found[key] = prof
    return found


def add_profile(*, person: Person, kind: str, fields: dict[str, object]) -> ProfileBase:
    model = PROFILE_MODELS.get(kind)
    if model is None:
        raise DomainError(_("未知的登记类型"))
    if db.session.scalar(select(model.id).where(model.person_id == person.id)) is not None:
        raise DomainError(_("此人已有这一类登记，请直接修改"))
    _check_profile(kind, fields)
    _keep_main_team(kind, fields)
    if kind == "spring_bud" and not fields.get("waiting_since"):
        fields = {**fields, "waiting_since": today()}  # she waits for a sponsor from today
    profile = model(person=person, **fields)
    db.session.add(profile)
    db.session.flush()
    return profile


def update_profile(*, profile: ProfileBase, kind: str, fields: dict[str, object]) -> None:
    _check_profile(kind, fields, profile)
    _keep_main_team(kind, fields, profile)
    for key, value in fields.items():
        setattr(profile, key, value)
    db.session.flush()


def set_profile_status(*, profile: ProfileBase, status: str) -> None:
    if isinstance(profile, VolunteerProfile):
        # Accepting a volunteer creates her account; that belongs to the pipeline.
        raise DomainError(_("志愿者的状态请在志愿者审核页面修改"))
    if status not in ("pending", "active", "inactive"):
        raise DomainError(_("状态无效"))
    profile.status = status
    db.session.flush()


def _check_profile(kind: str, fields: dict[str, object],
                   profile: ProfileBase | None = None) -> None:
    active = getattr(profile, "active_pairings", 0) or 0
    if kind == "mentor" and int(fields.get("capacity", 1) or 0) < active:
        raise DomainError(_("可带徒人数不能少于她现在在带的 %(n)s 人", n=active),
                          field="capacity")
    if kind == "spring_bud" and not fields.get("guardian_consent"):
        raise DomainError(_("登记未成年人须先取得监护人同意"), field="guardian_consent")


def _keep_main_team(kind: str, fields: dict[str, object],
                    profile: ProfileBase | None = None) -> None:
    """A volunteer's main team is always among the teams she serves in."""
    if kind != "volunteer" or not fields.get("team"):
        return
    teams = set((getattr(profile, "teams", "") or "").split(",")) | {fields["team"]}
    fields["teams"] = ",".join(t for t in VOLUNTEER_TEAMS if t in teams)


def is_minor(person: Person, *, on: date | None = None) -> bool:
    """Under 18, or a spring-bud girl (whose age may be unknown)."""
    if person.birth_date is not None and age_on(person.birth_date, on or today()) < 18:
        return True
    exists = db.session.scalar(
        select(SpringBudProfile.id).where(SpringBudProfile.person_id == person.id)
    )
    return exists is not None


def record_full_view(*, person: Person) -> None:
    """Opening a minor's full record is audited."""
    if is_minor(person):
        audit.record("view_minor", target_type="person", target_id=person.id)


def reveal(*, user: User, person: Person, field: str) -> str:
    """Show one personal number in full, to a role that needs it; always audited."""
    if not user.has_role(*REVEAL_ROLES):
        raise Forbidden(_("您的账号无权查看完整号码"))
    if field == "id_number":
        if person.id_cipher is None:
            raise DomainError(_("未登记身份证号码"))
        value = vault().decrypt(person.id_cipher)
    elif field == "mobile":
        if not person.mobile:
            raise DomainError(_("未登记手机号码"))
        value = person.mobile
    else:
        raise DomainError(_("无法查看该字段"))
    audit.record("reveal", target_type="person", target_id=person.id, field=field)
    return value
