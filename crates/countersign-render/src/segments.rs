//! Turning caller highlights into sorted, non-overlapping segments.

use std::collections::HashSet;

use crate::Highlight;

/// A highlight after clipping, snapping and class filtering.
#[derive(Debug)]
struct Norm<'h> {
    start: usize,
    end: usize,
    id: &'h str,
    class: String,
}

/// A maximal source byte range covered by one fixed set of highlights.
#[derive(Debug)]
pub(crate) struct Segment {
    /// Start byte in the markdown source (a char boundary).
    pub(crate) start: usize,
    /// End byte in the markdown source (a char boundary), `> start`.
    pub(crate) end: usize,
    /// The ready-made opening `<mark ...>` tag for this segment.
    pub(crate) open: String,
    /// Indices into the normalised highlights covering this segment.
    members: Vec<usize>,
}

/// All segments of one render call, sorted by position and non-overlapping.
#[derive(Debug)]
pub(crate) struct Segments<'h> {
    norm: Vec<Norm<'h>>,
    pub(crate) list: Vec<Segment>,
}

impl<'h> Segments<'h> {
    /// Clips, snaps and sorts `highlights` against `src`, then splits them at
    /// every boundary.
    pub(crate) fn build(src: &str, highlights: &[Highlight<'h>]) -> Self {
        let len = src.len();
        let mut norm: Vec<Norm<'h>> = highlights
            .iter()
            .filter_map(|h| {
                let mut start = h.range.start;
                let mut end = h.range.end.min(len);
                if start >= end {
                    return None;
                }
                while !src.is_char_boundary(start) {
                    start -= 1;
                }
                while !src.is_char_boundary(end) {
                    end += 1;
                }
                Some(Norm {
                    start,
                    end,
                    id: h.id,
                    class: h
                        .class
                        .chars()
                        .filter(|c| matches!(c, 'a'..='z' | '0'..='9' | '-'))
                        .collect(),
                })
            })
            .collect();
        // A total order on the content, so the output does not depend on the
        // order the caller passed the highlights in.
        norm.sort_by(|a, b| {
            (a.start, a.end, a.id, a.class.as_str()).cmp(&(b.start, b.end, b.id, b.class.as_str()))
        });

        let mut bounds: Vec<usize> = norm.iter().flat_map(|n| [n.start, n.end]).collect();
        bounds.sort_unstable();
        bounds.dedup();

        let mut list: Vec<Segment> = Vec::with_capacity(norm.len() * 2);
        let mut active: Vec<usize> = Vec::new();
        let mut next = 0usize;
        for w in bounds.windows(2) {
            let (a, b) = (w[0], w[1]);
            active.retain(|&i| norm[i].end > a);
            while next < norm.len() && norm[next].start <= a {
                active.push(next);
                next += 1;
            }
            if active.is_empty() {
                continue;
            }
            let open = open_tag(&norm, &active);
            if let Some(last) = list.last_mut()
                && last.end == a
                && last.open == open
            {
                // Same ids and classes, so `last.members` already describes
                // the merged segment for `union_open`.
                last.end = b;
                continue;
            }
            list.push(Segment {
                start: a,
                end: b,
                open,
                members: active.clone(),
            });
        }
        Segments { norm, list }
    }

    /// The opening tag for the union of the highlights of `segs`.
    pub(crate) fn union_open(&self, segs: &[Segment]) -> String {
        let mut members: Vec<usize> = segs
            .iter()
            .flat_map(|s| s.members.iter().copied())
            .collect();
        members.sort_unstable();
        members.dedup();
        open_tag(&self.norm, &members)
    }
}

/// `<mark class="cs-anchor cs-C1 cs-C2" data-anchor="ID1 ID2">`, every class and
/// id listed once, in the order of the (sorted) highlights.
fn open_tag(norm: &[Norm<'_>], members: &[usize]) -> String {
    let mut s = String::with_capacity(48 + 16 * members.len());
    s.push_str("<mark class=\"cs-anchor");
    let mut seen = Seen::with_capacity(members.len());
    for &i in members {
        let class = norm[i].class.as_str();
        if !class.is_empty() && seen.insert(class) {
            s.push_str(" cs-");
            s.push_str(class);
        }
    }
    s.push_str("\" data-anchor=\"");
    let mut seen = Seen::with_capacity(members.len());
    let mut first = true;
    for &i in members {
        let id = norm[i].id;
        if seen.insert(id) {
            if !first {
                s.push(' ');
            }
            first = false;
            crate::escape_attr(&mut s, id);
        }
    }
    s.push_str("\">");
    s
}

/// A set of strings: a linear scan while small (the usual case), hashed when
/// many highlights overlap, so pathological overlaps stay near-linear.
#[derive(Debug)]
enum Seen<'s> {
    Few(Vec<&'s str>),
    Many(HashSet<&'s str>),
}

impl<'s> Seen<'s> {
    fn with_capacity(n: usize) -> Self {
        if n <= 16 {
            Seen::Few(Vec::with_capacity(n))
        } else {
            Seen::Many(HashSet::with_capacity(n))
        }
    }

    /// Returns `true` when `v` was not in the set yet.
    fn insert(&mut self, v: &'s str) -> bool {
        match self {
            Seen::Few(list) => {
                if list.contains(&v) {
                    false
                } else {
                    list.push(v);
                    true
                }
            }
            Seen::Many(set) => set.insert(v),
        }
    }
}
