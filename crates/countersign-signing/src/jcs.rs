//! Canonical JSON: the JSON Canonicalization Scheme (JCS, RFC 8785), restricted
//! to integers.
//!
//! Countersign signs JSON payloads in their canonical form, so that every
//! implementation produces the same bytes for the same value. The restriction
//! over plain RFC 8785 is that numbers are integers only, within the I-JSON
//! safe range ±(2^53−1) ([`MAX_SAFE_INTEGER`]); floats (even `1.0`) are refused,
//! so the ECMAScript number formatting of RFC 8785 §3.2.2.3 never comes into
//! play. Duplicate object member names are refused when parsing.
//!
//! Canonical form ([`to_vec`]):
//! - no whitespace between tokens;
//! - object members sorted by their names' UTF-16 code units (§3.2.3);
//! - strings escaped as in §3.2.2.2: only `"`, `\` and the control characters
//!   below U+0020 are escaped (`\b`, `\t`, `\n`, `\f`, `\r`, else `\u00xx` in
//!   lowercase hex); everything else, non-ASCII and U+2028/U+2029 included, is
//!   written as literal UTF-8;
//! - integers in plain decimal; `true`, `false` and `null` as usual.
//!
//! A verifier checks a signature over the bytes exactly as received and only
//! then parses them ([`parse`], [`from_slice`], or [`from_canonical_slice`] to
//! also insist the bytes are canonical); it never re-serializes to verify.
//!
//! ```
//! use countersign_signing::jcs;
//!
//! let bytes = jcs::to_vec(&serde_json::json!({"b": [1, "\u{e9}\n"], "a": null})).unwrap();
//! assert_eq!(bytes, "{\"a\":null,\"b\":[1,\"\u{e9}\\n\"]}".as_bytes());
//! assert!(jcs::is_canonical(&bytes).unwrap());
//! assert_eq!(jcs::to_vec(&1.0), Err(jcs::JcsError::Float));
//! assert!(matches!(jcs::parse(br#"{"a":1,"a":2}"#), Err(jcs::JcsError::DuplicateKey(_))));
//! ```

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, Impossible, Serialize};
use serde_json::{Map, Number, Value};

/// The largest magnitude an integer may have: 2^53 − 1, the I-JSON safe range
/// (integers that every JSON implementation represents exactly).
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// The deepest nesting of arrays and objects accepted, by [`parse`] and by
/// [`to_vec`] alike. A top-level array or object is at depth 1.
pub const MAX_DEPTH: usize = 64;

/// Everything that can go wrong making or reading canonical JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JcsError {
    /// A floating-point number. Only integers are allowed, so `1.0`, `1e2` and
    /// `-0` are all refused. (When parsing, an integer too large for 64 bits
    /// is read as a float by the JSON parser, and is refused as one.)
    #[error(
        "floating-point numbers are not allowed in canonical JSON here \
         (integers only, within ±(2^53−1))"
    )]
    Float,
    /// An integer outside the safe range ±(2^53−1) ([`MAX_SAFE_INTEGER`]).
    #[error("integer out of range: canonical JSON here only allows integers within ±(2^53−1)")]
    NumberOutOfRange,
    /// An object has two members with this name (compared after unescaping).
    #[error("duplicate object member name {0:?}")]
    DuplicateKey(String),
    /// The bytes are not JSON: invalid UTF-8, a syntax error, trailing
    /// characters, an invalid escape (such as a lone surrogate), and so on.
    #[error("invalid JSON: {0}")]
    Syntax(String),
    /// Arrays and objects are nested deeper than [`MAX_DEPTH`].
    #[error("JSON nested too deeply (more than {MAX_DEPTH} levels of arrays and objects)")]
    TooDeep,
    /// The bytes are valid JSON but not in canonical form.
    #[error("JSON is not in canonical form (RFC 8785)")]
    NotCanonical,
    /// A Rust value could not be represented as JSON (for example a map whose
    /// keys are not strings), or its `Serialize` implementation failed.
    #[error("cannot serialize as canonical JSON: {0}")]
    Serialize(String),
    /// The JSON is valid but does not have the shape of the requested type.
    #[error("JSON does not match the expected structure: {0}")]
    Deserialize(String),
}

impl ser::Error for JcsError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        JcsError::Serialize(msg.to_string())
    }
}

