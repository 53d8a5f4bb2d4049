//! Insured persons and pensioners, one fixed-size chunk at a time, each chunk with its own random
//! stream. Everything a person needs is drawn here except the ID number's sequence (see `ids.rs`).

use crate::geo::County;
use crate::names::draw_name;
use crate::rng::{Rng, Weighted};
use crate::tables::{S, Tables, pension_components};
use crate::{
    BANKS, Employer, EmployerStatus, NO_COUNTY, NO_EMPLOYER, Options, PensionStatus, Pensioner,
    Person, Status, SynthError,
};
use tongchou_core::money::div_round_half_up;
use tongchou_core::period::days_in_month;
use tongchou_core::rules::contribution::PayerKind;
use tongchou_core::rules::retirement::Category;
use tongchou_core::{Date, Fen, Period, RegionCode};

const STREAM: u64 = 3;

/// Quantiles of a log-normal wage multiplier with σ = 0.5 and mean 1, at p = (i + 0.5) / 256,
/// in 1e-4: round(10⁴ · exp(−σ²/2 + σ · Φ⁻¹(p))), computed once with Python's
/// statistics.NormalDist and kept as integers so the generator needs no floating point.
#[rustfmt::skip]
const LOGNORMAL: [u32; 256] = [
    2085, 2503, 2746, 2928, 3078, 3208, 3323, 3428, 3525, 3615, 3699, 3779, 3855, 3928, 3998, 4065,
    4130, 4193, 4255, 4314, 4372, 4429, 4485, 4539, 4592, 4645, 4696, 4746, 4796, 4845, 4894, 4941,
    4988, 5035, 5081, 5127, 5172, 5216, 5260, 5304, 5348, 5391, 5433, 5476, 5518, 5560, 5601, 5643,
    5684, 5725, 5765, 5806, 5846, 5886, 5926, 5966, 6005, 6045, 6084, 6124, 6163, 6202, 6241, 6279,
    6318, 6357, 6395, 6434, 6472, 6511, 6549, 6587, 6625, 6664, 6702, 6740, 6778, 6816, 6854, 6893,
    6931, 6969, 7007, 7045, 7083, 7121, 7160, 7198, 7236, 7275, 7313, 7352, 7390, 7429, 7467, 7506,
    7545, 7583, 7622, 7661, 7700, 7740, 7779, 7818, 7858, 7897, 7937, 7977, 8017, 8057, 8097, 8137,
    8178, 8218, 8259, 8300, 8341, 8382, 8423, 8465, 8507, 8548, 8590, 8633, 8675, 8718, 8760, 8803,
    8847, 8890, 8934, 8978, 9022, 9066, 9111, 9155, 9200, 9246, 9291, 9337, 9383, 9430, 9476, 9524,
    9571, 9618, 9666, 9715, 9763, 9812, 9862, 9911, 9961, 10012, 10062, 10114, 10165, 10217, 10270, 10323,
    10376, 10430, 10484, 10539, 10594, 10649, 10706, 10762, 10820, 10878, 10936, 10995, 11055, 11115, 11176, 11237,
    11299, 11362, 11426, 11490, 11555, 11621, 11687, 11755, 11823, 11892, 11962, 12033, 12105, 12178, 12252, 12327,
    12403, 12480, 12558, 12637, 12718, 12800, 12883, 12968, 13054, 13142, 13231, 13322, 13414, 13508, 13604, 13702,
    13802, 13904, 14008, 14114, 14222, 14334, 14447, 14564, 14683, 14805, 14930, 15059, 15192, 15328, 15468, 15612,
    15761, 15915, 16073, 16238, 16408, 16585, 16768, 16959, 17158, 17366, 17584, 17812, 18052, 18304, 18572, 18855,
    19157, 19480, 19827, 20201, 20608, 21054, 21547, 22097, 22719, 23435, 24279, 25301, 26599, 28366, 31120, 37353,
];

/// Age bands of the working population: (from years, to years, weight).
const AGE_BANDS: &[(i64, i64, u64)] = &[
    (18, 24, 700),
    (25, 29, 1_100),
    (30, 34, 1_400),
    (35, 39, 1_400),
    (40, 44, 1_300),
    (45, 49, 1_400),
    (50, 54, 1_500),
    (55, 59, 900),
    (60, 62, 300),
];

/// Flexible payers' chosen base as a share of the average wage (percent, weight).
const FLEX_LEVELS: &[(i64, u64)] = &[(60, 55), (80, 20), (100, 15), (150, 6), (200, 3), (300, 1)];

