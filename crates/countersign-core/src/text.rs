//! Packet content: decoding and normalization.
//!
//! The normalized form of a revision is what its content digest covers: UTF-8, with a leading
//! byte-order mark removed and every CRLF or lone CR turned into LF. Nothing else is changed —
//! not trailing spaces, not Unicode normalization, not the final newline.

use crate::digest::Digest;

/// The largest content accepted for one revision: 16 MiB.
pub const MAX_CONTENT_BYTES: usize = 16 * 1024 * 1024;

/// Why bytes cannot become packet content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// The bytes are not valid UTF-8.
    #[error(
        "the content is not UTF-8 text (invalid byte at offset {offset}); save the file as UTF-8"
    )]
    NotUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// The content is larger than [`MAX_CONTENT_BYTES`].
    #[error("the content is {size} bytes; the limit is {MAX_CONTENT_BYTES} bytes (16 MiB)")]
    TooLarge {
        /// Size in bytes.
        size: usize,
    },
}

/// Decode raw bytes (from a file, say) into normalized content.
pub fn decode(bytes: &[u8]) -> Result<String, TextError> {
    if bytes.len() > MAX_CONTENT_BYTES {
        return Err(TextError::TooLarge { size: bytes.len() });
    }
    let s = std::str::from_utf8(bytes).map_err(|e| TextError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    Ok(normalize(s))
}

/// Normalize text: strip one leading BOM, CRLF and CR become LF.
pub fn normalize(s: &str) -> String {
    let s = s.strip_prefix('\u{feff}').unwrap_or(s);
    if !s.contains('\r') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    out
}

/// The content digest of already-normalized content.
pub fn content_digest(normalized: &str) -> Digest {
    Digest::of(normalized.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_strips_bom_and_unifies_line_endings_only() {
        assert_eq!(normalize("\u{feff}a\r\nb\rc\n  d  \n"), "a\nb\nc\n  d  \n");
        assert_eq!(normalize("a\r\r\nb"), "a\n\nb");
        assert_eq!(
            normalize("\u{feff}\u{feff}x"),
            "\u{feff}x",
            "only one leading BOM is a BOM"
        );
        assert_eq!(normalize("café"), "café");
    }

    #[test]
    fn digests_agree_across_line_ending_styles() {
        assert_eq!(
            content_digest(&normalize("one\r\ntwo\r\n")),
            content_digest(&normalize("one\ntwo\n"))
        );
        assert_ne!(content_digest("one\ntwo"), content_digest("one\ntwo\n"));
    }

    #[test]
    fn decode_refuses_non_utf8_and_oversize() {
        assert_eq!(decode(b"ok\xff"), Err(TextError::NotUtf8 { offset: 2 }));
        let big = vec![b'a'; MAX_CONTENT_BYTES + 1];
        assert_eq!(
            decode(&big),
            Err(TextError::TooLarge {
                size: MAX_CONTENT_BYTES + 1
            })
        );
        assert_eq!(decode(b"\xef\xbb\xbfhi\r\n").as_deref(), Ok("hi\n"));
    }
}
