//! Benchmark: re-anchor 10,000 anchors onto a new ~1 MiB revision.

use std::hint::black_box;

use countersign_core::anchor::{reanchor, reanchor_all};
use criterion::{Criterion, criterion_group, criterion_main};

#[path = "support/corpus.rs"]
mod corpus;

fn bench_reanchor(c: &mut Criterion) {
    let w = corpus::workload(1 << 20, 10_000);
    let mut group = c.benchmark_group("reanchor");
    group.sample_size(20);
    group.bench_function("reanchor_all_10k_anchors_1MiB", |b| {
        b.iter(|| reanchor_all(black_box(&w.anchors), black_box(&w.new)))
    });
    group.bench_function("reanchor_all_10k_anchors_1MiB_unchanged", |b| {
        b.iter(|| reanchor_all(black_box(&w.anchors), black_box(&w.old)))
    });
    group.bench_function("reanchor_single_1MiB", |b| {
        b.iter(|| reanchor(black_box(&w.anchors[0]), black_box(&w.new)))
    });
    group.finish();
}

criterion_group!(benches, bench_reanchor);
criterion_main!(benches);
