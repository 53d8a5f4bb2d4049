//! Dated policy parameters.
//!
//! Parameters live in TOML files under `policy/` (one file per topic). Each parameter has a name,
//! a unit and a list of values, each with the date it takes effect, a source citation and a
//! status saying how sure the value is. Rules ask for "the value in force on date D" and get
//! back the value together with its provenance, which goes into every explanation.
//!
//! The files are compiled into the binary (see [`Policy::builtin`]) and can also be loaded from a
//! directory given at run time (an authorised change is a new file version, reviewed like code).

use crate::money::Fen;
use crate::period::Date;
use crate::ratio::Ratio;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// How sure a value is (see ../shared/domain/policy-reference.md, "How to read this file").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Verified from a retrieved official text or public code.
    Verified,
    /// Only a secondary source (reprints, calculators); consistent but not confirmed.
    Secondary,
    /// General knowledge of the official document, not re-verified.
    Knowledge,
    /// No usable source, or sources conflict; a value is still needed to run.
    Unverified,
    /// A design default of Tongchou (mechanisms.md) or an interpolation, not a published figure.
    Assumed,
}

impl Status {
    /// The status as a reader of an explanation sees it: `已核实 verified`, ….
    pub fn label(self) -> &'static str {
        match self {
            Status::Verified => "已核实 verified",
            Status::Secondary => "二手来源 secondary",
            Status::Knowledge => "据原文记忆 knowledge",
            Status::Unverified => "未核实 unverified",
            Status::Assumed => "设计假定 assumed",
        }
    }

    /// The status in the current language (`policy-status-*` of the catalogue).
    pub fn name(self) -> &'static str {
        use crate::i18n::word;
        match self {
            Status::Verified => word("policy-status-verified"),
            Status::Secondary => word("policy-status-secondary"),
            Status::Knowledge => word("policy-status-knowledge"),
            Status::Unverified => word("policy-status-unverified"),
            Status::Assumed => word("policy-status-assumed"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// An exact decimal ratio ("0.16" or "16%").
    Ratio,
    /// A yuan amount ("4244" or "4243.80").
    Yuan,
    /// An integer (months, days, ages, counts).
    Int,
    /// A text value from a closed set documented in the parameter.
    Text,
    /// A table of integer keys to decimal values (e.g. age -> divisor months).
    Table,
}

/// One dated value as written in a policy file.
#[derive(Clone, Debug, Deserialize)]
struct RawValue {
    from: String,
    value: toml::Value,
    status: Status,
    source: String,
    /// The source note in Chinese (required; optional here only to name what lacks it).
    #[serde(default)]
    source_zh: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
struct RawParam {
    name: String,
    unit: Unit,
    description: String,
    values: Vec<RawValue>,
}

#[derive(Clone, Debug, Deserialize)]
struct RawFile {
    topic: String,
    #[serde(rename = "param", default)]
    params: Vec<RawParam>,
}

/// A validated value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Ratio(Ratio),
    Yuan(Fen),
    Int(i64),
    Text(String),
    /// key -> value scaled by 10 (one decimal, e.g. divisor 138.4 = 1384)
    Table(BTreeMap<i64, i64>),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Ratio(r) => write!(f, "{r}"),
            Value::Yuan(y) => write!(f, "{y}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Text(t) => write!(f, "{t}"),
            Value::Table(t) => write!(f, "{TABLE_OF}{} rows", t.len()),
        }
    }
}

/// How a table value reads in a [`ParamUse`]: `table of 31 rows`.
const TABLE_OF: &str = "table of ";

#[derive(Clone, Debug)]
pub struct Dated {
    pub from: Date,
    pub value: Value,
    pub status: Status,
    pub source: String,
    /// `source` in Chinese, for a reader of zh-CN.
    pub source_zh: String,
    pub note: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Param {
    pub name: String,
    pub topic: String,
    pub unit: Unit,
    pub description: String,
    /// Sorted by `from`, strictly increasing.
    pub values: Vec<Dated>,
}

/// A parameter value as used by a rule: what went into an explanation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParamUse {
    pub name: String,
    pub value: String,
    pub effective_from: Date,
    pub status: Status,
    pub source: String,
    /// `source` in Chinese (empty in explanations kept before it existed).
    #[serde(default)]
    pub source_zh: String,
}

