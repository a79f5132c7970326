//! Run records: one workflow execution that owns its trigger, its step graph, its approvals,
//! and what it took in and gave out.
//!
//! **The step graph is derived, never stored as editable state.** A run has a *definition*
//! (ordered steps; which step waits on which approval; what a rejection does) and *facts*
//! (recorded step outcomes and approval decisions, in the order they happened, plus whether a
//! signed-release hold is present). [`derive()`] replays the facts over the definition and says
//! where every step stands, with an explanation, and what the run's status is and why. Nobody
//! sets a step's status; deciding an approval or recording a step outcome adds a fact, and the
//! graph follows.
//!
//! Replay rules:
//!
//! - Steps run in order. The first step not yet done is *current*: an ungated step is
//!   `running` until an outcome is recorded for it (`completed`, `skipped` or `failed`); a gated
//!   step is `awaiting_approval` until its approval is decided.
//! - Approved: the gated step completes and the next one runs at once.
//! - Rejected: the step's `on_reject` applies. `fail`: the step fails, the run fails, every later
//!   step is `skipped`. `rework(k)`: the run goes back to step `k`, which runs again; the steps from
//!   `k` up to the gate wait again, and every approval gating them (the rejected one included) is
//!   asked again when its step is reached — an approval never outlives the work it approved.
//! - An approval may be decided before its step is reached; the step then passes (or applies
//!   its rejection) as soon as it is reached.
//! - An outcome for a step that is not the current, running one is refused by the façade
//!   ([`Derived::check_step_outcome`]) and ignored by the replay.
//! - The run is `failed` when a step failed; `completed` when every step is done; `held` when a
//!   signed-release hold is present; `paused` when the current step awaits a pending approval;
//!   otherwise `running`.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::authority::{AgentRefused, HumanAct, require_human};
use crate::model::{Identity, IdentityId, Role};
use crate::time::Timestamp;

/// A word that is not one of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{given}` (expected one of: {expected})")]
pub struct UnknownValue {
    /// What was being parsed.
    pub what: &'static str,
    /// What was given.
    pub given: String,
    /// The accepted values.
    pub expected: String,
}

macro_rules! word_enum {
    ($(#[$m:meta])* $name:ident, $what:literal { $($(#[$vm:meta])* $v:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        pub enum $name {
            $($(#[$vm])* $v),+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            /// The value as written on disk, on the command line and in JSON.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$v => $s),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, UnknownValue> {
                let s = s.trim();
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s || v.as_str().replace('_', "-") == s)
                    .ok_or_else(|| UnknownValue {
                        what: $what,
                        given: s.to_owned(),
                        expected: $name::ALL
                            .iter()
                            .map(|v| v.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
            }
        }
    };
}

word_enum!(
    /// How a run's work is grouped: inside the organisation, or facing customers.
    Pattern, "operating pattern" {
        /// Work that stays inside the organisation.
        Internal => "internal",
        /// Customer-facing work: follow-ups, references, anything outbound.
        External => "external",
    }
);

impl Pattern {
    /// What the pattern means, in a sentence.
    pub fn description(self) -> &'static str {
        match self {
            Pattern::Internal => {
                "Work that stays inside the organisation — drafting, review, hand-offs between \
                 teams — is gathered into one run and tracked to its end."
            }
            Pattern::External => {
                "Work that faces customers — follow-ups, references, anything outbound — is \
                 gathered into one run, and nothing in it moves on without the approvals it needs."
            }
        }
    }
}

word_enum!(
    /// Where a run stands, as derived by [`derive()`].
    RunStatus, "run status" {
        /// A step is in progress.
        Running => "running",
        /// The current step waits on a pending approval.
        Paused => "paused",
        /// A signed-release hold stops the run.
        Held => "held",
        /// Every step is done.
        Completed => "completed",
        /// A step failed.
        Failed => "failed",
    }
);

word_enum!(
    /// Where a step stands, as derived by [`derive()`].
    StepStatus, "step status" {
        /// Not reached yet.
        Pending => "pending",
        /// The current step, in progress.
        Running => "running",
        /// Done.
        Completed => "completed",
        /// The current step, waiting on its approval.
        AwaitingApproval => "awaiting_approval",
        /// Passed over (recorded as skipped, or never run because the run failed).
        Skipped => "skipped",
        /// Failed (recorded as failed, or its approval was rejected).
        Failed => "failed",
    }
);

word_enum!(
    /// How risky the work an approval gates is.
    Risk, "risk" {
        /// Low.
        Low => "low",
        /// Medium.
        Medium => "medium",
        /// High.
        High => "high",
    }
);

word_enum!(
    /// Where an approval stands, as derived by [`derive()`].
    ApprovalStatus, "approval status" {
        /// Not decided (in its current round).
        Pending => "pending",
        /// Approved.
        Approved => "approved",
        /// Rejected.
        Rejected => "rejected",
    }
);

word_enum!(
    /// A step outcome someone records.
    StepOutcome, "step outcome" {
        /// The step's work is done.
        Completed => "completed",
        /// The step is passed over.
        Skipped => "skipped",
        /// The step's work failed; the run fails.
        Failed => "failed",
    }
);

word_enum!(
    /// Where a generated output (an action preview) stands. Countersign never carries an action
    /// out: an approved preview is cleared to be handed on, nothing more.
    OutputStatus, "output status" {
        /// A preview that no approval gates.
        Preview => "preview",
        /// Its approval is pending.
        AwaitingApproval => "awaiting_approval",
        /// Its approval was given: cleared to hand on.
        Approved => "approved",
        /// Its approval was rejected.
        Blocked => "blocked",
    }
);

/// What a rejection of a step's approval does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action", content = "to")]
pub enum OnReject {
    /// The step fails, and with it the run.
    Fail,
    /// The run goes back to this earlier step (0-based index) for rework.
    Rework(usize),
}

/// One step of a run's definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepDef {
    /// What the step does, in a few words.
    pub name: String,
    /// What it is doing or waiting for, shown while it is current.
    pub description: Option<String>,
    /// The approval (its key) this step waits on; a gated step has no work of its own.
    pub gate: Option<String>,
    /// What a rejection of the gate does.
    pub on_reject: OnReject,
}

/// An approval a definition knows of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalDef {
    /// Its key (the approval's id).
    pub key: String,
    /// Its title.
    pub title: String,
}

/// A run's definition: ordered steps and the approvals they may wait on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunDefinition {
    /// The steps, in order.
    pub steps: Vec<StepDef>,
    /// Every approval of the run (gating a step or not).
    pub approvals: Vec<ApprovalDef>,
}

