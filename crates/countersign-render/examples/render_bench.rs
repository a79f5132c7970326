//! Timing harness shared with `scripts/bench-render.sh`.
//!
//! * `render_bench --write PATH` writes the ~1 MiB sample packet to PATH.
//! * `render_bench --time PATH N` renders PATH N times with 1,000 highlights
//!   and prints `countersign-render median_ms=X`.

use std::hint::black_box;
use std::time::Instant;

use countersign_render::bench_support::{sample_highlights, sample_markdown};
use countersign_render::{Highlight, render_html};

const CLASSES: [&str; 4] = ["objection", "comment", "residual", "outdated"];

fn usage() -> ! {
    eprintln!("usage: render_bench --write PATH | --time PATH N");
    std::process::exit(2);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["--write", path] => {
            let md = sample_markdown(1 << 20);
            std::fs::write(path, &md).expect("write sample markdown");
            eprintln!("wrote {} bytes to {path}", md.len());
        }
        ["--time", path, n] => {
            let runs: usize = n.parse().expect("N must be a positive integer");
            let runs = runs.max(1);
            let md = std::fs::read_to_string(path).expect("read markdown file");
            let raw = sample_highlights(&md, 1000);
            let highlights: Vec<Highlight<'_>> = raw
                .iter()
                .enumerate()
                .map(|(i, (range, id))| Highlight {
                    range: range.clone(),
                    id,
                    class: CLASSES[i % CLASSES.len()],
                })
                .collect();
            // Warm up caches and the allocator.
            black_box(render_html(&md, &highlights));
            let mut times: Vec<f64> = (0..runs)
                .map(|_| {
                    let t = Instant::now();
                    let html = render_html(black_box(&md), black_box(&highlights));
                    let ms = t.elapsed().as_secs_f64() * 1000.0;
                    black_box(html);
                    ms
                })
                .collect();
            times.sort_by(f64::total_cmp);
            let median = times[times.len() / 2];
            println!("countersign-render median_ms={median:.3}");
        }
        _ => usage(),
    }
}
