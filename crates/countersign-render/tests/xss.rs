//! Sanitizing: raw HTML, link schemes, images, attribute escaping.

mod common;

use common::{assert_safe, hl, render};
use countersign_render::render_html;

/// (name, markdown) pairs that try to get script or remote content through.
const VECTORS: &[(&str, &str)] = &[
    ("script block", "<script>alert(1)</script>\n"),
    ("script inline", "Hello <script>alert(1)</script> world"),
    (
        "script block, uppercase",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>\n",
    ),
    ("img onerror block", "<img src=x onerror=alert(1)>\n"),
    (
        "img onerror inline",
        "look: <img src=x onerror=\"alert(1)\"> here",
    ),
    ("svg onload", "<svg onload=alert(1)>\n"),
    ("svg onload inline", "text <svg/onload=alert(1)> text"),
    ("iframe", "<iframe src=\"javascript:alert(1)\"></iframe>\n"),
    (
        "iframe inline",
        "a <iframe src=https://evil.example></iframe> b",
    ),
    (
        "style block",
        "<style>body{background:url(javascript:alert(1))}</style>\n",
    ),
    (
        "object/embed",
        "<object data=x.swf></object><embed src=x.swf>\n",
    ),
    ("html comment", "<!-- <script>alert(1)</script> -->\n"),
    (
        "form",
        "<form action=javascript:alert(1)><button>x</button></form>\n",
    ),
    ("a tag raw", "<a href=\"javascript:alert(1)\">click</a>"),
    ("javascript link", "[x](javascript:alert(1))"),
    ("mixed case scheme", "[x](JaVaScRiPt:alert(1))"),
    ("leading space", "[x]( javascript:alert(1))"),
    ("angle dest with space", "[x](< javascript:alert(1)>)"),
    ("entity tab", "[x](java&#x09;script:alert(1))"),
    ("entity newline", "[x](java&#10;script:alert(1))"),
    ("entity colon", "[x](javascript&#58;alert(1))"),
    (
        "entity letters",
        "[x](&#106;&#97;&#118;&#97;script:alert(1))",
    ),
    ("percent scheme", "[x](java%73cript:alert(1))"),
    ("escaped tab", "[x](<java\tscript:alert(1)>)"),
    ("control char", "[x](\u{1}javascript:alert(1))"),
    ("vbscript", "[x](vbscript:msgbox(1))"),
    (
        "data link",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    ),
    ("file link", "[x](file:///etc/passwd)"),
    ("autolink javascript", "<javascript:alert(1)>"),
    (
        "autolink data",
        "<data:text/html,<script>alert(1)</script>>",
    ),
    (
        "reference javascript",
        "[x][evil]\n\n[evil]: javascript:alert(1)\n",
    ),
    (
        "reference collapsed",
        "[evil][]\n\n[evil]: JAVASCRIPT:alert(1) \"t\"\n",
    ),
    ("image javascript", "![x](javascript:alert(1))"),
    ("image remote", "![x](https://remote.example/img.png)"),
    ("image data", "![x](data:image/png;base64,iVBORw0KGgo=)"),
    (
        "image reference",
        "![x][img]\n\n[img]: https://remote.example/track.gif\n",
    ),
    (
        "linked image",
        "[![x](https://remote.example/a.png)](javascript:alert(1))",
    ),
    ("title quotes", "[x](https://a \"a\\\" onmouseover=\\\"x\")"),
    (
        "title single quotes",
        "[x](https://a 'a\\' onmouseover=\\'x')",
    ),
    (
        "image title quotes",
        "![x](https://a \"a\\\" onerror=\\\"x\")",
    ),
    (
        "url with quote",
        "[x](https://a.example/\"onmouseover=\"alert(1))",
    ),
    (
        "attribute-looking text",
        "\" onmouseover=\"alert(1)\" x=\"\n\n' onfocus='alert(1)",
    ),
    ("attribute-looking alt", "![\" onerror=\"alert(1)](x.png)"),
    (
        "attribute-looking link text",
        "[\" onclick=\"alert(1)](https://ok.example)",
    ),
    (
        "code block html",
        "```html\n<script>alert(1)</script>\n```\n",
    ),
    (
        "fence info injection",
        "```\" onmouseover=\"alert(1)\n</code>\n```\n",
    ),
    (
        "table html",
        "| a | b |\n|---|---|\n| <script>x</script> | <img src=x onerror=alert(1)> |\n",
    ),
    ("footnote html", "x[^1]\n\n[^1]: <iframe src=//evil>\n"),
    ("heading attrs", "# Title {#id onclick=alert(1) .cls}\n"),
    (
        "nested list html",
        "- a\n  - <details open ontoggle=alert(1)>\n",
    ),
    ("math-ish", "$<script>alert(1)</script>$"),
    ("null byte", "[x](java\0script:alert(1))"),
];

