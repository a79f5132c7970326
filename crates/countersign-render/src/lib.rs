//! Markdown to sanitized HTML, with anchored wording highlighted.
//!
//! [`render_html`] renders a Countersign packet (CommonMark plus the GFM
//! extensions tables, footnotes, strikethrough and task lists) to HTML that is
//! safe to show in the desktop webview, and wraps the wording that comments and
//! objections are anchored to in `<mark>` elements. The crate is pure: no IO,
//! no global state, and the same input always yields the same bytes.
//!
//! # Sanitizing
//!
//! Sanitizing happens on pulldown-cmark's event stream, before any HTML exists;
//! the finished HTML is never re-parsed. The stream is then written by
//! pulldown-cmark's own [`pulldown_cmark::html::push_html`], which escapes all
//! text and attribute values.
//!
//! * **Raw HTML is text.** Inline HTML and the lines of HTML blocks are turned
//!   into text events, so `<script>`, `<img onerror=…>`, `<iframe>`, `<style>`
//!   and friends appear as literal, escaped, visible text. An HTML block is
//!   shown in `<pre class="cs-raw-html">…</pre>` so its line structure survives.
//!   The only markup this crate injects itself is `<mark>`, `<span
//!   class="cs-image">`, `<pre class="cs-raw-html">` and `<code>` (when a code
//!   span has to be split around a `<mark>`), all built from escaped values.
//! * **Links.** A destination is allowed when it has no scheme (relative path,
//!   fragment, query, `//host`) or its scheme is `http`, `https` or `mailto`.
//!   The scheme is found after percent-decoding and after deleting all ASCII
//!   whitespace and control characters, and compared case-insensitively, so
//!   `JaVaScRiPt:`, ` javascript:`, `java&#x09;script:`, `java%73cript:` and
//!   friends are all caught. A link with any other destination is
//!   **neutralised by dropping the `<a>` element**: its text is rendered, with
//!   no link. Email autolinks (`<ops@example.com>`) become `mailto:` links.
//!   Footnote references are always internal `#fragment` links.
//! * **Images** are never loaded (the app forbids remote content): every image,
//!   whatever its scheme, renders as its alt text in
//!   `<span class="cs-image" title="URL">alt</span>`, the URL escaped. The
//!   markdown image title is dropped.
//! * Heading attributes, math, metadata blocks and other pulldown-cmark
//!   extensions are not enabled; heading ids/classes are stripped regardless.
//!   Link titles and every attribute value are HTML-escaped; no event-handler
//!   attribute can be produced.
//!
//! # Mapping highlights to the HTML
//!
//! Each [`Highlight`] names a byte range of the markdown source. Ranges are
//! clipped to the source, snapped outward to char boundaries, and empty or
//! inverted ones are dropped; the rest are sorted and split at every boundary
//! into segments, each covered by a fixed set of highlights. Then, for every
//! text-bearing event (text, inline code, and raw HTML turned into text):
//!
//! 1. **Exact mapping.** When the event's text is a slice of the source (the
//!    parser borrowed it), or its source range has the same length and the same
//!    bytes as the text, each text byte maps to one source byte. The text is
//!    cut at segment boundaries and every covered piece is wrapped in its own
//!    `<mark>`. For inline code the code text is located inside the source
//!    range (it is the range minus the backtick fence), and the marks go inside
//!    `<code>`.
//! 2. **Fallback.** Otherwise (character entities such as `&amp;`, backslash
//!    escapes the parser re-wrote, code spans whose line endings became
//!    spaces, …) the event cannot be cut exactly: if any highlight overlaps the
//!    event's source range, the **whole** event is wrapped in one `<mark>`
//!    listing the union of the overlapping highlights.
//!
//! A highlight that spans several events (across emphasis, links, paragraphs,
//! list items, table cells) therefore yields one `<mark>` per text piece, all
//! with the same `data-anchor`. Where highlights overlap, a piece covered by
//! several of them gets one `<mark>` whose `data-anchor` lists their ids,
//! space-separated, and whose `class` lists `cs-anchor` and then each class
//! once. Highlights over markdown syntax only (e.g. inside a link destination)
//! produce no mark.

#![warn(missing_docs)]

use std::collections::VecDeque;
use std::ops::Range;

