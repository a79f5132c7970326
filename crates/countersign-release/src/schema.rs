//! JSON Schemas of every wire and on-disk format, generated from the Rust types. The checked-in
//! copies under `schemas/` are compared with freshly generated ones by a test; run
//! `COUNTERSIGN_BLESS=1 cargo test -p countersign-release schemas` to regenerate them.

use schemars::schema_for;

use crate::types::{Approval, Bundle, Manifest, Policy, VerifyState};

/// Every schema: (file name, pretty JSON with a trailing newline).
pub fn all() -> Vec<(&'static str, String)> {
    let render = |s: schemars::Schema| {
        let mut text = serde_json::to_string_pretty(&s).unwrap_or_default();
        text.push('\n');
        text
    };
    vec![
        ("bundle.schema.json", render(schema_for!(Bundle))),
        ("manifest.schema.json", render(schema_for!(Manifest))),
        ("approval.schema.json", render(schema_for!(Approval))),
        ("policy.schema.json", render(schema_for!(Policy))),
        ("verify-state.schema.json", render(schema_for!(VerifyState))),
    ]
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    #[test]
    fn schemas_in_the_repository_are_current() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas");
        let bless = std::env::var_os("COUNTERSIGN_BLESS").is_some();
        let mut stale = Vec::new();
        for (name, text) in super::all() {
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
            "stale schemas in schemas/: {stale:?}; run `COUNTERSIGN_BLESS=1 cargo test -p countersign-release schemas` and commit"
        );
    }
}
