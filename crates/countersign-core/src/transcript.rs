//! Meeting transcripts, as a run record imports them: WebVTT (`.vtt`), plain text (`.txt`) and
//! markdown (`.md`). Pure parsing: bytes and a file name in, a [`Transcript`] out.
//!
//! - **Participants** come from WebVTT voice tags (`<v Name>`, `<v.class Name>`), from speaker
//!   prefixes (`Name: …`, `**Name:** …`, `[00:01:02] Name: …`) and from `Participants:` /
//!   `Attendees:` lines, in order of first appearance, each once.
//! - **Title**: the WebVTT header text (`WEBVTT - Title`), the first markdown heading, a
//!   `Title:` line, or else the file name.
//! - **Time**: a date in the header (`Date: 2026-11-18 15:00`, an RFC 3339 time in a WebVTT
//!   `NOTE`, a date in the title); when the transcript names none, the caller falls back to the
//!   file's modification time.
//! - Refused: another extension, more than [`MAX_TRANSCRIPT_BYTES`], bytes that are not UTF-8,
//!   an empty file, a `.vtt` without its `WEBVTT` signature, a malformed cue timing.

use serde::{Deserialize, Serialize};
use time::{Date, Month, PrimitiveDateTime, Time, UtcOffset};

use crate::digest::Digest;
use crate::text::normalize;
use crate::time::Timestamp;

/// The largest transcript accepted: 4 MiB (hours of talk).
pub const MAX_TRANSCRIPT_BYTES: usize = 4 * 1024 * 1024;

/// The transcript formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum TranscriptFormat {
    /// WebVTT captions.
    Vtt,
    /// Plain text.
    Txt,
    /// Markdown notes.
    Md,
}

impl TranscriptFormat {
    /// `vtt`, `txt` or `md`.
    pub fn as_str(self) -> &'static str {
        match self {
            TranscriptFormat::Vtt => "vtt",
            TranscriptFormat::Txt => "txt",
            TranscriptFormat::Md => "md",
        }
    }

    /// The format a file name's extension names.
    pub fn of_file_name(name: &str) -> Result<TranscriptFormat, TranscriptError> {
        let ext = name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "vtt" => Ok(TranscriptFormat::Vtt),
            "txt" | "text" => Ok(TranscriptFormat::Txt),
            "md" | "markdown" => Ok(TranscriptFormat::Md),
            _ => Err(TranscriptError::UnknownFormat(name.to_owned())),
        }
    }
}

/// Why a file cannot be imported as a meeting transcript.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranscriptError {
    /// An extension other than .vtt, .txt or .md.
    #[error(
        "`{0}` is not a transcript format Countersign reads; import a WebVTT (.vtt), plain text (.txt) or markdown (.md) file"
    )]
    UnknownFormat(String),
    /// Larger than [`MAX_TRANSCRIPT_BYTES`].
    #[error("the transcript is {size} bytes; the limit is {MAX_TRANSCRIPT_BYTES} bytes (4 MiB)")]
    TooLarge {
        /// Size in bytes.
        size: u64,
    },
    /// Not UTF-8.
    #[error("the transcript is not UTF-8 text (invalid byte at offset {offset}); save it as UTF-8")]
    NotUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// Nothing in it.
    #[error("the transcript is empty{0}; there is nothing to import")]
    Empty(&'static str),
    /// A .vtt file without the `WEBVTT` signature.
    #[error("a .vtt file must start with the line `WEBVTT`; this one starts with {0:?}")]
    NotWebVtt(String),
    /// A cue timing line that does not parse.
    #[error(
        "line {line} of the WebVTT file is not a cue timing (expected e.g. `00:01:02.000 --> 00:01:05.500`): {text:?}"
    )]
    BadCueTiming {
        /// 1-based line number.
        line: usize,
        /// The line.
        text: String,
    },
}

