use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

use super::*;

/// Cheap parameters so tests are fast: argon2's minimum memory, one pass.
const CHEAP: KdfParams = KdfParams {
    m_cost_kib: 8,
    t_cost: 1,
    p_cost: 1,
};

fn rng(seed: u8) -> ChaCha20Rng {
    ChaCha20Rng::from_seed([seed; 32])
}

fn pass(s: &str) -> Passphrase {
    Passphrase::new(s.to_owned())
}

fn sealed_fixture() -> (SigningKey, SealedKey) {
    let mut rng = rng(7);
    let key = generate(&mut rng);
    let sealed = seal(&key, &pass("correct horse"), CHEAP, &mut rng).unwrap();
    (key, sealed)
}

/// Flip one bit of a hex string's first byte (keeps it valid hex of the same length).
fn flip_hex(s: &str) -> String {
    let mut bytes = hex::decode(s).unwrap();
    bytes[0] ^= 0x01;
    hex::encode(bytes)
}

#[test]
fn seal_unseal_round_trip() {
    let (key, sealed) = sealed_fixture();
    assert_eq!(sealed.version, 1);
    assert_eq!(sealed.kdf, "argon2id");
    assert_eq!(sealed.cipher, "xchacha20poly1305");
    assert_eq!(sealed.params, CHEAP);
    assert_eq!(sealed.salt.len(), 32);
    assert_eq!(sealed.nonce.len(), 48);
    assert_eq!(sealed.ciphertext.len(), 96);
    assert_eq!(sealed.public_key, public_key_to_hex(&key.verifying_key()));
    assert_eq!(
        sealed.fingerprint().unwrap(),
        fingerprint(&key.verifying_key())
    );

    let opened = unseal(&sealed, &pass("correct horse")).unwrap();
    assert_eq!(opened.to_bytes(), key.to_bytes());
}

#[test]
fn round_trip_through_json() {
    let (key, sealed) = sealed_fixture();
    let json = serde_json::to_string(&sealed).unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let object = value.as_object().unwrap();
    let mut fields: Vec<&str> = object.keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "cipher",
            "ciphertext",
            "kdf",
            "nonce",
            "params",
            "public_key",
            "salt",
            "version"
        ]
    );
    assert_eq!(
        value["params"],
        serde_json::json!({"m_cost_kib": 8, "t_cost": 1, "p_cost": 1})
    );
    let back: SealedKey = serde_json::from_str(&json).unwrap();
    assert_eq!(back, sealed);
    assert_eq!(
        unseal(&back, &pass("correct horse")).unwrap().to_bytes(),
        key.to_bytes()
    );
}

#[test]
fn json_does_not_contain_the_secret_key() {
    let (key, sealed) = sealed_fixture();
    let json = serde_json::to_string(&sealed).unwrap();
    let secret = key.to_bytes();
    assert!(!json.contains(&hex::encode(secret)));
    assert!(!json.to_lowercase().contains(&hex::encode(&secret[..8])));
    assert!(!json.contains(&hex::encode_upper(&secret[..8])));
    assert!(!format!("{sealed:?}").contains(&hex::encode(&secret[..8])));
}

#[test]
fn sealing_twice_uses_fresh_salt_and_nonce() {
    let mut rng = rng(3);
    let key = generate(&mut rng);
    let a = seal(&key, &pass("pw"), CHEAP, &mut rng).unwrap();
    let b = seal(&key, &pass("pw"), CHEAP, &mut rng).unwrap();
    assert_ne!(a.salt, b.salt);
    assert_ne!(a.nonce, b.nonce);
    assert_ne!(a.ciphertext, b.ciphertext);
}

#[test]
fn wrong_passphrase_is_refused() {
    let (_, sealed) = sealed_fixture();
    assert_eq!(
        unseal(&sealed, &pass("correct horsE")).unwrap_err(),
        KeyError::WrongPassphrase
    );
    let err = unseal(&sealed, &pass("battery staple")).unwrap_err();
    assert_eq!(err, KeyError::WrongPassphrase);
    assert!(err.to_string().contains("COUNTERSIGN_PASSPHRASE"));
}

