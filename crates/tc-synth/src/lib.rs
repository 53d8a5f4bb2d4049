//! A synthetic province for Tongchou: Shanxi's real cities and counties, employers with valid
//! unified social credit codes, insured persons with valid and unique ID numbers whose address
//! codes belong to their county (sometimes a retired GB/T 2260 code of that county), contribution
//! histories, individual-account balances and pensioners with the components of their pension.
//!
//! Deterministic: the same [`Options`] give the same [`Province`], whatever the number of threads
//! (work is split into fixed-size chunks, each with its own random stream from (seed, chunk)).
//! Pure: no I/O, no clock; the policy is passed in (or the built-in one is used).
//!
//! ```
//! let p = tongchou_synth::generate(&tongchou_synth::Options { persons: 2_000, ..Default::default() })?;
//! assert_eq!(p.persons.len(), 2_000);
//! let first = &p.persons[0];
//! println!("{} {} {}", first.name(), first.id_number(), p.county(first).name);
//! # Ok::<(), tongchou_synth::SynthError>(())
//! ```
//!
//! What is synthetic and how (the numbers below are the generator's, not statistics):
//! - County sizes: city population × an urban factor, districts weigh more than counties
//!   (see `geo.rs`). Employers have heavy-tailed sizes; employees are insured where their
//!   employer is registered.
//! - Shares (per 10,000 insured): 6,900 active contributors, 550 suspended, 80 transferred out,
//!   2,350 retired (paid pensioners) and 120 deceased pensioners; men 5,400, women cadres 1,100,
//!   women workers 3,500; 2,400 of the non-retired pay as flexible workers.
//! - Wages: log-normal (σ = 0.5) around the policy's all-caliber average wage; years before the
//!   policy series use 9 %/year back-growth, later years 5 %/year. Balances: 8 % of the indexed
//!   wage each paid month with the policy's crediting rates (3 % before 2016).
//! - Pensioners retire from 2006-01 under 国发〔2005〕38号 with the policy's parameters (benefit
//!   base before 2015: previous year's synthetic average wage), then get the yearly increases
//!   (10 % a year before 2016) as one `adjustment` component.

mod employers;
pub mod geo;
mod ids;
pub mod names;
mod people;
pub mod rng;
mod tables;

use geo::County;
use rayon::prelude::*;
use std::fmt;
use tongchou_core::rules::contribution::PayerKind;
use tongchou_core::rules::pension::PensionInput;
use tongchou_core::rules::retirement::Category;
use tongchou_core::{CreditCode, Date, Fen, IdNumber, Period, Policy, Ratio, RegionCode, Sex};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SynthError(pub String);
impl fmt::Display for SynthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
impl std::error::Error for SynthError {}

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    pub seed: u64,
    /// Insured persons, all statuses (1 to 16,000,000).
    pub persons: usize,
    /// Employers; by default one per 30 insured persons (at least 5).
    pub employers: Option<usize>,
    /// The first month the province will be run from: statuses, balances and pensions are as at
    /// its first day. From 2016-01 (the policy's series start there) to 2040-12.
    pub start: Period,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            seed: 1,
            persons: 10_000,
            employers: None,
            start: Period::from_index(2026 * 12),
        }
    }
}

impl Options {
    pub fn employer_count(&self) -> usize {
        self.employers.unwrap_or((self.persons / 30).max(5))
    }
}

/// Status of an insured person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    Active,
    Suspended,
    Retired,
    Deceased,
    TransferredOut,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Active,
        Status::Suspended,
        Status::Retired,
        Status::Deceased,
        Status::TransferredOut,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Suspended => "suspended",
            Status::Retired => "retired",
            Status::Deceased => "deceased",
            Status::TransferredOut => "transferred_out",
        }
    }
}

pub use tongchou_core::status::EmployerStatus;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PensionStatus {
    Active,
    Suspended,
    Deceased,
}

impl PensionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PensionStatus::Active => "active",
            PensionStatus::Suspended => "suspended",
            PensionStatus::Deceased => "deceased",
        }
    }
}

/// Marker for "no employer".
pub const NO_EMPLOYER: u32 = u32::MAX;
/// Marker for "no previous county".
pub const NO_COUNTY: u8 = u8::MAX;

/// An employer (用人单位). Its database id is its index + 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Employer {
    pub credit_code: CreditCode,
    /// Index into [`Province::counties`]: the registration area of the credit code.
    pub county: u8,
    /// Index into [`names::INDUSTRIES`].
    pub industry: u8,
    pub status: EmployerStatus,
    /// An individual business (个体工商户, credit code category 92) rather than a company.
    pub individual: bool,
    brand: u8,
    noun: u8,
    /// Month of registration (`Period::index`).
    pub registered: i32,
    pub status_since: i32,
    /// Relative number of employees (synthetic).
    pub size: u32,
}

impl Employer {
    pub fn industry(&self) -> &'static names::Industry {
        &names::INDUSTRIES[self.industry as usize % names::INDUSTRIES.len()]
    }
}

