//! Verify 10,000 bundles (a manifest and three approvals each) against one prepared policy, time
//! the bare ed25519 checks they contain, and print one line with the ratio (target ≥ 0.7).
//!
//! `cargo run --release -p countersign-release --example verify_bench`

#[path = "../benches/support/mod.rs"]
mod support;

use support::{APPROVALS, BUNDLES, best_of, ms, workload};

fn main() {
    let w = workload(BUNDLES);
    // Warm up, then take the best of a few rounds of each.
    w.verify_all();
    w.raw_all();
    let ours = best_of(3, || w.verify_all());
    let raw = best_of(3, || w.raw_all());
    println!(
        "verify bundles={BUNDLES} approvals={APPROVALS} ours_ms={:.1} raw_ed25519_ms={:.1} ratio={:.3} (target >= 0.7)",
        ms(ours),
        ms(raw),
        raw.as_secs_f64() / ours.as_secs_f64()
    );
}
