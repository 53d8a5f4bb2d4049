use super::*;
use std::collections::HashSet;
use tongchou_core::rules::pension::pension;

fn small(seed: u64, persons: usize) -> Province {
    generate(&Options {
        seed,
        persons,
        ..Default::default()
    })
    .expect("generate")
}

#[test]
fn deterministic_and_independent_of_threads() {
    let a = small(7, 40_000);
    let b = small(7, 40_000);
    assert!(a == b, "same options, different provinces");
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool")
        .install(|| small(7, 40_000));
    assert!(a == one, "one thread gives a different province");
    let three = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .expect("pool")
        .install(|| small(7, 40_000));
    assert!(a == three, "three threads give a different province");
    let c = small(8, 40_000);
    assert!(a.persons != c.persons);
}

#[test]
fn persons_are_compact() {
    assert_eq!(std::mem::size_of::<Person>(), 64);
    assert!(std::mem::size_of::<Pensioner>() <= 80);
}

#[test]
fn sizes_are_exact() {
    for n in [1, 999, 1_000, 32_768, 32_769, 50_001] {
        let p = small(3, n);
        assert_eq!(p.persons.len(), n);
        assert_eq!(p.employers.len(), (n / 30).max(5));
        let retired = p
            .persons
            .iter()
            .filter(|x| matches!(x.status, Status::Retired | Status::Deceased))
            .count();
        assert_eq!(p.pensioners.len(), retired);
    }
    let p = generate(&Options {
        persons: 100,
        employers: Some(7),
        ..Default::default()
    })
    .expect("generate");
    assert_eq!(p.employers.len(), 7);
    assert!(
        generate(&Options {
            persons: 0,
            ..Default::default()
        })
        .is_err()
    );
    assert!(
        generate(&Options {
            start: "2015-06".parse().expect("p"),
            ..Default::default()
        })
        .is_err()
    );
}

#[test]
fn id_numbers_valid_unique_and_in_their_county() {
    let p = small(11, 60_000);
    let today = p.options.start.first_day();
    let div = tongchou_core::Divisions::shanxi();
    let mut seen = HashSet::with_capacity(p.persons.len());
    let mut retired_codes = 0;
    for x in &p.persons {
        let id = x.id_number();
        let parsed = IdNumber::parse(id.as_str(), today).expect("valid ID number");
        assert_eq!(parsed, id);
        assert_eq!(parsed.sex(), x.sex());
        assert_eq!(parsed.birth(), x.birth);
        assert!(seen.insert(id), "duplicate ID number");
        let county = p.county(x).code;
        assert_eq!(div.handling_agency(x.address), Some(county));
        if x.address != county {
            retired_codes += 1;
        }
    }
    // a visible share of older residents carry a retired code of their county
    let share = retired_codes * 10_000 / p.persons.len();
    assert!(
        (300..6_000).contains(&share),
        "retired-code share {share}/10000"
    );
}

#[test]
fn credit_codes_valid_unique_and_registered_in_their_county() {
    let p = small(5, 150_000);
    let mut seen = HashSet::new();
    let mut new_style = 0;
    for e in &p.employers {
        let s = e.credit_code.as_str();
        assert_eq!(CreditCode::parse(s).expect("valid"), e.credit_code);
        assert!(seen.insert(e.credit_code), "duplicate credit code {s}");
        assert_eq!(&s[2..8], p.employer_county(e).code.to_string());
        assert_eq!(&s[..2], if e.individual { "92" } else { "91" });
        if &s[8..10] == "MA" {
            new_style += 1;
            assert!(e.registered >= 2015 * 12 + 9);
        }
        assert!(!p.employer_name(e).is_empty());
    }
    assert!(new_style > 0 && new_style < p.employers.len());
}

#[test]
fn shares_are_plausible() {
    let p = small(13, 100_000);
    let n = p.persons.len();
    let per10k = |k: usize| k * 10_000 / n;
    let counts = p.status_counts();
    let get = |s: Status| counts.iter().find(|c| c.0 == s).map(|c| c.1).unwrap_or(0);
    let active = get(Status::Active);
    let retired = get(Status::Retired);
    assert!((6_700..7_100).contains(&per10k(active)));
    assert!((2_200..2_500).contains(&per10k(retired)));
    // about one pensioner per three contributors
    let ratio = active * 100 / retired;
    assert!(
        (260..330).contains(&ratio),
        "contributors per pensioner ×100 = {ratio}"
    );
    let men = p.persons.iter().filter(|x| x.sex() == Sex::Male).count();
    assert!((5_200..5_600).contains(&per10k(men)));
    let flexible = p
        .persons
        .iter()
        .filter(|x| x.status == Status::Active && x.payer == PayerKind::Flexible)
        .count();
    assert!((2_000..2_800).contains(&(flexible * 10_000 / active)));
    // the capital is the largest city; every county has people
    let mut by_city = std::collections::BTreeMap::new();
    let mut by_county = vec![0usize; p.counties.len()];
    for x in &p.persons {
        *by_city.entry(p.county(x).city.get()).or_insert(0usize) += 1;
        by_county[x.county as usize] += 1;
    }
    let taiyuan = by_city[&140100];
    assert!(by_city.values().all(|&v| v <= taiyuan));
    assert!(per10k(taiyuan) > 1_500);
    assert!(by_county.iter().all(|&c| c > 0));
    // names look Chinese: 2 or 3 characters (4 with a double surname)
    assert!(
        p.persons
            .iter()
            .take(1000)
            .all(|x| (2..=4).contains(&x.name().chars().count()))
    );
}

