//! Employers: county, industry, size, status and a valid, unique unified social credit code whose
//! registration area is the county. Codes of employers registered from 2015-10 carry a new-style
//! organisation body ("MA" + 6 characters), older ones a legacy 8-digit organisation code; both
//! bodies are a bijection of the employer index, so codes are unique by construction.

use crate::geo::County;
use crate::names::{BRANDS, INDUSTRIES};
use crate::rng::{Rng, Weighted};
use crate::{Employer, EmployerStatus, Options, SynthError};
use rayon::prelude::*;
use tongchou_core::{CreditCode, Period};

const CHUNK: usize = 1 << 14;
const STREAM: u64 = 2;
/// The 31 characters of GB 32100.
const CC_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const N31_6: u64 = 887_503_681; // 31^6
const N10_8: u64 = 100_000_000;
/// 3^18: coprime with both 31 and 10, so i ↦ (i·M + offset) mod N is a bijection.
const MUL: u64 = 387_420_489;

/// Size classes: (relative employees, share per 10,000 employers).
const SIZES: &[(u32, u64)] = &[
    (3, 5_500),
    (12, 3_000),
    (60, 1_200),
    (400, 270),
    (3_000, 30),
];

fn org_body(index: u64, seed: u64, new_style: bool) -> [u8; 8] {
    let mut out = [0u8; 8];
    if new_style {
        let mut v = (index % N31_6 * MUL + seed % N31_6) % N31_6;
        out[0] = b'M';
        out[1] = b'A';
        for k in (2..8).rev() {
            out[k] = CC_CHARS[(v % 31) as usize];
            v /= 31;
        }
    } else {
        let mut v = (index % N10_8 * MUL + seed % N10_8) % N10_8;
        for k in (0..8).rev() {
            out[k] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    }
    out
}

pub(crate) fn generate(
    options: &Options,
    counties: &[County],
    n: usize,
) -> Result<Vec<Employer>, SynthError> {
    let county_w = Weighted::new(counties.iter().map(|c| c.weight));
    let industry_w = Weighted::new(INDUSTRIES.iter().map(|i| i.weight as u64));
    let size_w = Weighted::new(SIZES.iter().map(|s| s.1));
    let start = options.start.index();
    let reg0 = Period::from_index(1990 * 12).index();
    let new_style_from = Period::from_index(2015 * 12 + 9).index();
    let chunks: Vec<Result<Vec<Employer>, SynthError>> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let mut rng = Rng::stream(options.seed, STREAM, c as u64);
            let lo = c * CHUNK;
            let hi = (lo + CHUNK).min(n);
            let mut out = Vec::with_capacity(hi - lo);
            for i in lo..hi {
                let county = county_w.pick(&mut rng).unwrap_or(0);
                let industry = industry_w.pick(&mut rng).unwrap_or(0);
                let ind = &INDUSTRIES[industry];
                let mut class = size_w.pick(&mut rng).unwrap_or(0);
                if ind.large && class + 1 < SIZES.len() && rng.chance(5_000) {
                    class += 1;
                }
                let size = SIZES[class].0 * rng.between(75, 125) as u32 / 100;
                let status = match rng.below(10_000) {
                    0..400 => EmployerStatus::Suspended,
                    400..800 => EmployerStatus::Closed,
                    _ => EmployerStatus::Active,
                };
                let registered = rng.between(reg0 as i64, start as i64 - 1) as i32;
                let status_since = match status {
                    EmployerStatus::Active => registered,
                    _ => rng.between(registered as i64, start as i64 - 1) as i32,
                };
                let individual = !ind.large && class <= 1 && rng.chance(1_500);
                let body = org_body(i as u64, options.seed, registered >= new_style_from);
                let code = CreditCode::from_parts(
                    b'9',
                    if individual { b'2' } else { b'1' },
                    counties[county].code,
                    &body,
                )
                .ok_or_else(|| {
                    SynthError(format!(
                        "no credit code for organisation body {}",
                        String::from_utf8_lossy(&body)
                    ))
                })?;
                out.push(Employer {
                    credit_code: code,
                    county: county as u8,
                    industry: industry as u8,
                    status,
                    individual,
                    brand: rng.below(BRANDS.len() as u64) as u8,
                    noun: rng.below(8) as u8,
                    registered,
                    status_since,
                    size: size.max(1),
                });
            }
            Ok(out)
        })
        .collect();
    let mut all = Vec::with_capacity(n);
    for c in chunks {
        all.extend(c?);
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn bodies_are_unique_and_valid() {
        let mut seen = HashSet::new();
        for i in 0..20_000u64 {
            for new_style in [false, true] {
                let b = org_body(i, 77, new_style);
                assert!(seen.insert(b), "duplicate body");
                let area = tongchou_core::RegionCode::new(140105).expect("code");
                assert!(CreditCode::from_parts(b'9', b'1', area, &b).is_some());
            }
        }
    }
}
