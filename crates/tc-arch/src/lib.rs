//! Nothing to link: this crate holds the architecture tests (`tests/architecture.rs`), which read
//! the workspace's sources and `cargo metadata`.