/// The canonical JSON bytes of a Rust value.
///
/// Refuses floats ([`JcsError::Float`]), integers outside ±(2^53−1)
/// ([`JcsError::NumberOutOfRange`]), maps whose keys are not strings, chars or
/// integers ([`JcsError::Serialize`]), a map that yields the same key twice
/// ([`JcsError::DuplicateKey`]) and nesting deeper than [`MAX_DEPTH`]
/// ([`JcsError::TooDeep`]). Serde's usual JSON data model applies otherwise:
/// `None` and `()` are `null`, byte slices are arrays of integers, enums are
/// externally tagged.
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, JcsError> {
    let value = value.serialize(ValueSerializer { depth: 0 })?;
    let mut out = Vec::new();
    write_value(&mut out, &value, 0)?;
    Ok(out)
}

/// Parse JSON strictly into a [`Value`].
///
/// The input must be UTF-8 JSON with nothing but whitespace after the value.
/// Whitespace and escapes are allowed (the input need not be canonical; see
/// [`is_canonical`]). Refused: duplicate member names at any depth
/// ([`JcsError::DuplicateKey`]), any number with a fraction or exponent, and
/// `-0` ([`JcsError::Float`]), integers outside ±(2^53−1)
/// ([`JcsError::NumberOutOfRange`]), nesting deeper than [`MAX_DEPTH`]
/// ([`JcsError::TooDeep`]) and everything that is not JSON
/// ([`JcsError::Syntax`]).
pub fn parse(bytes: &[u8]) -> Result<Value, JcsError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| JcsError::Syntax(format!("not valid UTF-8: {e}")))?;
    let failure = Cell::new(None);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let result = ValueSeed {
        depth: 0,
        failure: &failure,
    }
    .deserialize(&mut deserializer)
    .and_then(|value| deserializer.end().map(|()| value));
    // Our own refusals are recorded on the side with their type; anything else
    // is the JSON parser's.
    result.map_err(|e| {
        failure
            .take()
            .unwrap_or_else(|| JcsError::Syntax(e.to_string()))
    })
}

/// Whether `bytes` are exactly the canonical form of the JSON value they hold.
///
/// The bytes are first parsed strictly, as by [`parse`], whose errors are
/// returned; `Ok(false)` means valid JSON that is not canonical (whitespace,
/// unsorted members, unneeded escapes, ...).
pub fn is_canonical(bytes: &[u8]) -> Result<bool, JcsError> {
    let value = parse(bytes)?;
    Ok(to_vec(&value)? == bytes)
}

/// Parse JSON strictly (as by [`parse`]) and deserialize it into `T`.
///
/// A value that does not fit `T` is [`JcsError::Deserialize`].
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, JcsError> {
    let value = parse(bytes)?;
    serde_json::from_value(value).map_err(|e| JcsError::Deserialize(e.to_string()))
}

/// Like [`from_slice`], but also require the bytes to be canonical
/// ([`JcsError::NotCanonical`] otherwise): for payloads that were signed in
/// canonical form and must have no other encoding.
pub fn from_canonical_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, JcsError> {
    let value = parse(bytes)?;
    if to_vec(&value)? != bytes {
        return Err(JcsError::NotCanonical);
    }
    serde_json::from_value(value).map_err(|e| JcsError::Deserialize(e.to_string()))
}

// ---------------------------------------------------------------------------
// Writing canonical bytes from a Value.

/// Append the canonical form of `value`, which sits inside `depth` containers.
fn write_value(out: &mut Vec<u8>, value: &Value, depth: usize) -> Result<(), JcsError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(out, n)?,
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            let depth = enter(depth)?;
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item, depth)?;
            }
            out.push(b']');
        }
        Value::Object(members) => {
            let depth = enter(depth)?;
            let mut members: Vec<(&String, &Value)> = members.iter().collect();
            // RFC 8785 §3.2.3: by UTF-16 code units, not by UTF-8 bytes or
            // code points (they differ for U+E000..U+FFFF vs. astral chars).
            members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push(b'{');
            for (i, (name, member)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(out, name);
                out.push(b':');
                write_value(out, member, depth)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

/// One level deeper, refusing to go past [`MAX_DEPTH`].
fn enter(depth: usize) -> Result<usize, JcsError> {
    let depth = depth + 1;
    if depth > MAX_DEPTH {
        return Err(JcsError::TooDeep);
    }
    Ok(depth)
}

/// Append an integer in decimal; refuse floats and out-of-range integers.
fn write_number(out: &mut Vec<u8>, n: &Number) -> Result<(), JcsError> {
    let i = if let Some(i) = n.as_i64() {
        i128::from(i)
    } else if let Some(u) = n.as_u64() {
        i128::from(u)
    } else {
        return Err(JcsError::Float);
    };
    check_range(i)?;
    out.extend_from_slice(i.to_string().as_bytes());
    Ok(())
}

/// Refuse integers outside ±(2^53−1).
fn check_range(i: i128) -> Result<i64, JcsError> {
    if i.unsigned_abs() > MAX_SAFE_INTEGER.unsigned_abs().into() {
        return Err(JcsError::NumberOutOfRange);
    }
    i64::try_from(i).map_err(|_| JcsError::NumberOutOfRange)
}

/// Append a string literal escaped per RFC 8785 §3.2.2.2.
fn write_string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x09 => b"\\t",
            0x0a => b"\\n",
            0x0c => b"\\f",
            0x0d => b"\\r",
            0x00..=0x1f => &[],
            // Everything else, including every byte of a multi-byte UTF-8
            // sequence (all >= 0x80), is copied as is.
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0x0f)]);
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

