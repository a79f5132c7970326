//! Deterministic sample data for the benchmark, the `render_bench` example and
//! `scripts/bench-render.sh`. Not part of the supported API.

use std::fmt::Write as _;
use std::ops::Range;

/// SplitMix64: tiny, deterministic, good enough for sample text.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform-ish in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'s>(&mut self, items: &[&'s str]) -> &'s str {
        items[self.below(items.len())]
    }
}

const SUBJECTS: &[&str] = &[
    "The primary storage cluster",
    "Our on-call engineer",
    "The regional load balancer",
    "The metadata service",
    "A configuration push",
    "The failover controller",
    "Customer-facing dashboards",
    "The replication pipeline",
    "The incident commander",
    "Automated health checks",
    "The change advisory board",
    "Billing reconciliation jobs",
];

const VERBS: &[&str] = &[
    "degraded",
    "reported elevated latency for",
    "failed to acknowledge",
    "rolled back",
    "throttled requests to",
    "lost quorum with",
    "silently retried",
    "escalated",
    "paged the owners of",
    "misrouted traffic to",
    "recovered",
    "was isolated from",
];

const OBJECTS: &[&str] = &[
    "the eu-west storage tier",
    "approximately 14% of write requests",
    "the secondary replica set",
    "customer uploads in three regions",
    "the status page",
    "the internal paging system",
    "scheduled backups",
    "the authentication gateway",
    "queued webhook deliveries",
    "the object index",
    "long-running export jobs",
    "the audit log shipper",
];

const TAILS: &[&str] = &[
    "before the alert threshold was reached",
    "while the maintenance window was still open",
    "because a stale lease was never released",
    "after the deploy freeze had been lifted",
    "during peak traffic in the affected region",
    "without any customer data being lost",
    "which delayed detection by several minutes",
    "as documented in the runbook",
    "until manual intervention restored service",
    "although monitoring showed no anomalies",
];

const WORDS: &[&str] = &[
    "impact",
    "mitigation",
    "timeline",
    "root cause",
    "detection",
    "remediation",
    "customer",
    "latency",
    "availability",
    "durability",
    "commitment",
    "disclosure",
    "residual risk",
    "owner",
    "deadline",
    "postmortem",
];

const CODES: &[&str] = &[
    "db-primary-03",
    "lease_timeout_ms",
    "kubectl rollout undo",
    "HTTP 503",
    "storage.replication.lag",
    "cfg-2024-11-07T14:02Z",
    "retry_budget = 0.2",
    "SIGTERM",
];

const HOSTS: &[&str] = &[
    "https://status.example.com/incidents/",
    "https://runbooks.example.com/storage/",
    "https://tickets.example.com/browse/OPS-",
    "./appendix.md#item-",
];

const SECTION_TITLES: &[&str] = &[
    "Summary of impact",
    "Timeline of the incident",
    "Detection and escalation",
    "Root cause analysis",
    "Customer communication",
    "Remediation commitments",
    "Residual risk",
    "Open questions for reviewers",
];

const ROLES: &[&str] = &[
    "SRE",
    "Storage",
    "Comms",
    "Support",
    "Security",
    "Leadership",
];

/// One sentence with occasional inline markup.
fn sentence(rng: &mut Rng, out: &mut String, footnotes: &mut Vec<usize>, next_fn: &mut usize) {
    let subject = rng.pick(SUBJECTS);
    let verb = rng.pick(VERBS);
    let object = rng.pick(OBJECTS);
    let tail = rng.pick(TAILS);
    out.push_str(subject);
    out.push(' ');
    match rng.below(6) {
        0 => {
            let _ = write!(out, "*{verb}*");
        }
        1 => {
            let _ = write!(out, "**{verb}**");
        }
        _ => out.push_str(verb),
    }
    out.push(' ');
    match rng.below(7) {
        0 => {
            let host = rng.pick(HOSTS);
            let n = rng.below(9000) + 1000;
            let _ = write!(out, "[{object}]({host}{n})");
        }
        1 => {
            let code = rng.pick(CODES);
            let _ = write!(out, "{object} (see `{code}`)");
        }
        2 => {
            let w = rng.pick(WORDS);
            let _ = write!(out, "{object} &amp; the _{w}_ plan");
        }
        _ => out.push_str(object),
    }
    out.push(' ');
    out.push_str(tail);
    if rng.below(9) == 0 {
        let n = *next_fn;
        *next_fn += 1;
        footnotes.push(n);
        let _ = write!(out, "[^n{n}]");
    }
    out.push('.');
}

fn paragraph(rng: &mut Rng, out: &mut String, footnotes: &mut Vec<usize>, next_fn: &mut usize) {
    let sentences = 3 + rng.below(4);
    for i in 0..sentences {
        if i > 0 {
            // Wrap lines now and then, like hand-edited markdown.
            out.push(if rng.below(3) == 0 { '\n' } else { ' ' });
        }
        sentence(rng, out, footnotes, next_fn);
    }
    out.push_str("\n\n");
}

