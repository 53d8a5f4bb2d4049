//! Runs the real `tongchou` binary for the rule commands.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn spawn(args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_tongchou"))
        .args(args)
        .env("TONGCHOU_DB", "sqlite::memory:")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tongchou")
}

fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = spawn(args);
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

fn json(o: &Output) -> serde_json::Value {
    assert!(
        o.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("json output")
}

fn one_line_error(o: &Output, needle: &str) {
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "more than one line: {err}"
    );
    assert!(err.contains(needle), "{err:?} does not mention {needle:?}");
}

#[test]
fn validate_id_numbers_line_by_line() {
    let o = run(
        &[
            "validate",
            "--kind",
            "id-number",
            "--file",
            "-",
            "--today",
            "2026-11-27",
        ],
        "11010519491231002X\n110105194912310021\r\n110105491231002\n\n14010520300101001X\n",
    );
    assert!(o.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 5);
    assert_eq!(
        lines[0],
        serde_json::json!({"line": 1, "input": "11010519491231002X", "valid": true})
    );
    assert_eq!(lines[1]["valid"], false);
    assert_eq!(lines[1]["input"], "110105194912310021");
    assert!(lines[1]["error"].as_str().unwrap_or("").contains("校验位"));
    assert_eq!(lines[2]["valid"], true);
    assert_eq!(lines[3]["valid"], false);
    assert!(
        lines[4]["error"]
            .as_str()
            .unwrap_or("")
            .contains("晚于今天"),
        "{}",
        lines[4]
    );
    // keys in the documented order
    let first = String::from_utf8_lossy(&o.stdout)
        .lines()
        .nth(1)
        .unwrap_or("")
        .to_string();
    assert!(first.starts_with(r#"{"line":2,"input":"#), "{first}");
}

#[test]
fn validate_credit_codes() {
    let o = run(
        &["validate", "--kind", "credit-code", "--file", "-"],
        "91350100M000100Y43\n91350100M000100Y44\n",
    );
    let out = String::from_utf8_lossy(&o.stdout);
    let v: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(v[0]["valid"], true);
    assert_eq!(v[1]["valid"], false);
}

#[test]
fn retirement_age_vectors() {
    let v = json(&run(
        &["retirement-age", "--birth", "1976-02", "--category", "male"],
        "",
    ));
    assert_eq!(v["age"], serde_json::json!({"years": 62, "months": 10}));
    assert_eq!(v["retire"], "2038-12");
    let v = json(&run(
        &["retirement-age", "--birth", "1965-01", "--category", "male"],
        "",
    ));
    assert_eq!(v["retire"], "2025-02");
    let v = json(&run(
        &[
            "retirement-age",
            "--birth",
            "1985-06",
            "--category",
            "female-worker",
        ],
        "",
    ));
    assert_eq!(v["age"], serde_json::json!({"years": 55, "months": 0}));
    assert_eq!(v["retire"], "2040-06");
}

#[test]
fn pension_estimate_worked_example() {
    let input = r#"{"birth":"1965-01","category":"male","paid_months":300,"deemed_months":96,
        "avg_index":"1.15","deemed_index":"1.0","account_balance":"120000.00","benefit_base":"7253",
        "transition_coefficient":"0.013"}"#;
    let v = json(&run(&["pension", "estimate", "--input", "-"], input));
    assert_eq!(v["basic"], "2573.00");
    assert_eq!(v["account"], "867.05");
    assert_eq!(v["transitional"], "754.31");
    assert_eq!(v["total"], "4194.36");
    assert_eq!(v["retire"], "2025-02");
    assert!(
        v["explain"]["basic"]["formula"]
            .as_str()
            .unwrap_or("")
            .contains("benefit_base")
    );
}

#[test]
fn bad_inputs_get_one_line_and_nonzero_exit() {
    one_line_error(
        &run(
            &["retirement-age", "--birth", "1976-13", "--category", "male"],
            "",
        ),
        "--birth",
    );
    one_line_error(
        &run(
            &["retirement-age", "--birth", "1976-01", "--category", "boy"],
            "",
        ),
        "--category",
    );
    one_line_error(
        &run(
            &["pension", "estimate", "--input", "-"],
            r#"{"birth":"1965-01","category":"male","paid_months":-3}"#,
        ),
        "paid_months",
    );
    one_line_error(
        &run(
            &["pension", "estimate", "--input", "-"],
            r#"{"birth":"1965-01","category":"male","paid_months":3,"deemed_months":0,"avg_index":"1","deemed_index":"0","account_balance":"1.001"}"#,
        ),
        "account_balance",
    );
    one_line_error(
        &run(&["pension", "estimate", "--input", "/nonexistent.json"], ""),
        "/nonexistent.json",
    );
    one_line_error(
        &run(
            &[
                "validate",
                "--kind",
                "id-number",
                "--file",
                "/nonexistent.txt",
            ],
            "",
        ),
        "--file",
    );
    one_line_error(
        &run(&["validate", "--kind", "passport", "--file", "-"], ""),
        "--kind",
    );
}

/// `tongchou … | head -3`: a reader that stops reading early closes the pipe; the command ends
/// quietly (no panic, success) instead of failing on the closed pipe.
fn closed_early(args: &[&str], stdin: &str, read_lines: usize) -> Output {
    use std::io::BufRead;
    let mut child = spawn(args);
    let mut stdin_pipe = child.stdin.take().expect("stdin");
    let input = stdin.to_string();
    let feeder = std::thread::spawn(move || {
        let _ = stdin_pipe.write_all(input.as_bytes());
    });
    let mut reader = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    for _ in 0..read_lines {
        let mut line = String::new();
        reader.read_line(&mut line).expect("a line");
    }
    drop(reader);
    let _ = feeder.join();
    child.wait_with_output().expect("wait")
}

#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    // through the program's own writer (10 000 result lines, far beyond a pipe's buffer)
    let ids = "11010519491231002X\n".repeat(10_000);
    // through the output of every other command (`println!`-style), closed before it writes
    for (args, stdin, lines) in [
        (
            vec!["validate", "--kind", "id-number", "--file", "-"],
            ids.as_str(),
            3,
        ),
        (vec!["policy", "--at", "2024-01-01"], "", 0),
    ] {
        let o = closed_early(&args, stdin, lines);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(o.status.success(), "{args:?}: {:?} {err}", o.status);
    }
}

