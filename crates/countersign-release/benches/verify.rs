//! Verifying 10,000 bundles (a manifest and three approvals each) against one prepared policy,
//! next to the bare ed25519 checks they contain: the difference is the verifier's own overhead.
//! After criterion's report, prints `raw_ed25519 / verify` (target ≥ 0.7).

mod support;

use criterion::{Criterion, Throughput};

use support::{APPROVALS, BUNDLES, Workload, best_of, ms, workload};

fn bench(c: &mut Criterion, w: &Workload) {
    let mut group = c.benchmark_group("verify_10k_bundles");
    group.sample_size(10);
    group.throughput(Throughput::Elements(BUNDLES as u64));
    group.bench_function("verify_bundle_with", |b| b.iter(|| w.verify_all()));
    group.bench_function("raw_ed25519_verify_strict", |b| b.iter(|| w.raw_all()));
    group.bench_function("verify_bundle_unprepared", |b| {
        b.iter(|| w.verify_all_unprepared())
    });
    group.finish();
}

fn main() {
    let w = workload(BUNDLES);
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c, &w);
    c.final_summary();
    let ours = best_of(3, || w.verify_all());
    let raw = best_of(3, || w.raw_all());
    println!(
        "verify bundles={BUNDLES} approvals={APPROVALS} ours_ms={:.1} raw_ed25519_ms={:.1} ratio={:.3} (target >= 0.7)",
        ms(ours),
        ms(raw),
        raw.as_secs_f64() / ours.as_secs_f64()
    );
}
