//! Conformance: build a valid bundle, break exactly one thing, and check the verifier refuses it
//! for exactly that reason.

mod common;

use common::{
    AUDIENCE, CONTENT, Fixture, LANE, MANIFEST_VERSION, POLICY_VERSION, Parts, at, flip_signature,
    payload, swap_payload,
};
use countersign_core::model::Role;
use countersign_release::build;
use countersign_release::verify::{
    BundleInput, Refusal, TrustedPolicy, Verified, VerifyInput, verify_bundle, verify_bundle_with,
};
use countersign_release::{APPROVAL_TYPE, MANIFEST_TYPE, Meaning, POLICY_TYPE, STATE_FORMAT};
use countersign_signing::{dsse, jcs};

/// The refusal, or a panic naming what verified.
#[track_caller]
fn refusal(result: Result<Verified, Refusal>) -> Refusal {
    match result {
        Ok(v) => panic!(
            "expected a refusal, but the bundle verified: {:?}",
            v.signers
        ),
        Err(r) => r,
    }
}

/// Assert a refusal's code, and return it for a closer look.
#[track_caller]
fn refused(result: Result<Verified, Refusal>, code: &str) -> Refusal {
    let r = refusal(result);
    assert_eq!(r.code(), code, "refused for another reason: {r}");
    r
}

/// Verify a bundle made of `parts` with the fixture's default input.
fn verify(fx: &Fixture, parts: &Parts) -> Result<Verified, Refusal> {
    fx.verify(&parts.to_bytes())
}

#[test]
fn valid_bundle_verifies_with_its_summary() {
    let fx = Fixture::new();
    let parts = fx.parts();
    let v = verify(&fx, &parts).unwrap();
    assert_eq!(v.manifest, fx.manifest);
    assert_eq!(v.manifest_digest, parts.manifest_digest);
    let summary: Vec<(&str, &str, Meaning)> = v
        .signers
        .iter()
        .map(|s| (s.name.as_str(), s.role.as_str(), s.meaning))
        .collect();
    assert_eq!(
        summary,
        [
            ("Olivia Owner", "release-owner", Meaning::Approve),
            ("Avery Approver", "approver", Meaning::Approve),
            ("Lee Legal", "legal", Meaning::Approve),
        ]
    );
    assert_eq!(v.signers[0].id, fx.people.owner.id);
    assert_eq!(v.signers[0].signed_at, at("2026-11-21T10:00:00Z"));
    assert_eq!(v.state.format, STATE_FORMAT);
    assert_eq!(v.state.policy_version, POLICY_VERSION);
    assert_eq!(v.state.manifests[&fx.state_key()], MANIFEST_VERSION);
}

#[test]
fn valid_bundle_verifies_without_content_and_with_a_prepared_policy() {
    let fx = Fixture::new();
    let bytes = fx.parts().to_bytes();
    let input = VerifyInput {
        content: None,
        ..fx.input(&bytes)
    };
    assert!(verify_bundle(&input).is_ok());
    let trusted = TrustedPolicy::from_envelope_json(&fx.policy_bytes).unwrap();
    assert_eq!(trusted.digest(), &fx.policy_signed.digest);
    assert_eq!(trusted.policy(), &fx.policy);
    let v = verify_bundle_with(&trusted, &BundleInput::from(&input)).unwrap();
    assert_eq!(v.signers.len(), 3);
}

#[test]
fn reviewed_signature_is_listed_but_does_not_count() {
    let fx = Fixture::new();
    let mut parts = fx.parts();
    let p = &fx.people;
    parts.approvals.push(fx.approve(
        &parts.manifest_digest,
        &p.blake,
        Role::Approver,
        Meaning::Reviewed,
    ));
    let v = verify(&fx, &parts).unwrap();
    assert_eq!(v.signers.len(), 4);
    assert_eq!(v.signers[3].meaning, Meaning::Reviewed);

    // Lee only reviewing leaves two approvers of three.
    let mut parts = fx.parts();
    parts.approvals[2] = fx.approve(
        &parts.manifest_digest,
        &p.lee,
        Role::Legal,
        Meaning::Reviewed,
    );
    let r = refused(verify(&fx, &parts), "threshold_not_met");
    assert_eq!(
        r,
        Refusal::ThresholdNotMet {
            found: 2,
            needed: 3
        }
    );
}

