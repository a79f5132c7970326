//! A deterministic ~1 MiB markdown-ish packet, 10,000 anchors into it and a new revision with
//! scattered edits: the workload of the re-anchoring benchmark (`benches/reanchor.rs`) and of
//! `examples/reanchor_bench.rs`.

use countersign_core::anchor::{Anchor, anchor_at_bytes};

/// Old text, anchors into it, new text.
pub struct Workload {
    /// The revision the anchors were made on.
    pub old: String,
    /// The anchors.
    pub anchors: Vec<Anchor>,
    /// The new revision.
    pub new: String,
}

const WORDS: &[&str] = &[
    "the",
    "supplier",
    "shall",
    "deliver",
    "goods",
    "within",
    "thirty",
    "days",
    "of",
    "order",
    "payment",
    "is",
    "due",
    "on",
    "delivery",
    "by",
    "bank",
    "transfer",
    "to",
    "account",
    "named",
    "in",
    "invoice",
    "either",
    "party",
    "may",
    "terminate",
    "this",
    "agreement",
    "with",
    "written",
    "notice",
    "committee",
    "reviews",
    "budget",
    "each",
    "quarter",
    "and",
    "publishes",
    "minutes",
    "members",
    "vote",
    "proposals",
    "quorum",
    "requires",
    "majority",
    "present",
    "chair",
    "casts",
    "deciding",
    "ballot",
    "where",
    "votes",
    "are",
    "tied",
    "treasurer",
    "reports",
    "expenses",
    "over",
    "limit",
    "approved",
    "advance",
    "policy",
    "applies",
    "all",
    "staff",
    "contractors",
    "volunteers",
    "working",
    "on",
    "behalf",
    "association",
    "data",
    "retention",
    "period",
    "personal",
    "records",
    "deleted",
    "after",
    "seven",
    "years",
    "unless",
    "law",
    "requires",
    "longer",
    "storage",
    "access",
    "restricted",
    "authorised",
    "officers",
    "breach",
    "reported",
    "immediately",
    "secretary",
    "who",
    "informs",
    "regulator",
    "seventy-two",
    "hours",
    "annual",
    "general",
    "meeting",
    "held",
    "before",
    "end",
    "june",
    "notice",
    "sent",
    "twenty-one",
    "clear",
    "amendments",
    "constitution",
    "need",
    "two-thirds",
    "special",
    "resolution",
    "résumé",
    "naïve",
    "café",
    "coöperation",
    "façade",
    "déjà",
    "vu",
    "—",
    "über",
    "straße",
    "grant",
    "funding",
    "renewed",
    "subject",
    "satisfactory",
    "progress",
    "milestones",
    "met",
    "schedule",
    "appendix",
    "b",
    "lists",
    "contacts",
    "responsibilities",
    "escalation",
    "path",
    "incident",
    "response",
    "plan",
    "tested",
    "twice",
    "year",
    "results",
    "filed",
    "register",
    "conflicts",
    "interest",
    "declared",
    "start",
    "every",
    "item",
    "discussed",
    "recorded",
    "minute",
    "book",
    "signed",
    "countersigned",
    "witness",
    "present",
    "signing",
    "ceremony",
];

/// splitmix64: small, seeded, good enough for a workload.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    fn word(&mut self) -> &'static str {
        WORDS[self.below(WORDS.len())]
    }
}

fn sentence(rng: &mut Rng, out: &mut String) {
    let n = rng.range(6, 22);
    for i in 0..n {
        let w = rng.word();
        if i == 0 {
            let mut cs = w.chars();
            if let Some(c) = cs.next() {
                out.extend(c.to_uppercase());
                out.push_str(cs.as_str());
            }
        } else {
            out.push(' ');
            out.push_str(w);
        }
        if i + 1 < n && rng.below(9) == 0 {
            out.push(',');
        }
    }
    out.push('.');
}

fn paragraph(rng: &mut Rng, out: &mut String, sentences: &mut Vec<(usize, usize)>) {
    if rng.below(6) == 0 {
        for _ in 0..rng.range(2, 5) {
            out.push_str("- ");
            let s = out.len();
            sentence(rng, out);
            sentences.push((s, out.len()));
            out.push('\n');
        }
    } else {
        for i in 0..rng.range(2, 7) {
            if i > 0 {
                out.push(' ');
            }
            let s = out.len();
            sentence(rng, out);
            sentences.push((s, out.len()));
        }
        out.push('\n');
    }
    out.push('\n');
}

/// Build the workload: `target_bytes` of text and `anchors` anchors.
pub fn workload(target_bytes: usize, anchors: usize) -> Workload {
    let mut rng = Rng(0x00C0_FFEE_2024);
    let mut old = String::with_capacity(target_bytes + 4096);
    let mut sentences: Vec<(usize, usize)> = Vec::new();
    let mut paragraph_starts: Vec<usize> = Vec::new();
    let mut section = 0;
    while old.len() < target_bytes {
        if rng.below(8) == 0 {
            section += 1;
            old.push_str(&format!("## {section}. {} {}\n\n", rng.word(), rng.word()));
        }
        paragraph_starts.push(old.len());
        paragraph(&mut rng, &mut old, &mut sentences);
    }

    // Anchors: 3 to 8 words starting at a word inside a random sentence.
    let mut quotes: Vec<(usize, usize)> = Vec::with_capacity(anchors);
    while quotes.len() < anchors {
        let (s, e) = sentences[rng.below(sentences.len())];
        let words: Vec<usize> = std::iter::once(s)
            .chain(old[s..e].match_indices(' ').map(|(i, _)| s + i + 1))
            .collect();
        let n = rng.range(3, 8);
        if words.len() < n {
            continue;
        }
        let first = rng.below(words.len() - n + 1);
        let b0 = words[first];
        let b1 = words.get(first + n).map_or(e, |&next| next - 1);
        quotes.push((b0, b1));
    }
    let anchors: Vec<Anchor> = quotes
        .iter()
        .map(|&(b0, b1)| anchor_at_bytes(&old, b0..b1))
        .collect();

    // Edits: (old byte offset, bytes deleted, inserted text), applied in one pass.
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    // ~2% of the quotes get one word changed.
    for &(b0, b1) in &quotes {
        if rng.below(50) != 0 {
            continue;
        }
        let spaces: Vec<usize> = old[b0..b1]
            .match_indices(' ')
            .map(|(i, _)| b0 + i + 1)
            .collect();
        let ws = spaces[rng.below(spaces.len())];
        let we = old[ws..b1].find([' ', ',']).map_or(b1, |i| ws + i);
        edits.push((ws, we - ws, rng.word().to_owned() + "x"));
    }
    // ~1% of the sentences are deleted.
    for &(s, e) in &sentences {
        if rng.below(100) == 0 {
            edits.push((s, e - s, String::new()));
        }
    }
    // ~2% more paragraphs are inserted.
    for &p in &paragraph_starts {
        if rng.below(50) == 0 {
            let mut ins = String::new();
            let mut ignored = Vec::new();
            paragraph(&mut rng, &mut ins, &mut ignored);
            edits.push((p, 0, ins));
        }
    }
    edits.sort_by_key(|e| e.0);
    let mut new = String::with_capacity(old.len() + 65_536);
    let mut at = 0;
    for (pos, del, ins) in edits {
        if pos < at {
            continue; // overlaps the previous edit
        }
        new.push_str(&old[at..pos]);
        new.push_str(&ins);
        at = pos + del;
    }
    new.push_str(&old[at..]);
    Workload { old, anchors, new }
}
