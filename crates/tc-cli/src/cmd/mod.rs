pub mod pension;
pub mod policy;
pub mod retirement;
pub mod validate;
