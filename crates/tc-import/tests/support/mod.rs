//! Test helpers: a tiny XLSX writer (ZIP + XML) producing workbooks the way Excel does (shared
//! strings, rich text with phonetic runs, numbers as binary floats, error cells), and fixtures.

#![allow(dead_code)]

use tongchou_core::{CreditCode, Date, RegionCode};
use tongchou_import::{ImportError, Options, Record, crc32, read_all};

/// A cell for [`xlsx`].
#[derive(Clone, Copy, Debug)]
pub enum X<'a> {
    /// A string in the shared-string table.
    S(&'a str),
    /// An inline string.
    I(&'a str),
    /// A number, written as given (e.g. "1234.5599999999999").
    N(&'a str),
    /// A formula with its cached string result.
    F(&'a str),
    /// An error value such as "#N/A".
    E(&'a str),
    /// No cell at all (sparse row).
    Skip,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn col_letters(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).expect("ascii")
}

/// A workbook whose first sheet holds `rows` (row numbers given explicitly, so gaps are blank
/// rows), plus a second sheet that must be ignored.
pub fn xlsx(rows: &[(u32, Vec<X<'_>>)]) -> Vec<u8> {
    let mut shared: Vec<String> = Vec::new();
    let mut sheet = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
         xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">\
         <dimension ref=\"A1\"/><sheetData>",
    );
    for (r, cells) in rows {
        sheet.push_str(&format!("<row r=\"{r}\" spans=\"1:9\">"));
        for (i, c) in cells.iter().enumerate() {
            let at = format!("{}{r}", col_letters(i));
            match c {
                X::S(s) => {
                    let k = shared.iter().position(|x| x == s).unwrap_or_else(|| {
                        shared.push(s.to_string());
                        shared.len() - 1
                    });
                    sheet.push_str(&format!("<c r=\"{at}\" s=\"1\" t=\"s\"><v>{k}</v></c>"));
                }
                X::I(s) => sheet.push_str(&format!(
                    "<c r=\"{at}\" t=\"inlineStr\"><is><t xml:space=\"preserve\">{}</t></is></c>",
                    esc(s)
                )),
                X::N(n) => sheet.push_str(&format!("<c r=\"{at}\"><v>{n}</v></c>")),
                X::F(s) => sheet.push_str(&format!(
                    "<c r=\"{at}\" t=\"str\"><f>CONCAT(\"a\",\"b\")</f><v>{}</v></c>",
                    esc(s)
                )),
                X::E(e) => sheet.push_str(&format!("<c r=\"{at}\" t=\"e\"><v>{e}</v></c>")),
                X::Skip => {}
            }
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");

    // Shared strings: the first one is written as rich text with a phonetic run, as Excel does
    // for East Asian text; the phonetic reading must not leak into the value.
    let mut sst = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"{0}\" uniqueCount=\"{0}\">",
        shared.len()
    );
    for (i, s) in shared.iter().enumerate() {
        if i == 0 && s.chars().count() >= 2 {
            let mid = s.char_indices().nth(1).map(|x| x.0).unwrap_or(0);
            sst.push_str(&format!(
                "<si><r><t>{}</t></r><r><rPr><b/></rPr><t>{}</t></r><rPh sb=\"0\" eb=\"1\"><t>PHONETIC</t></rPh></si>",
                esc(&s[..mid]),
                esc(&s[mid..])
            ));
        } else {
            sst.push_str(&format!("<si><t>{}</t></si>", esc(s)));
        }
    }
    sst.push_str("</sst>");

    let workbook = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
        <workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
        xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">\
        <workbookPr/><sheets><sheet name=\"导入\" sheetId=\"1\" r:id=\"rId7\"/>\
        <sheet name=\"说明\" sheetId=\"2\" r:id=\"rId8\"/></sheets></workbook>";
    let rels = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
        <Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
        <Relationship Id=\"rId8\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet2.xml\"/>\
        <Relationship Id=\"rId7\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/>\
        <Relationship Id=\"rId9\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings\" Target=\"sharedStrings.xml\"/>\
        </Relationships>";
    let other = "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>not this sheet</t></is></c></row></sheetData></worksheet>";
    zip(&[
        ("[Content_Types].xml", b"<Types/>".as_slice(), false),
        ("xl/workbook.xml", workbook.as_bytes(), true),
        ("xl/_rels/workbook.xml.rels", rels.as_bytes(), true),
        ("xl/sharedStrings.xml", sst.as_bytes(), true),
        ("xl/worksheets/sheet2.xml", other.as_bytes(), false),
        ("xl/worksheets/sheet1.xml", sheet.as_bytes(), true),
    ])
}

/// A ZIP archive of (name, data, deflate?) entries.
pub fn zip(entries: &[(&str, &[u8], bool)]) -> Vec<u8> {
    let packed: Vec<Packed<'_>> = entries
        .iter()
        .map(|(name, data, deflate)| Packed {
            name,
            body: if *deflate {
                miniz_oxide::deflate::compress_to_vec(data, 6)
            } else {
                data.to_vec()
            },
            deflated: *deflate,
            crc: crc32(data),
            size: data.len() as u32,
        })
        .collect();
    zip_packed(&packed)
}

/// An entry already compressed (or stored), with the CRC-32 and size of its data.
pub struct Packed<'a> {
    pub name: &'a str,
    pub body: Vec<u8>,
    pub deflated: bool,
    pub crc: u32,
    pub size: u32,
}

/// A ZIP archive of entries already packed.
pub fn zip_packed(entries: &[Packed<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut cd = Vec::new();
    for e in entries {
        let offset = out.len() as u32;
        let method: u16 = if e.deflated { 8 } else { 0 };
        let mut common = Vec::new();
        common.extend_from_slice(&method.to_le_bytes());
        common.extend_from_slice(&[0, 0, 0, 0]);
        common.extend_from_slice(&e.crc.to_le_bytes());
        common.extend_from_slice(&(e.body.len() as u32).to_le_bytes());
        common.extend_from_slice(&e.size.to_le_bytes());
        common.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&[20, 0, 0, 0]);
        out.extend_from_slice(&common);
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(e.name.as_bytes());
        out.extend_from_slice(&e.body);
        cd.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        cd.extend_from_slice(&[20, 0, 20, 0, 0, 0]);
        cd.extend_from_slice(&common);
        cd.extend_from_slice(&[0u8; 12]);
        cd.extend_from_slice(&offset.to_le_bytes());
        cd.extend_from_slice(e.name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&cd);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(cd.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

pub fn today() -> Date {
    Date::new(2026, 11, 27).expect("date")
}

/// The bytes are refused, as of [`today`], with exactly these problems (`row N, column: reason`)
/// and no others.
pub fn refused_bytes<T: Record>(bytes: &[u8], want: &[&str]) {
    let r = match read_all::<T>(bytes, Options::new(today())) {
        Err(ImportError::Rejected(r)) => r,
        Err(e) => panic!("{e}"),
        Ok((recs, _)) => panic!("accepted {} records", recs.len()),
    };
    let got: Vec<String> = r.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(got, want);
    assert_eq!(r.error_total, want.len() as u64);
}

pub fn region(code: u32) -> RegionCode {
    RegionCode::new(code).expect("region")
}

/// The credit code the corpus calls STEEL (see corpus/make_corpus.py).
pub fn steel() -> CreditCode {
    CreditCode::from_parts(b'9', b'1', region(140105), b"MA0K7Q2L").expect("credit code")
}
