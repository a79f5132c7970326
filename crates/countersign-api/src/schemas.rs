//! The staleness test of `schemas/`: every wire and on-disk format's JSON Schema (the release
//! formats from `countersign-release`, the sync formats from `countersign-sync`), rendered as
//! checked in. `COUNTERSIGN_BLESS=1 cargo test -p countersign-api schemas` regenerates them.

use std::path::PathBuf;

#[test]
fn schemas_in_the_repository_are_current() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas");
    let bless = std::env::var_os("COUNTERSIGN_BLESS").is_some();
    let mut stale = Vec::new();
    for (name, schema) in countersign_release::schema::all()
        .into_iter()
        .chain(countersign_sync::schema::all())
    {
        let mut text = serde_json::to_string_pretty(&schema).unwrap();
        text.push('\n');
        let path = dir.join(name);
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "stale schemas in schemas/: {stale:?}; run `COUNTERSIGN_BLESS=1 cargo test -p countersign-api schemas` and commit"
    );
}