#[test]
fn signer_names_come_from_the_policy_not_the_payload() {
    let fx = Fixture::new();
    let mut parts = fx.parts();
    let mut a = fx.approval(
        &parts.manifest_digest,
        &fx.people.avery,
        Role::Approver,
        Meaning::Approve,
    );
    a.name = "The CEO".to_owned();
    parts.approvals[1] = Fixture::sign(&a, &fx.people.avery.key);
    let v = verify(&fx, &parts).unwrap();
    assert_eq!(v.signers[1].name, "Avery Approver");
}

// ---------------------------------------------------------------------------
// Signatures and payloads.

#[test]
fn manifest_bad_signature() {
    let fx = Fixture::new();
    let mut parts = fx.parts();
    flip_signature(&mut parts.manifest);
    let r = refused(verify(&fx, &parts), "manifest_bad_signature");
    assert!(matches!(r, Refusal::ManifestBadSignature(_)));
}

#[test]
fn manifest_signed_only_by_unknown_or_revoked_keys() {
    let fx = Fixture::new();
    for key in [&fx.people.outsider.key, &fx.people.rory.key] {
        let mut parts = fx.parts();
        parts.manifest = build::sign_manifest(&fx.manifest, key).unwrap().envelope;
        refused(verify(&fx, &parts), "manifest_bad_signature");
    }
}

#[test]
fn approval_bad_signature() {
    let fx = Fixture::new();
    let mut parts = fx.parts();
    flip_signature(&mut parts.approvals[1]);
    let r = refused(verify(&fx, &parts), "approval_bad_signature");
    assert_eq!(r, Refusal::ApprovalBadSignature { index: 2 });

    let mut parts = fx.parts();
    parts.approvals[0].signatures.clear();
    assert_eq!(
        refusal(verify(&fx, &parts)),
        Refusal::ApprovalBadSignature { index: 1 }
    );
}

#[test]
fn manifest_payload_swapped_under_a_valid_signature() {
    let fx = Fixture::new();
    let mut parts = fx.parts();
    let mut other = fx.manifest.clone();
    other.revision.content_digest = text_digest("# Packet\ngoodbye\n");
    swap_payload(&mut parts.manifest, &jcs::to_vec(&other).unwrap());
    refused(verify(&fx, &parts), "manifest_bad_signature");
}

#[test]
fn approval_payload_swapped_under_a_valid_signature() {
    let fx = Fixture::new();
    let mut parts = fx.parts();
    // Avery's signature, over a payload where she rejects instead.
    let reject = fx.approval(
        &parts.manifest_digest,
        &fx.people.avery,
        Role::Approver,
        Meaning::Reject,
    );
    swap_payload(&mut parts.approvals[1], &jcs::to_vec(&reject).unwrap());
    let r = refused(verify(&fx, &parts), "approval_bad_signature");
    assert_eq!(r, Refusal::ApprovalBadSignature { index: 2 });
}

#[test]
fn approval_presented_as_manifest() {
    let fx = Fixture::new();
    let mut parts = fx.parts();
    parts.manifest = parts.approvals[0].clone();
    let r = refused(verify(&fx, &parts), "wrong_payload_type");
    assert_eq!(
        r,
        Refusal::WrongPayloadType {
            role: "manifest",
            expected: MANIFEST_TYPE.to_owned(),
            found: APPROVAL_TYPE.to_owned()
        }
    );
}

#[test]
fn manifest_presented_as_approval() {
    let fx = Fixture::new();
    let mut parts = fx.parts();
    parts.approvals[2] = parts.manifest.clone();
    let r = refused(verify(&fx, &parts), "wrong_payload_type");
    assert!(
        matches!(
            r,
            Refusal::WrongPayloadType {
                role: "approval",
                ..
            }
        ),
        "{r:?}"
    );
}

