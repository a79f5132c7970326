#!/usr/bin/env bash
# Benchmark countersign-render against cmark-gfm on the same ~1 MiB sample packet.
#
# Usage: scripts/bench-render.sh [RUNS]   (default 30; or set RUNS in the environment)
#
# countersign-render is timed in-process (render_html with 1,000 highlights,
# median of RUNS); cmark-gfm is timed as a whole process (median of RUNS), which
# is how it would be used. Prints both medians and their ratio.
set -euo pipefail

RUNS="${1:-${RUNS:-30}}"
if ! [[ "$RUNS" =~ ^[1-9][0-9]*$ ]]; then
    echo "RUNS must be a positive integer, got '$RUNS'" >&2
    exit 2
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if ! command -v cmark-gfm >/dev/null 2>&1; then
    echo "installing cmark-gfm ..." >&2
    if ! apt-get install -y cmark-gfm >&2; then
        apt-get update >&2
        apt-get install -y cmark-gfm >&2
    fi
fi

cd "$ROOT"
cargo build --release -p countersign-render --example render_bench >&2
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/render_bench"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
SAMPLE="$TMP/packet.md"
"$BIN" --write "$SAMPLE" >&2

# countersign-render: in-process median.
ours_line="$("$BIN" --time "$SAMPLE" "$RUNS")"
ours_ms="${ours_line##*median_ms=}"

# cmark-gfm: one warm-up run (page cache), then RUNS timed runs.
CMARK=(cmark-gfm -e table -e strikethrough -e tasklist -e autolink)
"${CMARK[@]}" "$SAMPLE" >/dev/null
times=()
for ((i = 0; i < RUNS; i++)); do
    start="$(date +%s%N)"
    "${CMARK[@]}" "$SAMPLE" >/dev/null
    end="$(date +%s%N)"
    times+=("$((end - start))")
done
median_ns="$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$((RUNS / 2 + 1))p")"
cmark_ms="$(awk -v ns="$median_ns" 'BEGIN { printf "%.3f", ns / 1e6 }')"
ratio="$(awk -v a="$ours_ms" -v b="$cmark_ms" 'BEGIN { printf "%.3f", a / b }')"

echo "sample: $(wc -c <"$SAMPLE") bytes, 1000 highlights, $RUNS runs each"
echo "countersign-render median_ms=$ours_ms"
echo "cmark-gfm median_ms=$cmark_ms"
echo "ratio (countersign/cmark-gfm) = $ratio (target <= 1.0)"