// ---------------------------------------------------------------------------
// Strict parsing: a serde visitor that builds a Value, refusing duplicates,
// floats, out-of-range integers and deep nesting.

/// Deserializes one JSON value found inside `depth` containers. Refusals are
/// stored in `failure` so [`parse`] can return them with their type (the JSON
/// parser only carries a message).
#[derive(Clone, Copy)]
struct ValueSeed<'a> {
    depth: usize,
    failure: &'a Cell<Option<JcsError>>,
}

impl ValueSeed<'_> {
    /// Record a refusal and turn it into the parser's error type.
    fn fail<E: de::Error>(self, error: JcsError) -> E {
        let message = error.to_string();
        self.failure.set(Some(error));
        E::custom(message)
    }

    /// The seed for the members of a container opened here.
    fn enter<E: de::Error>(self) -> Result<Self, E> {
        match enter(self.depth) {
            Ok(depth) => Ok(ValueSeed { depth, ..self }),
            Err(e) => Err(self.fail(e)),
        }
    }

    fn integer<E: de::Error>(self, i: i128) -> Result<Value, E> {
        match check_range(i) {
            Ok(i) => Ok(Value::Number(Number::from(i))),
            Err(e) => Err(self.fail(e)),
        }
    }
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.integer(v.into())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.integer(v.into())
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        self.integer(v)
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        self.integer(i128::try_from(v).unwrap_or(i128::MAX))
    }

    fn visit_f64<E: de::Error>(self, _v: f64) -> Result<Value, E> {
        Err(self.fail(JcsError::Float))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.enter()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(inner)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.enter()?;
        let mut members = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            if members.contains_key(&name) {
                return Err(self.fail(JcsError::DuplicateKey(name)));
            }
            let value = map.next_value_seed(inner)?;
            members.insert(name, value);
        }
        Ok(Value::Object(members))
    }
}

// ---------------------------------------------------------------------------
// A serde Serializer into Value that refuses what canonical JSON cannot hold.
// (serde_json::to_value would silently turn NaN and infinities into null, and
// let a duplicate map key overwrite the first.)

/// Serializes one value found inside `depth` containers.
#[derive(Clone, Copy)]
struct ValueSerializer {
    depth: usize,
}

impl ValueSerializer {
    /// The serializer for the members of a container opened here.
    fn enter(self) -> Result<Self, JcsError> {
        Ok(ValueSerializer {
            depth: enter(self.depth)?,
        })
    }

