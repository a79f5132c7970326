//! A word-level redline between two revisions, and whether the change is trivial.

use serde::{Deserialize, Serialize};

/// What a redline segment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum SegmentKind {
    /// In both.
    Equal,
    /// Only in the newer revision.
    Insert,
    /// Only in the older revision.
    Delete,
}

/// A run of text in a redline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Segment {
    /// Equal, inserted or deleted.
    pub kind: SegmentKind,
    /// The text (words and the whitespace between them).
    pub text: String,
}

/// Compare two texts word by word. Adjacent segments of the same kind are merged.
pub fn redline(old: &str, new: &str) -> Vec<Segment> {
    let diff = similar::TextDiff::configure()
        .algorithm(similar::Algorithm::Patience)
        .timeout(std::time::Duration::from_secs(2))
        .diff_words(old, new);
    let mut out: Vec<Segment> = Vec::new();
    for change in diff.iter_all_changes() {
        let kind = match change.tag() {
            similar::ChangeTag::Equal => SegmentKind::Equal,
            similar::ChangeTag::Insert => SegmentKind::Insert,
            similar::ChangeTag::Delete => SegmentKind::Delete,
        };
        match out.last_mut() {
            Some(last) if last.kind == kind => last.text.push_str(change.value()),
            _ => out.push(Segment {
                kind,
                text: change.value().to_owned(),
            }),
        }
    }
    out
}

/// Whether two texts differ only in whitespace and punctuation.
pub fn is_trivial_change(old: &str, new: &str) -> bool {
    let words = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace() && !c.is_ascii_punctuation() && !is_unicode_punct(*c))
            .collect()
    };
    words(old) == words(new)
}

fn is_unicode_punct(c: char) -> bool {
    matches!(c,
        '\u{2010}'..='\u{2027}' | '\u{2030}'..='\u{205E}' | '\u{00A1}' | '\u{00A7}' | '\u{00AB}' | '\u{00B6}'
        | '\u{00B7}' | '\u{00BB}' | '\u{00BF}' | '\u{3001}'..='\u{3003}' | '\u{300C}'..='\u{300F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redline_reassembles_both_texts() {
        let old = "Service was fully restored at 14:15.\n";
        let new = "Service was restored at 14:15; backfill at 18:20.\n";
        let r = redline(old, new);
        let side = |skip: SegmentKind| {
            r.iter()
                .filter(|s| s.kind != skip)
                .map(|s| s.text.as_str())
                .collect::<String>()
        };
        assert_eq!(side(SegmentKind::Insert), old);
        assert_eq!(side(SegmentKind::Delete), new);
        assert!(
            r.iter()
                .any(|s| s.kind == SegmentKind::Delete && s.text.contains("fully"))
        );
        assert!(!is_trivial_change(old, new));
    }

    #[test]
    fn whitespace_and_punctuation_only_is_trivial() {
        assert!(is_trivial_change(
            "Postings resumed at 14:15.",
            "Postings  resumed at 1415"
        ));
        assert!(is_trivial_change("a, b\n", "a — b"));
        assert!(!is_trivial_change("14:15", "14:16"));
    }
}
