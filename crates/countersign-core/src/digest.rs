//! `sha256:<hex>` digests, as used for content, revision ids and audit events.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// A SHA-256 digest written as `sha256:` followed by 64 lowercase hex characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Digest(String);

/// On the desktop app's boundary a digest is its `sha256:…` string, as serde writes it.
#[cfg(feature = "specta")]
impl specta::Type for Digest {
    fn definition(types: &mut specta::Types) -> specta::datatype::DataType {
        <String as specta::Type>::definition(types)
    }
}

/// A string that is not a `sha256:` digest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a digest (expected `sha256:` followed by 64 hex characters)")]
pub struct BadDigest(pub String);

impl Digest {
    /// The prefix every digest carries.
    pub const PREFIX: &'static str = "sha256:";

    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(format!(
            "{}{}",
            Self::PREFIX,
            hex::encode(Sha256::digest(bytes))
        ))
    }

    /// Parse a full digest.
    pub fn parse(s: &str) -> Result<Digest, BadDigest> {
        let hex_part = s
            .strip_prefix(Self::PREFIX)
            .ok_or_else(|| BadDigest(s.to_owned()))?;
        if hex_part.len() == 64
            && hex_part
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            Ok(Digest(s.to_owned()))
        } else {
            Err(BadDigest(s.to_owned()))
        }
    }

    /// The whole `sha256:…` string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The hex part, without the `sha256:` prefix.
    pub fn hex(&self) -> &str {
        &self.0[Self::PREFIX.len()..]
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl schemars::JsonSchema for Digest {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Digest".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^sha256:[0-9a-f]{64}$",
            "description": "A SHA-256 digest: `sha256:` and 64 lowercase hex characters"
        })
    }
}

impl TryFrom<String> for Digest {
    type Error = BadDigest;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Digest::parse(&s)
    }
}

impl From<Digest> for String {
    fn from(d: Digest) -> String {
        d.0
    }
}

/// An incremental digest over several fields, each length-prefixed so that no two different
/// field lists can produce the same byte stream.
#[derive(Debug, Default)]
pub struct FieldHasher(Sha256);

impl FieldHasher {
    /// Start a digest in a named domain (e.g. `countersign/revision/v1`).
    pub fn new(domain: &str) -> FieldHasher {
        let mut h = FieldHasher(Sha256::new());
        h.field(domain.as_bytes());
        h
    }

    /// Add one field.
    pub fn field(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.update((bytes.len() as u64).to_be_bytes());
        self.0.update(bytes);
        self
    }

    /// Add a string field.
    pub fn str(&mut self, s: &str) -> &mut Self {
        self.field(s.as_bytes())
    }

    /// Finish.
    pub fn finish(self) -> Digest {
        Digest(format!(
            "{}{}",
            Digest::PREFIX,
            hex::encode(self.0.finalize())
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_of_empty_is_the_known_sha256() {
        assert_eq!(
            Digest::of(b"").as_str(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn parse_accepts_only_full_lowercase_digests() {
        let d = Digest::of(b"x");
        assert_eq!(Digest::parse(d.as_str()), Ok(d.clone()));
        assert!(Digest::parse(d.hex()).is_err());
        assert!(Digest::parse(&d.as_str().to_uppercase()).is_err());
        assert!(Digest::parse("sha256:abc").is_err());
    }

    #[test]
    fn field_hasher_is_unambiguous() {
        let mut a = FieldHasher::new("t");
        a.str("ab").str("c");
        let mut b = FieldHasher::new("t");
        b.str("a").str("bc");
        assert_ne!(a.finish(), b.finish());
    }
}