impl ParamUse {
    /// The parameter's name in `lang` (the catalogue's [`param_message_id`]), `None` when the
    /// catalogue lacks it (a test says every parameter of the policy files has one).
    pub fn name_in(&self, lang: crate::i18n::Lang) -> Option<&'static str> {
        crate::i18n::text(lang, &param_message_id(&self.name))
    }

    /// The parameter's name in the current language, else its id.
    pub fn label(&self) -> String {
        self.name_in(crate::i18n::current())
            .map_or_else(|| self.name.clone(), str::to_string)
    }

    /// The source note in `lang`: the Chinese note for zh-CN (the English one where an old
    /// explanation lacks it), the English note for English.
    pub fn source_in(&self, lang: crate::i18n::Lang) -> &str {
        match lang {
            crate::i18n::Lang::ZhCn if !self.source_zh.is_empty() => &self.source_zh,
            _ => &self.source,
        }
    }

    /// The value in `lang`: a table's `table of N rows` from the catalogue (`param-value-table`),
    /// any other value as it is.
    pub fn value_in(&self, lang: crate::i18n::Lang) -> String {
        let rows = self
            .value
            .strip_prefix(TABLE_OF)
            .and_then(|r| r.strip_suffix(" rows"));
        match rows {
            Some(n) => crate::i18n::format(lang, "param-value-table", &[("rows", n)])
                .unwrap_or_else(|| self.value.clone()),
            None => self.value.clone(),
        }
    }

    /// [`ParamUse::source_in`] the current language.
    pub fn source_shown(&self) -> &str {
        self.source_in(crate::i18n::current())
    }
}

/// The catalogue id of a parameter's name: `param-` and the name with `.` and `_` as `-`
/// (`account.crediting_rate` → `param-account-crediting-rate`).
pub fn param_message_id(name: &str) -> String {
    format!("param-{}", name.replace(['.', '_'], "-"))
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError(pub String);
impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
impl std::error::Error for PolicyError {}

/// The whole set of parameters.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    params: HashMap<String, Param>,
}

/// The compiled-in policy files: (file name, contents).
pub const BUILTIN_FILES: &[(&str, &str)] = &[
    (
        "contribution.toml",
        include_str!("../../../policy/contribution.toml"),
    ),
    ("wages.toml", include_str!("../../../policy/wages.toml")),
    ("benefit.toml", include_str!("../../../policy/benefit.toml")),
    ("divisor.toml", include_str!("../../../policy/divisor.toml")),
    ("account.toml", include_str!("../../../policy/account.toml")),
    (
        "adjustment.toml",
        include_str!("../../../policy/adjustment.toml"),
    ),
    (
        "central-adjustment.toml",
        include_str!("../../../policy/central-adjustment.toml"),
    ),
    (
        "retirement.toml",
        include_str!("../../../policy/retirement.toml"),
    ),
    (
        "gap-sharing.toml",
        include_str!("../../../policy/gap-sharing.toml"),
    ),
    (
        "projection.toml",
        include_str!("../../../policy/projection.toml"),
    ),
    (
        "assessment.toml",
        include_str!("../../../policy/assessment.toml"),
    ),
    (
        "early-warning.toml",
        include_str!("../../../policy/early-warning.toml"),
    ),
    (
        "calendar.toml",
        include_str!("../../../policy/calendar.toml"),
    ),
    ("reserve.toml", include_str!("../../../policy/reserve.toml")),
    ("budget.toml", include_str!("../../../policy/budget.toml")),
    (
        "retention.toml",
        include_str!("../../../policy/retention.toml"),
    ),
    (
        "holidays.toml",
        include_str!("../../../policy/holidays.toml"),
    ),
    (
        "transfer.toml",
        include_str!("../../../policy/transfer.toml"),
    ),
];

fn parse_value(unit: Unit, v: &toml::Value) -> Result<Value, String> {
    let as_text = || match v {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(i) => Ok(i.to_string()),
        other => Err(format!(
            "expected a string or integer, got {}",
            other.type_str()
        )),
    };
    match unit {
        Unit::Ratio => as_text()?
            .parse::<Ratio>()
            .map(Value::Ratio)
            .map_err(|e| e.to_string()),
        Unit::Yuan => as_text()?
            .parse::<Fen>()
            .map(Value::Yuan)
            .map_err(|e| e.to_string()),
        Unit::Int => match v {
            toml::Value::Integer(i) => Ok(Value::Int(*i)),
            other => Err(format!("expected an integer, got {}", other.type_str())),
        },
        Unit::Text => as_text().map(Value::Text),
        Unit::Table => {
            let toml::Value::Table(t) = v else {
                return Err(format!("expected a table, got {}", v.type_str()));
            };
            let mut out = BTreeMap::new();
            for (k, val) in t {
                let key: i64 = k
                    .parse()
                    .map_err(|_| format!("table key {k:?} is not an integer"))?;
                let text = match val {
                    toml::Value::String(s) => s.clone(),
                    toml::Value::Integer(i) => i.to_string(),
                    other => {
                        return Err(format!(
                            "table value for {k} must be a number, got {}",
                            other.type_str()
                        ));
                    }
                };
                let r: Ratio = text
                    .parse()
                    .map_err(|e: crate::ratio::RatioError| format!("table value for {k}: {e}"))?;
                if r.0 % 10_000_000 != 0 {
                    return Err(format!("table value for {k}: at most one decimal"));
                }
                out.insert(key, r.0 / 10_000_000);
            }
            Ok(Value::Table(out))
        }
    }
}