/// A parsed transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transcript {
    /// Its format.
    pub format: TranscriptFormat,
    /// Its title.
    pub title: String,
    /// When the meeting was held, if the transcript says.
    pub held_at: Option<Timestamp>,
    /// Who spoke or attended, in order of first appearance.
    pub participants: Vec<String>,
    /// WebVTT cues, or speaker turns in text and markdown.
    pub turns: u32,
    /// The end of the last cue (WebVTT), in milliseconds.
    pub duration_ms: Option<i64>,
    /// The normalized text (BOM stripped, line endings LF).
    pub text: String,
    /// Digest of the normalized text.
    pub digest: Digest,
}

/// Parse transcript bytes named `file_name` (the extension picks the format).
pub fn parse(file_name: &str, bytes: &[u8]) -> Result<Transcript, TranscriptError> {
    let format = TranscriptFormat::of_file_name(file_name)?;
    if bytes.len() > MAX_TRANSCRIPT_BYTES {
        return Err(TranscriptError::TooLarge {
            size: bytes.len() as u64,
        });
    }
    let raw = std::str::from_utf8(bytes).map_err(|e| TranscriptError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    let text = normalize(raw);
    if text.trim().is_empty() {
        return Err(TranscriptError::Empty(""));
    }
    let mut people = Participants::default();
    let parsed = match format {
        TranscriptFormat::Vtt => parse_vtt(&text, &mut people)?,
        TranscriptFormat::Txt | TranscriptFormat::Md => parse_notes(&text, &mut people),
    };
    let title = parsed
        .title
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| title_from_file_name(file_name));
    Ok(Transcript {
        format,
        title: clip(&title, 200),
        held_at: parsed.held_at,
        participants: people.names,
        turns: parsed.turns,
        duration_ms: parsed.duration_ms,
        digest: Digest::of(text.as_bytes()),
        text,
    })
}

struct Parsed {
    title: Option<String>,
    held_at: Option<Timestamp>,
    turns: u32,
    duration_ms: Option<i64>,
}

#[derive(Default)]
struct Participants {
    names: Vec<String>,
}

impl Participants {
    fn add(&mut self, name: &str) {
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() || name.chars().count() > 80 {
            return;
        }
        if !self.names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
            self.names.push(name);
        }
    }

    /// A `Participants: A, B (role) and C` list.
    fn add_list(&mut self, list: &str) {
        let list = strip_parentheses(list);
        for part in list
            .split([',', ';', '&', '/'])
            .flat_map(|p| p.split(" and "))
        {
            let p = part.trim().trim_matches(|c: char| c == '*' || c == '_');
            if speaker_name(p).is_some() {
                self.add(p);
            }
        }
    }
}

fn strip_parentheses(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0u32;
    for c in s.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn clip(s: &str, max: usize) -> String {
    let flat: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    flat.chars().take(max).collect()
}

/// `acme_outcome-call.vtt` → `Acme outcome call`.
fn title_from_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let stem = base.rsplit_once('.').map_or(base, |(s, _)| s);
    let spaced: String = stem
        .chars()
        .map(|c| if c == '_' || c == '-' { ' ' } else { c })
        .collect();
    let spaced = clip(&spaced, 200);
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "Meeting transcript".to_owned(),
    }
}

/// Words that start a metadata line or a heading, never a speaker's name.
const NOT_NAMES: &[&str] = &[
    "action",
    "action item",
    "action items",
    "actions",
    "agenda",
    "answer",
    "attendees",
    "background",
    "context",
    "date",
    "decision",
    "decisions",
    "duration",
    "follow up",
    "follow-up",
    "fyi",
    "goal",
    "goals",
    "held",
    "host",
    "important",
    "location",
    "meeting",
    "meeting date",
    "next step",
    "next steps",
    "note",
    "notes",
    "objective",
    "organizer",
    "outcome",
    "outcomes",
    "owner",
    "participants",
    "present",
    "question",
    "re",
    "recorded",
    "result",
    "results",
    "risk",
    "risks",
    "started",
    "status",
    "subject",
    "summary",
    "time",
    "title",
    "todo",
    "topic",
    "update",
    "warning",
    "when",
];