/// `tongchou ARGS…` with `TONGCHOU_LANG` set to `lang` (unset when None).
fn run_in(lang: Option<&str>, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tongchou"));
    c.args(args).env("TONGCHOU_DB", "sqlite::memory:");
    match lang {
        Some(l) => c.env("TONGCHOU_LANG", l),
        None => c.env_remove("TONGCHOU_LANG"),
    };
    c.output().expect("run tongchou")
}

/// `--help`, a subcommand's help, `help SUB` and a command without its subcommand print the
/// help in Chinese by default and in English with `TONGCHOU_LANG=en`: the headings, the usage
/// line, every description and clap's own words.
#[test]
fn help_in_the_readers_language() {
    let zh = run_in(None, &["--help"]);
    assert!(zh.status.success());
    let zh = String::from_utf8_lossy(&zh.stdout).into_owned();
    assert!(zh.contains("用法: tongchou [选项] <命令>"), "{zh}");
    assert!(zh.contains("命令:") && zh.contains("选项:"), "{zh}");
    assert!(zh.contains("打印帮助"), "{zh}");
    for english in [
        "Usage",
        "Options",
        "Commands",
        "Print help",
        "[default",
        "[env",
    ] {
        assert!(!zh.contains(english), "{english} in {zh}");
    }
    let en = run_in(Some("en"), &["--help"]);
    let en = String::from_utf8_lossy(&en.stdout).into_owned();
    assert!(en.contains("Usage: tongchou [OPTIONS] <COMMAND>"), "{en}");
    assert!(en.contains("Commands:") && en.contains("Options:"), "{en}");
    assert!(en.contains("Print help"), "{en}");
    assert!(!en.contains("用法"), "{en}");

    // a subcommand's help, its arguments and their possible values and defaults
    let zh = run_in(None, &["validate", "--help"]);
    let zh = String::from_utf8_lossy(&zh.stdout).into_owned();
    assert!(zh.contains("用法: tongchou validate [选项] --kind"), "{zh}");
    assert!(zh.contains("[可选值：id-number、credit-code]"), "{zh}");
    assert!(zh.contains("[环境变量：TONGCHOU_DB]"), "{zh}");
    let en = run_in(Some("en"), &["validate", "--help"]);
    let en = String::from_utf8_lossy(&en.stdout).into_owned();
    assert!(
        en.contains("[possible values: id-number, credit-code]"),
        "{en}"
    );
    // `help SUB SUBSUB` and `-h`
    let zh = run_in(None, &["help", "ledger", "history"]);
    let zh = String::from_utf8_lossy(&zh.stdout).into_owned();
    assert!(zh.contains("用法: tongchou ledger history"), "{zh}");
    let zh = run_in(None, &["ledger", "-h"]);
    let zh = String::from_utf8_lossy(&zh.stdout).into_owned();
    assert!(zh.contains("用法: tongchou ledger [选项] <命令>"), "{zh}");
    let en = run_in(Some("en"), &["ledger", "-h"]);
    let en = String::from_utf8_lossy(&en.stdout).into_owned();
    assert!(
        en.contains("Usage: tongchou ledger [OPTIONS] <COMMAND>"),
        "{en}"
    );
}