/// Why a run change is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    /// A step names an approval the run does not have.
    #[error("the run has no approval `{0}`")]
    UnknownApproval(String),
    /// An approval already gates another step.
    #[error("approval \"{title}\" already gates step {step}; an approval gates one step")]
    GateTaken {
        /// The approval.
        title: String,
        /// The step it gates (1-based).
        step: usize,
    },
    /// A rework target that is not an earlier step.
    #[error("step {step} can only be sent back to an earlier step, not to step {to}")]
    BadRework {
        /// The step (1-based).
        step: usize,
        /// The target given (1-based).
        to: usize,
    },
    /// Rework needs a gate: only a rejection sends a run back.
    #[error("only a step that waits on an approval can send the run back for rework (--gate)")]
    ReworkWithoutGate,
    /// No such step.
    #[error("the run has no step {step} (it has {count})")]
    NoStep {
        /// The step asked for (1-based).
        step: usize,
        /// How many there are.
        count: usize,
    },
    /// A gated step moves only by its approval.
    #[error(
        "step {step} ({name}) waits on an approval; it moves when the approval is decided (`countersign run approve|reject`)"
    )]
    GatedStep {
        /// The step (1-based).
        step: usize,
        /// Its name.
        name: String,
    },
    /// The step is not the one running.
    #[error("step {step} ({name}) is {status}, not running; only the running step can be marked")]
    StepNotRunning {
        /// The step (1-based).
        step: usize,
        /// Its name.
        name: String,
        /// Where it stands.
        status: StepStatus,
    },
    /// The approval was already decided (in this round).
    #[error(
        "approval \"{title}\" is already {status}; it is decided once (a rework that sends the run back before it asks again when the run reaches it)"
    )]
    NotPending {
        /// The approval.
        title: String,
        /// Where it stands.
        status: ApprovalStatus,
    },
    /// The run has failed; nothing more moves it.
    #[error("the run has failed ({0}); nothing more can be recorded on its steps or approvals")]
    RunFailed(String),
}

impl RunDefinition {
    fn approval_title<'a>(&'a self, key: &'a str) -> &'a str {
        self.approvals
            .iter()
            .find(|a| a.key == key)
            .map_or(key, |a| a.title.as_str())
    }

    /// Check the whole definition: every gate names a known approval, each approval gates at
    /// most one step, and every rework target is an earlier step of a gated step.
    pub fn check(&self) -> Result<(), RunError> {
        let mut gated: HashMap<&str, usize> = HashMap::new();
        for (i, s) in self.steps.iter().enumerate() {
            if let Some(g) = &s.gate {
                if !self.approvals.iter().any(|a| &a.key == g) {
                    return Err(RunError::UnknownApproval(g.clone()));
                }
                if let Some(prev) = gated.insert(g, i) {
                    return Err(RunError::GateTaken {
                        title: self.approval_title(g).to_owned(),
                        step: prev + 1,
                    });
                }
            }
            if let OnReject::Rework(to) = s.on_reject {
                if s.gate.is_none() {
                    return Err(RunError::ReworkWithoutGate);
                }
                if to >= i {
                    return Err(RunError::BadRework {
                        step: i + 1,
                        to: to + 1,
                    });
                }
            }
        }
        Ok(())
    }

    /// The definition with `step` appended, if it is still sound.
    pub fn with_step(&self, step: StepDef) -> Result<RunDefinition, RunError> {
        let mut next = self.clone();
        next.steps.push(step);
        next.check()?;
        Ok(next)
    }
}

/// Something that happened on a run, in the order it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    /// An outcome recorded for a step.
    Step {
        /// The step (0-based).
        step: usize,
        /// What happened.
        outcome: StepOutcome,
        /// Who recorded it (printed name).
        by: String,
        /// What was found or done, or why it failed.
        note: Option<String>,
        /// When.
        at: Timestamp,
    },
    /// An approval decided.
    Decision {
        /// The approval's key.
        approval: String,
        /// Approved (or rejected).
        approved: bool,
        /// Who decided (printed name, or names).
        by: String,
        /// Why (a rejection's reason, an approval's note).
        reason: Option<String>,
        /// When.
        at: Timestamp,
    },
}

/// A step as derived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedStep {
    /// Where it stands.
    pub status: StepStatus,
    /// Why, in a sentence or two.
    pub explanation: String,
    /// Who moved it last (printed name), when it was moved by a fact.
    pub by: Option<String>,
    /// When.
    pub at: Option<Timestamp>,
    /// How many times the run has reached this step.
    pub passes: u32,
}

/// An approval as derived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedApproval {
    /// Its key.
    pub key: String,
    /// Where it stands in its current round.
    pub status: ApprovalStatus,
    /// Who decided (printed name).
    pub by: Option<String>,
    /// The reason or note given.
    pub reason: Option<String>,
    /// When.
    pub at: Option<Timestamp>,
    /// 1 for the first time it is asked; one more each time rework asks it again.
    pub round: u32,
    /// The step it gates (0-based), if any.
    pub gates: Option<usize>,
}

/// The derived graph and status of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derived {
    /// Every step, in order.
    pub steps: Vec<DerivedStep>,
    /// Every approval, in the definition's order.
    pub approvals: Vec<DerivedApproval>,
    /// The run's status.
    pub status: RunStatus,
    /// Why, in a sentence.
    pub reason: String,
    /// The current step (0-based): the one running or awaiting approval, or the one that failed.
    pub current: Option<usize>,
}

/// Counts of steps by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct StepCounts {
    /// Not reached.
    pub pending: u32,
    /// In progress.
    pub running: u32,
    /// Done.
    pub completed: u32,
    /// Waiting on an approval.
    pub awaiting_approval: u32,
    /// Passed over.
    pub skipped: u32,
    /// Failed.
    pub failed: u32,
}

/// Counts of approvals by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ApprovalCounts {
    /// Pending.
    pub pending: u32,
    /// Approved.
    pub approved: u32,
    /// Rejected.
    pub rejected: u32,
}

impl Derived {
    /// The derived approval with this key.
    pub fn approval(&self, key: &str) -> Option<&DerivedApproval> {
        self.approvals.iter().find(|a| a.key == key)
    }

    /// Steps by status.
    pub fn step_counts(&self) -> StepCounts {
        let mut c = StepCounts::default();
        for s in &self.steps {
            *match s.status {
                StepStatus::Pending => &mut c.pending,
                StepStatus::Running => &mut c.running,
                StepStatus::Completed => &mut c.completed,
                StepStatus::AwaitingApproval => &mut c.awaiting_approval,
                StepStatus::Skipped => &mut c.skipped,
                StepStatus::Failed => &mut c.failed,
            } += 1;
        }
        c
    }

    /// Approvals by status.
    pub fn approval_counts(&self) -> ApprovalCounts {
        let mut c = ApprovalCounts::default();
        for a in &self.approvals {
            *match a.status {
                ApprovalStatus::Pending => &mut c.pending,
                ApprovalStatus::Approved => &mut c.approved,
                ApprovalStatus::Rejected => &mut c.rejected,
            } += 1;
        }
        c
    }

    /// Whether an outcome may be recorded for `step` (0-based) now: it must be the running,
    /// ungated step of a run that has not failed.
    pub fn check_step_outcome(&self, def: &RunDefinition, step: usize) -> Result<(), RunError> {
        let (Some(d), Some(s)) = (def.steps.get(step), self.steps.get(step)) else {
            return Err(RunError::NoStep {
                step: step + 1,
                count: def.steps.len(),
            });
        };
        if self.status == RunStatus::Failed {
            return Err(RunError::RunFailed(self.reason.clone()));
        }
        if d.gate.is_some() {
            return Err(RunError::GatedStep {
                step: step + 1,
                name: d.name.clone(),
            });
        }
        if s.status != StepStatus::Running {
            return Err(RunError::StepNotRunning {
                step: step + 1,
                name: d.name.clone(),
                status: s.status,
            });
        }
        Ok(())
    }

