//! Replays the fuzzing corpus (`fuzz/corpus/<target>/`, checked in) through every target on stable Rust: what a campaign once found must never panic again.

use std::path::Path;

#[test]
fn every_corpus_file_passes_its_target() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let mut replayed = 0;
    for (name, target) in sso_fuzz_targets::TARGETS {
        let dir = corpus.join(name);
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e} (every target keeps a corpus)", dir.display()));
        let mut files = 0;
        for entry in entries {
            let path = entry.expect("entry").path();
            let data = std::fs::read(&path).expect("read");
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{name}: {} panics", path.display());
            files += 1;
        }
        assert!(files > 0, "{name}: the corpus is empty");
        replayed += files;
    }
    eprintln!(
        "replayed {replayed} corpus files through {} targets",
        sso_fuzz_targets::TARGETS.len()
    );
}
