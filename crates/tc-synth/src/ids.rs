//! Unique ID numbers by construction. An ID number is address code + birth date + a three-digit
//! sequence whose parity gives the sex (odd for men) + a check character, so two persons can only
//! collide when they share address code, birth date and sex. After the persons are drawn, they are
//! sorted by (address, birth date, sex, person index); the k-th person of each such group gets
//! the k-th value of a pseudo-random permutation of the group's sequence numbers (001-999 odd for
//! men, 002-998 even for women). The result is unique, deterministic from the seed, and does not
//! depend on the thread count (the sort key includes the person index, so the order is total).
//! A group with more persons than sequence numbers (never at realistic sizes) moves its extra
//! persons' birth date one day later and the pass runs again.

use crate::rng::mix;
use rayon::prelude::*;

/// Sequence numbers per sex: men 001, 003 … 999 (500), women 002, 004 … 998 (499; 000 is not issued).
const MALE_SEQS: u64 = 500;
const FEMALE_SEQS: u64 = 499;
/// Birth dates are keyed as days since 1900-01-01 in 16 bits (to 2079).
pub(crate) const DAY0: i64 = -25_567;
/// The most persons a province may have (the sort key holds the person index in 24 bits).
pub(crate) const MAX_PERSONS: usize = 16_000_000;
const _: () = assert!(MAX_PERSONS < 1 << 24);

/// One person's identity key before the sequence is assigned.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IdKey {
    /// Index of the address code in the province's address table (< 256).
    pub address: u8,
    /// Birth date as days since 1970-01-01.
    pub birth_days: i64,
    pub female: bool,
}

fn pack(k: &IdKey, i: usize) -> u64 {
    let day = (k.birth_days - DAY0).clamp(0, 0xFFFF) as u64;
    ((k.address as u64) << 41) | (day << 25) | ((k.female as u64) << 24) | i as u64
}

/// A stride coprime with 500 (odd, not a multiple of 5): one of the 200 such numbers below 500.
fn male_stride(h: u64) -> u64 {
    let j = h % 200;
    10 * (j / 4) + [1, 3, 7, 9][(j % 4) as usize]
}

/// Assign sequence numbers. `keys[i]` is person i's key; returns each person's sequence number
/// and the persons whose birth date had to move (with their new birth date in days).
pub(crate) fn assign(seed: u64, keys: &mut [IdKey]) -> (Vec<u16>, Vec<usize>) {
    let mut seqs = vec![0u16; keys.len()];
    let mut moved = Vec::new();
    loop {
        let mut sorted: Vec<u64> = keys
            .par_iter()
            .enumerate()
            .map(|(i, k)| pack(k, i))
            .collect();
        sorted.par_sort_unstable();
        let mut overflow = Vec::new();
        let mut g = 0usize;
        while g < sorted.len() {
            let group = sorted[g] >> 24;
            let mut end = g + 1;
            while end < sorted.len() && sorted[end] >> 24 == group {
                end += 1;
            }
            let female = group & 1 == 1;
            let h = mix(seed ^ mix(group));
            let (n, off, stride) = if female {
                (
                    FEMALE_SEQS,
                    h % FEMALE_SEQS,
                    1 + (h >> 20) % (FEMALE_SEQS - 1),
                )
            } else {
                (MALE_SEQS, h % MALE_SEQS, male_stride(h >> 20))
            };
            for (k, key) in sorted[g..end].iter().enumerate() {
                let i = (key & 0xFF_FFFF) as usize;
                if k as u64 >= n {
                    overflow.push(i);
                    continue;
                }
                let j = (off + k as u64 * stride) % n;
                seqs[i] = if female { 2 * j + 2 } else { 2 * j + 1 } as u16;
            }
            g = end;
        }
        if overflow.is_empty() {
            break;
        }
        for i in overflow {
            keys[i].birth_days += 1;
            moved.push(i);
        }
    }
    moved.sort_unstable();
    moved.dedup();
    (seqs, moved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn strides_are_coprime() {
        for h in 0..1000 {
            let s = male_stride(h);
            assert!(s % 2 == 1 && !s.is_multiple_of(5), "{s}");
        }
    }

    #[test]
    fn crowded_groups_stay_unique() {
        // 1,200 women and 1,100 men born the same day in the same place: more than the 499/500
        // sequence numbers, so some move to the next day
        let mut keys: Vec<IdKey> = (0..2300)
            .map(|i| IdKey {
                address: 3,
                birth_days: 10_000,
                female: i < 1200,
            })
            .collect();
        let (seqs, moved) = assign(42, &mut keys);
        assert!(!moved.is_empty());
        let mut seen = HashSet::new();
        for (k, s) in keys.iter().zip(&seqs) {
            assert!((1..=999).contains(s));
            assert_eq!(*s % 2 == 0, k.female, "parity gives the sex");
            assert!(seen.insert((k.birth_days, *s)), "duplicate");
        }
        // a day holds 499 women and 500 men at most
        let day0 = keys.iter().filter(|k| k.birth_days == 10_000).count();
        assert_eq!(day0, 999);
    }
}
