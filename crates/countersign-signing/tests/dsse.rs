//! DSSE envelopes: PAE, signing, verification and what verification refuses.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use countersign_signing::dsse::{
    self, DsseError, Envelope, EnvelopeSignature, Verified, add_signature, from_json, pae,
    payload_bytes, verify,
};
use countersign_signing::jcs::JcsError;
use countersign_signing::{SigningKey, VerifyingKey, fingerprint, generate};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const TYPE: &str = "application/vnd.countersign.manifest+json";
const PAYLOAD: &[u8] = br#"{"files":[],"name":"countersign","version":1}"#;

fn key(seed: u8) -> SigningKey {
    generate(&mut ChaCha20Rng::from_seed([seed; 32]))
}

fn id(key: &SigningKey) -> String {
    fingerprint(&key.verifying_key())
}

/// A lookup that knows these keys by fingerprint.
fn knows(keys: &[&SigningKey]) -> impl Fn(&str) -> Option<VerifyingKey> {
    let keys: Vec<VerifyingKey> = keys.iter().map(|k| k.verifying_key()).collect();
    move |keyid| keys.iter().find(|k| fingerprint(k) == keyid).copied()
}

#[test]
fn pae_spec_example() {
    assert_eq!(
        pae("http://example.com/HelloWorld", b"hello world"),
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    );
    assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
    // Lengths are in bytes, not characters.
    assert_eq!(pae("tÿpe", "é".as_bytes()), "DSSEv1 5 tÿpe 2 é".as_bytes());
    let body = vec![b'x'; 1000];
    assert!(pae("t", &body).starts_with(b"DSSEv1 1 t 1000 xxx"));
}

#[test]
fn sign_then_verify() {
    let k = key(1);
    let env = dsse::sign(TYPE, PAYLOAD, &k);
    assert_eq!(env.payload, STANDARD.encode(PAYLOAD));
    assert_eq!(env.payload_type, TYPE);
    assert_eq!(env.signatures.len(), 1);
    assert_eq!(env.signatures[0].keyid, id(&k));
    assert_eq!(STANDARD.decode(&env.signatures[0].sig).unwrap().len(), 64);

    let verified = verify(&env, TYPE, knows(&[&k])).unwrap();
    assert_eq!(
        verified,
        Verified {
            payload: PAYLOAD.to_vec(),
            payload_type: TYPE.into(),
            valid_keyids: vec![id(&k)],
            unknown_keyids: vec![],
        }
    );
    assert_eq!(payload_bytes(&env).unwrap(), PAYLOAD);
    // The signature is plain ed25519 over the PAE.
    let sig = STANDARD.decode(&env.signatures[0].sig).unwrap();
    countersign_signing::verify(&k.verifying_key(), &pae(TYPE, PAYLOAD), &sig).unwrap();
}

#[test]
fn base64_is_standard_with_padding() {
    let env = dsse::sign("t", b"hello world", &key(1));
    assert_eq!(env.payload, "aGVsbG8gd29ybGQ=");
    assert!(env.signatures[0].sig.ends_with("=="));
    // Bytes that need '+' and '/' in the standard alphabet.
    let env = dsse::sign("t", &[0xfb, 0xff, 0xfe], &key(1));
    assert_eq!(env.payload, "+//+");
}

#[test]
fn wrong_payload_type_is_refused() {
    let k = key(1);
    let env = dsse::sign(TYPE, PAYLOAD, &k);
    assert_eq!(
        verify(
            &env,
            "application/vnd.countersign.approval+json",
            knows(&[&k])
        ),
        Err(DsseError::WrongPayloadType {
            expected: "application/vnd.countersign.approval+json".into(),
            found: TYPE.into(),
        })
    );
}

#[test]
fn payload_type_is_signed() {
    let k = key(1);
    let mut env = dsse::sign(TYPE, PAYLOAD, &k);
    env.payload_type = "application/other".into();
    assert_eq!(
        verify(&env, "application/other", knows(&[&k])),
        Err(DsseError::BadSignature { keyid: id(&k) })
    );
}

#[test]
fn flipped_payload_bit_is_a_bad_signature() {
    let k = key(1);
    let env = dsse::sign(TYPE, PAYLOAD, &k);
    for byte in [0, PAYLOAD.len() / 2, PAYLOAD.len() - 1] {
        for bit in [0, 7] {
            let mut payload = PAYLOAD.to_vec();
            payload[byte] ^= 1 << bit;
            let tampered = Envelope {
                payload: STANDARD.encode(&payload),
                ..env.clone()
            };
            assert_eq!(
                verify(&tampered, TYPE, knows(&[&k])),
                Err(DsseError::BadSignature { keyid: id(&k) })
            );
        }
    }
}

