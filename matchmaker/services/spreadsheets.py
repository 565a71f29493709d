"""Safe reading of uploaded spreadsheets (.xlsx and .csv) for imports.

``open_table`` decides what a file is by its bytes, never by its name, and refuses a whole
file (``UnreadableFile``, a Chinese message) before anything is parsed when it is too big,
not a spreadsheet, an old or password-protected Excel file, a zip or XML bomb, has merged
header cells, is empty, or has more rows than allowed.

Only the FIRST worksheet of a workbook is read; other sheets are ignored. The first
non-empty row is the header row. ``Table.rows()`` streams the data rows (openpyxl read-only
mode for .xlsx, the csv module for .csv) and may be called more than once (a dry run, then
the commit). Memory stays flat apart from ~80 bytes a row that the standard library's
iterparse keeps for each (cleared) row element inside openpyxl: ~16 MB at 200,000 rows.
A .xlsx is held in memory (it is at most MAX_CONTENT_LENGTH); when its sheet has no
``<dimension>``, openpyxl parses the sheet once more at load to look for one.

Safety notes:
- openpyxl parses XML through defusedxml when it is installed (it is a dependency); entity
  declarations are refused. The first sheet is also scanned as bytes for ``<!DOCTYPE`` /
  ``<!ENTITY`` before any row is read.
- zipfile never inflates a member beyond the size its directory declares, so checking the
  declared sizes (total and compression ratio) bounds what parsing can cost.
- The first sheet is read once in full before ``open_table`` returns (to count rows and find
  merged cells), so a truncated or corrupt sheet is refused up front, not halfway through.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import islice
from typing import BinaryIO

import openpyxl
from defusedxml import DefusedXmlException
from flask import current_app, has_app_context
from flask_babel import gettext as _
from openpyxl.utils.cell import range_boundaries

from matchmaker.config import DEFAULTS
from matchmaker.services.errors import DomainError

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
# The stream an encrypted (password-protected) OOXML file keeps inside its OLE2 container.
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".et")
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
MAX_MEMBERS = 10_000
BOMB_RATIO = 100
BOMB_MIN_SIZE = 1024 * 1024
CSV_DELIMITERS = (",", "\t", ";")
_CHUNK = 500  # rows parsed per step (warnings are silenced per step, not across yields)


class UnreadableFile(DomainError):
    """The whole file is refused; nothing in it is read. (The CLI exits with 2.)"""


@dataclass(frozen=True)
class Cell:
    """One cell: ``value`` is the text a person would read (None when empty); ``kind`` is
    text | number | date | formula | bool | empty; ``raw`` the original value when not text
    (int/float, date/datetime/time, bool, or the formula text)."""

    value: str | None
    kind: str
    raw: object = None


EMPTY = Cell(None, "empty")


@dataclass
class Table:
    """The first worksheet (or the CSV): its header row and a way to stream its data rows.

    ``row_count_hint`` is an upper estimate of the number of data rows, for progress; None
    when unknown. ``rows()`` yields ``(row number in the spreadsheet, cells)`` for every
    data row that is not fully empty, the cells padded (or cut) to ``len(headers)``. Values
    in columns right of the last non-empty header are not returned. Should the row limit
    be passed while streaming (it cannot for files ``open_table`` accepted, since rows are
    counted up front), ``rows()`` raises ``UnreadableFile``: treat the file as unreadable.
    """

    headers: list[str]
    row_count_hint: int | None = None
    _source: Callable[[], Iterator[tuple[int, list[Cell]]]] | None = field(
        default=None, repr=False)
    _header_row: int = field(default=1, repr=False)
    _max_rows: int | None = field(default=None, repr=False)
    _close: Callable[[], None] | None = field(default=None, repr=False)

    def rows(self) -> Iterator[tuple[int, list[Cell]]]:
        width = len(self.headers)
        seen = 0
        for number, cells in self._source():
            if number <= self._header_row:
                continue
            seen += 1
            if self._max_rows is not None and seen > self._max_rows:
                raise _too_many_rows(self._max_rows)
            if len(cells) < width:
                cells = cells + [EMPTY] * (width - len(cells))
            yield number, cells[:width]

    def close(self) -> None:
        """Release the workbook (optional: nothing holds a file descriptor)."""
        if self._close is not None:
            self._close()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_table(data: bytes | BinaryIO, filename: str, *, max_rows: int | None = None,
               max_bytes: int | None = None) -> Table:
    """Open an uploaded .xlsx or .csv safely; raise ``UnreadableFile`` if it is refused.

    ``max_bytes`` defaults to the app's MAX_CONTENT_LENGTH, ``max_rows`` (data rows, the
    header not counted) to IMPORT_MAX_ROWS. Only the first worksheet is read.
    """
    max_bytes = max_bytes if max_bytes is not None else int(_config("MAX_CONTENT_LENGTH"))
    max_rows = max_rows if max_rows is not None else int(_config("IMPORT_MAX_ROWS"))
    content = _read_limited(data, max_bytes)
    if not content:
        raise UnreadableFile(_("文件是空的，请选择填好的表格文件。"))
    name = (filename or "").strip().lower()
    if content.startswith(OLE2_MAGIC):
        if _ENCRYPTED_PACKAGE in content:
            raise UnreadableFile(_("文件设置了密码，请取消密码后再导入。"))
        raise UnreadableFile(_("这是旧版 Excel（.xls）或加密的文件，请另存为 .xlsx 后再导入。"))
    if content.startswith(ZIP_MAGICS):
        return _open_xlsx(content, max_rows)
    if name.endswith(CSV_SUFFIXES):
        return _open_csv(content, max_rows)
    if name.endswith(EXCEL_SUFFIXES):
        raise _not_excel()
    raise UnreadableFile(_("只能导入 .xlsx 或 .csv 文件。"))


# --- common ---------------------------------------------------------------------------

def _config(key: str) -> object:
    if has_app_context():
        return current_app.config.get(key, DEFAULTS[key])
    return DEFAULTS[key]


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _read_limited(data: bytes | BinaryIO, max_bytes: int) -> bytes:
    if isinstance(data, bytes | bytearray | memoryview):
        content = bytes(data)
    else:
        content = data.read(max_bytes + 1)
    if len(content) > max_bytes:
        raise UnreadableFile(_("文件太大，最多 %(limit)s，请分成几个文件导入。",
                               limit=_mb(max_bytes)))
    return content


def _too_many_rows(limit: int) -> UnreadableFile:
    return UnreadableFile(_("表格超过 %(limit)s 行数据，请分成几个文件导入。", limit=limit))


def _empty(header_found: bool) -> UnreadableFile:
    if header_found:
        return UnreadableFile(_("表格是空的：只有表头，没有数据行。"))
    return UnreadableFile(_("表格是空的：第一个工作表里没有内容。"))


def _is_blank(cells: list[Cell]) -> bool:
    return all(c.value is None for c in cells)


def _headers(cells: list[Cell]) -> list[str]:
    headers = [(c.value or "").strip() for c in cells]
    while headers and not headers[-1]:
        headers.pop()
    return headers


def _locate(rows: Iterator[tuple[int, list[Cell]]]) -> tuple[int, list[str], bool]:
    """The header row number, its headers, and whether a data row follows it."""
    header_row = None
    headers: list[str] = []
    try:
        for number, cells in rows:
            if header_row is None:
                header_row, headers = number, _headers(cells)
            else:
                return header_row, headers, True
    finally:
        rows.close()
    if header_row is None:
        raise _empty(False)
    return header_row, headers, False


# --- xlsx -------------------------------------------------------------------------------

_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,30}:)?row[\s/>]")
_MERGE_TAG = re.compile(
    rb"<(?:[A-Za-z_][\w.-]{0,30}:)?mergeCell\s[^>]{0,200}?\bref=[\"']([A-Za-z0-9:$]{1,40})[\"']")
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)")
_OVERLAP = 320  # longer than any match above


def _check_zip(archive: zipfile.ZipFile) -> None:
    infos = archive.infolist()
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise _not_excel()
    limit = int(_config("IMPORT_MAX_UNCOMPRESSED"))
    if len(infos) > MAX_MEMBERS or sum(info.file_size for info in infos) > limit:
        raise UnreadableFile(_("文件解压后过大（超过 %(limit)s），已拒绝。", limit=_mb(limit)))
    for info in infos:
        if info.file_size > BOMB_MIN_SIZE and \
                info.file_size > BOMB_RATIO * max(info.compress_size, 1):
            raise UnreadableFile(_("文件的压缩比异常（可能是“压缩炸弹”），已拒绝。"))


def _scan_sheet(archive: zipfile.ZipFile, path: str) -> tuple[int, list[str]]:
    """Read the sheet's XML once as bytes: count <row> elements, collect merged ranges and
    refuse any DTD. Reading it to the end also checks its CRC."""
    rows = 0
    merges: list[str] = []
    carry = b""
    with archive.open(path) as member:
        while True:
            chunk = member.read(1 << 20)
            buf = carry + chunk
            if _DTD.search(buf):
                raise _xml_refused()
            cut = len(buf) if not chunk else max(len(buf) - _OVERLAP, 0)
            rows += sum(1 for m in _ROW_TAG.finditer(buf) if m.start() < cut)
            merges += [m.group(1).decode() for m in _MERGE_TAG.finditer(buf) if m.start() < cut]
            if not chunk:
                return rows, merges
            carry = buf[cut:]


def _xml_refused() -> UnreadableFile:
    return UnreadableFile(_("文件含有不安全的 XML 内容（实体定义），已拒绝。"
                            "请用 Excel 或 WPS 另存后再导入。"))


def _broken() -> UnreadableFile:
    return UnreadableFile(_("文件已损坏，无法读取。"
                            "请用 Excel 或 WPS 打开并另存为 .xlsx 后再导入。"))


def _not_excel() -> UnreadableFile:
    return UnreadableFile(_("文件不是有效的 Excel 文件。"
                            "请用 Excel 或 WPS 另存为 .xlsx 后再导入。"))


def _guarded(step: Callable[[], object]) -> object:
    """Run an openpyxl step with its warnings silenced and its failures made Chinese."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return step()
    except UnreadableFile:
        raise
    except Exception as exc:  # openpyxl, zipfile, zlib and expat all fail differently
        cause: BaseException | None = exc
        for _depth in range(10):  # openpyxl wraps what failed in a ValueError
            if cause is None:
                break
            if isinstance(cause, DefusedXmlException):
                raise _xml_refused() from exc
            cause = cause.__cause__ or cause.__context__
        raise _broken() from exc


