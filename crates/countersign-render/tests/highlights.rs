//! Mapping highlight byte ranges onto the rendered HTML.

mod common;

use common::{assert_safe, hl, render};
use countersign_render::bench_support::{sample_highlights, sample_markdown};
use countersign_render::{Highlight, render_html};

fn mark(class: &str, id: &str, text: &str) -> String {
    format!("<mark class=\"cs-anchor {class}\" data-anchor=\"{id}\">{text}</mark>")
}

#[test]
fn plain_phrase() {
    let md = "The quick brown fox jumps.";
    let html = render_html(md, &[hl(md, "quick brown", "c1", "comment")]);
    assert_eq!(
        html,
        format!(
            "<p>The {} fox jumps.</p>\n",
            mark("cs-comment", "c1", "quick brown")
        )
    );
}

#[test]
fn phrase_across_bold_boundary_gives_two_marks_with_same_id() {
    let md = "alpha **beta gamma** delta";
    let html = render_html(md, &[hl(md, "alpha **beta", "o1", "objection")]);
    assert_eq!(
        html,
        format!(
            "<p>{}<strong>{} gamma</strong> delta</p>\n",
            mark("cs-objection", "o1", "alpha "),
            mark("cs-objection", "o1", "beta")
        )
    );
}

#[test]
fn phrase_across_paragraphs_links_and_list_items() {
    let md = "one [two](https://x.example) three\n\n- four\n- five *six*\n";
    let start = md.find("two").unwrap();
    let end = md.find("six").unwrap() + 3;
    let html = render_html(
        md,
        &[Highlight {
            range: start..end,
            id: "r",
            class: "residual",
        }],
    );
    assert_safe(&html);
    let m = |t| mark("cs-residual", "r", t);
    assert_eq!(
        html,
        format!(
            "<p>one <a href=\"https://x.example\">{}</a>{}</p>\n<ul>\n<li>{}</li>\n<li>{}<em>{}</em></li>\n</ul>\n",
            m("two"),
            m(" three"),
            m("four"),
            m("five "),
            m("six")
        )
    );
}

#[test]
fn overlapping_highlights_split_into_segments() {
    let md = "one two three four";
    let a = hl(md, "one two three", "A", "objection");
    let b = hl(md, "two three four", "B", "comment");
    let expected = format!(
        "<p>{}{}{}</p>\n",
        mark("cs-objection", "A", "one "),
        mark("cs-objection cs-comment", "A B", "two three"),
        mark("cs-comment", "B", " four")
    );
    assert_eq!(render_html(md, &[a.clone(), b.clone()]), expected);
    // Input order does not matter.
    assert_eq!(render_html(md, &[b, a]), expected);
}

#[test]
fn nested_and_duplicate_classes_listed_once() {
    let md = "one two three four";
    let outer = hl(md, "one two three four", "X", "comment");
    let inner = hl(md, "two", "Y", "comment");
    let dup = hl(md, "two", "X", "comment");
    let html = render_html(md, &[outer, inner, dup]);
    assert_eq!(
        html,
        format!(
            "<p>{}{}{}</p>\n",
            mark("cs-comment", "X", "one "),
            mark("cs-comment", "X Y", "two"),
            mark("cs-comment", "X", " three four")
        )
    );
}

#[test]
fn adjacent_highlights_with_same_id_merge() {
    let md = "abcdef";
    let hs = [
        Highlight {
            range: 0..3,
            id: "z",
            class: "comment",
        },
        Highlight {
            range: 3..6,
            id: "z",
            class: "comment",
        },
    ];
    assert_eq!(
        render_html(md, &hs),
        format!("<p>{}</p>\n", mark("cs-comment", "z", "abcdef"))
    );
}

#[test]
fn highlight_inside_inline_code() {
    let md = "run `kubectl rollout undo` now";
    let html = render_html(md, &[hl(md, "rollout", "c", "comment")]);
    assert_eq!(
        html,
        format!(
            "<p>run <code>kubectl {} undo</code> now</p>\n",
            mark("cs-comment", "c", "rollout")
        )
    );
    // Highlight starting outside the code span and ending inside it.
    let html = render_html(md, &[hl(md, "run `kubectl", "c", "comment")]);
    assert_eq!(
        html,
        format!(
            "<p>{}<code>{} rollout undo</code> now</p>\n",
            mark("cs-comment", "c", "run "),
            mark("cs-comment", "c", "kubectl")
        )
    );
    // Double-backtick fence with padding spaces.
    let md = "x `` a`b `` y";
    let html = render_html(md, &[hl(md, "a`b", "d", "comment")]);
    assert_eq!(
        html,
        format!(
            "<p>x <code>{}</code> y</p>\n",
            mark("cs-comment", "d", "a`b")
        )
    );
}