#[test]
fn flipped_signature_bit_is_a_bad_signature() {
    let k = key(1);
    let mut env = dsse::sign(TYPE, PAYLOAD, &k);
    let mut sig = STANDARD.decode(&env.signatures[0].sig).unwrap();
    sig[10] ^= 0x04;
    env.signatures[0].sig = STANDARD.encode(&sig);
    assert_eq!(
        verify(&env, TYPE, knows(&[&k])),
        Err(DsseError::BadSignature { keyid: id(&k) })
    );
}

#[test]
fn signature_by_another_key_under_a_known_keyid_is_bad() {
    let (k, mallory) = (key(1), key(2));
    let mut env = dsse::sign(TYPE, PAYLOAD, &mallory);
    env.signatures[0].keyid = id(&k);
    assert_eq!(
        verify(&env, TYPE, knows(&[&k])),
        Err(DsseError::BadSignature { keyid: id(&k) })
    );
}

#[test]
fn unknown_keys_are_reported_and_not_valid() {
    let (alice, bob, carol) = (key(1), key(2), key(3));
    let mut env = dsse::sign(TYPE, PAYLOAD, &bob);
    add_signature(&mut env, &alice).unwrap();
    add_signature(&mut env, &carol).unwrap();
    let verified = verify(&env, TYPE, knows(&[&alice])).unwrap();
    assert_eq!(verified.valid_keyids, vec![id(&alice)]);
    assert_eq!(verified.unknown_keyids, vec![id(&bob), id(&carol)]);

    // Nobody known: success with no valid key ids; the caller's threshold decides.
    let verified = verify(&env, TYPE, |_| None).unwrap();
    assert!(verified.valid_keyids.is_empty());
    assert_eq!(verified.unknown_keyids.len(), 3);
}

#[test]
fn an_unknown_keys_forgery_does_not_hide_a_known_keys_forgery() {
    let (alice, bob) = (key(1), key(2));
    let mut env = dsse::sign(TYPE, PAYLOAD, &alice);
    add_signature(&mut env, &bob).unwrap();
    // Alice's signature is corrupted; Bob's is fine but Bob is the only known key.
    let mut sig = STANDARD.decode(&env.signatures[0].sig).unwrap();
    sig[0] ^= 1;
    env.signatures[0].sig = STANDARD.encode(&sig);
    assert_eq!(
        verify(&env, TYPE, knows(&[&bob])).unwrap().valid_keyids,
        vec![id(&bob)]
    );
    // Once Alice is known, her bad signature is an error, even with Bob's valid.
    assert_eq!(
        verify(&env, TYPE, knows(&[&alice, &bob])),
        Err(DsseError::BadSignature { keyid: id(&alice) })
    );
}

#[test]
fn each_key_counts_once() {
    let (alice, bob) = (key(1), key(2));
    let mut env = dsse::sign(TYPE, PAYLOAD, &alice);
    add_signature(&mut env, &bob).unwrap();
    let first = env.signatures[0].clone();
    env.signatures.push(first.clone());
    env.signatures.push(first);
    let verified = verify(&env, TYPE, knows(&[&alice, &bob])).unwrap();
    assert_eq!(verified.valid_keyids, vec![id(&alice), id(&bob)]);

    // Two key ids that the lookup resolves to the same key count once.
    let mut aliased = dsse::sign(TYPE, PAYLOAD, &alice);
    let mut alias = aliased.signatures[0].clone();
    alias.keyid = id(&alice).to_uppercase();
    aliased.signatures.push(alias);
    let alice_public = alice.verifying_key();
    let case_insensitive =
        |keyid: &str| (keyid.to_lowercase() == fingerprint(&alice_public)).then_some(alice_public);
    let verified = verify(&aliased, TYPE, case_insensitive).unwrap();
    assert_eq!(verified.valid_keyids, vec![id(&alice)]);
}

#[test]
fn repeated_unknown_keyids_are_listed_once() {
    let (alice, bob) = (key(1), key(2));
    let mut env = dsse::sign(TYPE, PAYLOAD, &bob);
    env.signatures.push(env.signatures[0].clone());
    add_signature(&mut env, &alice).unwrap();
    let verified = verify(&env, TYPE, knows(&[&alice])).unwrap();
    assert_eq!(verified.unknown_keyids, vec![id(&bob)]);
}