def _open_xlsx(content: bytes, max_rows: int) -> Table:
    if not openpyxl.DEFUSEDXML:  # never parse uploaded XML without defusedxml
        raise RuntimeError("openpyxl is not using defusedxml; refusing to read uploads")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            _check_zip(archive)
    except zipfile.BadZipFile as exc:
        raise _broken() from exc
    wb = _guarded(lambda: openpyxl.load_workbook(io.BytesIO(content), read_only=True,
                                                 data_only=False, keep_links=False))
    try:
        if not wb.worksheets:
            raise _empty(False)
        ws = wb.worksheets[0]
        path = ws._worksheet_path  # openpyxl keeps no public name for the sheet's part
        row_elements, merges = _guarded(lambda: _scan_sheet(wb._archive, path))
        dimension_rows = ws.max_row
        ws.reset_dimensions()  # a dimension that lies would otherwise cut rows off

        def source() -> Iterator[tuple[int, list[Cell]]]:
            return _xlsx_rows(ws)

        header_row, headers, has_data = _locate(source())
        if not any(headers):
            raise _empty(False)
        in_header = [ref for ref in merges if _spans_row(ref, header_row)]
        if in_header:
            raise UnreadableFile(_("表头有合并的单元格（%(cells)s），"
                                   "请取消合并、每列一个表头后再导入。",
                                   cells="、".join(in_header)))
        if not has_data:
            raise _empty(True)
        hint = max(row_elements - 1, 0)
        if dimension_rows:
            hint = min(hint, max(dimension_rows - header_row, 0))
        if hint > max_rows:  # an upper bound (empty styled rows count): count for real
            hint = _count_data_rows(source(), header_row, max_rows)
        return Table(headers=headers, row_count_hint=hint, _source=source,
                     _header_row=header_row, _max_rows=max_rows, _close=wb.close)
    except BaseException:
        wb.close()
        raise


