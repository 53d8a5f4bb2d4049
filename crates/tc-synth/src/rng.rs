//! A small deterministic PRNG (SplitMix64) and weighted choice. Every chunk of the province gets
//! its own stream derived from (seed, stream kind, chunk index), so the output does not depend on
//! how many threads run the chunks.

/// The SplitMix64 output function: a bijective 64-bit mixer.
#[inline]
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64 (Steele, Lea, Flood 2014): one 64-bit state, period 2^64.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// An independent stream for (seed, kind, index).
    pub fn stream(seed: u64, kind: u64, index: u64) -> Rng {
        Rng(mix(seed
            ^ mix(
                kind.wrapping_mul(GOLDEN) ^ mix(index.wrapping_add(GOLDEN))
            )))
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix(self.0)
    }

    /// Uniform in `0..n` (multiply-shift; the bias is below 2^-32 for the sizes used here).
    /// `n == 0` gives 0.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in `lo..=hi` (`lo` when `hi < lo`).
    #[inline]
    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// True with probability `per_10k` / 10,000.
    #[inline]
    pub fn chance(&mut self, per_10k: u32) -> bool {
        self.below(10_000) < per_10k as u64
    }
}

/// A weighted choice over `0..len` by cumulative sums and binary search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Weighted {
    cum: Vec<u64>,
}

impl Weighted {
    pub fn new<I: IntoIterator<Item = u64>>(weights: I) -> Weighted {
        let mut total = 0u64;
        let cum = weights
            .into_iter()
            .map(|w| {
                total = total.saturating_add(w);
                total
            })
            .collect();
        Weighted { cum }
    }

    pub fn total(&self) -> u64 {
        self.cum.last().copied().unwrap_or(0)
    }

    pub fn len(&self) -> usize {
        self.cum.len()
    }

    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }

    /// An index drawn with probability proportional to its weight; `None` if every weight is 0.
    #[inline]
    pub fn pick(&self, rng: &mut Rng) -> Option<usize> {
        let total = self.total();
        if total == 0 {
            return None;
        }
        let x = rng.below(total);
        Some(self.cum.partition_point(|&c| c <= x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| Rng::stream(7, 1, 3).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            Rng::stream(7, 1, 3).next_u64(),
            Rng::stream(7, 1, 4).next_u64()
        );
        assert_ne!(
            Rng::stream(7, 1, 3).next_u64(),
            Rng::stream(8, 1, 3).next_u64()
        );
        assert_ne!(
            Rng::stream(7, 1, 3).next_u64(),
            Rng::stream(7, 2, 3).next_u64()
        );
    }

    #[test]
    fn below_and_between_stay_in_range() {
        let mut r = Rng::new(1);
        let mut seen = [0u32; 7];
        for _ in 0..70_000 {
            let v = r.below(7);
            seen[v as usize] += 1;
            let b = r.between(-3, 3);
            assert!((-3..=3).contains(&b));
        }
        // each bucket near 10,000 (5 sigma ~ 470)
        assert!(
            seen.iter().all(|&c| (9_500..10_500).contains(&c)),
            "{seen:?}"
        );
        assert_eq!(r.below(0), 0);
        assert_eq!(r.between(5, 5), 5);
    }

    #[test]
    fn weighted_follows_weights() {
        let w = Weighted::new([1, 0, 3]);
        let mut r = Rng::new(9);
        let mut c = [0u32; 3];
        for _ in 0..40_000 {
            c[w.pick(&mut r).expect("non-empty")] += 1;
        }
        assert_eq!(c[1], 0);
        assert!((9_500..10_500).contains(&c[0]), "{c:?}");
        assert!(Weighted::new([0, 0]).pick(&mut r).is_none());
    }
}
