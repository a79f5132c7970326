//! The demo workspace: the outage disclosure packet for an enterprise customer, co-drafted by a
//! support lead and an incident communications manager, argued over by legal and customer
//! success, helped by a chronology agent, awaiting a director. Built through the same use cases
//! as any workspace, with a scripted clock so its history reads like four days of work.

use std::path::Path;
use std::sync::Arc;

use countersign_core::model::{IdentityKind, Role};
use countersign_core::{Clock, FixedClock};
use serde::Serialize;

use crate::{ApiError, Deps, FixedPassphrase, LedgerAction, Result, Workspace};

mod runs;

const R1: &str = include_str!("r1.md");
const R2: &str = include_str!("r2.md");
const R3: &str = include_str!("r3.md");
const TIMELINE_V1: &str = include_str!("timeline-v1.csv");
const TIMELINE_V2: &str = include_str!("timeline-v2.csv");
const CASES: &str = include_str!("cases.md");
const CAVEATS: &str = include_str!("caveats.md");

/// The demo's release lane.
pub const LANE: &str = "exec-review";

/// The passphrase demo identities are sealed with, unless the caller gives another.
pub const DEMO_PASSPHRASE: &str = "demo";

/// What the demo made.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct DemoSummary {
    /// The workspace directory.
    pub workspace: String,
    /// The packet id.
    pub packet: String,
    /// The run record of the packet's release (paused at the release-manifest approval).
    pub release_run: String,
    /// The advocacy nomination run (paused at its advocacy and legal sign-off).
    pub advocacy_run: String,
    /// The passphrase every demo identity's key is sealed with.
    pub passphrase: String,
}

const MINUTE: i64 = 60_000;

