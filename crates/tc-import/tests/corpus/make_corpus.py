#!/usr/bin/env python3
"""Writes the import corpus: small files, good and malformed, each with a purpose.

The files are committed; this script documents how they were made and can remake them
(python3 make_corpus.py, with openpyxl installed for the .xlsx files). Check characters are
computed here independently of tongchou-core (ISO 7064 MOD 11-2 for ID numbers, GB 32100 and
GB 11714 for credit codes), so the tests also cross-check the core's checks.

"Today" for every test is 2026-11-27.
"""
import datetime
import os

HERE = os.path.dirname(os.path.abspath(__file__))

ID_W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_C = "10X98765432"


def idn(addr, birth, seq):
    s = f"{addr}{birth}{seq:03d}"
    return s + ID_C[sum(int(a) * w for a, w in zip(s, ID_W)) % 11]


CC = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CC_W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ORG_W = [3, 7, 9, 10, 5, 8, 4, 2]


def org_check(org8):
    s = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(org8, ORG_W))
    r = 11 - s % 11
    return {10: "X", 11: "0"}.get(r, str(r))


def cc(area, org8):
    body = "91" + area + org8 + org_check(org8)
    return body + CC[(31 - sum(CC.index(c) * w for c, w in zip(body, CC_W)) % 31) % 31]


# People (sex is the parity of the 17th digit: odd is male).
WANG = idn("140105", "19800115", 11)   # male
LI = idn("140202", "19851020", 22)     # female, born in the retired 大同城区
ZHAO = idn("142601", "19900301", 33)   # male, 临汾 (retired prefecture code 1426)
CHEN = idn("140105", "19920704", 44)   # female
SUN = idn("110105", "19750909", 15)    # male, born in Beijing
BAD_CHECK = WANG[:17] + ("0" if WANG[17] != "0" else "1")
# Employers.
STEEL = cc("140105", "MA0K7Q2L")
COAL = cc("140202", "12345678")
BAD_CC = STEEL[:17] + ("A" if STEEL[17] != "A" else "B")