const PARTICLES: &[&str] = &[
    "al", "bin", "da", "de", "del", "della", "der", "di", "du", "la", "le", "van", "von", "y",
];

/// `s` as a speaker's name, if it looks like one: one to four words, the first capitalized,
/// letters and a little punctuation, not a metadata key.
fn speaker_name(s: &str) -> Option<&str> {
    let s = s.trim();
    let n = s.chars().count();
    if !(2..=40).contains(&n) || NOT_NAMES.contains(&s.to_lowercase().as_str()) {
        return None;
    }
    let words: Vec<&str> = s.split_whitespace().collect();
    if words.is_empty() || words.len() > 4 {
        return None;
    }
    if !s
        .chars()
        .all(|c| c.is_alphabetic() || matches!(c, ' ' | '.' | '-' | '\'' | '’'))
    {
        return None;
    }
    let capitalized = |w: &str| w.chars().next().is_some_and(char::is_uppercase);
    if !capitalized(words[0]) {
        return None;
    }
    if words
        .iter()
        .skip(1)
        .any(|w| !capitalized(w) && !PARTICLES.contains(w))
    {
        return None;
    }
    Some(s)
}

/// Strip list markers, quote markers and leading timestamps (`[00:01:02]`, `00:01`, `(10:02)`).
fn strip_line_lead(line: &str) -> &str {
    let mut l = line.trim_start();
    loop {
        let before = l;
        for marker in ["- ", "* ", "+ ", "> "] {
            if let Some(rest) = l.strip_prefix(marker) {
                l = rest.trim_start();
            }
        }
        for (open, close) in [('[', ']'), ('(', ')')] {
            if l.starts_with(open)
                && let Some(end) = l.find(close)
                && l[1..end]
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, ':' | '.' | ' '))
            {
                l = l[end + 1..].trim_start();
            }
        }
        let stamp = l
            .char_indices()
            .take_while(|(_, c)| c.is_ascii_digit() || matches!(c, ':' | '.'))
            .last()
            .map(|(i, c)| i + c.len_utf8());
        if let Some(end) = stamp
            && l[..end].contains(':')
            && l[end..].starts_with(' ')
        {
            l = l[end..].trim_start();
        }
        if l == before {
            return l;
        }
    }
}

/// `Name: text`, `**Name:** text` or `**Name**: text` → (name, text).
fn speaker_line(line: &str) -> Option<(&str, &str)> {
    let l = strip_line_lead(line);
    let (name, rest) = if let Some(inner) = l.strip_prefix("**") {
        let end = inner.find("**")?;
        let name = &inner[..end];
        let rest = &inner[end + 2..];
        match (name.strip_suffix(':'), rest.strip_prefix(':')) {
            (Some(n), _) => (n, rest),
            (None, Some(r)) => (name, r),
            _ => return None,
        }
    } else {
        let (name, rest) = l.split_once(':')?;
        (name, rest)
    };
    if rest.starts_with("//") {
        return None;
    }
    let name = speaker_name(name)?;
    Some((name, rest.trim()))
}

/// `Key: value` at the start of a header line (markdown emphasis and list markers ignored).
fn metadata(line: &str) -> Option<(String, &str)> {
    let l = strip_line_lead(line).trim_start_matches(['*', '_', '#', ' ']);
    let (key, value) = l.split_once(':')?;
    let key = key
        .trim()
        .trim_end_matches(['*', '_'])
        .trim()
        .to_lowercase();
    if key.is_empty() || key.len() > 24 {
        return None;
    }
    let value = value.trim_start_matches(['*', '_']).trim();
    Some((key, value))
}

const DATE_KEYS: &[&str] = &[
    "date",
    "time",
    "when",
    "held",
    "recorded",
    "started",
    "meeting date",
];
const LIST_KEYS: &[&str] = &["participants", "attendees", "present", "speakers"];
const TITLE_KEYS: &[&str] = &["title", "subject", "meeting"];

