"""A person's rights over her data (PIPL): erasure on request.

Erasure first ends her live relationships as the services would (pairings, sponsorships,
service assignments), then keeps what accounting law and other people's records require:
when she has financial records (awards, disbursements, donations) or shares records with
others (pairings, pledges and sponsorships, service assignments, letters) her person row
stays as an anonymous stub ("已删除人员#<id>") so that the ledger and their records stay
whole; otherwise the person and all her rows are deleted. In both cases her ID number and
mobile are scrubbed from every text and JSON column of every table (messages to other
people, notes, the audit log), her name from every one but the reference tables (a fund
may be named like her), and one pseudonymous "erase" audit entry is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import JSON, String, Text, cast, delete, func, or_, select, update

from matchmaker.extensions import db
from matchmaker.models import (
    Activity,
    ActivitySignup,
    Application,
    MentorProfile,
    OneTimeToken,
    Pairing,
    Person,
    Pledge,
    ServiceAssignment,
    ServiceHours,
    Sponsorship,
    UnmatchedMentee,
    User,
)
from matchmaker.services import audit, pairings, pledges, service_requests, sponsorships
from matchmaker.services.clock import today
from matchmaker.services.errors import DomainError
from matchmaker.services.personal_export import (
    Holdings,
    _holdings,
    _pairings,
    _proposals,
    _rows,
    _sections,
)
from matchmaker.services.privacy import vault
from matchmaker.services.scope import get_person

ANON_PREFIX = "已删除人员#"
# Columns never scanned when scrubbing another person's name: a name in these columns is
# another human being who happens to share it (her own rows are rewritten explicitly), or
# the column cannot hold free text (hashes, usernames).
SCRUB_SKIP = {
    ("person", "name"), ("person", "name_pinyin"), ("person", "name_initials"),
    ("person", "id_hash"), ("person", "id_tail"),
    ("user_account", "username"), ("user_account", "password_hash"),
    ("user_account", "display_name"),
    ("one_time_token", "token_hash"),
    ("alembic_version", "version_num"),
}
# Reference tables: their names (of funds, programmes, places) are not about a person, so her
# name is not replaced there (a fund "2026 金花助学金" keeps its name when 金花 is erased).
NAME_SKIP_TABLES = {"region", "fund", "programme", "activity"}
# The end reason written on the relationships her erasure ends.
ERASE_END_REASON = "本人申请删除个人信息"
# Categories deleted when her person row is kept as a stub (the rest stays, scrubbed).
ANON_DELETE = {"consent_record", "notification", "unmatched_mentee", "activity_signup",
               "progress_note_as_student", "donor_letter_as_student", "donor_letter_as_donor"}
# Categories she shares with other people: any of them keeps her person row as a stub.
SHARED = {"pairing", "sponsorship_as_student", "pledge", "sponsorship_as_donor",
          "service_assignment", "donor_letter_as_student", "donor_letter_as_donor"}
# Free-text personal fields of each profile, cleared when the person row is kept.
PROFILE_PERSONAL = {
    "volunteer": {"skills": ""},
    "mentor": {"organisation": "", "experience": "", "specialty": ""},
    "mentee": {"needs": "", "school": "", "major": ""},
    "spring_bud": {"school": "", "guardian_name": "", "guardian_mobile": None,
                   "hardship_note": "", "alias": ""},
    "donor": {"organisation": "", "display_name": ""},
}


def anon_label(person_id: int) -> str:
    return f"{ANON_PREFIX}{person_id}"


def is_erased(person: Person) -> bool:
    return person.name.startswith(ANON_PREFIX)


def _shared(sections: list[tuple[str, list]]) -> bool:
    """Whether she shares rows with other people (a progress note of a girl with a donor
    comes with a sponsorship row, which is never deleted)."""
    return any(rows for name, rows in sections if name in SHARED)


@dataclass
class _Live:
    """Her live relationships, which erasure ends first."""
    pairings: list[Pairing]
    as_student: list[Sponsorship]
    pledges: list[Pledge]  # all her pledges: their live sponsorships end
    as_donor: list[Sponsorship]
    active_pledges: list[Pledge]
    assignments: list[ServiceAssignment]

    @property
    def lines(self) -> list[tuple[str, int, str]]:
        out = [
            ("pairing", len(self.pairings),
             _("进行中的结对结束（原因：%(reason)s），导师的名额释放", reason=ERASE_END_REASON)),
            ("sponsorship_as_student", len(self.as_student),
             _("进行中或待确认的春蕾结对结束（原因：%(reason)s）", reason=ERASE_END_REASON)),
            ("sponsorship_as_donor", len(self.as_donor),
             _("她资助的结对结束，受助学生标记为资助中断、重新等待捐助人")),
            ("pledge", len(self.active_pledges), _("她的捐助承诺结束")),
            ("service_assignment", len(self.assignments),
             _("她的服务派单结束，服务需求重新开放，等待其他志愿者")),
        ]
        return [line for line in out if line[1]]


def _live(h: Holdings) -> _Live:
    pairs = [x for x in _pairings(h) if x.status == "active"]
    as_student = _rows(select(Sponsorship).where(
        Sponsorship.student_id == h.spring_bud_id, Sponsorship.status.in_(sponsorships.LIVE))
        .order_by(Sponsorship.id)) if h.spring_bud_id else []
    her_pledges = _rows(select(Pledge).where(Pledge.donor_id == h.donor_id)
                        .order_by(Pledge.id)) if h.donor_id else []
    as_donor = _rows(select(Sponsorship).where(
        Sponsorship.pledge_id.in_([x.id for x in her_pledges]),
        Sponsorship.status.in_(sponsorships.LIVE)).order_by(Sponsorship.id)) \
        if her_pledges else []
    assignments = _rows(select(ServiceAssignment).where(
        ServiceAssignment.volunteer_id == h.volunteer_id, ServiceAssignment.status == "active")
        .order_by(ServiceAssignment.id)) if h.volunteer_id else []
    return _Live(pairs, as_student, her_pledges, as_donor,
                 [x for x in her_pledges if x.status == "active"], assignments)


def _end_relationships(user: User, h: Holdings) -> None:
    """End her live relationships the way the services do, so that the other side is
    free again: a mentor gets her place back, a girl waits for a sponsor again (flagged),
    a service request opens again for another volunteer."""
    live = _live(h)
    for pairing in live.pairings:
        pairings.close_pairing(user=user, pairing=pairing, status="ended",
                               reason=ERASE_END_REASON)
    for sp in live.as_student:
        sponsorships._finish(sp, ERASE_END_REASON)
    day = today()
    for pledge in live.active_pledges:
        db.session.execute(
            update(Pledge).where(Pledge.id == pledge.id, Pledge.status == "active")
            .values(status="ended", ends_on=func.coalesce(Pledge.ends_on, day))
            .execution_options(synchronize_session=False))
        db.session.expire(pledge)
    for pledge in live.pledges:
        pledges._release(pledge, day, ERASE_END_REASON)
    if live.assignments:
        service_requests.end_assignments_of(h.profiles["volunteer"])
    db.session.flush()


# ------------------------------------------------------------------------------- erasure


@dataclass
class PlanLine:
    what: str
    count: int
    action: str  # "delete" | "anonymise" | "keep" | "scrub"
    why: str


@dataclass
class ErasePlan:
    person_id: int
    label: str
    anonymise: bool
    reasons: list[str] = field(default_factory=list)
    lines: list[PlanLine] = field(default_factory=list)
    scrubbed: dict[str, int] = field(default_factory=dict)  # table.column → rows changed
    done: bool = False


def _needles(person: Person) -> list[str]:
    out = [person.name] if person.name and not is_erased(person) else []
    if person.mobile:
        out.append(person.mobile)
    if person.id_cipher:
        number = vault().decrypt(person.id_cipher)
        out += [number] + ([number.lower()] if number.lower() != number else [])
    return [n for n in out if n]


def plan_erase(user: User, person: Person) -> ErasePlan:
    """What erasing her would delete, anonymise or keep, and why (nothing is written)."""
    get_person(user, person.id)
    if is_erased(person):
        raise DomainError(_("此人员的信息已删除或匿名化"))
    h = _holdings(person)
    sections = _sections(h)
    shared = _shared(sections)
    anonymise = h.financial or shared
    plan = ErasePlan(person.id, anon_label(person.id), anonymise=anonymise)
    if h.financial:
        plan.reasons.append(_("有资助、发放或捐款记录，财务档案须按会计档案规定保留："
                              "姓名、身份证号、手机号等改为匿名，金额与日期保留"))
    if shared:
        plan.reasons.append(_("与他人的结对/资助记录须保留：她的姓名、身份证号、手机号等"
                              "改为匿名，这些记录保留，进行中的先结束"))
    if not anonymise:
        plan.reasons.append(_("没有财务记录：人员及其全部记录将被删除"))
    for what, count, why in _live(h).lines:
        plan.lines.append(PlanLine(what, count, "end", why))
    fin = {"award", "disbursement", "donation", "sponsorship_payment"}
    others = {"service_request_as_beneficiary", "notification_about_her"}
    for name, rows in sections:
        if not rows:
            continue
        if name in fin:
            plan.lines.append(PlanLine(name, len(rows), "keep",
                                       _("财务记录须保留（不含个人信息）")))
        elif name in others:
            plan.lines.append(PlanLine(name, len(rows), "keep",
                                       _("他人的记录保留，其中她的姓名、手机号等被替换")))
        elif name == "user_account":
            plan.lines.append(PlanLine(name, len(rows), "anonymise",
                                       _("账号停用并改名，不能再登录")))
        elif not anonymise or name in ANON_DELETE:
            plan.lines.append(PlanLine(name, len(rows), "delete", _("删除")))
        elif name.startswith("profile_"):
            plan.lines.append(PlanLine(name, len(rows), "anonymise",
                                       _("保留登记类别以对应保留的记录，清除其中的个人信息")))
        elif name == "application" and h.financial:
            plan.lines.append(PlanLine(name, len(rows), "keep",
                                       _("资助申请是发放的依据，随财务档案保留（备注清除）")))
        else:
            plan.lines.append(PlanLine(name, len(rows), "keep",
                                       _("与他人共有的记录保留，其中她的姓名等被替换")))
    plan.lines.append(PlanLine("person", 1, "anonymise" if anonymise else "delete",
                               "；".join(plan.reasons)))
    plan.lines.append(PlanLine(_("所有表中的文字"), 0, "scrub",
                               _("其他记录（如给对方的通知、备注、审计日志）中出现的姓名、"
                                 "身份证号、手机号改为“%(label)s”；地区、资金、项目、活动"
                                 "的名称不改", label=plan.label)))
    return plan


def _replace_deep(value: object, needles: list[str], label: str) -> object:
    if isinstance(value, str):
        for n in needles:
            value = value.replace(n, label)
        return value
    if isinstance(value, list):
        return [_replace_deep(v, needles, label) for v in value]
    if isinstance(value, dict):
        return {_replace_deep(k, needles, label): _replace_deep(v, needles, label)
                for k, v in value.items()}
    return value


def text_columns():
    """(table, column, is_json) for every String/Text/JSON column of every table."""
    for table in db.metadata.sorted_tables:
        for col in table.columns:
            if isinstance(col.type, JSON):
                yield table, col, True
            elif isinstance(col.type, String | Text):
                yield table, col, False


def _like_patterns(needles: list[str], is_json: bool) -> list[str]:
    pats = set(needles)
    if is_json:  # a JSON serialiser may escape non-ASCII characters
        pats |= {json.dumps(n)[1:-1] for n in needles}
    return sorted(pats)


def scrub(needles: list[str], label: str, *, skip=SCRUB_SKIP,
          skip_tables=frozenset()) -> dict[str, int]:
    """Replace every occurrence of the needles in every text and JSON column by the label
    (but in the columns of ``skip`` and the tables of ``skip_tables``)."""
    changed: dict[str, int] = {}
    if not needles:
        return changed
    db.session.flush()
    for table, col, is_json in text_columns():
        if (table.name, col.name) in skip or table.name in skip_tables:
            continue
        pk = list(table.primary_key.columns)
        target = cast(col, Text) if is_json else col
        pats = _like_patterns(needles, is_json)
        cond = or_(*(target.like(f"%{p}%", escape="\\") for p in
                     (x.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                      for x in pats)))
        rows = db.session.execute(select(*pk, col).where(cond)).all()
        for row in rows:
            value = row[-1]
            new = _replace_deep(value, needles, label)
            if not is_json and isinstance(value, str) and value in needles and col.nullable:
                new = None  # a column holding only the number (a mobile): emptied
            elif isinstance(new, str) and getattr(col.type, "length", None):
                new = new[: col.type.length]
            db.session.execute(update(table).where(*(c == row[i] for i, c in enumerate(pk)))
                               .values({col.name: new}))
            changed[f"{table.name}.{col.name}"] = changed.get(f"{table.name}.{col.name}", 0) + 1
    return changed


def _anonymise(h: Holdings, label: str) -> None:
    p = h.person
    p.name, p.name_pinyin, p.name_initials = label, "", ""
    p.mobile = p.id_cipher = p.id_hash = p.id_tail = None
    # The birth year is kept (age statistics of past years' reports), not the day.
    p.birth_date = date(p.birth_date.year, 1, 1) if p.birth_date else None
    p.note, p.household, p.status = "", "", "inactive"
    for kind, prof in h.profiles.items():
        for attr, value in PROFILE_PERSONAL.get(kind, {}).items():
            setattr(prof, attr, value)
        if kind == "volunteer":
            prof.status = "archived"
        elif prof.status != "inactive":
            prof.status = "inactive"
    for app in _rows(select(Application).where(Application.person_id == p.id)):
        app.note = ""
    # Everything that is not part of the financial record goes.
    _release_signups(h)
    for name, rows in _sections(h):
        if name in ANON_DELETE:
            for row in rows:
                db.session.delete(row)
    for row in _rows(select(ServiceHours).where(ServiceHours.volunteer_id == h.volunteer_id)) \
            if h.volunteer_id else []:
        row.description = ""
    for pairing in _pairings(h):
        if pairing.end_reason != ERASE_END_REASON:
            pairing.end_reason = ""


def _release_signups(h: Holdings) -> None:
    """Her confirmed sign-ups, about to be deleted, give their places back."""
    if not h.volunteer_id:
        return
    for signup in _rows(select(ActivitySignup).where(
            ActivitySignup.volunteer_id == h.volunteer_id,
            ActivitySignup.status == "confirmed")):
        db.session.execute(update(Activity).where(Activity.id == signup.activity_id,
                                                  Activity.filled > 0)
                           .values(filled=Activity.filled - 1))


def _delete_all(h: Holdings) -> None:
    p = h.person
    # Rows whose foreign keys do not cascade, deepest first; counters kept right.
    pairings = _pairings(h)
    for pairing in pairings:
        if pairing.status == "active":
            db.session.execute(update(MentorProfile).where(MentorProfile.id == pairing.mentor_id)
                               .values(active_pairings=MentorProfile.active_pairings - 1))
        db.session.delete(pairing)  # its follow-ups cascade
    db.session.flush()
    for prop in _proposals(h):
        db.session.execute(update(Pairing).where(Pairing.proposal_id == prop.id)
                           .values(proposal_id=None))
        db.session.delete(prop)
    db.session.execute(delete(UnmatchedMentee).where(UnmatchedMentee.person_id == p.id))
    for app in _rows(select(Application).where(Application.person_id == p.id)):
        db.session.execute(update(Application).where(Application.carried_from_id == app.id)
                           .values(carried_from_id=None))
        db.session.delete(app)
    _release_signups(h)
    for name, rows in _sections(h):
        if name in {"consent_record", "notification"} or name.startswith("profile_"):
            for row in rows:
                db.session.delete(row)
    db.session.flush()
    db.session.delete(p)  # the rest cascades in the database
    db.session.flush()


def erase_person(user: User, person: Person, reason: str, *, dry_run: bool = False) -> ErasePlan:
    """Erase her on request (see the module doc). ``dry_run`` returns the plan only."""
    reason = (reason or "").strip()
    plan = plan_erase(user, person)
    if dry_run:
        return plan
    if not reason:
        raise DomainError(_("请填写删除的依据（例如本人申请的日期）"), field="reason")
    return _erase(user, person, reason[:200], plan)


def _erase(user: User, person: Person, reason: str, plan: ErasePlan) -> ErasePlan:
    h = _holdings(person)
    needles = _needles(person)
    label = plan.label
    pid = person.id
    _end_relationships(user, h)
    for account in _rows(select(User).where(User.person_id == pid)):
        account.active = False
        account.display_name = label
        account.username = f"erased-{account.id}"
        db.session.execute(delete(OneTimeToken).where(OneTimeToken.user_id == account.id))
    if plan.anonymise:
        _anonymise(h, label)
        db.session.flush()
    else:
        _delete_all(h)
    # Her mobile and ID number are unambiguous: replaced everywhere. Her name only outside
    # the reference tables (a fund or a place may be named like her).
    names = [n for n in needles if n == person.name]
    plan.scrubbed = scrub([n for n in needles if n not in names], label)
    for key, n in scrub(names, label, skip_tables=NAME_SKIP_TABLES).items():
        plan.scrubbed[key] = plan.scrubbed.get(key, 0) + n
    db.session.expire_all()  # the scrub wrote past the ORM
    audit.record("erase", target_type="person", target_id=pid,
                 reason=_replace_deep(reason, needles, label),
                 anonymised=plan.anonymise)
    db.session.flush()
    plan.done = True
    return plan