#[test]
fn corpus_is_safe() {
    for (name, md) in VECTORS {
        let html = render(md);
        assert_safe(&html);
        let lower = html.to_ascii_lowercase();
        for forbidden in [
            "<script", "<iframe", "<img", "<svg", "<style", "<object", "<embed",
        ] {
            assert!(
                !lower.contains(forbidden),
                "{name}: found {forbidden} in {html}"
            );
        }
    }
}

#[test]
fn corpus_is_safe_with_highlights_everywhere() {
    // Highlight every other byte range of each vector: marks must not open a hole.
    for (name, md) in VECTORS {
        let ids: Vec<String> = (0..md.len()).map(|i| format!("h{i}\"<x>")).collect();
        let highlights: Vec<_> = (0..md.len())
            .step_by(3)
            .map(|i| countersign_render::Highlight {
                range: i..i + 5,
                id: &ids[i],
                class: "objection",
            })
            .collect();
        let html = render_html(md, &highlights);
        assert_safe(&html);
        assert!(
            !html.to_ascii_lowercase().contains("<script"),
            "{name}: {html}"
        );
    }
}

#[test]
fn raw_html_is_visible_text() {
    let html = render("<script>alert(1)</script>\n");
    assert_eq!(
        html,
        "<pre class=\"cs-raw-html\">&lt;script&gt;alert(1)&lt;/script&gt;\n</pre>\n"
    );
    let html = render("Hello <b onclick=\"x\">bold</b> world");
    assert_eq!(
        html,
        "<p>Hello &lt;b onclick=\"x\"&gt;bold&lt;/b&gt; world</p>\n"
    );
}

#[test]
fn dangerous_links_lose_their_anchor_but_keep_text() {
    for md in [
        "[click me](javascript:alert(1))",
        "[click me](JaVaScRiPt:alert(1))",
        "[click me]( javascript:alert(1))",
        "[click me](java&#x09;script:alert(1))",
        "[click me](data:text/html;base64,AAAA)",
        "[click me][r]\n\n[r]: javascript:alert(1)\n",
    ] {
        assert_eq!(render(md), "<p>click me</p>\n", "for {md:?}");
    }
    assert_eq!(
        render("<javascript:alert(1)>"),
        "<p>javascript:alert(1)</p>\n"
    );
}

#[test]
fn safe_links_survive() {
    assert_eq!(
        render(
            "[a](https://example.com/x?y=1&z=2 \"T\") [b](#frag) [c](../rel.md) <mailto:ops@example.com> <ops@example.com>"
        ),
        "<p><a href=\"https://example.com/x?y=1&amp;z=2\" title=\"T\">a</a> \
         <a href=\"#frag\">b</a> <a href=\"../rel.md\">c</a> \
         <a href=\"mailto:ops@example.com\">mailto:ops@example.com</a> \
         <a href=\"mailto:ops@example.com\">ops@example.com</a></p>\n"
    );
}

#[test]
fn link_title_quotes_are_escaped() {
    let html = render("[x](https://a \"a\\\" onmouseover=\\\"x\")");
    assert_eq!(
        html,
        "<p><a href=\"https://a\" title=\"a&quot; onmouseover=&quot;x\">x</a></p>\n"
    );
}

#[test]
fn images_become_spans() {
    assert_eq!(
        render("![The graph](https://remote.example/g.png \"title\")"),
        "<p><span class=\"cs-image\" title=\"https://remote.example/g.png\">The graph</span></p>\n"
    );
    assert_eq!(
        render("![a \"b\"](data:image/png;base64,AA== )"),
        "<p><span class=\"cs-image\" title=\"data:image/png;base64,AA==\">a \"b\"</span></p>\n"
    );
    assert_eq!(
        render("![x](<a\"b>)"),
        "<p><span class=\"cs-image\" title=\"a&quot;b\">x</span></p>\n"
    );
}

#[test]
fn highlighted_raw_html_is_still_text() {
    let md = "before <img src=x onerror=alert(1)> after";
    let html = render_html(md, &[hl(md, "<img src", "a1", "comment")]);
    assert_safe(&html);
    assert!(
        html.contains("<mark class=\"cs-anchor cs-comment\" data-anchor=\"a1\">&lt;img src</mark>")
    );
}
