"""The safe spreadsheet reader: every kind of refused file, cell kinds, CSV encodings and
streaming. Test files are built in memory."""

from __future__ import annotations

import io
import os
import tracemalloc
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
from openpyxl import Workbook

from matchmaker.config import DEFAULTS
from matchmaker.services import spreadsheets
from matchmaker.services.spreadsheets import Cell, UnreadableFile, open_table

HEADERS = ["姓名", "手机号", "身份证号", "出生日期"]


def xlsx(rows: list[list[object]], *, merge: str | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    if merge:
        ws.merge_cells(merge)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def rewrite(data: bytes, member: str, change) -> bytes:
    """The same .xlsx with one member's bytes changed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            dst.writestr(info.filename, change(body) if info.filename == member else body)
    return out.getvalue()


def refused(data, filename="名册.xlsx", **kw) -> str:
    with pytest.raises(UnreadableFile) as err:
        open_table(data, filename, **kw)
    return err.value.message


SIMPLE = [HEADERS, ["张三", "13900001234", "330481199001011234", "1990-01-01"]]


# --- refusals --------------------------------------------------------------------------

def test_defusedxml_is_used_by_openpyxl():
    assert openpyxl.xml.DEFUSEDXML is True


def test_old_xls_or_ole2_named_xlsx_is_refused():
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "Workbook".encode("utf-16-le")
    for name in ("名册.xls", "名册.xlsx"):
        assert "旧版 Excel（.xls）" in refused(ole2, name)


def test_password_protected_xlsx_is_refused():
    ole2 = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
            + "EncryptionInfo".encode("utf-16-le") + bytes(50)
            + "EncryptedPackage".encode("utf-16-le") + bytes(50))
    assert "文件设置了密码" in refused(ole2)


def test_random_bytes_with_an_excel_name_are_refused():
    data = os.urandom(4096).replace(b"PK", b"pk").replace(b"\xd0\xcf", b"xx")
    assert "文件不是有效的 Excel 文件" in refused(b"x" + data)
    assert "文件不是有效的 Excel 文件" in refused("姓名,手机\n张三,1\n".encode(), "名册.xlsx")


def test_a_zip_that_is_not_a_workbook_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "hello")
    assert "文件不是有效的 Excel 文件" in refused(buf.getvalue())


def test_corrupt_zip_is_refused():
    data = xlsx(SIMPLE)
    assert "文件已损坏" in refused(data[: len(data) // 2])
    # Central directory intact but the first sheet's compressed bytes are damaged.
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    damaged = bytearray(data)
    for i in range(start + 10, start + min(info.compress_size, 60)):
        damaged[i] ^= 0x5A
    assert "文件已损坏" in refused(bytes(damaged))


def _bomb(member_size: int) -> bytes:
    """A valid workbook plus an extra member of zeros (highly compressible)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx(SIMPLE))) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        with dst.open("xl/media/zeros.bin", "w") as fh:
            block = bytes(1 << 20)
            for _ in range(member_size >> 20):
                fh.write(block)
    return out.getvalue()


def test_zip_bomb_over_the_uncompressed_limit_is_refused():
    data = _bomb(300 << 20)
    assert len(data) < 2 << 20
    assert "解压后过大" in refused(data)


def test_zip_bomb_by_compression_ratio_is_refused():
    data = _bomb(20 << 20)  # under the total limit, but ~1000:1
    assert "压缩比异常" in refused(data)


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'.encode()
        for i in range(1, 10))
    + b"]>\n")


def _with_dtd(body: bytes, entity_ref: bytes) -> bytes:
    """Prefix the XML with a billion-laughs DTD and use the entity in the first string."""
    body = body.split(b"?>", 1)[1] if body.startswith(b"<?xml") else body
    return BILLION_LAUGHS + body.replace("张三".encode(), entity_ref, 1)


def test_xml_bomb_in_the_sheet_is_refused():
    data = rewrite(xlsx(SIMPLE), "xl/worksheets/sheet1.xml", lambda b: _with_dtd(b, b"&lol9;"))
    assert "不安全的 XML" in refused(data)  # defusedxml, inside openpyxl
    # The byte scan of the sheet refuses it as well, on its own.
    with zipfile.ZipFile(io.BytesIO(data)) as archive, pytest.raises(UnreadableFile):
        spreadsheets._scan_sheet(archive, "xl/worksheets/sheet1.xml")


def test_xml_bomb_in_the_workbook_part_is_refused_by_defusedxml():
    data = rewrite(xlsx(SIMPLE), "xl/workbook.xml",
                   lambda b: _with_dtd(b.replace(b'name="Sheet"', b'name="&lol9;"'), b""))
    assert b"&lol9;" in zipfile.ZipFile(io.BytesIO(data)).read("xl/workbook.xml")
    assert "不安全的 XML" in refused(data)


