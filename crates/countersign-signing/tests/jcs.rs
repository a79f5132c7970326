//! Canonical JSON (RFC 8785, integers only): examples from the RFC, escaping,
//! sorting, and everything the strict parser refuses.

use std::collections::BTreeMap;

use countersign_signing::jcs::{
    JcsError, MAX_DEPTH, MAX_SAFE_INTEGER, from_canonical_slice, from_slice, is_canonical, parse,
    to_vec,
};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Value, json};

fn canon(v: &Value) -> String {
    String::from_utf8(to_vec(v).expect("canonicalizes")).expect("UTF-8")
}

/// Parse, then canonicalize: what a JCS implementation makes of JSON text.
fn canon_text(text: &str) -> String {
    canon(&parse(text.as_bytes()).expect("parses"))
}

// --- RFC 8785 examples -------------------------------------------------------

/// RFC 8785 §3.2.3, with one key of our own ("</script>").
const SORTING_INPUT: &str = r#"{
   "\u20ac": "Euro Sign",
   "\r": "Carriage Return",
   "\ufb33": "Hebrew Letter Dalet With Dagesh",
   "1": "One",
   "\ud83d\ude00": "Emoji: Grinning Face",
   "\u0080": "Control",
   "\u00f6": "Latin Small Letter O With Diaeresis",
   "</script>": "Browser Challenge"
}"#;

#[test]
fn rfc8785_sorting_example() {
    let expected = concat!(
        r#"{"\r":"Carriage Return","1":"One","</script>":"Browser Challenge","#,
        "\"\u{80}\":\"Control\",",
        "\"\u{f6}\":\"Latin Small Letter O With Diaeresis\",",
        "\"\u{20ac}\":\"Euro Sign\",",
        "\"\u{1f600}\":\"Emoji: Grinning Face\",",
        "\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}",
    );
    assert_eq!(canon_text(SORTING_INPUT), expected);
    assert!(is_canonical(expected.as_bytes()).unwrap());
    assert!(!is_canonical(SORTING_INPUT.as_bytes()).unwrap());
}

#[test]
fn rfc8785_sorting_example_with_integer_values() {
    // The same keys from a Rust map (a BTreeMap iterates in UTF-8 order, in
    // which U+1F600 comes after U+FB33; in UTF-16 order it comes before).
    let map: BTreeMap<&str, i64> = [
        ("\u{20ac}", 1),
        ("\r", 2),
        ("\u{fb33}", 3),
        ("1", 4),
        ("\u{1f600}", 5),
        ("\u{80}", 6),
        ("\u{f6}", 7),
        ("</script>", 8),
    ]
    .into_iter()
    .collect();
    let expected = "{\"\\r\":2,\"1\":4,\"</script>\":8,\"\u{80}\":6,\"\u{f6}\":7,\
                    \"\u{20ac}\":1,\"\u{1f600}\":5,\"\u{fb33}\":3}";
    assert_eq!(String::from_utf8(to_vec(&map).unwrap()).unwrap(), expected);
}

#[test]
fn utf16_order_differs_from_code_point_order() {
    // U+E000 < U+1F600 as code points and in UTF-8, but U+1F600 is the
    // surrogate pair D83D DE00, which sorts before E000 in UTF-16.
    let v = json!({"\u{e000}": 1, "\u{1f600}": 2, "\u{ffff}": 3, "\u{d7ff}": 4});
    assert_eq!(
        canon(&v),
        "{\"\u{d7ff}\":4,\"\u{1f600}\":2,\"\u{e000}\":1,\"\u{ffff}\":3}"
    );
}

#[test]
fn rfc8785_string_and_literals_example() {
    // RFC 8785 §3.2.2, without its "numbers" member (floats are refused here).
    let input = r#"{
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}"#;
    assert_eq!(
        canon_text(input),
        "{\"literals\":[null,true,false],\"string\":\"\u{20ac}$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}"
    );
}

#[test]
fn rfc8785_example_with_numbers_is_refused() {
    let input = r#"{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}"#;
    assert_eq!(parse(input.as_bytes()), Err(JcsError::Float));
}

// --- Strings ------------------------------------------------------------------

#[test]
fn every_control_character_is_escaped() {
    for c in 0u8..0x20 {
        let expected = match c {
            0x08 => r#""\b""#.to_owned(),
            0x09 => r#""\t""#.to_owned(),
            0x0a => r#""\n""#.to_owned(),
            0x0c => r#""\f""#.to_owned(),
            0x0d => r#""\r""#.to_owned(),
            _ => format!("\"\\u{c:04x}\""),
        };
        let s = char::from(c).to_string();
        let bytes = to_vec(&s).unwrap();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            expected,
            "char {c:#04x}"
        );
        assert_eq!(parse(&bytes).unwrap(), Value::String(s));
        assert!(is_canonical(&bytes).unwrap());
    }
    // Inside a longer string, around other text.
    assert_eq!(
        canon(&json!("a\u{1}b\u{1f}c\u{8}")),
        r#""a\u0001b\u001fc\b""#
    );
}