#[test]
fn policy_envelope_with_wrong_type() {
    let fx = Fixture::new();
    let bytes = fx.parts().to_bytes();
    // The admin signs the policy payload, but as a manifest.
    let env = dsse::sign(
        MANIFEST_TYPE,
        &payload(&fx.policy_signed.envelope),
        &fx.people.admin.key,
    );
    let policy = serde_json::to_vec(&env).unwrap();
    let r = refused(
        verify_bundle(&VerifyInput {
            policy: &policy,
            ..fx.input(&bytes)
        }),
        "wrong_payload_type",
    );
    assert!(
        matches!(r, Refusal::WrongPayloadType { role: "policy", .. }),
        "{r:?}"
    );

    // The same in the bundle's copy of the policy.
    let mut parts = fx.parts();
    parts.policy = env;
    let r = refused(verify(&fx, &parts), "wrong_payload_type");
    assert!(
        matches!(r, Refusal::WrongPayloadType { role: "policy", .. }),
        "{r:?}"
    );
}

#[test]
fn non_canonical_manifest_payload() {
    let fx = Fixture::new();
    let mut parts = fx.parts();
    // Validly signed by the owner, but pretty-printed: the same value, another encoding.
    let pretty = serde_json::to_vec_pretty(&fx.manifest).unwrap();
    parts.manifest = dsse::sign(MANIFEST_TYPE, &pretty, &fx.people.owner.key);
    let r = refused(verify(&fx, &parts), "malformed_payload");
    assert!(
        matches!(
            r,
            Refusal::MalformedPayload {
                role: "manifest",
                ..
            }
        ),
        "{r:?}"
    );
}

#[test]
fn manifest_payload_with_a_duplicate_member() {
    let fx = Fixture::new();
    let mut parts = fx.parts();
    let mut bytes = jcs::to_vec(&fx.manifest).unwrap();
    // `{"evidence":[],...}` → `{"evidence":[],"evidence":[],...}`
    let dup = br#""evidence":[],"#;
    bytes.splice(1..1, dup.iter().copied());
    parts.manifest = dsse::sign(MANIFEST_TYPE, &bytes, &fx.people.owner.key);
    let r = refused(verify(&fx, &parts), "malformed_payload");
    assert!(
        matches!(
            r,
            Refusal::MalformedPayload {
                role: "manifest",
                ..
            }
        ),
        "{r:?}"
    );
}

#[test]
fn non_canonical_approval_payload() {
    let fx = Fixture::new();
    let mut parts = fx.parts();
    let a = fx.approval(
        &parts.manifest_digest,
        &fx.people.avery,
        Role::Approver,
        Meaning::Approve,
    );
    let pretty = serde_json::to_vec_pretty(&a).unwrap();
    parts.approvals[1] = dsse::sign(APPROVAL_TYPE, &pretty, &fx.people.avery.key);
    let r = refused(verify(&fx, &parts), "malformed_payload");
    assert!(
        matches!(
            r,
            Refusal::MalformedPayload {
                role: "approval",
                ..
            }
        ),
        "{r:?}"
    );
}

// ---------------------------------------------------------------------------
// Approvals.

#[test]
fn approval_of_another_manifest_mix_and_match() {
    let fx = Fixture::new();
    // Manifest B: the same packet and lane, another revision. Avery approved B.
    let mut b = fx.manifest.clone();
    b.revision.id = countersign_core::Digest::of(b"revision 8");
    b.version = MANIFEST_VERSION + 1;
    let b_parts = fx.parts_for(&b);
    assert!(verify(&fx, &b_parts).is_ok_and(|v| v.manifest == b));

    let mut parts = fx.parts();
    parts.approvals[1] = b_parts.approvals[1].clone();
    let r = refused(verify(&fx, &parts), "approval_for_other_manifest");
    assert_eq!(
        r,
        Refusal::ApprovalForOtherManifest {
            index: 2,
            expected: parts.manifest_digest.clone(),
            found: b_parts.manifest_digest.clone()
        }
    );
}

#[test]
fn approval_for_another_lane() {
    let fx = Fixture::new();
    let mut parts = fx.parts();
    let mut a = fx.approval(
        &parts.manifest_digest,
        &fx.people.avery,
        Role::Approver,
        Meaning::Approve,
    );
    a.lane = "board-review".to_owned();
    parts.approvals[1] = Fixture::sign(&a, &fx.people.avery.key);
    let r = refused(verify(&fx, &parts), "approval_for_other_lane");
    assert_eq!(
        r,
        Refusal::ApprovalForOtherLane {
            index: 2,
            expected: LANE.to_owned(),
            found: "board-review".to_owned()
        }
    );
}

