//! Shared by the CLI's integration tests.

use std::path::PathBuf;

/// Compare `got` with the committed snapshot `tests/snapshots/NAME`
/// (`TONGCHOU_UPDATE_SNAPSHOTS=1` rewrites it instead).
pub fn matches_snapshot(name: &str, got: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("TONGCHOU_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, got).expect("write snapshot");
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if want != got {
        panic!(
            "{name} differs from its snapshot.\n--- expected\n{want}\n--- got\n{got}\n(set TONGCHOU_UPDATE_SNAPSHOTS=1 to accept)"
        );
    }
}
