//! Explanations: every computed amount can say which parameters and which formula produced it.

use crate::policy::ParamUse;
use serde::{Deserialize, Serialize};

/// One named value in a computation, exact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub name: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// Stable rule identifier, e.g. "pension.basic".
    pub rule: String,
    /// The formula in words and symbols.
    pub formula: String,
    /// The dated parameters that were read, with their provenance.
    pub params: Vec<ParamUse>,
    /// Inputs and intermediate values, in order of computation.
    pub steps: Vec<Step>,
}

impl Explanation {
    pub fn new(rule: &str, formula: &str) -> Explanation {
        Explanation {
            rule: rule.into(),
            formula: formula.into(),
            params: Vec::new(),
            steps: Vec::new(),
        }
    }
    pub fn param(&mut self, u: ParamUse) -> &mut Self {
        if !self
            .params
            .iter()
            .any(|p| p.name == u.name && p.effective_from == u.effective_from)
        {
            self.params.push(u);
        }
        self
    }
    pub fn step(&mut self, name: &str, value: impl ToString) -> &mut Self {
        self.steps.push(Step {
            name: name.into(),
            value: value.to_string(),
        });
        self
    }
}

/// An exact rational number `num / den` (den > 0), rendered as a terminating decimal when it is
/// one, else as a fraction with a 10-digit approximation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exact {
    pub num: i128,
    pub den: i128,
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    a = a.abs();
    b = b.abs();
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

impl Exact {
    pub fn new(num: i128, den: i128) -> Exact {
        let (num, den) = if den < 0 { (-num, -den) } else { (num, den) };
        let g = gcd(num, den);
        Exact {
            num: num / g,
            den: den / g,
        }
    }
}

impl std::fmt::Display for Exact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = self.den;
        while d % 2 == 0 {
            d /= 2;
        }
        while d % 5 == 0 {
            d /= 5;
        }
        let sign = if self.num < 0 { "-" } else { "" };
        let a = self.num.abs();
        let int = a / self.den;
        let mut rem = a % self.den;
        if rem == 0 {
            return write!(f, "{sign}{int}");
        }
        let terminating = d == 1;
        let mut digits = String::new();
        let limit = if terminating { 40 } else { 10 };
        while rem != 0 && digits.len() < limit {
            rem *= 10;
            digits.push((b'0' + (rem / self.den) as u8) as char);
            rem %= self.den;
        }
        if terminating {
            write!(f, "{sign}{int}.{digits}")
        } else {
            write!(f, "{sign}{}/{} (≈ {sign}{int}.{digits}…)", a, self.den)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn exact_rendering() {
        assert_eq!(Exact::new(427, 12).to_string(), "427/12 (≈ 35.5833333333…)");
        assert_eq!(Exact::new(71, 2).to_string(), "35.5");
        assert_eq!(Exact::new(-3, 4).to_string(), "-0.75");
        assert_eq!(Exact::new(10, 5).to_string(), "2");
    }
}