#[test]
fn no_signatures() {
    let mut env = dsse::sign(TYPE, PAYLOAD, &key(1));
    env.signatures.clear();
    assert_eq!(verify(&env, TYPE, |_| None), Err(DsseError::NoSignatures));
}

#[test]
fn malformed_base64_is_refused() {
    let k = key(1);
    let env = dsse::sign(TYPE, PAYLOAD, &k);
    for bad in [
        "not base64!",
        "aGVsbG8==",
        "aGVsbG8===",
        "aGVsbG8=x",
        "aGVs\nbG8=",
        "a",
        "+-//",
    ] {
        let tampered = Envelope {
            payload: bad.into(),
            ..env.clone()
        };
        assert!(
            matches!(
                verify(&tampered, TYPE, knows(&[&k])),
                Err(DsseError::Malformed(_))
            ),
            "{bad}"
        );
        assert!(matches!(
            payload_bytes(&tampered),
            Err(DsseError::Malformed(_))
        ));
    }
    // A signature that is not base64, whether its key is known or not.
    let mut tampered = env.clone();
    tampered.signatures[0].sig = "%%%".into();
    assert!(matches!(
        verify(&tampered, TYPE, knows(&[&k])),
        Err(DsseError::Malformed(_))
    ));
    assert!(matches!(
        verify(&tampered, TYPE, |_| None),
        Err(DsseError::Malformed(_))
    ));
    // A signature of the wrong length from a known key.
    let mut short = env.clone();
    short.signatures[0].sig = STANDARD.encode([0u8; 63]);
    assert!(matches!(
        verify(&short, TYPE, knows(&[&k])),
        Err(DsseError::Malformed(_))
    ));
    // Non-canonical trailing bits ("aGk=" is canonical for "hi").
    let mut trailing = env;
    trailing.payload = "aGl=".into();
    assert!(matches!(
        payload_bytes(&trailing),
        Err(DsseError::Malformed(_))
    ));
}

#[test]
fn url_safe_and_unpadded_base64_are_accepted() {
    let k = key(1);
    // Payload bytes whose encodings need '+' / '/' (or '-' / '_') and padding.
    let payload = [0xfbu8, 0xff, 0xfe, 0x3e, 0x00];
    let env = dsse::sign(TYPE, &payload, &k);
    let sig = STANDARD.decode(&env.signatures[0].sig).unwrap();
    for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
        let reencoded = Envelope {
            payload: engine.encode(payload),
            payload_type: TYPE.into(),
            signatures: vec![EnvelopeSignature {
                keyid: id(&k),
                sig: engine.encode(&sig),
            }],
        };
        let verified = verify(&reencoded, TYPE, knows(&[&k])).unwrap();
        assert_eq!(verified.payload, payload);
        assert_eq!(verified.valid_keyids, vec![id(&k)]);
    }
    // One string mixing both alphabets is neither.
    let mixed = Envelope {
        payload: "+_8=".into(),
        ..env
    };
    assert!(matches!(
        payload_bytes(&mixed),
        Err(DsseError::Malformed(_))
    ));
}

#[test]
fn payload_is_verified_as_carried_never_reserialized() {
    // Non-canonical JSON with whitespace and odd escapes: verified as is and
    // returned byte for byte.
    let payload = b"{ \"b\" : 1,\n  \"a\" : \"\\u0041\" }  ";
    let k = key(1);
    let env = dsse::sign("application/json", payload, &k);
    let verified = verify(&env, "application/json", knows(&[&k])).unwrap();
    assert_eq!(verified.payload, payload);
    // Arbitrary bytes, not JSON at all, work too.
    let binary = [0u8, 0xff, 0x80, b'\n'];
    let env = dsse::sign("application/octet-stream", &binary, &k);
    assert_eq!(
        verify(&env, "application/octet-stream", knows(&[&k]))
            .unwrap()
            .payload,
        binary
    );
    // An empty payload.
    let env = dsse::sign(TYPE, b"", &k);
    assert_eq!(env.payload, "");
    assert!(verify(&env, TYPE, knows(&[&k])).unwrap().payload.is_empty());
}

