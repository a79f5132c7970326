//! Identity keys for Countersign.
//!
//! Every identity (a person or an agent) owns an ed25519 key pair made when the
//! identity is created. Its id is the [`fingerprint`] of the public key. The
//! private key is only ever stored [sealed](seal) with a passphrase: argon2id
//! derives a key-encryption key from the passphrase and a random salt, and
//! XChaCha20-Poly1305 encrypts the 32-byte secret key under it. The AEAD's
//! associated data binds the sealed key's metadata (format version, KDF name and
//! parameters, salt, cipher name and public key), so none of it can be swapped
//! without [`unseal`] failing.
//!
//! Randomness is always passed in by the caller; nothing in this crate reaches
//! for a global RNG, so tests can be deterministic with a seeded RNG.
//!
//! Signed documents are [DSSE envelopes](dsse) over payloads in
//! [canonical JSON](jcs) (RFC 8785, integers only).

#![warn(missing_docs)]

pub mod dsse;
pub mod jcs;

use std::fmt;

use argon2::{Algorithm, Argon2, Block, Params, Version};
use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use ed25519_dalek::{Signature, Signer};
use rand_core::CryptoRngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

pub use ed25519_dalek::{SigningKey, VerifyingKey};

/// The only sealed-key format version this crate reads and writes.
pub const SEALED_KEY_VERSION: u32 = 1;
/// Name of the key derivation function recorded in a [`SealedKey`].
pub const KDF_ARGON2ID: &str = "argon2id";
/// Name of the cipher recorded in a [`SealedKey`].
pub const CIPHER_XCHACHA20POLY1305: &str = "xchacha20poly1305";

/// Length of the argon2id salt, in bytes.
const SALT_LEN: usize = 16;
/// Length of the XChaCha20-Poly1305 nonce, in bytes.
const NONCE_LEN: usize = 24;
/// Length of an ed25519 secret key (seed) and of a public key, in bytes.
const KEY_LEN: usize = 32;
/// Length of the Poly1305 tag, in bytes.
const TAG_LEN: usize = 16;
/// Length of an ed25519 signature, in bytes.
const SIGNATURE_LEN: usize = 64;
/// Domain separation prefix of the AEAD associated data.
const AAD_DOMAIN: &[u8] = b"countersign sealed key";

/// Everything that can go wrong with keys, sealing and signatures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The passphrase did not open the sealed key: the AEAD tag failed to
    /// verify. This is also what an altered sealed key looks like, since the
    /// two cannot be told apart.
    #[error(
        "wrong passphrase for this identity (or its sealed key was altered); \
         check COUNTERSIGN_PASSPHRASE"
    )]
    WrongPassphrase,
    /// An empty passphrase was given; keys are never sealed without one.
    #[error(
        "the passphrase is empty; a non-empty passphrase is required \
         (for example set COUNTERSIGN_PASSPHRASE)"
    )]
    EmptyPassphrase,
    /// A sealed key is malformed: bad hex, wrong lengths, an unsupported
    /// version, KDF or cipher, out-of-range KDF parameters, or a decrypted key
    /// that does not match the recorded public key.
    #[error("sealed key is corrupt: {0}")]
    Corrupt(String),
    /// A public key is not 64 hex characters encoding a usable ed25519 point.
    #[error(
        "invalid public key: expected 64 hex characters encoding a valid, \
         non-weak ed25519 public key"
    )]
    InvalidPublicKey,
    /// A signature does not have the length of an ed25519 signature.
    #[error("malformed signature: an ed25519 signature is exactly 64 bytes")]
    MalformedSignature,
    /// A signature does not verify for this public key and message.
    #[error("bad signature: it does not verify for this public key and message")]
    BadSignature,
    /// Key derivation failed, or was asked to run with parameters it refuses.
    #[error("key derivation failed: {0}")]
    Kdf(String),
}

/// A passphrase; zeroized on drop. Its `Debug` never shows the secret.
#[derive(Clone)]
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    /// Wrap a passphrase. The string is moved in, not copied.
    pub fn new(passphrase: String) -> Self {
        Self(Zeroizing::new(passphrase))
    }

    /// The passphrase's UTF-8 bytes, as fed to the KDF.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// Whether the passphrase is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Passphrase {
    fn from(passphrase: String) -> Self {
        Self::new(passphrase)
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(***)")
    }
}

/// Make a new key pair.
pub fn generate(rng: &mut impl CryptoRngCore) -> SigningKey {
    SigningKey::generate(rng)
}

