//! The GFM extensions a packet uses render as expected.

mod common;

use common::{assert_safe, render};

#[test]
fn table() {
    let html = render("| Time | Event |\n|:-----|------:|\n| 14:02 | *paged* |\n");
    assert_safe(&html);
    assert_eq!(
        html,
        "<table><thead><tr><th style=\"text-align: left\">Time</th>\
         <th style=\"text-align: right\">Event</th></tr></thead><tbody>\n\
         <tr><td style=\"text-align: left\">14:02</td>\
         <td style=\"text-align: right\"><em>paged</em></td></tr>\n</tbody></table>\n"
    );
}

#[test]
fn footnote() {
    let html = render("Impact was limited.[^scope]\n\n[^scope]: Only eu-west.\n");
    assert_safe(&html);
    assert_eq!(
        html,
        "<p>Impact was limited.<sup class=\"footnote-reference\"><a href=\"#scope\">1</a></sup></p>\n\
         <div class=\"footnote-definition\" id=\"scope\"><sup class=\"footnote-definition-label\">1</sup>\n\
         <p>Only eu-west.</p>\n</div>\n"
    );
}

#[test]
fn strikethrough() {
    let html = render("We ~~will~~ have fixed it.");
    assert_safe(&html);
    assert_eq!(html, "<p>We <del>will</del> have fixed it.</p>\n");
}

#[test]
fn task_list() {
    let html = render("- [x] rotate keys\n- [ ] notify customers\n");
    assert_safe(&html);
    assert_eq!(
        html,
        "<ul>\n<li><input disabled=\"\" type=\"checkbox\" checked=\"\"/>\nrotate keys</li>\n\
         <li><input disabled=\"\" type=\"checkbox\"/>\nnotify customers</li>\n</ul>\n"
    );
}

#[test]
fn commonmark_basics() {
    let html = render(
        "## Title\n\n> quote *em* **strong** `code`\n\n1. one\n2. two\n\n---\n\nline  \nbreak\n",
    );
    assert_safe(&html);
    assert_eq!(
        html,
        "<h2>Title</h2>\n<blockquote>\n<p>quote <em>em</em> <strong>strong</strong> <code>code</code></p>\n\
         </blockquote>\n<ol>\n<li>one</li>\n<li>two</li>\n</ol>\n<hr />\n<p>line<br />\nbreak</p>\n"
    );
}
