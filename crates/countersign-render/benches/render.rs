//! Criterion benchmark: render a ~1 MiB sample packet with 1,000 highlights.

use std::hint::black_box;

use countersign_render::bench_support::{sample_highlights, sample_markdown};
use countersign_render::{Highlight, render_html};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const CLASSES: [&str; 4] = ["objection", "comment", "residual", "outdated"];

fn bench_render(c: &mut Criterion) {
    let md = sample_markdown(1 << 20);
    let raw = sample_highlights(&md, 1000);
    assert_eq!(raw.len(), 1000, "generator should place 1,000 highlights");
    let highlights: Vec<Highlight<'_>> = raw
        .iter()
        .enumerate()
        .map(|(i, (range, id))| Highlight {
            range: range.clone(),
            id,
            class: CLASSES[i % CLASSES.len()],
        })
        .collect();

    let mut group = c.benchmark_group("render");
    group.throughput(Throughput::Bytes(md.len() as u64));
    group.sample_size(30);
    group.bench_function("1MiB_1000_highlights", |b| {
        b.iter(|| render_html(black_box(&md), black_box(&highlights)))
    });
    group.bench_function("1MiB_plain", |b| {
        b.iter(|| render_html(black_box(&md), &[]))
    });
    group.finish();
}

criterion_group!(benches, bench_render);
criterion_main!(benches);
