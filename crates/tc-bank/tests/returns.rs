//! Reading the hand-written return files in tests/fixtures and reconciling them against the
//! batch they answer: good files, bad files (unknown ids, amount mismatch, repeats, out of
//! order, late reject after accept), and reading files again.

mod common;

use common::*;
use tongchou_bank::*;

const E1: &str = "14010520200100F2K21TEDYXTXDK1MH0";
const E2: &str = "14010520200100DWP4ZB66ZTGZFJXWSP";
const E3: &str = "14010520200100DNZD6EA3XYM2VKTZ3N";
const E4: &str = "140105202001007XNRFA3Q17X16W4H5S";
const E5: &str = "14010520200100EB09YS8F4HW90RZPAN";

fn issued() -> IssuedSet {
    let b = fixture_batch();
    // The constants above are the fixture batch's ids, in order.
    let ids: Vec<String> = b
        .payments()
        .iter()
        .map(|p| p.end_to_end_id().to_string())
        .collect();
    assert_eq!(ids, vec![E1, E2, E3, E4, E5]);
    IssuedSet::from_batches(&[b]).expect("issued set")
}

fn state(set: &IssuedSet, e2e: &str) -> PaymentState {
    set.get(e2e).expect("known payment").state
}

fn decisions(rec: &Reconciliation) -> Vec<(usize, Option<&str>, &Decision)> {
    rec.outcomes
        .iter()
        .map(|o| (o.source, o.end_to_end_id.as_deref(), &o.decision))
        .collect()
}

/// Apply `file`, then check that reading it again changes nothing.
fn apply_once(set: &mut IssuedSet, file: &ReturnFile) -> Reconciliation {
    let rec = set.reconcile(file);
    set.apply(&rec).expect("apply");
    let again = set.reconcile(file);
    assert!(!again.changed(), "re-reading changed something:\n{again}");
    assert!(again.to_string().starts_with("no change"));
    assert!(
        set.apply(&rec).is_err(),
        "applying twice must be refused as stale"
    );
    rec
}

const ACC: PaymentState = PaymentState::Final(Final::Accepted);
const REJ: PaymentState = PaymentState::Final(Final::Rejected);
const PEN: PaymentState = PaymentState::Pending;

#[test]
fn partial_report_posts_and_voids() {
    let mut set = issued();
    let file = read_return_file(&fixture("pain002_v10_part.xml")).expect("read");
    assert_eq!(file.format, ReturnFormat::Pain002 { version: 10 });
    assert!(file.malformed.is_empty());
    let rec = apply_once(&mut set, &file);
    let s = rec.summary();
    assert_eq!((s.accepted, s.rejected), (3, 2));
    assert_eq!(s.accepted_amount, Fen::new(312_050 + 150_075 + 420_000));
    assert_eq!(s.rejected_amount, Fen::new(280_000 + 99));
    // The PART group line covers nothing beyond the listed payments.
    assert_eq!(s.nothing_left, 1);
    let reject = rec
        .transitions
        .iter()
        .find(|t| t.end_to_end_id == E2)
        .expect("E2");
    assert_eq!(reject.to, Final::Rejected);
    assert_eq!(reject.reason.as_deref(), Some("AC04"));
    assert_eq!(
        reject.additional_info.as_deref(),
        Some("账户已销户 & 无法入账")
    );
    assert_eq!(reject.message_id, "TC1401052020010001");
    assert_eq!(
        [E1, E2, E3, E4, E5].map(|e| state(&set, e)),
        [ACC, REJ, ACC, REJ, ACC]
    );
}

#[test]
fn group_acceptance_reaches_every_payment() {
    let mut set = issued();
    let file = read_return_file(&fixture("pain002_v03_accepted.xml")).expect("read");
    let rec = apply_once(&mut set, &file);
    assert_eq!(rec.summary().accepted, 5);
    assert!(set.payments().iter().all(|p| p.state == ACC));
    // An interim "pending" report arriving late changes nothing.
    let late = read_return_file(&fixture("pain002_v12_pending.xml")).expect("read");
    let rec = set.reconcile(&late);
    assert!(!rec.changed());
    assert_eq!(rec.summary().not_final, 1);
}

