//! A deterministic fixture for the verifier: a signed policy, a manifest for the `exec-review`
//! lane, and the approvals that make a valid bundle. Tests (and the benchmark) take a valid bundle
//! and break exactly one thing.
#![allow(dead_code)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use countersign_core::model::{IdentityKind, Role};
use countersign_core::{Digest, Timestamp, text};
use countersign_release::build::{self, Signed};
use countersign_release::verify::{Refusal, Verified, VerifyInput, verify_bundle};
use countersign_release::{
    Approval, Lane, LaneRef, Manifest, Meaning, PacketRef, Policy, PolicyIdentity, PolicyKey,
    PolicyRef, RequiredSigners, RevisionRef, VerifyState,
};
use countersign_signing::dsse::Envelope;
use countersign_signing::{SigningKey, fingerprint, generate, public_key_to_hex};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// The lane every valid bundle is for.
pub const LANE: &str = "exec-review";
/// Its audience.
pub const AUDIENCE: &str =
    "Executive committee and the incident review board; not for external release.";
/// The packet content the manifest binds.
pub const CONTENT: &str = "# Packet\nhello\n";
/// The trusted policy's version.
pub const POLICY_VERSION: u64 = 3;
/// The manifest's version.
pub const MANIFEST_VERSION: u64 = 2;

/// A time, from RFC 3339.
pub fn at(s: &str) -> Timestamp {
    Timestamp::parse(s).expect("fixture")
}

/// A deterministic key from a one-byte seed.
pub fn key(seed: u8) -> SigningKey {
    generate(&mut ChaCha20Rng::from_seed([seed; 32]))
}

/// Someone with a key (the first of their keys names them).
#[derive(Debug, Clone)]
pub struct Person {
    /// Identity id: fingerprint of the first key.
    pub id: String,
    /// Printed name.
    pub name: &'static str,
    /// Their (first) key.
    pub key: SigningKey,
}

impl Person {
    fn new(name: &'static str, seed: u8) -> Person {
        let key = key(seed);
        Person {
            id: fingerprint(&key.verifying_key()),
            name,
            key,
        }
    }

    fn identity(&self, kind: IdentityKind, roles: &[Role], keys: &[&SigningKey]) -> PolicyIdentity {
        PolicyIdentity {
            id: self.id.clone(),
            name: self.name.to_owned(),
            kind,
            roles: roles.to_vec(),
            keys: keys.iter().map(|k| policy_key(k, None)).collect(),
        }
    }
}

/// A policy key entry.
pub fn policy_key(k: &SigningKey, revoked_at: Option<Timestamp>) -> PolicyKey {
    let public = k.verifying_key();
    PolicyKey {
        keyid: fingerprint(&public),
        public_key: public_key_to_hex(&public),
        revoked_at,
    }
}

/// Everyone in the fixture.
#[derive(Debug, Clone)]
pub struct People {
    /// Signs the policy.
    pub admin: Person,
    /// The lane's release owner (release-owner, approver).
    pub owner: Person,
    /// An approver.
    pub avery: Person,
    /// Another approver.
    pub blake: Person,
    /// The legal reviewer (legal, reviewer).
    pub lee: Person,
    /// An agent holding the approver role.
    pub agent: Person,
    /// An approver with two keys (`key` and `second_key`).
    pub tess: Person,
    /// Tess's second key.
    pub tess_second_key: SigningKey,
    /// An approver whose only key is revoked.
    pub rory: Person,
    /// Someone the policy does not know.
    pub outsider: Person,
}

impl People {
    fn new() -> People {
        People {
            admin: Person::new("Ada Admin", 1),
            owner: Person::new("Olivia Owner", 2),
            avery: Person::new("Avery Approver", 3),
            blake: Person::new("Blake Approver", 4),
            lee: Person::new("Lee Legal", 5),
            agent: Person::new("Drafting Agent", 6),
            tess: Person::new("Tess Twokeys", 7),
            tess_second_key: key(8),
            rory: Person::new("Rory Revoked", 9),
            outsider: Person::new("Oscar Outsider", 10),
        }
    }
}

/// The fixture: people, a signed policy, a manifest and the times.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// Everyone.
    pub people: People,
    /// The trusted policy.
    pub policy: Policy,
    /// The trusted policy, signed by the admin.
    pub policy_signed: Signed,
    /// The trusted policy file's bytes (envelope JSON).
    pub policy_bytes: Vec<u8>,
    /// The manifest of a valid bundle.
    pub manifest: Manifest,
    /// The verifier's clock.
    pub now: Timestamp,
}

