"""Roster files shaped like the ones property companies keep (issue 18), for the estate tests.

``real_roster`` writes an xlsx as a site's office makes it: a merged title row above the
header, a 序号 column nobody imports, Chinese headers in the site's own order, building,
entrance and room in separate columns with their suffixes (1栋, 2单元), two phones in one
cell, the ID's last four typed as a number (0123 shown as 123), move-in dates as date cells
and areas as numbers.

``roster_gb18030.csv`` (committed) is what Chinese Excel's "CSV" writes: GB18030 bytes,
units in one column as 1栋1单元402, phones separated by 、, polyphonic surnames (单 Shan,
解 Xie, 曾 Zeng, 仇 Qiu, 朴 Piao, 区 Ou, 查 Zha, 尉迟, 万俟) and rare characters outside GBK
(䶮, 𠮷) that only GB18030 can encode.

``roster_encrypted.xlsx`` (committed) is ``real_roster`` saved with the password 1234 the
way Excel does it (an OLE file holding the encrypted package), made with msoffcrypto-tool,
which the tests themselves do not need.

Regenerate both with ``python tests/data/estate/make_corpus.py`` (the encrypted one only
where msoffcrypto-tool is installed).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

HERE = Path(__file__).parent
GB18030_CSV = HERE / "roster_gb18030.csv"
ENCRYPTED_XLSX = HERE / "roster_encrypted.xlsx"

#: (unit, name, role, phones, note) of the GB18030 file
GB_ROWS: list[tuple[str, str, str, str, str]] = [
    ("1栋1单元101", "单雄信", "业主", "13800138001", ""),
    ("1栋1单元101", "解晓东", "家属", "13900139001、13700137001", "钥匙寄存前台"),
    ("1栋1单元102", "曾国强", "业主", "13800138002", ""),
    ("1栋2单元201", "仇英", "租户", "13800138003", ""),
    ("1栋2单元202", "朴成浩", "业主", "13800138004", "房屋交付：李工"),
    ("2栋1单元301", "区志坚", "业主", "13800138005", ""),
    ("2栋1单元302", "查良镛", "业主", "021-6432 1234", "座机"),
    ("2栋1单元401", "尉迟恭", "业主", "13800138006", ""),
    ("2栋1单元402", "万俟咏", "租户", "13800138007", ""),
    ("2栋2单元501", "刘䶮", "业主", "13800138008", ""),
    ("2栋2单元502", "𠮷田文", "业主", "13800138009", ""),
]
GB_HEADER = ["房号", "姓名", "身份", "联系电话", "备注"]


def write_gb18030_csv(path: Path = GB18030_CSV) -> Path:
    lines = [",".join(GB_HEADER)] + [",".join(row) for row in GB_ROWS]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    return path


#: (building, entrance, room, area, name, role, phones, id_last4, move_in, note)
REAL_ROWS: list[tuple[str, str, str, float, str, str, str, int | str, date | None, str]] = [
    (
        "1栋",
        "1单元",
        "101",
        89.5,
        "张伟",
        "业主",
        "13800138000/13900139000",
        123,
        date(2021, 5, 1),
        "",
    ),
    ("1栋", "1单元", "101", 89.5, "李娜", "家属", "13700137000", "", None, ""),
    ("1栋", "1单元", "102", 120.25, "王芳", "业主", "13600136000", "456X", date(2021, 6, 12), ""),
    (
        "1栋",
        "1单元",
        "201",
        89.5,
        "刘洋",
        "租户",
        "15000150000",
        7890,
        date(2023, 2, 1),
        "租期至2025年",
    ),
    (
        "1栋",
        "2单元",
        "1502",
        143.0,
        "陈静",
        "业主",
        "18600186000",
        "",
        date(2022, 9, 30),
        "钥匙留前台",
    ),
    ("2栋", "1单元", "101", 76.0, "杨帆", "业主", "13500135000;13400134000", 1111, None, ""),
]
REAL_HEADER = [
    "序号",
    "楼栋",
    "单元",
    "房号",
    "建筑面积",
    "姓名",
    "身份",
    "联系电话",
    "证件后四位",
    "入住日期",
    "备注",
]


def real_roster(path: Path, rows: list[tuple] | None = None, *, title: bool = True) -> Path:  # type: ignore[type-arg]
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "业主信息表"
    if title:
        ws.append(["阳光花园业主信息表"])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(REAL_HEADER))
    ws.append(REAL_HEADER)
    for i, row in enumerate(REAL_ROWS if rows is None else rows, start=1):
        ws.append([i, *row])
    book.create_sheet("统计")
    book.save(path)
    return path


def write_encrypted_xlsx(path: Path = ENCRYPTED_XLSX) -> Path:
    import tempfile

    from msoffcrypto.format.ooxml import OOXMLFile

    with tempfile.TemporaryDirectory() as tmp:
        plain = real_roster(Path(tmp) / "plain.xlsx")
        with plain.open("rb") as src, path.open("wb") as out:
            OOXMLFile(src).encrypt("1234", out)
    return path


if __name__ == "__main__":
    print(write_gb18030_csv())
    try:
        print(write_encrypted_xlsx())
    except ImportError:
        print("msoffcrypto-tool not installed: roster_encrypted.xlsx left as it is")
