"""Importing a registry from a spreadsheet (花名册): map the headers, check every row,
find the people already on file, then create, update or skip.

A dry run and a commit run the same code; the dry run only never writes (it validates and
looks people up, nothing else), so what it reports is what the commit will do. A commit
writes in batches (a flush every ``BATCH`` rows) inside one savepoint of the caller's
transaction: the request (or the CLI command) commits once. With ``all_or_nothing`` a
single problem rolls the savepoint back and nothing is written.

People are written here directly rather than through ``people.create_person`` (which
flushes and queries once per person): the checks are the same parsers
(``services.validation``), and people are looked up 500 rows at a time.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from matchmaker.extensions import db
from matchmaker.models import PROFILE_MODELS, Person, Region, User
from matchmaker.models.profiles import VOLUNTEER_TEAMS
from matchmaker.services import audit
from matchmaker.services.clock import today
from matchmaker.services.errors import DomainError
from matchmaker.services.exports import FORMULA_START
from matchmaker.services.pinyin import name_keys
from matchmaker.services.privacy import mask_id_tail, mask_mobile, vault
from matchmaker.services.registries import BY_KEY
from matchmaker.services.registry_columns import (
    MULTI_SEPARATORS,
    NO,
    PERSON_COLUMNS,
    YES,
    Column,
    columns_for,
    header_index,
    normalise_header,
)
from matchmaker.services.scope import require_registry_role, scope_paths
from matchmaker.services.spreadsheets import Cell, Table, UnreadableFile
from matchmaker.services.validation import (
    clean_name,
    clean_text,
    parse_date,
    parse_id_number,
    parse_mobile,
)

BATCH = 500
# Person columns that only count when she has no ID number (else they come from it).
_FROM_ID = ("gender", "birth_date")


class BadHeaders(UnreadableFile):
    """The header row cannot be mapped: nothing is imported. ``messages`` lists each."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("；".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    value: str
    reason: str


@dataclass
class ImportReport:
    registry: str  # the registry key
    committed: bool = False  # a commit (not a dry run)
    written: bool = False  # the commit wrote its rows (False: dry run or all-or-nothing)
    all_or_nothing: bool = False
    rows: int = 0  # data rows read (blank rows not counted)
    created: int = 0
    updated: int = 0
    skipped: int = 0  # already on file, nothing differs
    problems: list[Problem] = field(default_factory=list)
    # (row number, "create" | "update" | "skip" | "error"), in file order.
    actions: list[tuple[int, str]] = field(default_factory=list)

    @property
    def problem_rows(self) -> int:
        return len({p.row for p in self.problems})

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class MappedColumn:
    index: int  # position in the file
    header: str  # as typed in the file
    column: Column


@dataclass
class _Row:
    number: int
    person: dict[str, object]  # given person values (region as a Region)
    profile: dict[str, object]  # given profile values
    id_number: str | None = None
    id_hash: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # column key → file header


# --- headers -----------------------------------------------------------------------------

def map_headers(key: str, headers: list[str]) -> list[MappedColumn]:
    """Every header of the file → its column; unknown, doubled or missing columns refuse
    the whole file (``BadHeaders``)."""
    index = header_index(key)
    accepted = {}  # normalised → the header as we write it
    for column in columns_for(key):
        for h in column.headers:
            accepted.setdefault(normalise_header(h), h)
    messages: list[str] = []
    mapped: list[MappedColumn] = []
    seen: dict[str, str] = {}
    for i, raw in enumerate(headers):
        norm = normalise_header(raw)
        if not norm:
            continue  # a blank header: an empty column at the edge of the sheet
        column = index.get(norm)
        if column is None:
            near = difflib.get_close_matches(norm, list(accepted), n=1, cutoff=0.5)
            if near:
                messages.append(_("未知的列“%(header)s”，是不是“%(near)s”？",
                                  header=str(raw).strip(), near=accepted[near[0]]))
            else:
                messages.append(_("未知的列“%(header)s”。本登记册的列有：%(known)s",
                                  header=str(raw).strip(),
                                  known="、".join(c.header for c in columns_for(key))))
            continue
        if column.key in seen:
            messages.append(_("列“%(a)s”与“%(b)s”是同一列，请只保留一列",
                              a=seen[column.key], b=str(raw).strip()))
            continue
        seen[column.key] = str(raw).strip()
        mapped.append(MappedColumn(i, str(raw).strip(), column))
    for column in columns_for(key):
        if column.required and column.key not in seen:
            messages.append(_("缺少必填的列“%(header)s”", header=column.header))
    if messages:
        raise BadHeaders(messages)
    return mapped