/// The parts of a bundle, to break before serializing.
#[derive(Debug, Clone)]
pub struct Parts {
    /// The manifest envelope.
    pub manifest: Envelope,
    /// Digest of the manifest payload.
    pub manifest_digest: Digest,
    /// The approval envelopes.
    pub approvals: Vec<Envelope>,
    /// The policy envelope.
    pub policy: Envelope,
}

impl Parts {
    /// The bundle file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let bundle = build::bundle(
            self.manifest.clone(),
            self.approvals.clone(),
            self.policy.clone(),
        );
        serde_json::to_vec_pretty(&bundle).expect("fixture")
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Fixture::new()
    }
}

impl Fixture {
    /// The fixture.
    pub fn new() -> Fixture {
        let people = People::new();
        let policy = Fixture::policy_for(&people, POLICY_VERSION, at("2027-06-30T00:00:00Z"));
        let policy_signed = build::sign_policy(&policy, &people.admin.key).expect("fixture");
        let policy_bytes = serde_json::to_vec(&policy_signed.envelope).expect("fixture");
        let manifest = Manifest {
            packet: PacketRef {
                id: "5f0c3a9e8b7d6c5b4a39281706f5e4d3".to_owned(),
                title: "Ledger outage: incident summary".to_owned(),
            },
            revision: RevisionRef {
                id: Digest::of(b"revision 7"),
                content_digest: text::content_digest(CONTENT),
                parents: vec![Digest::of(b"revision 6")],
            },
            lane: LaneRef {
                id: LANE.to_owned(),
                audience: AUDIENCE.to_owned(),
            },
            policy: PolicyRef {
                digest: policy_signed.digest.clone(),
                version: POLICY_VERSION,
            },
            required_signers: RequiredSigners {
                owner: people.owner.id.clone(),
                roles: vec![Role::Approver, Role::Legal],
                threshold: 3,
            },
            residual_objections: Vec::new(),
            outdated_anchors: Vec::new(),
            evidence: Vec::new(),
            version: MANIFEST_VERSION,
            supersedes: Some(Digest::of(b"manifest 1")),
            previous_revision: None,
            release_owner: people.owner.id.clone(),
            created_at: at("2026-11-21T09:00:00Z"),
            expires_at: at("2026-12-21T09:00:00Z"),
        };
        Fixture {
            people,
            policy,
            policy_signed,
            policy_bytes,
            manifest,
            now: at("2026-11-21T12:00:00Z"),
        }
    }

    /// A policy over the fixture's people, with the `exec-review` lane (and a `board-review`
    /// lane), identities sorted by id.
    pub fn policy_for(people: &People, version: u64, expires_at: Timestamp) -> Policy {
        use IdentityKind::{Agent, Human};
        let mut identities = vec![
            people
                .admin
                .identity(Human, &[Role::Admin], &[&people.admin.key]),
            people.owner.identity(
                Human,
                &[Role::ReleaseOwner, Role::Approver],
                &[&people.owner.key],
            ),
            people
                .avery
                .identity(Human, &[Role::Approver], &[&people.avery.key]),
            people
                .blake
                .identity(Human, &[Role::Approver], &[&people.blake.key]),
            people
                .lee
                .identity(Human, &[Role::Legal, Role::Reviewer], &[&people.lee.key]),
            people
                .agent
                .identity(Agent, &[Role::Approver], &[&people.agent.key]),
            people.tess.identity(
                Human,
                &[Role::Approver],
                &[&people.tess.key, &people.tess_second_key],
            ),
            PolicyIdentity {
                keys: vec![policy_key(
                    &people.rory.key,
                    Some(at("2026-11-01T00:00:00Z")),
                )],
                ..people.rory.identity(Human, &[Role::Approver], &[])
            },
        ];
        identities.sort_by(|a, b| a.id.cmp(&b.id));
        Policy {
            version,
            issued_at: at("2026-11-01T00:00:00Z"),
            expires_at,
            admin: people.admin.id.clone(),
            identities,
            lanes: vec![
                Lane {
                    id: "board-review".to_owned(),
                    audience: "The board".to_owned(),
                    owner: people.owner.id.clone(),
                    required_roles: vec![Role::Approver],
                    threshold: 2,
                    carry_over_trivial: false,
                },
                Lane {
                    id: LANE.to_owned(),
                    audience: AUDIENCE.to_owned(),
                    owner: people.owner.id.clone(),
                    required_roles: vec![Role::Approver, Role::Legal],
                    threshold: 3,
                    carry_over_trivial: true,
                },
            ],
        }
    }

