//! The objection ledger: statuses, transitions and who may make them.
//!
//! ```text
//!            resolve (raiser or owner)
//!          ┌──────────────────────────► resolved ──┐
//!   open ──┼── withdraw (raiser) ─────► withdrawn ─┼── reopen (anyone, with a reason) ──► open
//!          └── accept (owner, human, ──► accepted_residual ┘
//!                 with a rationale)
//! ```
//! Residual disagreement is never flattened: an accepted objection keeps its body, its anchor
//! and the rationale, and stays listed.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::model::IdentityKind;

/// Where an objection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum ObjectionStatus {
    /// Raised and not yet dealt with.
    Open,
    /// Addressed (usually by a revision).
    Resolved,
    /// Taken back by whoever raised it.
    Withdrawn,
    /// Accepted by the packet owner as residual disagreement, with a rationale.
    AcceptedResidual,
}

impl ObjectionStatus {
    /// The status as written on disk and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectionStatus::Open => "open",
            ObjectionStatus::Resolved => "resolved",
            ObjectionStatus::Withdrawn => "withdrawn",
            ObjectionStatus::AcceptedResidual => "accepted_residual",
        }
    }
}

impl fmt::Display for ObjectionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not a status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown objection status `{0}`")]
pub struct UnknownStatus(pub String);

impl FromStr for ObjectionStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            Self::Open,
            Self::Resolved,
            Self::Withdrawn,
            Self::AcceptedResidual,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
        .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

/// A requested move on the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum LedgerAction {
    /// open → resolved.
    Resolve,
    /// open → withdrawn.
    Withdraw,
    /// open → accepted_residual.
    Accept,
    /// resolved | withdrawn | accepted_residual → open.
    Reopen,
}

impl LedgerAction {
    /// The verb, for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerAction::Resolve => "resolve",
            LedgerAction::Withdraw => "withdraw",
            LedgerAction::Accept => "accept",
            LedgerAction::Reopen => "reopen",
        }
    }
}

/// Why a ledger move is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The move does not start from the objection's current status.
    #[error("cannot {action} an objection that is {from}")]
    IllegalTransition {
        /// Current status.
        from: ObjectionStatus,
        /// Attempted action.
        action: &'static str,
    },
    /// Only the packet owner may accept residual disagreement.
    #[error("only the packet owner may accept an objection as residual disagreement")]
    NotOwner,
    /// Agents may never accept residual disagreement.
    #[error("an agent identity may not accept residual disagreement; a human owner must")]
    AgentRefused,
    /// Only whoever raised it may withdraw an objection.
    #[error("only the identity that raised this objection may withdraw it")]
    NotRaiser,
    /// Only the raiser or the packet owner may resolve an objection.
    #[error("only the identity that raised this objection or the packet owner may resolve it")]
    NotRaiserOrOwner,
    /// Accepting needs a rationale.
    #[error("accepting residual disagreement needs a rationale (--rationale)")]
    MissingRationale,
    /// Reopening needs a reason.
    #[error("reopening needs a reason (--reason)")]
    MissingReason,
}

/// Who is asking.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    /// Identity id.
    pub id: &'a str,
    /// Human or agent.
    pub kind: IdentityKind,
}

/// What the rule needs to know about the objection.
#[derive(Debug, Clone, Copy)]
pub struct ObjectionFacts<'a> {
    /// Current status.
    pub status: ObjectionStatus,
    /// Who raised it.
    pub raised_by: &'a str,
    /// The packet's owner.
    pub packet_owner: &'a str,
}