def _spans_row(ref: str, row: int) -> bool:
    try:
        _c1, r1, _c2, r2 = range_boundaries(ref.replace("$", ""))
    except ValueError:
        return False
    return r1 is not None and r1 <= row <= (r2 or r1)


def _count_data_rows(rows: Iterator[tuple[int, list[Cell]]], header_row: int,
                     max_rows: int) -> int:
    count = 0
    for number, _cells in rows:
        if number > header_row:
            count += 1
            if count > max_rows:
                raise _too_many_rows(max_rows)
    return count


def _xlsx_rows(ws) -> Iterator[tuple[int, list[Cell]]]:
    """Non-empty rows of a read-only worksheet with their row numbers, parsed in chunks."""
    it = ws.iter_rows(min_row=1)
    number = 0
    while True:
        chunk = _guarded(lambda: list(islice(it, _CHUNK)))
        if not chunk:
            return
        for row in chunk:
            number += 1
            cells = [_xlsx_cell(c) for c in row]
            if cells and not _is_blank(cells):
                numbered = next((c.row for c in row if getattr(c, "row", None)), number)
                number = numbered
                yield number, cells


def _xlsx_cell(cell) -> Cell:
    value = getattr(cell, "value", None)
    if value is None:
        return EMPTY
    if getattr(cell, "data_type", None) == "f":
        text = str(getattr(value, "text", value) or "")  # ArrayFormula keeps it in .text
        return Cell(text if text.startswith("=") else "=" + text, "formula", text)
    if isinstance(value, bool):
        return Cell("TRUE" if value else "FALSE", "bool", value)
    if isinstance(value, int | float):
        return Cell(_number_text(value), "number", value)
    if isinstance(value, datetime):
        text = value.date().isoformat() if value.time() == time() else \
            value.isoformat(sep=" ")
        return Cell(text, "date", value)
    if isinstance(value, date | time):
        return Cell(value.isoformat(), "date", value)
    if isinstance(value, timedelta):
        return Cell(str(value), "date", value)
    text = str(value)
    return Cell(text, "text") if text.strip() else EMPTY