impl Policy {
    /// Parse and validate a set of policy files. Errors name the file, parameter and value.
    pub fn from_files<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Policy, PolicyError> {
        let mut params: HashMap<String, Param> = HashMap::new();
        for (file, text) in files {
            let raw: RawFile = toml::from_str(text)
                .map_err(|e| PolicyError(format!("{file}: {}", e.to_string().trim())))?;
            for p in raw.params {
                if params.contains_key(&p.name) {
                    return Err(PolicyError(format!(
                        "{file}: parameter {} is defined twice",
                        p.name
                    )));
                }
                if p.values.is_empty() {
                    return Err(PolicyError(format!(
                        "{file}: parameter {} has no values",
                        p.name
                    )));
                }
                let mut values = Vec::with_capacity(p.values.len());
                for (i, rv) in p.values.iter().enumerate() {
                    let ctx = || format!("{file}: parameter {}, value #{}", p.name, i + 1);
                    let from: Date = rv
                        .from
                        .parse()
                        .map_err(|e| PolicyError(format!("{}, from: {e}", ctx())))?;
                    let value = parse_value(p.unit, &rv.value)
                        .map_err(|e| PolicyError(format!("{}, value: {e}", ctx())))?;
                    if rv.source.trim().is_empty() {
                        return Err(PolicyError(format!(
                            "{}: a source citation is required",
                            ctx()
                        )));
                    }
                    let Some(source_zh) = rv.source_zh.clone().filter(|s| !s.trim().is_empty())
                    else {
                        return Err(PolicyError(format!(
                            "{}: the source citation in Chinese (source_zh) is required",
                            ctx()
                        )));
                    };
                    if let Some(prev) = values.last().map(|d: &Dated| d.from)
                        && from <= prev
                    {
                        return Err(PolicyError(format!(
                            "{}: dates must increase ({from} after {prev})",
                            ctx()
                        )));
                    }
                    values.push(Dated {
                        from,
                        value,
                        status: rv.status,
                        source: rv.source.clone(),
                        source_zh,
                        note: rv.note.clone(),
                    });
                }
                params.insert(
                    p.name.clone(),
                    Param {
                        name: p.name,
                        topic: raw.topic.clone(),
                        unit: p.unit,
                        description: p.description,
                        values,
                    },
                );
            }
        }
        Ok(Policy { params })
    }

    /// The policy compiled into the binary.
    pub fn builtin() -> Result<Policy, PolicyError> {
        // the files are compiled in: parse them once per process, not at every use case's call
        static BUILTIN: std::sync::OnceLock<Result<Policy, PolicyError>> =
            std::sync::OnceLock::new();
        BUILTIN
            .get_or_init(|| Policy::from_files(BUILTIN_FILES.iter().copied()))
            .clone()
    }

    pub fn param(&self, name: &str) -> Result<&Param, PolicyError> {
        self.params
            .get(name)
            .ok_or_else(|| PolicyError(format!("unknown policy parameter {name}")))
    }

    pub fn params(&self) -> impl Iterator<Item = &Param> {
        self.params.values()
    }

    /// The value in force on `date`, with its provenance.
    pub fn at(&self, name: &str, date: Date) -> Result<(&Dated, ParamUse), PolicyError> {
        let p = self.param(name)?;
        let idx = p.values.partition_point(|d| d.from <= date);
        if idx == 0 {
            return Err(PolicyError(format!(
                "no value of {name} is in force on {date} (earliest from {})",
                p.values[0].from
            )));
        }
        let d = &p.values[idx - 1];
        let u = ParamUse {
            name: name.to_string(),
            value: d.value.to_string(),
            effective_from: d.from,
            status: d.status,
            source: d.source.clone(),
            source_zh: d.source_zh.clone(),
        };
        Ok((d, u))
    }

