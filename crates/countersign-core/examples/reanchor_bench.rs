//! Times `reanchor_all` on the benchmark workload and prints one line:
//! `reanchor_all anchors=10000 bytes=N median_ms=X` (the median of 21 runs).
//! Run it with `cargo run --release -p countersign-core --example reanchor_bench`.

use std::time::Instant;

use countersign_core::anchor::{Resolution, reanchor_all};

#[path = "../benches/support/corpus.rs"]
mod corpus;

fn main() {
    let w = corpus::workload(1 << 20, 10_000);
    let mut times: Vec<f64> = Vec::new();
    let mut last = Vec::new();
    for _ in 0..21 {
        let t = Instant::now();
        last = reanchor_all(&w.anchors, &w.new);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let (mut exact, mut fuzzy, mut outdated) = (0, 0, 0);
    for r in &last {
        match r {
            Resolution::Anchored { exact: true, .. } => exact += 1,
            Resolution::Anchored { exact: false, .. } => fuzzy += 1,
            Resolution::Outdated => outdated += 1,
        }
    }
    eprintln!(
        "old_bytes={} exact={exact} fuzzy={fuzzy} outdated={outdated} min_ms={:.3} max_ms={:.3}",
        w.old.len(),
        times[0],
        times[times.len() - 1]
    );
    println!(
        "reanchor_all anchors={} bytes={} median_ms={:.3}",
        w.anchors.len(),
        w.new.len(),
        times[times.len() / 2]
    );
}
