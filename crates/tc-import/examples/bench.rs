//! Parsing speed on generated files: `cargo run --release -p tongchou-import --example bench
//! [ROWS]` (default 1 000 000). Writes a declarations CSV (UTF-8), the same in GBK, a persons CSV
//! and a declarations XLSX to the temporary directory, validates each in a fresh process (a full
//! pass: decoding, every check, duplicate detection, SHA-256), prints rows/s, MB/s and that
//! process's peak memory, and removes the files. `bench gen [ROWS]` only writes the files and
//! `bench run KIND PATH` measures one (for profiling). `bench history gen PERSONS PATH` writes a
//! legacy contribution history (12 years a person) and `bench history run PATH
//! dedicated|general` reads it as `tongchou migrate check` does (`parallel`, 4 MiB pieces, no
//! duplicate table), with the dedicated reader of plain rows or with the general reader alone
//! as before it.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;
use tongchou_core::{CreditCode, Date, IdNumber, RegionCode};
use tongchou_import::{Declaration, Options, Person, validate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("run") {
        let (Some(kind), Some(path)) = (args.get(2), args.get(3)) else {
            return Err("usage: bench run KIND PATH".into());
        };
        return run(kind, Path::new(path));
    }
    if args.get(1).map(String::as_str) == Some("history") {
        return history(&args[2..]);
    }
    if args.get(1).map(String::as_str) == Some("gen") {
        // Only write the files (for profiling `bench run`), and say where.
        let rows: u32 = args
            .get(2)
            .map(|a| a.parse())
            .transpose()?
            .unwrap_or(1_000_000);
        for (kind, path) in generate(rows)? {
            println!("{kind} {}", path.display());
        }
        return Ok(());
    }
    let rows: u32 = match args.get(1) {
        Some(a) => a.parse()?,
        None => 1_000_000,
    };
    let files = generate(rows)?;
    let exe = std::env::current_exe()?;
    for (kind, path) in &files {
        // A fresh process per file, so that its peak memory is the import's alone.
        let out = std::process::Command::new(&exe)
            .arg("run")
            .arg(kind)
            .arg(path)
            .output()?;
        print!("{}", String::from_utf8_lossy(&out.stdout));
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
    }
    for (_, path) in files {
        std::fs::remove_file(path)?;
    }
    Ok(())
}

fn generate(rows: u32) -> Result<Vec<(&'static str, PathBuf)>, Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir();
    let county = RegionCode::new(140105)?;
    let employer = CreditCode::from_parts(b'9', b'1', county, b"MA0K7Q2L").ok_or("credit code")?;
    let start = Date::new(1960, 1, 1)?;
    let id = |i: u32| {
        IdNumber::from_parts(
            county,
            start.add_days((i / 998) as i64),
            (i % 998 + 1) as u16,
        )
    };
    let decl_header = "单位统一社会信用代码,身份证号,姓名,所属期,申报基数";
    let decl_line = |i: u32| {
        format!(
            "{employer},{},张三丰,2026-10,{}.{:02}",
            id(i),
            3000 + i % 9000,
            i % 100
        )
    };

    let decl = dir.join("tongchou-bench-declarations.csv");
    write_lines(&decl, decl_header, rows, false, decl_line)?;
    let gbk = dir.join("tongchou-bench-declarations-gbk.csv");
    write_lines(&gbk, decl_header, rows, true, decl_line)?;
    let persons = dir.join("tongchou-bench-persons.csv");
    write_lines(
        &persons,
        "身份证号,姓名,性别,出生日期,人员类别,参保区县代码,单位统一社会信用代码,缴费类型,参保日期",
        rows,
        false,
        |i| {
            let p = id(i);
            let (sex, cat) = match (p.sex(), i % 2) {
                (tongchou_core::Sex::Male, _) => ("男", "男"),
                (tongchou_core::Sex::Female, 0) => ("女", "女干部"),
                (tongchou_core::Sex::Female, _) => ("女", "女工人"),
            };
            format!(
                "{p},李四,{sex},{},{cat},140105,{employer},职工,2005-07-01",
                p.birth()
            )
        },
    )?;
    let xlsx = dir.join("tongchou-bench-declarations.xlsx");
    write_xlsx(
        &xlsx,
        rows,
        |i| {
            [
                employer.to_string(),
                id(i).to_string(),
                "张三丰".into(),
                "2026-10".into(),
            ]
        },
        |i| format!("{}.{:02}", 3000 + i % 9000, i % 100),
    )?;
    Ok(vec![
        ("declarations", decl),
        ("declarations", gbk),
        ("persons", persons),
        ("declarations", xlsx),
    ])
}

fn run(kind: &str, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let opts = Options::new(Date::new(2026, 11, 27)?);
    let bytes = std::fs::metadata(path)?.len();
    let t = Instant::now();
    let summary = match kind {
        "persons" => validate::<Person>(path, opts),
        _ => validate::<Declaration>(path, opts),
    }
    .map_err(|e| e.to_string())?;
    let s = t.elapsed().as_secs_f64();
    println!(
        "{:<14} {:<12} {:>9} rows {:>7.1} MB in {s:>6.2} s: {:>9.0} rows/s {:>6.1} MB/s, peak memory {} MiB",
        kind,
        summary.format.to_string(),
        summary.rows,
        bytes as f64 / 1e6,
        summary.rows as f64 / s,
        bytes as f64 / 1e6 / s,
        peak_rss_kib() / 1024
    );
    Ok(())
}

