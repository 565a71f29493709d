"""Progress notes (学期进展): a term's news of a 春蕾 girl for her donor.

A coordinator of the girl's region writes a draft; a *different* coordinator approves it
(four eyes — the writer can never publish her own note, an admin neither); an approved
note can be withdrawn. Only approved notes ever reach a donor (``approved_for``).

A donor may know the girl only by a pseudonym, so a note must not carry anything that
identifies or reaches her: her full name, her school, a guardian's name, a mobile or an
ID number. ``check_private`` refuses such text with a message naming what it found; the
letters moderation uses the same guard.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from matchmaker.extensions import db
from matchmaker.models import Person, ProgressNote, Region, SpringBudProfile, User
from matchmaker.models.base import utcnow
from matchmaker.services.errors import DomainError, NotFound
from matchmaker.services.scope import in_scope, region_filter, require_registry_role
from matchmaker.services.terms import (
    parse_term,
    term_key,
    term_label,
)
from matchmaker.services.validation import clean_text

NOTE_MAX = 1000
RECENT_APPROVED = 20


# ---------------------------------------------------------------- the privacy guard

# Text is compared after Unicode NFKC (full-width letters and digits, compatibility forms
# become plain ones). Names, school and village names are then compared with every
# punctuation mark, space, symbol, mark and invisible character dropped (李\u200b小花,
# 李-小花, 李、小花 are all 李小花); numbers with Chinese numerals read as digits
# (一三八…, 二〇一四) and a short run of separators between digits ignored
# (138.1234.5678, 138–1234–5678, 138/1234/5678).
_DROPPED_CATEGORIES = ("P", "Z", "S", "M", "C")
_CN_DIGITS = str.maketrans("〇零○幺一二三四五六七八九壹贰叁肆伍陆柒捌玖两",
                           "0001123456789123456789" "2")
_CN_TENS = re.compile(r"([一二三四五六七八九])?十([一二三四五六七八九])?")
_CN_VALUE = {c: i for i, c in enumerate("〇一二三四五六七八九")}
_DIGIT_SEPARATORS = re.compile(r"(?<=[0-9])[\W_]{1,3}(?=[0-9]|[Xx](?![0-9A-Za-z]))")
_ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
_OLD_ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{15}(?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86)?1[3-9][0-9]{9}(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9])0[1-9][0-9]{1,2}-?[2-9][0-9]{6,7}(?![0-9])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_HANDLE = re.compile(r"(微信|vx|wx|qq|扣扣|weixin|wechat)[号:：\s]*[A-Za-z0-9_\-]{5,}",
                     re.IGNORECASE)
# A door number after a street, a village or a village group (某村12号, 郭店村3组12号),
# a group of a village (3组12号) or a building (18幢, 302室). "9月3号" is a date, not this.
_ADDRESS = re.compile(r"([路街巷弄村组队里]\s*[0-9]+\s*号)"
                      r"|([0-9]+\s*(幢|栋|室))"
                      r"|(村\s*[0-9]+\s*组)")
# Dates, read from the digit form of the text: 2014年5月1日, 2014年5月, 5月1日, 2014-05-01,
# 2014.5.1, 2014/5/1. A date is hers (a birth date) when a birth word stands near it.
_DATE = re.compile(r"(?<![0-9])(?:(?P<y>(?:19|20)[0-9]{2})\s*年\s*)?(?P<m>[0-9]{1,2})\s*月"
                   r"(?:\s*(?P<d>[0-9]{1,2})\s*[日号])?"
                   r"|(?<![0-9])(?P<y2>(?:19|20)[0-9]{2})\s*年"
                   r"|(?<![0-9.])(?P<y3>(?:19|20)[0-9]{2})\s*(?P<s>[-./])\s*(?P<m3>[0-9]{1,2})"
                   r"(?:\s*(?P=s)\s*(?P<d3>[0-9]{1,2}))?(?![0-9])")
_BIRTH_WORDS = re.compile(r"出生|生日(?!快乐)|生于|出世|诞生|生辰|降生|来到世上")
_BIRTH_WINDOW = 8
_CLAUSE_BREAK = re.compile(r"[。！？；!?;，,\n]")
_PLACE_SUFFIX = re.compile(r"(?:自治县|自治州|街道|社区|省|市|县|区|镇|乡|村)$")
_SCHOOL_KINDS = {  # the kind at the end of a school's name → what it is also called
    "中心小学": ("中心小学", "小学"), "完全小学": ("完全小学", "小学"), "小学": ("小学",),
    "初级中学": ("初级中学", "初中", "中学"), "高级中学": ("高级中学", "高中", "中学"),
    "中学": ("中学",), "初中": ("初中", "中学"), "学校": ("学校",),
}


def _compact(text: str) -> str:
    """For names: NFKC, then without punctuation, spaces, symbols, marks and invisible
    characters."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text or "")
                   if not unicodedata.category(ch).startswith(_DROPPED_CATEGORIES))