/// An insured person. Database id = index + 1. 64 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Person {
    pub birth: Date,
    /// The address code of the ID number: the county's code or a retired code it handles.
    pub address: RegionCode,
    /// Index into [`Province::employers`], or [`NO_EMPLOYER`].
    pub employer: u32,
    /// Declared monthly wage (employee) or chosen base (flexible payer); 0 once retired.
    pub declared: Fen,
    /// Individual-account balance at the start.
    pub balance: Fen,
    /// First insured month (`Period::index`).
    pub first_insured: i32,
    /// Month the current status began.
    pub status_since: i32,
    /// Month of the last move from `prev_county` (0 when `prev_county` is [`NO_COUNTY`]).
    pub moved: i32,
    /// Average contribution index (平均缴费指数) in 1e-4.
    pub avg_index: u32,
    pub paid_months: u16,
    /// Deemed (视同缴费) months before the individual-account system.
    pub deemed_months: u16,
    /// The ID number's sequence (001-999, odd for men).
    pub seq: u16,
    given: [u8; 2],
    surname: u8,
    /// Index into [`Province::counties`]: the county of insurance.
    pub county: u8,
    pub prev_county: u8,
    pub category: Category,
    pub payer: PayerKind,
    pub status: Status,
}

impl Person {
    pub fn sex(&self) -> Sex {
        match self.category {
            Category::Male => Sex::Male,
            _ => Sex::Female,
        }
    }
    pub fn id_number(&self) -> IdNumber {
        IdNumber::from_parts(self.address, self.birth, self.seq)
    }
    pub fn name(&self) -> String {
        names::render_name(self.surname, self.given, self.sex() == Sex::Female)
    }
    pub fn employer(&self) -> Option<usize> {
        (self.employer != NO_EMPLOYER).then_some(self.employer as usize)
    }
    pub fn first_insured(&self) -> Period {
        Period::from_index(self.first_insured)
    }
    pub fn status_since(&self) -> Period {
        Period::from_index(self.status_since)
    }
    /// The previous county and the month of the move, if the person moved inside the province.
    pub fn moved_from(&self) -> Option<(usize, Period)> {
        (self.prev_county != NO_COUNTY)
            .then(|| (self.prev_county as usize, Period::from_index(self.moved)))
    }
    pub fn avg_index(&self) -> Ratio {
        Ratio(self.avg_index as i64 * 10_000)
    }
    /// Contributes this month (active and not retired).
    pub fn is_contributor(&self) -> bool {
        self.status == Status::Active
    }
}

/// Banks pensions are paid through (real names; every account number is fake, see
/// [`Pensioner::bank_account`]).
pub const BANKS: &[(&str, &str, u32)] = &[
    ("ICBC", "中国工商银行", 22),
    ("ABC", "中国农业银行", 14),
    ("BOC", "中国银行", 10),
    ("CCB", "中国建设银行", 16),
    ("BOCOM", "交通银行", 4),
    ("PSBC", "中国邮政储蓄银行", 12),
    ("SXB", "山西银行", 8),
    ("JSB", "晋商银行", 4),
    ("SXRCU", "山西省农村信用社", 10),
];

/// A pensioner: a retired (or deceased) insured person with the pension fixed at retirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pensioner {
    /// Index into [`Province::persons`].
    pub person: u32,
    /// Retirement month (`Period::index`); the pension is paid from the next month.
    pub retire: i32,
    /// Month the pension ended (death), 0 while it runs.
    pub ended: i32,
    /// Benefit base (计发基数) used at retirement.
    pub benefit_base: Fen,
    /// Individual-account balance at retirement.
    pub account_at_retirement: Fen,
    pub basic: Fen,
    pub account: Fen,
    pub transitional: Fen,
    /// The yearly increases since retirement, as one amount.
    pub adjustment: Fen,
    /// Index of the deemed period, 1e-4.
    pub deemed_index: u32,
    /// Divisor (计发月数) in tenths of a month.
    pub divisor_tenths: u16,
    pub status: PensionStatus,
    /// Index into [`BANKS`].
    pub bank: u8,
}

impl Pensioner {
    pub fn total(&self) -> Fen {
        Fen::new(
            self.basic.fen() + self.account.fen() + self.transitional.fen() + self.adjustment.fen(),
        )
    }
    pub fn retire(&self) -> Period {
        Period::from_index(self.retire)
    }
    pub fn ended(&self) -> Option<Period> {
        (self.ended != 0).then(|| Period::from_index(self.ended))
    }
    pub fn bank(&self) -> &'static (&'static str, &'static str, u32) {
        &BANKS[self.bank as usize % BANKS.len()]
    }
    /// A fake 19-digit bank account: "999999" (no issuer uses it) + the person id on 12 digits
    /// + a Luhn check digit.
    pub fn bank_account(&self) -> String {
        fake_bank_account(self.person as u64 + 1)
    }
}

