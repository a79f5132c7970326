//! The benchmark's workload, scaled down: the batch path agrees with the one-by-one path on
//! realistic text with every kind of outcome.

use countersign_core::anchor::{Resolution, reanchor, reanchor_all};

#[path = "../benches/support/corpus.rs"]
mod corpus;

#[test]
fn reanchor_all_matches_reanchor_on_the_benchmark_workload() {
    let w = corpus::workload(48 * 1024, 800);
    let all = reanchor_all(&w.anchors, &w.new);
    let each: Vec<Resolution> = w.anchors.iter().map(|a| reanchor(a, &w.new)).collect();
    assert_eq!(all, each);
    let exact = all
        .iter()
        .filter(|r| matches!(r, Resolution::Anchored { exact: true, .. }))
        .count();
    let fuzzy = all
        .iter()
        .filter(|r| matches!(r, Resolution::Anchored { exact: false, .. }))
        .count();
    let outdated = all
        .iter()
        .filter(|r| matches!(r, Resolution::Outdated))
        .count();
    assert!(
        exact > 700 && fuzzy > 0 && outdated > 0,
        "{exact} {fuzzy} {outdated}"
    );
    // Onto the unchanged text every anchor is found exactly where it was.
    for (a, r) in w.anchors.iter().zip(reanchor_all(&w.anchors, &w.old)) {
        assert_eq!(
            r,
            Resolution::Anchored {
                anchor: a.clone(),
                exact: true
            }
        );
    }
}