#[test]
fn only_quote_backslash_and_controls_are_escaped() {
    let s = "\"\\/\u{7f}\u{80}\u{2028}\u{2029}é€😀\u{fffd}<>&'";
    assert_eq!(
        canon(&json!(s)),
        "\"\\\"\\\\/\u{7f}\u{80}\u{2028}\u{2029}é€😀\u{fffd}<>&'\""
    );
}

#[test]
fn unneeded_escapes_are_not_canonical() {
    for text in [
        r#""\u001F""#, // uppercase hex
        r#""\u0041""#, // escaped printable ASCII
        r#""\/""#,     // escaped solidus
        r#""\u00e9""#, // escaped non-ASCII
        r#""\ud83d\ude00""#,
        r#""\u2028""#,
    ] {
        assert!(!is_canonical(text.as_bytes()).unwrap(), "{text}");
    }
}

#[test]
fn lone_surrogates_are_refused() {
    for text in [r#""\ud800""#, r#""\udc00""#, r#"{"\ud83d":1}"#] {
        assert!(
            matches!(parse(text.as_bytes()), Err(JcsError::Syntax(_))),
            "{text}"
        );
    }
}

// --- Numbers --------------------------------------------------------------------

#[test]
fn floats_are_refused_when_parsing() {
    for text in [
        "1.0",
        "1e2",
        "1E2",
        "-0.0",
        "-0",
        "0.5",
        "[1,2.5]",
        r#"{"a":{"b":1e-3}}"#,
        // Too large for 64 bits: the JSON parser reads it as a float.
        "18446744073709551616",
    ] {
        assert_eq!(parse(text.as_bytes()), Err(JcsError::Float), "{text}");
    }
}

#[test]
fn floats_are_refused_when_serializing() {
    assert_eq!(to_vec(&1.0f64), Err(JcsError::Float));
    assert_eq!(to_vec(&1.5f32), Err(JcsError::Float));
    assert_eq!(to_vec(&-0.0f64), Err(JcsError::Float));
    // serde_json::to_value would turn these into null.
    assert_eq!(to_vec(&f64::NAN), Err(JcsError::Float));
    assert_eq!(to_vec(&vec![f64::INFINITY]), Err(JcsError::Float));
    assert_eq!(to_vec(&json!({"a": [1, 2.0]})), Err(JcsError::Float));
    let mut map = BTreeMap::new();
    map.insert("x", Some(0.25f64));
    assert_eq!(to_vec(&map), Err(JcsError::Float));
}

#[test]
fn integers_within_the_safe_range() {
    for (value, text) in [
        (0i64, "0"),
        (-1, "-1"),
        (42, "42"),
        (MAX_SAFE_INTEGER, "9007199254740991"),
        (-MAX_SAFE_INTEGER, "-9007199254740991"),
    ] {
        assert_eq!(to_vec(&value).unwrap(), text.as_bytes());
        assert_eq!(parse(text.as_bytes()).unwrap(), json!(value));
        assert!(is_canonical(text.as_bytes()).unwrap());
    }
    assert_eq!(to_vec(&u8::MAX).unwrap(), b"255");
    assert_eq!(
        to_vec(&i128::from(MAX_SAFE_INTEGER)).unwrap(),
        b"9007199254740991"
    );
}

#[test]
fn big_integers_are_refused() {
    for text in [
        "9007199254740992",
        "-9007199254740992",
        "18446744073709551615",
        "-9223372036854775808",
        r#"{"size":[9007199254740993]}"#,
    ] {
        assert_eq!(
            parse(text.as_bytes()),
            Err(JcsError::NumberOutOfRange),
            "{text}"
        );
    }
    assert_eq!(
        to_vec(&(MAX_SAFE_INTEGER + 1)),
        Err(JcsError::NumberOutOfRange)
    );
    assert_eq!(
        to_vec(&(-MAX_SAFE_INTEGER - 1)),
        Err(JcsError::NumberOutOfRange)
    );
    assert_eq!(to_vec(&u64::MAX), Err(JcsError::NumberOutOfRange));
    assert_eq!(to_vec(&i64::MIN), Err(JcsError::NumberOutOfRange));
    assert_eq!(to_vec(&u128::MAX), Err(JcsError::NumberOutOfRange));
    assert_eq!(to_vec(&i128::MIN), Err(JcsError::NumberOutOfRange));
    assert_eq!(
        to_vec(&json!([1u64 << 60])),
        Err(JcsError::NumberOutOfRange)
    );
}