#[test]
fn highlight_over_entity_wraps_whole_event() {
    let md = "AT&amp;T is here";
    let html = render_html(md, &[hl(md, "&amp;", "e", "comment")]);
    assert_eq!(
        html,
        format!("<p>AT{}T is here</p>\n", mark("cs-comment", "e", "&amp;"))
    );
    // Partial overlap with the entity still wraps the decoded character.
    let html = render_html(md, &[hl(md, "T&am", "e", "comment")]);
    assert_eq!(
        html,
        format!(
            "<p>A{}{}T is here</p>\n",
            mark("cs-comment", "e", "T"),
            mark("cs-comment", "e", "&amp;")
        )
    );
    // Two different highlights over one entity: the union.
    let hs = [
        Highlight {
            range: 2..4,
            id: "p",
            class: "comment",
        },
        Highlight {
            range: 4..7,
            id: "q",
            class: "objection",
        },
    ];
    let html = render_html(md, &hs);
    assert_eq!(
        html,
        format!(
            "<p>AT{}T is here</p>\n",
            mark("cs-comment cs-objection", "p q", "&amp;")
        )
    );
}

#[test]
fn highlight_over_backslash_escape() {
    let md = r"a \*literal\* b";
    let html = render_html(md, &[hl(md, r"\*literal\*", "s", "comment")]);
    assert_safe(&html);
    // The escaped characters are slices of the source, so they map exactly;
    // only the backslashes, which render as nothing, are not covered.
    assert_eq!(
        html,
        format!(
            "<p>a {}{} b</p>\n",
            mark("cs-comment", "s", "*literal"),
            mark("cs-comment", "s", "*")
        )
    );
}

#[test]
fn highlight_in_code_block_table_footnote_and_heading() {
    let md = "# Heading words\n\n| a | b |\n|---|---|\n| cell text | z |\n\nsee[^1]\n\n[^1]: note text\n\n```\ncode line\n```\n";
    let hs = [
        hl(md, "words", "h", "comment"),
        hl(md, "cell", "t", "comment"),
        hl(md, "note", "f", "comment"),
        hl(md, "line", "k", "outdated"),
    ];
    let html = render_html(md, &hs);
    assert_safe(&html);
    assert!(html.contains(&format!(
        "<h1>Heading {}</h1>",
        mark("cs-comment", "h", "words")
    )));
    assert!(html.contains(&format!(
        "<td>{} text</td>",
        mark("cs-comment", "t", "cell")
    )));
    assert!(html.contains(&format!("{} text", mark("cs-comment", "f", "note"))));
    assert!(html.contains(&format!(
        "<pre><code>code {}\n</code></pre>",
        mark("cs-outdated", "k", "line")
    )));
}

#[test]
fn highlight_over_raw_html_block() {
    let md = "<div onclick=\"x\">hi</div>\n";
    let html = render_html(md, &[hl(md, "onclick", "r", "comment")]);
    assert_safe(&html);
    assert_eq!(
        html,
        format!(
            "<pre class=\"cs-raw-html\">&lt;div {}=\"x\"&gt;hi&lt;/div&gt;\n</pre>\n",
            mark("cs-comment", "r", "onclick")
        )
    );
}

#[test]
#[allow(clippy::reversed_empty_ranges)] // inverted on purpose
fn bad_ranges_do_not_panic() {
    let md = "héllo wörld — ünïcode\n\n**bold** `code` &amp; [l](https://x)";
    let hs = [
        Highlight {
            range: 5..1000,
            id: "a",
            class: "comment",
        },
        Highlight {
            range: 1000..2000,
            id: "b",
            class: "comment",
        },
        Highlight {
            range: 7..3,
            id: "c",
            class: "comment",
        },
        Highlight {
            range: 4..4,
            id: "d",
            class: "comment",
        },
        Highlight {
            range: usize::MAX - 1..usize::MAX,
            id: "e",
            class: "comment",
        },
        Highlight {
            range: 2..3,
            id: "f",
            class: "comment",
        }, // inside 'é'
        Highlight {
            range: 0..2,
            id: "g",
            class: "comment",
        }, // ends inside 'é'
        Highlight {
            range: 0..usize::MAX,
            id: "h",
            class: "comment",
        },
        Highlight {
            range: 20..22,
            id: "i",
            class: "comment",
        }, // inside '—'
    ];
    let html = render_html(md, &hs);
    assert_safe(&html);
    assert!(!html.contains("data-anchor=\"b\""));
    assert!(!html.contains("data-anchor=\"c\""));
    assert!(!html.contains("data-anchor=\"d\""));
    // Every single-highlight subset as well.
    for h in &hs {
        assert_safe(&render_html(md, std::slice::from_ref(h)));
    }
    // Empty markdown.
    assert_eq!(render_html("", &hs), "");
}

