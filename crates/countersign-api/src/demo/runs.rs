//! The demo's run records: the outage disclosure release (its steps follow the packet, so it is
//! paused at the release-manifest approval while the director has not signed), and an advocacy
//! nomination from a customer's outcome call, paused at its advocacy and legal sign-off.

use countersign_core::model::{IdentityKind, Role};
use countersign_core::{Clock, FixedClock, Timestamp};

use crate::runs::{NewApproval, NewOutput, NewRun, NewRunFile, NewStep};
use crate::{Pattern, Result, Risk, StepOutcome, Workspace};

const ADVOCACY_CALL: &str = include_str!("advocacy-call.vtt");
const BRIDGE_REVIEW: &str = include_str!("bridge-review.md");
const CRITERIA: &str = include_str!("reference-criteria.md");
const PROOF_POINTS: &str = include_str!("proof-points.md");
const NOMINATION: &str = include_str!("nomination-package.md");

const MINUTE: i64 = 60_000;

/// The ids of the demo's runs.
pub(super) struct DemoRuns {
    pub release: String,
    pub advocacy: String,
}

/// Build both runs. `outage_at` is when the outage was declared (the demo's first moment).
pub(super) fn build(
    ws: &mut Workspace,
    clock: &FixedClock,
    packet: &str,
    lane: &str,
    priya: &str,
    outage_at: Timestamp,
) -> Result<DemoRuns> {
    let wait = |minutes: i64| clock.advance(minutes * MINUTE);

    // The packet's release, as a run: its steps are derived from the packet.
    wait(10);
    let release = ws
        .run_new(
            &NewRun {
                name: "Outage disclosure release: Meridian Freight".into(),
                pattern: Pattern::External,
                owner: priya.into(),
                trigger: "Major incident declared: EU ledger sync outage".into(),
                trigger_source: Some("Incident management".into()),
                trigger_at: Some(outage_at),
                packet: Some(packet.into()),
                lane: Some(lane.into()),
            },
            None,
        )?
        .id;
    let bridge_held = outage_at.plus_millis(9 * 60 * MINUTE).to_string();
    ws.run_import_meeting_bytes(
        &release,
        "bridge-review.md",
        BRIDGE_REVIEW
            .replace("{{HELD_AT}}", &bridge_held)
            .as_bytes(),
        None,
        None,
    )?;
    ws.run_link_roadmap(
        &release,
        "OPS-57",
        "Publish a backfill-complete signal on the status page",
        Some("https://roadmap.example.com/items/OPS-57"),
        None,
    )?;

    // Late the next morning: an outcome call with another customer starts an advocacy run.
    wait(13 * 60);
    let agent = ws
        .identity_add("Advocacy Agent", &[Role::Author], IdentityKind::Agent)?
        .id;
    let noor = ws
        .identity_add("Noor Haddad", &[Role::Reviewer], IdentityKind::Human)?
        .id;
    let call_at = clock.now().plus_millis(-90 * MINUTE);
    let advocacy = ws
        .run_new(
            &NewRun {
                name: "Advocacy nomination: Halvorsen Cold Chain".into(),
                pattern: Pattern::External,
                owner: agent.clone(),
                trigger: "Outcome call with measurable results detected".into(),
                trigger_source: Some("Customer call analytics".into()),
                trigger_at: Some(call_at.plus_millis(30 * MINUTE)),
                packet: None,
                lane: None,
            },
            None,
        )?
        .id;
    let call = ws
        .run_import_meeting_bytes(
            &advocacy,
            "halvorsen-outcome-review.vtt",
            ADVOCACY_CALL
                .replace("{{RECORDED_AT}}", &call_at.to_string())
                .as_bytes(),
            None,
            None,
        )?
        .id;
    let approval = ws
        .run_add_approval(
            &advocacy,
            &NewApproval {
                title: "Nominate Halvorsen Cold Chain as a public reference".into(),
                risk: Risk::Medium,
                requirement:
                    "Advocacy and legal review: the customer's written consent to be named, \
                              and the 31% figure quoted from their own quarterly report"
                        .into(),
                roles: vec![Role::Legal],
                approvers: vec![noor.clone()],
            },
            None,
        )?
        .id;
    for step in [
        NewStep {
            name: "Find proof points".into(),
            description: Some("Reading the call for outcomes the customer states themselves".into()),
            gate: None,
            rework_to: None,
        },
        NewStep {
            name: "Draft the nomination package".into(),
            description: Some("Drafting the nomination with every claim traced to its source".into()),
            gate: None,
            rework_to: None,
        },
        NewStep {
            name: "Advocacy and legal sign-off".into(),
            description: Some(
                "Nothing goes to the reference programme or to the customer before it is signed off"
                    .into(),
            ),
            gate: Some(approval.clone()),
            rework_to: Some(2),
        },
    ] {
        ws.run_add_step(&advocacy, &step, None)?;
    }
    let criteria = ws
        .run_add_file_bytes(
            &advocacy,
            &NewRunFile {
                title: Some("Reference programme criteria".into()),
                file_name: "reference-criteria.md".into(),
                bytes: CRITERIA.as_bytes().to_vec(),
                step: None,
                inputs: Vec::new(),
            },
            None,
        )?
        .id;
    wait(12);
    let proof = ws
        .run_add_file_bytes(
            &advocacy,
            &NewRunFile {
                title: Some("Proof points".into()),
                file_name: "proof-points.md".into(),
                bytes: PROOF_POINTS.as_bytes().to_vec(),
                step: Some(1),
                inputs: vec![call.clone(), "trigger".into()],
            },
            None,
        )?
        .id;
    ws.run_add_output(
        &advocacy,
        &NewOutput {
            kind: "CRM note".into(),
            text: "Log the quarterly outcome review on the Halvorsen Cold Chain account: spoiled \
                   loads down about a third; drivers now act on temperature alerts."
                .into(),
            step: Some(1),
            approval: None,
            inputs: vec![call.clone()],
        },
        None,
    )?;
    ws.run_complete_step(
        &advocacy,
        1,
        StepOutcome::Completed,
        Some(
            "The customer states a drop of about a third in spoiled loads and says drivers now \
             act on the alerts; she is willing to speak publicly once her legal team has seen the wording.",
        ),
        None,
    )?;
    wait(25);
    let package = ws
        .run_add_file_bytes(
            &advocacy,
            &NewRunFile {
                title: Some("Nomination package".into()),
                file_name: "nomination-package.md".into(),
                bytes: NOMINATION.as_bytes().to_vec(),
                step: Some(2),
                inputs: vec![proof.clone(), criteria, call.clone()],
            },
            None,
        )?
        .id;
    for (kind, text, inputs) in [
        (
            "Reference nomination",
            "Add Halvorsen Cold Chain to the reference programme, with Ines Halvorsen as the named speaker.",
            vec![package.clone()],
        ),
        (
            "Follow-up email draft",
            "Thank Ines for the review and ask her legal team to confirm the wording of the spoilage \
             figure before anything is published.",
            vec![package.clone(), call.clone()],
        ),
    ] {
        ws.run_add_output(
            &advocacy,
            &NewOutput {
                kind: kind.into(),
                text: text.into(),
                step: Some(2),
                approval: Some(approval.clone()),
                inputs,
            },
            None,
        )?;
    }
    ws.run_complete_step(
        &advocacy,
        2,
        StepOutcome::Completed,
        Some(
            "The nomination package was drafted with each claim traced to the call or to the \
             customer's own report, and checked against the programme criteria.",
        ),
        None,
    )?;
    wait(5);
    ws.run_link_roadmap(
        &advocacy,
        "RPT-88",
        "Scheduled export of the spoilage trend report",
        Some("https://roadmap.example.com/items/RPT-88"),
        None,
    )?;
    ws.run_link_roadmap(
        &advocacy,
        "ADV-212",
        "Record customer consent for reference use on the account",
        Some("https://roadmap.example.com/items/ADV-212"),
        None,
    )?;
    Ok(DemoRuns { release, advocacy })
}
