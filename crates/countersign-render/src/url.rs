//! Link destination screening.

/// Schemes a rendered `<a href>` may carry.
const ALLOWED_SCHEMES: [&[u8]; 3] = [b"http", b"https", b"mailto"];

/// Longest scheme we bother to buffer; anything longer cannot be allowed.
const MAX_SCHEME: usize = 8;

/// Returns `true` when `dest` (an already entity-decoded link destination, as
/// pulldown-cmark hands it over) may be emitted as an `href`.
///
/// The destination is normalised more aggressively than any browser would:
/// percent-escapes are decoded, and ASCII whitespace and control characters are
/// removed wherever they occur. Whatever precedes the first `:` of that
/// normalised form, unless a `/`, `?` or `#` comes first, is the scheme, and it
/// must be exactly `http`, `https` or `mailto` (case-insensitively). A
/// destination without any scheme (relative path, fragment, query,
/// protocol-relative `//host`) is allowed.
///
/// Because the normalisation only ever removes characters or decodes escapes,
/// any string a browser would read as having scheme `S` is read here as having
/// scheme `S` too, so every dangerous scheme is caught, including obfuscations
/// such as `JaVaScRiPt:`, `  javascript:`, `java\tscript:` and `java%73cript:`.
pub(crate) fn is_safe_link(dest: &str) -> bool {
    let bytes = dest.as_bytes();
    let mut scheme = [0u8; MAX_SCHEME];
    let mut len = 0usize;
    let mut too_long = false;
    let mut i = 0usize;
    while i < bytes.len() {
        let mut b = bytes[i];
        i += 1;
        if b == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i).copied().and_then(hex_value),
                bytes.get(i + 1).copied().and_then(hex_value),
            )
        {
            b = (hi << 4) | lo;
            i += 2;
        }
        match b {
            // ASCII whitespace and C0 controls, DEL: ignored wherever they appear.
            0x00..=0x20 | 0x7f => {}
            b'/' | b'?' | b'#' => return true,
            b':' => {
                return !too_long && ALLOWED_SCHEMES.contains(&&scheme[..len]);
            }
            _ => {
                if len < MAX_SCHEME {
                    scheme[len] = b.to_ascii_lowercase();
                    len += 1;
                } else {
                    too_long = true;
                }
            }
        }
    }
    // No colon at all: a relative reference.
    true
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::is_safe_link;

    #[test]
    fn allows_web_mail_and_relative() {
        for ok in [
            "https://example.com/a?b#c",
            "http://example.com",
            "HTTPS://EXAMPLE.COM",
            "mailto:ops@example.com",
            "relative/path.md",
            "./a:b",
            "../up",
            "#section-2",
            "?q=1",
            "//cdn.example.com/x",
            "",
            "page.html#frag:colon",
        ] {
            assert!(is_safe_link(ok), "{ok:?} should be allowed");
        }
    }

    #[test]
    fn rejects_other_schemes_and_obfuscations() {
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "\u{1}javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "java\rscript:alert(1)",
            "java%73cript:alert(1)",
            "%6A%61%76%61%73%63%72%69%70%74:alert(1)",
            "javascript%3Aalert(1)",
            "vbscript:msgbox(1)",
            "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
            "file:///etc/passwd",
            "ftp://example.com",
            "x:y",
            "verylongschemename:foo",
            "java\u{200b}script:alert(1)",
        ] {
            assert!(!is_safe_link(bad), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn whitespace_inside_allowed_scheme_is_still_allowed() {
        // Browsers strip these too, so the result is a plain https URL.
        assert!(is_safe_link(" \thttps://example.com"));
        assert!(is_safe_link("ht\ttps://example.com"));
    }
}