use pulldown_cmark::{
    CowStr, DefaultBrokenLinkCallback, Event, LinkType, OffsetIter, Options, Parser, Tag, TagEnd,
    html,
};

#[doc(hidden)]
pub mod bench_support;
mod segments;
mod url;

use segments::{Segment, Segments};

/// One highlighted span of the markdown source.
#[derive(Debug, Clone)]
pub struct Highlight<'a> {
    /// Byte range into the markdown source (both ends on char boundaries).
    pub range: Range<usize>,
    /// The annotation id (rendered into data-anchor; escape it).
    pub id: &'a str,
    /// A CSS class suffix chosen by the caller, e.g. "objection", "comment", "residual", "outdated".
    /// Only [a-z0-9-] survive; anything else is dropped.
    pub class: &'a str,
}

/// Render markdown (GFM tables, footnotes, strikethrough, task lists) to sanitized HTML,
/// wrapping highlighted wording in `<mark>` elements.
///
/// See the [crate documentation](crate) for the sanitizing rules and for how
/// highlight byte ranges are mapped onto the rendered text. Never panics on
/// out-of-range, unsorted, overlapping, empty or inverted highlights.
pub fn render_html(markdown: &str, highlights: &[Highlight<'_>]) -> String {
    let segments = Segments::build(markdown, highlights);
    let mut out =
        String::with_capacity(markdown.len() + markdown.len() / 4 + segments.list.len() * 96);
    let events = Transform {
        src: markdown,
        inner: Parser::new_ext(markdown, options()).into_offset_iter(),
        segments: &segments,
        segs: &segments.list,
        cursor: 0,
        queue: VecDeque::new(),
        links: Vec::new(),
    };
    html::push_html(&mut out, events);
    out
}

/// The markdown dialect of a packet.
fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
}

const MARK_CLOSE: &str = "</mark>";

/// Appends `s` to `out`, escaped for use inside a double-quoted attribute.
pub(crate) fn escape_attr(out: &mut String, s: &str) {
    let mut last = 0;
    for (i, b) in s.bytes().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&s[last..i]);
        out.push_str(rep);
        last = i + 1;
    }
    out.push_str(&s[last..]);
}

/// Byte offset of `piece` inside `src`, if `piece` is a sub-slice of it.
fn sub_offset(src: &str, piece: &str) -> Option<usize> {
    let off = (piece.as_ptr() as usize).checked_sub(src.as_ptr() as usize)?;
    let end = off.checked_add(piece.len())?;
    // `get` also guarantees both ends are char boundaries of `src`.
    let slice = src.get(off..end)?;
    (slice.as_ptr() == piece.as_ptr()).then_some(off)
}

/// The sanitizing, highlighting event adapter.
struct Transform<'a> {
    src: &'a str,
    inner: OffsetIter<'a, DefaultBrokenLinkCallback>,
    segments: &'a Segments<'a>,
    segs: &'a [Segment],
    /// Index of the first segment that may still overlap upcoming text.
    cursor: usize,
    /// Events produced ahead (split text) and not yet handed out.
    queue: VecDeque<Event<'a>>,
    /// For every open link: whether its `<a>` was kept.
    links: Vec<bool>,
}

impl<'a> Iterator for Transform<'a> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        if let Some(ev) = self.queue.pop_front() {
            return Some(ev);
        }
        loop {
            let (event, range) = self.inner.next()?;
            let out = match event {
                Event::Text(text) | Event::Html(text) | Event::InlineHtml(text) => {
                    self.text(text, range, false)
                }
                Event::Code(text) => self.text(text, range, true),
                Event::InlineMath(text) | Event::DisplayMath(text) => self.text(text, range, false),
                Event::Start(Tag::HtmlBlock) => {
                    Event::InlineHtml(CowStr::Borrowed("<pre class=\"cs-raw-html\">"))
                }
                Event::End(TagEnd::HtmlBlock) => Event::InlineHtml(CowStr::Borrowed("</pre>\n")),
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) => {
                    let keep = link_type == LinkType::Email || url::is_safe_link(&dest_url);
                    self.links.push(keep);
                    if !keep {
                        continue;
                    }
                    Event::Start(Tag::Link {
                        link_type,
                        dest_url,
                        title,
                        id,
                    })
                }
                Event::End(TagEnd::Link) => {
                    if !self.links.pop().unwrap_or(false) {
                        continue;
                    }
                    Event::End(TagEnd::Link)
                }
                Event::Start(Tag::Image { dest_url, .. }) => {
                    let mut open = String::with_capacity(dest_url.len() + 40);
                    open.push_str("<span class=\"cs-image\" title=\"");
                    escape_attr(&mut open, &dest_url);
                    open.push_str("\">");
                    Event::InlineHtml(CowStr::from(open))
                }
                Event::End(TagEnd::Image) => Event::InlineHtml(CowStr::Borrowed("</span>")),
                Event::Start(Tag::Heading { level, .. }) => Event::Start(Tag::Heading {
                    level,
                    id: None,
                    classes: Vec::new(),
                    attrs: Vec::new(),
                }),
                other => other,
            };
            return Some(out);
        }
    }
}