/// The identity id of a public key: lowercase hex of SHA-256 over the 32 raw
/// public key bytes (64 hex chars).
pub fn fingerprint(public: &VerifyingKey) -> String {
    hex::encode(Sha256::digest(public.as_bytes()))
}

/// Parse a public key from 64 hex chars (either case).
///
/// Rejects strings of the wrong length, non-hex characters, byte strings that
/// are not a point on the curve, and weak (small-order) keys, all as
/// [`KeyError::InvalidPublicKey`].
pub fn public_key_from_hex(s: &str) -> Result<VerifyingKey, KeyError> {
    if s.len() != 2 * KEY_LEN {
        return Err(KeyError::InvalidPublicKey);
    }
    let mut bytes = [0u8; KEY_LEN];
    hex::decode_to_slice(s, &mut bytes).map_err(|_| KeyError::InvalidPublicKey)?;
    let key = VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError::InvalidPublicKey)?;
    if key.is_weak() {
        return Err(KeyError::InvalidPublicKey);
    }
    Ok(key)
}

/// A public key as 64 lowercase hex chars.
pub fn public_key_to_hex(k: &VerifyingKey) -> String {
    hex::encode(k.as_bytes())
}

/// Key derivation parameters (argon2id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory cost in KiB. At least `8 * p_cost`, at most [`KdfParams::MAX_M_COST_KIB`].
    pub m_cost_kib: u32,
    /// Number of passes. At least 1, at most [`KdfParams::MAX_T_COST`].
    pub t_cost: u32,
    /// Degree of parallelism (lanes). At least 1, at most [`KdfParams::MAX_P_COST`].
    pub p_cost: u32,
}

impl KdfParams {
    /// OWASP's recommended argon2id parameters: 19 MiB, 2 passes, 1 lane.
    pub const DEFAULT: KdfParams = KdfParams {
        m_cost_kib: 19 * 1024,
        t_cost: 2,
        p_cost: 1,
    };

    /// Largest memory cost accepted: 1 GiB, in KiB.
    pub const MAX_M_COST_KIB: u32 = 1024 * 1024;
    /// Largest number of passes accepted.
    pub const MAX_T_COST: u32 = 100;
    /// Largest degree of parallelism accepted.
    pub const MAX_P_COST: u32 = 64;

    /// Check the parameters are within argon2's minimums and our sanity limits,
    /// without running anything. Returns a description of the first problem.
    fn check(&self) -> Result<(), String> {
        let KdfParams {
            m_cost_kib,
            t_cost,
            p_cost,
        } = *self;
        if p_cost == 0 || p_cost > Self::MAX_P_COST {
            return Err(format!(
                "argon2 parallelism {p_cost} is outside 1..={}",
                Self::MAX_P_COST
            ));
        }
        if t_cost == 0 || t_cost > Self::MAX_T_COST {
            return Err(format!(
                "argon2 time cost {t_cost} is outside 1..={}",
                Self::MAX_T_COST
            ));
        }
        let min_m = 8 * p_cost; // p_cost <= 64, so no overflow
        if m_cost_kib < min_m || m_cost_kib > Self::MAX_M_COST_KIB {
            return Err(format!(
                "argon2 memory cost {m_cost_kib} KiB is outside {min_m}..={} KiB",
                Self::MAX_M_COST_KIB
            ));
        }
        Ok(())
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A private key sealed with a passphrase; safe to store.
///
/// Serialized (e.g. as JSON) with the fields below. All binary values are hex.
/// Nothing here is trusted by [`unseal`]: every field is validated before use
/// and the metadata is bound to the ciphertext as AEAD associated data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedKey {
    /// Format version; always [`SEALED_KEY_VERSION`] (1).
    pub version: u32,
    /// Key derivation function; always [`KDF_ARGON2ID`] (`"argon2id"`).
    pub kdf: String,
    /// Key derivation parameters.
    pub params: KdfParams,
    /// argon2id salt, hex of 16 bytes.
    pub salt: String,
    /// Cipher; always [`CIPHER_XCHACHA20POLY1305`] (`"xchacha20poly1305"`).
    pub cipher: String,
    /// XChaCha20-Poly1305 nonce, hex of 24 bytes.
    pub nonce: String,
    /// The encrypted 32-byte secret key followed by the 16-byte tag, hex of 48 bytes.
    pub ciphertext: String,
    /// The public key of the sealed key pair, 64 hex chars.
    pub public_key: String,
}

impl SealedKey {
    /// The recorded public key. It is only known to belong to the sealed secret
    /// once [`unseal`] has succeeded.
    pub fn public_key(&self) -> Result<VerifyingKey, KeyError> {
        public_key_from_hex(&self.public_key)
            .map_err(|_| KeyError::Corrupt("public_key is not a valid public key".into()))
    }

