//! Property tests: canonical JSON is a fixed point of parse ∘ to_vec, agrees
//! with serde_json's reading of it, and does not depend on the input's layout.

use countersign_signing::jcs::{MAX_SAFE_INTEGER, is_canonical, parse, to_vec};
use proptest::prelude::*;
use serde_json::Value;

/// Strings that hit escaping and sorting corner cases often, plus arbitrary ones.
fn json_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "[\\x00-\\x20\"\\\\/a-c1\u{7f}\u{80}\u{e9}\u{2028}\u{2029}\u{e000}\u{fb33}\u{ffff}\u{1f600}\u{10ffff}]{0,6}",
        any::<String>(),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).prop_map(Value::from),
        prop_oneof![Just(MAX_SAFE_INTEGER), Just(-MAX_SAFE_INTEGER), Just(0)].prop_map(Value::from),
        json_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((json_string(), inner), 0..8)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn canonical_bytes_are_a_fixed_point(v in json_value()) {
        let bytes = to_vec(&v).unwrap();
        let reparsed = parse(&bytes).unwrap();
        prop_assert_eq!(&reparsed, &v);
        prop_assert_eq!(to_vec(&reparsed).unwrap(), bytes.clone());
        prop_assert!(is_canonical(&bytes).unwrap());
        // An independent parser reads the same value from our bytes.
        let theirs: Value = serde_json::from_slice(&bytes).unwrap();
        prop_assert_eq!(&theirs, &v);
    }

    #[test]
    fn layout_does_not_matter(v in json_value()) {
        let canonical = to_vec(&v).unwrap();
        for text in [serde_json::to_vec(&v).unwrap(), serde_json::to_vec_pretty(&v).unwrap()] {
            prop_assert_eq!(to_vec(&parse(&text).unwrap()).unwrap(), canonical.clone());
        }
    }

    #[test]
    fn members_are_in_utf16_order(v in json_value()) {
        let canonical = to_vec(&v).unwrap();
        // Walk the text in document order (a Value would re-sort the members).
        let text = String::from_utf8(canonical).unwrap();
        let mut de = serde_json::Deserializer::from_str(&text);
        prop_assert!(names_ascend(&mut de));
    }

    #[test]
    fn parse_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = parse(&bytes);
        let _ = is_canonical(&bytes);
    }
}

/// Walk JSON text in document order, checking that every object's member
/// names are in strictly ascending UTF-16 order.
fn names_ascend<'de, D: serde::Deserializer<'de>>(de: D) -> bool {
    use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
    use std::fmt;

    #[derive(Clone, Copy)]
    struct Walk;
    impl<'de> DeserializeSeed<'de> for Walk {
        type Value = bool;
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de> Visitor<'de> for Walk {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
            Ok(true)
        }
        fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
            Ok(true)
        }
        fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
            Ok(true)
        }
        fn visit_str<E>(self, _: &str) -> Result<bool, E> {
            Ok(true)
        }
        fn visit_unit<E>(self) -> Result<bool, E> {
            Ok(true)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
            let mut ok = true;
            while let Some(item) = seq.next_element_seed(Walk)? {
                ok &= item;
            }
            Ok(ok)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
            let mut ok = true;
            let mut previous: Option<Vec<u16>> = None;
            while let Some(name) = map.next_key::<String>()? {
                let units: Vec<u16> = name.encode_utf16().collect();
                if let Some(p) = &previous {
                    ok &= *p < units;
                }
                previous = Some(units);
                ok &= map.next_value_seed(Walk)?;
            }
            Ok(ok)
        }
    }
    Walk.deserialize(de).expect("valid JSON")
}