#[test]
fn empty_passphrase_is_refused() {
    let mut rng = rng(1);
    let key = generate(&mut rng);
    assert!(pass("").is_empty());
    assert_eq!(
        seal(&key, &pass(""), CHEAP, &mut rng).unwrap_err(),
        KeyError::EmptyPassphrase
    );
    let (_, sealed) = sealed_fixture();
    assert_eq!(
        unseal(&sealed, &pass("")).unwrap_err(),
        KeyError::EmptyPassphrase
    );
}

fn assert_unseal_fails(sealed: &SealedKey) -> KeyError {
    let err = unseal(sealed, &pass("correct horse")).unwrap_err();
    assert!(
        matches!(err, KeyError::WrongPassphrase | KeyError::Corrupt(_)),
        "{err:?}"
    );
    err
}

#[test]
fn tampered_ciphertext_fails() {
    let (_, mut sealed) = sealed_fixture();
    sealed.ciphertext = flip_hex(&sealed.ciphertext);
    assert_eq!(assert_unseal_fails(&sealed), KeyError::WrongPassphrase);

    // The tag (last 16 bytes) too.
    let (_, mut sealed) = sealed_fixture();
    let mut bytes = hex::decode(&sealed.ciphertext).unwrap();
    *bytes.last_mut().unwrap() ^= 0x80;
    sealed.ciphertext = hex::encode(bytes);
    assert_eq!(assert_unseal_fails(&sealed), KeyError::WrongPassphrase);

    // Truncated, extended, not hex.
    for bad in ["", "00", &"00".repeat(49), &"zz".repeat(48)] {
        let (_, mut sealed) = sealed_fixture();
        sealed.ciphertext = bad.to_owned();
        assert!(matches!(assert_unseal_fails(&sealed), KeyError::Corrupt(_)));
    }
}

#[test]
fn tampered_salt_fails() {
    let (_, mut sealed) = sealed_fixture();
    sealed.salt = flip_hex(&sealed.salt);
    assert_eq!(assert_unseal_fails(&sealed), KeyError::WrongPassphrase);

    for bad in [
        "",
        "abc",
        &"00".repeat(15),
        &"00".repeat(17),
        &"g0".repeat(16),
    ] {
        let (_, mut sealed) = sealed_fixture();
        sealed.salt = bad.to_owned();
        assert!(matches!(assert_unseal_fails(&sealed), KeyError::Corrupt(_)));
    }
}

#[test]
fn tampered_nonce_fails() {
    let (_, mut sealed) = sealed_fixture();
    sealed.nonce = flip_hex(&sealed.nonce);
    assert_eq!(assert_unseal_fails(&sealed), KeyError::WrongPassphrase);

    for bad in [
        "",
        &"00".repeat(12),
        &"00".repeat(25),
        "é".repeat(24).as_str(),
    ] {
        let (_, mut sealed) = sealed_fixture();
        sealed.nonce = bad.to_owned();
        assert!(matches!(assert_unseal_fails(&sealed), KeyError::Corrupt(_)));
    }
}

#[test]
fn tampered_params_fail() {
    // Within limits but different: the derived key (and the associated data) differ.
    for params in [
        KdfParams {
            m_cost_kib: 16,
            ..CHEAP
        },
        KdfParams { t_cost: 2, ..CHEAP },
        KdfParams {
            m_cost_kib: 16,
            p_cost: 2,
            ..CHEAP
        },
    ] {
        let (_, mut sealed) = sealed_fixture();
        sealed.params = params;
        assert_eq!(assert_unseal_fails(&sealed), KeyError::WrongPassphrase);
    }
}

#[test]
fn tampered_public_key_fails() {
    let (_, mut sealed) = sealed_fixture();
    // Another valid public key: caught by the associated data.
    let other = generate(&mut rng(99)).verifying_key();
    sealed.public_key = public_key_to_hex(&other);
    assert_eq!(assert_unseal_fails(&sealed), KeyError::WrongPassphrase);

    // Not a public key at all.
    for bad in [
        String::new(),
        "00".repeat(31),
        "zz".repeat(32),
        "00".repeat(33),
    ] {
        let (_, mut sealed) = sealed_fixture();
        sealed.public_key = bad;
        assert!(matches!(assert_unseal_fails(&sealed), KeyError::Corrupt(_)));
    }
}

