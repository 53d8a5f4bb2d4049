//! Shared by the CLI's integration tests.

/// Compare `got` with the committed snapshot `tests/snapshots/NAME.snap` (insta; review a
/// change with `cargo insta review`, or accept it with `INSTA_UPDATE=always`). Every backend's
/// run compares with the same snapshot: the same figures on SQLite and PostgreSQL.
pub fn matches_snapshot(name: &str, got: &str) {
    insta::with_settings!({
        snapshot_path => concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots"),
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, got);
    });
}
