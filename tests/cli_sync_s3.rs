//! Sync through a real S3-compatible server (SeaweedFS on 127.0.0.1, started by
//! `scripts/s3-test`, which sets COUNTERSIGN_TEST_S3_ENDPOINT and the credentials). Without a
//! server these tests say so and pass: the folder tests run the same scenarios.

use crate::sync_support::*;

fn place() -> Option<Place> {
    let p = Place::s3();
    if p.is_none() {
        eprintln!("skipped: no S3 server (run scripts/s3-test, which starts one)");
    }
    p
}

#[test]
fn sync_s3_two_replicas_work_apart_and_agree() {
    if let Some(p) = place() {
        two_replicas(&p);
    }
}

#[test]
fn sync_s3_three_replicas_work_apart_and_agree() {
    if let Some(p) = place() {
        three_replicas(&p);
    }
}

#[test]
fn sync_s3_concurrent_revisions_diverge_and_the_owner_merges() {
    if let Some(p) = place() {
        divergence(&p);
    }
}

#[test]
fn sync_s3_concurrent_ledger_moves_are_kept_as_conflicts() {
    if let Some(p) = place() {
        ledger_conflict(&p);
    }
}

#[test]
fn sync_s3_bad_ops_are_quarantined_while_good_ops_apply() {
    if let Some(p) = place() {
        quarantine(&p);
    }
}

#[test]
fn sync_s3_ops_by_a_key_revoked_concurrently_converge_and_are_flagged() {
    if let Some(p) = place() {
        revoked_concurrently(&p);
    }
}

#[test]
fn sync_s3_one_key_signs_a_push_and_every_op_is_checked_by_its_makers_key() {
    if let Some(p) = place() {
        one_key_pushes(&p);
    }
}

#[test]
fn sync_s3_an_op_waits_for_what_its_replica_had_applied() {
    if let Some(p) = place() {
        causal_delivery(&p);
    }
}

#[test]
fn sync_s3_a_sync_killed_part_way_finishes_with_no_duplicate_and_no_loss() {
    if let Some(p) = place() {
        killed_part_way(&p);
    }
}

#[test]
fn sync_s3_the_server_is_probed_for_create_only_puts() {
    if let Some(p) = place() {
        probe_reported(&p, "honoured");
    }
}
