//! A workbook of about one megabyte whose sheet inflates to 1 GiB (a "zip bomb") is refused, and
//! the reader's memory stays bounded while it does so. In its own test binary so that the
//! process's peak memory is this test's alone.

mod support;

use flate2::Compression;
use flate2::write::DeflateEncoder;
use std::io::Write;
use support::{Packed, zip_packed};
use tongchou_import::{Declaration, ImportError, Options, read_all};

const GIB: usize = 1 << 30;

/// A declarations workbook whose row 2 is `filler` repeated to 1 GiB, written at `at`:
/// inside a cell's text, or between rows.
fn bomb(filler: u8, inside_cell: bool) -> Vec<u8> {
    let head = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
        <worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>\
        <row r=\"1\">\
        <c r=\"A1\" t=\"inlineStr\"><is><t>单位统一社会信用代码</t></is></c>\
        <c r=\"B1\" t=\"inlineStr\"><is><t>身份证号</t></is></c>\
        <c r=\"C1\" t=\"inlineStr\"><is><t>所属期</t></is></c>\
        <c r=\"D1\" t=\"inlineStr\"><is><t>申报基数</t></is></c></row>";
    let (open, close) = if inside_cell {
        (
            "<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>",
            "</t></is></c></row>",
        )
    } else {
        ("", "<row r=\"2\"/>")
    };
    let tail = "</sheetData></worksheet>";
    // best: the flate2 backend differs with the features the workspace unifies (miniz_oxide or
    // zlib-rs), and only the best level keeps the file far below 8 MiB with either
    let mut z = DeflateEncoder::new(Vec::new(), Compression::best());
    let mut crc = crc32fast::Hasher::new();
    let mut size = 0usize;
    let mut put = |bytes: &[u8]| {
        z.write_all(bytes).expect("deflate");
        crc.update(bytes);
        size += bytes.len();
    };
    put(head.as_bytes());
    put(open.as_bytes());
    let chunk = vec![filler; 1 << 20];
    for _ in 0..GIB / chunk.len() {
        put(&chunk);
    }
    put(close.as_bytes());
    put(tail.as_bytes());
    let body = z.finish().expect("deflate");
    assert!(size > GIB);
    let workbook = "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
        xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">\
        <sheets><sheet name=\"s\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
    let rels = "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
        <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/>\
        </Relationships>";
    let small = |name, data: &str| Packed {
        name,
        body: data.as_bytes().to_vec(),
        deflated: false,
        crc: crc32fast::hash(data.as_bytes()),
        size: data.len() as u32,
    };
    zip_packed(&[
        small("xl/workbook.xml", workbook),
        small("xl/_rels/workbook.xml.rels", rels),
        Packed {
            name: "xl/worksheets/sheet1.xml",
            body,
            deflated: true,
            crc: crc.finalize(),
            size: size as u32,
        },
    ])
}

/// The process's peak resident memory in MiB (Linux).
fn peak_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

#[test]
fn a_worksheet_that_inflates_to_1_gib_is_refused_with_bounded_memory() {
    let opts = Options::new(support::today());
    for (filler, inside_cell) in [(b'a', true), (b' ', false)] {
        let file = bomb(filler, inside_cell);
        assert!(file.len() < 8 << 20, "a bomb: {} bytes", file.len());
        let r = match read_all::<Declaration>(&file, opts) {
            Err(ImportError::Rejected(r)) => r,
            other => panic!("accepted a bomb: {other:?}"),
        };
        assert_eq!(r.errors.len(), 1, "{r}");
        let e = &r.errors[0];
        assert_eq!(e.row, 2, "{r}");
        assert!(
            e.reason.contains("工作表") && e.reason.contains("无法读取"),
            "{r}"
        );
        assert!(e.reason.contains("longer than 1048576 bytes"), "{r}");
    }
    // Building each bomb streams 1 MiB at a time; reading it must not hold the inflated sheet.
    if let Some(peak) = peak_mib() {
        assert!(peak < 64, "peak memory {peak} MiB");
    }
}
