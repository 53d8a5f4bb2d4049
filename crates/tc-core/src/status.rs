//! Registry statuses shared by every crate that reads or writes the registry (imports, the
//! synthetic province, the store): one spelling in the database, one set of accepted names.

use std::fmt;
use std::str::FromStr;

/// An employer's registration status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EmployerStatus {
    /// 正常: contributing.
    Active,
    /// 暂停: contributions suspended.
    Suspended,
    /// 注销: deregistered.
    Closed,
}

impl EmployerStatus {
    /// The spelling stored in the registry.
    pub fn as_str(self) -> &'static str {
        match self {
            EmployerStatus::Active => "active",
            EmployerStatus::Suspended => "suspended",
            EmployerStatus::Closed => "closed",
        }
    }
    /// The name staff read (正常, 暂停, 注销).
    pub fn label_zh(self) -> &'static str {
        match self {
            EmployerStatus::Active => "正常",
            EmployerStatus::Suspended => "暂停",
            EmployerStatus::Closed => "注销",
        }
    }
}

impl fmt::Display for EmployerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EmployerStatus {
    type Err = String;
    /// The stored spelling or the names used in the collection agency's files.
    fn from_str(s: &str) -> Result<EmployerStatus, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "正常" | "参保缴费" | "active" => Ok(EmployerStatus::Active),
            "暂停" | "暂停缴费" | "suspended" => Ok(EmployerStatus::Suspended),
            "注销" | "终止" | "closed" => Ok(EmployerStatus::Closed),
            _ => Err(crate::tr!("status-err-employer", text = format!("{s:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_reads_back_from_its_stored_and_chinese_names() {
        for s in [
            EmployerStatus::Active,
            EmployerStatus::Suspended,
            EmployerStatus::Closed,
        ] {
            assert_eq!(s.as_str().parse::<EmployerStatus>(), Ok(s));
            assert_eq!(s.label_zh().parse::<EmployerStatus>(), Ok(s));
        }
        assert!("休眠".parse::<EmployerStatus>().is_err());
    }
}
