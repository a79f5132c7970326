//! Making the signed parts: each payload is serialized as RFC 8785 canonical JSON and carried in
//! a DSSE envelope. The digest of a manifest is the SHA-256 of its payload bytes — exactly the
//! bytes signed — so an approval names precisely one manifest.

use countersign_core::Digest;
use countersign_signing::SigningKey;
use countersign_signing::dsse::{self, Envelope};
use countersign_signing::jcs::{self, JcsError};

use crate::types::{
    APPROVAL_TYPE, Approval, BUNDLE_FORMAT, Bundle, MANIFEST_TYPE, Manifest, POLICY_TYPE, Policy,
};

/// A signed payload and the digest of its bytes.
#[derive(Debug, Clone)]
pub struct Signed {
    /// The envelope.
    pub envelope: Envelope,
    /// SHA-256 of the payload bytes.
    pub digest: Digest,
}

fn signed(payload_type: &str, payload: Vec<u8>, key: &SigningKey) -> Signed {
    Signed {
        digest: Digest::of(&payload),
        envelope: dsse::sign(payload_type, &payload, key),
    }
}

/// Sign a policy with its admin's key.
pub fn sign_policy(p: &Policy, admin: &SigningKey) -> Result<Signed, JcsError> {
    Ok(signed(POLICY_TYPE, jcs::to_vec(p)?, admin))
}

/// Sign a manifest with the drafter's key.
pub fn sign_manifest(m: &Manifest, drafter: &SigningKey) -> Result<Signed, JcsError> {
    Ok(signed(MANIFEST_TYPE, jcs::to_vec(m)?, drafter))
}

/// Sign an approval with the signer's key.
pub fn sign_approval(a: &Approval, signer: &SigningKey) -> Result<Signed, JcsError> {
    Ok(signed(APPROVAL_TYPE, jcs::to_vec(a)?, signer))
}

/// Put a bundle together.
pub fn bundle(manifest: Envelope, approvals: Vec<Envelope>, policy: Envelope) -> Bundle {
    Bundle {
        format: BUNDLE_FORMAT.to_owned(),
        manifest,
        approvals,
        policy,
    }
}