#[test]
fn add_signature_keeps_payload_and_is_idempotent() {
    let (alice, bob) = (key(1), key(2));
    let mut env = dsse::sign(TYPE, PAYLOAD, &alice);
    // A transport re-encoded the payload URL-safe without padding.
    env.payload = URL_SAFE_NO_PAD.encode(PAYLOAD);
    let carried = env.payload.clone();
    add_signature(&mut env, &bob).unwrap();
    add_signature(&mut env, &bob).unwrap();
    add_signature(&mut env, &alice).unwrap();
    assert_eq!(env.payload, carried);
    assert_eq!(env.signatures.len(), 2);
    assert_eq!(env.signatures[1].keyid, id(&bob));
    let verified = verify(&env, TYPE, knows(&[&alice, &bob])).unwrap();
    assert_eq!(verified.valid_keyids, vec![id(&alice), id(&bob)]);

    env.payload = "???".into();
    assert!(matches!(
        add_signature(&mut env, &bob),
        Err(DsseError::Malformed(_))
    ));
}

#[test]
fn json_round_trip() {
    let k = key(1);
    let env = dsse::sign(TYPE, PAYLOAD, &k);
    let json = serde_json::to_vec(&env).unwrap();
    let text = String::from_utf8(json.clone()).unwrap();
    assert!(text.contains(r#""payloadType":"#), "{text}");
    assert!(
        text.contains(r#""keyid":"#) && text.contains(r#""sig":"#),
        "{text}"
    );
    assert_eq!(from_json(&json).unwrap(), env);
    let pretty = serde_json::to_vec_pretty(&env).unwrap();
    assert_eq!(from_json(&pretty).unwrap(), env);
}

#[test]
fn from_json_is_strict() {
    let ok = r#"{"payload":"aGk=","payloadType":"t","signatures":[{"keyid":"k","sig":"c2ln"}]}"#;
    assert!(from_json(ok.as_bytes()).is_ok());

    let duplicate = r#"{"payload":"aGk=","payload":"aGV5","payloadType":"t","signatures":[]}"#;
    assert_eq!(
        from_json(duplicate.as_bytes()),
        Err(DsseError::Json(JcsError::DuplicateKey("payload".into())))
    );
    let nested_duplicate = r#"{"payload":"aGk=","payloadType":"t","signatures":[{"keyid":"k","sig":"c2ln","sig":"eA=="}]}"#;
    assert_eq!(
        from_json(nested_duplicate.as_bytes()),
        Err(DsseError::Json(JcsError::DuplicateKey("sig".into())))
    );
    for bad in [
        // Unknown fields, at either level.
        r#"{"payload":"aGk=","payloadType":"t","signatures":[],"extra":1}"#,
        r#"{"payload":"aGk=","payloadType":"t","signatures":[{"keyid":"k","sig":"c2ln","x":null}]}"#,
        // Missing or mistyped fields.
        r#"{"payload":"aGk=","signatures":[]}"#,
        r#"{"payload":"aGk=","payload_type":"t","signatures":[]}"#,
        r#"{"payload":1,"payloadType":"t","signatures":[]}"#,
        r#"{"payload":"aGk=","payloadType":"t","signatures":[{"keyid":"k"}]}"#,
        r#"[]"#,
    ] {
        assert!(
            matches!(
                from_json(bad.as_bytes()),
                Err(DsseError::Json(JcsError::Deserialize(_)))
            ),
            "{bad}: {:?}",
            from_json(bad.as_bytes())
        );
    }
    assert!(matches!(
        from_json(format!("{ok} trailing").as_bytes()),
        Err(DsseError::Json(JcsError::Syntax(_)))
    ));
    assert!(matches!(
        from_json(b"\xff"),
        Err(DsseError::Json(JcsError::Syntax(_)))
    ));
}

#[test]
fn keyid_is_optional_in_json() {
    let env = from_json(br#"{"payload":"aGk=","payloadType":"t","signatures":[{"sig":"c2ln"}]}"#)
        .unwrap();
    assert_eq!(env.signatures[0].keyid, "");
    // Unknown to any lookup that does not map "".
    let verified = verify(&env, "t", |_| None).unwrap();
    assert_eq!(verified.unknown_keyids, vec![String::new()]);
}

#[test]
fn errors_name_the_problem() {
    let e = DsseError::BadSignature {
        keyid: "abc".into(),
    };
    assert!(e.to_string().contains("abc"));
    let e = DsseError::WrongPayloadType {
        expected: "x".into(),
        found: "y".into(),
    };
    assert!(e.to_string().contains("\"x\"") && e.to_string().contains("\"y\""));
}