#[test]
fn unknown_signer() {
    let fx = Fixture::new();
    let mut parts = fx.parts();
    let outsider = &fx.people.outsider;
    parts.approvals.push(fx.approve(
        &parts.manifest_digest,
        outsider,
        Role::Approver,
        Meaning::Approve,
    ));
    let r = refused(verify(&fx, &parts), "unknown_signer");
    assert_eq!(
        r,
        Refusal::UnknownSigner {
            index: 4,
            keyid: outsider.id.clone()
        }
    );

    // An unknown co-signature on an otherwise valid approval is refused too.
    let mut parts = fx.parts();
    dsse::add_signature(&mut parts.approvals[0], &outsider.key).unwrap();
    refused(verify(&fx, &parts), "unknown_signer");
}

#[test]
fn agent_approval() {
    let fx = Fixture::new();
    let mut parts = fx.parts();
    parts.approvals[1] = fx.approve(
        &parts.manifest_digest,
        &fx.people.agent,
        Role::Approver,
        Meaning::Approve,
    );
    let r = refused(verify(&fx, &parts), "agent_approval");
    assert_eq!(
        r,
        Refusal::AgentApproval {
            index: 2,
            name: "Drafting Agent".to_owned()
        }
    );
}

#[test]
fn revoked_key() {
    let fx = Fixture::new();
    let mut parts = fx.parts();
    parts.approvals.push(fx.approve(
        &parts.manifest_digest,
        &fx.people.rory,
        Role::Approver,
        Meaning::Approve,
    ));
    let r = refused(verify(&fx, &parts), "revoked_key");
    assert_eq!(
        r,
        Refusal::RevokedKey {
            index: 4,
            name: "Rory Revoked".to_owned()
        }
    );
}

#[test]
fn role_not_held_by_the_signer() {
    let fx = Fixture::new();
    let mut parts = fx.parts();
    // Avery is an approver, not legal.
    parts.approvals[1] = fx.approve(
        &parts.manifest_digest,
        &fx.people.avery,
        Role::Legal,
        Meaning::Approve,
    );
    let r = refused(verify(&fx, &parts), "role_not_allowed");
    assert_eq!(
        r,
        Refusal::RoleNotAllowed {
            index: 2,
            name: "Avery Approver".to_owned(),
            role: "legal".to_owned()
        }
    );
}

#[test]
fn role_held_but_not_required_by_the_lane() {
    let fx = Fixture::new();
    let mut parts = fx.parts();
    // Lee holds `reviewer`, which the lane does not require.
    parts.approvals[2] = fx.approve(
        &parts.manifest_digest,
        &fx.people.lee,
        Role::Reviewer,
        Meaning::Approve,
    );
    let r = refused(verify(&fx, &parts), "role_not_allowed");
    assert_eq!(
        r,
        Refusal::RoleNotAllowed {
            index: 3,
            name: "Lee Legal".to_owned(),
            role: "reviewer".to_owned()
        }
    );

    // The owner may sign in any role they hold, but not one they lack.
    let mut parts = fx.parts();
    parts.approvals[0] = fx.approve(
        &parts.manifest_digest,
        &fx.people.owner,
        Role::Approver,
        Meaning::Approve,
    );
    assert!(verify(&fx, &parts).is_ok());
    parts.approvals[0] = fx.approve(
        &parts.manifest_digest,
        &fx.people.owner,
        Role::Admin,
        Meaning::Approve,
    );
    let r = refused(verify(&fx, &parts), "role_not_allowed");
    assert!(matches!(r, Refusal::RoleNotAllowed { index: 1, .. }));
}

#[test]
fn duplicate_signature_same_envelope_twice() {
    let fx = Fixture::new();
    let mut parts = fx.parts();
    parts.approvals.push(parts.approvals[1].clone());
    let r = refused(verify(&fx, &parts), "duplicate_signer");
    assert_eq!(
        r,
        Refusal::DuplicateSigner {
            name: "Avery Approver".to_owned()
        }
    );

    // Two entries of the same signature in one envelope.
    let mut parts = fx.parts();
    let again = parts.approvals[1].signatures[0].clone();
    parts.approvals[1].signatures.push(again);
    refused(verify(&fx, &parts), "duplicate_signer");
}