/// The fake 19-digit bank account of the person with registry id `person_id` (= index in
/// [`Province::persons`] + 1): prefix 999999, which no issuer uses, then the id on 12 digits and
/// a Luhn check digit. The one generator for the loaded province and for the demo's new retirees.
pub fn fake_bank_account(person_id: u64) -> String {
    let body = format!("999999{person_id:012}");
    let mut sum = 0u32;
    for (k, b) in body.bytes().rev().enumerate() {
        let mut d = (b - b'0') as u32;
        if k % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// The generated province.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Province {
    pub options: Options,
    pub counties: Vec<County>,
    pub employers: Vec<Employer>,
    pub persons: Vec<Person>,
    pub pensioners: Vec<Pensioner>,
}

impl Province {
    pub fn county(&self, p: &Person) -> &County {
        &self.counties[p.county as usize]
    }
    pub fn employer_county(&self, e: &Employer) -> &County {
        &self.counties[e.county as usize]
    }
    pub fn employer_name(&self, e: &Employer) -> String {
        let place = names::short_place(&self.employer_county(e).name);
        let brand = names::BRANDS[e.brand as usize % names::BRANDS.len()];
        let nouns = e.industry().nouns;
        let noun = nouns[e.noun as usize % nouns.len()];
        let tail = if e.individual {
            "经营部"
        } else {
            "有限公司"
        };
        format!("{place}{brand}{noun}{tail}")
    }
    /// The input of `tongchou_core::rules::pension::pension` that reproduces a pensioner's
    /// components at retirement (benefit base given, the rest from the policy).
    pub fn pension_input(&self, pn: &Pensioner) -> PensionInput {
        let p = &self.persons[pn.person as usize];
        PensionInput {
            birth: p.birth.period(),
            category: p.category,
            retire: Some(pn.retire()),
            paid_months: p.paid_months as u32,
            deemed_months: p.deemed_months as u32,
            avg_index: p.avg_index(),
            deemed_index: Ratio(pn.deemed_index as i64 * 10_000),
            account_balance: pn.account_at_retirement,
            benefit_base: Some(pn.benefit_base),
            transition_coefficient: None,
        }
    }
    /// Persons per status.
    pub fn status_counts(&self) -> [(Status, usize); 5] {
        let mut n = [0usize; 5];
        for p in &self.persons {
            n[p.status as usize] += 1;
        }
        Status::ALL.map(|s| (s, n[s as usize]))
    }
}

/// Generate a province with the built-in policy.
pub fn generate(options: &Options) -> Result<Province, SynthError> {
    let policy = Policy::builtin().map_err(|e| SynthError(e.to_string()))?;
    generate_with(&policy, options)
}

/// Persons per generation chunk (fixed, so the output does not depend on the thread count).
const CHUNK: usize = 1 << 15;

/// Generate a province with a given policy.
pub fn generate_with(policy: &Policy, options: &Options) -> Result<Province, SynthError> {
    if options.persons == 0 || options.persons > ids::MAX_PERSONS {
        return Err(SynthError(format!(
            "persons must be between 1 and 16,000,000, got {}",
            options.persons
        )));
    }
    let (sy, sm) = (options.start.year(), options.start.month());
    if !(2016..=2040).contains(&sy) {
        return Err(SynthError(format!(
            "start {sy:04}-{sm:02} must lie between 2016-01 and 2040-12"
        )));
    }
    let n_employers = options.employer_count();
    if n_employers == 0 || n_employers > 50_000_000 {
        return Err(SynthError(format!(
            "employers must be between 1 and 50,000,000, got {n_employers}"
        )));
    }
    let t = tables::Tables::new(policy, options.start)?;
    let counties = geo::shanxi_counties();
    let employers = employers::generate(options, &counties, n_employers)?;
    let ctx = people::Context::new(options, &t, &counties, &employers)?;

    let mut persons = vec![ctx.placeholder(); options.persons];
    let chunks: Vec<Vec<Pensioner>> = persons
        .par_chunks_mut(CHUNK)
        .enumerate()
        .map(|(c, slice)| ctx.fill(c, c * CHUNK, slice))
        .collect();
    let mut pensioners: Vec<Pensioner> =
        Vec::with_capacity(chunks.iter().map(Vec::len).sum::<usize>());
    for c in chunks {
        pensioners.extend(c);
    }

    // Unique ID numbers.
    let mut keys: Vec<ids::IdKey> = persons
        .par_iter()
        .map(|p| ids::IdKey {
            address: ctx.address_index(p.address),
            birth_days: p.birth.days_since_epoch(),
            female: p.sex() == Sex::Female,
        })
        .collect();
    let (seqs, moved) = ids::assign(options.seed, &mut keys);
    persons
        .par_iter_mut()
        .zip(seqs.par_iter())
        .for_each(|(p, s)| p.seq = *s);
    for i in moved {
        persons[i].birth = Date::from_days_since_epoch(keys[i].birth_days);
    }

    Ok(Province {
        options: options.clone(),
        counties,
        employers,
        persons,
        pensioners,
    })
}

#[cfg(test)]
mod tests;
