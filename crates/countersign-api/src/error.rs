//! The façade's one error type. Every module's documented error maps into it, and each variant
//! has a stable [`ApiError::code`] that the CLI and the UI can branch on.

use std::path::PathBuf;

use countersign_core::anchor::AnchorError;
use countersign_core::ledger::LedgerError;
use countersign_core::model::{NameError, UnknownRole};
use countersign_core::text::TextError;
use countersign_signing::KeyError;
use countersign_store::StoreError;

/// Whether a failure is the user's input, a rule refusing, or something internal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// A rule refused the request (not allowed, illegal transition). CLI exit code 1.
    Refused,
    /// The input was bad (unknown id, unreadable file, wrong passphrase). CLI exit code 2.
    BadInput,
    /// Something failed that the user could not have prevented. CLI exit code 2.
    Internal,
}

/// Anything a use case can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// From the store (missing workspace, unknown id, busy, damaged file, …).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// From key handling (wrong passphrase, damaged key, …).
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A ledger rule refused the move.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The content cannot be a revision.
    #[error(transparent)]
    Text(#[from] TextError),
    /// A name or title is not acceptable.
    #[error(transparent)]
    Name(#[from] NameError),
    /// A role is unknown.
    #[error(transparent)]
    Role(#[from] UnknownRole),
    /// The quote cannot be anchored.
    #[error(transparent)]
    Anchor(#[from] AnchorError),
    /// A time is not RFC 3339.
    #[error(transparent)]
    Time(#[from] countersign_core::time::BadTimestamp),
    /// A file could not be read or written.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// Which file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The new content is identical to the packet's head revision.
    #[error("no change: the content is identical to the head revision {0}")]
    NoChange(String),
    /// The packet has no revision yet.
    #[error("packet {0} has no revision yet; add one with `countersign packet revise`")]
    NoRevision(String),
    /// A revision of another packet was named.
    #[error("revision {revision} does not belong to packet {packet}")]
    RevisionNotInPacket {
        /// The revision.
        revision: String,
        /// The packet.
        packet: String,
    },
    /// The comment thread is already in the requested state.
    #[error("the comment thread is already {0}")]
    ThreadAlready(&'static str),
    /// An empty message or objection body.
    #[error("the {0} is empty")]
    EmptyText(&'static str),
    /// An identity needs at least one role.
    #[error("an identity needs at least one role (--role)")]
    NoRole,
    /// No passphrase could be had (no terminal, no COUNTERSIGN_PASSPHRASE).
    #[error("a passphrase is needed for {0}; set COUNTERSIGN_PASSPHRASE or run in a terminal")]
    PassphraseUnavailable(String),
    /// The two passphrases typed differ.
    #[error("the passphrases do not match")]
    PassphraseMismatch,
    /// An agent tried an act reserved for people.
    #[error(transparent)]
    Agent(#[from] countersign_core::authority::AgentRefused),
    /// No trust policy yet.
    #[error(
        "this workspace has no trust policy yet; run `countersign policy init --admin IDENTITY`"
    )]
    NoPolicy,
    /// A lane id that is not in the policy.
    #[error("lane `{0}` is not in the trust policy; add it with `countersign policy lane add`")]
    UnknownLane(String),
    /// A lane id that is not acceptable.
    #[error(
        "`{0}` is not a valid lane id (use 1–64 of a-z, 0-9, '-', '_' and '.', starting with a letter or digit)"
    )]
    BadLaneId(String),
    /// Open blocking objections prevent drafting.
    #[error("drafting is refused while blocking objections are open:\n{}", .0.join("\n"))]
    BlockedByObjections(Vec<String>),
    /// The identity is not in the current trust policy, or is not allowed this act by it.
    #[error("{0}")]
    NotPermitted(String),
    /// The manifest cannot take approvals or be released now.
    #[error("{0}")]
    ManifestState(String),
    /// The release is held.
    #[error("the release is held:\n{}\ndraft a new manifest with `countersign manifest draft`", .0.join("\n"))]
    Held(Vec<String>),
    /// A reason is required (rejecting).
    #[error("a reason is required to reject (--reason)")]
    ReasonRequired,
    /// A number out of its range.
    #[error("{0}")]
    OutOfRange(String),
    /// The bundle was refused by the verifier.
    #[error("verification failed ({code}): {refusal}", code = .0.code(), refusal = .0)]
    Verify(countersign_release::verify::Refusal),
    /// A payload could not be canonicalized or parsed.
    #[error("canonical JSON: {0}")]
    Jcs(#[from] countersign_signing::jcs::JcsError),
    /// A stored envelope is malformed.
    #[error("envelope: {0}")]
    Dsse(#[from] countersign_signing::dsse::DsseError),
    /// The packet has several heads; a plain revision would pick one side.
    #[error(
        "packet {packet} has diverged: concurrent revisions left {} heads ({}); its owner resolves it with `countersign packet revise {packet} --file FILE --author OWNER --merge`",
        heads.len(), heads.join(", ")
    )]
    Diverged {
        /// The packet.
        packet: String,
        /// Its heads.
        heads: Vec<String>,
    },
    /// A merge was asked for a packet that has one head.
    #[error("packet {0} has not diverged (it has one head); revise it without --merge")]
    NotDiverged(String),
    /// Sync could not reach or use a target.
    #[error("{0}")]
    Sync(#[from] countersign_sync::SyncError),
    /// The directory must be empty for this.
    #[error("{0} is not empty; choose an empty directory")]
    NotEmpty(PathBuf),
    /// A run rule refused the change (a step that is not running, an approval already
    /// decided, a bad rework target, …).
    #[error(transparent)]
    Run(#[from] countersign_core::run::RunError),
    /// A meeting transcript cannot be imported.
    #[error(transparent)]
    Transcript(#[from] countersign_core::transcript::TranscriptError),
    /// The run is a packet release: its steps follow the packet.
    #[error(
        "run \"{0}\" is a packet release: its steps follow the packet (revisions, objections, manifest, release) and cannot be added or marked by hand"
    )]
    DerivedSteps(String),
    /// Already attached or linked to the run.
    #[error("{0}")]
    AlreadyLinked(String),
    /// A URL that is not http(s).
    #[error("`{0}` is not an http or https URL")]
    BadUrl(String),
    /// An approval needs someone who may decide it.
    #[error("an approval needs at least one approver: --role ROLE or --approver IDENTITY")]
    NoApprover,
}

impl ApiError {
    /// Refused, bad input, or internal.
    pub fn class(&self) -> ErrorClass {
        use ErrorClass::*;
        match self {
            ApiError::Ledger(_)
            | ApiError::NoChange(_)
            | ApiError::ThreadAlready(_)
            | ApiError::Agent(_)
            | ApiError::BlockedByObjections(_)
            | ApiError::NotPermitted(_)
            | ApiError::ManifestState(_)
            | ApiError::Held(_)
            | ApiError::Diverged { .. }
            | ApiError::NotDiverged(_)
            | ApiError::Sync(countersign_sync::SyncError::Foreign(_))
            | ApiError::Verify(_)
            | ApiError::DerivedSteps(_)
            | ApiError::AlreadyLinked(_) => Refused,
            ApiError::Run(e) => {
                use countersign_core::run::RunError as R;
                match e {
                    R::UnknownApproval(_)
                    | R::BadRework { .. }
                    | R::ReworkWithoutGate
                    | R::NoStep { .. } => BadInput,
                    R::GateTaken { .. }
                    | R::GatedStep { .. }
                    | R::StepNotRunning { .. }
                    | R::NotPending { .. }
                    | R::RunFailed(_) => Refused,
                }
            }
            ApiError::Jcs(_) | ApiError::Dsse(_) => Internal,
            ApiError::Sync(
                countersign_sync::SyncError::Offline(_) | countersign_sync::SyncError::Transfer(_),
            ) => Internal,
            ApiError::Store(StoreError::Busy | StoreError::Corrupt(_) | StoreError::Sqlite(_)) => {
                Internal
            }
            ApiError::Io { source, .. } if source.kind() != std::io::ErrorKind::NotFound => {
                Internal
            }
            _ => BadInput,
        }
    }

    /// A stable, documented code for this failure (`snake_case`). The UI branches on it; the
    /// wording of messages may change, codes do not.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Store(e) => match e {
                StoreError::NotAWorkspace(_) => "not_a_workspace",
                StoreError::AlreadyExists(_) => "workspace_exists",
                StoreError::NotSqlite(_) | StoreError::Foreign(_) => "not_a_workspace_file",
                StoreError::NewerSchema { .. } => "newer_schema",
                StoreError::Busy => "busy",
                StoreError::NotFound { .. } => "not_found",
                StoreError::Ambiguous { .. } => "ambiguous_id",
                StoreError::Corrupt(_) => "corrupt",
                StoreError::KeyElsewhere(_) => "key_elsewhere",
                StoreError::Sqlite(_) => "database",
            },
            ApiError::Key(e) => match e {
                KeyError::WrongPassphrase => "wrong_passphrase",
                KeyError::EmptyPassphrase => "empty_passphrase",
                _ => "key",
            },
            ApiError::Ledger(e) => match e {
                LedgerError::IllegalTransition { .. } => "illegal_transition",
                LedgerError::NotOwner => "not_owner",
                LedgerError::AgentRefused => "agent_refused",
                LedgerError::NotRaiser | LedgerError::NotRaiserOrOwner => "not_allowed",
                LedgerError::MissingRationale => "missing_rationale",
                LedgerError::MissingReason => "missing_reason",
            },
            ApiError::Text(TextError::NotUtf8 { .. }) => "not_utf8",
            ApiError::Text(TextError::TooLarge { .. }) => "too_large",
            ApiError::Name(_) => "bad_name",
            ApiError::Role(_) => "unknown_role",
            ApiError::Anchor(AnchorError::QuoteNotFound) => "quote_not_found",
            ApiError::Anchor(_) => "bad_quote",
            ApiError::Io { .. } => "io",
            ApiError::Time(_) => "bad_time",
            ApiError::NoChange(_) => "no_change",
            ApiError::NoRevision(_) => "no_revision",
            ApiError::RevisionNotInPacket { .. } => "revision_not_in_packet",
            ApiError::ThreadAlready(_) => "thread_state",
            ApiError::EmptyText(_) => "empty_text",
            ApiError::NoRole => "no_role",
            ApiError::PassphraseUnavailable(_) => "passphrase_unavailable",
            ApiError::PassphraseMismatch => "passphrase_mismatch",
            ApiError::NotEmpty(_) => "not_empty",
            ApiError::Diverged { .. } => "diverged",
            ApiError::NotDiverged(_) => "not_diverged",
            ApiError::Sync(e) => match e {
                countersign_sync::SyncError::BadTarget(_) => "bad_target",
                countersign_sync::SyncError::Offline(_) => "target_offline",
                countersign_sync::SyncError::Transfer(_) => "transfer_failed",
                countersign_sync::SyncError::Foreign(_) => "foreign_target",
                countersign_sync::SyncError::NoCredentials => "no_credentials",
            },
            ApiError::Agent(_) => "agent_refused",
            ApiError::NoPolicy => "no_policy",
            ApiError::UnknownLane(_) => "unknown_lane",
            ApiError::BadLaneId(_) => "bad_lane_id",
            ApiError::BlockedByObjections(_) => "blocking_objections_open",
            ApiError::NotPermitted(_) => "not_permitted",
            ApiError::ManifestState(_) => "manifest_state",
            ApiError::Held(_) => "held",
            ApiError::ReasonRequired => "reason_required",
            ApiError::OutOfRange(_) => "out_of_range",
            ApiError::Verify(r) => r.code(),
            ApiError::Jcs(_) => "canonical_json",
            ApiError::Dsse(_) => "envelope",
            ApiError::Run(e) => {
                use countersign_core::run::RunError as R;
                match e {
                    R::UnknownApproval(_) => "unknown_approval",
                    R::GateTaken { .. } => "gate_taken",
                    R::BadRework { .. } | R::ReworkWithoutGate => "bad_rework",
                    R::NoStep { .. } => "no_step",
                    R::GatedStep { .. } => "gated_step",
                    R::StepNotRunning { .. } => "step_not_running",
                    R::NotPending { .. } => "not_pending",
                    R::RunFailed(_) => "run_failed",
                }
            }
            ApiError::Transcript(e) => {
                use countersign_core::transcript::TranscriptError as T;
                match e {
                    T::UnknownFormat(_) => "unsupported_format",
                    T::TooLarge { .. } => "too_large",
                    T::NotUtf8 { .. } => "not_utf8",
                    T::Empty(_) => "empty_file",
                    T::NotWebVtt(_) | T::BadCueTiming { .. } => "bad_transcript",
                }
            }
            ApiError::DerivedSteps(_) => "derived_steps",
            ApiError::AlreadyLinked(_) => "already_linked",
            ApiError::BadUrl(_) => "bad_url",
            ApiError::NoApprover => "no_approver",
        }
    }
}

/// Shorthand.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;