# --- regions -----------------------------------------------------------------------------

_REGION_SEPARATORS = re.compile(r"[\s/／>＞,，、·\-]+")


class _Regions:
    """The regions the user may register people in, by code and by names ("盐官镇 郭店村",
    "海宁市盐官镇郭店村", or a village name alone when it is unique in her scope)."""

    def __init__(self, user: User) -> None:
        rows = db.session.execute(select(Region.id, Region.code, Region.name, Region.parent_id,
                                         Region.path)).all()
        by_id = {r.id: r for r in rows}
        paths = scope_paths(user)
        self.by_code: dict[str, int] = {}
        self.by_name: dict[str, set[int]] = {}
        for r in rows:
            if paths is not None and not any(r.path.startswith(p) for p in paths):
                continue
            self.by_code[r.code] = r.id
            chain = []
            node = r
            while node is not None:
                chain.append(node.name)
                node = by_id.get(node.parent_id)
            chain.reverse()
            for start in range(len(chain)):  # every tail of the chain: 郭店村, 盐官镇郭店村 …
                self.by_name.setdefault("".join(chain[start:]), set()).add(r.id)
        self._objects: dict[int, Region] = {}
        self._cache: dict[str, int | str] = {}

    def region(self, region_id: int) -> Region:
        if region_id not in self._objects:
            self._objects[region_id] = db.session.get(Region, region_id)
        return self._objects[region_id]

    def resolve(self, text: str) -> Region:
        found = self._cache.get(text)
        if found is None:
            found = self._lookup(text)
            self._cache[text] = found
        if isinstance(found, str):
            raise DomainError(found)
        return self.region(found)

    def _lookup(self, text: str) -> int | str:
        compact = _REGION_SEPARATORS.sub("", text)
        if compact.isdigit():
            return self.by_code.get(compact) or _("地区不存在或不在您负责的范围内")
        ids = self.by_name.get(compact, set())
        if len(ids) == 1:
            return next(iter(ids))
        if len(ids) > 1:
            return _("有多个地区叫“%(name)s”，请写上镇（街道）名，如“盐官镇 郭店村”", name=text)
        return _("地区不存在或不在您负责的范围内")


# --- cells -------------------------------------------------------------------------------

def _text_of(cell: Cell) -> str:
    """A cell's text; a whole number stored as a number loses its ".0"."""
    raw = cell.raw
    if cell.kind == "number" and isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if cell.kind == "number" and isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    text = (cell.value or "").strip()
    # Our exports put a quote before text a spreadsheet could take for a formula
    # (exports.safe_text); reading it back, the quote goes again.
    if text[:1] == "'" and text[1:2] in FORMULA_START:
        text = text[1:]
    return text


def _shown(column: Column, value: str) -> str:
    """A value as a report shows it: personal numbers masked, long text cut."""
    if not value:
        return ""
    if column.kind == "id":
        return mask_id_tail(value[-4:]) if len(value) > 4 else "****"
    if column.kind == "mobile":
        return mask_mobile(value)
    return value if len(value) <= 40 else value[:40] + "…"


@lru_cache(maxsize=4096)
def _name_keys(name: str) -> tuple[str, str]:
    return name_keys(name)


def _choice_map(column: Column) -> dict[str, str]:
    """Every accepted spelling of a choice (code, label, translated label) → its code."""
    found: dict[str, str] = {}
    for code, label in column.choices.items():
        for spelling in (code, label, _(label)):
            found.setdefault(spelling, code)
    return found


def _choice(column: Column, lookup: dict[str, str], text: str) -> str:
    code = lookup.get(text)
    if code is None:
        raise DomainError(_("“%(value)s”不是可选的值，可填：%(allowed)s", value=text,
                            allowed="、".join(column.choices.values())))
    return code