fn parse_notes(text: &str, people: &mut Participants) -> Parsed {
    let mut title = None;
    let mut title_line = None;
    let mut held_at = None;
    let mut turns = 0u32;
    let mut in_fence = false;
    let mut lines = text.lines().peekable();
    // YAML front matter (markdown notes exported from note tools).
    if text.starts_with("---\n") {
        lines.next();
        for l in lines.by_ref() {
            if l.trim() == "---" {
                break;
            }
            if let Some((key, value)) = metadata(l) {
                let value = value.trim_matches(['"', '\'']);
                if TITLE_KEYS.contains(&key.as_str()) && title.is_none() && !value.is_empty() {
                    title = Some(value.to_owned());
                } else if DATE_KEYS.contains(&key.as_str()) && held_at.is_none() {
                    held_at = find_time(value);
                } else if LIST_KEYS.contains(&key.as_str()) {
                    people.add_list(value.trim_matches(['[', ']']));
                }
            }
        }
    }
    let mut head = 0;
    while let Some(line) = lines.next() {
        let t = line.trim();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence || t.is_empty() {
            continue;
        }
        head += 1;
        if title.is_none() && title_line.is_none() {
            if let Some(h) = t.strip_prefix('#') {
                let h = h.trim_start_matches('#');
                if h.starts_with(' ') {
                    let h = h.trim().trim_end_matches('#').trim();
                    if !h.is_empty() {
                        title_line = Some(h.to_owned());
                        continue;
                    }
                }
            }
            // A setext heading: a line underlined with === or ---.
            if let Some(next) = lines.peek() {
                let n = next.trim();
                if n.len() >= 3
                    && (n.chars().all(|c| c == '=') || n.chars().all(|c| c == '-'))
                    && speaker_line(t).is_none()
                {
                    title_line = Some(t.to_owned());
                    lines.next();
                    continue;
                }
            }
        }
        if let Some((key, value)) = metadata(t) {
            let k = key.as_str();
            if LIST_KEYS.contains(&k) {
                people.add_list(value);
                continue;
            }
            if head <= 40 && DATE_KEYS.contains(&k) {
                if held_at.is_none() {
                    held_at = find_time(value);
                }
                continue;
            }
            if head <= 40 && TITLE_KEYS.contains(&k) && !value.is_empty() {
                title.get_or_insert_with(|| value.to_owned());
                continue;
            }
        }
        if let Some((name, said)) = speaker_line(t)
            && !said.is_empty()
        {
            people.add(name);
            turns += 1;
        }
    }
    let title = title_line.or(title);
    if held_at.is_none() {
        held_at = title.as_deref().and_then(find_time);
    }
    Parsed {
        title,
        held_at,
        turns,
        duration_ms: None,
    }
}

