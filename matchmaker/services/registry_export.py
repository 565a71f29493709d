"""Registry exports (.xlsx and .csv) with the same columns as the import templates, so that
an export can be imported again unchanged. Streamed (the query is read in batches and the
workbook written in write-only mode), formula-safe and audited."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import asdict
from io import BytesIO, StringIO

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from matchmaker.extensions import db
from matchmaker.models import Person, Region, User
from matchmaker.models.profiles import ProfileBase
from matchmaker.services import audit
from matchmaker.services.exports import safe_text
from matchmaker.services.privacy import mask_id_tail, mask_mobile, vault
from matchmaker.services.registries import Filters, Registry, registry_query
from matchmaker.services.registry_columns import Column, columns_for
from matchmaker.services.scope import REVEAL_ROLES, region_filter

TEXT_FORMAT = "@"
BATCH = 1000
NUMBER_KINDS = ("id", "mobile")  # written as text, full or masked by role
# Levels whose names a region cell carries ("盐官镇 郭店村"): the county and above are implied.
LOCAL_LEVELS = ("town", "village")


def shows_full_numbers(user: User) -> bool:
    """Whether exports give this user full ID numbers and mobiles (else masked). The one
    place this rule lives: exports follow the roles that may reveal a number."""
    return user.has_role(*REVEAL_ROLES)


def number_cell(value: str | None, *, kind: str, full: bool, id_tail: str | None = None) -> str:
    """An ID number or mobile as exported: full, or masked like on the pages."""
    if kind == "id":
        return (value or "") if full else mask_id_tail(id_tail)
    return (value or "") if full else mask_mobile(value)


def region_labels(user: User) -> dict[int, str]:
    """Region id → its cell text: the town and village names ("盐官镇 郭店村"), the town
    alone for a town, or the code for a region above the towns (the importer takes both)."""
    stmt = select(Region.id, Region.code, Region.name, Region.level, Region.path)
    cond = region_filter(user, Region.path)
    if cond is not None:
        stmt = stmt.where(cond)
    rows = db.session.execute(stmt).all()
    # Ancestors of the user's regions may lie outside her scope: look their names up too.
    known = {r.code: r for r in rows}
    missing = {c for r in rows for c in r.path.strip("/").split("/") if c not in known}
    if missing:
        for r in db.session.execute(select(Region.id, Region.code, Region.name, Region.level,
                                           Region.path).where(Region.code.in_(missing))):
            known[r.code] = r
    labels: dict[int, str] = {}
    for r in rows:
        chain = [known[c] for c in r.path.strip("/").split("/") if c in known]
        names = [a.name for a in chain if a.level in LOCAL_LEVELS]
        labels[r.id] = " ".join(names) if r.level in LOCAL_LEVELS and names else r.code
    return labels


def _render(column: Column, value: object) -> object:
    """A stored value as the template expects it (labels, 是/否, ISO dates)."""
    if value is None:
        return ""
    kind = column.kind
    if kind == "choice":
        return column.choices.get(str(value), str(value))
    if kind == "multi":
        return "、".join(column.choices.get(v, v) for v in str(value).split(",") if v)
    if kind == "bool":
        return "是" if value else "否"
    if kind == "date":
        return value.isoformat()
    if kind == "int":
        return int(value)
    return str(value)


class _RowMaker:
    """Turns (profile, person) into the template's cells for one user."""

    def __init__(self, user: User, reg: Registry) -> None:
        self.columns = columns_for(reg.key)
        self.full = shows_full_numbers(user)
        self.regions = region_labels(user)

    def __call__(self, profile: ProfileBase, person: Person) -> list[object]:
        row: list[object] = []
        for column in self.columns:
            source = person if column.target == "person" else profile
            if column.kind == "id":
                number = None
                if self.full and person.id_cipher is not None:
                    number = vault().decrypt(person.id_cipher)
                row.append(number_cell(number, kind="id", full=self.full,
                                       id_tail=person.id_tail))
            elif column.kind == "mobile":
                row.append(number_cell(getattr(source, column.key), kind="mobile",
                                       full=self.full))
            elif column.kind == "region":
                row.append(self.regions.get(person.region_id, person.region.code))
            else:
                row.append(_render(column, getattr(source, column.key)))
        return [safe_text(v) for v in row]


def export_rows(user: User, reg: Registry, filters: Filters) -> Iterator[list[object]]:
    """The rows of a registry export (no header), in the list page's order, read from the
    database in batches of ``BATCH``."""
    make = _RowMaker(user, reg)
    stmt = registry_query(user, reg, filters).execution_options(yield_per=BATCH)
    for profile in db.session.scalars(stmt):
        yield make(profile, profile.person)


def headers(reg: Registry) -> list[str]:
    return [c.header for c in columns_for(reg.key)]


def _audit(user: User, reg: Registry, filters: Filters, fmt: str, count: int) -> None:
    detail: dict[str, object] = {"what": "registry", "registry": reg.key, "format": fmt,
                                 "filters": {k: v for k, v in asdict(filters).items() if v},
                                 "rows": count, "full_numbers": shows_full_numbers(user)}
    if reg.minors:
        detail["minors"] = True
    audit.record("export", target_type=reg.model.__tablename__, **detail)


def _header_cell(ws, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=text)
    cell.font = Font(bold=True)
    return cell


def build_xlsx(user: User, reg: Registry, filters: Filters) -> bytes:
    """The filtered registry as a workbook (write-only: rows are not kept in memory)."""
    columns = columns_for(reg.key)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_(reg.label)[:31])
    ws.freeze_panes = "A2"
    for i, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = column_width(column)
    ws.append([_header_cell(ws, c.header) for c in columns])
    text_cols = {i for i, c in enumerate(columns) if c.kind in NUMBER_KINDS}
    count = 0
    for row in export_rows(user, reg, filters):
        cells: list[object] = []
        for i, value in enumerate(row):
            if i in text_cols:
                cell = WriteOnlyCell(ws, value=str(value))
                cell.number_format = TEXT_FORMAT
                cells.append(cell)
            else:
                cells.append(value if value != "" else None)
        ws.append(cells)
        count += 1
    _audit(user, reg, filters, "xlsx", count)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def build_csv(user: User, reg: Registry, filters: Filters) -> bytes:
    """The filtered registry as CSV: UTF-8 with a BOM (so Chinese Excel reads it), CRLF."""
    buf = StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(headers(reg))
    count = 0
    for row in export_rows(user, reg, filters):
        writer.writerow(row)
        count += 1
    _audit(user, reg, filters, "csv", count)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def column_width(column: Column) -> float:
    """A width that shows the header and a typical value."""
    if column.kind == "id":
        return 22
    if column.kind in ("mobile", "date"):
        return 14
    if column.kind == "region":
        return 18
    longest = max(len(column.header), len(column.example))
    return min(40, max(10, 2 * longest + 2))