    /// Whether the approval `key` may be decided now: it must be pending in its current round,
    /// on a run that has not failed.
    pub fn check_decision(&self, def: &RunDefinition, key: &str) -> Result<(), RunError> {
        let a = self
            .approval(key)
            .ok_or_else(|| RunError::UnknownApproval(key.to_owned()))?;
        if self.status == RunStatus::Failed {
            return Err(RunError::RunFailed(self.reason.clone()));
        }
        if a.status != ApprovalStatus::Pending {
            return Err(RunError::NotPending {
                title: def.approval_title(key).to_owned(),
                status: a.status,
            });
        }
        Ok(())
    }

    /// Where an output gated by `approval` (or by none) stands.
    pub fn output_status(&self, approval: Option<&str>) -> OutputStatus {
        match approval.and_then(|k| self.approval(k)).map(|a| a.status) {
            None => OutputStatus::Preview,
            Some(ApprovalStatus::Pending) => OutputStatus::AwaitingApproval,
            Some(ApprovalStatus::Approved) => OutputStatus::Approved,
            Some(ApprovalStatus::Rejected) => OutputStatus::Blocked,
        }
    }
}

/// Replay state of one approval.
struct ApprovalState {
    status: ApprovalStatus,
    by: Option<String>,
    reason: Option<String>,
    at: Option<Timestamp>,
    round: u32,
    /// Ask again when its step is next reached (it was rejected into rework, or the work it
    /// approved was sent back).
    reask: bool,
}

struct Replay<'a> {
    def: &'a RunDefinition,
    steps: Vec<DerivedStep>,
    approvals: Vec<ApprovalState>,
    index: HashMap<&'a str, usize>,
    /// Why a step was sent back, shown while it runs again.
    rework_note: Vec<Option<String>>,
    cursor: usize,
    failed: Option<usize>,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

fn sentence(s: &str) -> String {
    let t = s.trim();
    if t.ends_with(['.', '!', '?']) {
        t.to_owned()
    } else {
        format!("{t}.")
    }
}

impl<'a> Replay<'a> {
    fn new(def: &'a RunDefinition) -> Replay<'a> {
        Replay {
            def,
            steps: def
                .steps
                .iter()
                .map(|_| DerivedStep {
                    status: StepStatus::Pending,
                    explanation: String::new(),
                    by: None,
                    at: None,
                    passes: 0,
                })
                .collect(),
            approvals: def
                .approvals
                .iter()
                .map(|_| ApprovalState {
                    status: ApprovalStatus::Pending,
                    by: None,
                    reason: None,
                    at: None,
                    round: 1,
                    reask: false,
                })
                .collect(),
            index: def
                .approvals
                .iter()
                .enumerate()
                .map(|(i, a)| (a.key.as_str(), i))
                .collect(),
            rework_note: vec![None; def.steps.len()],
            cursor: 0,
            failed: None,
        }
    }

    fn title(&self, a: usize) -> &str {
        &self.def.approvals[a].title
    }

    /// Move the cursor as far as the facts so far allow.
    fn advance(&mut self) {
        // Each pass either stops or moves the cursor; a rework moves it back, but only after
        // consuming a rejection, so the loop is bounded by steps × approvals.
        let mut guard = (self.def.steps.len() + 1) * (self.def.approvals.len() + 1) * 2 + 8;
        while self.failed.is_none() && self.cursor < self.def.steps.len() && guard > 0 {
            guard -= 1;
            let i = self.cursor;
            let def = &self.def.steps[i];
            if self.steps[i].status == StepStatus::Pending {
                self.steps[i].passes += 1;
            }
            let Some(a) = def.gate.as_deref().and_then(|g| self.index.get(g).copied()) else {
                self.steps[i].status = StepStatus::Running;
                self.steps[i].explanation = match (&self.rework_note[i], &def.description) {
                    (Some(note), _) => note.clone(),
                    (None, Some(d)) => sentence(d),
                    (None, None) => "In progress.".to_owned(),
                };
                return;
            };
            if self.approvals[a].reask {
                let st = &mut self.approvals[a];
                st.reask = false;
                st.status = ApprovalStatus::Pending;
                st.round += 1;
                st.by = None;
                st.reason = None;
                st.at = None;
            }
            let st = &self.approvals[a];
            match st.status {
                ApprovalStatus::Pending => {
                    let mut e = format!(
                        "1 approval decision still gates this step: \"{}\".",
                        self.title(a)
                    );
                    if st.round > 1 {
                        e.push_str(" Asked again after rework.");
                    }
                    if let Some(d) = &def.description {
                        e.push(' ');
                        e.push_str(&sentence(d));
                    }
                    self.steps[i].status = StepStatus::AwaitingApproval;
                    self.steps[i].explanation = e;
                    return;
                }
                ApprovalStatus::Approved => {
                    let by = st.by.clone().unwrap_or_default();
                    let mut e = format!("\"{}\" was approved by {by}.", self.title(a));
                    if let Some(r) = &st.reason {
                        e.push(' ');
                        e.push_str(&sentence(r));
                    }
                    let (by, at) = (st.by.clone(), st.at);
                    let s = &mut self.steps[i];
                    s.status = StepStatus::Completed;
                    s.explanation = e;
                    s.by = by;
                    s.at = at;
                    self.rework_note[i] = None;
                    self.cursor += 1;
                }
                ApprovalStatus::Rejected => {
                    let by = st.by.clone().unwrap_or_default();
                    let reason = st
                        .reason
                        .as_deref()
                        .map(|r| format!(": {}", r.trim().trim_end_matches('.')))
                        .unwrap_or_default();
                    let rejected = format!("\"{}\" was rejected by {by}{reason}", self.title(a));
                    let (by, at) = (st.by.clone(), st.at);
                    match def.on_reject {
                        OnReject::Fail => {
                            let s = &mut self.steps[i];
                            s.status = StepStatus::Failed;
                            s.explanation = format!("{rejected}.");
                            s.by = by;
                            s.at = at;
                            self.failed = Some(i);
                        }
                        OnReject::Rework(to) => {
                            let back = &self.def.steps[to].name;
                            for k in to..=i {
                                let s = &mut self.steps[k];
                                s.status = StepStatus::Pending;
                                s.explanation = String::new();
                                s.by = None;
                                s.at = None;
                                // Every approval gating the reworked stretch is asked again.
                                if let Some(g) = self.def.steps[k]
                                    .gate
                                    .as_deref()
                                    .and_then(|g| self.index.get(g).copied())
                                {
                                    self.approvals[g].reask = true;
                                }
                            }
                            self.steps[i].by = by.clone();
                            self.steps[i].at = at;
                            self.rework_note[to] = Some(format!(
                                "Sent back for rework: {rejected}. Step {} ({back}) runs again.",
                                to + 1
                            ));
                            self.cursor = to;
                            // The reworked step runs again at once (the loop continues).
                            continue;
                        }
                    }
                    return;
                }
            }
        }
    }

    fn apply(&mut self, fact: &Fact) {
        match fact {
            Fact::Step {
                step,
                outcome,
                by,
                note,
                at,
            } => {
                let ok = self.failed.is_none()
                    && *step == self.cursor
                    && self.def.steps.get(*step).is_some_and(|d| d.gate.is_none())
                    && self.steps[*step].status == StepStatus::Running;
                if !ok {
                    return;
                }
                let s = &mut self.steps[*step];
                s.by = Some(by.clone());
                s.at = Some(*at);
                let note = note.as_deref().map(sentence);
                self.rework_note[*step] = None;
                match outcome {
                    StepOutcome::Completed => {
                        s.status = StepStatus::Completed;
                        s.explanation = note.unwrap_or_else(|| format!("Completed by {by}."));
                        self.cursor += 1;
                    }
                    StepOutcome::Skipped => {
                        s.status = StepStatus::Skipped;
                        s.explanation = note.unwrap_or_else(|| format!("Skipped by {by}."));
                        self.cursor += 1;
                    }
                    StepOutcome::Failed => {
                        s.status = StepStatus::Failed;
                        s.explanation =
                            note.unwrap_or_else(|| format!("Failed, as {by} recorded."));
                        self.failed = Some(*step);
                    }
                }
            }
            Fact::Decision {
                approval,
                approved,
                by,
                reason,
                at,
            } => {
                let Some(&a) = self.index.get(approval.as_str()) else {
                    return;
                };
                let st = &mut self.approvals[a];
                if self.failed.is_some() || st.status != ApprovalStatus::Pending || st.reask {
                    return;
                }
                st.status = if *approved {
                    ApprovalStatus::Approved
                } else {
                    ApprovalStatus::Rejected
                };
                st.by = Some(by.clone());
                st.reason = reason.clone();
                st.at = Some(*at);
            }
        }
        self.advance();
    }

    fn finish(mut self, hold: Option<&str>) -> Derived {
        let n = self.def.steps.len();
        if let Some(f) = self.failed {
            let failed_name = &self.def.steps[f].name;
            for s in self.steps.iter_mut().skip(f + 1) {
                s.status = StepStatus::Skipped;
                s.explanation =
                    format!("Not run: the run failed at step {} ({failed_name}).", f + 1);
            }
        }
        for i in 0..n {
            if self.steps[i].status == StepStatus::Pending {
                self.steps[i].explanation = if i == 0 {
                    "Not started.".to_owned()
                } else {
                    format!("Waits for step {} ({}).", i, self.def.steps[i - 1].name)
                };
            }
        }
        let gates: HashMap<&str, usize> = self
            .def
            .steps
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.gate.as_deref().map(|g| (g, i)))
            .collect();
        let approvals: Vec<DerivedApproval> = self
            .def
            .approvals
            .iter()
            .zip(self.approvals)
            .map(|(d, st)| DerivedApproval {
                key: d.key.clone(),
                status: st.status,
                by: st.by,
                reason: st.reason,
                at: st.at,
                round: st.round,
                gates: gates.get(d.key.as_str()).copied(),
            })
            .collect();
        let current = self.failed.or((self.cursor < n).then_some(self.cursor));
        let (status, reason) = if let Some(f) = self.failed {
            (
                RunStatus::Failed,
                format!(
                    "Step {} ({}) failed: {}",
                    f + 1,
                    self.def.steps[f].name,
                    self.steps[f].explanation
                ),
            )
        } else if n == 0 {
            (
                RunStatus::Running,
                "No steps yet: the run has its trigger and inputs, and steps are added as the work takes shape."
                    .to_owned(),
            )
        } else if self.cursor >= n {
            let skipped = self
                .steps
                .iter()
                .filter(|s| s.status == StepStatus::Skipped)
                .count();
            let mut r = format!("All {} done.", plural(n, "step", "steps"));
            if skipped > 0 {
                r = format!(
                    "All {} done ({} skipped).",
                    plural(n, "step", "steps"),
                    skipped
                );
            }
            (RunStatus::Completed, r)
        } else if let Some(h) = hold {
            (RunStatus::Held, sentence(h))
        } else {
            let i = self.cursor;
            let name = &self.def.steps[i].name;
            if self.steps[i].status == StepStatus::AwaitingApproval {
                let title = self.def.steps[i]
                    .gate
                    .as_deref()
                    .map(|g| self.def.approval_title(g))
                    .unwrap_or_default();
                (
                    RunStatus::Paused,
                    format!(
                        "Paused at step {} ({name}): 1 approval decision still gates the work ahead — \"{title}\".",
                        i + 1
                    ),
                )
            } else {
                let mut r = format!("Step {} ({name}) is running.", i + 1);
                let ahead = self.def.steps[i + 1..]
                    .iter()
                    .filter_map(|s| s.gate.as_deref())
                    .filter(|g| {
                        approvals
                            .iter()
                            .any(|a| a.key == *g && a.status != ApprovalStatus::Approved)
                    })
                    .count();
                if ahead > 0 {
                    r.push_str(&format!(
                        " {} still to be decided further on.",
                        plural(ahead, "approval is", "approvals are")
                    ));
                }
                (RunStatus::Running, r)
            }
        };
        Derived {
            steps: self.steps,
            approvals,
            status,
            reason,
            current,
        }
    }
}