/// The values' placeholders (`<FILE>`) in the help, the usage lines and a refusal are the
/// catalogue's words: Chinese by default, clap's own in English.
#[test]
fn placeholders_in_the_readers_language() {
    let out = |lang, args: &[&str]| {
        let o = run_in(lang, args);
        let text = [o.stdout, o.stderr].concat();
        String::from_utf8_lossy(&text).into_owned()
    };
    let zh = out(None, &["import", "persons", "--help"]);
    assert!(
        zh.contains("用法: tongchou import persons [选项] --file <文件>"),
        "{zh}"
    );
    assert!(
        zh.contains("--today <日期>") && zh.contains("--db <数据库>"),
        "{zh}"
    );
    let zh = out(None, &["import", "template", "--help"]);
    assert!(zh.contains("<类别>"), "{zh}");
    let zh = out(None, &["help", "help"]);
    assert!(zh.contains("[命令]"), "{zh}");
    for args in [
        &["ledger", "month-end", "--help"][..],
        &["validate", "--help"],
        &["import", "persons", "--help"],
        &["demo", "--help"],
        &["report", "--help"],
    ] {
        let zh = out(None, args);
        let ascii = zh.split('<').skip(1).find(|p| {
            p.split('>')
                .next()
                .is_some_and(|w| !w.is_empty() && w.is_ascii())
        });
        assert!(ascii.is_none(), "{args:?}: {ascii:?} in {zh}");
    }
    let zh = out(None, &["demo", "--help"]);
    assert!(zh.contains("--from <起始月份>"), "{zh}");
    let zh = out(None, &["ledger", "month-end"]);
    assert!(zh.contains("--period <期间>"), "{zh}");
    let en = out(Some("en"), &["import", "persons", "--help"]);
    assert!(
        en.contains("Usage: tongchou import persons [OPTIONS] --file <FILE>"),
        "{en}"
    );
    let en = out(Some("en"), &["ledger", "month-end"]);
    assert!(en.contains("--period <PERIOD>"), "{en}");
}