#[test]
fn mismatched_public_key_is_corrupt() {
    // A file whose metadata (including the public key) was consistently
    // re-encrypted over a different secret: the AEAD passes, the key check doesn't.
    let mut rng = rng(5);
    let key = generate(&mut rng);
    let other = generate(&mut rng);
    let mut sealed = seal(&key, &pass("pw"), CHEAP, &mut rng).unwrap();
    let salt: [u8; SALT_LEN] = decode_fixed("salt", &sealed.salt).unwrap();
    let nonce: [u8; NONCE_LEN] = decode_fixed("nonce", &sealed.nonce).unwrap();
    let kek = derive_key(&pass("pw"), &salt, CHEAP).unwrap();
    let aad = associated_data(
        1,
        KDF_ARGON2ID,
        CHEAP,
        &salt,
        CIPHER_XCHACHA20POLY1305,
        &key.verifying_key(),
    );
    let mut buffer = other.to_bytes().to_vec();
    XChaCha20Poly1305::new(Key::from_slice(&kek[..]))
        .encrypt_in_place(XNonce::from_slice(&nonce), &aad, &mut buffer)
        .unwrap();
    sealed.ciphertext = hex::encode(buffer);
    let err = unseal(&sealed, &pass("pw")).unwrap_err();
    assert!(
        matches!(err, KeyError::Corrupt(ref m) if m.contains("public key")),
        "{err:?}"
    );
}

#[test]
fn unsupported_version_kdf_cipher_are_corrupt() {
    let (_, mut sealed) = sealed_fixture();
    sealed.version = 2;
    let err = assert_unseal_fails(&sealed);
    assert!(matches!(err, KeyError::Corrupt(ref m) if m.contains("version")));

    let (_, mut sealed) = sealed_fixture();
    sealed.kdf = "scrypt".into();
    assert!(matches!(assert_unseal_fails(&sealed), KeyError::Corrupt(ref m) if m.contains("kdf")));

    let (_, mut sealed) = sealed_fixture();
    sealed.cipher = "aes256gcm".into();
    assert!(
        matches!(assert_unseal_fails(&sealed), KeyError::Corrupt(ref m) if m.contains("cipher"))
    );
}

#[test]
fn hostile_params_are_refused_fast() {
    let hostile = [
        KdfParams {
            m_cost_kib: u32::MAX,
            ..CHEAP
        },
        KdfParams {
            m_cost_kib: KdfParams::MAX_M_COST_KIB + 1,
            ..CHEAP
        },
        KdfParams {
            t_cost: u32::MAX,
            ..CHEAP
        },
        KdfParams {
            t_cost: 101,
            ..CHEAP
        },
        KdfParams {
            p_cost: u32::MAX,
            ..CHEAP
        },
        KdfParams {
            m_cost_kib: u32::MAX,
            t_cost: u32::MAX,
            p_cost: u32::MAX,
        },
        // Below argon2's minimums.
        KdfParams { t_cost: 0, ..CHEAP },
        KdfParams { p_cost: 0, ..CHEAP },
        KdfParams {
            m_cost_kib: 7,
            ..CHEAP
        },
        KdfParams {
            m_cost_kib: 8,
            p_cost: 2,
            t_cost: 1,
        },
        KdfParams {
            m_cost_kib: 0,
            t_cost: 0,
            p_cost: 0,
        },
    ];
    let (key, sealed) = sealed_fixture();
    for params in hostile {
        let start = Instant::now();
        let mut tampered = sealed.clone();
        tampered.params = params;
        let err = unseal(&tampered, &pass("correct horse")).unwrap_err();
        assert!(matches!(err, KeyError::Corrupt(_)), "{params:?}: {err:?}");

        let err = seal(&key, &pass("pw"), params, &mut rng(0)).unwrap_err();
        assert!(matches!(err, KeyError::Kdf(_)), "{params:?}: {err:?}");
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{params:?} took {:?}",
            start.elapsed()
        );
    }
}