#[test]
fn persons_are_consistent() {
    let p = small(17, 50_000);
    let start = p.options.start.index();
    let policy = Policy::builtin().expect("policy");
    for x in &p.persons {
        assert!(x.balance.fen() >= 0 && x.declared.fen() >= 0);
        assert!(x.first_insured < start);
        assert!(
            x.status_since < start,
            "{:?} since {} first {}",
            x.status,
            x.status_since,
            x.first_insured
        );
        let age_at_first = x.first_insured - x.birth.period().index();
        assert!(
            age_at_first >= 16 * 12,
            "insured at {age_at_first} months old"
        );
        match (x.status, x.payer) {
            (Status::Active, PayerKind::Employee) => {
                let e = &p.employers[x.employer().expect("employer")];
                assert_eq!(e.status, EmployerStatus::Active);
                assert_eq!(e.county, x.county);
                assert!(x.declared.fen() > 0);
            }
            (_, PayerKind::Flexible) => assert!(x.employer().is_none()),
            _ => {}
        }
        if x.payer == PayerKind::Flexible && x.status == Status::Active {
            let t =
                tongchou_core::rules::contribution::ContributionTerms::at(&policy, p.options.start)
                    .expect("terms");
            assert!(x.declared >= t.floor && x.declared <= t.ceiling);
        }
        if x.status == Status::Active {
            let (a, _) =
                tongchou_core::rules::retirement::statutory(&policy, x.birth.period(), x.category)
                    .expect("rule");
            assert!(a.retire.index() >= start, "active person past retirement");
        }
        if let Some((c, m)) = x.moved_from() {
            assert_ne!(c, x.county as usize);
            assert!(m.index() > x.first_insured);
        }
    }
    for pn in &p.pensioners {
        let x = &p.persons[pn.person as usize];
        assert!(matches!(x.status, Status::Retired | Status::Deceased));
        assert!(x.paid_months as u32 + x.deemed_months as u32 >= 180);
        let age = pn.retire - x.birth.period().index();
        assert!(
            (45 * 12..=64 * 12).contains(&age),
            "retired at {age} months"
        );
        assert!(pn.retire < start && pn.retire >= 2006 * 12);
        assert!(pn.total().fen() > 0);
        assert_eq!(
            pn.status == PensionStatus::Deceased,
            x.status == Status::Deceased
        );
        assert_eq!(pn.bank_account().len(), 19);
        assert!(pn.bank_account().starts_with("999999"));
    }
}

#[test]
fn pension_components_match_the_rule() {
    let p = small(19, 20_000);
    let policy = Policy::builtin().expect("policy");
    assert!(p.pensioners.len() > 4_000);
    for pn in &p.pensioners {
        let r = pension(&policy, &p.pension_input(pn)).expect("pension");
        assert_eq!(
            (r.basic, r.account, r.transitional),
            (pn.basic, pn.account, pn.transitional),
            "pensioner {}",
            pn.person
        );
        assert_eq!(r.divisor_tenths, pn.divisor_tenths as i64);
    }
    // the yearly increases: retired in 2024 → the 2 % of 2025 only; retired in 2025 → none
    for pn in &p.pensioners {
        let total0 = (pn.basic.fen() + pn.account.fen() + pn.transitional.fen()) as i128;
        match (pn.retire().year(), pn.status) {
            (2024, PensionStatus::Active) => assert_eq!(
                pn.adjustment.fen() as i128,
                tongchou_core::money::div_round_half_up(total0 * 2, 100)
            ),
            (2025, _) => assert_eq!(pn.adjustment.fen(), 0),
            _ => assert!(pn.adjustment.fen() >= 0),
        }
    }
    // average monthly pension of the paid pensioners in a plausible range (yuan)
    let paid: Vec<_> = p
        .pensioners
        .iter()
        .filter(|x| x.status == PensionStatus::Active)
        .collect();
    let avg = paid.iter().map(|x| x.total().fen()).sum::<i64>() / paid.len() as i64 / 100;
    assert!((2_000..6_000).contains(&avg), "average pension {avg} yuan");
}

#[test]
fn wages_are_plausible() {
    let p = small(23, 50_000);
    let mut w: Vec<i64> = p
        .persons
        .iter()
        .filter(|x| x.status == Status::Active && x.payer == PayerKind::Employee)
        .map(|x| x.declared.fen())
        .collect();
    w.sort_unstable();
    let median = w[w.len() / 2] / 100;
    let mean = w.iter().sum::<i64>() / w.len() as i64 / 100;
    // around the 2026 synthetic average monthly wage (84,881 × 1.05 / 12 ≈ 7,427)
    assert!((6_900..8_000).contains(&mean), "mean {mean}");
    assert!(median < mean);
    assert!(w.iter().all(|v| v % 100 == 0), "wages in whole yuan");
}
