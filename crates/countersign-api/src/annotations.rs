//! Comment threads and objections: anchoring, the ledger, and how they look on a revision.

use countersign_core::anchor::{self, Anchor, Resolution};
use countersign_core::ledger::{self, Actor, LedgerAction, ObjectionFacts, ObjectionStatus};
use countersign_core::model::{
    CommentThread, LedgerEntry, Message, Objection, Revision, RevisionId,
};
use countersign_core::text;
use countersign_render::Highlight;
use countersign_store::IdKind;
use serde::Serialize;

use crate::dto::*;
use crate::{ApiError, Result, Workspace, append};

/// Where the wording is, on one revision: (state, position, wording-if-changed).
fn view_of(original: &Anchor, res: &Resolution) -> (AnchorState, Option<Position>, Option<String>) {
    match res {
        Resolution::Anchored { anchor, exact } => (
            AnchorState::Anchored,
            Some(Position {
                start: anchor.start,
                end: anchor.end,
            }),
            (!exact || anchor.quote != original.quote).then(|| anchor.quote.clone()),
        ),
        Resolution::Outdated => (AnchorState::Outdated, None, None),
    }
}

fn nonempty(what: &'static str, s: &str) -> Result<String> {
    let t = s.trim();
    if t.is_empty() {
        Err(ApiError::EmptyText(what))
    } else {
        Ok(t.to_owned())
    }
}

#[derive(Serialize)]
struct Transitioned<'a> {
    objection: &'a str,
    entry: &'a LedgerEntry,
}

#[derive(Serialize)]
struct Replied<'a> {
    thread: &'a str,
    message: &'a Message,
}

#[derive(Serialize)]
struct ThreadResolved<'a> {
    thread: &'a str,
}

impl Workspace {
    /// Anchor `quote` (its `occurrence`-th appearance, 1-based) on a revision. Returns the anchor
    /// and how often the quote occurs.
    fn anchor_on(&self, rev: &Revision, quote: &str, occurrence: usize) -> Result<(Anchor, usize)> {
        let content = self.store.read().blob(&rev.content_digest)?;
        let quote = text::normalize(quote);
        Ok(anchor::anchor_quote(&content, &quote, occurrence)?)
    }

    /// Where the wording of an annotation made on revision `made_on` stands on `rev` (whose
    /// text is `content`), as its view shows it: (state, position, wording-if-changed).
    fn placed(
        &self,
        id: &str,
        made_on: &RevisionId,
        original: &Anchor,
        rev: &Revision,
        content: &str,
    ) -> Result<(AnchorState, Option<Position>, Option<String>)> {
        let read = self.store.read();
        let made_on = read.revision(made_on.as_str())?;
        let res = if made_on.id == rev.id {
            Resolution::Anchored {
                anchor: original.clone(),
                exact: true,
            }
        } else if let Some(r) = read.anchoring(id, &rev.id)? {
            r
        } else {
            anchor::reanchor(original, content)
        };
        Ok(view_of(original, &res))
    }

    /// Open a comment thread on wording of a revision. Returns the thread id and how many times
    /// the quote occurs (the thread anchors to `occurrence`, 1-based).
    pub fn comment_add(
        &mut self,
        packet: &str,
        revision: &str,
        quote: &str,
        occurrence: usize,
        body: &str,
        author: &str,
    ) -> Result<(String, usize)> {
        let packet = self.packet_id(packet)?;
        let rev = self.revision_of(&packet, Some(revision))?;
        let (anchor, occurrences) = self.anchor_on(&rev, quote, occurrence)?;
        let body = nonempty("comment", body)?;
        let author = self.identity(author)?;
        let key = self.unlock(&author)?;
        let at = self.clock.now();
        let thread = CommentThread {
            id: self.new_id(),
            packet: packet.clone(),
            revision: rev.id.clone(),
            author: author.id.clone(),
            created_at: at,
            anchor,
            resolved: false,
            resolved_by: None,
            messages: vec![Message {
                author: author.id.clone(),
                body,
                created_at: at,
            }],
        };
        let head = self.store.read().head(&packet)?;
        self.store.write(|tx| -> Result<()> {
            tx.insert_thread(&thread)?;
            record_on_head(tx, &thread.id, &rev, &thread.anchor, head.as_ref())?;
            append(tx, &author.id, &key, at, "comment.opened", &thread)?;
            Ok(())
        })?;
        Ok((thread.id, occurrences))
    }

    /// Reply in a thread.
    pub fn comment_reply(&mut self, thread: &str, body: &str, author: &str) -> Result<()> {
        let thread = self.resolve(IdKind::Thread, thread)?;
        let body = nonempty("reply", body)?;
        let author = self.identity(author)?;
        let key = self.unlock(&author)?;
        let message = Message {
            author: author.id.clone(),
            body,
            created_at: self.clock.now(),
        };
        self.store.write(|tx| -> Result<()> {
            tx.insert_message(&thread, &message)?;
            append(
                tx,
                &author.id,
                &key,
                message.created_at,
                "comment.replied",
                &Replied {
                    thread: &thread,
                    message: &message,
                },
            )
        })
    }