#[test]
fn bad_pain002_file() {
    let mut set = issued();
    let file = read_return_file(&fixture("pain002_v12_bad.xml")).expect("read");
    let rec = apply_once(&mut set, &file);
    let d = decisions(&rec);
    use Decision::*;
    assert_eq!(
        d,
        vec![
            (1, Some(E1), &Applied(Final::Accepted)),
            (2, Some(E1), &AlreadyFinal(Final::Accepted)),
            (
                3,
                Some("14010520200100ZZZZZZZZZZZZZZZZZZ"),
                &Quarantined(Quarantine::UnknownEndToEndId)
            ),
            (
                4,
                Some(E2),
                &Quarantined(Quarantine::AmountMismatch {
                    issued: Fen::new(280_000),
                    returned: Fen::new(280_001)
                })
            ),
            (5, Some(E3), &Applied(Final::Rejected)),
            (
                6,
                Some(E3),
                &Conflict {
                    kept: Final::Rejected,
                    claimed: Final::Accepted
                }
            ),
            (
                7,
                Some(E1),
                &Conflict {
                    kept: Final::Accepted,
                    claimed: Final::Rejected
                }
            ),
            (8, Some(E4), &NotFinal("PDNG".into())),
            (
                9,
                Some(E5),
                &Quarantined(Quarantine::UnsupportedStatus("ACWC".into()))
            ),
            (10, Some(E5), &DuplicateSubmission("DU04".into())),
            (
                11,
                Some(E2),
                &Quarantined(Quarantine::Malformed(tongchou_core::tr!(
                    "bank-d-currency",
                    currency = "USD"
                )))
            ),
            (12, None, &NothingLeft),
        ]
    );
    assert_eq!(
        [E1, E2, E3, E4, E5].map(|e| state(&set, e)),
        [ACC, PEN, REJ, PEN, PEN]
    );
    let report = rec.to_string();
    assert!(report.contains("2 conflicts, 4 quarantined"), "{report}");
    assert!(
        report.contains("conflict: payment is accepted, line says rejected"),
        "{report}"
    );
    assert_eq!(rec.conflicts().count(), 2);
    assert_eq!(rec.quarantined().count(), 4);

    // The good report read afterwards ("out of order"): E1 stays accepted (repeat), E3 stays
    // rejected (conflict), the still-pending ones move.
    let good = read_return_file(&fixture("pain002_v10_part.xml")).expect("read");
    let rec = apply_once(&mut set, &good);
    assert_eq!(rec.conflicts().count(), 1);
    assert_eq!(
        [E1, E2, E3, E4, E5].map(|e| state(&set, e)),
        [ACC, REJ, REJ, REJ, ACC]
    );
}

#[test]
fn bad_csv_file() {
    let mut set = issued();
    let file = read_return_file(&fixture("returns_bad.csv")).expect("read");
    assert_eq!(file.format, ReturnFormat::Csv);
    let rec = apply_once(&mut set, &file);
    use Decision::*;
    let d = decisions(&rec);
    assert_eq!(d[0], (2, Some(E1), &Applied(Final::Accepted)));
    assert_eq!(d[1], (3, Some(E1), &AlreadyFinal(Final::Accepted)));
    assert_eq!(
        d[2],
        (
            4,
            Some("14010520200100ZZZZZZZZZZZZZZZZZZ"),
            &Quarantined(Quarantine::UnknownEndToEndId)
        )
    );
    assert!(matches!(
        d[3],
        (5, Some(E2), Quarantined(Quarantine::AmountMismatch { .. }))
    ));
    assert!(matches!(
        d[4],
        (
            6,
            Some(E1),
            Conflict {
                kept: Final::Accepted,
                claimed: Final::Rejected
            }
        )
    ));
    assert_eq!(d[5], (7, Some(E3), &Applied(Final::Rejected)));
    assert!(matches!(d[6], (8, Some(E3), Conflict { .. })));
    assert!(matches!(
        d[7],
        (9, Some(E4), Quarantined(Quarantine::WrongMessage { issued_message_id })) if issued_message_id == "TC1401052020010001"
    ));
    assert!(matches!(
        d[8],
        (10, Some(E5), Quarantined(Quarantine::Malformed(_)))
    ));
    assert_eq!(d[9], (11, None, &Quarantined(Quarantine::UnknownMessage)));
    assert_eq!(d.len(), 10);
    assert_eq!(
        [E1, E2, E3, E4, E5].map(|e| state(&set, e)),
        [ACC, PEN, REJ, PEN, PEN]
    );
}

#[test]
fn csv_group_line_with_individual_exception() {
    let mut set = issued();
    let file = read_return_file(&fixture("returns_ok.csv")).expect("read");
    let rec = apply_once(&mut set, &file);
    assert_eq!((rec.summary().accepted, rec.summary().rejected), (4, 1));
    assert_eq!(state(&set, E2), REJ);
    // A group line whose control sum is not ours is quarantined whole.
    let mut set = issued();
    let wrong = format!("{RETURN_CSV_HEADER}\nTC1401052020010001,,ACSC,,11622.25\n");
    let rec = set.reconcile(&read_return_csv(&wrong).expect("read"));
    assert!(!rec.changed());
    assert!(matches!(
        rec.outcomes[0].decision,
        Decision::Quarantined(Quarantine::TotalsMismatch { .. })
    ));
    set.apply(&rec).expect("nothing to apply");
}

/// Re-sending a file gets a group reject for duplicate message id from the bank: that is not a
/// reject of the payments.
#[test]
fn bank_refusing_a_resent_file_voids_nothing() {
    let mut set = issued();
    apply_once(
        &mut set,
        &read_return_file(&fixture("pain002_v10_part.xml")).expect("read"),
    );
    let b = fixture_batch();
    let mut report = StatusReport::for_batch(&b, "SIM-DUP", created(), &[]);
    report.group_status = Some(StatusCode::Rjct);
    report.group_reason = Some("DU01".into());
    let rec = set.reconcile(&read_pain002(&write_pain002(&report, 10)).expect("read"));
    assert!(!rec.changed());
    assert_eq!(rec.summary().duplicate_submissions, 1);
    assert_eq!(rec.conflicts().count(), 0);
}

#[test]
fn untrustworthy_files_are_refused_whole() {
    assert!(read_return_file("<Document/>").is_err());
    assert!(read_return_file("<?xml version=\"1.0\"?><!DOCTYPE x><x/>").is_err());
    assert!(read_return_file("end_to_end_id,status\nX,ACSC\n").is_err());
    // A pain.001 handed in as a return file.
    assert!(read_return_file(&write_pain001(&fixture_batch())).is_err());
}
