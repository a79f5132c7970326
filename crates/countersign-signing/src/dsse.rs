//! DSSE envelopes (Dead Simple Signing Envelope, `DSSEv1`).
//!
//! Countersign signs release manifests and approvals as DSSE envelopes, as
//! specified by the secure-systems-lab DSSE protocol and envelope documents.
//! A signature covers the pre-authentication encoding ([`pae`]) of the payload
//! type and the payload bytes, never a re-serialization of the payload: a
//! verifier checks the signatures over the payload bytes exactly as carried
//! (base64-decoded) and only then may parse them.
//!
//! Key ids are Countersign [fingerprints](crate::fingerprint) of the signers'
//! public keys. They are unauthenticated hints: [`verify`] asks the caller's
//! lookup for the key behind each one, and only keys the caller knows count.
//!
//! Base64: this module always writes standard base64 with padding, and reads
//! the standard and URL-safe alphabets, with or without padding (the spec says
//! verifiers should accept both), since transports may re-encode envelopes.
//!
//! ```
//! use countersign_signing::{dsse, fingerprint, generate, jcs};
//! use rand_chacha::ChaCha20Rng;
//! use rand_core::SeedableRng;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let key = generate(&mut ChaCha20Rng::from_seed([1; 32]));
//! let payload = jcs::to_vec(&serde_json::json!({"version": 1, "name": "release"}))?;
//! let envelope = dsse::sign("application/vnd.countersign.manifest+json", &payload, &key);
//!
//! let public = key.verifying_key();
//! let known = |keyid: &str| (keyid == fingerprint(&public)).then_some(public);
//! let verified = dsse::verify(&envelope, "application/vnd.countersign.manifest+json", known)?;
//! assert_eq!(verified.valid_keyids, [fingerprint(&public)]);
//! // Only now, with the signature checked, parse the payload.
//! let manifest: serde_json::Value = jcs::from_canonical_slice(&verified.payload)?;
//! assert_eq!(manifest["name"], "release");
//! # Ok(())
//! # }
//! ```

use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::{Engine, alphabet};
use serde::{Deserialize, Serialize};

use crate::jcs::{self, JcsError};
use crate::{KeyError, SigningKey, VerifyingKey, fingerprint};

/// A DSSE envelope, with the JSON field names of the spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// The payload bytes, in base64 (written standard with padding).
    pub payload: String,
    /// How to interpret the payload, e.g. a media type. Signed along with it.
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// The signatures over the payload and its type.
    pub signatures: Vec<EnvelopeSignature>,
}

/// One signature in an [`Envelope`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeSignature {
    /// Which key made the signature: the fingerprint of its public key. An
    /// unauthenticated hint; optional in the spec, so read as `""` if absent.
    #[serde(default)]
    pub keyid: String,
    /// The ed25519 signature over [`pae`], in base64 (written standard with
    /// padding).
    pub sig: String,
}

/// What a successful [`verify`] established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The payload bytes exactly as carried (base64-decoded, nothing else).
    pub payload: Vec<u8>,
    /// The envelope's payload type (equal to the expected one).
    pub payload_type: String,
    /// Key ids whose signatures verified with the key the lookup gave, in
    /// envelope order, each key counted once (a key id repeated, or two key
    /// ids the lookup maps to the same key, appear once). May be empty: the
    /// caller applies its own threshold.
    pub valid_keyids: Vec<String>,
    /// Key ids the lookup did not know, in envelope order, without repeats.
    /// Their signatures were not checked and count for nothing.
    pub unknown_keyids: Vec<String>,
}

/// Everything that can go wrong with an envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DsseError {
    /// The envelope carries no signatures at all.
    #[error("the envelope has no signatures")]
    NoSignatures,
    /// A signature by a known key does not verify: the payload, its type or
    /// the signature was altered, or the signature is forged.
    #[error(
        "the signature by key {keyid} does not verify: the envelope was altered \
         or the signature is not genuine"
    )]
    BadSignature {
        /// The key id the failing signature claims.
        keyid: String,
    },
    /// The envelope's payload type is not the one the caller expects.
    #[error("wrong payload type: expected {expected:?}, found {found:?}")]
    WrongPayloadType {
        /// The payload type the caller expected.
        expected: String,
        /// The payload type the envelope has.
        found: String,
    },
    /// The envelope is malformed: invalid base64, a signature of the wrong
    /// length, and so on.
    #[error("malformed envelope: {0}")]
    Malformed(String),
    /// The envelope's JSON is invalid or does not have the envelope's fields.
    #[error("invalid envelope JSON: {0}")]
    Json(#[from] JcsError),
}

/// Standard alphabet; padding optional.
const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
/// URL-safe alphabet; padding optional.
const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decode base64 in either alphabet, padded or not. `what` names the field
/// for the error message.
fn decode_base64(what: &str, s: &str) -> Result<Vec<u8>, DsseError> {
    match STANDARD_LENIENT.decode(s) {
        Ok(bytes) => Ok(bytes),
        Err(standard_error) => URL_SAFE_LENIENT
            .decode(s)
            .map_err(|_| DsseError::Malformed(format!("{what} is not base64: {standard_error}"))),
    }
}

