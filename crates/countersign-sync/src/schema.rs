//! JSON Schemas of the sync formats at a target, generated from the Rust types: an op batch
//! (`logs/<replica>/<number>`) and the marker (`workspace.json`). The checked-in copies under
//! `schemas/`, with the release formats', are compared with freshly generated ones by one test in
//! the façade; run `COUNTERSIGN_BLESS=1 cargo test -p countersign-api schemas` to regenerate them.

use schemars::{Schema, schema_for};

use crate::batch::Batch;
use crate::remote::Marker;

/// Every schema: (file name under `schemas/`, schema).
pub fn all() -> Vec<(&'static str, Schema)> {
    vec![
        ("sync-batch.schema.json", schema_for!(Batch)),
        ("sync-marker.schema.json", schema_for!(Marker)),
    ]
}

#[cfg(test)]
mod tests {
    /// A batch and a marker as written validate against their schemas' required fields (a
    /// cheap check that the schema describes what is written, not another shape).
    #[test]
    fn written_formats_have_every_required_field() {
        let batch = crate::Batch::new("w", "r", 1, Some("s"), &[], vec![]);
        let marker = crate::remote::Marker {
            format: crate::remote::MARKER_FORMAT.to_owned(),
            workspace: "w".to_owned(),
            genesis: Some("g".to_owned()),
        };
        for ((_, schema), value) in super::all().into_iter().zip([
            serde_json::to_value(&batch).unwrap(),
            serde_json::to_value(&marker).unwrap(),
        ]) {
            let schema = serde_json::to_value(&schema).unwrap();
            for field in schema["required"].as_array().unwrap() {
                let field = field.as_str().unwrap();
                assert!(value.get(field).is_some(), "{field} missing from {value}");
            }
            for key in value.as_object().unwrap().keys() {
                assert!(
                    schema["properties"].get(key).is_some(),
                    "{key} is written but not in the schema"
                );
            }
        }
    }
}