def _tens(match: re.Match) -> str:
    tens = _CN_VALUE[match.group(1)] if match.group(1) else 1
    ones = _CN_VALUE[match.group(2)] if match.group(2) else 0
    return str(tens * 10 + ones)


def _numeric(text: str) -> str:
    """NFKC, with Chinese numerals as digits (二〇一四年五月十二日 → 2014年5月12日)."""
    plain = unicodedata.normalize("NFKC", text or "")
    return _CN_TENS.sub(_tens, plain).translate(_CN_DIGITS)


def _digits_joined(text: str) -> str:
    return _DIGIT_SEPARATORS.sub("", _numeric(text))


def check_contacts(text: str, *, field: str) -> None:
    """Refuse text carrying a phone number, an ID number, an e-mail or chat account, or a
    street address: neither a donor nor a note may pass a way to reach the girl."""
    plain = unicodedata.normalize("NFKC", text)
    compact = _digits_joined(text)
    if _ID_NUMBER.search(compact) or _OLD_ID_NUMBER.search(compact):
        raise DomainError(_("内容中有身份证号码，请删去"), field=field)
    if _MOBILE.search(compact):
        raise DomainError(_("内容中有手机号码，请删去"), field=field)
    if _LANDLINE.search(compact):
        raise DomainError(_("内容中有电话号码，请删去"), field=field)
    if _EMAIL.search(plain):
        raise DomainError(_("内容中有电子邮箱地址，请删去"), field=field)
    if _HANDLE.search(plain):
        raise DomainError(_("内容中有微信号或QQ号，请删去"), field=field)
    if _ADDRESS.search(_numeric(text)):
        raise DomainError(_("内容中有像是住址的文字（门牌号），请删去"), field=field)


def _regions_of(student: SpringBudProfile) -> list:
    region = student.person.region if student.person else None
    out = []
    while region is not None:
        out.append(region)
        region = region.parent
    return out


def _place_names(region) -> list[str]:
    """A place's name in full and without its 市/县/镇/村… (盐官镇, 盐官)."""
    full = _compact(region.name)
    short = _PLACE_SUFFIX.sub("", full)
    return [n for n in dict.fromkeys((full, short)) if len(n) >= 2]


def _school_forms(student: SpringBudProfile) -> set[str]:
    """Her school's name as written in full, without the places in front (海宁市盐官镇中心
    小学 → 盐官镇中心小学), with a place's short name (盐官中心小学) and as the place's
    school of its kind (盐官小学)."""
    school = _compact(student.school or "")
    if len(school) < 2:
        return set()
    forms = {school}
    regions = _regions_of(student)
    higher = [n for r in regions if r.level not in ("town", "village") for n in _place_names(r)]
    local = [names for r in regions if r.level in ("town", "village")
             for names in [_place_names(r)] if names]
    # Without the city or county in front.
    rest = school
    stripped = True
    while stripped:
        stripped = False
        for prefix in sorted(higher, key=len, reverse=True):
            if rest.startswith(prefix) and len(rest) - len(prefix) >= 4:
                rest = rest[len(prefix):]
                forms.add(rest)
                stripped = True
                break
    kind = next((k for k in sorted(_SCHOOL_KINDS, key=len, reverse=True)
                 if rest.endswith(k)), None)
    for names in local:
        full = names[0]
        if not rest.startswith(full):
            continue
        middle = rest[len(full):len(rest) - len(kind)] if kind else rest[len(full):]
        for name in names:
            if kind is None:
                forms.add(name + middle)
                continue
            for alias in _SCHOOL_KINDS[kind]:
                forms.add(name + middle + alias)
                forms.add(name + alias)  # 盐官小学: the town's school of her kind
    return {f for f in forms if len(f) >= 4 and f not in _SCHOOL_KINDS}


