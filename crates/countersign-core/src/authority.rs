//! What only a human may do. Agents may propose (revisions, objections, evidence refreshes); the
//! core refuses to let an agent identity approve a release manifest, accept residual disagreement
//! (see [`crate::ledger`]) or release a packet — whoever asks, through whatever surface.

use crate::model::IdentityKind;

/// An act reserved for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HumanAct {
    /// Sign an approval (or rejection) of a release manifest.
    Approve,
    /// Release a packet to its lane.
    Release,
    /// Administer the trust policy.
    Administer,
    /// Approve or reject an approval of a run record.
    Decide,
}

impl HumanAct {
    fn verb(self) -> &'static str {
        match self {
            HumanAct::Approve => "approve or reject a release",
            HumanAct::Release => "release a packet",
            HumanAct::Administer => "administer the trust policy",
            HumanAct::Decide => "approve or reject gated work",
        }
    }
}

/// An agent tried an act reserved for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an agent identity may not {}; a human must", .0.verb())]
pub struct AgentRefused(pub HumanAct);

/// Refuse `act` unless the identity is a human.
pub fn require_human(kind: IdentityKind, act: HumanAct) -> Result<(), AgentRefused> {
    match kind {
        IdentityKind::Human => Ok(()),
        IdentityKind::Agent => Err(AgentRefused(act)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_are_refused_every_human_act() {
        for act in [
            HumanAct::Approve,
            HumanAct::Release,
            HumanAct::Administer,
            HumanAct::Decide,
        ] {
            assert_eq!(require_human(IdentityKind::Human, act), Ok(()));
            let e = require_human(IdentityKind::Agent, act).unwrap_err();
            assert!(
                e.to_string().starts_with("an agent identity may not"),
                "{e}"
            );
        }
    }
}
