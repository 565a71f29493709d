"""Import templates: one workbook per registry with the headers the importer reads, an
example row, text-formatted number columns, drop-downs and a sheet that explains them."""

from __future__ import annotations

from io import BytesIO

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from matchmaker.models import User
from matchmaker.models.base import N_
from matchmaker.services.registries import Registry
from matchmaker.services.registry_columns import Column, columns_for
from matchmaker.services.registry_export import (
    NUMBER_KINDS,
    TEXT_FORMAT,
    column_width,
    region_labels,
)
from matchmaker.services.scope import assignable_regions

TEMPLATE_ROWS = 1000  # rows 2..TEMPLATE_ROWS carry the formats and drop-downs
REGION_SHEET = "地区"
HELP_SHEET = "说明"
REQUIRED_MARK = "（必填）"
BOOL_CHOICES = ("是", "否")
KIND_HELP = {
    "text": N_("文字"),
    "id": N_("18 位身份证号，请保持文本格式"),
    "mobile": N_("11 位手机号，请保持文本格式"),
    "date": N_("日期，如 1990-06-01"),
    "region": N_("从下拉列表选择（镇 村），或填写地区代码"),
    "choice": N_("从下拉列表选择"),
    "multi": N_("可填多项，用“、”分隔"),
    "int": N_("整数"),
    "bool": N_("填“是”或“否”"),
}


def _choices(column: Column) -> tuple[str, ...]:
    if column.kind == "bool":
        return BOOL_CHOICES
    return tuple(column.choices.values())


def _comment(column: Column) -> str:
    parts = [REQUIRED_MARK] if column.required else []
    if column.hint:
        parts.append(column.hint)
    return " ".join(parts)


def template_regions(user: User) -> list[str]:
    """The region cells a user may fill in: towns and villages in her scope."""
    labels = region_labels(user)
    return [labels[r.id] for r in assignable_regions(user)
            if r.level in ("town", "village") and r.id in labels]


def build_template(user: User, reg: Registry) -> bytes:
    """The import template of one registry for ``user`` (her regions in the drop-down)."""
    columns = columns_for(reg.key)
    wb = Workbook()
    ws = wb.active
    ws.title = _(reg.label)[:31]
    ws.append([c.header for c in columns])
    regions = template_regions(user)
    ws.append([_example(c, regions) for c in columns])
    ws.freeze_panes = "A2"
    required_fill = PatternFill("solid", fgColor="FDE9D9")
    for i, column in enumerate(columns, start=1):
        letter = get_column_letter(i)
        head = ws.cell(row=1, column=i)
        head.font = Font(bold=True, color="C00000" if column.required else None)
        if column.required:
            head.fill = required_fill
        if text := _comment(column):
            head.comment = Comment(text, "matchmaker", width=220, height=80)
        ws.column_dimensions[letter].width = column_width(column)
        cells = f"{letter}2:{letter}{TEMPLATE_ROWS}"
        if column.kind in NUMBER_KINDS:
            ws.column_dimensions[letter].number_format = TEXT_FORMAT
            for (cell,) in ws.iter_rows(min_row=2, max_row=TEMPLATE_ROWS, min_col=i, max_col=i):
                cell.number_format = TEXT_FORMAT
        elif column.kind in ("choice", "bool"):
            _validate(ws, cells, '"' + ",".join(_choices(column)) + '"', column)
        elif column.kind == "region" and regions:
            # An inline list is limited to 255 characters: the regions live on a hidden sheet.
            _validate(ws, cells, f"'{REGION_SHEET}'!$A$1:$A${len(regions)}", column,
                      strict=False)
    _help_sheet(wb, columns)
    sheet = wb.create_sheet(REGION_SHEET)
    for label in regions:
        sheet.append([label])
    sheet.sheet_state = "hidden"
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _example(column: Column, regions: list[str]) -> object:
    if column.kind == "region" and regions and column.example not in regions:
        # An example she could import: a village of her own (else her first region).
        return next((r for r in regions if " " in r), regions[0])
    if column.kind == "int" and column.example:
        return int(column.example)
    return column.example or None


def _validate(ws, cells: str, formula: str, column: Column, *, strict: bool = True) -> None:
    dv = DataValidation(type="list", formula1=formula, allow_blank=True)
    dv.error = _("请从下拉列表中选择")
    dv.errorTitle = column.header
    # A region may also be typed as a code: warn rather than refuse.
    dv.errorStyle = "stop" if strict else "warning"
    dv.showErrorMessage = True
    ws.add_data_validation(dv)
    dv.add(cells)


def _help_sheet(wb: Workbook, columns: tuple[Column, ...]) -> None:
    ws = wb.create_sheet(HELP_SHEET)
    ws.append([_("列名"), _("是否必填"), _("填写说明"), _("示例")])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for column in columns:
        how = [_(KIND_HELP[column.kind])]
        if column.kind in ("choice", "multi", "bool"):
            how.append(_("可选：%(values)s", values="、".join(_choices(column))))
        if column.kind == "int" and column.high:
            how.append(_("范围 %(low)s–%(high)s", low=column.low, high=column.high))
        if column.kind == "text":
            how.append(_("最多 %(n)s 字", n=column.max_length))
        if column.hint:
            how.append(column.hint)
        if column.synonyms:
            how.append(_("也可用列名：%(names)s", names="、".join(column.synonyms)))
        ws.append([column.header, _("必填") if column.required else _("选填"), "；".join(how),
                   column.example])
    ws.append([])
    for line in (
        _("第一行是列名，请勿修改；第二行是示例，导入前请删除或改成真实信息。"),
        _("身份证号和手机号请保持文本格式，否则 Excel 会丢失数字。"),
        _("单元格不要以 = + - @ 开头，不要合并单元格。"),
        _("导入时先预检，确认无误后再正式导入；同一身份证号（或同一姓名加手机号）不会重复登记。"),
    ):
        ws.append([line])
    for letter, width in zip("ABCD", (18, 10, 70, 22), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