    /// Sign a manifest as the owner (the drafter).
    pub fn sign_manifest(&self, m: &Manifest) -> Signed {
        build::sign_manifest(m, &self.people.owner.key).expect("fixture")
    }

    /// An approval of `manifest` in the fixture's lane by `who`.
    pub fn approval(
        &self,
        manifest: &Digest,
        who: &Person,
        role: Role,
        meaning: Meaning,
    ) -> Approval {
        Approval {
            manifest: manifest.clone(),
            lane: LANE.to_owned(),
            signer: who.id.clone(),
            name: who.name.to_owned(),
            role,
            meaning,
            reason: (meaning == Meaning::Reject).then(|| "the timeline is wrong".to_owned()),
            signed_at: at("2026-11-21T10:00:00Z"),
        }
    }

    /// Sign an approval with a key.
    pub fn sign(a: &Approval, key: &SigningKey) -> Envelope {
        build::sign_approval(a, key).expect("fixture").envelope
    }

    /// `who` signs an approval of `manifest` with their first key.
    pub fn approve(
        &self,
        manifest: &Digest,
        who: &Person,
        role: Role,
        meaning: Meaning,
    ) -> Envelope {
        Fixture::sign(&self.approval(manifest, who, role, meaning), &who.key)
    }

    /// The three approvals of a valid bundle: the owner (as release owner), Avery (approver),
    /// Lee (legal).
    pub fn approvals(&self, manifest: &Digest) -> Vec<Envelope> {
        let p = &self.people;
        vec![
            self.approve(manifest, &p.owner, Role::ReleaseOwner, Meaning::Approve),
            self.approve(manifest, &p.avery, Role::Approver, Meaning::Approve),
            self.approve(manifest, &p.lee, Role::Legal, Meaning::Approve),
        ]
    }

    /// A valid bundle's parts for a manifest.
    pub fn parts_for(&self, manifest: &Manifest) -> Parts {
        let signed = self.sign_manifest(manifest);
        Parts {
            approvals: self.approvals(&signed.digest),
            manifest: signed.envelope,
            manifest_digest: signed.digest,
            policy: self.policy_signed.envelope.clone(),
        }
    }

    /// A valid bundle's parts.
    pub fn parts(&self) -> Parts {
        self.parts_for(&self.manifest)
    }

    /// The verifier's input for a bundle: presented to the fixture's lane, with the content,
    /// no state, at the fixture's time.
    pub fn input<'a>(&'a self, bundle: &'a [u8]) -> VerifyInput<'a> {
        VerifyInput {
            bundle,
            lane: LANE,
            policy: &self.policy_bytes,
            content: Some(CONTENT.as_bytes()),
            state: None,
            now: self.now,
        }
    }

    /// Verify a bundle with the default input.
    pub fn verify(&self, bundle: &[u8]) -> Result<Verified, Refusal> {
        verify_bundle(&self.input(bundle))
    }

    /// The state key of the fixture's manifest.
    pub fn state_key(&self) -> String {
        format!("{}/{}", self.manifest.packet.id, LANE)
    }

    /// A state with these versions for the fixture's policy and manifest.
    pub fn state(&self, policy_version: u64, manifest_version: u64) -> VerifyState {
        VerifyState {
            format: countersign_release::STATE_FORMAT.to_owned(),
            policy_version,
            manifests: [(self.state_key(), manifest_version)].into_iter().collect(),
        }
    }
}

/// Flip one bit in the middle of an envelope's first signature.
pub fn flip_signature(env: &mut Envelope) {
    let mut sig = STANDARD.decode(&env.signatures[0].sig).expect("fixture");
    sig[10] ^= 0x01;
    env.signatures[0].sig = STANDARD.encode(sig);
}

/// Replace an envelope's payload (its signatures stay as they were).
pub fn swap_payload(env: &mut Envelope, payload: &[u8]) {
    env.payload = STANDARD.encode(payload);
}

/// The payload bytes of an envelope.
pub fn payload(env: &Envelope) -> Vec<u8> {
    STANDARD.decode(&env.payload).expect("fixture")
}