    /// The identity id (fingerprint) of the recorded public key.
    pub fn fingerprint(&self) -> Result<String, KeyError> {
        self.public_key().map(|k| fingerprint(&k))
    }
}

/// Seal a private key with a passphrase.
///
/// `rng` supplies the salt and the nonce. Refuses an empty passphrase
/// ([`KeyError::EmptyPassphrase`]) and out-of-range parameters ([`KeyError::Kdf`]).
pub fn seal(
    key: &SigningKey,
    passphrase: &Passphrase,
    params: KdfParams,
    rng: &mut impl CryptoRngCore,
) -> Result<SealedKey, KeyError> {
    if passphrase.is_empty() {
        return Err(KeyError::EmptyPassphrase);
    }
    params.check().map_err(KeyError::Kdf)?;

    let mut salt = [0u8; SALT_LEN];
    rng.fill_bytes(&mut salt);
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill_bytes(&mut nonce);
    let public = key.verifying_key();

    let kek = derive_key(passphrase, &salt, params)?;
    let aad = associated_data(
        SEALED_KEY_VERSION,
        KDF_ARGON2ID,
        params,
        &salt,
        CIPHER_XCHACHA20POLY1305,
        &public,
    );

    let secret = Zeroizing::new(key.to_bytes());
    // Room for the tag up front, so the buffer holding the plaintext never reallocates.
    let mut buffer = Zeroizing::new(Vec::with_capacity(KEY_LEN + TAG_LEN));
    buffer.extend_from_slice(&secret[..]);
    XChaCha20Poly1305::new(Key::from_slice(&kek[..]))
        .encrypt_in_place(XNonce::from_slice(&nonce), &aad, &mut *buffer)
        .map_err(|_| KeyError::Kdf("encryption failed".into()))?;

    Ok(SealedKey {
        version: SEALED_KEY_VERSION,
        kdf: KDF_ARGON2ID.to_owned(),
        params,
        salt: hex::encode(salt),
        cipher: CIPHER_XCHACHA20POLY1305.to_owned(),
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(&buffer[..]),
        public_key: public_key_to_hex(&public),
    })
}

/// Open a sealed key.
///
/// Every field is validated (and the KDF parameters bounded) before the KDF
/// runs; problems are [`KeyError::Corrupt`]. An empty passphrase is
/// [`KeyError::EmptyPassphrase`] (no sealed key has one). A wrong passphrase is
/// [`KeyError::WrongPassphrase`] (the AEAD tag fails; so does any altered
/// metadata or ciphertext). The decrypted key must match the recorded public
/// key, else [`KeyError::Corrupt`]. Intermediate secrets (derived key,
/// plaintext bytes) are zeroized.
pub fn unseal(sealed: &SealedKey, passphrase: &Passphrase) -> Result<SigningKey, KeyError> {
    if sealed.version != SEALED_KEY_VERSION {
        return Err(KeyError::Corrupt(format!(
            "unsupported version {} (this build reads version {SEALED_KEY_VERSION}); \
             a newer Countersign may be needed",
            sealed.version
        )));
    }
    if sealed.kdf != KDF_ARGON2ID {
        return Err(KeyError::Corrupt(format!(
            "unsupported kdf {:?} (expected {KDF_ARGON2ID:?})",
            sealed.kdf
        )));
    }
    if sealed.cipher != CIPHER_XCHACHA20POLY1305 {
        return Err(KeyError::Corrupt(format!(
            "unsupported cipher {:?} (expected {CIPHER_XCHACHA20POLY1305:?})",
            sealed.cipher
        )));
    }
    sealed.params.check().map_err(KeyError::Corrupt)?;
    let salt: [u8; SALT_LEN] = decode_fixed("salt", &sealed.salt)?;
    let nonce: [u8; NONCE_LEN] = decode_fixed("nonce", &sealed.nonce)?;
    let ciphertext: [u8; KEY_LEN + TAG_LEN] = decode_fixed("ciphertext", &sealed.ciphertext)?;
    let public = sealed.public_key()?;

    if passphrase.is_empty() {
        return Err(KeyError::EmptyPassphrase);
    }

    let kek = derive_key(passphrase, &salt, sealed.params)?;
    let aad = associated_data(
        sealed.version,
        &sealed.kdf,
        sealed.params,
        &salt,
        &sealed.cipher,
        &public,
    );
    let mut buffer = Zeroizing::new(ciphertext.to_vec());
    XChaCha20Poly1305::new(Key::from_slice(&kek[..]))
        .decrypt_in_place(XNonce::from_slice(&nonce), &aad, &mut *buffer)
        .map_err(|_| KeyError::WrongPassphrase)?;

    let mut secret = Zeroizing::new([0u8; KEY_LEN]);
    if buffer.len() != KEY_LEN {
        return Err(KeyError::Corrupt(
            "decrypted secret key has the wrong length".into(),
        ));
    }
    secret.copy_from_slice(&buffer[..]);
    let key = SigningKey::from_bytes(&secret);
    if key.verifying_key() != public {
        return Err(KeyError::Corrupt(
            "the decrypted secret key does not match the recorded public key".into(),
        ));
    }
    Ok(key)
}

/// Sign a raw message (ed25519).
pub fn sign(key: &SigningKey, message: &[u8]) -> [u8; 64] {
    key.sign(message).to_bytes()
}

/// Verify an ed25519 signature over a raw message, strictly (`verify_strict`:
/// no weak keys, no malleable signatures).
///
/// A signature that is not 64 bytes is [`KeyError::MalformedSignature`]; one
/// that does not verify is [`KeyError::BadSignature`].
pub fn verify(public: &VerifyingKey, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
    let bytes: &[u8; SIGNATURE_LEN] = signature
        .try_into()
        .map_err(|_| KeyError::MalformedSignature)?;
    let signature = Signature::from_bytes(bytes);
    public
        .verify_strict(message, &signature)
        .map_err(|_| KeyError::BadSignature)
}

/// Run argon2id over the passphrase and salt, giving a 32-byte key-encryption key.
fn derive_key(
    passphrase: &Passphrase,
    salt: &[u8; SALT_LEN],
    params: KdfParams,
) -> Result<Zeroizing<[u8; KEY_LEN]>, KeyError> {
    let params = Params::new(
        params.m_cost_kib,
        params.t_cost,
        params.p_cost,
        Some(KEY_LEN),
    )
    .map_err(|e| KeyError::Kdf(e.to_string()))?;
    // argon2's working memory is derived from the passphrase: allocate it
    // ourselves so it is zeroized afterwards, and so a failed allocation is an
    // error rather than an abort.
    let block_count = params.block_count();
    let mut blocks: Zeroizing<Vec<Block>> = Zeroizing::new(Vec::new());
    blocks.try_reserve_exact(block_count).map_err(|_| {
        KeyError::Kdf(format!(
            "could not allocate {} KiB of memory for argon2",
            block_count
        ))
    })?;
    blocks.resize(block_count, Block::default());
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into_with_memory(passphrase.as_bytes(), salt, &mut out[..], &mut *blocks)
        .map_err(|e| KeyError::Kdf(e.to_string()))?;
    Ok(out)
}

/// The AEAD associated data: an unambiguous encoding of the sealed key's
/// metadata, so none of it can be swapped.
fn associated_data(
    version: u32,
    kdf: &str,
    params: KdfParams,
    salt: &[u8; SALT_LEN],
    cipher: &str,
    public: &VerifyingKey,
) -> Vec<u8> {
    let mut aad = Vec::with_capacity(128);
    push_field(&mut aad, AAD_DOMAIN);
    aad.extend_from_slice(&version.to_be_bytes());
    push_field(&mut aad, kdf.as_bytes());
    aad.extend_from_slice(&params.m_cost_kib.to_be_bytes());
    aad.extend_from_slice(&params.t_cost.to_be_bytes());
    aad.extend_from_slice(&params.p_cost.to_be_bytes());
    push_field(&mut aad, salt);
    push_field(&mut aad, cipher.as_bytes());
    push_field(&mut aad, public.as_bytes());
    aad
}

/// Append a length-prefixed field.
fn push_field(out: &mut Vec<u8>, bytes: &[u8]) {
    // Every field here is a short constant or a fixed-size value.
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Decode a hex field of a sealed key that must be exactly `N` bytes.
fn decode_fixed<const N: usize>(field: &str, s: &str) -> Result<[u8; N], KeyError> {
    if s.len() != 2 * N {
        return Err(KeyError::Corrupt(format!(
            "{field} must be {} hex characters, found {}",
            2 * N,
            s.len()
        )));
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(s, &mut out)
        .map_err(|_| KeyError::Corrupt(format!("{field} is not valid hex")))?;
    Ok(out)
}

#[cfg(test)]
mod tests;