#[test]
fn non_canonical_integers() {
    // Leading zeros and "+" are not JSON at all.
    for text in ["01", "+1", "-01", "0x10"] {
        assert!(
            matches!(parse(text.as_bytes()), Err(JcsError::Syntax(_))),
            "{text}"
        );
    }
}

// --- Structure --------------------------------------------------------------------

#[test]
fn duplicate_keys_are_refused_at_any_depth() {
    for (text, key) in [
        (r#"{"a":1,"a":2}"#, "a"),
        (r#"{"a":1,"a":1}"#, "a"),
        (r#"{"a":{"b":[{"c":1,"d":2,"c":3}]}}"#, "c"),
        (r#"[[[{"x":null,"x":{}}]]]"#, "x"),
        // Equal after unescaping.
        (r#"{"a":1,"\u0061":2}"#, "a"),
        (r#"{"😀":1,"\ud83d\ude00":2}"#, "😀"),
    ] {
        assert_eq!(
            parse(text.as_bytes()),
            Err(JcsError::DuplicateKey(key.to_owned())),
            "{text}"
        );
    }
    // The same name in different objects is fine.
    assert!(parse(br#"{"a":{"a":1},"b":[{"a":1},{"a":2}]}"#).is_ok());
}

#[test]
fn serializing_duplicate_keys_is_refused() {
    struct Twice;
    impl Serialize for Twice {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = s.serialize_map(Some(2))?;
            map.serialize_entry("k", &1)?;
            map.serialize_entry("k", &2)?;
            map.end()
        }
    }
    assert_eq!(to_vec(&Twice), Err(JcsError::DuplicateKey("k".into())));
}

fn nested(depth: usize) -> String {
    "[".repeat(depth) + &"]".repeat(depth)
}

#[test]
fn nesting_depth_is_bounded() {
    let ok = nested(MAX_DEPTH);
    let value = parse(ok.as_bytes()).unwrap();
    assert_eq!(to_vec(&value).unwrap(), ok.as_bytes());
    assert_eq!(
        parse(nested(MAX_DEPTH + 1).as_bytes()),
        Err(JcsError::TooDeep)
    );
    // Far deeper than any recursion limit: refused, no stack overflow.
    assert_eq!(parse(nested(100_000).as_bytes()), Err(JcsError::TooDeep));
    let objects = r#"{"a":"#.repeat(MAX_DEPTH + 1) + "1" + &"}".repeat(MAX_DEPTH + 1);
    assert_eq!(parse(objects.as_bytes()), Err(JcsError::TooDeep));

    // Serializing is bounded the same way.
    let mut deep = json!(1);
    for _ in 0..MAX_DEPTH {
        deep = json!([deep]);
    }
    assert!(to_vec(&deep).is_ok());
    assert_eq!(to_vec(&json!({ "x": deep })), Err(JcsError::TooDeep));
}

#[test]
fn syntax_errors() {
    for text in [
        &b""[..],
        b" ",
        b"1 2",
        b"{} x",
        b"[1,]",
        b"{\"a\":1,}",
        b"{'a':1}",
        b"NaN",
        b"Infinity",
        b"\"\xff\"",
        b"\xef\xbb\xbf{}", // byte order mark
        b"\"a\nb\"",       // raw control character in a string
        b"[1] // comment",
        b"{\"a\" 1}",
        b"tru",
    ] {
        assert!(
            matches!(parse(text), Err(JcsError::Syntax(_))),
            "{:?}: {:?}",
            String::from_utf8_lossy(text),
            parse(text)
        );
    }
}

#[test]
fn whitespace_is_allowed_but_not_canonical() {
    let text = b" \t\n{ \"b\" : [ 1 , 2 ] , \"a\" : true }\r\n ";
    assert_eq!(parse(text).unwrap(), json!({"a": true, "b": [1, 2]}));
    assert!(!is_canonical(text).unwrap());
    assert!(is_canonical(br#"{"a":true,"b":[1,2]}"#).unwrap());
    assert!(!is_canonical(br#"{"b":[1,2],"a":true}"#).unwrap());
    assert!(!is_canonical(b"1\n").unwrap());
}

#[test]
fn parse_then_serialize_is_identity_on_canonical_input() {
    for text in [
        "null",
        "true",
        "false",
        "0",
        "-9007199254740991",
        "\"\"",
        "[]",
        "{}",
        "[[],{},[{}]]",
        r#"{"":0,"a":[1,"x",null,true,{"b":false}]}"#,
        "\"\\u0000\\u001f\\b\\t\\n\\f\\r\\\"\\\\\u{7f}\u{2028}\"",
        "{\"\\r\":1,\"1\":2,\"\u{80}\":3,\"\u{1f600}\":4,\"\u{fb33}\":5}",
    ] {
        let value = parse(text.as_bytes()).unwrap();
        assert_eq!(String::from_utf8(to_vec(&value).unwrap()).unwrap(), text);
        assert!(is_canonical(text.as_bytes()).unwrap(), "{text}");
    }
}

// --- Rust values ------------------------------------------------------------------

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    version: u32,
    name: String,
    files: Vec<File>,
    note: Option<String>,
    kind: Kind,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct File {
    path: String,
    size: u64,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Release,
    Approval { by: String },
}

fn manifest() -> Manifest {
    Manifest {
        version: 1,
        name: "countersign".into(),
        files: vec![File {
            path: "bin/cs".into(),
            size: 1024,
        }],
        note: None,
        kind: Kind::Approval { by: "Zoë".into() },
    }
}

#[test]
fn structs_and_enums() {
    let m = manifest();
    let bytes = to_vec(&m).unwrap();
    assert_eq!(
        String::from_utf8(bytes.clone()).unwrap(),
        r#"{"files":[{"path":"bin/cs","size":1024}],"kind":{"approval":{"by":"Zoë"}},"name":"countersign","note":null,"version":1}"#
    );
    assert_eq!(from_slice::<Manifest>(&bytes).unwrap(), m);
    assert_eq!(from_canonical_slice::<Manifest>(&bytes).unwrap(), m);
    assert_eq!(to_vec(&Kind::Release).unwrap(), br#""release""#);
}

#[test]
fn from_slice_checks_shape_and_strictness() {
    let pretty = serde_json::to_vec_pretty(&manifest()).unwrap();
    assert_eq!(from_slice::<Manifest>(&pretty).unwrap(), manifest());
    assert_eq!(
        from_canonical_slice::<Manifest>(&pretty),
        Err(JcsError::NotCanonical)
    );
    assert!(matches!(
        from_slice::<Manifest>(br#"{"version":1}"#),
        Err(JcsError::Deserialize(_))
    ));
    assert_eq!(
        from_slice::<File>(br#"{"path":"a","size":1,"size":2}"#),
        Err(JcsError::DuplicateKey("size".into()))
    );
    assert_eq!(
        from_slice::<File>(br#"{"path":"a","size":1.0}"#),
        Err(JcsError::Float)
    );
}

#[test]
fn map_keys() {
    let ints: BTreeMap<i32, &str> = [(10, "ten"), (9, "nine"), (-1, "minus")].into();
    // Integer keys become names, sorted as strings.
    assert_eq!(
        to_vec(&ints).unwrap(),
        br#"{"-1":"minus","10":"ten","9":"nine"}"#
    );
    let tuples: BTreeMap<(i32, i32), i32> = [((1, 2), 3)].into();
    assert!(matches!(to_vec(&tuples), Err(JcsError::Serialize(_))));
    let chars: BTreeMap<char, bool> = [('b', true), ('a', false)].into();
    assert_eq!(to_vec(&chars).unwrap(), br#"{"a":false,"b":true}"#);
    let options: BTreeMap<Option<&str>, i32> = [(Some("a"), 1)].into();
    assert!(matches!(to_vec(&options), Err(JcsError::Serialize(_))));
}

#[test]
fn misc_serde_shapes() {
    assert_eq!(to_vec(&()).unwrap(), b"null");
    assert_eq!(to_vec(&Some(3)).unwrap(), b"3");
    assert_eq!(to_vec(&(1, "a", true)).unwrap(), br#"[1,"a",true]"#);
    assert_eq!(to_vec(&'\n').unwrap(), br#""\n""#);
    assert_eq!(to_vec(&serde_bytes_like()).unwrap(), b"[0,255]");
    assert_eq!(to_vec("x").unwrap(), br#""x""#);
}

fn serde_bytes_like() -> impl Serialize {
    struct B;
    impl Serialize for B {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(&[0, 255])
        }
    }
    B
}

#[test]
fn errors_display() {
    assert!(
        JcsError::DuplicateKey("k".into())
            .to_string()
            .contains("\"k\"")
    );
    assert!(
        JcsError::TooDeep
            .to_string()
            .contains(&MAX_DEPTH.to_string())
    );
}