#[test]
fn duplicate_signer_with_two_keys_of_one_identity() {
    let fx = Fixture::new();
    let tess = &fx.people.tess;
    let a = fx.approval(
        &fx.parts().manifest_digest,
        tess,
        Role::Approver,
        Meaning::Approve,
    );

    // Two envelopes, one per key: Tess cannot make up the threshold alone.
    let mut parts = fx.parts();
    parts.approvals[1] = Fixture::sign(&a, &tess.key);
    parts.approvals[2] = Fixture::sign(&a, &fx.people.tess_second_key);
    let r = refused(verify(&fx, &parts), "duplicate_signer");
    assert_eq!(
        r,
        Refusal::DuplicateSigner {
            name: "Tess Twokeys".to_owned()
        }
    );

    // One envelope with both keys.
    let mut parts = fx.parts();
    let mut env = Fixture::sign(&a, &tess.key);
    dsse::add_signature(&mut env, &fx.people.tess_second_key).unwrap();
    parts.approvals.push(env);
    refused(verify(&fx, &parts), "duplicate_signer");

    // Either key alone is fine.
    let mut parts = fx.parts();
    parts
        .approvals
        .push(Fixture::sign(&a, &fx.people.tess_second_key));
    assert_eq!(verify(&fx, &parts).unwrap().signers[3].name, "Tess Twokeys");
}

#[test]
fn threshold_not_met() {
    let fx = Fixture::new();
    let mut parts = fx.parts();
    parts.approvals.truncate(2);
    let r = refused(verify(&fx, &parts), "threshold_not_met");
    assert_eq!(
        r,
        Refusal::ThresholdNotMet {
            found: 2,
            needed: 3
        }
    );
}

#[test]
fn reject_present() {
    let fx = Fixture::new();
    let mut parts = fx.parts();
    parts.approvals.push(fx.approve(
        &parts.manifest_digest,
        &fx.people.blake,
        Role::Approver,
        Meaning::Reject,
    ));
    let r = refused(verify(&fx, &parts), "rejected");
    assert_eq!(
        r,
        Refusal::Rejected {
            name: "Blake Approver".to_owned(),
            reason: "the timeline is wrong".to_owned()
        }
    );
}

#[test]
fn owner_approval_missing() {
    let fx = Fixture::new();
    let mut parts = fx.parts();
    parts.approvals[0] = fx.approve(
        &parts.manifest_digest,
        &fx.people.blake,
        Role::Approver,
        Meaning::Approve,
    );
    let r = refused(verify(&fx, &parts), "owner_approval_missing");
    assert_eq!(r, Refusal::OwnerApprovalMissing("Olivia Owner".to_owned()));

    // Reviewing is not approving.
    let mut parts = fx.parts();
    parts.approvals[0] = fx.approve(
        &parts.manifest_digest,
        &fx.people.owner,
        Role::ReleaseOwner,
        Meaning::Reviewed,
    );
    parts.approvals.push(fx.approve(
        &parts.manifest_digest,
        &fx.people.blake,
        Role::Approver,
        Meaning::Approve,
    ));
    refused(verify(&fx, &parts), "owner_approval_missing");
}

#[test]
fn signer_mismatch() {
    let fx = Fixture::new();
    let mut parts = fx.parts();
    // Avery's key, but the payload says Blake signed.
    let a = fx.approval(
        &parts.manifest_digest,
        &fx.people.blake,
        Role::Approver,
        Meaning::Approve,
    );
    parts.approvals[1] = Fixture::sign(&a, &fx.people.avery.key);
    let r = refused(verify(&fx, &parts), "signer_mismatch");
    assert_eq!(
        r,
        Refusal::SignerMismatch {
            index: 2,
            claimed: fx.people.blake.id.clone(),
            actual: fx.people.avery.id.clone()
        }
    );
}

// ---------------------------------------------------------------------------
// Lane, scope, policy.

#[test]
fn wrong_lane_presented() {
    let fx = Fixture::new();
    let bytes = fx.parts().to_bytes();
    let r = refused(
        verify_bundle(&VerifyInput {
            lane: "board-review",
            ..fx.input(&bytes)
        }),
        "wrong_lane",
    );
    assert_eq!(
        r,
        Refusal::WrongLane {
            manifest: LANE.to_owned(),
            presented: "board-review".to_owned()
        }
    );
}

