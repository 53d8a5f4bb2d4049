//! Tongchou's pure domain core: money, identifiers, periods, regions, dated policy parameters
//! and the rules that read them. No I/O: data files are compiled in, "now" is passed in
//! (`time::Clock`).

pub mod access;
pub mod actions;
pub mod anchor;
pub mod budget;
pub mod exchange;
pub mod explain;
pub mod i18n;
pub mod ident;
pub mod items;
pub mod money;
pub mod period;
pub mod policy;
pub mod ratio;
pub mod region;
pub mod rules;
pub mod status;
pub mod text;
pub mod time;

pub use explain::{Exact, Explanation};
pub use ident::{CreditCode, IdNumber, Sex};
pub use money::Fen;
pub use period::{Date, Period};
pub use policy::Policy;
pub use ratio::Ratio;
pub use region::{Divisions, Level, RegionCode};
pub use time::{Clock, FixedClock, Timestamp};
