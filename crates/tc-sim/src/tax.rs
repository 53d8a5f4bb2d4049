//! Deterministic simulation of the tax bureau's collection results, for the demo province and
//! benchmarks: most payers pay in full on time, some late, some in part, a few not at all.
//! Outcomes are a pure function of (seed, person, period), so reruns are identical.

use tongchou_core::Fen;
use tongchou_engine::collection::{Assessment, Receipt};

/// Shares in parts per 10,000.
#[derive(Clone, Copy, Debug)]
pub struct Behaviour {
    pub late: u32,
    pub partial: u32,
    pub none: u32,
}

impl Default for Behaviour {
    fn default() -> Behaviour {
        Behaviour {
            late: 300,
            partial: 150,
            none: 50,
        }
    }
}

/// SplitMix64's finalizer: a well-mixed 64-bit hash of a 64-bit value (deterministic simulation).
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A simulated tax bureau: what it reports for a month's assessments (the counterpart of
/// `tongchou_app::collect::ReceiptSource::Counterpart`).
#[derive(Clone, Copy, Debug, Default)]
pub struct TaxBureau {
    pub seed: u64,
    pub behaviour: Behaviour,
}

impl TaxBureau {
    pub fn new(seed: u64) -> TaxBureau {
        TaxBureau {
            seed,
            behaviour: Behaviour::default(),
        }
    }
}

impl tongchou_app::collect::TaxCounterpart for TaxBureau {
    fn receipts(&self, assessments: &[Assessment]) -> Vec<Receipt> {
        receipts(self.seed, self.behaviour, assessments)
    }
}

/// The receipts the tax bureau would report for these assessments.
pub fn receipts(seed: u64, b: Behaviour, assessments: &[Assessment]) -> Vec<Receipt> {
    let mut out = Vec::with_capacity(assessments.len());
    for a in assessments {
        let h = mix(seed ^ mix(a.person as u64 ^ ((a.period.index() as u64) << 40)));
        let roll = (h % 10_000) as u32;
        let day_jitter = ((h >> 20) % 10) as i64;
        let (paid, paid_on) = if roll < b.none {
            continue;
        } else if roll < b.none + b.partial {
            (Fen::new(a.total().fen() / 2), a.due.add_days(-day_jitter))
        } else if roll < b.none + b.partial + b.late {
            (a.total(), a.due.add_days(1 + ((h >> 32) % 60) as i64))
        } else {
            (a.total(), a.due.add_days(-day_jitter))
        };
        if !paid.is_positive() {
            continue;
        }
        out.push(Receipt {
            receipt: format!("T{}{:02}-{}", a.period.year(), a.period.month(), a.person),
            person: a.person,
            period: a.period,
            paid,
            paid_on,
        });
    }
    out
}

/// Whether `county` is one of the weak counties of a simulation with `seed`: about one county in
/// ten, fixed by the seed.
pub fn is_weak(seed: u64, county: u32) -> bool {
    mix(seed ^ 0x7765_616b ^ county as u64).is_multiple_of(10)
}

/// A simulated tax bureau under which some counties collect badly (the demo's weak counties,
/// so that warnings and gap shares are not all zero): in a weak county ([`is_weak`]) `extra`
/// more payers in 10,000 pay nothing.
#[derive(Clone, Copy, Debug)]
pub struct WithWeakCounties {
    pub bureau: TaxBureau,
    pub extra: u32,
}

impl tongchou_app::collect::TaxCounterpart for WithWeakCounties {
    fn receipts(&self, assessments: &[Assessment]) -> Vec<Receipt> {
        let b = self.bureau.behaviour;
        let weak = Behaviour {
            none: (b.none + self.extra).min(10_000 - b.partial - b.late),
            ..b
        };
        let mut out = Vec::with_capacity(assessments.len());
        for a in assessments {
            let behaviour = if is_weak(self.bureau.seed, a.county) {
                weak
            } else {
                b
            };
            out.extend(receipts(
                self.bureau.seed,
                behaviour,
                std::slice::from_ref(a),
            ));
        }
        out
    }
}