#[test]
fn hostile_json_fails_without_panicking() {
    let (_, sealed) = sealed_fixture();
    let good = serde_json::to_value(&sealed).unwrap();
    // Wrong types are serde errors; valid shapes with bad contents are KeyErrors.
    for (field, value) in [
        ("version", serde_json::json!(0)),
        ("salt", serde_json::json!("ÿÿ")),
        ("public_key", serde_json::json!("")),
        (
            "params",
            serde_json::json!({"m_cost_kib": 4_000_000_000u32, "t_cost": 1, "p_cost": 1}),
        ),
    ] {
        let mut v = good.clone();
        v[field] = value;
        let parsed: SealedKey = serde_json::from_value(v).unwrap();
        assert!(unseal(&parsed, &pass("correct horse")).is_err());
    }
    for (field, value) in [
        ("version", serde_json::json!(-1)),
        (
            "params",
            serde_json::json!({"m_cost_kib": -1, "t_cost": 1, "p_cost": 1}),
        ),
        ("salt", serde_json::json!(12)),
    ] {
        let mut v = good.clone();
        v[field] = value;
        assert!(serde_json::from_value::<SealedKey>(v).is_err());
    }
}

#[test]
fn default_params_round_trip() {
    assert_eq!(
        KdfParams::DEFAULT,
        KdfParams {
            m_cost_kib: 19456,
            t_cost: 2,
            p_cost: 1
        }
    );
    assert_eq!(KdfParams::default(), KdfParams::DEFAULT);
    let mut rng = rng(11);
    let key = generate(&mut rng);
    let sealed = seal(
        &key,
        &pass("a real passphrase"),
        KdfParams::DEFAULT,
        &mut rng,
    )
    .unwrap();
    assert_eq!(sealed.params, KdfParams::DEFAULT);
    let opened = unseal(&sealed, &pass("a real passphrase")).unwrap();
    assert_eq!(opened.to_bytes(), key.to_bytes());
    assert_eq!(
        unseal(&sealed, &pass("a fake passphrase")).unwrap_err(),
        KeyError::WrongPassphrase
    );
}

#[test]
fn generation_is_deterministic_for_a_seeded_rng() {
    let a = generate(&mut rng(42));
    let b = generate(&mut rng(42));
    let c = generate(&mut rng(43));
    assert_eq!(a.to_bytes(), b.to_bytes());
    assert_ne!(a.to_bytes(), c.to_bytes());
}