fn parse_vtt(text: &str, people: &mut Participants) -> Result<Parsed, TranscriptError> {
    let mut lines = text.lines().enumerate().peekable();
    let first = lines.next().map(|(_, l)| l).unwrap_or_default();
    let header = match first.strip_prefix("WEBVTT") {
        Some(rest) if rest.is_empty() || rest.starts_with([' ', '\t']) => rest.trim(),
        _ => {
            return Err(TranscriptError::NotWebVtt(
                first.chars().take(40).collect::<String>(),
            ));
        }
    };
    let mut title = {
        let h = header.trim_start_matches(['-', '–', '—', ':', ' ']).trim();
        (!h.is_empty()).then(|| h.to_owned())
    };
    let mut held_at = title.as_deref().and_then(find_time);
    // Header metadata lines, up to the first blank line.
    while let Some((_, l)) = lines.next_if(|(_, l)| !l.trim().is_empty()) {
        if let Some((key, value)) = metadata(l) {
            if TITLE_KEYS.contains(&key.as_str()) && title.is_none() {
                title = Some(value.to_owned());
            } else if DATE_KEYS.contains(&key.as_str()) && held_at.is_none() {
                held_at = find_time(value);
            } else if LIST_KEYS.contains(&key.as_str()) {
                people.add_list(value);
            }
        }
    }
    let mut turns = 0u32;
    let mut duration: Option<i64> = None;
    let mut block: Vec<(usize, &str)> = Vec::new();
    let mut blocks: Vec<Vec<(usize, &str)>> = Vec::new();
    for (i, l) in lines {
        if l.trim().is_empty() {
            if !block.is_empty() {
                blocks.push(std::mem::take(&mut block));
            }
        } else {
            block.push((i + 1, l));
        }
    }
    if !block.is_empty() {
        blocks.push(block);
    }
    for b in blocks {
        let (_, first) = b[0];
        if first.starts_with("NOTE") && (first.len() == 4 || first[4..].starts_with([' ', '\t'])) {
            let note_lines = std::iter::once(&first[4..]).chain(b[1..].iter().map(|(_, l)| *l));
            for l in note_lines {
                let l = l.trim();
                if let Some((key, value)) = metadata(l) {
                    if TITLE_KEYS.contains(&key.as_str()) && title.is_none() {
                        title = Some(value.to_owned());
                        continue;
                    }
                    if LIST_KEYS.contains(&key.as_str()) {
                        people.add_list(value);
                        continue;
                    }
                }
                if held_at.is_none() {
                    held_at = find_time(l);
                }
            }
            continue;
        }
        if first == "STYLE" || first == "REGION" {
            continue;
        }
        let Some(timing_at) = b.iter().position(|(_, l)| l.contains("-->")) else {
            continue;
        };
        if timing_at > 1 {
            continue;
        }
        let (line_no, timing) = b[timing_at];
        let end = cue_end(timing).ok_or_else(|| TranscriptError::BadCueTiming {
            line: line_no,
            text: timing.chars().take(80).collect(),
        })?;
        duration = Some(duration.map_or(end, |d| d.max(end)));
        turns += 1;
        for (_, payload) in &b[timing_at + 1..] {
            let mut voiced = false;
            let mut rest = *payload;
            while let Some(start) = rest.find("<v") {
                let after = &rest[start + 2..];
                if !after.starts_with([' ', '.', '\t']) {
                    rest = after;
                    continue;
                }
                let Some(close) = after.find('>') else { break };
                let tag = &after[..close];
                // `<v.loud Name>`: skip the classes, keep the annotation (the name).
                let annotation = match tag.strip_prefix('.') {
                    Some(classes) => classes.split_once([' ', '\t']).map_or("", |(_, n)| n),
                    None => tag,
                };
                let name = annotation.trim();
                if !name.is_empty() {
                    people.add(name);
                    voiced = true;
                }
                rest = &after[close + 1..];
            }
            if !voiced {
                let plain = strip_tags(payload);
                if let Some((name, said)) = speaker_line(&plain)
                    && !said.is_empty()
                {
                    people.add(name);
                }
            }
        }
    }
    if turns == 0 {
        return Err(TranscriptError::Empty(" (the WebVTT file has no cues)"));
    }
    Ok(Parsed {
        title,
        held_at,
        turns,
        duration_ms: duration,
    })
}

fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// The end time of a cue timing line, in milliseconds.
fn cue_end(line: &str) -> Option<i64> {
    let (start, rest) = line.split_once("-->")?;
    let end = rest.split_whitespace().next()?;
    let start = vtt_time(start.trim())?;
    let end = vtt_time(end)?;
    (end >= start).then_some(end)
}