/// Build the demo in `dir`, which must be empty or missing. Every identity's key is sealed with
/// `passphrase`.
pub fn build(dir: &Path, deps: Deps, passphrase: &str) -> Result<DemoSummary> {
    if passphrase.is_empty() {
        return Err(countersign_signing::KeyError::EmptyPassphrase.into());
    }
    if let Ok(mut entries) = std::fs::read_dir(dir)
        && entries.next().is_some()
    {
        return Err(ApiError::NotEmpty(dir.to_path_buf()));
    }
    // Four days ago, on the minute: the history then reads like the days it took.
    let now = deps.clock.now().unix_millis();
    let start = (now - 4 * 24 * 60 * MINUTE) / MINUTE * MINUTE;
    let clock = Arc::new(FixedClock::new(
        countersign_core::Timestamp::from_unix_millis(start),
        1,
    ));
    let scripted: Arc<dyn Clock> = clock.clone();
    let deps = Deps {
        clock: scripted,
        passphrases: Box::new(FixedPassphrase(passphrase.to_owned())),
        ..deps
    };
    let mut ws = Workspace::init(dir, deps)?;
    let wait = |minutes: i64| clock.advance(minutes * MINUTE);

    use IdentityKind::{Agent, Human};
    let priya = ws
        .identity_add("Priya Raman", &[Role::ReleaseOwner, Role::Author], Human)?
        .id;
    let marcus = ws.identity_add("Marcus Ellery", &[Role::Author], Human)?.id;
    let dana = ws
        .identity_add("Dana Okafor", &[Role::Legal, Role::Reviewer], Human)?
        .id;
    let jonas = ws
        .identity_add("Jonas Whitfield", &[Role::Reviewer], Human)?
        .id;
    let helen = ws
        .identity_add("Helen Sato", &[Role::Approver, Role::ReleaseOwner], Human)?
        .id;
    let admin = ws
        .identity_add("Workspace Admin", &[Role::Admin], Human)?
        .id;
    let agent = ws
        .identity_add("Chronology Agent", &[Role::Author], Agent)?
        .id;
    wait(30);

    let packet = ws
        .packet_new(
            "Outage disclosure packet: Meridian Freight, 12 November ledger sync outage",
            &priya,
        )?
        .id;
    wait(20);
    let r1 = ws
        .packet_revise(
            &packet,
            R1.as_bytes(),
            &marcus,
            "First draft from the incident bridge notes",
        )?
        .id;
    wait(5);
    let evidence = [
        (
            "incident timeline",
            "EU ledger cluster incident timeline",
            "timeline.csv",
            TIMELINE_V1,
            &marcus,
        ),
        (
            "case management",
            "Meridian priority cases",
            "cases.md",
            CASES,
            &jonas,
        ),
        (
            "contract guidance",
            "Enterprise agreement caveats",
            "caveats.md",
            CAVEATS,
            &dana,
        ),
    ];
    for (source, title, file, text, by) in evidence {
        ws.evidence_add_bytes(
            &packet,
            source,
            title,
            file,
            text.as_bytes().to_vec(),
            Some(by),
        )?;
    }
    wait(45);
    let (legal_restored, _) = ws.objection_raise(
        &packet,
        &r1,
        "fully\nrestored",
        1,
        "\"Fully restored\" is contradicted by the reporting backfill that ran until 18:20 UTC. \
         We cannot assert it in front of executives.",
        &dana,
        true,
    )?;
    wait(10);
    let (summary_thread, _) = ws.comment_add(
        &packet,
        &r1,
        "On 12 November the ledger sync service was unavailable",
        1,
        "Keep the summary short enough for the executive lane to read in a minute.",
        &marcus,
    )?;
    ws.comment_reply(
        &summary_thread,
        "Agreed; it stays at three sentences.",
        &priya,
    )?;
    ws.comment_resolve(&summary_thread, &priya)?;
    wait(15);
    ws.comment_add(
        &packet,
        &r1,
        "for most of the working day",
        1,
        "Vague. Meridian will ask exactly when the dashboards were current again.",
        &jonas,
    )?;
    wait(24 * 60);

    let r2 = ws
        .packet_revise(
            &packet,
            R2.as_bytes(),
            &agent,
            "Chronology merge: incident timeline and case-management entries, with sources (proposed by agent)",
        )?
        .id;
    wait(60);
    let (timeline_dispute, _) = ws.objection_raise(
        &packet,
        &r2,
        "The root cause was identified as an expired replication certificate.",
        1,
        "Case notes show engineering named the cause to Meridian at 10:15, not 09:52; \
         the agent took the earlier pager note.",
        &jonas,
        false,
    )?;
    wait(20);
    ws.objection_raise(
        &packet,
        &r2,
        "no customer\ndata was lost",
        1,
        "We only have the storage team's word for this. Hold the claim until their integrity report lands.",
        &jonas,
        false,
    )?;
    wait(20);
    ws.comment_add(
        &packet,
        &r2,
        "Contractual commitments under the enterprise agreement",
        1,
        "Say plainly that this packet makes no contractual commitment.",
        &dana,
    )?;
    wait(24 * 60);

    let r3 = ws
        .packet_revise(
            &packet,
            R3.as_bytes(),
            &priya,
            "Reword the restoration claim after legal review; keep the 09:52/10:15 dispute visible; state the boundary",
        )?
        .id;
    let _ = r3;
    wait(10);
    ws.evidence_add_bytes(
        &packet,
        "incident timeline",
        "EU ledger cluster incident timeline",
        "timeline.csv",
        TIMELINE_V2.as_bytes().to_vec(),
        Some(&agent),
    )?;
    wait(20);
    ws.objection_move(
        &legal_restored,
        LedgerAction::Resolve,
        &dana,
        Some("Reworded in r3 with both times."),
    )?;
    wait(15);
    ws.objection_move(
        &timeline_dispute,
        LedgerAction::Accept,
        &priya,
        Some(
            "The incident timeline and the case notes disagree and neither can be corrected after the fact. \
             Both times stay in the packet with their sources; executive review can weigh them.",
        ),
    )?;

    wait(60);

    ws.policy_init(&admin)?;
    ws.policy_lane_add(
        LANE,
        "Executive customer review intake: internal reviewers only; no customer distribution",
        &helen,
        &[Role::Approver, Role::Legal],
        2,
        false,
    )?;
    wait(30);
    let manifest = ws.manifest_draft(&packet, LANE, 14, Some(&priya))?.digest;
    wait(45);
    ws.manifest_approve(
        &manifest,
        &dana,
        countersign_release::Meaning::Approve,
        None,
    )?;

    let runs = runs::build(
        &mut ws,
        &clock,
        &packet,
        LANE,
        &priya,
        countersign_core::Timestamp::from_unix_millis(start),
    )?;

    Ok(DemoSummary {
        workspace: ws.dir().display().to_string(),
        packet,
        release_run: runs.release,
        advocacy_run: runs.advocacy,
        passphrase: passphrase.to_owned(),
    })
}