#[test]
fn fingerprint_is_64_lowercase_hex_and_stable() {
    let key = generate(&mut rng(42));
    let fp = fingerprint(&key.verifying_key());
    assert_eq!(fp.len(), 64);
    assert!(
        fp.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
    assert_eq!(fp, fingerprint(&key.verifying_key()));
    assert_eq!(fp, FIXED_FINGERPRINT);

    // It is SHA-256 of the raw public key bytes.
    assert_eq!(
        fp,
        hex::encode(Sha256::digest(key.verifying_key().to_bytes()))
    );
    assert_ne!(fp, fingerprint(&generate(&mut rng(43)).verifying_key()));
}

/// `fingerprint` of the key `generate` makes from `ChaCha20Rng::from_seed([42; 32])`.
const FIXED_FINGERPRINT: &str = "92cbd4ff36f72b58f09ad7e36e7affc6644b1385d9654f049f1c6d939e37002e";

#[test]
fn rfc8032_test_vector_1() {
    // RFC 8032 section 7.1, TEST 1 (empty message).
    let secret: [u8; 32] =
        hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
            .unwrap()
            .try_into()
            .unwrap();
    let key = SigningKey::from_bytes(&secret);
    let public_hex = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    assert_eq!(public_key_to_hex(&key.verifying_key()), public_hex);
    let signature = sign(&key, b"");
    assert_eq!(
        hex::encode(signature),
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
         5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    );
    let public = public_key_from_hex(public_hex).unwrap();
    assert_eq!(verify(&public, b"", &signature), Ok(()));
    // SHA-256 of the raw public key bytes, computed independently.
    assert_eq!(
        fingerprint(&public),
        "21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9"
    );
}

#[test]
fn public_key_hex_round_trip() {
    let key = generate(&mut rng(8)).verifying_key();
    let hex = public_key_to_hex(&key);
    assert_eq!(hex.len(), 64);
    assert_eq!(hex, hex.to_lowercase());
    assert_eq!(public_key_from_hex(&hex).unwrap(), key);
    assert_eq!(public_key_from_hex(&hex.to_uppercase()).unwrap(), key);
}

#[test]
fn bad_public_key_hex_is_refused() {
    let good = public_key_to_hex(&generate(&mut rng(8)).verifying_key());
    let cases = [
        String::new(),
        good[..62].to_owned(),
        format!("{good}00"),
        format!(" {}", &good[1..]),
        "zz".repeat(32),
        "é".repeat(32),
        // The identity point: small order, so weak.
        format!("01{}", "00".repeat(31)),
        // All zeros: also small order.
        "00".repeat(32),
    ];
    for case in cases {
        assert_eq!(
            public_key_from_hex(&case),
            Err(KeyError::InvalidPublicKey),
            "{case:?}"
        );
    }
    // Some 32-byte strings are not on the curve at all; find one and check it fails.
    let off_curve = (0u8..=255)
        .map(|b| [b; 32])
        .find(|bytes| VerifyingKey::from_bytes(bytes).is_err())
        .unwrap();
    assert_eq!(
        public_key_from_hex(&hex::encode(off_curve)),
        Err(KeyError::InvalidPublicKey)
    );
}

#[test]
fn sign_verify_round_trip() {
    let key = generate(&mut rng(9));
    let public = key.verifying_key();
    let message = b"I countersign revision 3";
    let signature = sign(&key, message);
    assert_eq!(verify(&public, message, &signature), Ok(()));
    // Deterministic (ed25519 signatures are).
    assert_eq!(signature, sign(&key, message));
    // Empty message too.
    assert_eq!(verify(&public, b"", &sign(&key, b"")), Ok(()));
}

#[test]
fn verify_rejects_flipped_bits() {
    let key = generate(&mut rng(9));
    let public = key.verifying_key();
    let message = b"I countersign revision 3";
    let signature = sign(&key, message);
    for i in 0..signature.len() * 8 {
        let mut bad = signature;
        bad[i / 8] ^= 1 << (i % 8);
        assert_eq!(
            verify(&public, message, &bad),
            Err(KeyError::BadSignature),
            "bit {i}"
        );
    }
    let mut bad_message = message.to_vec();
    bad_message[0] ^= 1;
    assert_eq!(
        verify(&public, &bad_message, &signature),
        Err(KeyError::BadSignature)
    );
    let other = generate(&mut rng(10)).verifying_key();
    assert_eq!(
        verify(&other, message, &signature),
        Err(KeyError::BadSignature)
    );
}

#[test]
fn verify_rejects_wrong_length_signatures() {
    let key = generate(&mut rng(9));
    let public = key.verifying_key();
    let signature = sign(&key, b"m");
    for len in [0, 1, 63, 65, 128] {
        let mut bytes = signature.to_vec();
        bytes.resize(len, 0);
        assert_eq!(
            verify(&public, b"m", &bytes),
            Err(KeyError::MalformedSignature),
            "{len}"
        );
    }
}

#[test]
fn passphrase_debug_hides_the_secret() {
    let p = pass("hunter2");
    assert_eq!(format!("{p:?}"), "Passphrase(***)");
    assert_eq!(format!("{p:#?}"), "Passphrase(***)");
    assert_eq!(p.as_bytes(), b"hunter2");
    assert!(!p.is_empty());
    assert_eq!(Passphrase::from("x".to_owned()).as_bytes(), b"x");
}

#[test]
fn errors_have_helpful_messages() {
    assert!(KeyError::EmptyPassphrase.to_string().contains("empty"));
    assert!(
        KeyError::Corrupt("salt is not valid hex".into())
            .to_string()
            .contains("salt is not valid hex")
    );
    assert!(
        KeyError::MalformedSignature
            .to_string()
            .contains("64 bytes")
    );
}