def _number_text(value: int | float) -> str:
    """13900001234.0 → "13900001234"; 12.5 → "12.5"."""
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    return str(value)


# --- csv --------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _decode(content: bytes) -> str:
    """UTF-8 with BOM, UTF-16 with BOM (Excel's "Unicode text"), UTF-8, else GB18030."""
    if content.startswith(codecs.BOM_UTF8):
        candidates = ("utf-8-sig",)
    elif content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ("utf-16",)
    else:
        candidates = ("utf-8", "gb18030")
    for encoding in candidates:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        text = text.rstrip("\x1a")  # an old DOS end-of-file mark
        if _CONTROL.search(text):
            break
        return text
    raise UnreadableFile(_("无法识别 CSV 文件的文字编码（或不是文本文件）。"
                           "请另存为“CSV UTF-8”后再导入。"))


def _delimiter(text: str) -> str:
    """The one of , TAB ; that splits the first non-empty line into the most fields."""
    head = "\n".join(islice((line for line in text.splitlines() if line.strip()), 1))
    best, fields = ",", 0
    for candidate in CSV_DELIMITERS:
        try:
            n = len(next(csv.reader(io.StringIO(head), delimiter=candidate), []))
        except csv.Error:
            continue
        if n > fields:
            best, fields = candidate, n
    return best


def _open_csv(content: bytes, max_rows: int) -> Table:
    text = _decode(content)
    delimiter = _delimiter(text)

    def source() -> Iterator[tuple[int, list[Cell]]]:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        number = 0
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise UnreadableFile(_("CSV 文件格式有误（第 %(row)s 行附近），无法读取。",
                                       row=number + 1)) from exc
            number += 1
            cells = [Cell(v, "text") if v.strip() else EMPTY for v in record]
            if cells and not _is_blank(cells):
                yield number, cells

    header_row, headers, has_data = _locate(source())
    if not any(headers):
        raise _empty(False)
    if not has_data:
        raise _empty(True)
    count = _count_data_rows(source(), header_row, max_rows)
    return Table(headers=headers, row_count_hint=count, _source=source,
                 _header_row=header_row, _max_rows=max_rows)
