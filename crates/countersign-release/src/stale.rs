//! When approvals go stale. A manifest binds one exact revision, its evidence, its lane and
//! audience, and a policy version; if any of these has moved on, or a blocking objection has been
//! opened since, the approvals no longer speak for what would be released: the release is held
//! and each cause is recorded.

use countersign_core::Digest;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::types::{ChangeClass, EvidenceRef, Lane, Manifest, PolicyRef};

/// Classify a change of wording: `Trivial` when only whitespace and punctuation differ.
pub fn classify_change(old: &str, new: &str) -> ChangeClass {
    if countersign_core::redline::is_trivial_change(old, new) {
        ChangeClass::Trivial
    } else {
        ChangeClass::Material
    }
}

/// Why a manifest's approvals are stale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "cause", rename_all = "snake_case")]
pub enum HoldCause {
    /// The packet has a newer revision than the one bound.
    NewRevision {
        /// The bound revision.
        old: Digest,
        /// The packet's head now.
        new: Digest,
        /// Trivial or material.
        change: ChangeClass,
        /// Whether the lane lets approvals survive this (trivial changes only).
        carried_over: bool,
    },
    /// An evidence item's digest changed, or an item was added or removed.
    EvidenceChanged {
        /// Source system.
        source: String,
        /// Title.
        title: String,
        /// Digest bound in the manifest (none: the item is new).
        old: Option<Digest>,
        /// Digest now (none: the item is gone).
        new: Option<Digest>,
    },
    /// The lane's audience scope changed, or the lane is gone.
    ScopeChanged {
        /// Audience bound.
        old: String,
        /// Audience now (none: the lane is gone).
        new: Option<String>,
    },
    /// The lane's owner, roles or threshold changed.
    SignersChanged {
        /// What changed, in words.
        detail: String,
    },
    /// A new policy version is in force.
    PolicyChanged {
        /// Version bound.
        old: u64,
        /// Version now.
        new: u64,
    },
    /// A blocking objection is open on the packet.
    BlockingObjectionOpened {
        /// The objection.
        objection: String,
    },
}

impl HoldCause {
    /// Whether this cause holds the release (a carried-over trivial change does not).
    pub fn holds(&self) -> bool {
        !matches!(
            self,
            HoldCause::NewRevision {
                carried_over: true,
                ..
            }
        )
    }

    /// A stable short name.
    pub fn kind(&self) -> &'static str {
        match self {
            HoldCause::NewRevision { .. } => "new_revision",
            HoldCause::EvidenceChanged { .. } => "evidence_changed",
            HoldCause::ScopeChanged { .. } => "scope_changed",
            HoldCause::SignersChanged { .. } => "signers_changed",
            HoldCause::PolicyChanged { .. } => "policy_changed",
            HoldCause::BlockingObjectionOpened { .. } => "blocking_objection_opened",
        }
    }

    /// One line for people.
    pub fn describe(&self) -> String {
        match self {
            HoldCause::NewRevision {
                old,
                new,
                change,
                carried_over,
            } => format!(
                "a new revision {} replaced the bound revision {} ({} change{})",
                short(new.as_str()),
                short(old.as_str()),
                match change {
                    ChangeClass::Trivial => "trivial",
                    ChangeClass::Material => "material",
                },
                if *carried_over {
                    "; the lane carries approvals over trivial changes"
                } else {
                    ""
                }
            ),
            HoldCause::EvidenceChanged {
                source,
                title,
                old,
                new,
            } => match (old, new) {
                (Some(o), Some(n)) => format!(
                    "evidence \"{title}\" ({source}) changed from {} to {}",
                    short(o.as_str()),
                    short(n.as_str())
                ),
                (None, Some(n)) => format!(
                    "evidence \"{title}\" ({source}) was added ({})",
                    short(n.as_str())
                ),
                (Some(o), None) => format!(
                    "evidence \"{title}\" ({source}) was removed (was {})",
                    short(o.as_str())
                ),
                (None, None) => format!("evidence \"{title}\" ({source}) changed"),
            },
            HoldCause::ScopeChanged { old, new } => match new {
                Some(n) => format!("the lane's audience changed from \"{old}\" to \"{n}\""),
                None => "the lane no longer exists in the policy".to_owned(),
            },
            HoldCause::SignersChanged { detail } => {
                format!("the lane's required signers changed: {detail}")
            }
            HoldCause::PolicyChanged { old, new } => {
                format!("the trust policy moved from version {old} to {new}")
            }
            HoldCause::BlockingObjectionOpened { objection } => {
                format!("blocking objection {} is open", short(objection))
            }
        }
    }
}