pub(crate) struct Context<'a> {
    seed: u64,
    t: &'a Tables,
    counties: &'a [County],
    employers: &'a [Employer],
    county_w: Weighted,
    active_employer_w: Weighted,
    any_employer_w: Weighted,
    band_w: Weighted,
    flex_w: Weighted,
    retire_w: Weighted,
    bank_w: Weighted,
    /// code − 140000 → index in the address table (+1; 0 = unknown).
    addr_lookup: Vec<u8>,
}

impl<'a> Context<'a> {
    pub fn new(
        options: &Options,
        t: &'a Tables,
        counties: &'a [County],
        employers: &'a [Employer],
    ) -> Result<Context<'a>, SynthError> {
        let mut addr_lookup = vec![0u8; 10_000];
        let mut n = 0usize;
        for c in counties {
            for code in std::iter::once(c.code.get()).chain(c.predecessors.iter().map(|p| p.code)) {
                let k = code
                    .checked_sub(140_000)
                    .map(|k| k as usize)
                    .filter(|k| *k < 10_000);
                let Some(k) = k else {
                    return Err(SynthError(format!("address code {code} is not in Shanxi")));
                };
                if addr_lookup[k] == 0 {
                    n += 1;
                    addr_lookup[k] = u8::try_from(n)
                        .map_err(|_| SynthError("more than 255 address codes".into()))?;
                }
            }
        }
        let retire_w = Weighted::new(
            (t.first_retirement..t.start)
                .map(|m| 40 + 10 * (Period::from_index(m).year() - 2006).max(0) as u64),
        );
        Ok(Context {
            seed: options.seed,
            t,
            counties,
            employers,
            county_w: Weighted::new(counties.iter().map(|c| c.weight)),
            active_employer_w: Weighted::new(employers.iter().map(|e| {
                if e.status == EmployerStatus::Active {
                    e.size as u64
                } else {
                    0
                }
            })),
            any_employer_w: Weighted::new(employers.iter().map(|e| e.size as u64)),
            band_w: Weighted::new(AGE_BANDS.iter().map(|b| b.2)),
            flex_w: Weighted::new(FLEX_LEVELS.iter().map(|b| b.1)),
            retire_w,
            bank_w: Weighted::new(BANKS.iter().map(|b| b.2 as u64)),
            addr_lookup,
        })
    }

    pub fn address_index(&self, code: RegionCode) -> u8 {
        code.get()
            .checked_sub(140_000)
            .and_then(|k| self.addr_lookup.get(k as usize))
            .copied()
            .unwrap_or(0)
    }

    pub fn placeholder(&self) -> Person {
        Person {
            birth: Date::from_days_since_epoch(0),
            address: self.counties[0].code,
            employer: NO_EMPLOYER,
            declared: Fen::ZERO,
            balance: Fen::ZERO,
            first_insured: 0,
            status_since: 0,
            moved: 0,
            avg_index: 0,
            paid_months: 0,
            deemed_months: 0,
            seq: 0,
            given: [0, 0],
            surname: 0,
            county: 0,
            prev_county: NO_COUNTY,
            category: Category::Male,
            payer: PayerKind::Employee,
            status: Status::Active,
        }
    }

    /// Fill one chunk of persons; returns the chunk's pensioners.
    pub fn fill(&self, chunk: usize, base: usize, out: &mut [Person]) -> Vec<Pensioner> {
        let mut rng = Rng::stream(self.seed, STREAM, chunk as u64);
        let mut pensioners = Vec::with_capacity(out.len() / 3);
        for (j, slot) in out.iter_mut().enumerate() {
            let (p, pn) = self.person(&mut rng, (base + j) as u32);
            *slot = p;
            if let Some(pn) = pn {
                pensioners.push(pn);
            }
        }
        pensioners
    }

    fn multiplier(&self, rng: &mut Rng) -> i64 {
        let x = rng.below(256 * 256);
        let (i, f) = ((x >> 8) as usize, (x & 255) as i64);
        let lo = LOGNORMAL[i] as i64;
        let hi = LOGNORMAL.get(i + 1).map(|v| *v as i64).unwrap_or(lo);
        lo + (hi - lo) * f / 256
    }

    /// Birth month of a person still working at the start.
    fn working_birth(&self, rng: &mut Rng, cat: Category) -> i32 {
        let start = self.t.start;
        for _ in 0..8 {
            let (lo, hi, _) = AGE_BANDS[self.band_w.pick(rng).unwrap_or(0)];
            let age = rng.between(lo * 12, hi * 12 + 11) as i32;
            let b = start - 1 - age;
            if self.t.retire_of(b, cat) >= start {
                return b;
            }
        }
        start - 1 - 30 * 12
    }

    /// Birth and retirement month of a pensioner.
    fn retired_birth(&self, rng: &mut Rng, cat: Category) -> (i32, i32) {
        let t = self.t;
        let r = t.first_retirement + self.retire_w.pick(rng).unwrap_or(0) as i32;
        let k = crate::tables::cat_index(cat);
        if cat != Category::FemaleCadre && rng.chance(800) {
            // early retirement of special types of work: five years before the original age
            return (r - (t.orig_age[k] - 60), r);
        }
        let mut b = r - t.orig_age[k];
        let mut n = 0;
        while t.retire_of(b, cat) > r && n < 72 {
            b -= 1;
            n += 1;
        }
        (b, t.retire_of(b, cat).max(t.first_retirement))
    }

    fn address(&self, rng: &mut Rng, county: &County, birth_year: i32) -> RegionCode {
        let eligible = county
            .predecessors
            .iter()
            .filter(|p| birth_year < p.last_year as i32 && p.first_year as i32 <= birth_year + 25);
        let n = eligible.clone().count();
        if n > 0 && rng.chance(6_000) {
            let k = rng.below(n as u64) as usize;
            if let Some(p) = eligible.clone().nth(k)
                && let Ok(code) = RegionCode::new(p.code)
            {
                return code;
            }
        }
        county.code
    }

    fn person(&self, rng: &mut Rng, index: u32) -> (Person, Option<Pensioner>) {
        let t = self.t;
        let start = t.start;
        let status = match rng.below(10_000) {
            0..6_900 => Status::Active,
            6_900..7_450 => Status::Suspended,
            7_450..7_530 => Status::TransferredOut,
            7_530..9_880 => Status::Retired,
            _ => Status::Deceased,
        };
        let category = match rng.below(10_000) {
            0..5_400 => Category::Male,
            5_400..6_500 => Category::FemaleCadre,
            _ => Category::FemaleWorker,
        };
        let female = category != Category::Male;
        let retired = matches!(status, Status::Retired | Status::Deceased);
        let (birth_m, retire_m) = if retired {
            self.retired_birth(rng, category)
        } else {
            (self.working_birth(rng, category), 0)
        };
        let bp = Period::from_index(birth_m);
        let birth = bp.day(rng.between(1, days_in_month(bp.year(), bp.month()) as i64) as u8);

        let mut payer = if rng.chance(if retired { 1_500 } else { 2_400 }) {
            PayerKind::Flexible
        } else {
            PayerKind::Employee
        };
        let mut employer = NO_EMPLOYER;
        if payer == PayerKind::Employee && !retired {
            let w = if status == Status::Active {
                &self.active_employer_w
            } else {
                &self.any_employer_w
            };
            match w.pick(rng) {
                Some(e) => employer = e as u32,
                None => payer = PayerKind::Flexible,
            }
        }
        let county = match employer {
            NO_EMPLOYER => self.county_w.pick(rng).unwrap_or(0),
            e => self.employers[e as usize].county as usize,
        };

        // Contribution history.
        let start_age = match (retired, payer) {
            (true, _) => rng.between(18 * 12, 26 * 12),
            (false, PayerKind::Flexible) => rng.between(20 * 12, 40 * 12),
            (false, PayerKind::Employee) => rng.between(18 * 12, 30 * 12),
        } as i32;
        let cap = match status {
            Status::Retired | Status::Deceased => retire_m - 1,
            Status::Active => start - 1,
            // insured for at least a year before the suspension or transfer
            Status::Suspended | Status::TransferredOut => start - 13,
        };
        let mut first = (birth_m + start_age).min(cap);
        let mut deemed = 0i32;
        if first < t.account_start {
            if retired || rng.chance(7_000) {
                deemed = t.account_start - first;
            } else {
                first = (t.account_start + rng.below(60) as i32).min(cap);
            }
        }
        let status_since = match status {
            Status::Active => first,
            Status::Suspended | Status::TransferredOut => {
                rng.between((first + 1).max(start - 48) as i64, start as i64 - 1) as i32
            }
            Status::Retired => retire_m,
            Status::Deceased => {
                (rng.between(retire_m as i64 + 1, start as i64 - 1) as i32).min(start - 1)
            }
        };
        let end = match status {
            Status::Active => start,
            Status::Suspended | Status::TransferredOut => status_since,
            Status::Retired | Status::Deceased => retire_m,
        };
        let span = (end - first.max(t.account_start)).max(0);
        let continuity = match payer {
            PayerKind::Employee => rng.between(8_500, 10_000),
            PayerKind::Flexible => rng.between(6_000, 9_500),
        } as i32;
        let mut paid = span * continuity / 10_000;
        if retired && deemed + paid < 180 {
            paid = paid.max(span.min(180 - deemed));
        }

        let m = self.multiplier(rng);
        let avg_index = match payer {
            PayerKind::Employee => (3_000 + m * 7 / 10).clamp(6_000, 30_000),
            PayerKind::Flexible => rng.between(6_000, 8_500),
        } as u32;
        let declared = if retired {
            Fen::ZERO
        } else {
            match payer {
                PayerKind::Employee => Fen::new(
                    div_round_half_up(t.wage(t.start_year) as i128 * m as i128, 10_000 * 100)
                        as i64
                        * 100,
                ),
                PayerKind::Flexible => {
                    let pct = FLEX_LEVELS[self.flex_w.pick(rng).unwrap_or(0)].0;
                    let b = div_round_half_up(t.ceiling.fen() as i128 * pct as i128, 300 * 100)
                        as i64
                        * 100;
                    Fen::new(b.clamp(t.floor.fen(), t.ceiling.fen()))
                }
            }
        };

        let c = &self.counties[county];
        let address = self.address(rng, c, bp.year());
        let (surname, given) = draw_name(rng, female);
        let (mut prev_county, mut moved) = (NO_COUNTY, 0);
        if !retired && rng.chance(300) && first + 1 < end - 1 {
            let pc = self.county_w.pick(rng).unwrap_or(0);
            if pc != county {
                prev_county = pc as u8;
                moved = rng.between(first as i64 + 1, end as i64 - 2) as i32;
            }
        }

        let mut person = Person {
            birth,
            address,
            employer,
            declared,
            balance: Fen::ZERO,
            first_insured: first,
            status_since,
            moved,
            avg_index,
            paid_months: paid.clamp(0, u16::MAX as i32) as u16,
            deemed_months: deemed.clamp(0, u16::MAX as i32) as u16,
            seq: 0,
            given,
            surname,
            county: county as u8,
            prev_county,
            category,
            payer,
            status,
        };

        if !retired {
            person.balance = t.balance(first, end, start, avg_index, paid as u32);
            return (person, None);
        }

        // Pension fixed at retirement, then the yearly increases since.
        let at_retirement = t.balance(first, retire_m, retire_m, avg_index, paid as u32);
        let deemed_index = (avg_index as i64 * rng.between(9_000, 11_000) / 10_000).max(6_000);
        let (benefit_base, divisor, basic, account, transitional) = match t.pension_terms(retire_m)
        {
            Some(terms) => {
                let div = t.divisor(terms, retire_m - birth_m).unwrap_or(1390);
                let (b, a, tr) = pension_components(
                    terms,
                    div,
                    paid as u32,
                    deemed as u32,
                    avg_index as i64 * 10_000,
                    deemed_index * 10_000,
                    at_retirement,
                );
                (Fen::new(terms.base), div, b, a, tr)
            }
            None => (Fen::ZERO, 1390, Fen::ZERO, Fen::ZERO, Fen::ZERO),
        };
        let total0 = basic.fen() + account.fen() + transitional.fen();
        // the yearly increases from the year after retirement to the start (or to the death)
        let mut mult = t.adjustment(Period::from_index(retire_m).year()) as i128;
        if status == Status::Deceased {
            let until = t.adjustment(Period::from_index(status_since).year()) as i128;
            mult = div_round_half_up(mult * S, until.max(1));
        }
        let adjustment = Fen::new(div_round_half_up(total0 as i128 * (mult - S), S) as i64);
        let drawn = account.fen() * (start - 1 - retire_m).max(0) as i64;
        person.balance = match status {
            Status::Deceased => Fen::ZERO,
            _ => Fen::new((at_retirement.fen() - drawn).max(0)),
        };
        let pension_status = match status {
            Status::Deceased => PensionStatus::Deceased,
            _ if rng.chance(300) => PensionStatus::Suspended,
            _ => PensionStatus::Active,
        };
        let pensioner = Pensioner {
            person: index,
            retire: retire_m,
            ended: if status == Status::Deceased {
                status_since
            } else {
                0
            },
            benefit_base,
            account_at_retirement: at_retirement,
            basic,
            account,
            transitional,
            adjustment,
            deemed_index: deemed_index as u32,
            divisor_tenths: divisor,
            status: pension_status,
            bank: self.bank_w.pick(rng).unwrap_or(0) as u8,
        };
        (person, Some(pensioner))
    }
}
