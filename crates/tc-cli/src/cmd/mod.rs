pub mod audit;
pub mod ledger;
pub mod pension;
pub mod policy;
pub mod retirement;
pub mod user;
pub mod validate;
