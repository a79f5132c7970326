//! The UI's TypeScript bindings (`ui/src/bindings.ts`) are generated from the commands and events
//! and checked in. This test fails when the checked-in file is stale; with `COUNTERSIGN_BLESS=1`
//! it writes the file instead.

use std::path::PathBuf;

#[test]
fn bindings_are_up_to_date() {
    let generated = countersign_app::bindings().expect("export the bindings");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings.ts");
    if std::env::var_os("COUNTERSIGN_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("ui/src")).expect("create ui/src");
        std::fs::write(&path, &generated).expect("write ui/src/bindings.ts");
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == generated,
        "ui/src/bindings.ts is stale: the commands or their types changed.\n\
         Regenerate it with `COUNTERSIGN_BLESS=1 cargo test -p countersign-app bindings` and \
         commit the result."
    );
}