fn list(rng: &mut Rng, out: &mut String) {
    let items = 3 + rng.below(4);
    let tasks = rng.below(3) == 0;
    for _ in 0..items {
        out.push_str("- ");
        if tasks {
            out.push_str(if rng.below(2) == 0 { "[x] " } else { "[ ] " });
        }
        let w = rng.pick(WORDS);
        let o = rng.pick(OBJECTS);
        let role = rng.pick(ROLES);
        match rng.below(4) {
            0 => {
                let _ = write!(out, "**{w}**: {o} ({role})");
            }
            1 => {
                let c = rng.pick(CODES);
                let _ = write!(out, "Verify `{c}` for {o}, owned by {role}");
            }
            2 => {
                let _ = write!(out, "~~{o}~~ replaced by the {w} review");
            }
            _ => {
                let t = rng.pick(TAILS);
                let _ = write!(out, "{role} to confirm the {w} {t}");
            }
        }
        out.push('\n');
    }
    out.push('\n');
}

fn table(rng: &mut Rng, out: &mut String) {
    out.push_str("| Time (UTC) | Event | Owner |\n|:-----------|-------|------:|\n");
    let rows = 4 + rng.below(5);
    let mut minute = rng.below(60);
    for _ in 0..rows {
        minute += 1 + rng.below(9);
        let s = rng.pick(SUBJECTS);
        let v = rng.pick(VERBS);
        let o = rng.pick(OBJECTS);
        let role = rng.pick(ROLES);
        let _ = writeln!(
            out,
            "| {:02}:{:02} | {s} *{v}* {o} | {role} |",
            14 + minute / 60,
            minute % 60
        );
    }
    out.push('\n');
}

/// A deterministic markdown document of at least `target_bytes` bytes, in the
/// spirit of an outage disclosure packet: headings, paragraphs with emphasis,
/// links, code spans and footnotes, bullet and task lists, tables.
pub fn sample_markdown(target_bytes: usize) -> String {
    let mut rng = Rng(0x00C0_FFEE_D15C_105E);
    let mut out = String::with_capacity(target_bytes + 8192);
    out.push_str("# Outage disclosure packet: regional storage degradation\n\n");
    let mut next_fn = 1usize;
    let mut section = 0usize;
    while out.len() < target_bytes {
        section += 1;
        let title = SECTION_TITLES[section % SECTION_TITLES.len()];
        let _ = write!(out, "## {section}. {title}\n\n");
        let mut footnotes = Vec::new();
        for block in 0..(3 + rng.below(4)) {
            match (block, rng.below(5)) {
                (0, _) | (_, 0..=1) => paragraph(&mut rng, &mut out, &mut footnotes, &mut next_fn),
                (_, 2) => list(&mut rng, &mut out),
                (_, 3) => table(&mut rng, &mut out),
                _ => {
                    let _ = write!(out, "### {section}.{block} Reviewer notes\n\n");
                    paragraph(&mut rng, &mut out, &mut footnotes, &mut next_fn);
                }
            }
        }
        for n in footnotes {
            let t = rng.pick(TAILS);
            let w = rng.pick(WORDS);
            let _ = write!(out, "[^n{n}]: Clarification on {w}: {t}.\n\n");
        }
    }
    out
}

/// `n` highlights on words and short phrases spread evenly through `md`, each
/// starting at a word that follows a space (so mostly prose, not URLs) and
/// covering one to four words. Ids are `anchor-0000`, `anchor-0001`, ….
/// Returns fewer than `n` when `md` runs out of words.
pub fn sample_highlights(md: &str, n: usize) -> Vec<(Range<usize>, String)> {
    let bytes = md.as_bytes();
    let mut rng = Rng(0x0A11_CE5A_11CE_0001);
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return out;
    }
    for i in 0..n {
        let mut pos = md.len() / n * i + rng.below(md.len() / n / 2 + 1);
        // Find a word start: an ASCII letter preceded by a space.
        while pos < bytes.len()
            && !(bytes[pos].is_ascii_alphabetic() && pos > 0 && bytes[pos - 1] == b' ')
        {
            pos += 1;
        }
        if pos >= bytes.len() {
            break;
        }
        let words = 1 + rng.below(4);
        let mut end = pos;
        for w in 0..words {
            if w > 0 {
                // Skip to the next word, through spaces and markup.
                let mut next = end;
                while next < bytes.len() && !bytes[next].is_ascii_alphanumeric() {
                    if bytes[next] == b'\n' {
                        break;
                    }
                    next += 1;
                }
                if next >= bytes.len() || !bytes[next].is_ascii_alphanumeric() {
                    break;
                }
                end = next;
            }
            while end < bytes.len() && bytes[end].is_ascii_alphanumeric() {
                end += 1;
            }
        }
        out.push((pos..end, format!("anchor-{i:04}")));
    }
    out
}