def _parse(column: Column, cell: Cell, text: str, lookup: dict[str, str]):
    """The value of one non-empty cell, or ``DomainError``."""
    kind = column.kind
    if kind == "text":
        if column.key == "name":
            return clean_name(text, max_length=column.max_length)
        return clean_text(text, field=column.key, label=column.header,
                          max_length=column.max_length)
    if kind == "id":
        if cell.kind == "number":
            raise DomainError(_(
                "身份证号被存成了数字，末几位可能已经丢失，请把该列设为文本后重新填写"))
        return parse_id_number(text)
    if kind == "mobile":
        return parse_mobile(text)
    if kind == "date":
        raw = cell.raw
        if cell.kind == "date" and isinstance(raw, datetime):
            return raw.date()
        if cell.kind == "date" and isinstance(raw, date):
            return raw
        if cell.kind == "number":
            raise DomainError(_("日期格式不正确，请按 2025-03-08 或 2025年3月8日 填写"))
        if re.fullmatch(r"\d{4}-\d\d-\d\d([ T]00:00(:00)?)?", text):
            text = text[:10]  # an ISO date, perhaps as a date-time at midnight
        return parse_date(text)
    if kind == "choice":
        return _choice(column, lookup, text)
    if kind == "multi":
        codes = {_choice(column, lookup, part) for part in MULTI_SEPARATORS.split(text) if part}
        return ",".join(c for c in column.choices if c in codes)
    if kind == "int":
        if not re.fullmatch(r"[+-]?\d{1,6}", text):
            raise DomainError(_("请填写整数"))
        number = int(text)
        if not column.low <= number <= column.high:
            raise DomainError(_("应在 %(low)s 到 %(high)s 之间", low=column.low, high=column.high))
        return number
    if kind == "bool":
        if text in YES:
            return True
        if text in NO:
            return False
        raise DomainError(_("请填写“是”或“否”"))
    raise DomainError(_("无法识别的列"))  # region is parsed by the caller


# --- the import --------------------------------------------------------------------------

_EXAMPLE = {c.key: c.example for c in PERSON_COLUMNS}


def _is_template_example(row: _Row) -> bool:
    """The template's example row, left in by mistake: its name with its ID or mobile."""
    return row.person.get("name") == _EXAMPLE["name"] and (
        row.id_number == _EXAMPLE["id_number"] or row.person.get("mobile") == _EXAMPLE["mobile"])


