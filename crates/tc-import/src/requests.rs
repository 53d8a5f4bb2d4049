//! Transfer requests (转移接续申请, `docs/FORMATS.md`): the lines another province's agency (or
//! the national transfer platform) sends for insured persons who leave this province — each a
//! request that this province issue the contribution certificate and move the money. Read like
//! every other kind (CSV UTF-8/GBK or XLSX, any column order, all or nothing, every bad row
//! named); one person once per file.

use crate::columns::{Column, Kind, col};
use crate::records::private::{Cells, Key, Parse};
use crate::records::{Record, id_key, record};
use crate::values::{self, Cell};
use tongchou_core::IdNumber;

/// One request line: transfer this person out to that province's agency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferRequest {
    pub row: u64,
    /// The requesting side's number of the request (联系函编号), 1–40 characters.
    pub request_no: String,
    pub id_number: IdNumber,
    /// As the request writes it: checked against the register.
    pub name: String,
    /// The receiving province (six digits, `xx0000`, not this province).
    pub to_province: u32,
    /// The receiving agency (转入地社保经办机构).
    pub to_agency: String,
    /// The account the money goes to, when the request names it: (account name, account
    /// number, the bank's 12-digit CNAPS code).
    pub account: Option<(String, String, String)>,
}

/// The kind's columns, by their place in [`Kind::TransferRequests`]'s list.
pub mod columns {
    pub const REQUEST_NO: usize = 0;
    pub const ID: usize = 1;
    pub const NAME: usize = 2;
    pub const TO_PROVINCE: usize = 3;
    pub const TO_AGENCY: usize = 4;
    pub const ACCOUNT_NAME: usize = 5;
    pub const ACCOUNT: usize = 6;
    pub const CNAPS: usize = 7;
}

pub(crate) const REQUEST_COLUMNS: &[Column] = &[
    col(
        "request_no",
        "联系函编号",
        &["申请编号", "request_number"],
        true,
        "the requesting side's number of the request, 1-40 characters",
    ),
    col(
        "id_number",
        "身份证号",
        &["公民身份号码", "身份证号码", "id"],
        true,
        "18-character resident ID number",
    ),
    col("name", "姓名", &["人员姓名"], true, "full name"),
    col(
        "to_province",
        "转入省份代码",
        &["转入地省份代码", "to"],
        true,
        "the receiving province, six digits (e.g. 110000)",
    ),
    col(
        "to_agency",
        "转入地经办机构",
        &["转入经办机构", "agency"],
        true,
        "the receiving agency's name",
    ),
    col(
        "account_name",
        "转入地账户名称",
        &["收款户名"],
        false,
        "the receiving account's name (with the two columns after it, or none)",
    ),
    col(
        "account",
        "转入地银行账号",
        &["收款账号"],
        false,
        "the receiving account's number",
    ),
    col(
        "cnaps",
        "转入地开户行行号",
        &["收款行行号"],
        false,
        "the receiving bank's CNAPS code, 12 digits",
    ),
];

/// A text of 1–`max` characters on one line.
fn text(c: Cell<'_>, max: usize) -> Result<String, String> {
    let t = c.text.trim();
    if t.chars().count() > max || t.chars().any(char::is_control) {
        return Err(format!("{t:?}: 1-{max} characters on one line"));
    }
    if values::starts_like_a_formula(t) {
        return Err(format!("{t:?} starts like a spreadsheet formula"));
    }
    Ok(t.to_string())
}

/// Another province's code: six digits ending in 0000, a province of GB/T 2260, not Shanxi.
fn province(c: Cell<'_>) -> Result<u32, String> {
    let t = c.text.trim();
    let code = digits(c, 6, 6)?.parse::<u32>().unwrap_or(0);
    if !code.is_multiple_of(10_000) || !values::PROVINCES.contains(&(code / 10_000)) {
        return Err(tongchou_core::tr!(
            "import-err-not-province",
            text = format!("{t:?}")
        ));
    }
    if code == 140_000 {
        return Err(tongchou_core::tr!("import-err-this-province"));
    }
    Ok(code)
}

fn digits(c: Cell<'_>, min: usize, max: usize) -> Result<String, String> {
    let t = c.text.trim();
    if !(min..=max).contains(&t.len()) || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{t:?}: {min}-{max} digits"));
    }
    Ok(t.to_string())
}

impl Parse for TransferRequest {
    const DUPLICATE: Option<&'static str> = Some("same ID number");
    fn key(&self) -> Key {
        Key([id_key(&self.id_number), 0])
    }
    fn parse(c: &mut Cells<'_>) -> Option<TransferRequest> {
        let today = c.today;
        let request_no = c.req(columns::REQUEST_NO, |v| text(v, 40));
        let id = c.req(columns::ID, |v| values::id_number(v, today));
        let name = c.req(columns::NAME, values::name);
        let to = c.req(columns::TO_PROVINCE, province);
        let agency = c.req(columns::TO_AGENCY, |v| text(v, 100));
        let account_name = c.opt(columns::ACCOUNT_NAME, |v| text(v, 100));
        let account = c.opt(columns::ACCOUNT, |v| digits(v, 6, 32));
        let cnaps = c.opt(columns::CNAPS, |v| digits(v, 12, 12));
        let account = match (account_name?, account?, cnaps?) {
            (Some(n), Some(a), Some(b)) => Some((n, a, b)),
            (None, None, None) => None,
            (n, a, b) => {
                let missing = [
                    (n.is_none(), columns::ACCOUNT_NAME),
                    (a.is_none(), columns::ACCOUNT),
                    (b.is_none(), columns::CNAPS),
                ];
                for (_, k) in missing.iter().filter(|m| m.0) {
                    c.fail(*k, tongchou_core::tr!("import-err-account-together"));
                }
                return None;
            }
        };
        Some(TransferRequest {
            row: c.row(),
            request_no: request_no?,
            id_number: id?,
            name: name?,
            to_province: to?,
            to_agency: agency?,
            account,
        })
    }
}
record!(TransferRequest, Kind::TransferRequests);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Options, read_all};
    use tongchou_core::Date;

    const HEADER: &str = "联系函编号,身份证号,姓名,转入省份代码,转入地经办机构,转入地账户名称,转入地银行账号,转入地开户行行号\n";

    fn read(rows: &str) -> Result<Vec<TransferRequest>, String> {
        let csv = format!("{HEADER}{rows}");
        read_all::<TransferRequest>(
            csv.as_bytes(),
            Options::new(Date::new(2026, 1, 1).expect("d")),
        )
        .map(|r| r.0)
        .map_err(|e| e.to_string())
    }

    #[test]
    fn a_good_line_and_the_bad_ones_named() {
        let ok = read("BJ-1,140105195801010112,张三,110000,北京市社会保险基金管理中心,北京市社保中心,6222020200000000011,102100099996\n")
            .expect("good");
        assert_eq!(ok[0].to_province, 110_000);
        assert!(ok[0].account.is_some());
        let bad = read("BJ-1,140105195801010112,张三,140000,中心,,,\nBJ-2,140105195801010112,张三,110100,中心,户名,,\n")
            .expect_err("refused");
        assert!(bad.contains("第 2 行 转入省份代码"), "{bad}");
        assert!(bad.contains("第 3 行 转入省份代码"), "{bad}");
        assert!(bad.contains("第 3 行 转入地银行账号"), "{bad}");
    }
}