    pub fn ratio(&self, name: &str, date: Date) -> Result<(Ratio, ParamUse), PolicyError> {
        match self.at(name, date)? {
            (
                Dated {
                    value: Value::Ratio(r),
                    ..
                },
                u,
            ) => Ok((*r, u)),
            _ => Err(PolicyError(format!("{name} is not a ratio"))),
        }
    }
    pub fn yuan(&self, name: &str, date: Date) -> Result<(Fen, ParamUse), PolicyError> {
        match self.at(name, date)? {
            (
                Dated {
                    value: Value::Yuan(f),
                    ..
                },
                u,
            ) => Ok((*f, u)),
            _ => Err(PolicyError(format!("{name} is not a yuan amount"))),
        }
    }
    pub fn int(&self, name: &str, date: Date) -> Result<(i64, ParamUse), PolicyError> {
        match self.at(name, date)? {
            (
                Dated {
                    value: Value::Int(i),
                    ..
                },
                u,
            ) => Ok((*i, u)),
            _ => Err(PolicyError(format!("{name} is not an integer"))),
        }
    }
    pub fn text(&self, name: &str, date: Date) -> Result<(&str, ParamUse), PolicyError> {
        match self.at(name, date)? {
            (
                Dated {
                    value: Value::Text(t),
                    ..
                },
                u,
            ) => Ok((t.as_str(), u)),
            _ => Err(PolicyError(format!("{name} is not a text value"))),
        }
    }
    pub fn table(
        &self,
        name: &str,
        date: Date,
    ) -> Result<(&BTreeMap<i64, i64>, ParamUse), PolicyError> {
        match self.at(name, date)? {
            (
                Dated {
                    value: Value::Table(t),
                    ..
                },
                u,
            ) => Ok((t, u)),
            _ => Err(PolicyError(format!("{name} is not a table"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().expect("date")
    }

    #[test]
    fn builtin_loads_and_answers_by_date() {
        let p = Policy::builtin().expect("policy files are valid");
        let (r, u) = p
            .ratio("contribution.employer_rate", d("2019-04-30"))
            .expect("rate");
        assert_eq!(r.to_string(), "0.2");
        assert_eq!(u.status, Status::Unverified);
        let (r, _) = p
            .ratio("contribution.employer_rate", d("2019-05-01"))
            .expect("rate");
        assert_eq!(r.to_string(), "0.16");
        let (f, u) = p
            .yuan("contribution.base_floor_monthly", d("2026-03-01"))
            .expect("floor");
        assert_eq!(f, Fen::from_yuan(4244));
        assert_eq!(u.status, Status::Verified);
        let (t, _) = p
            .table("benefit.divisor_months", d("2020-01-01"))
            .expect("divisor");
        assert_eq!(t.get(&47), Some(&2070));
        assert_eq!(t.get(&60), Some(&1390));
        assert_eq!(t.get(&70), Some(&560));
        assert_eq!(t.len(), 31);
    }

    #[test]
    fn every_crediting_rate_2016_2024() {
        let p = Policy::builtin().expect("policy");
        let want = [
            "0.0831", "0.0712", "0.0829", "0.0761", "0.0604", "0.0669", "0.0612", "0.0397",
            "0.0262",
        ];
        for (i, w) in want.iter().enumerate() {
            let y = 2016 + i as i32;
            let (r, _) = p
                .ratio("account.crediting_rate", Date::new(y, 12, 31).expect("d"))
                .expect("rate");
            assert_eq!(r.to_string(), *w, "year {y}");
        }
    }

    /// A policy file of one parameter `name` of `unit` with `values` (the TOML array's items).
    fn one_param(name: &str, unit: &str, values: &str) -> String {
        format!(
            "topic = \"t\"\n[[param]]\nname = \"{name}\"\nunit = \"{unit}\"\ndescription = \"d\"\nvalues = [ {values} ]\n"
        )
    }

    #[test]
    fn errors_name_file_and_param() {
        let bad = one_param(
            "x.rate",
            "ratio",
            r#"{ from = "2020-01-01", value = "abc", status = "assumed", source = "s", source_zh = "来源" }"#,
        );
        let e = Policy::from_files([("bad.toml", bad.as_str())]).unwrap_err();
        assert!(
            e.0.contains("bad.toml") && e.0.contains("x.rate") && e.0.contains("value"),
            "{e}"
        );
        let unordered = one_param(
            "x.n",
            "int",
            r#"{ from = "2020-01-01", value = 1, status = "assumed", source = "s", source_zh = "来源" },
           { from = "2019-01-01", value = 2, status = "assumed", source = "s", source_zh = "来源" }"#,
        );
        assert!(
            Policy::from_files([("u.toml", unordered.as_str())])
                .unwrap_err()
                .0
                .contains("increase")
        );
        let p = Policy::builtin().expect("policy");
        assert!(
            p.ratio("contribution.employer_rate", d("1990-01-01"))
                .is_err()
        );
    }

    #[test]
    fn a_value_without_a_chinese_source_is_refused() {
        let no_zh = one_param(
            "x.days",
            "int",
            r#"{ from = "2020-01-01", value = 1, status = "assumed", source = "s" }"#,
        );
        let e = Policy::from_files([("nozh.toml", no_zh.as_str())]).unwrap_err();
        assert!(
            e.0.contains("nozh.toml") && e.0.contains("x.days") && e.0.contains("source_zh"),
            "{e}"
        );
        let blank = no_zh.replace(r#"source = "s""#, r#"source = "s", source_zh = " ""#);
        let e = Policy::from_files([("blank.toml", blank.as_str())]).unwrap_err();
        assert!(e.0.contains("x.days") && e.0.contains("source_zh"), "{e}");
    }

    #[test]
    fn every_parameter_has_a_name_in_both_languages() {
        use crate::i18n::{Lang, text};
        let p = Policy::builtin().expect("policy");
        let mut missing = Vec::new();
        for param in p.params() {
            for lang in Lang::ALL {
                if text(lang, &param_message_id(&param.name)).is_none() {
                    missing.push(format!(
                        "{} ({})",
                        param_message_id(&param.name),
                        lang.tag()
                    ));
                }
            }
        }
        missing.sort();
        for param in p.params() {
            let zh = text(Lang::ZhCn, &param_message_id(&param.name)).unwrap_or("");
            let en = text(Lang::En, &param_message_id(&param.name)).unwrap_or("");
            assert_eq!(crate::i18n::other_language(zh, Lang::ZhCn), None, "{zh}");
            assert_eq!(crate::i18n::other_language(en, Lang::En), None, "{en}");
            for v in &param.values {
                let s = &v.source_zh;
                let other = crate::i18n::other_language(s, Lang::ZhCn);
                assert_eq!(other, None, "{}: {s}", param.name);
            }
        }
        assert!(
            missing.is_empty(),
            "parameters without a name in the catalogue (add them under `## params:`): {missing:?}"
        );
        assert!(p.params().count() > 100);
    }

    #[test]
    fn a_use_reads_in_the_readers_language() {
        use crate::i18n::{Lang, scope};
        let p = Policy::builtin().expect("policy");
        let (_, u) = p
            .ratio("account.crediting_rate", d("2016-06-30"))
            .expect("rate");
        assert_eq!(u.name_in(Lang::ZhCn), Some("记账利率"));
        assert_eq!(u.name_in(Lang::En), Some("Crediting rate"));
        assert!(u.source_in(Lang::ZhCn).contains("多个计算器"));
        assert!(u.source_in(Lang::En).contains("many calculators"));
        assert_eq!(scope(Lang::En, || u.label()), "Crediting rate");
        let (_, table) = p
            .table("benefit.divisor_months", d("2020-01-01"))
            .expect("divisor");
        assert_eq!(table.value_in(Lang::ZhCn), "共 31 行的表");
        assert_eq!(table.value_in(Lang::En), "table of 31 rows");
        let old = ParamUse {
            source_zh: String::new(),
            ..u
        };
        assert_eq!(old.source_in(Lang::ZhCn), old.source);
    }

    #[test]
    fn floors_and_ceilings_follow_the_rounding_convention_where_derived() {
        // Where the bounds are derived (status assumed) they must follow the Shanxi convention:
        // monthly = round(annual / 12); floor = round(monthly * 0.6); ceiling = monthly * 3.
        let p = Policy::builtin().expect("policy");
        for y in 2020..=2025 {
            let on = Date::new(y, 6, 30).expect("d");
            let (avg, _) = p
                .yuan(
                    "wages.all_caliber_avg_annual",
                    Date::new(y - 1, 12, 31).expect("d"),
                )
                .expect("avg");
            let (floor, fu) = p
                .yuan("contribution.base_floor_monthly", on)
                .expect("floor");
            let (ceil, _) = p
                .yuan("contribution.base_ceiling_monthly", on)
                .expect("ceil");
            assert_eq!(fu.status, Status::Assumed);
            let monthly = crate::money::div_round_half_up(avg.fen() as i128, 1200) as i64;
            assert_eq!(
                floor.fen(),
                crate::money::div_round_half_up(monthly as i128 * 6, 10) as i64 * 100,
                "{y}"
            );
            assert_eq!(ceil.fen(), monthly * 300, "{y}");
        }
    }
}