/// `hh:mm:ss.ttt` or `mm:ss.ttt`.
fn vtt_time(s: &str) -> Option<i64> {
    let (hms, millis) = s.split_once('.')?;
    if millis.len() != 3 || !millis.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let parts: Vec<&str> = hms.split(':').collect();
    let num = |p: &str, max: i64| -> Option<i64> {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 4 {
            return None;
        }
        let v: i64 = p.parse().ok()?;
        (v <= max).then_some(v)
    };
    let (h, m, sec) = match parts.as_slice() {
        [m, s] if m.len() == 2 && s.len() == 2 => (0, num(m, 59)?, num(s, 59)?),
        [h, m, s] if h.len() >= 2 && m.len() == 2 && s.len() == 2 => {
            (num(h, 9999)?, num(m, 59)?, num(s, 59)?)
        }
        _ => return None,
    };
    let ms: i64 = millis.parse().ok()?;
    Some(((h * 60 + m) * 60 + sec) * 1000 + ms)
}

/// The first date (and time) written in `s`: RFC 3339, `2026-11-18 15:00[:00] [UTC|Z|+01:00]`
/// or a bare date `2026-11-18` (midnight UTC).
pub fn find_time(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    let digits = |from: usize, n: usize| -> Option<i64> {
        let part = b.get(from..from + n)?;
        if part.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(part).ok()?.parse().ok()
        } else {
            None
        }
    };
    for start in 0..b.len() {
        if start > 0 && b[start - 1].is_ascii_digit() {
            continue;
        }
        let (Some(y), Some(mo), Some(d)) =
            (digits(start, 4), digits(start + 5, 2), digits(start + 8, 2))
        else {
            continue;
        };
        if b.get(start + 4) != Some(&b'-') || b.get(start + 7) != Some(&b'-') {
            continue;
        }
        let Some(date) = Month::try_from(mo as u8)
            .ok()
            .and_then(|m| Date::from_calendar_date(y as i32, m, d as u8).ok())
        else {
            continue;
        };
        let mut i = start + 10;
        let mut clock = Time::MIDNIGHT;
        let mut offset = UtcOffset::UTC;
        if matches!(b.get(i), Some(b'T' | b' '))
            && let (Some(h), Some(mi)) = (digits(i + 1, 2), digits(i + 4, 2))
            && b.get(i + 3) == Some(&b':')
        {
            i += 6;
            let mut sec = 0;
            let mut milli = 0;
            if b.get(i) == Some(&b':')
                && let Some(s) = digits(i + 1, 2)
            {
                sec = s;
                i += 3;
                if b.get(i) == Some(&b'.') {
                    let n = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
                    let frac = std::str::from_utf8(&b[i + 1..i + 1 + n]).unwrap_or("0");
                    milli = format!("{frac:0<3}")[..3].parse().unwrap_or(0);
                    i += 1 + n;
                }
            }
            if let Ok(t) = Time::from_hms_milli(h as u8, mi as u8, sec as u8, milli as u16) {
                clock = t;
            }
            let rest = s.get(i..).unwrap_or_default();
            if let Some(sign) = rest.chars().next().filter(|c| *c == '+' || *c == '-') {
                let rb = rest.as_bytes();
                let num = |from: usize| -> Option<i64> {
                    let p = rb.get(from..from + 2)?;
                    std::str::from_utf8(p).ok()?.parse().ok()
                };
                if let (Some(oh), Some(om)) = (num(1), num(4))
                    && rb.get(3) == Some(&b':')
                {
                    let secs = (oh * 3600 + om * 60) as i32;
                    let secs = if sign == '-' { -secs } else { secs };
                    offset = UtcOffset::from_whole_seconds(secs).unwrap_or(UtcOffset::UTC);
                }
            }
        }
        let t = PrimitiveDateTime::new(date, clock).assume_offset(offset);
        let ms = t.unix_timestamp_nanos() / 1_000_000;
        return i64::try_from(ms).ok().map(Timestamp::from_unix_millis);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const VTT: &str = "WEBVTT - Halvorsen quarterly outcome review\n\
        \n\
        NOTE recorded 2026-11-18T15:00:00Z\n\
        \n\
        1\n\
        00:00:01.000 --> 00:00:06.500\n\
        <v Tomas Reyes>Thanks for making time, Ines.\n\
        \n\
        2\n\
        00:00:07.000 --> 00:00:15.000\n\
        <v.loud Ines Halvorsen>Spoiled loads are down by almost a third.</v>\n\
        \n\
        00:00:15.500 --> 00:01:02.250\n\
        Aiko Brandt: The alerting change went live in August.\n";

    #[test]
    fn webvtt_gives_title_time_participants_cues_and_duration() {
        let t = parse("call.vtt", VTT.as_bytes()).unwrap();
        assert_eq!(t.format, TranscriptFormat::Vtt);
        assert_eq!(t.title, "Halvorsen quarterly outcome review");
        assert_eq!(
            t.held_at,
            Some(Timestamp::parse("2026-11-18T15:00:00Z").unwrap())
        );
        assert_eq!(
            t.participants,
            ["Tomas Reyes", "Ines Halvorsen", "Aiko Brandt"]
        );
        assert_eq!(t.turns, 3);
        assert_eq!(t.duration_ms, Some(62_250));
        assert_eq!(t.digest, Digest::of(VTT.as_bytes()));
    }

    #[test]
    fn webvtt_without_header_text_takes_the_file_name() {
        let t = parse(
            "dir/acme_renewal-call.VTT",
            b"\xef\xbb\xbfWEBVTT\r\n\r\n00:01.000 --> 00:02.000\r\n<v Ana>Hello\r\n",
        )
        .unwrap();
        assert_eq!(t.title, "Acme renewal call");
        assert_eq!(t.participants, ["Ana"]);
        assert_eq!(t.held_at, None);
        assert!(!t.text.contains('\r'));
    }

    #[test]
    fn bad_webvtt_is_refused() {
        assert!(matches!(
            parse("x.vtt", b"1\n00:00:01.000 --> 00:00:02.000\nhi\n"),
            Err(TranscriptError::NotWebVtt(_))
        ));
        assert!(matches!(
            parse("x.vtt", b"WEBVTT\n\n00:00:01.000 --> soon\nhi\n"),
            Err(TranscriptError::BadCueTiming { line: 3, .. })
        ));
        assert!(matches!(
            parse("x.vtt", b"WEBVTT\n\nNOTE nothing said\n"),
            Err(TranscriptError::Empty(_))
        ));
        assert!(matches!(
            parse("x.vtt", b"WEBVTTX\n"),
            Err(TranscriptError::NotWebVtt(_))
        ));
    }

    #[test]
    fn text_notes_give_speakers_title_line_and_date() {
        let txt = "Title: Weekly reliability sync\n\
            Date: 2026-11-19 09:30\n\
            Attendees: Dana Okafor (legal), Jonas Whitfield and Priya Raman\n\
            \n\
            [00:00:04] Priya Raman: Let's start with the backfill.\n\
            Marcus Ellery: It finished at 18:20 UTC.\n\
            Action items: Dana to check the caveats.\n\
            Note: nothing else.\n\
            http://example.com: not a speaker\n";
        let t = parse("sync.txt", txt.as_bytes()).unwrap();
        assert_eq!(t.format, TranscriptFormat::Txt);
        assert_eq!(t.title, "Weekly reliability sync");
        assert_eq!(
            t.held_at,
            Some(Timestamp::parse("2026-11-19T09:30:00Z").unwrap())
        );
        assert_eq!(
            t.participants,
            [
                "Dana Okafor",
                "Jonas Whitfield",
                "Priya Raman",
                "Marcus Ellery"
            ]
        );
        assert_eq!(t.turns, 2);
        assert_eq!(t.duration_ms, None);
    }

    #[test]
    fn markdown_notes_take_the_first_heading_and_bold_speakers() {
        let md = "# Bridge review — 2026-11-12\n\n\
            **Priya Raman:** We hold the restoration claim.\n\
            - **Dana Okafor**: Agreed, until the backfill is done.\n\
            > Jonas Whitfield: The case notes say 10:15.\n\n\
            ```\nNot Speaker: inside a code fence\n```\n\
            ## Summary\n";
        let t = parse("notes.md", md.as_bytes()).unwrap();
        assert_eq!(t.title, "Bridge review — 2026-11-12");
        assert_eq!(
            t.held_at,
            Some(Timestamp::parse("2026-11-12T00:00:00Z").unwrap())
        );
        assert_eq!(
            t.participants,
            ["Priya Raman", "Dana Okafor", "Jonas Whitfield"]
        );
        assert_eq!(t.turns, 3);
    }

    #[test]
    fn markdown_front_matter_is_read() {
        let md = "---\ntitle: \"Renewal call\"\ndate: 2026-11-20T14:00:00+01:00\nattendees: [Ana Ruiz, Bo Lind]\n---\n\nAna Ruiz: hello\n";
        let t = parse("n.md", md.as_bytes()).unwrap();
        assert_eq!(t.title, "Renewal call");
        assert_eq!(
            t.held_at,
            Some(Timestamp::parse("2026-11-20T13:00:00Z").unwrap())
        );
        assert_eq!(t.participants, ["Ana Ruiz", "Bo Lind"]);
    }

    #[test]
    fn plain_text_without_a_title_takes_the_file_name() {
        let t = parse("ops_standup.txt", b"Ana: we are green\nBo: same\n").unwrap();
        assert_eq!(t.title, "Ops standup");
        assert_eq!(t.participants, ["Ana", "Bo"]);
        assert_eq!(t.held_at, None);
    }

    #[test]
    fn bad_files_are_refused() {
        assert_eq!(
            parse("call.docx", b"hello"),
            Err(TranscriptError::UnknownFormat("call.docx".into()))
        );
        assert!(matches!(
            parse("noext", b"hello"),
            Err(TranscriptError::UnknownFormat(_))
        ));
        assert_eq!(
            parse("a.txt", b"ok \xff\xfe"),
            Err(TranscriptError::NotUtf8 { offset: 3 })
        );
        assert_eq!(parse("a.md", b" \n\t\n"), Err(TranscriptError::Empty("")));
        assert_eq!(parse("a.md", b""), Err(TranscriptError::Empty("")));
        let big = vec![b'a'; MAX_TRANSCRIPT_BYTES + 1];
        assert_eq!(
            parse("a.txt", &big),
            Err(TranscriptError::TooLarge {
                size: MAX_TRANSCRIPT_BYTES as u64 + 1
            })
        );
    }

    #[test]
    fn dates_are_found_in_text() {
        let at = |s| find_time(s).map(|t| t.to_string());
        assert_eq!(
            at("recorded 2026-11-18T15:00:00Z by Teams"),
            Some("2026-11-18T15:00:00.000Z".into())
        );
        assert_eq!(
            at("2026-11-18 15:00 UTC"),
            Some("2026-11-18T15:00:00.000Z".into())
        );
        assert_eq!(
            at("2026-11-18T16:30:05.25+01:00"),
            Some("2026-11-18T15:30:05.250Z".into())
        );
        assert_eq!(at("on 2026-02-30"), None);
        assert_eq!(at("no date"), None);
        assert_eq!(at("12026-11-18"), None);
    }

    #[test]
    fn speaker_names_are_recognised_conservatively() {
        assert_eq!(speaker_name("Ines Halvorsen"), Some("Ines Halvorsen"));
        assert_eq!(
            speaker_name("Ludwig van Beethoven"),
            Some("Ludwig van Beethoven")
        );
        assert_eq!(speaker_name("Summary"), None);
        assert_eq!(speaker_name("Summary of results"), None);
        assert_eq!(speaker_name("10"), None);
        assert_eq!(speaker_name("https"), None);
        assert_eq!(speaker_name("Q"), None);
    }
}