#[test]
fn unknown_lane() {
    let fx = Fixture::new();
    let mut m = fx.manifest.clone();
    m.lane.id = "press-release".to_owned();
    let bytes = fx.parts_for(&m).to_bytes();
    let r = refused(
        verify_bundle(&VerifyInput {
            lane: "press-release",
            ..fx.input(&bytes)
        }),
        "unknown_lane",
    );
    assert_eq!(r, Refusal::UnknownLane("press-release".to_owned()));
}

#[test]
fn scope_mismatch() {
    let fx = Fixture::new();
    let mut m = fx.manifest.clone();
    m.lane.audience = "All staff".to_owned();
    assert_ne!(m.lane.audience, AUDIENCE);
    let r = refused(verify(&fx, &fx.parts_for(&m)), "scope_mismatch");
    assert!(
        matches!(&r, Refusal::ScopeMismatch(d) if d.contains("All staff")),
        "{r:?}"
    );

    let mut m = fx.manifest.clone();
    m.required_signers.threshold = 2;
    refused(verify(&fx, &fx.parts_for(&m)), "scope_mismatch");

    let mut m = fx.manifest.clone();
    m.required_signers.roles = vec![Role::Approver];
    refused(verify(&fx, &fx.parts_for(&m)), "scope_mismatch");

    let mut m = fx.manifest.clone();
    m.release_owner = fx.people.avery.id.clone();
    refused(verify(&fx, &fx.parts_for(&m)), "scope_mismatch");
}

#[test]
fn policy_mismatch_bundle_carries_an_older_policy() {
    let fx = Fixture::new();
    let old = Fixture::policy_for(&fx.people, POLICY_VERSION - 1, at("2027-06-30T00:00:00Z"));
    let old_signed = build::sign_policy(&old, &fx.people.admin.key).unwrap();
    let mut m = fx.manifest.clone();
    m.policy.digest = old_signed.digest.clone();
    m.policy.version = old.version;
    let mut parts = fx.parts_for(&m);
    parts.policy = old_signed.envelope;
    let r = refused(verify(&fx, &parts), "policy_mismatch");
    assert!(
        matches!(
            r,
            Refusal::PolicyMismatch {
                bundle: 2,
                trusted: POLICY_VERSION,
                ..
            }
        ),
        "{r:?}"
    );

    // The manifest names the old policy while the bundle carries the trusted one.
    let mut parts = fx.parts_for(&m);
    parts.policy = fx.policy_signed.envelope.clone();
    let r = refused(verify(&fx, &parts), "policy_mismatch");
    assert!(
        matches!(
            r,
            Refusal::PolicyMismatch {
                bundle: 2,
                trusted: POLICY_VERSION,
                ..
            }
        ),
        "{r:?}"
    );
}

#[test]
fn policy_carried_in_another_base64_encoding_is_the_same_policy() {
    let fx = Fixture::new();
    // A policy version whose payload needs base64 padding (versions of 1, 2 and 3 digits give
    // three payload lengths), so that dropping the padding changes the text.
    let (policy, signed) = [POLICY_VERSION, 10, 100]
        .into_iter()
        .map(|v| {
            let p = Fixture::policy_for(&fx.people, v, at("2027-06-30T00:00:00Z"));
            let s = build::sign_policy(&p, &fx.people.admin.key).unwrap();
            (p, s)
        })
        .find(|(_, s)| s.envelope.payload.ends_with('='))
        .unwrap();
    let mut m = fx.manifest.clone();
    m.policy = countersign_release::PolicyRef {
        digest: signed.digest.clone(),
        version: policy.version,
    };
    let mut parts = fx.parts_for(&m);
    // The bundle's copy: unpadded, and signed by someone else too (its signatures are not used).
    parts.policy = signed.envelope.clone();
    parts.policy.payload = parts.policy.payload.trim_end_matches('=').to_owned();
    dsse::add_signature(&mut parts.policy, &fx.people.owner.key).unwrap();
    let bytes = parts.to_bytes();
    let trusted = serde_json::to_vec(&signed.envelope).unwrap();
    assert!(
        verify_bundle(&VerifyInput {
            policy: &trusted,
            ..fx.input(&bytes)
        })
        .is_ok()
    );
}