def test_file_over_the_size_limit_is_refused():
    data = xlsx(SIMPLE)
    assert "文件太大" in refused(data, max_bytes=len(data) - 1)
    assert open_table(io.BytesIO(data), "名册.xlsx", max_bytes=len(data)).headers == HEADERS
    assert "文件太大" in refused(io.BytesIO(b"a,b\n" * 100), "a.csv", max_bytes=50)


def test_size_limit_defaults_to_max_content_length(app):
    data = b"a,b\n1,2\n" * 10
    app.config["MAX_CONTENT_LENGTH"] = 40
    try:
        with app.app_context():
            assert "文件太大" in refused(data, "a.csv")
    finally:
        app.config["MAX_CONTENT_LENGTH"] = DEFAULTS["MAX_CONTENT_LENGTH"]
    assert DEFAULTS["IMPORT_MAX_ROWS"] == 200_000


def test_more_rows_than_the_limit_are_refused_up_front():
    rows = [HEADERS] + [[f"人{i}", "1", "2", "3"] for i in range(10)]
    data = xlsx(rows)
    assert "超过 9 行" in refused(data, max_rows=9)
    assert len(list(open_table(data, "名册.xlsx", max_rows=10).rows())) == 10
    csv_data = "\n".join(",".join(r) for r in rows).encode()
    assert "超过 9 行" in refused(csv_data, "名册.csv", max_rows=9)


def test_row_limit_holds_when_the_dimension_is_missing_or_lies():
    rows = [HEADERS] + [[f"人{i}", "1", "2", "3"] for i in range(10)]
    sheet = "xl/worksheets/sheet1.xml"
    for change in (lambda b: b.replace(b'<dimension ref="A1:D11"/>', b""),
                   lambda b: b.replace(b'<dimension ref="A1:D11"/>', b'<dimension ref="A1:D2"/>')):
        data = rewrite(xlsx(rows), sheet, change)
        assert "超过 9 行" in refused(data, max_rows=9)
        assert len(list(open_table(data, "名册.xlsx").rows())) == 10


def test_empty_styled_rows_do_not_count_towards_the_limit():
    rows = [HEADERS, ["张三", "1", "2", "3"]]
    blank = b"".join(f'<row r="{n}" ht="20" customHeight="1"/>'.encode() for n in range(3, 30))
    data = rewrite(xlsx(rows), "xl/worksheets/sheet1.xml",
                   lambda b: b.replace(b"</sheetData>", blank + b"</sheetData>"))
    table = open_table(data, "名册.xlsx", max_rows=5)
    assert [n for n, _ in table.rows()] == [2]


def test_merged_header_cells_are_refused_and_named():
    message = refused(xlsx([["基本信息", None, "身份证号"], ["张三", "1", "2"]], merge="A1:B1"))
    assert "合并" in message and "A1:B1" in message
    # A merge in the data rows is not the header's problem.
    table = open_table(xlsx([HEADERS, ["张三", None, "1", "2"]], merge="A2:B2"), "名册.xlsx")
    assert table.headers == HEADERS


def test_empty_sheet_is_refused():
    assert "表格是空的" in refused(xlsx([]))
    assert "表格是空的" in refused(xlsx([[None, None], [None, None]]))
    assert "只有表头" in refused(xlsx([HEADERS]))
    assert "只有表头" in refused("姓名,手机号\n,\n".encode(), "名册.csv")
    assert "表格是空的" in refused(b"\n\n", "名册.csv")
    assert "文件是空的" in refused(b"", "名册.csv")


def test_other_file_types_are_refused():
    assert ".xlsx 或 .csv" in refused(b"%PDF-1.4 ...", "名册.pdf")


# --- cells ------------------------------------------------------------------------------

def test_cell_kinds():
    data = xlsx([
        ["", "姓名", "手机号", "身份证号", "出生日期", "人数", "党员", "合计", None],
        [],
        [None, "张三", 13900001234, 3.30481199001011e17, date(1990, 1, 2), 2.5, True,
         "=F3*2", None],
        [None, "  ", None, None, datetime(2026, 3, 1, 9, 30), None, False, None, "多余"],
    ])
    table = open_table(data, "名册.xlsx")
    assert table.headers == ["", "姓名", "手机号", "身份证号", "出生日期", "人数", "党员", "合计"]
    rows = list(table.rows())
    assert [n for n, _ in rows] == [3, 4]
    cells = rows[0][1]
    assert len(cells) == len(table.headers)
    assert cells[0] == Cell(None, "empty")
    assert cells[1] == Cell("张三", "text")
    assert cells[2] == Cell("13900001234", "number", 13900001234)
    assert cells[3].kind == "number" and cells[3].value == "330481199001011008"
    assert cells[4] == Cell("1990-01-02", "date", datetime(1990, 1, 2))
    assert cells[5] == Cell("2.5", "number", 2.5)
    assert cells[6] == Cell("TRUE", "bool", True)
    assert cells[7].kind == "formula" and cells[7].value == "=F3*2"
    second = rows[1][1]
    assert second[1] == Cell(None, "empty")  # whitespace only
    assert second[4].value == "2026-03-01 09:30:00" and second[4].kind == "date"
    assert second[6] == Cell("FALSE", "bool", False)