def write(name, text, encoding="utf-8", bom=False):
    data = text.replace("\n", "\r\n").encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def main():
    persons_header = "身份证号,姓名,性别,出生日期,人员类别,参保区县代码,单位统一社会信用代码,缴费类型,参保日期"
    good_persons = (
        persons_header + "\n"
        f"{WANG},王建国,男,1980-01-15,男,140105,{STEEL},职工,2002-07-01\n"
        f"{LI},李秀英,,,女干部,140202,,灵活就业,2010-03-15\n"
        f'{ZHAO},"赵,小明",,,male,140781,{COAL},employee,2015/9/1\n'
    )
    write("persons_ok_utf8_bom.csv", good_persons, bom=True)
    write("persons_ok_gbk.csv", good_persons, encoding="gbk")

    write(
        "persons_bad.csv",
        persons_header + "\n"
        f"{WANG},王建国,男,1980-01-15,男,140105,{STEEL},职工,2002-07-01\n"
        f"{BAD_CHECK},错校验,,,男,140105,{STEEL},职工,2002-07-01\n"
        f"{CHEN},陈静,,,女工人,140999,{STEEL},职工,2012-01-01\n"
        f"{SUN},孙立,,,男,110105,{STEEL},职工,2000-01-01\n"
        f"{ZHAO},赵小明,女,,女干部,140105,{STEEL},职工,2015-09-01\n"
        f"{CHEN},陈静,,,女工人,140105,,职工,2012-01-01\n"
        f"{LI},李秀英,,,女工人,140213,{COAL},灵活就业,2010-03-15\n"
        f"{idn('140105', '19950505', 55)},周未来,,,男,140105,{STEEL},职工,2027-01-01\n"
        f"{WANG},王建国,男,1980-01-15,男,140105,{STEEL},职工,2002-07-01\n"
        f"{CHEN[:17]}x,陈静,,,女工人,140105,{STEEL},职工,2012-01-01\n"
        f"{idn('140105', '19880808', 66)},吴刚,,,干部,140105,{STEEL},职工,2010-01-01\n"
        f"{idn('140105', '19880808', 77)},郑强,,1988-08-09,男,140105,{STEEL},职工,2010-01-01\n"
        f"{idn('140105', '19880808', 97)},冯军,,,男,140105,{BAD_CC},职工,2010-01-01\n"
        f"{idn('140105', '19880808', 17)},,,,男,140100,{STEEL},职工,1980-01-01\n",
    )

    write(
        "persons_wrong_header.csv",
        "身份证号,姓名,工号,人员类别,参保区县代码,id_number,缴费类型\n"
        f"{WANG},王建国,001,男,140105,{WANG},职工\n",
    )

    decl_header = "单位统一社会信用代码,身份证号,姓名,所属期,申报基数(元)"
    write(
        "declarations_bad_gbk.csv",
        decl_header + "\n"
        f"{STEEL},{WANG},王建国,2026-10,6500.00\n"
        f",{LI},李秀英,2026-10,4500\n"
        f"{STEEL},{CHEN},陈静,2026-10,-100\n"
        f"{STEEL},{ZHAO},赵小明,2026-10,5000.123\n"
        f"{STEEL},{CHEN},陈静,2026-12,5000\n"
        f"{STEEL},{WANG},王建国,202610,7000\n"
        f"{LI},{LI},李秀英,2026-09,4500\n"
        f"{WANG},{LI},李秀英,2026-08,4500\n"
        f"{STEEL},{CHEN},陈静,2024-13,5000\n"
        f'{COAL},{ZHAO},赵小明,2026-10,"12,000.50"\n'
        f"{STEEL},{ZHAO},赵小明,2026-09,abc\n",
        encoding="gbk",
    )

    write(
        "declarations_truncated.csv",
        decl_header + "\n"
        f"{STEEL},{WANG},王建国,2026-10,6500.00\n"
        f"{STEEL},{CHEN},陈静,2026-10\n"
        f"{STEEL},{ZHAO},赵小明,2026-10,5000,extra\n"
        f"{STEEL},{LI},李秀英,2026-10,4500\n"
        f'{STEEL},{CHEN},"陈静,2026-11,48',
    )

    coll_header = "缴费人识别号,身份证号,姓名,费款所属期,实缴金额,缴款日期,电子税票号码"
    write(
        "collections_bad.csv",
        coll_header + "\n"
        f"{STEEL},{WANG},王建国,2026-10,1560.00,2026-11-15,326011261100000001\n"
        f"{LI},{LI},李秀英,2026-10,900.00,2026-11-10,326011261100000002\n"
        f"{STEEL},{CHEN},陈静,2026-10,0,2026-11-15,326011261100000001\n"
        f"{STEEL},{ZHAO},赵小明,2026-10,-50,2026-11-15,326011261100000001\n"
        f"{STEEL},{ZHAO},赵小明,2026-09,100.005,2026-11-15,326011261100000001\n"
        f"{STEEL},{ZHAO},赵小明,2026-08,100,2026-11-28,326011261100000001\n"
        f"{STEEL},{WANG},王建国,2026-10,1560.00,2026-11-16,326011261100000001\n"
        f"{STEEL},{CHEN},陈静,2026-09,100,2026-11-15,\n"
        f"{STEEL},{WANG},王建国,2026-10,1560.00,2026-11-15,326011261100000003\n"
        f"{BAD_CC},{CHEN},陈静,2026-08,100,2026-11-15,326011261100000004\n",
    )

    emp_header = "统一社会信用代码,单位名称,所属区县代码,行业代码,单位状态"
    write(
        "employers_bad.csv",
        emp_header + "\n"
        f"{STEEL},太原钢铁示范有限公司,140105,C3110,正常\n"
        f"{BAD_CC},校验错误公司,140105,C,正常\n"
        f"{COAL},大同煤业示范公司,140202,A13,暂停\n"
        f"{cc('140105', 'MA0K7Q3A')},倒闭公司,140105,C,倒闭\n"
        f"{cc('140100', 'MA0K7Q4B')},市级单位,140100,O,\n"
        f"{STEEL},太原钢铁示范有限公司,140105,C3110,正常\n"
        f"{cc('140171', 'MA0K7Q5C')},综改区企业,140171,I65,注销\n",
    )

    write("empty.csv", "")
    write("blank_rows.csv", "\n\n,,,\n")
    # Excel's "Unicode text" export: UTF-16 little-endian with its byte-order mark.
    with open(os.path.join(HERE, "utf16.csv"), "wb") as f:
        f.write(b"\xff\xfe" + (persons_header + "\r\n").encode("utf-16-le"))
    # An old binary workbook (only its signature matters).
    with open(os.path.join(HERE, "old_binary.xls"), "wb") as f:
        f.write(bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504))
    # GBK with an invalid byte pair in one name (0x81 then a space is no GBK character).
    gbk = (decl_header + "\n").encode("gbk")
    gbk += f"{STEEL},{WANG},".encode() + "王".encode("gbk") + b"\x81 " + b",2026-10,6500\n"
    gbk += f"{STEEL},{CHEN},".encode() + "陈静".encode("gbk") + b",2026-10,4800\n"
    with open(os.path.join(HERE, "declarations_bad_bytes_gbk.csv"), "wb") as f:
        f.write(gbk)

    write_xlsx()