def _birth_date_in(text: str, student: SpringBudProfile) -> bool:
    """A date with a birth word next to it, or her own birth date in any form."""
    numeric = _numeric(text)
    birth = student.person.birth_date if student.person else None
    for m in _DATE.finditer(numeric):
        year = m.group("y") or m.group("y2") or m.group("y3")
        month = m.group("m") or m.group("m3")
        day = m.group("d") or m.group("d3")
        # A few characters either side, within the same clause.
        before = _CLAUSE_BREAK.split(numeric[max(m.start() - _BIRTH_WINDOW, 0):m.start()])[-1]
        after = _CLAUSE_BREAK.split(numeric[m.end():m.end() + _BIRTH_WINDOW])[0]
        if (year or day) and _BIRTH_WORDS.search(before + m.group(0) + after):  # not "三月"
            return True
        if birth is not None and year and month and day and (
                (int(year), int(month), int(day)) == (birth.year, birth.month, birth.day)):
            return True
    return False


def check_private(text: str, student: SpringBudProfile, *, field: str) -> None:
    """Refuse text a donor will read if it names the girl in full, her school, her
    guardian or her village, gives her birth date, or carries contact details (see
    ``check_contacts``)."""
    compact = _compact(text)
    full_name = _compact(student.person.name if student.person else "")
    if len(full_name) >= 2 and full_name in compact:
        raise DomainError(_("内容中有学员的全名，捐助人只能看到化名或名字，请删去姓氏或改用化名"),
                          field=field)
    if any(form in compact for form in _school_forms(student)):
        raise DomainError(_("内容中有学员的学校名称，请删去"), field=field)
    guardian = _compact(student.guardian_name or "")
    if len(guardian) >= 2 and guardian in compact:
        raise DomainError(_("内容中有监护人的姓名，请删去"), field=field)
    villages = [_compact(r.name) for r in _regions_of(student) if r.level == "village"]
    if any(len(v) >= 2 and v in compact for v in villages):
        raise DomainError(_("内容中有学员所在村（社区）的名称，请删去"), field=field)
    if _birth_date_in(text, student):
        raise DomainError(_("内容中有学员的出生日期，捐助人只能知道年龄段，请删去"), field=field)
    check_contacts(text, field=field)


def clean_note(raw: str | None, student: SpringBudProfile, *, field: str = "body") -> str:
    body = clean_text(raw, field=field, label=_("进展内容"), max_length=NOTE_MAX, required=True)
    if len(body) < 10:
        raise DomainError(_("进展内容太短，请至少写 10 个字"), field=field)
    check_private(body, student, field=field)
    return body


# ---------------------------------------------------------------- lookups


def _girls_in_scope(user: User):
    require_registry_role(user)
    stmt = (select(SpringBudProfile).join(SpringBudProfile.person).join(Person.region)
            .options(contains_eager(SpringBudProfile.person).contains_eager(Person.region)))
    scope = region_filter(user, Region.path)
    if scope is not None:
        stmt = stmt.where(scope)
    return stmt


def students_in_scope(user: User, limit: int = 2000) -> list[SpringBudProfile]:
    """Girls a note may be written for: active 春蕾 students in the user's regions."""
    stmt = (_girls_in_scope(user)
            .where(SpringBudProfile.status == "active", Person.status == "active")
            .order_by(Region.path, Person.name_pinyin, SpringBudProfile.id).limit(limit))
    return list(db.session.scalars(stmt))


def get_student(user: User, student_id: int | None) -> SpringBudProfile:
    require_registry_role(user)
    student = db.session.get(SpringBudProfile, student_id) if student_id else None
    if student is None or not in_scope(user, student.person.region):
        raise NotFound(_("找不到这名春蕾学员，或不在您负责的地区内"), field="student")
    return student


def get_note(user: User, note_id: int) -> ProgressNote:
    require_registry_role(user)
    note = db.session.get(ProgressNote, note_id)
    if note is None or not in_scope(user, note.student.person.region):
        raise NotFound(_("找不到这份学期进展，或不在您负责的地区内"))
    return note