def test_float_integers_lose_their_point():
    data = rewrite(xlsx([HEADERS, ["张三", 1, 2, 3]]), "xl/worksheets/sheet1.xml",
                   lambda b: b.replace(b"<v>1</v>", b"<v>13900001234.0</v>"))
    cells = next(open_table(data, "名册.xlsx").rows())[1]
    assert cells[1] == Cell("13900001234", "number", 13900001234.0)


def test_rows_can_be_read_twice():
    table = open_table(xlsx(SIMPLE), "名册.xlsx")
    assert list(table.rows()) == list(table.rows())
    assert table.row_count_hint == 1


def test_only_the_first_worksheet_is_read():
    wb = Workbook()
    wb.active.append(HEADERS)
    wb.active.append(["张三", "1", "2", "3"])
    other = wb.create_sheet("说明")
    other.append(["别的"])
    buf = io.BytesIO()
    wb.save(buf)
    table = open_table(buf.getvalue(), "名册.xlsx")
    assert table.headers == HEADERS
    assert [c.value for c in next(table.rows())[1]][:1] == ["张三"]


# --- csv --------------------------------------------------------------------------------

CSV_TEXT = "姓名,手机号,身份证号\r\n张三,13900001234,330481199001011234\r\n\r\n李四,,\r\n"


@pytest.mark.parametrize("encoded", [
    CSV_TEXT.encode("utf-8"),
    CSV_TEXT.encode("utf-8-sig"),
    CSV_TEXT.encode("gb18030"),
    CSV_TEXT.encode("utf-16"),
], ids=["utf-8", "utf-8-bom", "gb18030", "utf-16"])
def test_csv_encodings(encoded):
    table = open_table(encoded, "名册.csv")
    assert table.headers == ["姓名", "手机号", "身份证号"]
    rows = list(table.rows())
    assert [n for n, _ in rows] == [2, 4]
    assert rows[0][1] == [Cell("张三", "text"), Cell("13900001234", "text"),
                          Cell("330481199001011234", "text")]
    assert rows[1][1] == [Cell("李四", "text"), Cell(None, "empty"), Cell(None, "empty")]


def test_csv_gb18030_is_not_mistaken_for_utf8():
    assert CSV_TEXT.encode("gb18030") != CSV_TEXT.encode("utf-8")
    with pytest.raises(UnicodeDecodeError):
        CSV_TEXT.encode("gb18030").decode("utf-8")


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_csv_delimiter_is_sniffed(delimiter):
    text = f"姓名{delimiter}备注\n张三{delimiter}\"有,逗号;和分号\"\n"
    table = open_table(text.encode(), "名册.csv")
    assert table.headers == ["姓名", "备注"]
    assert next(table.rows())[1][1].value == "有,逗号;和分号"


def test_csv_values_are_text_even_when_they_look_like_numbers_or_formulas():
    cells = next(open_table(b"a,b\n12.0,=1+1\n", "a.csv").rows())[1]
    assert [c.kind for c in cells] == ["text", "text"]
    assert [c.value for c in cells] == ["12.0", "=1+1"]


def test_undecodable_csv_is_refused():
    assert "编码" in refused(b"\xfe\xff\x80\x81\x00binary\x01\x02", "名册.csv")
    assert "编码" in refused(b"a,b\n\x80\xff,1\n", "名册.csv")
    assert "编码" in refused(b"a,b\n\x00,1\n", "名册.csv")


# --- streaming --------------------------------------------------------------------------

def _big_xlsx(n: int) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(HEADERS + ["服务"])
    for i in range(n):
        ws.append([f"志愿者{i % 50}", 13900000000 + i, f"3304811990{i:08d}",
                   date(1990, 1, 1 + i % 28), "助老"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_reading_20000_rows_streams():
    table = open_table(_big_xlsx(20_000), "名册.xlsx")
    assert table.row_count_hint == 20_000
    tracemalloc.start()
    try:
        count = last = 0
        for number, cells in table.rows():
            count += 1
            last = number
            assert cells[1].kind == "number"
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (count, last) == (20_000, 20_001)
    assert peak < 8 * 1024 * 1024, peak
