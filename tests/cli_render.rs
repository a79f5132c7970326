//! `packet show --format html`: sanitized HTML with anchored wording highlighted.

use crate::common::*;

/// Every real start tag in `html` (`<` then a letter, up to the next `>`), lowercased.
/// Text that merely looks like markup is escaped (`&lt;`) and so is not a tag.
fn tags(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        if rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
            let end = rest.find('>').expect("an unterminated tag");
            out.push(format!("<{}>", &rest[..end]).to_lowercase());
        }
    }
    out
}

/// The text inside the `<mark>` whose `data-anchor` is exactly `id`, if any.
fn marked(html: &str, id: &str) -> Option<String> {
    let attr = format!("data-anchor=\"{id}\"");
    let at = html.find(&attr)?;
    let open = html[..at].rfind("<mark")?;
    let body = &html[open..];
    let start = body.find('>')? + 1;
    let end = body.find("</mark>")?;
    Some(body[start..end].to_owned())
}

const MARKDOWN: &str = "# Disclosure\n\n\
Service was fully restored at 14:05 UTC. <script>alert(1)</script>\n\n\
See [the status page](javascript:alert(1)) and [the other one](JaVaScRiPt:alert(2)).\n\n\
<a href=\"javascript:alert(3)\" onclick=\"alert(4)\">raw link</a> <img src=x onerror=alert(5)>\n\n\
<script>\nalert(6)\n</script>\n\n\
Reporting caught up at 18:20 UTC.\n";

#[test]
fn html_output_is_sanitized_and_marks_anchored_objections() {
    let Cast {
        ws,
        owner,
        reviewer,
        packet,
        ..
    } = Cast::new();
    let r1 = ws.revise(&packet, MARKDOWN, &owner);
    let objection = ws.raise(&packet, &r1, "fully restored at 14:05 UTC", &reviewer, true);
    let thread = ws.comment(&packet, &r1, "caught up at 18:20", &reviewer);

    let html = ws.ok(["packet", "show", &packet, "--format", "html"]);
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script"), "{html}");
    for tag in tags(&html) {
        assert!(
            !tag.contains("javascript:"),
            "a live javascript: URL in {tag}"
        );
        assert!(
            !tag.contains("onclick") && !tag.contains("onerror"),
            "an event handler in {tag}"
        );
        assert!(
            !tag.starts_with("<script") && !tag.starts_with("<img"),
            "{tag}"
        );
    }
    assert!(
        !tags(&html).iter().any(|t| t.contains("href=\"javascript")),
        "{html}"
    );
    assert!(html.contains("<h1>Disclosure</h1>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;"),
        "raw HTML is shown as text: {html}"
    );
    assert!(
        html.contains("the status page"),
        "the link text stays: {html}"
    );

    assert!(html.contains("<mark"), "{html}");
    assert!(
        html.contains(&format!("data-anchor=\"{objection}\"")),
        "{html}"
    );
    assert_eq!(
        marked(&html, &objection).as_deref(),
        Some("fully restored at 14:05 UTC")
    );
    assert_eq!(
        marked(&html, &thread).as_deref(),
        Some("caught up at 18:20")
    );

    // --json carries the same HTML next to the markdown.
    let v = ws.json(["packet", "show", &packet, "--format", "html"]);
    assert_eq!(s(&v["html"]).trim_end(), html.trim_end());
    assert_eq!(v["markdown"], MARKDOWN);
    assert_eq!(
        ws.json(["packet", "show", &packet])["html"],
        serde_json::Value::Null
    );

    // Once the wording is gone the objection is outdated and nothing is marked for it; the
    // earlier revision still marks it.
    let r2 = ws.revise(
        &packet,
        MARKDOWN.replace("fully restored at 14:05 UTC", "back"),
        &owner,
    );
    let html2 = ws.ok(["packet", "show", &packet, "--format", "html"]);
    assert!(
        !html2.contains(&objection),
        "an outdated objection must not be marked: {html2}"
    );
    assert_eq!(
        marked(&html2, &thread).as_deref(),
        Some("caught up at 18:20")
    );
    let html1 = ws.ok([
        "packet",
        "show",
        &packet,
        "--revision",
        &r1,
        "--format",
        "html",
    ]);
    assert_eq!(
        marked(&html1, &objection).as_deref(),
        Some("fully restored at 14:05 UTC")
    );
    assert_ne!(r1, r2);
}