fn short(s: &str) -> &str {
    let s = s.strip_prefix("sha256:").unwrap_or(s);
    &s[..s.len().min(12)]
}

/// The packet, lane and policy as they are now.
#[derive(Debug, Clone)]
pub struct Current<'a> {
    /// The packet's head revision id.
    pub head: &'a Digest,
    /// The head's content.
    pub head_content: &'a str,
    /// The bound revision's content.
    pub bound_content: &'a str,
    /// The packet's evidence now (latest digest per source and title).
    pub evidence: &'a [EvidenceRef],
    /// The lane as the current policy defines it (none: gone).
    pub lane: Option<&'a Lane>,
    /// The current policy.
    pub policy: &'a PolicyRef,
    /// Open blocking objections.
    pub open_blocking: &'a [String],
}

/// Every reason the manifest's approvals are stale now (empty: they still hold).
pub fn hold_causes(m: &Manifest, now: &Current<'_>) -> Vec<HoldCause> {
    let mut causes = Vec::new();
    if *now.head != m.revision.id {
        let change = classify_change(now.bound_content, now.head_content);
        let carried_over =
            change == ChangeClass::Trivial && now.lane.is_some_and(|l| l.carry_over_trivial);
        causes.push(HoldCause::NewRevision {
            old: m.revision.id.clone(),
            new: now.head.clone(),
            change,
            carried_over,
        });
    }
    for bound in &m.evidence {
        let current = now
            .evidence
            .iter()
            .find(|e| e.source == bound.source && e.title == bound.title);
        if current.map(|c| &c.digest) != Some(&bound.digest) {
            causes.push(HoldCause::EvidenceChanged {
                source: bound.source.clone(),
                title: bound.title.clone(),
                old: Some(bound.digest.clone()),
                new: current.map(|c| c.digest.clone()),
            });
        }
    }
    for e in now.evidence {
        if !m
            .evidence
            .iter()
            .any(|b| b.source == e.source && b.title == e.title)
        {
            causes.push(HoldCause::EvidenceChanged {
                source: e.source.clone(),
                title: e.title.clone(),
                old: None,
                new: Some(e.digest.clone()),
            });
        }
    }
    match now.lane {
        None => causes.push(HoldCause::ScopeChanged {
            old: m.lane.audience.clone(),
            new: None,
        }),
        Some(l) => {
            if l.audience != m.lane.audience {
                causes.push(HoldCause::ScopeChanged {
                    old: m.lane.audience.clone(),
                    new: Some(l.audience.clone()),
                });
            }
            let mut detail = Vec::new();
            if l.owner != m.required_signers.owner {
                detail.push("owner".to_owned());
            }
            if l.required_roles != m.required_signers.roles {
                detail.push("required roles".to_owned());
            }
            if l.threshold != m.required_signers.threshold {
                detail.push(format!(
                    "threshold {} → {}",
                    m.required_signers.threshold, l.threshold
                ));
            }
            if !detail.is_empty() {
                causes.push(HoldCause::SignersChanged {
                    detail: detail.join(", "),
                });
            }
        }
    }
    if now.policy.version != m.policy.version || now.policy.digest != m.policy.digest {
        causes.push(HoldCause::PolicyChanged {
            old: m.policy.version,
            new: now.policy.version,
        });
    }
    for o in now.open_blocking {
        causes.push(HoldCause::BlockingObjectionOpened {
            objection: o.clone(),
        });
    }
    causes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_and_punctuation_only_is_trivial() {
        assert_eq!(
            classify_change("Postings resumed at 14:15.", "Postings  resumed at 1415"),
            ChangeClass::Trivial
        );
        assert_eq!(classify_change("a, b\n", "a — b"), ChangeClass::Trivial);
        assert_eq!(
            classify_change("fully restored", "restored"),
            ChangeClass::Material
        );
        assert_eq!(classify_change("14:15", "14:16"), ChangeClass::Material);
    }
}
