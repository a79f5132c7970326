//! JSON Schemas of the release formats (bundle, manifest, approval, policy, verifier state),
//! generated from the Rust types. The checked-in copies under `schemas/`, with the sync formats',
//! are compared with freshly generated ones by one test in the façade; run
//! `COUNTERSIGN_BLESS=1 cargo test -p countersign-api schemas` to regenerate them.

use schemars::{Schema, schema_for};

use crate::types::{Approval, Bundle, Manifest, Policy, VerifyState};

/// Every schema: (file name under `schemas/`, schema).
pub fn all() -> Vec<(&'static str, Schema)> {
    vec![
        ("bundle.schema.json", schema_for!(Bundle)),
        ("manifest.schema.json", schema_for!(Manifest)),
        ("approval.schema.json", schema_for!(Approval)),
        ("policy.schema.json", schema_for!(Policy)),
        ("verify-state.schema.json", schema_for!(VerifyState)),
    ]
}
