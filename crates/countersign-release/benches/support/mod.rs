//! The benchmark's workload, shared by `benches/verify.rs` and `examples/verify_bench.rs`: many
//! valid bundles against one policy, and the raw ed25519 checks they contain.
#![allow(dead_code)]

#[path = "../../tests/common/mod.rs"]
pub mod common;

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use countersign_core::Timestamp;
use countersign_release::verify::{BundleInput, TrustedPolicy, verify_bundle_with};
use countersign_signing::dsse::{self, Envelope};
use countersign_signing::public_key_from_hex;
use ed25519_dalek::{Signature, VerifyingKey};

use common::{CONTENT, Fixture, LANE};

/// Bundles to verify.
pub const BUNDLES: usize = 10_000;
/// Approvals per bundle.
pub const APPROVALS: usize = 3;

/// One signature check, as ed25519 sees it.
#[derive(Debug)]
pub struct RawCheck {
    /// The key.
    pub key: VerifyingKey,
    /// The signed message: DSSE's PAE of the payload.
    pub message: Vec<u8>,
    /// The signature.
    pub signature: Signature,
}

/// Bundles, pre-serialized, and the signature checks in them.
#[derive(Debug)]
pub struct Workload {
    /// The policy, prepared once.
    pub trusted: TrustedPolicy,
    /// The policy file's bytes.
    pub policy_bytes: Vec<u8>,
    /// Bundle files.
    pub bundles: Vec<Vec<u8>>,
    /// Every signature in them (manifest and approvals).
    pub raw: Vec<RawCheck>,
    /// The verifier's clock.
    pub now: Timestamp,
}

/// Make `n` valid bundles (distinct packets), each with the fixture's three approvals.
pub fn workload(n: usize) -> Workload {
    let fx = Fixture::new();
    let trusted = TrustedPolicy::from_envelope_json(&fx.policy_bytes).expect("trusted policy");
    let key_of = |keyid: &str| -> VerifyingKey {
        let (_, k) = fx.policy.key(keyid).expect("key in policy");
        public_key_from_hex(&k.public_key).expect("public key")
    };
    let raw_check = |env: &Envelope| -> RawCheck {
        let payload = dsse::payload_bytes(env).expect("payload");
        let sig = STANDARD
            .decode(&env.signatures[0].sig)
            .expect("signature base64");
        RawCheck {
            key: key_of(&env.signatures[0].keyid),
            message: dsse::pae(&env.payload_type, &payload),
            signature: Signature::from_slice(&sig).expect("signature"),
        }
    };
    let mut bundles = Vec::with_capacity(n);
    let mut raw = Vec::with_capacity(n * (APPROVALS + 1));
    for i in 0..n {
        let mut m = fx.manifest.clone();
        m.packet.id = format!("{i:032x}");
        m.version = 1 + (i as u64 % 7);
        let parts = fx.parts_for(&m);
        assert_eq!(parts.approvals.len(), APPROVALS);
        raw.push(raw_check(&parts.manifest));
        raw.extend(parts.approvals.iter().map(raw_check));
        bundles.push(parts.to_bytes());
    }
    Workload {
        trusted,
        policy_bytes: fx.policy_bytes.clone(),
        bundles,
        raw,
        now: fx.now,
    }
}

impl Workload {
    /// The input for one bundle.
    pub fn input<'a>(&self, bundle: &'a [u8]) -> BundleInput<'a> {
        BundleInput {
            bundle,
            lane: LANE,
            content: Some(CONTENT.as_bytes()),
            state: None,
            now: self.now,
        }
    }

    /// Verify every bundle with the prepared policy; all must verify.
    pub fn verify_all(&self) -> usize {
        let mut signers = 0;
        for bundle in &self.bundles {
            let v =
                verify_bundle_with(&self.trusted, &self.input(bundle)).expect("bundle verifies");
            signers += v.signers.len();
        }
        signers
    }

    /// Verify every bundle with [`verify_bundle`], reading the policy each time.
    pub fn verify_all_unprepared(&self) -> usize {
        let mut signers = 0;
        for bundle in &self.bundles {
            let input = countersign_release::verify::VerifyInput {
                bundle,
                lane: LANE,
                policy: &self.policy_bytes,
                content: Some(CONTENT.as_bytes()),
                state: None,
                now: self.now,
            };
            let v = countersign_release::verify::verify_bundle(&input).expect("bundle verifies");
            signers += v.signers.len();
        }
        signers
    }

    /// Check every signature with ed25519 alone; all must verify.
    pub fn raw_all(&self) -> usize {
        for check in &self.raw {
            check
                .key
                .verify_strict(&check.message, &check.signature)
                .expect("signature verifies");
        }
        self.raw.len()
    }
}

/// The best of `rounds` timings of `f`.
pub fn best_of(rounds: usize, mut f: impl FnMut() -> usize) -> Duration {
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(f());
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// Milliseconds, for printing.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