def _notes_in_scope(user: User):
    require_registry_role(user)
    stmt = (select(ProgressNote).join(ProgressNote.student).join(SpringBudProfile.person)
            .join(Person.region)
            .options(contains_eager(ProgressNote.student).contains_eager(SpringBudProfile.person)
                     .contains_eager(Person.region)))
    scope = region_filter(user, Region.path)
    if scope is not None:
        stmt = stmt.where(scope)
    return stmt


def to_approve(user: User) -> list[ProgressNote]:
    """Drafts in the user's regions that she may approve: everyone's but her own."""
    stmt = (_notes_in_scope(user)
            .where(ProgressNote.status == "draft",
                   (ProgressNote.written_by != user.id) | ProgressNote.written_by.is_(None))
            .order_by(ProgressNote.created_at, ProgressNote.id))
    return list(db.session.scalars(stmt))


def my_drafts(user: User) -> list[ProgressNote]:
    """Her own drafts, waiting for a colleague to approve them."""
    stmt = (_notes_in_scope(user)
            .where(ProgressNote.status == "draft", ProgressNote.written_by == user.id)
            .order_by(ProgressNote.created_at.desc(), ProgressNote.id.desc()))
    return list(db.session.scalars(stmt))


def recent_approved(user: User, limit: int = RECENT_APPROVED) -> list[ProgressNote]:
    stmt = (_notes_in_scope(user).where(ProgressNote.status == "approved")
            .order_by(ProgressNote.approved_at.desc(), ProgressNote.id.desc()).limit(limit))
    return list(db.session.scalars(stmt))


def approved_for(student: SpringBudProfile) -> list[ProgressNote]:
    """The notes a donor of this girl may read: approved ones only, newest term first.
    (The caller decides whether the donor may see the girl at all.)"""
    notes = db.session.scalars(select(ProgressNote).where(
        ProgressNote.student_id == student.id, ProgressNote.status == "approved"))
    return sorted(notes, key=lambda n: (term_key(n.term), n.id), reverse=True)


# ---------------------------------------------------------------- writes


def write(*, user: User, student: SpringBudProfile, term: str, body: str) -> ProgressNote:
    """A draft note for a girl in the user's regions; one live note per girl and term."""
    require_registry_role(user)
    if not in_scope(user, student.person.region):
        raise NotFound(_("找不到这名春蕾学员，或不在您负责的地区内"), field="student")
    term = parse_term(term)
    body = clean_note(body, student)
    live = db.session.scalar(select(ProgressNote.id).where(
        ProgressNote.student_id == student.id, ProgressNote.term == term,
        ProgressNote.status.in_(("draft", "approved"))).limit(1))
    if live is not None:
        raise DomainError(_("这名学员%(term)s已有一份待审核或已发布的进展；"
                            "如需重写，请先撤下原来的", term=term_label(term)), field="term")
    note = ProgressNote(student_id=student.id, term=term, body=body, status="draft",
                        written_by=user.id)
    db.session.add(note)
    db.session.flush()
    return note


def approve(*, user: User, note: ProgressNote) -> ProgressNote:
    """Publish a draft to the girl's donor. Four eyes: never by the one who wrote it."""
    require_registry_role(user)
    if not in_scope(user, note.student.person.region):
        raise NotFound(_("找不到这份学期进展，或不在您负责的地区内"))
    if note.status != "draft":
        raise DomainError(_("只有待审核的进展可以批准"))
    if note.written_by == user.id:
        raise DomainError(_("不能批准自己写的进展，请由另一位工作人员审核（双人把关）"))
    # The text is checked again: her name or school may have been recorded since.
    check_private(note.body, note.student, field="body")
    note.status = "approved"
    note.approved_by = user.id
    note.approved_at = utcnow()
    db.session.flush()
    return note


def withdraw(*, user: User, note: ProgressNote) -> ProgressNote:
    """Take an approved note back from the donor's view (or set a draft aside, so that
    the term's note can be written again)."""
    require_registry_role(user)
    if not in_scope(user, note.student.person.region):
        raise NotFound(_("找不到这份学期进展，或不在您负责的地区内"))
    if note.status not in ("draft", "approved"):
        raise DomainError(_("这份进展已经撤下"))
    note.status = "withdrawn"
    db.session.flush()
    return note