/// Derive a run's step graph and status from its definition, its facts (in the order they
/// happened) and whether a signed-release hold is present (with its reason). See the module
/// documentation for the rules. The definition should pass [`RunDefinition::check`]; an unknown
/// gate is treated as no gate.
pub fn derive(def: &RunDefinition, facts: &[Fact], hold: Option<&str>) -> Derived {
    let mut r = Replay::new(def);
    r.advance();
    for f in facts {
        r.apply(f);
    }
    r.finish(hold)
}

/// Why a decision on an approval is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionRefused {
    /// Agents never approve or reject.
    #[error(transparent)]
    Agent(#[from] AgentRefused),
    /// The identity holds none of the approver roles and is not a named approver.
    #[error("not an approver of this approval")]
    NotApprover,
}

/// May `who` decide an approval whose approvers are `roles` (anyone holding one) and
/// `identities` (named people)? Agents never may, whatever they hold.
pub fn authorize_decision(
    who: &Identity,
    roles: &[Role],
    identities: &[IdentityId],
) -> Result<(), DecisionRefused> {
    require_human(who.kind, HumanAct::Decide)?;
    if identities.contains(&who.id) || roles.iter().any(|r| who.has_role(*r)) {
        Ok(())
    } else {
        Err(DecisionRefused::NotApprover)
    }
}

/// Where a packet's release manifest stands in one lane, as the run of its release sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestStage {
    /// No manifest drafted yet.
    None,
    /// The current manifest awaits signatures; `missing` says whose.
    AwaitingApproval {
        /// Manifest version.
        version: u64,
        /// Who still has to sign, in words.
        missing: String,
    },
    /// A signer rejected the current manifest.
    Rejected {
        /// Manifest version.
        version: u64,
        /// Who rejected (printed names).
        by: String,
        /// Why.
        reason: Option<String>,
        /// When.
        at: Timestamp,
    },
    /// The current manifest's approvals are stale: the release is held.
    Held {
        /// Manifest version.
        version: u64,
        /// Each cause, in words.
        causes: Vec<String>,
    },
    /// Approved by the release owner and enough approvers.
    Approved {
        /// Manifest version.
        version: u64,
        /// Who signed (printed names).
        signers: String,
        /// When the last approval was signed.
        at: Timestamp,
    },
    /// Released to the lane's outbox.
    Released {
        /// Manifest version.
        version: u64,
        /// Who signed (printed names).
        signers: String,
        /// When the last approval was signed.
        approved_at: Timestamp,
        /// Who released (printed name).
        by: String,
        /// Where the bundle was written.
        path: String,
        /// When.
        at: Timestamp,
    },
}