class _Importer:
    def __init__(self, user: User, key: str, table: Table, *, write: bool) -> None:
        require_registry_role(user)
        if key not in BY_KEY:
            raise DomainError(_("未知的登记类型"))
        self.user, self.key, self.table, self.write = user, key, table, write
        self.model = PROFILE_MODELS[key]
        self.columns = map_headers(key, table.headers)
        self.regions = _Regions(user)
        self.paths = scope_paths(user)
        self.vault = vault()
        self.seen_hash: dict[str, int] = {}
        self.seen_name_mobile: dict[str, tuple[int, bool]] = {}
        self.header_of = {m.column.key: m.header for m in self.columns}
        self.choices = {m.column.key: _choice_map(m.column) for m in self.columns}

    # One row → its values, or its problems.
    def parse_row(self, number: int, cells: list[Cell],
                  problems: list[Problem]) -> _Row | None:
        row = _Row(number, {}, {})
        bad = False
        for m in self.columns:
            column = m.column
            cell = cells[m.index] if m.index < len(cells) else Cell(None, "empty")
            text = _text_of(cell)
            try:
                if cell.kind == "formula":
                    raise DomainError(_(
                        "单元格含有公式，请把公式转换为数值（选择性粘贴为数值）后重新导入"))
                if not text or cell.kind == "empty":
                    if column.required:
                        raise DomainError(_("%(label)s不能为空", label=column.header))
                    continue
                if column.kind == "region":
                    value = self.regions.resolve(text)
                else:
                    value = _parse(column, cell, text, self.choices[column.key])
            except DomainError as e:
                problems.append(Problem(number, m.header, _shown(column, text), e.message))
                bad = True
                continue
            if column.kind == "id":
                row.id_number = value.number
                row.id_hash = self.vault.digest(value.number)
                row.person["gender"], row.person["birth_date"] = value.gender, value.birth_date
            elif column.target == "person":
                row.person[column.key] = value
            else:
                row.profile[column.key] = value
        if bad:
            return None
        if _is_template_example(row):
            problems.append(Problem(number, self.header_of.get("name", ""),
                                    str(row.person.get("name")),
                                    _("这是导入模板的示例行，请删除后再导入")))
            return None
        if row.id_number is None:
            birth = row.person.get("birth_date")
            if birth is not None and birth > today():
                problems.append(Problem(number, self.header_of.get("birth_date", ""),
                                        str(birth), _("出生日期不能晚于今天")))
                return None
        if self.key == "spring_bud" and not row.profile.get("guardian_consent"):
            problems.append(Problem(number, self.header_of.get("guardian_consent", ""),
                                    _("否"), _("登记未成年人须先取得监护人同意")))
            return None
        return row

    def _duplicate_of(self, row: _Row) -> int | None:
        """The earlier row of this file that holds the same person, if any. (Keys are kept
        compact: half the hash, one string for name + mobile; 100,000 rows are held.)"""
        mobile = row.person.get("mobile")
        id_key = row.id_hash[:32] if row.id_hash else None
        nm_key = f"{row.person.get('name')}\x00{mobile}" if mobile else None
        if id_key is not None and id_key in self.seen_hash:
            return self.seen_hash[id_key]
        if nm_key is not None and nm_key in self.seen_name_mobile:
            earlier, earlier_has_id = self.seen_name_mobile[nm_key]
            if id_key is None or not earlier_has_id:
                return earlier
        if id_key is not None:
            self.seen_hash[id_key] = row.number
        if nm_key is not None:
            self.seen_name_mobile.setdefault(nm_key, (row.number, id_key is not None))
        return None

    # A batch of valid rows → create, update or skip each.
    def settle(self, rows: list[_Row], report: ImportReport) -> None:
        hashes = [r.id_hash for r in rows if r.id_hash]
        mobiles = {r.person["mobile"] for r in rows if r.person.get("mobile")}
        by_hash: dict[str, Person] = {}
        by_name_mobile: dict[tuple[str, str], Person] = {}
        if hashes:
            for p in db.session.scalars(select(Person).options(joinedload(Person.region))
                                        .where(Person.id_hash.in_(hashes))):
                by_hash[p.id_hash] = p
        if mobiles:
            for p in db.session.scalars(select(Person).options(joinedload(Person.region))
                                        .where(Person.mobile.in_(mobiles))
                                        .order_by(Person.id)):
                by_name_mobile.setdefault((p.name, p.mobile), p)
        matches: dict[int, Person] = {}
        for r in rows:
            person = by_hash.get(r.id_hash) if r.id_hash else None
            if person is None and r.person.get("mobile"):
                candidate = by_name_mobile.get((r.person.get("name"), r.person["mobile"]))
                # With an ID number, only someone on file without one can be her.
                if candidate is not None and (r.id_hash is None or candidate.id_hash is None):
                    person = candidate
            if person is not None:
                matches[r.number] = person
        profiles = {}
        if matches:
            ids = [p.id for p in matches.values()]
            profiles = {pr.person_id: pr for pr in db.session.scalars(
                select(self.model).where(self.model.person_id.in_(ids)))}
        for r in rows:
            person = matches.get(r.number)
            try:
                if person is None:
                    action = self._create(r)
                else:
                    action = self._update(r, person, profiles.get(person.id))
            except DomainError as e:
                report.problems.append(Problem(r.number, e.field or "", "", e.message))
                report.actions.append((r.number, "error"))
                continue
            report.actions.append((r.number, action))
            if action == "create":
                report.created += 1
            elif action == "update":
                report.updated += 1
            else:
                report.skipped += 1
        if self.write:
            db.session.flush()

    def _create(self, r: _Row) -> str:
        if r.person.get("gender") not in ("F", "M"):
            raise DomainError(_("没有身份证号时请填写性别"),
                              field=self.header_of.get("gender") or _("性别"))
        if not self.write:
            return "create"
        name = r.person["name"]
        pinyin, initials = _name_keys(name)
        person = Person(
            status="active", name=name, name_pinyin=pinyin, name_initials=initials,
            gender=r.person["gender"], birth_date=r.person.get("birth_date"),
            mobile=r.person.get("mobile"), region=r.person["region"],
            note=r.person.get("note", ""), household=r.person.get("household", ""))
        if r.id_number:
            self._set_id(person, r)
        fields = dict(r.profile)
        if self.key == "volunteer":
            fields["teams"] = fields["team"]
        if self.key == "spring_bud":
            fields["waiting_since"] = today()
        db.session.add(person)
        db.session.add(self.model(person=person, **fields))
        return "create"

    def _set_id(self, person: Person, r: _Row) -> None:
        person.id_cipher = self.vault.encrypt(r.id_number)
        person.id_hash = r.id_hash
        person.id_tail = r.id_number[-4:]

    def _update(self, r: _Row, person: Person, profile) -> str:
        if self.paths is not None and not any(person.region.path.startswith(p)
                                              for p in self.paths):
            # Telling a coordinator that someone exists elsewhere is a disclosure: each
            # one is audited, dry runs included.
            audit.record("import_conflict", target_type="person", target_id=person.id)
            raise DomainError(_("该人员已在其他地区登记，请联系上级妇联处理"),
                              field=self.header_of.get("name"))
        if r.id_hash is not None and person.id_hash == r.id_hash \
                and r.person.get("name") not in (None, person.name):
            # A mistyped but valid ID number must not rename somebody else.
            raise DomainError(_("身份证号与已登记的姓名不一致，请核对"),
                              field=self.header_of.get("id_number"))
        person_changes = {}
        for key, value in r.person.items():
            if key in _FROM_ID and (person.has_id_number or r.id_number):
                continue  # from her ID number: never typed over
            if getattr(person, key) != value:
                person_changes[key] = value
        new_id = r.id_number is not None and not person.has_id_number
        profile_changes = {}
        if profile is not None:
            for key, value in r.profile.items():
                if getattr(profile, key) != value:
                    profile_changes[key] = value
            if self.key == "mentor" and "capacity" in profile_changes \
                    and profile_changes["capacity"] < (profile.active_pairings or 0):
                raise DomainError(_("可带徒人数不能少于她现在在带的 %(n)s 人",
                                    n=profile.active_pairings),
                                  field=self.header_of.get("capacity"))
            if not person_changes and not profile_changes and not new_id:
                return "skip"
        if not self.write:
            return "update"
        if new_id:
            self._set_id(person, r)
            person.gender, person.birth_date = r.person["gender"], r.person["birth_date"]
        for key, value in person_changes.items():
            setattr(person, key, value)
        if "name" in person_changes:
            person.name_pinyin, person.name_initials = _name_keys(person.name)
        if profile is None:
            fields = dict(r.profile)
            if self.key == "volunteer":
                fields["teams"] = fields["team"]
            if self.key == "spring_bud":
                fields["waiting_since"] = today()
            db.session.add(self.model(person=person, **fields))
        else:
            if self.key == "volunteer" and "team" in profile_changes:
                teams = set((profile.teams or "").split(",")) | {profile_changes["team"]}
                profile_changes["teams"] = ",".join(t for t in VOLUNTEER_TEAMS if t in teams)
            for key, value in profile_changes.items():
                setattr(profile, key, value)
        return "update"

    def run(self, report: ImportReport) -> None:
        batch: list[_Row] = []
        for number, cells in self.table.rows():
            if all(c.kind == "empty" or not (c.value or "").strip() for c in cells):
                continue  # a blank row
            report.rows += 1
            row = self.parse_row(number, cells, report.problems)
            if row is None:
                report.actions.append((number, "error"))
                continue
            earlier = self._duplicate_of(row)
            if earlier is not None:
                column = self.header_of["id_number"] if row.id_hash and \
                    "id_number" in self.header_of else self.header_of["name"]
                report.problems.append(Problem(number, column, str(row.person.get("name")),
                                               _("与第 %(n)s 行重复", n=earlier)))
                report.actions.append((number, "error"))
                continue
            batch.append(row)
            if len(batch) >= BATCH:
                self.settle(batch, report)
                batch = []
        if batch:
            self.settle(batch, report)
        report.actions.sort()
        report.problems.sort(key=lambda p: p.row)


def dry_run(user: User, key: str, table: Table) -> ImportReport:
    """What a commit would do, row by row; writes nothing (rows are validated and people
    looked up, never written)."""
    report = ImportReport(registry=key)
    _Importer(user, key, table, write=False).run(report)
    return report


def commit(user: User, key: str, table: Table, all_or_nothing: bool = False) -> ImportReport:
    """Write the valid rows (in batches, in one savepoint of the caller's transaction);
    with ``all_or_nothing``, any problem means nothing is written."""
    report = ImportReport(registry=key, committed=True, all_or_nothing=all_or_nothing)
    importer = _Importer(user, key, table, write=True)
    savepoint = db.session.begin_nested()
    try:
        importer.run(report)
    except BaseException:
        savepoint.rollback()
        raise
    if all_or_nothing and report.problems:
        savepoint.rollback()
        return report
    savepoint.commit()
    report.written = True
    audit.record("import", target_type=BY_KEY[key].model.__tablename__, rows=report.rows,
                 created=report.created, updated=report.updated, skipped=report.skipped,
                 problems=report.problem_rows)
    db.session.flush()
    return report