    /// Mark a thread resolved.
    pub fn comment_resolve(&mut self, thread: &str, by: &str) -> Result<()> {
        let thread = self.resolve(IdKind::Thread, thread)?;
        if self.store.read().thread(&thread)?.resolved {
            return Err(ApiError::ThreadAlready("resolved"));
        }
        let by = self.identity(by)?;
        let key = self.unlock(&by)?;
        let at = self.clock.now();
        self.store.write(|tx| -> Result<()> {
            // Another process may have resolved it since it was read above.
            if tx.reader().thread(&thread)?.resolved {
                return Err(ApiError::ThreadAlready("resolved"));
            }
            tx.set_thread_resolved(&thread, Some((&by.id, at)))?;
            append(
                tx,
                &by.id,
                &key,
                at,
                "comment.resolved",
                &ThreadResolved { thread: &thread },
            )
        })
    }

    /// A packet's comment threads as they stand on a revision (the head by default).
    pub fn comment_list(&self, packet: &str, revision: Option<&str>) -> Result<Vec<ThreadView>> {
        let packet = self.packet_id(packet)?;
        let rev = self.revision_of(&packet, revision)?;
        let read = self.store.read();
        let content = read.blob(&rev.content_digest)?;
        let mut out = Vec::new();
        for t in read.threads(&packet)? {
            let (anchor_state, position, current_quote) =
                self.placed(&t.id, &t.revision, &t.anchor, &rev, &content)?;
            out.push(ThreadView {
                id: t.id,
                quote: t.anchor.quote,
                anchor_state,
                position,
                current_quote,
                revision: rev.id.to_string(),
                opened_on: t.revision.to_string(),
                resolved: t.resolved,
                messages: t
                    .messages
                    .into_iter()
                    .map(|m| MessageView {
                        author_name: self.name_of(&m.author),
                        author: m.author,
                        body: m.body,
                        created_at: m.created_at,
                    })
                    .collect(),
            });
        }
        Ok(out)
    }

    /// Raise an objection against wording of a revision. Returns its id and how many times the
    /// quote occurs.
    #[allow(clippy::too_many_arguments)]
    pub fn objection_raise(
        &mut self,
        packet: &str,
        revision: &str,
        quote: &str,
        occurrence: usize,
        body: &str,
        author: &str,
        blocking: bool,
    ) -> Result<(String, usize)> {
        let packet = self.packet_id(packet)?;
        let rev = self.revision_of(&packet, Some(revision))?;
        let (anchor, occurrences) = self.anchor_on(&rev, quote, occurrence)?;
        let body = nonempty("objection", body)?;
        let author = self.identity(author)?;
        let key = self.unlock(&author)?;
        let objection = Objection {
            id: self.new_id(),
            packet: packet.clone(),
            revision: rev.id.clone(),
            raised_by: author.id.clone(),
            created_at: self.clock.now(),
            body,
            blocking,
            status: ObjectionStatus::Open,
            anchor,
            history: Vec::new(),
        };
        let head = self.store.read().head(&packet)?;
        self.store.write(|tx| -> Result<()> {
            tx.insert_objection(&objection)?;
            record_on_head(tx, &objection.id, &rev, &objection.anchor, head.as_ref())?;
            append(
                tx,
                &author.id,
                &key,
                objection.created_at,
                "objection.raised",
                &objection,
            )?;
            if objection.blocking {
                crate::release::refresh_holds(tx, &packet, &author.id, &key, objection.created_at)?;
            }
            Ok(())
        })?;
        Ok((objection.id, occurrences))
    }

