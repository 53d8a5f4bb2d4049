//! A simulated bank: answers every payment file with a pain.002 status report, a few payments
//! rejected (AC04, closed account), deterministic from a seed — the same bytes a real bank would
//! send, read back through the same use case as real returns.

use crate::tax::mix;
use tongchou_app::Result;
use tongchou_app::disburse::{BankCounterpart, SentFile};
use tongchou_bank::{StatusReport, payment_info_id_of, write_pain002};

/// Rejects about `rejects` payments in 10,000 (0 = none).
#[derive(Clone, Copy, Debug)]
pub struct SimulatedBank {
    pub rejects: u32,
    pub seed: u64,
}

impl SimulatedBank {
    /// Is this payment rejected?
    fn rejects(&self, end_to_end: &str) -> bool {
        let h = mix(self.seed
            ^ mix(end_to_end
                .bytes()
                .fold(0u64, |a, b| a.wrapping_mul(131).wrapping_add(b as u64))));
        (h % 10_000) < self.rejects as u64
    }
}

impl BankCounterpart for SimulatedBank {
    fn answer(&self, sent: &SentFile<'_>) -> Result<Vec<u8>> {
        let pairs: Vec<(&str, &str)> = sent
            .payments
            .iter()
            .filter(|(e2e, _)| self.rejects(e2e))
            .map(|(e2e, _)| (*e2e, "AC04"))
            .collect();
        let report = StatusReport::for_payments(
            sent.msg_id,
            &payment_info_id_of(sent.msg_id),
            sent.payments,
            &format!("RPT{}", sent.msg_id),
            sent.answered_at,
            &pairs,
        );
        Ok(write_pain002(&report, 10).into_bytes())
    }
}

/// A month's counterpart for [`tongchou_app::disburse::MonthOptions::bank`].
pub fn counterpart(rejects: u32, seed: u64) -> tongchou_app::disburse::Counterpart {
    tongchou_app::disburse::Counterpart(std::sync::Arc::new(SimulatedBank { rejects, seed }))
}

/// The bank's answers to every payment file of `month`, made at `answered_at`: (message id,
/// pain.002 bytes), as a bank sends them back, for a person to read like a real bank's
/// (`tongchou_app::disburse::import_returns`).
pub fn answers(
    db: &mut tongchou_store::Db,
    month: tongchou_core::Period,
    bank: &SimulatedBank,
    answered_at: tongchou_bank::DateTime,
) -> Result<Vec<(String, Vec<u8>)>> {
    use tongchou_store::payroll::{files_of_month, payments_of_file};
    let mut out = Vec::new();
    for f in files_of_month(db, month)? {
        let lines = payments_of_file(db, month, f.county, &f.msg_id)?;
        let payments: Vec<(&str, tongchou_core::Fen)> =
            lines.iter().map(|(e, a)| (e.as_str(), *a)).collect();
        let answer = bank.answer(&SentFile {
            msg_id: &f.msg_id,
            payments: &payments,
            answered_at,
        })?;
        out.push((f.msg_id, answer));
    }
    Ok(out)
}