/// A packet's state as the run of its release needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketRelease {
    /// The lane.
    pub lane: String,
    /// How many revisions the packet has.
    pub revisions: u32,
    /// The head: (number, author's printed name, time).
    pub head: Option<(u32, String, Timestamp)>,
    /// Objections open.
    pub open_objections: u32,
    /// Of which blocking.
    pub open_blocking: u32,
    /// Objections accepted as residual disagreement.
    pub accepted_residual: u32,
    /// Who drafted the current manifest and when, if one exists.
    pub drafted: Option<(String, Timestamp)>,
    /// The current manifest's stage.
    pub manifest: ManifestStage,
}

/// The fixed steps of a packet release (draft → review and objections → release-manifest
/// approval → release to the lane) and the facts the packet's real state amounts to, plus the
/// hold, if any. `approval` is the key of the run's manifest-backed approval and `title` its
/// title. Feed the result to [`derive()`].
pub fn packet_release(
    p: &PacketRelease,
    approval: &str,
    title: &str,
) -> (RunDefinition, Vec<Fact>, Option<String>) {
    let lane = &p.lane;
    let review_description = if p.open_blocking > 0 {
        format!(
            "{} open; no release manifest can be drafted until {} resolved, withdrawn or accepted as residual disagreement",
            plural(
                p.open_blocking as usize,
                "blocking objection is",
                "blocking objections are"
            ),
            if p.open_blocking == 1 {
                "it is"
            } else {
                "they are"
            }
        )
    } else if p.revisions == 0 {
        "Review starts once the packet has a revision".to_owned()
    } else {
        format!(
            "No blocking objection is open; the next move is a release manifest for lane {lane}"
        )
    };
    let gate_description = match &p.manifest {
        ManifestStage::AwaitingApproval { version, missing } => {
            format!("Manifest v{version} binds the exact revision; {missing}")
        }
        ManifestStage::Held { version, .. } => {
            format!("Manifest v{version} is held; its approvals no longer count")
        }
        ManifestStage::None => "No manifest drafted yet".to_owned(),
        _ => String::new(),
    };
    let def = RunDefinition {
        steps: vec![
            StepDef {
                name: "Draft the packet".into(),
                description: Some("No revision yet: the packet needs its first draft".into()),
                gate: None,
                on_reject: OnReject::Fail,
            },
            StepDef {
                name: "Review and objections".into(),
                description: Some(review_description),
                gate: None,
                on_reject: OnReject::Fail,
            },
            StepDef {
                name: "Release-manifest approval".into(),
                description: (!gate_description.is_empty()).then_some(gate_description),
                gate: Some(approval.to_owned()),
                on_reject: OnReject::Rework(1),
            },
            StepDef {
                name: format!("Release to lane {lane}"),
                description: Some(format!(
                    "Approved: the release owner can release the verified bundle into lane {lane}'s outbox"
                )),
                gate: None,
                on_reject: OnReject::Fail,
            },
        ],
        approvals: vec![ApprovalDef {
            key: approval.to_owned(),
            title: title.to_owned(),
        }],
    };
    let mut facts = Vec::new();
    if let Some((number, author, at)) = &p.head {
        facts.push(Fact::Step {
            step: 0,
            outcome: StepOutcome::Completed,
            by: author.clone(),
            note: Some(format!(
                "{} so far; the head is r{number} by {author}",
                plural(p.revisions as usize, "revision", "revisions")
            )),
            at: *at,
        });
    }
    if let (Some((by, at)), 0) = (&p.drafted, p.open_blocking) {
        let mut note = "No blocking objection is open".to_owned();
        if p.accepted_residual > 0 {
            note.push_str(&format!(
                "; {} accepted as residual disagreement and bound into the manifest",
                plural(p.accepted_residual as usize, "objection", "objections")
            ));
        }
        if p.open_objections > 0 {
            note.push_str(&format!(
                "; {} still open, none blocking",
                plural(p.open_objections as usize, "objection", "objections")
            ));
        }
        facts.push(Fact::Step {
            step: 1,
            outcome: StepOutcome::Completed,
            by: by.clone(),
            note: Some(note),
            at: *at,
        });
    }
    let mut hold = None;
    match &p.manifest {
        ManifestStage::None | ManifestStage::AwaitingApproval { .. } => {}
        ManifestStage::Held { version, causes } => {
            hold = Some(format!(
                "Release held: the approvals of manifest v{version} are stale ({}); a new manifest must be drafted",
                causes
                    .iter()
                    .map(|c| c.trim().trim_end_matches('.'))
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
        ManifestStage::Rejected {
            version,
            by,
            reason,
            at,
        } => facts.push(Fact::Decision {
            approval: approval.to_owned(),
            approved: false,
            by: by.clone(),
            reason: Some(format!(
                "manifest v{version}{}; revise the packet and draft a new manifest",
                reason
                    .as_deref()
                    .map(|r| format!(": {}", r.trim().trim_end_matches('.')))
                    .unwrap_or_default()
            )),
            at: *at,
        }),
        ManifestStage::Approved {
            version,
            signers,
            at,
        } => facts.push(Fact::Decision {
            approval: approval.to_owned(),
            approved: true,
            by: signers.clone(),
            reason: Some(format!("Signed approvals of manifest v{version}")),
            at: *at,
        }),
        ManifestStage::Released {
            version,
            signers,
            approved_at,
            by,
            path,
            at,
        } => {
            facts.push(Fact::Decision {
                approval: approval.to_owned(),
                approved: true,
                by: signers.clone(),
                reason: Some(format!("Signed approvals of manifest v{version}")),
                at: *approved_at,
            });
            facts.push(Fact::Step {
                step: 3,
                outcome: StepOutcome::Completed,
                by: by.clone(),
                note: Some(format!(
                    "Released by {by}: the verified bundle is at {path}"
                )),
                at: *at,
            });
        }
    }
    (def, facts, hold)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::IdentityKind;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_unix_millis(ms)
    }

    fn step(name: &str) -> StepDef {
        StepDef {
            name: name.into(),
            description: None,
            gate: None,
            on_reject: OnReject::Fail,
        }
    }

    fn gated(name: &str, gate: &str, on_reject: OnReject) -> StepDef {
        StepDef {
            name: name.into(),
            description: None,
            gate: Some(gate.into()),
            on_reject,
        }
    }

    fn approval(key: &str) -> ApprovalDef {
        ApprovalDef {
            key: key.into(),
            title: format!("Approve {key}"),
        }
    }

    fn done(step: usize) -> Fact {
        Fact::Step {
            step,
            outcome: StepOutcome::Completed,
            by: "Agent".into(),
            note: None,
            at: t(step as i64),
        }
    }

    fn outcome(step: usize, outcome: StepOutcome, note: &str) -> Fact {
        Fact::Step {
            step,
            outcome,
            by: "Agent".into(),
            note: Some(note.into()),
            at: t(10),
        }
    }

    fn decide(key: &str, approved: bool) -> Fact {
        Fact::Decision {
            approval: key.into(),
            approved,
            by: "Noor".into(),
            reason: (!approved).then(|| "the figures are not cleared".into()),
            at: t(100),
        }
    }

    fn statuses(d: &Derived) -> Vec<StepStatus> {
        d.steps.iter().map(|s| s.status).collect()
    }

    /// The seed's shape: detect, draft, wait for approval.
    fn nomination(on_reject: OnReject) -> RunDefinition {
        RunDefinition {
            steps: vec![
                step("Find proof points"),
                step("Draft the nomination"),
                gated("Advocacy and legal sign-off", "a", on_reject),
            ],
            approvals: vec![approval("a")],
        }
    }

    use StepStatus::{AwaitingApproval, Completed, Failed, Pending, Running, Skipped};

    #[test]
    fn an_empty_run_is_running_with_a_reason() {
        let d = derive(&RunDefinition::default(), &[], None);
        assert_eq!(d.status, RunStatus::Running);
        assert!(d.reason.contains("No steps yet"), "{}", d.reason);
        assert_eq!(d.current, None);
    }

    #[test]
    fn the_first_step_runs_and_the_rest_wait() {
        let def = nomination(OnReject::Fail);
        let d = derive(&def, &[], None);
        assert_eq!(statuses(&d), [Running, Pending, Pending]);
        assert_eq!(d.status, RunStatus::Running);
        assert_eq!(d.current, Some(0));
        assert_eq!(
            d.steps[1].explanation,
            "Waits for step 1 (Find proof points)."
        );
        assert!(
            d.reason.contains("1 approval is still to be decided"),
            "{}",
            d.reason
        );
    }

    #[test]
    fn a_pending_approval_on_the_path_pauses_the_run() {
        let def = nomination(OnReject::Fail);
        let d = derive(&def, &[done(0), done(1)], None);
        assert_eq!(statuses(&d), [Completed, Completed, AwaitingApproval]);
        assert_eq!(d.status, RunStatus::Paused);
        assert!(d.reason.contains("\"Approve a\""), "{}", d.reason);
        assert!(
            d.steps[2]
                .explanation
                .starts_with("1 approval decision still gates this step"),
            "{}",
            d.steps[2].explanation
        );
        assert_eq!(d.approval_counts().pending, 1);
        assert_eq!(d.current, Some(2));
    }

    #[test]
    fn approving_completes_the_waiting_step_and_runs_the_next() {
        let mut def = nomination(OnReject::Fail);
        def.steps
            .push(step("Hand the package to the reference team"));
        let d = derive(&def, &[done(0), done(1), decide("a", true)], None);
        assert_eq!(statuses(&d), [Completed, Completed, Completed, Running]);
        assert_eq!(d.status, RunStatus::Running);
        assert_eq!(d.steps[2].by.as_deref(), Some("Noor"));
        assert!(d.steps[2].explanation.contains("approved by Noor"));
        assert_eq!(d.approval("a").unwrap().status, ApprovalStatus::Approved);
        let c = d.approval_counts();
        assert_eq!((c.pending, c.approved, c.rejected), (0, 1, 0));
    }

    #[test]
    fn approving_the_last_gate_completes_the_run() {
        let def = nomination(OnReject::Fail);
        let d = derive(&def, &[done(0), done(1), decide("a", true)], None);
        assert_eq!(d.status, RunStatus::Completed);
        assert_eq!(d.reason, "All 3 steps done.");
        assert_eq!(d.current, None);
    }

    #[test]
    fn rejecting_with_fail_fails_the_step_the_run_and_skips_the_rest() {
        let mut def = nomination(OnReject::Fail);
        def.steps.push(step("Publish"));
        let d = derive(&def, &[done(0), done(1), decide("a", false)], None);
        assert_eq!(statuses(&d), [Completed, Completed, Failed, Skipped]);
        assert_eq!(d.status, RunStatus::Failed);
        assert!(
            d.steps[2]
                .explanation
                .contains("rejected by Noor: the figures are not cleared")
        );
        assert!(d.steps[3].explanation.contains("failed at step 3"));
        assert!(
            d.reason
                .starts_with("Step 3 (Advocacy and legal sign-off) failed")
        );
        assert_eq!(d.current, Some(2));
        // Nothing more moves a failed run.
        assert!(matches!(
            d.check_step_outcome(&def, 3),
            Err(RunError::RunFailed(_))
        ));
    }

    #[test]
    fn rejecting_with_rework_sends_the_run_back_and_asks_again() {
        let def = nomination(OnReject::Rework(1));
        let facts = vec![done(0), done(1), decide("a", false)];
        let d = derive(&def, &facts, None);
        assert_eq!(statuses(&d), [Completed, Running, Pending]);
        assert_eq!(d.status, RunStatus::Running);
        assert!(
            d.steps[1].explanation.starts_with("Sent back for rework"),
            "{}",
            d.steps[1].explanation
        );
        assert_eq!(d.approval("a").unwrap().status, ApprovalStatus::Rejected);
        // The rejected approval cannot be decided again until the gate is reached again.
        assert!(matches!(
            d.check_decision(&def, "a"),
            Err(RunError::NotPending { .. })
        ));
        assert_eq!(d.steps[1].passes, 2);

        // Rework done: the gate asks again, in a second round.
        let mut facts = facts;
        facts.push(done(1));
        let d = derive(&def, &facts, None);
        assert_eq!(statuses(&d), [Completed, Completed, AwaitingApproval]);
        let a = d.approval("a").unwrap();
        assert_eq!((a.status, a.round), (ApprovalStatus::Pending, 2));
        assert!(d.steps[2].explanation.contains("Asked again after rework"));
        assert_eq!(d.status, RunStatus::Paused);
        d.check_decision(&def, "a").unwrap();

        facts.push(decide("a", true));
        let d = derive(&def, &facts, None);
        assert_eq!(statuses(&d), [Completed, Completed, Completed]);
        assert_eq!(d.status, RunStatus::Completed);
    }

    #[test]
    fn rework_asks_again_for_every_approval_in_the_reworked_stretch() {
        let def = RunDefinition {
            steps: vec![
                step("Draft"),
                gated("Legal check", "legal", OnReject::Fail),
                step("Polish"),
                gated("Director sign-off", "director", OnReject::Rework(0)),
            ],
            approvals: vec![approval("legal"), approval("director")],
        };
        let mut facts = vec![
            done(0),
            decide("legal", true),
            done(2),
            decide("director", false),
        ];
        let d = derive(&def, &facts, None);
        assert_eq!(statuses(&d), [Running, Pending, Pending, Pending]);
        facts.push(done(0));
        let d = derive(&def, &facts, None);
        assert_eq!(
            statuses(&d),
            [Completed, AwaitingApproval, Pending, Pending]
        );
        let legal = d.approval("legal").unwrap();
        assert_eq!((legal.status, legal.round), (ApprovalStatus::Pending, 2));
    }

    #[test]
    fn an_approval_decided_in_advance_applies_when_its_step_is_reached() {
        let def = nomination(OnReject::Fail);
        let d = derive(&def, &[decide("a", true)], None);
        assert_eq!(statuses(&d), [Running, Pending, Pending]);
        assert_eq!(d.approval("a").unwrap().status, ApprovalStatus::Approved);
        let d = derive(&def, &[decide("a", true), done(0), done(1)], None);
        assert_eq!(statuses(&d), [Completed, Completed, Completed]);

        let d = derive(&def, &[decide("a", false), done(0), done(1)], None);
        assert_eq!(statuses(&d), [Completed, Completed, Failed]);
    }

    #[test]
    fn step_outcomes_move_only_the_running_ungated_step() {
        let def = nomination(OnReject::Fail);
        let d = derive(&def, &[], None);
        d.check_step_outcome(&def, 0).unwrap();
        assert!(matches!(
            d.check_step_outcome(&def, 1),
            Err(RunError::StepNotRunning {
                step: 2,
                status: Pending,
                ..
            })
        ));
        assert!(matches!(
            d.check_step_outcome(&def, 2),
            Err(RunError::GatedStep { step: 3, .. })
        ));
        assert!(matches!(
            d.check_step_outcome(&def, 7),
            Err(RunError::NoStep { step: 8, count: 3 })
        ));
        // The replay ignores an outcome for a step that is not running.
        let d = derive(&def, &[done(1)], None);
        assert_eq!(statuses(&d), [Running, Pending, Pending]);
        // …and a second outcome for a step already done.
        let d = derive(&def, &[done(0), done(0)], None);
        assert_eq!(statuses(&d), [Completed, Running, Pending]);
    }

    #[test]
    fn skipped_steps_pass_and_failed_steps_fail_the_run() {
        let def = nomination(OnReject::Fail);
        let d = derive(
            &def,
            &[outcome(
                0,
                StepOutcome::Skipped,
                "Already known from the last review",
            )],
            None,
        );
        assert_eq!(statuses(&d), [Skipped, Running, Pending]);
        assert_eq!(
            d.steps[0].explanation,
            "Already known from the last review."
        );
        let d = derive(
            &def,
            &[
                done(0),
                outcome(1, StepOutcome::Failed, "The call recording was incomplete"),
            ],
            None,
        );
        assert_eq!(statuses(&d), [Completed, Failed, Skipped]);
        assert_eq!(d.status, RunStatus::Failed);
        assert!(d.reason.contains("The call recording was incomplete"));
        // A pending approval of a failed run cannot be decided.
        assert!(matches!(
            d.check_decision(&def, "a"),
            Err(RunError::RunFailed(_))
        ));
    }

    #[test]
    fn a_hold_shows_as_held_unless_the_run_is_over() {
        let def = nomination(OnReject::Fail);
        let d = derive(
            &def,
            &[done(0), done(1)],
            Some("Release held: new revision"),
        );
        assert_eq!(d.status, RunStatus::Held);
        assert_eq!(d.reason, "Release held: new revision.");
        assert_eq!(statuses(&d), [Completed, Completed, AwaitingApproval]);
        let d = derive(
            &def,
            &[done(0), done(1), decide("a", true)],
            Some("Release held"),
        );
        assert_eq!(d.status, RunStatus::Completed);
    }

    #[test]
    fn completion_notes_become_explanations() {
        let def = nomination(OnReject::Fail);
        let d = derive(
            &def,
            &[outcome(
                0,
                StepOutcome::Completed,
                "The call names a 31% drop in spoiled loads",
            )],
            None,
        );
        assert_eq!(
            d.steps[0].explanation,
            "The call names a 31% drop in spoiled loads."
        );
        assert_eq!(d.steps[0].by.as_deref(), Some("Agent"));
        let d = derive(&def, &[done(0)], None);
        assert_eq!(d.steps[0].explanation, "Completed by Agent.");
    }

    #[test]
    fn definitions_are_checked() {
        let ok = nomination(OnReject::Rework(0));
        ok.check().unwrap();
        let forward = RunDefinition {
            steps: vec![gated("Sign-off", "a", OnReject::Rework(0))],
            approvals: vec![approval("a")],
        };
        assert_eq!(forward.check(), Err(RunError::BadRework { step: 1, to: 1 }));
        let unknown = RunDefinition {
            steps: vec![gated("Sign-off", "zz", OnReject::Fail)],
            approvals: vec![],
        };
        assert_eq!(unknown.check(), Err(RunError::UnknownApproval("zz".into())));
        let twice = ok
            .with_step(gated("Again", "a", OnReject::Fail))
            .unwrap_err();
        assert_eq!(
            twice,
            RunError::GateTaken {
                title: "Approve a".into(),
                step: 3
            }
        );
        let ungated_rework = ok.with_step(StepDef {
            on_reject: OnReject::Rework(0),
            ..step("Publish")
        });
        assert_eq!(ungated_rework, Err(RunError::ReworkWithoutGate));
    }

    #[test]
    fn output_status_follows_its_approval() {
        let def = nomination(OnReject::Fail);
        let pending = derive(&def, &[], None);
        assert_eq!(pending.output_status(None), OutputStatus::Preview);
        assert_eq!(
            pending.output_status(Some("a")),
            OutputStatus::AwaitingApproval
        );
        let approved = derive(&def, &[decide("a", true)], None);
        assert_eq!(approved.output_status(Some("a")), OutputStatus::Approved);
        let rejected = derive(&def, &[decide("a", false)], None);
        assert_eq!(rejected.output_status(Some("a")), OutputStatus::Blocked);
    }

    fn who(kind: IdentityKind, roles: &[Role]) -> Identity {
        Identity {
            id: "me".into(),
            name: "Me".into(),
            roles: roles.to_vec(),
            kind,
            public_key: String::new(),
            created_at: t(0),
        }
    }

    #[test]
    fn agents_never_decide_and_approvers_need_the_role_or_their_name() {
        let agent = who(IdentityKind::Agent, &[Role::Legal, Role::Approver]);
        assert!(matches!(
            authorize_decision(&agent, &[Role::Legal], &["me".into()]),
            Err(DecisionRefused::Agent(_))
        ));
        let legal = who(IdentityKind::Human, &[Role::Legal]);
        authorize_decision(&legal, &[Role::Legal], &[]).unwrap();
        let author = who(IdentityKind::Human, &[Role::Author]);
        assert_eq!(
            authorize_decision(&author, &[Role::Legal], &["someone".into()]),
            Err(DecisionRefused::NotApprover)
        );
        authorize_decision(&author, &[Role::Legal], &["me".into()]).unwrap();
    }

    fn release(manifest: ManifestStage, blocking: u32) -> PacketRelease {
        PacketRelease {
            lane: "exec-review".into(),
            revisions: 3,
            head: Some((3, "Priya".into(), t(1))),
            open_objections: 1 + blocking,
            open_blocking: blocking,
            accepted_residual: 1,
            drafted: (manifest != ManifestStage::None).then(|| ("Priya".into(), t(2))),
            manifest,
        }
    }

    fn release_run(p: &PacketRelease) -> Derived {
        let (def, facts, hold) = packet_release(p, "m", "Release-manifest approval");
        def.check().unwrap();
        derive(&def, &facts, hold.as_deref())
    }

    #[test]
    fn a_packet_release_follows_the_packet() {
        let empty = PacketRelease {
            revisions: 0,
            head: None,
            open_objections: 0,
            accepted_residual: 0,
            ..release(ManifestStage::None, 0)
        };
        let d = release_run(&empty);
        assert_eq!(statuses(&d), [Running, Pending, Pending, Pending]);

        let d = release_run(&release(ManifestStage::None, 1));
        assert_eq!(statuses(&d), [Completed, Running, Pending, Pending]);
        assert!(
            d.steps[1]
                .explanation
                .contains("1 blocking objection is open")
        );
        assert!(d.steps[0].explanation.contains("the head is r3 by Priya"));

        let d = release_run(&release(ManifestStage::None, 0));
        assert_eq!(statuses(&d), [Completed, Running, Pending, Pending]);
        assert!(
            d.steps[1]
                .explanation
                .contains("release manifest for lane exec-review")
        );

        let awaiting = ManifestStage::AwaitingApproval {
            version: 1,
            missing: "the release owner, Helen Sato, has not signed".into(),
        };
        let d = release_run(&release(awaiting, 0));
        assert_eq!(
            statuses(&d),
            [Completed, Completed, AwaitingApproval, Pending]
        );
        assert_eq!(d.status, RunStatus::Paused);
        assert!(d.steps[2].explanation.contains("Helen Sato"));
        assert!(
            d.steps[1]
                .explanation
                .contains("1 objection accepted as residual")
        );

        let held = ManifestStage::Held {
            version: 1,
            causes: vec!["A new revision r4 was added.".into()],
        };
        let d = release_run(&release(held, 0));
        assert_eq!(d.status, RunStatus::Held);
        assert!(
            d.reason.contains("stale (A new revision r4 was added)"),
            "{}",
            d.reason
        );

        let approved = ManifestStage::Approved {
            version: 1,
            signers: "Dana Okafor, Helen Sato".into(),
            at: t(5),
        };
        let d = release_run(&release(approved, 0));
        assert_eq!(statuses(&d), [Completed, Completed, Completed, Running]);
        assert_eq!(d.status, RunStatus::Running);

        let released = ManifestStage::Released {
            version: 1,
            signers: "Dana Okafor, Helen Sato".into(),
            approved_at: t(5),
            by: "Helen Sato".into(),
            path: "lanes/exec-review/x.bundle.json".into(),
            at: t(6),
        };
        let d = release_run(&release(released, 0));
        assert_eq!(d.status, RunStatus::Completed);
        assert!(
            d.steps[3]
                .explanation
                .contains("lanes/exec-review/x.bundle.json")
        );

        let rejected = ManifestStage::Rejected {
            version: 1,
            by: "Dana Okafor".into(),
            reason: Some("Scope too wide".into()),
            at: t(5),
        };
        let d = release_run(&release(rejected, 0));
        assert_eq!(statuses(&d), [Completed, Running, Pending, Pending]);
        assert_eq!(d.approval("m").unwrap().status, ApprovalStatus::Rejected);
        assert!(d.steps[1].explanation.contains("Scope too wide"));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn definition() -> impl Strategy<Value = RunDefinition> {
            (0usize..7, 0usize..4)
                .prop_flat_map(|(n, k)| {
                    (
                        Just(n),
                        Just(k),
                        proptest::collection::vec((0usize..8, any::<bool>(), 0usize..8), n),
                    )
                })
                .prop_map(|(n, k, raw)| {
                    let mut used = vec![false; k];
                    let steps = (0..n)
                        .map(|i| {
                            let (g, rework, to) = raw[i];
                            let gate = (g < k && !used[g]).then(|| {
                                used[g] = true;
                                format!("a{g}")
                            });
                            let on_reject = if gate.is_some() && rework && i > 0 {
                                OnReject::Rework(to % i)
                            } else {
                                OnReject::Fail
                            };
                            StepDef {
                                name: format!("s{i}"),
                                description: None,
                                gate,
                                on_reject,
                            }
                        })
                        .collect();
                    RunDefinition {
                        steps,
                        approvals: (0..k).map(|i| approval(&format!("a{i}"))).collect(),
                    }
                })
        }

        fn facts() -> impl Strategy<Value = Vec<Fact>> {
            proptest::collection::vec(
                prop_oneof![
                    (0usize..8, 0usize..3).prop_map(|(step, o)| Fact::Step {
                        step,
                        outcome: StepOutcome::ALL[o],
                        by: "x".into(),
                        note: None,
                        at: t(0),
                    }),
                    (0usize..4, any::<bool>()).prop_map(|(a, ok)| decide(&format!("a{a}"), ok)),
                ],
                0..24,
            )
        }

        proptest! {
            #[test]
            fn the_derived_graph_is_always_coherent(def in definition(), facts in facts(), held in any::<bool>()) {
                def.check().unwrap();
                let hold = held.then_some("held");
                let d = derive(&def, &facts, hold);
                let n = def.steps.len();
                prop_assert_eq!(d.steps.len(), n);
                let active: Vec<usize> = (0..n)
                    .filter(|i| matches!(d.steps[*i].status, Running | AwaitingApproval))
                    .collect();
                prop_assert!(active.len() <= 1);
                for s in &d.steps {
                    prop_assert!(!s.explanation.is_empty());
                }
                match d.status {
                    RunStatus::Failed => {
                        let f = d.current.unwrap();
                        prop_assert_eq!(d.steps[f].status, Failed);
                        prop_assert!(d.steps[..f].iter().all(|s| matches!(s.status, Completed | Skipped)));
                        prop_assert!(d.steps[f + 1..].iter().all(|s| s.status == Skipped));
                    }
                    RunStatus::Completed => {
                        prop_assert!(d.steps.iter().all(|s| matches!(s.status, Completed | Skipped)));
                        prop_assert!(n > 0);
                    }
                    other => {
                        if n > 0 {
                            let c = d.current.unwrap();
                            prop_assert_eq!(active.clone(), vec![c]);
                            prop_assert!(d.steps[..c].iter().all(|s| matches!(s.status, Completed | Skipped)));
                            prop_assert!(d.steps[c + 1..].iter().all(|s| s.status == Pending));
                            let expected = if held {
                                RunStatus::Held
                            } else if d.steps[c].status == AwaitingApproval {
                                RunStatus::Paused
                            } else {
                                RunStatus::Running
                            };
                            prop_assert_eq!(other, expected);
                        }
                    }
                }
                // A fact the checks allow always changes the derivation.
                if let Some(c) = d.current
                    && d.check_step_outcome(&def, c).is_ok()
                {
                    let mut more = facts.clone();
                    more.push(done(c));
                    prop_assert_ne!(derive(&def, &more, hold).steps, d.steps.clone());
                }
            }
        }
    }

    #[test]
    fn words_round_trip() {
        for s in StepStatus::ALL {
            assert_eq!(s.as_str().parse::<StepStatus>(), Ok(*s));
        }
        assert_eq!(
            "awaiting-approval".parse(),
            Ok(StepStatus::AwaitingApproval)
        );
        assert_eq!("external".parse(), Ok(Pattern::External));
        let e = "sideways".parse::<Pattern>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown operating pattern `sideways` (expected one of: internal, external)"
        );
        assert_eq!(
            serde_json::to_string(&RunStatus::Paused).unwrap(),
            "\"paused\""
        );
    }
}