def write_xlsx():
    try:
        import openpyxl
    except ImportError:
        print("openpyxl missing: .xlsx files not remade")
        return
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "参保人员"
    ws.append(["身份证号", "姓名", "性别", "出生日期", "人员类别", "参保区县代码",
               "单位统一社会信用代码", "缴费类型", "参保日期"])
    ws.append([WANG, "王建国", "男", "1980-01-15", "男", 140105, STEEL, "职工",
               datetime.date(2002, 7, 1)])
    ws.append([LI, "李秀英", None, None, "女干部", "140202", None, "灵活就业", "2010-03-15"])
    ws.append([int(ZHAO), "赵小明", None, None, "男", 140781, COAL, "职工", "2015-09-01"])
    ws.append([CHEN, "陈静", None, None, "女工人", 140999, STEEL, "职工",
               datetime.date(2012, 1, 1)])
    ws.append([])
    ws.append([WANG, "王建国", "男", None, "男", 140105, STEEL, "职工", "2002-07-01"])
    for c in ws["I"][1:]:
        if isinstance(c.value, datetime.date):
            c.number_format = "yyyy-mm-dd"
    wb.save(os.path.join(HERE, "persons_openpyxl.xlsx"))

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["缴费人识别号", "身份证号", "费款所属期", "实缴金额(元)", "缴款日期", "电子税票号码"])
    ws.append([STEEL, WANG, "2026-10", 1560.0, datetime.date(2026, 11, 15), "326011261100000001"])
    ws.append([STEEL, CHEN, 202610, 0.1 + 0.2, datetime.date(2026, 11, 15), "326011261100000002"])
    ws.append([LI, LI, "2026-10", 1.234, datetime.date(2026, 11, 15), "326011261100000003"])
    ws.append([STEEL, ZHAO, "2026-10", 1234.5599999999999, "2026-11-15", 326011261100000004])
    ws.append([STEEL, ZHAO, "2026-09", 800, "2026-11-15", 3260112611])
    for row in ws.iter_rows(min_row=2, min_col=5, max_col=5):
        for c in row:
            if isinstance(c.value, datetime.date):
                c.number_format = "yyyy-mm-dd"
    wb.save(os.path.join(HERE, "collections_openpyxl.xlsx"))


if __name__ == "__main__":
    main()
