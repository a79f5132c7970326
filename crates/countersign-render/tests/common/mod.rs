//! Shared test helpers: a strict scanner over rendered HTML.

#![allow(dead_code)]

use countersign_render::{Highlight, render_html};

/// Every tag name pulldown-cmark emits for our option set, plus our own.
const ALLOWED_TAGS: &[&str] = &[
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "code",
    "ul",
    "ol",
    "li",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "em",
    "strong",
    "del",
    "a",
    "sup",
    "div",
    "input",
    "hr",
    "br",
    "mark",
    "span",
];

const ALLOWED_ATTRS: &[&str] = &[
    "href",
    "title",
    "class",
    "id",
    "data-anchor",
    "style",
    "start",
    "disabled",
    "type",
    "checked",
];

/// Renders without highlights.
pub fn render(md: &str) -> String {
    render_html(md, &[])
}

/// Builds a highlight over the first occurrence of `needle` in `md`.
pub fn hl<'a>(md: &str, needle: &str, id: &'a str, class: &'a str) -> Highlight<'a> {
    let start = md.find(needle).expect("needle present in markdown");
    Highlight {
        range: start..start + needle.len(),
        id,
        class,
    }
}

/// Decodes the few entities our escapers produce, plus numeric ones.
fn decode_entities(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        let Some(semi) = rest.find(';') else {
            out.push_str(rest);
            return out;
        };
        let ent = &rest[1..semi];
        let decoded = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => {
                let num = if let Some(h) = ent.strip_prefix("#x").or(ent.strip_prefix("#X")) {
                    u32::from_str_radix(h, 16).ok()
                } else if let Some(d) = ent.strip_prefix('#') {
                    d.parse().ok()
                } else {
                    None
                };
                num.and_then(char::from_u32)
            }
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && b[i + 1].is_ascii_hexdigit()
            && b[i + 2].is_ascii_hexdigit()
        {
            let hex = [b[i + 1], b[i + 2]];
            let hex = std::str::from_utf8(&hex).expect("ascii hex digits");
            out.push(u8::from_str_radix(hex, 16).expect("two hex digits"));
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Asserts an `href` value (as written in the HTML) is harmless.
fn check_href(raw: &str, html: &str) {
    let decoded = percent_decode(&decode_entities(raw));
    let norm: String = decoded
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    for bad in ["javascript:", "vbscript:", "data:", "file:"] {
        assert!(!norm.contains(bad), "dangerous href {raw:?} in:\n{html}");
    }
    let delim = norm.find([':', '/', '?', '#']);
    if let Some(d) = delim
        && norm.as_bytes()[d] == b':'
    {
        let scheme = &norm[..d];
        assert!(
            ["http", "https", "mailto"].contains(&scheme),
            "href with scheme {scheme:?}: {raw:?} in:\n{html}"
        );
    }
}

/// Scans every tag of `html` and asserts it is one we expect: allowlisted tag
/// and attribute names, double-quoted values without `<`/`>`, no `on*`
/// attributes, harmless hrefs, and no stray `<` in text.
pub fn assert_safe(html: &str) {
    let b = html.as_bytes();
    let mut i = 0;
    let mut open_marks = 0i64;
    while let Some(p) = html[i..].find('<') {
        let mut j = i + p + 1;
        let closing = b.get(j) == Some(&b'/');
        if closing {
            j += 1;
        }
        let name_start = j;
        while j < b.len() && b[j].is_ascii_alphanumeric() {
            j += 1;
        }
        let name = html[name_start..j].to_ascii_lowercase();
        assert!(
            ALLOWED_TAGS.contains(&name.as_str()),
            "unexpected tag or stray '<' ({name:?}) at byte {} in:\n{html}",
            i + p
        );
        if name == "mark" {
            open_marks += if closing { -1 } else { 1 };
        }
        loop {
            while j < b.len() && b[j] == b' ' {
                j += 1;
            }
            assert!(j < b.len(), "unterminated tag in:\n{html}");
            if b[j] == b'>' {
                j += 1;
                break;
            }
            if b[j] == b'/' && b.get(j + 1) == Some(&b'>') {
                j += 2;
                break;
            }
            assert!(!closing, "attributes on a closing tag in:\n{html}");
            let an_start = j;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'-') {
                j += 1;
            }
            let attr = html[an_start..j].to_ascii_lowercase();
            assert!(
                !attr.is_empty(),
                "garbage inside <{name}> at byte {j} in:\n{html}"
            );
            assert!(
                !attr.starts_with("on"),
                "event handler {attr:?} in:\n{html}"
            );
            assert!(
                ALLOWED_ATTRS.contains(&attr.as_str()),
                "unexpected attribute {attr:?} on <{name}> in:\n{html}"
            );
            assert_eq!(b.get(j), Some(&b'='), "attribute without value in:\n{html}");
            assert_eq!(b.get(j + 1), Some(&b'"'), "unquoted attribute in:\n{html}");
            j += 2;
            let v_start = j;
            while j < b.len() && b[j] != b'"' {
                j += 1;
            }
            let value = &html[v_start..j];
            j += 1;
            assert!(
                !value.contains('<') && !value.contains('>'),
                "raw angle bracket in attribute value {value:?} in:\n{html}"
            );
            match attr.as_str() {
                "href" => check_href(value, html),
                "style" => assert!(
                    [
                        "text-align: left",
                        "text-align: center",
                        "text-align: right"
                    ]
                    .contains(&value),
                    "unexpected style {value:?}"
                ),
                "type" => assert_eq!(value, "checkbox"),
                _ => {}
            }
        }
        i = j;
    }
    assert_eq!(open_marks, 0, "unbalanced <mark> in:\n{html}");
}
