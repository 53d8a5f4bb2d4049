pub mod audit;
pub mod pension;
pub mod policy;
pub mod retirement;
pub mod user;
pub mod validate;