/// Decide a ledger move. `text` is the note, reason or rationale given with it. Returns the new
/// status, or why the move is refused. Pure: the caller records the result.
pub fn transition(
    facts: ObjectionFacts<'_>,
    actor: Actor<'_>,
    action: LedgerAction,
    text: Option<&str>,
) -> Result<ObjectionStatus, LedgerError> {
    use ObjectionStatus::*;
    let given = text.map(str::trim).filter(|t| !t.is_empty());
    let illegal = || LedgerError::IllegalTransition {
        from: facts.status,
        action: action.as_str(),
    };
    match action {
        LedgerAction::Resolve => {
            if facts.status != Open {
                return Err(illegal());
            }
            if actor.id != facts.raised_by && actor.id != facts.packet_owner {
                return Err(LedgerError::NotRaiserOrOwner);
            }
            Ok(Resolved)
        }
        LedgerAction::Withdraw => {
            if facts.status != Open {
                return Err(illegal());
            }
            if actor.id != facts.raised_by {
                return Err(LedgerError::NotRaiser);
            }
            Ok(Withdrawn)
        }
        LedgerAction::Accept => {
            if actor.kind == IdentityKind::Agent {
                return Err(LedgerError::AgentRefused);
            }
            if actor.id != facts.packet_owner {
                return Err(LedgerError::NotOwner);
            }
            if facts.status != Open {
                return Err(illegal());
            }
            given.ok_or(LedgerError::MissingRationale)?;
            Ok(AcceptedResidual)
        }
        LedgerAction::Reopen => {
            if facts.status == Open {
                return Err(illegal());
            }
            given.ok_or(LedgerError::MissingReason)?;
            Ok(Open)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IdentityKind::*;
    use LedgerAction::*;
    use ObjectionStatus::*;

    const OWNER: &str = "owner";
    const RAISER: &str = "raiser";
    const OTHER: &str = "other";

    fn run(
        status: ObjectionStatus,
        who: &str,
        kind: IdentityKind,
        a: LedgerAction,
        text: Option<&str>,
    ) -> Result<ObjectionStatus, LedgerError> {
        transition(
            ObjectionFacts {
                status,
                raised_by: RAISER,
                packet_owner: OWNER,
            },
            Actor { id: who, kind },
            a,
            text,
        )
    }

    #[test]
    fn the_legal_moves() {
        assert_eq!(run(Open, RAISER, Human, Resolve, None), Ok(Resolved));
        assert_eq!(
            run(Open, OWNER, Human, Resolve, Some("fixed in r3")),
            Ok(Resolved)
        );
        assert_eq!(run(Open, RAISER, Human, Withdraw, None), Ok(Withdrawn));
        assert_eq!(
            run(Open, OWNER, Human, Accept, Some("timeline still disputed")),
            Ok(AcceptedResidual)
        );
        for from in [Resolved, Withdrawn, AcceptedResidual] {
            assert_eq!(
                run(from, OTHER, Human, Reopen, Some("new evidence")),
                Ok(Open)
            );
        }
    }

    #[test]
    fn illegal_moves_are_refused() {
        for from in [Resolved, Withdrawn, AcceptedResidual] {
            for a in [Resolve, Withdraw] {
                assert!(matches!(
                    run(from, RAISER, Human, a, Some("x")),
                    Err(LedgerError::IllegalTransition { .. })
                ));
            }
            assert!(matches!(
                run(from, OWNER, Human, Accept, Some("x")),
                Err(LedgerError::IllegalTransition { .. })
            ));
        }
        assert!(matches!(
            run(Open, OTHER, Human, Reopen, Some("x")),
            Err(LedgerError::IllegalTransition { .. })
        ));
    }

    #[test]
    fn only_a_human_owner_with_a_rationale_accepts() {
        assert_eq!(
            run(Open, RAISER, Human, Accept, Some("r")),
            Err(LedgerError::NotOwner)
        );
        assert_eq!(
            run(Open, OWNER, Agent, Accept, Some("r")),
            Err(LedgerError::AgentRefused)
        );
        assert_eq!(
            run(Open, OWNER, Human, Accept, None),
            Err(LedgerError::MissingRationale)
        );
        assert_eq!(
            run(Open, OWNER, Human, Accept, Some("   ")),
            Err(LedgerError::MissingRationale)
        );
    }

    #[test]
    fn withdraw_resolve_and_reopen_rules() {
        assert_eq!(
            run(Open, OWNER, Human, Withdraw, None),
            Err(LedgerError::NotRaiser)
        );
        assert_eq!(
            run(Open, OTHER, Human, Resolve, None),
            Err(LedgerError::NotRaiserOrOwner)
        );
        assert_eq!(
            run(Resolved, OTHER, Human, Reopen, None),
            Err(LedgerError::MissingReason)
        );
    }

    #[test]
    fn statuses_round_trip_as_text() {
        for s in [Open, Resolved, Withdrawn, AcceptedResidual] {
            assert_eq!(s.as_str().parse::<ObjectionStatus>(), Ok(s));
        }
    }
}