#[test]
fn snapping_to_char_boundaries_covers_whole_chars() {
    let md = "héllo";
    let html = render_html(
        md,
        &[Highlight {
            range: 2..3,
            id: "f",
            class: "comment",
        }],
    );
    assert_eq!(
        html,
        format!("<p>h{}llo</p>\n", mark("cs-comment", "f", "é"))
    );
}

#[test]
fn ids_and_classes_are_escaped_or_filtered() {
    let md = "some words";
    let html = render_html(
        md,
        &[hl(
            md,
            "words",
            "a\"b<c>&'d\" onmouseover=\"x",
            "Obj<script>ection\" onclick=x",
        )],
    );
    assert_safe(&html);
    assert_eq!(
        html,
        "<p>some <mark class=\"cs-anchor cs-bjscriptectiononclickx\" \
         data-anchor=\"a&quot;b&lt;c&gt;&amp;&#39;d&quot; onmouseover=&quot;x\">words</mark></p>\n"
    );
    // A class that filters down to nothing is left out.
    let html = render_html(md, &[hl(md, "words", "i", "!!!")]);
    assert_eq!(
        html,
        "<p>some <mark class=\"cs-anchor\" data-anchor=\"i\">words</mark></p>\n"
    );
}

#[test]
fn highlights_over_syntax_only_produce_nothing() {
    let md = "[text](https://example.com/path)";
    let html = render_html(md, &[hl(md, "example", "u", "comment")]);
    assert_eq!(
        html,
        "<p><a href=\"https://example.com/path\">text</a></p>\n"
    );
}

#[test]
fn no_highlights_matches_plain_rendering() {
    let md = sample_markdown(64 * 1024);
    assert_eq!(render_html(&md, &[]), render(&md));
    assert_safe(&render(&md));
}

#[test]
fn rendering_is_deterministic() {
    let md = sample_markdown(128 * 1024);
    let raw = sample_highlights(&md, 300);
    assert_eq!(raw.len(), 300);
    let classes = ["objection", "comment", "residual", "outdated"];
    let hs: Vec<Highlight<'_>> = raw
        .iter()
        .enumerate()
        .map(|(i, (r, id))| Highlight {
            range: r.clone(),
            id,
            class: classes[i % 4],
        })
        .collect();
    let first = render_html(&md, &hs);
    assert_safe(&first);
    for _ in 0..3 {
        assert_eq!(render_html(&md, &hs), first);
    }
    let mut reversed = hs.clone();
    reversed.reverse();
    assert_eq!(render_html(&md, &reversed), first);
    // Generators are deterministic too.
    assert_eq!(sample_markdown(128 * 1024), md);
    assert_eq!(sample_highlights(&md, 300), raw);
    // Every highlight shows up at least once (they start on prose words).
    for (_, id) in &raw {
        assert!(
            first.contains(&format!("data-anchor=\"{id}\""))
                || first.contains(&format!("{id} "))
                || first.contains(&format!(" {id}\"")),
            "{id} missing"
        );
    }
}

#[test]
fn text_outside_marks_is_unchanged() {
    // Stripping the marks must give back the plain rendering.
    let md = sample_markdown(64 * 1024);
    let raw = sample_highlights(&md, 200);
    let hs: Vec<Highlight<'_>> = raw
        .iter()
        .map(|(r, id)| Highlight {
            range: r.clone(),
            id,
            class: "comment",
        })
        .collect();
    let html = render_html(&md, &hs);
    let mut stripped = String::new();
    let mut rest = html.as_str();
    while let Some(p) = rest.find("<mark ") {
        stripped.push_str(&rest[..p]);
        let close = rest[p..].find('>').unwrap();
        rest = &rest[p + close + 1..];
    }
    stripped.push_str(rest);
    let stripped = stripped.replace("</mark>", "");
    assert_eq!(stripped, render(&md));
}

#[test]
fn many_nested_highlights() {
    let md = "x".repeat(400);
    let ids: Vec<String> = (0..100).map(|i| format!("n{i}")).collect();
    let hs: Vec<Highlight<'_>> = (0..100)
        .map(|i| Highlight {
            range: i..400 - i,
            id: &ids[i],
            class: if i % 2 == 0 { "comment" } else { "objection" },
        })
        .collect();
    let html = render_html(&md, &hs);
    assert_safe(&html);
    // 99 boundaries on each side plus the middle.
    assert_eq!(html.matches("<mark ").count(), 199);
    let all: Vec<&str> = ids.iter().map(String::as_str).collect();
    let middle = format!(
        "<mark class=\"cs-anchor cs-comment cs-objection\" data-anchor=\"{}\">{}</mark>",
        all.join(" "),
        "x".repeat(202)
    );
    assert!(html.contains(&middle));
}