/// The pre-authentication encoding that signatures cover:
/// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, where LEN is the
/// length in bytes, in ASCII decimal without leading zeros.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let type_len = payload_type.len().to_string();
    let body_len = payload.len().to_string();
    let mut out = Vec::with_capacity(
        b"DSSEv1 ".len() + type_len.len() + payload_type.len() + body_len.len() + payload.len() + 3,
    );
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(type_len.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(body_len.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

/// Make an envelope over `payload` with one signature, by `key`; its key id
/// is the [fingerprint] of the key's public key.
pub fn sign(payload_type: &str, payload: &[u8], key: &SigningKey) -> Envelope {
    Envelope {
        payload: STANDARD.encode(payload),
        payload_type: payload_type.to_owned(),
        signatures: vec![signature(payload_type, payload, key)],
    }
}

/// One signature entry by `key` over the payload and its type.
fn signature(payload_type: &str, payload: &[u8], key: &SigningKey) -> EnvelopeSignature {
    EnvelopeSignature {
        keyid: fingerprint(&key.verifying_key()),
        sig: STANDARD.encode(crate::sign(key, &pae(payload_type, payload))),
    }
}

/// Add a signature by `key` over the envelope's payload and payload type.
///
/// Signing is deterministic, so signing again with a key that already signed
/// yields the same entry, and the envelope is left as it is. The payload is
/// not re-encoded. Fails with [`DsseError::Malformed`] if the payload is not
/// base64. This does not check the signatures already present.
pub fn add_signature(env: &mut Envelope, key: &SigningKey) -> Result<(), DsseError> {
    let payload = decode_base64("the payload", &env.payload)?;
    let new = signature(&env.payload_type, &payload, key);
    if !env.signatures.contains(&new) {
        env.signatures.push(new);
    }
    Ok(())
}

/// The payload bytes exactly as carried: base64-decoded, nothing else.
///
/// This does not verify anything; use [`verify`] before trusting them.
pub fn payload_bytes(env: &Envelope) -> Result<Vec<u8>, DsseError> {
    decode_base64("the payload", &env.payload)
}

/// Verify an envelope's signatures.
///
/// The envelope's payload type must equal `expected_type`
/// ([`DsseError::WrongPayloadType`]) and it must have at least one signature
/// ([`DsseError::NoSignatures`]). The payload and every signature must be
/// base64 ([`DsseError::Malformed`]). For each signature, `lookup` is asked
/// for the key behind its key id; a known key's signature is checked with
/// ed25519 (strictly: no weak keys, no malleable signatures) over
/// [`pae`]`(payloadType, payload bytes as decoded)`. Any failure of a known
/// key's signature is an error ([`DsseError::BadSignature`]; a signature that
/// is not 64 bytes is [`DsseError::Malformed`]): a bad signature is never
/// skipped. Unknown key ids are listed in [`Verified::unknown_keyids`].
///
/// Success says which known keys signed ([`Verified::valid_keyids`], possibly
/// none); deciding whether they are enough is the caller's job. The payload
/// is never parsed here.
pub fn verify(
    env: &Envelope,
    expected_type: &str,
    lookup: impl Fn(&str) -> Option<VerifyingKey>,
) -> Result<Verified, DsseError> {
    if env.payload_type != expected_type {
        return Err(DsseError::WrongPayloadType {
            expected: expected_type.to_owned(),
            found: env.payload_type.clone(),
        });
    }
    if env.signatures.is_empty() {
        return Err(DsseError::NoSignatures);
    }
    let payload = decode_base64("the payload", &env.payload)?;
    let message = pae(&env.payload_type, &payload);

    let mut valid_keyids: Vec<String> = Vec::new();
    let mut valid_keys: Vec<VerifyingKey> = Vec::new();
    let mut unknown_keyids: Vec<String> = Vec::new();
    for (index, entry) in env.signatures.iter().enumerate() {
        let sig = decode_base64(
            &format!("signature {index} (key id {:?})", entry.keyid),
            &entry.sig,
        )?;
        let Some(key) = lookup(&entry.keyid) else {
            if !unknown_keyids.contains(&entry.keyid) {
                unknown_keyids.push(entry.keyid.clone());
            }
            continue;
        };
        match crate::verify(&key, &message, &sig) {
            Ok(()) => {}
            Err(KeyError::MalformedSignature) => {
                return Err(DsseError::Malformed(format!(
                    "signature {index} (key id {:?}) is {} bytes; an ed25519 signature is 64",
                    entry.keyid,
                    sig.len()
                )));
            }
            Err(_) => {
                return Err(DsseError::BadSignature {
                    keyid: entry.keyid.clone(),
                });
            }
        }
        if !valid_keys.contains(&key) {
            valid_keys.push(key);
            valid_keyids.push(entry.keyid.clone());
        }
    }
    Ok(Verified {
        payload,
        payload_type: env.payload_type.clone(),
        valid_keyids,
        unknown_keyids,
    })
}

/// Parse an envelope from JSON strictly: duplicate member names, unknown
/// fields, numbers and anything else that is not an envelope are refused
/// ([`DsseError::Json`]). Whitespace is allowed. Nothing is decoded or
/// verified here.
pub fn from_json(bytes: &[u8]) -> Result<Envelope, DsseError> {
    Ok(jcs::from_slice(bytes)?)
}