#[test]
fn policy_rollback() {
    let fx = Fixture::new();
    let bytes = fx.parts().to_bytes();
    let state = fx.state(POLICY_VERSION + 1, 0);
    let r = refused(
        verify_bundle(&VerifyInput {
            state: Some(&state),
            ..fx.input(&bytes)
        }),
        "policy_rollback",
    );
    assert_eq!(
        r,
        Refusal::PolicyRollback {
            found: POLICY_VERSION,
            seen: POLICY_VERSION + 1
        }
    );
}

#[test]
fn manifest_rollback() {
    let fx = Fixture::new();
    let bytes = fx.parts().to_bytes();
    let state = fx.state(POLICY_VERSION, MANIFEST_VERSION + 1);
    let r = refused(
        verify_bundle(&VerifyInput {
            state: Some(&state),
            ..fx.input(&bytes)
        }),
        "manifest_rollback",
    );
    assert_eq!(
        r,
        Refusal::ManifestRollback {
            found: MANIFEST_VERSION,
            seen: MANIFEST_VERSION + 1
        }
    );
}

#[test]
fn manifest_expired() {
    let fx = Fixture::new();
    let bytes = fx.parts().to_bytes();
    let expires = fx.manifest.expires_at;
    let input = VerifyInput {
        now: expires.plus_millis(-1),
        ..fx.input(&bytes)
    };
    assert!(verify_bundle(&input).is_ok(), "valid until its expiry");
    let r = refused(
        verify_bundle(&VerifyInput {
            now: expires,
            ..fx.input(&bytes)
        }),
        "manifest_expired",
    );
    assert_eq!(r, Refusal::ManifestExpired(expires));
}

#[test]
fn policy_expired() {
    let fx = Fixture::new();
    // A policy that expires before the manifest does.
    let short = Fixture::policy_for(&fx.people, POLICY_VERSION, at("2026-11-22T00:00:00Z"));
    let signed = build::sign_policy(&short, &fx.people.admin.key).unwrap();
    let mut m = fx.manifest.clone();
    m.policy.digest = signed.digest.clone();
    let mut parts = fx.parts_for(&m);
    parts.policy = signed.envelope.clone();
    let bytes = parts.to_bytes();
    let policy = serde_json::to_vec(&signed.envelope).unwrap();
    let input = VerifyInput {
        policy: &policy,
        ..fx.input(&bytes)
    };
    assert!(verify_bundle(&input).is_ok());
    let later = VerifyInput {
        now: short.expires_at,
        ..input
    };
    let r = refused(verify_bundle(&later), "policy_expired");
    assert_eq!(r, Refusal::PolicyExpired(short.expires_at));
}

#[test]
fn policy_not_signed_by_its_admin() {
    let fx = Fixture::new();
    let bytes = fx.parts().to_bytes();
    // Signed by the owner, who is in the policy but not its admin.
    let env = build::sign_policy(&fx.policy, &fx.people.owner.key)
        .unwrap()
        .envelope;
    let policy = serde_json::to_vec(&env).unwrap();
    let input = VerifyInput {
        policy: &policy,
        ..fx.input(&bytes)
    };
    assert_eq!(
        refused(verify_bundle(&input), "policy_bad_signature"),
        Refusal::PolicyBadSignature
    );

    // The admin's signature, over an altered policy (the lane's threshold lowered).
    let mut tampered = fx.policy.clone();
    tampered.lanes[1].threshold = 1;
    let mut env = fx.policy_signed.envelope.clone();
    swap_payload(&mut env, &jcs::to_vec(&tampered).unwrap());
    let policy = serde_json::to_vec(&env).unwrap();
    let input = VerifyInput {
        policy: &policy,
        ..fx.input(&bytes)
    };
    refused(verify_bundle(&input), "policy_bad_signature");
}

#[test]
fn malformed_policy_file() {
    let fx = Fixture::new();
    let bytes = fx.parts().to_bytes();
    for policy in [
        &b"not json"[..],
        br#"{"payload":"","payloadType":"x","signatures":[],"payload":""}"#,
    ] {
        let input = VerifyInput {
            policy,
            ..fx.input(&bytes)
        };
        refused(verify_bundle(&input), "malformed_policy");
    }
    // A correctly typed envelope whose payload is not a policy.
    let env = dsse::sign(POLICY_TYPE, b"{\"version\":3}", &fx.people.admin.key);
    let policy = serde_json::to_vec(&env).unwrap();
    let input = VerifyInput {
        policy: &policy,
        ..fx.input(&bytes)
    };
    refused(verify_bundle(&input), "malformed_policy");
}