    fn integer(i: i128) -> Result<Value, JcsError> {
        Ok(Value::Number(Number::from(check_range(i)?)))
    }
}

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = JcsError;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = SeqBuilder;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = MapBuilder;

    fn serialize_bool(self, v: bool) -> Result<Value, JcsError> {
        Ok(Value::Bool(v))
    }

    fn serialize_i8(self, v: i8) -> Result<Value, JcsError> {
        Self::integer(v.into())
    }

    fn serialize_i16(self, v: i16) -> Result<Value, JcsError> {
        Self::integer(v.into())
    }

    fn serialize_i32(self, v: i32) -> Result<Value, JcsError> {
        Self::integer(v.into())
    }

    fn serialize_i64(self, v: i64) -> Result<Value, JcsError> {
        Self::integer(v.into())
    }

    fn serialize_i128(self, v: i128) -> Result<Value, JcsError> {
        Self::integer(v)
    }

    fn serialize_u8(self, v: u8) -> Result<Value, JcsError> {
        Self::integer(v.into())
    }

    fn serialize_u16(self, v: u16) -> Result<Value, JcsError> {
        Self::integer(v.into())
    }

    fn serialize_u32(self, v: u32) -> Result<Value, JcsError> {
        Self::integer(v.into())
    }

    fn serialize_u64(self, v: u64) -> Result<Value, JcsError> {
        Self::integer(v.into())
    }

    fn serialize_u128(self, v: u128) -> Result<Value, JcsError> {
        Self::integer(i128::try_from(v).map_err(|_| JcsError::NumberOutOfRange)?)
    }

    fn serialize_f32(self, _v: f32) -> Result<Value, JcsError> {
        Err(JcsError::Float)
    }

    fn serialize_f64(self, _v: f64) -> Result<Value, JcsError> {
        Err(JcsError::Float)
    }

    fn serialize_char(self, v: char) -> Result<Value, JcsError> {
        Ok(Value::String(v.to_string()))
    }

    fn serialize_str(self, v: &str) -> Result<Value, JcsError> {
        Ok(Value::String(v.to_owned()))
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<Value, JcsError> {
        self.enter()?;
        Ok(Value::Array(v.iter().map(|&b| Value::from(b)).collect()))
    }

    fn serialize_none(self) -> Result<Value, JcsError> {
        Ok(Value::Null)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, JcsError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Value, JcsError> {
        Ok(Value::Null)
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, JcsError> {
        Ok(Value::Null)
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, JcsError> {
        Ok(Value::String(variant.to_owned()))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, JcsError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, JcsError> {
        let inner = value.serialize(self.enter()?)?;
        let mut members = Map::new();
        members.insert(variant.to_owned(), inner);
        Ok(Value::Object(members))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder, JcsError> {
        Ok(SeqBuilder {
            inner: self.enter()?,
            // The hint comes from the value, not from untrusted input, but
            // cap it anyway.
            items: Vec::with_capacity(len.unwrap_or(0).min(1024)),
            variant: None,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder, JcsError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<SeqBuilder, JcsError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SeqBuilder, JcsError> {
        // {"variant": [...]}: the array is one level below the object.
        let mut builder = self.enter()?.serialize_seq(Some(len))?;
        builder.variant = Some(variant);
        Ok(builder)
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<MapBuilder, JcsError> {
        Ok(MapBuilder {
            inner: self.enter()?,
            members: Map::new(),
            pending_name: None,
            variant: None,
        })
    }

    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<MapBuilder, JcsError> {
        self.serialize_map(Some(len))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<MapBuilder, JcsError> {
        // {"variant": {...}}: the inner object is one level below the outer.
        let mut builder = self.enter()?.serialize_map(Some(len))?;
        builder.variant = Some(variant);
        Ok(builder)
    }
}

/// Wrap `value` as `{"variant": value}` if this is an enum variant.
fn wrap_variant(variant: Option<&'static str>, value: Value) -> Value {
    match variant {
        None => value,
        Some(variant) => {
            let mut members = Map::new();
            members.insert(variant.to_owned(), value);
            Value::Object(members)
        }
    }
}

/// Collects the items of an array (a sequence, tuple or tuple variant).
struct SeqBuilder {
    inner: ValueSerializer,
    items: Vec<Value>,
    variant: Option<&'static str>,
}

impl SeqBuilder {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), JcsError> {
        self.items.push(value.serialize(self.inner)?);
        Ok(())
    }

    fn finish(self) -> Value {
        wrap_variant(self.variant, Value::Array(self.items))
    }
}

impl ser::SerializeSeq for SeqBuilder {
    type Ok = Value;
    type Error = JcsError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), JcsError> {
        self.push(value)
    }

    fn end(self) -> Result<Value, JcsError> {
        Ok(self.finish())
    }
}

impl ser::SerializeTuple for SeqBuilder {
    type Ok = Value;
    type Error = JcsError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), JcsError> {
        self.push(value)
    }

    fn end(self) -> Result<Value, JcsError> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleStruct for SeqBuilder {
    type Ok = Value;
    type Error = JcsError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), JcsError> {
        self.push(value)
    }

    fn end(self) -> Result<Value, JcsError> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleVariant for SeqBuilder {
    type Ok = Value;
    type Error = JcsError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), JcsError> {
        self.push(value)
    }

    fn end(self) -> Result<Value, JcsError> {
        Ok(self.finish())
    }
}

/// Collects the members of an object (a map, struct or struct variant).
struct MapBuilder {
    inner: ValueSerializer,
    members: Map<String, Value>,
    pending_name: Option<String>,
    variant: Option<&'static str>,
}

impl MapBuilder {
    fn insert<T: Serialize + ?Sized>(&mut self, name: String, value: &T) -> Result<(), JcsError> {
        if self.members.contains_key(&name) {
            return Err(JcsError::DuplicateKey(name));
        }
        let value = value.serialize(self.inner)?;
        self.members.insert(name, value);
        Ok(())
    }

    fn finish(self) -> Value {
        wrap_variant(self.variant, Value::Object(self.members))
    }
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Value;
    type Error = JcsError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), JcsError> {
        self.pending_name = Some(key.serialize(MemberNameSerializer)?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), JcsError> {
        let name = self.pending_name.take().ok_or_else(|| {
            JcsError::Serialize("a map value was serialized before its key".into())
        })?;
        self.insert(name, value)
    }

    fn end(self) -> Result<Value, JcsError> {
        Ok(self.finish())
    }
}

impl ser::SerializeStruct for MapBuilder {
    type Ok = Value;
    type Error = JcsError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), JcsError> {
        self.insert(name.to_owned(), value)
    }

    fn end(self) -> Result<Value, JcsError> {
        Ok(self.finish())
    }
}

impl ser::SerializeStructVariant for MapBuilder {
    type Ok = Value;
    type Error = JcsError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), JcsError> {
        self.insert(name.to_owned(), value)
    }

    fn end(self) -> Result<Value, JcsError> {
        Ok(self.finish())
    }
}

/// Serializes a map key into an object member name. Like serde_json, it takes
/// strings, chars, integers (written in decimal) and unit variants.
struct MemberNameSerializer;

/// The error for a map key that cannot be a member name.
fn bad_name(kind: &str) -> JcsError {
    JcsError::Serialize(format!(
        "object member names must be strings, chars or integers, not {kind}"
    ))
}

impl ser::Serializer for MemberNameSerializer {
    type Ok = String;
    type Error = JcsError;
    type SerializeSeq = Impossible<String, JcsError>;
    type SerializeTuple = Impossible<String, JcsError>;
    type SerializeTupleStruct = Impossible<String, JcsError>;
    type SerializeTupleVariant = Impossible<String, JcsError>;
    type SerializeMap = Impossible<String, JcsError>;
    type SerializeStruct = Impossible<String, JcsError>;
    type SerializeStructVariant = Impossible<String, JcsError>;

    fn serialize_bool(self, _v: bool) -> Result<String, JcsError> {
        Err(bad_name("a boolean"))
    }

    fn serialize_i8(self, v: i8) -> Result<String, JcsError> {
        Ok(v.to_string())
    }

    fn serialize_i16(self, v: i16) -> Result<String, JcsError> {
        Ok(v.to_string())
    }

    fn serialize_i32(self, v: i32) -> Result<String, JcsError> {
        Ok(v.to_string())
    }

    fn serialize_i64(self, v: i64) -> Result<String, JcsError> {
        Ok(v.to_string())
    }

    fn serialize_i128(self, v: i128) -> Result<String, JcsError> {
        Ok(v.to_string())
    }

    fn serialize_u8(self, v: u8) -> Result<String, JcsError> {
        Ok(v.to_string())
    }

    fn serialize_u16(self, v: u16) -> Result<String, JcsError> {
        Ok(v.to_string())
    }

    fn serialize_u32(self, v: u32) -> Result<String, JcsError> {
        Ok(v.to_string())
    }

    fn serialize_u64(self, v: u64) -> Result<String, JcsError> {
        Ok(v.to_string())
    }

    fn serialize_u128(self, v: u128) -> Result<String, JcsError> {
        Ok(v.to_string())
    }

    fn serialize_f32(self, _v: f32) -> Result<String, JcsError> {
        Err(JcsError::Float)
    }

    fn serialize_f64(self, _v: f64) -> Result<String, JcsError> {
        Err(JcsError::Float)
    }

    fn serialize_char(self, v: char) -> Result<String, JcsError> {
        Ok(v.to_string())
    }

    fn serialize_str(self, v: &str) -> Result<String, JcsError> {
        Ok(v.to_owned())
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<String, JcsError> {
        Err(bad_name("bytes"))
    }

    fn serialize_none(self) -> Result<String, JcsError> {
        Err(bad_name("null"))
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<String, JcsError> {
        Err(bad_name("an option"))
    }

    fn serialize_unit(self) -> Result<String, JcsError> {
        Err(bad_name("null"))
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<String, JcsError> {
        Err(bad_name("a unit struct"))
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<String, JcsError> {
        Ok(variant.to_owned())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<String, JcsError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<String, JcsError> {
        Err(bad_name("an enum variant with data"))
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, JcsError> {
        Err(bad_name("an array"))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, JcsError> {
        Err(bad_name("a tuple"))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, JcsError> {
        Err(bad_name("a tuple struct"))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, JcsError> {
        Err(bad_name("an enum variant with data"))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, JcsError> {
        Err(bad_name("a map"))
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, JcsError> {
        Err(bad_name("a struct"))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, JcsError> {
        Err(bad_name("an enum variant with data"))
    }
}