fn write_lines(
    path: &Path,
    header: &str,
    rows: u32,
    gbk: bool,
    line: impl Fn(u32) -> String,
) -> std::io::Result<()> {
    let mut w = BufWriter::new(File::create(path)?);
    let mut put = |s: &str| -> std::io::Result<()> {
        if gbk {
            w.write_all(&encoding_rs::GBK.encode(s).0)?;
        } else {
            w.write_all(s.as_bytes())?;
        }
        w.write_all(b"\n")
    };
    put(header)?;
    for i in 0..rows {
        put(&line(i))?;
    }
    w.flush()
}

/// A one-sheet workbook: four inline-string columns and one number column.
fn write_xlsx(
    path: &Path,
    rows: u32,
    text: impl Fn(u32) -> [String; 4],
    number: impl Fn(u32) -> String,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut sheet = String::from(
        "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>",
    );
    let cell = |s: &mut String, col: char, r: u32, v: &str| {
        s.push_str(&format!(
            "<c r=\"{col}{r}\" t=\"inlineStr\"><is><t>{v}</t></is></c>"
        ));
    };
    sheet.push_str("<row r=\"1\">");
    for (c, h) in ['A', 'B', 'C', 'D', 'E'].iter().zip([
        "单位统一社会信用代码",
        "身份证号",
        "姓名",
        "所属期",
        "申报基数",
    ]) {
        cell(&mut sheet, *c, 1, h);
    }
    sheet.push_str("</row>");
    for i in 0..rows {
        let r = i + 2;
        sheet.push_str(&format!("<row r=\"{r}\">"));
        for (c, v) in ['A', 'B', 'C', 'D'].iter().zip(text(i)) {
            cell(&mut sheet, *c, r, &v);
        }
        sheet.push_str(&format!("<c r=\"E{r}\"><v>{}</v></c></row>", number(i)));
    }
    sheet.push_str("</sheetData></worksheet>");
    let workbook = "<workbook xmlns:r=\"r\"><sheets><sheet name=\"s\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
    let rels = "<Relationships><Relationship Id=\"rId1\" Type=\"worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>";
    let mut out = Vec::new();
    let mut cd = Vec::new();
    for (name, data) in [
        ("xl/workbook.xml", workbook.as_bytes()),
        ("xl/_rels/workbook.xml.rels", rels.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
    ] {
        let body = miniz_oxide::deflate::compress_to_vec(data, 1);
        let mut common = Vec::new();
        common.extend_from_slice(&8u16.to_le_bytes());
        common.extend_from_slice(&[0, 0, 0, 0]);
        common.extend_from_slice(&tongchou_import::crc32(data).to_le_bytes());
        common.extend_from_slice(&u32::try_from(body.len())?.to_le_bytes());
        common.extend_from_slice(&u32::try_from(data.len())?.to_le_bytes());
        common.extend_from_slice(&(name.len() as u16).to_le_bytes());
        let offset = u32::try_from(out.len())?;
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&[20, 0, 0, 0]);
        out.extend_from_slice(&common);
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&body);
        cd.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        cd.extend_from_slice(&[20, 0, 20, 0, 0, 0]);
        cd.extend_from_slice(&common);
        cd.extend_from_slice(&[0u8; 12]);
        cd.extend_from_slice(&offset.to_le_bytes());
        cd.extend_from_slice(name.as_bytes());
    }
    let cd_offset = u32::try_from(out.len())?;
    out.extend_from_slice(&cd);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0, 3, 0, 3, 0]);
    out.extend_from_slice(&u32::try_from(cd.len())?.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    std::fs::write(path, out)?;
    Ok(())
}

/// Peak resident set size (VmHWM) in KiB, 0 where /proc is not available.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// `history gen PERSONS PATH` / `history run PATH dedicated|general`.
fn history(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    use tongchou_import::LegacyYear;
    use tongchou_import::parallel::{Reading, for_each_read};
    match args {
        [g, n, path] if g == "gen" => {
            let persons: u32 = n.parse()?;
            let county = RegionCode::new(140105)?;
            let start = Date::new(1960, 1, 1)?;
            let mut w = BufWriter::new(File::create(path)?);
            writeln!(w, "身份证号,年度,缴费月数,缴费基数,缴费指数,个人账户记账额")?;
            for i in 0..persons {
                let id = IdNumber::from_parts(
                    county,
                    start.add_days((i / 998) as i64),
                    (i % 998 + 1) as u16,
                );
                for year in 2008..2020u32 {
                    let base = 2500 + (i + year) % 6000;
                    writeln!(
                        w,
                        "{id},{year},12,{base}.00,{}.{:04},{}.{:02}",
                        base / 4000,
                        (i * 7 + year) % 10_000,
                        base * 8 / 100,
                        (i + year) % 100
                    )?;
                }
            }
            w.flush()?;
            Ok(())
        }
        [r, path, how] if r == "run" => {
            let how = match how.as_str() {
                "dedicated" => Reading::Dedicated,
                "general" => Reading::General,
                _ => return Err("dedicated or general".into()),
            };
            let bytes = std::fs::read(path)?;
            let mut opts = Options::new(Date::new(2020, 1, 10)?);
            opts.detect_duplicates = false;
            let t = Instant::now();
            let (mut rows, mut months) = (0u64, 0u64);
            for_each_read::<LegacyYear>(&bytes, opts, (4 << 20, how), |r| {
                rows += 1;
                months += r.months as u64;
            })?;
            let s = t.elapsed().as_secs_f64();
            println!(
                "history {how:?}: {rows} rows ({months} months) in {s:.2} s wall, {:.2} M rows/s",
                rows as f64 / s / 1e6
            );
            Ok(())
        }
        _ => Err(
            "usage: bench history gen PERSONS PATH | bench history run PATH dedicated|general"
                .into(),
        ),
    }
}