impl<'a> Transform<'a> {
    /// First segment whose end lies after `off`; moves the cursor there.
    fn seek(&mut self, off: usize) -> usize {
        let segs = self.segs;
        if self.cursor > 0 && segs[self.cursor - 1].end > off {
            // Events went backwards in the source: search from scratch.
            self.cursor = segs.partition_point(|s| s.end <= off);
        } else {
            while self.cursor < segs.len() && segs[self.cursor].end <= off {
                self.cursor += 1;
            }
        }
        self.cursor
    }

    /// Source offset corresponding to the first byte of `text`, when every byte
    /// of `text` corresponds to one source byte.
    fn source_start(&self, text: &str, range: &Range<usize>, code: bool) -> Option<usize> {
        if let Some(off) = sub_offset(self.src, text) {
            return Some(off);
        }
        let slice = self.src.get(range.clone())?;
        if slice.len() == text.len() {
            return (slice == text).then_some(range.start);
        }
        if code {
            return slice.find(text).map(|i| range.start + i);
        }
        None
    }

    /// Handles a text-bearing event: returns the first event to emit and
    /// queues the rest.
    fn text(&mut self, text: CowStr<'a>, range: Range<usize>, code: bool) -> Event<'a> {
        let wrap = |t: CowStr<'a>| if code { Event::Code(t) } else { Event::Text(t) };
        if self.segs.is_empty() || text.is_empty() {
            return wrap(text);
        }
        match self.source_start(&text, &range, code) {
            Some(off) => {
                let end = off + text.len();
                let first = self.seek(off);
                let segs = self.segs;
                if first >= segs.len() || segs[first].start >= end {
                    return wrap(text);
                }
                let src = self.src;
                let piece =
                    |a: usize, b: usize| Event::Text(CowStr::Borrowed(src.get(a..b).unwrap_or("")));
                let q = &mut self.queue;
                if code {
                    q.push_back(Event::InlineHtml(CowStr::Borrowed("<code>")));
                }
                let mut pos = off;
                for seg in segs[first..].iter().take_while(|s| s.start < end) {
                    let a = seg.start.max(off);
                    let b = seg.end.min(end);
                    if pos < a {
                        q.push_back(piece(pos, a));
                    }
                    q.push_back(Event::InlineHtml(CowStr::Borrowed(seg.open.as_str())));
                    q.push_back(piece(a, b));
                    q.push_back(Event::InlineHtml(CowStr::Borrowed(MARK_CLOSE)));
                    pos = b;
                }
                if pos < end {
                    q.push_back(piece(pos, end));
                }
                if code {
                    q.push_back(Event::InlineHtml(CowStr::Borrowed("</code>")));
                }
                q.pop_front().unwrap_or(Event::Text(CowStr::Borrowed("")))
            }
            None => {
                if range.start >= range.end {
                    return wrap(text);
                }
                let first = self.seek(range.start);
                let segs = self.segs;
                let n = segs[first..]
                    .iter()
                    .take_while(|s| s.start < range.end)
                    .count();
                if n == 0 {
                    return wrap(text);
                }
                let open = if n == 1 {
                    CowStr::Borrowed(segs[first].open.as_str())
                } else {
                    CowStr::from(self.segments.union_open(&segs[first..first + n]))
                };
                self.queue.push_back(wrap(text));
                self.queue
                    .push_back(Event::InlineHtml(CowStr::Borrowed(MARK_CLOSE)));
                Event::InlineHtml(open)
            }
        }
    }
}
