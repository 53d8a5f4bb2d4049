//! Every input kept in `fuzz/corpus/<target>/` (the seeds, what the fuzzer found worth keeping,
//! and every input that once crashed) through its target, in the normal build: no special
//! flags, so a fixed crash stays fixed wherever the suite runs.

use std::path::PathBuf;

fn corpus_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus")
}

#[test]
fn every_kept_input_passes_its_target() {
    for t in tongchou_fuzz::TARGETS {
        let dir = corpus_root().join(t.name);
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e} (every target keeps a corpus)", dir.display()));
        let mut n = 0;
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            let data = std::fs::read(&path).expect("a corpus file");
            let run = t.run;
            if std::panic::catch_unwind(|| run(&data)).is_err() {
                panic!("{} fails on {}", t.name, path.display());
            }
            n += 1;
        }
        assert!(n > 0, "{}: the corpus is empty", dir.display());
    }
}

#[test]
fn every_corpus_folder_is_a_target() {
    for entry in std::fs::read_dir(corpus_root()).expect("fuzz/corpus") {
        let name = entry.expect("entry").file_name();
        let name = name.to_string_lossy();
        assert!(
            tongchou_fuzz::target(&name).is_some(),
            "fuzz/corpus/{name} belongs to no target"
        );
    }
}