// ---------------------------------------------------------------------------
// The bundle file, the content.

#[test]
fn malformed_bundle() {
    let fx = Fixture::new();
    let good = String::from_utf8(fx.parts().to_bytes()).unwrap();
    let duplicate_key = good.replacen('{', r#"{"format": "countersign.bundle/v1","#, 1);
    let wrong_format = good.replace("countersign.bundle/v1", "countersign.bundle/v0");
    let unknown_field = good.replacen('{', r#"{"extra": 1,"#, 1);
    for bad in [
        &b"not json at all"[..],
        b"",
        duplicate_key.as_bytes(),
        wrong_format.as_bytes(),
        unknown_field.as_bytes(),
        b"[]",
    ] {
        let r = refused(fx.verify(bad), "malformed_bundle");
        assert!(matches!(r, Refusal::MalformedBundle(_)));
    }
}

#[test]
fn content_normalization_and_mismatch() {
    let fx = Fixture::new();
    let bytes = fx.parts().to_bytes();
    let crlf = CONTENT.replace('\n', "\r\n");
    let with_bom = format!("\u{feff}{CONTENT}");
    for ok in [crlf.as_bytes(), with_bom.as_bytes()] {
        let input = VerifyInput {
            content: Some(ok),
            ..fx.input(&bytes)
        };
        assert!(verify_bundle(&input).is_ok());
    }
    let changed = b"# Packet\nhello!\n";
    let input = VerifyInput {
        content: Some(changed),
        ..fx.input(&bytes)
    };
    let r = refused(verify_bundle(&input), "content_mismatch");
    assert_eq!(
        r,
        Refusal::ContentMismatch {
            expected: fx.manifest.revision.content_digest.clone(),
            found: text_digest("# Packet\nhello!\n")
        }
    );
    let input = VerifyInput {
        content: Some(b"# Packet\n\xff\n"),
        ..fx.input(&bytes)
    };
    refused(verify_bundle(&input), "bad_content");
}

// ---------------------------------------------------------------------------
// State.

#[test]
fn verifier_does_not_mutate_its_input_and_raises_versions() {
    let fx = Fixture::new();
    let bytes = fx.parts().to_bytes();
    let mut state = fx.state(1, 1);
    state
        .manifests
        .insert("other-packet/exec-review".to_owned(), 9);
    let before = state.clone();
    let bytes_before = bytes.clone();
    let input = VerifyInput {
        state: Some(&state),
        ..fx.input(&bytes)
    };
    let v = verify_bundle(&input).unwrap();
    assert_eq!(state, before);
    assert_eq!(bytes, bytes_before);
    assert_eq!(v.state.policy_version, POLICY_VERSION);
    assert_eq!(v.state.manifests[&fx.state_key()], MANIFEST_VERSION);
    assert_eq!(
        v.state.manifests["other-packet/exec-review"], 9,
        "other entries are kept"
    );
    assert_eq!(v.state.format, STATE_FORMAT);
}

#[test]
fn verifying_twice_with_the_returned_state_still_verifies() {
    let fx = Fixture::new();
    let bytes = fx.parts().to_bytes();
    let first = fx.verify(&bytes).unwrap();
    let input = VerifyInput {
        state: Some(&first.state),
        ..fx.input(&bytes)
    };
    let second = verify_bundle(&input).unwrap();
    assert_eq!(
        second.state, first.state,
        "an equal version is not a rollback"
    );

    // A newer manifest raises the state; the old one is then a rollback.
    let mut newer = fx.manifest.clone();
    newer.version = MANIFEST_VERSION + 1;
    let newer_bytes = fx.parts_for(&newer).to_bytes();
    let input = VerifyInput {
        state: Some(&second.state),
        ..fx.input(&newer_bytes)
    };
    let third = verify_bundle(&input).unwrap();
    assert_eq!(third.state.manifests[&fx.state_key()], MANIFEST_VERSION + 1);
    let input = VerifyInput {
        state: Some(&third.state),
        ..fx.input(&bytes)
    };
    refused(verify_bundle(&input), "manifest_rollback");
}

fn text_digest(s: &str) -> countersign_core::Digest {
    countersign_core::text::content_digest(s)
}