    /// Move an objection on the ledger: resolve, withdraw, accept as residual disagreement, or
    /// reopen. The core decides whether the move is allowed; nothing is written when it is not.
    pub fn objection_move(
        &mut self,
        objection: &str,
        action: LedgerAction,
        by: &str,
        text: Option<&str>,
    ) -> Result<ObjectionStatus> {
        let id = self.resolve(IdKind::Objection, objection)?;
        let o = self.store.read().objection(&id)?;
        let packet = self.store.read().packet(&o.packet)?;
        let actor = self.identity(by)?;
        let facts = |status| ObjectionFacts {
            status,
            raised_by: &o.raised_by,
            packet_owner: &packet.owner,
        };
        let who = Actor {
            id: &actor.id,
            kind: actor.kind,
        };
        // Refuse before asking for a passphrase when the move is not allowed.
        ledger::transition(facts(o.status), who, action, text)?;
        let key = self.unlock(&actor)?;
        let at = self.clock.now();
        let kind = match action {
            LedgerAction::Resolve => "objection.resolved",
            LedgerAction::Withdraw => "objection.withdrawn",
            LedgerAction::Accept => "objection.accepted_residual",
            LedgerAction::Reopen => "objection.reopened",
        };
        self.store.write(|tx| -> Result<ObjectionStatus> {
            // Decide on the status as it stands inside the write transaction: another process
            // may have moved the objection since it was read above.
            let from = tx.reader().objection(&id)?.status;
            let to = ledger::transition(facts(from), who, action, text)?;
            let entry = LedgerEntry {
                action,
                from,
                to,
                actor: actor.id.clone(),
                at,
                text: text
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned),
            };
            tx.record_ledger_entry(&id, &entry)?;
            append(
                tx,
                &actor.id,
                &key,
                entry.at,
                kind,
                &Transitioned {
                    objection: &id,
                    entry: &entry,
                },
            )?;
            if o.blocking && to == ObjectionStatus::Open {
                crate::release::refresh_holds(tx, &o.packet, &actor.id, &key, entry.at)?;
            }
            Ok(to)
        })
    }

    /// A packet's objections as they stand on a revision (the head by default).
    pub fn objection_list(
        &self,
        packet: &str,
        revision: Option<&str>,
    ) -> Result<Vec<ObjectionView>> {
        let packet = self.packet_id(packet)?;
        let rev = self.revision_of(&packet, revision)?;
        let read = self.store.read();
        let content = read.blob(&rev.content_digest)?;
        let mut out = Vec::new();
        for o in read.objections(&packet)? {
            let conflicts = read.ledger_conflict_marks(&o.id)?;
            let (anchor_state, position, current_quote) =
                self.placed(&o.id, &o.revision, &o.anchor, &rev, &content)?;
            let residual = o.acceptance().map(|e| ResidualView {
                accepted_by: e.actor.clone(),
                accepted_by_name: self.name_of(&e.actor),
                at: e.at,
                rationale: e.text.clone().unwrap_or_default(),
            });
            out.push(ObjectionView {
                id: o.id,
                status: o.status,
                blocking: o.blocking,
                quote: o.anchor.quote,
                anchor_state,
                position,
                current_quote,
                revision: rev.id.to_string(),
                raised_on: o.revision.to_string(),
                raised_by_name: self.name_of(&o.raised_by),
                raised_by: o.raised_by,
                body: o.body,
                created_at: o.created_at,
                residual,
                history: o
                    .history
                    .into_iter()
                    .zip(conflicts.into_iter().chain(std::iter::repeat(None)))
                    .map(|(e, conflict)| LedgerEntryView {
                        action: e.action.as_str().to_owned(),
                        from: e.from,
                        to: e.to,
                        actor_name: self.name_of(&e.actor),
                        actor: e.actor,
                        at: e.at,
                        text: e.text,
                        conflict,
                    })
                    .collect(),
            });
        }
        Ok(out)
    }

    /// A revision rendered to sanitized HTML, with every anchored comment and objection
    /// highlighted (`data-anchor` carries the annotation id).
    pub fn packet_render_html(&self, packet: &str, revision: Option<&str>) -> Result<String> {
        let shown = self.packet_show(packet, revision)?;
        let rev = Some(shown.revision.id.as_str());
        let mut spans: Vec<(std::ops::Range<usize>, String, &'static str)> = Vec::new();
        for o in self.objection_list(&shown.packet, rev)? {
            if let Some(p) = o.position {
                let class = match (o.status, o.blocking) {
                    (ObjectionStatus::AcceptedResidual, _) => "residual",
                    (ObjectionStatus::Open, true) => "objection-blocking",
                    (ObjectionStatus::Open, false) => "objection",
                    _ => "objection-closed",
                };
                spans.push((p.start..p.end, o.id, class));
            }
        }
        for t in self.comment_list(&shown.packet, rev)? {
            if let Some(p) = t.position {
                spans.push((
                    p.start..p.end,
                    t.id,
                    if t.resolved {
                        "comment-resolved"
                    } else {
                        "comment"
                    },
                ));
            }
        }
        let chars: Vec<_> = spans.iter().map(|s| s.0.clone()).collect();
        let bytes = anchor::char_ranges_to_bytes(&shown.markdown, &chars);
        let highlights: Vec<Highlight<'_>> = spans
            .iter()
            .zip(bytes)
            .filter_map(|((_, id, class), b)| b.map(|range| Highlight { range, id, class }))
            .collect();
        Ok(countersign_render::render_html(
            &shown.markdown,
            &highlights,
        ))
    }
}

/// When an annotation is made on an older revision, record where it stands on the head too.
pub(crate) fn record_on_head(
    tx: &countersign_store::Tx<'_>,
    id: &str,
    made_on: &Revision,
    anchor: &Anchor,
    head: Option<&Revision>,
) -> Result<()> {
    tx.put_anchoring(
        id,
        &made_on.id,
        &Resolution::Anchored {
            anchor: anchor.clone(),
            exact: true,
        },
    )?;
    if let Some(h) = head.filter(|h| h.id != made_on.id) {
        let content = tx.reader().blob(&h.content_digest)?;
        tx.put_anchoring(id, &h.id, &anchor::reanchor(anchor, &content))?;
    }
    Ok(())
}
