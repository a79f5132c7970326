//! Packets and revisions.

use countersign_core::anchor::{Anchor, reanchor_all};
use countersign_core::model::{Packet, Revision, revision_id, validate_name};
use countersign_core::text;
use countersign_store::{IdKind, Tx};
use serde::Serialize;

use crate::dto::{PacketView, RevisionContent, RevisionView};
use crate::{ApiError, Result, Workspace, append};

#[derive(Serialize)]
struct RevisionCreated<'a> {
    revision: &'a Revision,
    number: u32,
    bytes: usize,
}

impl Workspace {
    /// Make a new, empty packet owned by `owner`.
    pub fn packet_new(&mut self, title: &str, owner: &str) -> Result<PacketView> {
        let title = validate_name("title", title)?;
        let owner = self.identity(owner)?;
        let key = self.unlock(&owner)?;
        let packet = Packet {
            id: self.new_id(),
            title,
            owner: owner.id.clone(),
            created_at: self.clock.now(),
        };
        self.store.write(|tx| -> Result<()> {
            tx.insert_packet(&packet)?;
            append(
                tx,
                &owner.id,
                &key,
                packet.created_at,
                "packet.created",
                &packet,
            )?;
            Ok(())
        })?;
        self.packet_view(&packet.id)
    }

    /// Resolve a packet id or prefix.
    pub(crate) fn packet_id(&self, given: &str) -> Result<String> {
        self.resolve(IdKind::Packet, given)
    }

    /// Resolve a revision of `packet`: the given id or prefix, or the head when `None`.
    pub(crate) fn revision_of(&self, packet: &str, given: Option<&str>) -> Result<Revision> {
        let read = self.store.read();
        match given {
            Some(g) => {
                let id = read.resolve(IdKind::Revision, g)?;
                let rev = read.revision(&id)?;
                if rev.packet != packet {
                    return Err(ApiError::RevisionNotInPacket {
                        revision: id,
                        packet: packet.to_owned(),
                    });
                }
                Ok(rev)
            }
            None => read
                .head(packet)?
                .ok_or_else(|| ApiError::NoRevision(packet.to_owned())),
        }
    }

    /// One packet with its head and counts.
    pub fn packet_view(&self, packet: &str) -> Result<PacketView> {
        let read = self.store.read();
        let id = read.resolve(IdKind::Packet, packet)?;
        let p = read.packet(&id)?;
        let objections = read.objections(&id)?;
        let open = objections
            .iter()
            .filter(|o| o.status == countersign_core::ledger::ObjectionStatus::Open);
        let heads: Vec<String> = read
            .heads(&id)?
            .into_iter()
            .map(|r| r.id.to_string())
            .collect();
        Ok(PacketView {
            owner_name: self.name_of(&p.owner),
            head: read.head(&id)?.map(|r| r.id.to_string()),
            diverged: heads.len() > 1,
            heads,
            revisions: read.revision_count(&id)?,
            open_objections: open.clone().count() as u32,
            open_blocking: open.filter(|o| o.blocking).count() as u32,
            id: p.id,
            title: p.title,
            owner: p.owner,
            created_at: p.created_at,
        })
    }

    /// Every packet.
    pub fn packet_list(&self) -> Result<Vec<PacketView>> {
        let ids: Vec<String> = self
            .store
            .read()
            .packets()?
            .into_iter()
            .map(|p| p.id)
            .collect();
        ids.iter().map(|id| self.packet_view(id)).collect()
    }

    /// Add a revision whose content is `bytes` (UTF-8, at most 16 MiB; normalized before
    /// digesting). Its parent is the current head. Every comment and objection of the packet is
    /// re-anchored onto it in the same transaction. Refused while the packet has diverged (see
    /// [`Workspace::packet_merge`]).
    pub fn packet_revise(
        &mut self,
        packet: &str,
        bytes: &[u8],
        author: &str,
        message: &str,
    ) -> Result<RevisionView> {
        self.revise(packet, bytes, author, message, false)
    }

    /// Resolve a divergence: a revision whose parents are all the packet's heads (concurrent
    /// revisions made on different replicas), with the content the owner settled on. Only the
    /// packet's owner merges. The content may equal one of the heads'.
    pub fn packet_merge(
        &mut self,
        packet: &str,
        bytes: &[u8],
        author: &str,
        message: &str,
    ) -> Result<RevisionView> {
        self.revise(packet, bytes, author, message, true)
    }

    /// The packet's heads (revisions without children), oldest first; more than one means it
    /// has diverged.
    pub fn packet_heads(&self, packet: &str) -> Result<Vec<RevisionView>> {
        let packet = self.packet_id(packet)?;
        let heads = self.store.read().heads(&packet)?;
        heads.iter().map(|r| self.revision_view(r)).collect()
    }

    fn revise(
        &mut self,
        packet: &str,
        bytes: &[u8],
        author: &str,
        message: &str,
        merge: bool,
    ) -> Result<RevisionView> {
        let packet = self.packet_id(packet)?;
        let content = text::decode(bytes)?;
        let author = self.identity(author)?;
        let content_digest = text::content_digest(&content);
        let check = |heads: &[Revision]| -> Result<()> {
            match (merge, heads) {
                (false, [_, _, ..]) => Err(ApiError::Diverged {
                    packet: packet.clone(),
                    heads: heads.iter().map(|h| h.id.to_string()).collect(),
                }),
                (false, [h]) if h.content_digest == content_digest => {
                    Err(ApiError::NoChange(h.id.to_string()))
                }
                (true, [] | [_]) => Err(ApiError::NotDiverged(packet.clone())),
                _ => Ok(()),
            }
        };
        check(&self.store.read().heads(&packet)?)?;
        if merge {
            let owner = self.store.read().packet(&packet)?.owner;
            if owner != author.id {
                return Err(ApiError::NotPermitted(format!(
                    "only the packet's owner ({}) merges its heads; {} is not the owner",
                    self.name_of(&owner),
                    author.name
                )));
            }
        }
        let key = self.unlock(&author)?;
        let created_at = self.clock.now();
        let message = message.trim().to_owned();
        // The heads are read again inside the write transaction: another process (or a sync)
        // may have revised the packet since they were read above, and the new revision's parents
        // must be the heads it actually lands on.
        let revision = self.store.write(|tx| -> Result<Revision> {
            let heads = tx.reader().heads(&packet)?;
            check(&heads)?;
            let parents: Vec<_> = heads.into_iter().map(|h| h.id).collect();
            let revision = Revision {
                id: revision_id(
                    &packet,
                    &content_digest,
                    &parents,
                    &author.id,
                    created_at,
                    &message,
                ),
                packet: packet.clone(),
                content_digest: content_digest.clone(),
                parents,
                author: author.id.clone(),
                message,
                created_at,
            };
            tx.insert_blob(&revision.content_digest, &content)?;
            let number = tx.insert_revision(&revision)?;
            reanchor_packet(tx, &packet, &revision, &content)?;
            let payload = RevisionCreated {
                revision: &revision,
                number,
                bytes: content.len(),
            };
            append(
                tx,
                &author.id,
                &key,
                created_at,
                "revision.created",
                &payload,
            )?;
            crate::release::refresh_holds(tx, &packet, &author.id, &key, created_at)?;
            Ok(revision)
        })?;
        self.revision_view(&revision)
    }

    pub(crate) fn revision_view(&self, r: &Revision) -> Result<RevisionView> {
        let read = self.store.read();
        let all = read.revisions(&r.packet)?;
        let number = all
            .iter()
            .position(|x| x.id == r.id)
            .map_or(0, |i| i as u32 + 1);
        let head = read.heads(&r.packet)?.iter().any(|h| h.id == r.id);
        Ok(RevisionView {
            id: r.id.to_string(),
            number,
            content_digest: r.content_digest.to_string(),
            parents: r.parents.iter().map(ToString::to_string).collect(),
            author: r.author.clone(),
            author_name: self.name_of(&r.author),
            message: r.message.clone(),
            created_at: r.created_at,
            head,
        })
    }

    /// A packet's revisions, newest first.
    pub fn packet_log(&self, packet: &str) -> Result<Vec<RevisionView>> {
        let packet = self.packet_id(packet)?;
        let revisions = self.store.read().revisions(&packet)?;
        let heads: Vec<_> = self
            .store
            .read()
            .heads(&packet)?
            .into_iter()
            .map(|h| h.id)
            .collect();
        let count = revisions.len();
        let mut out = Vec::with_capacity(count);
        for (i, r) in revisions.iter().enumerate().rev() {
            out.push(RevisionView {
                id: r.id.to_string(),
                number: i as u32 + 1,
                content_digest: r.content_digest.to_string(),
                parents: r.parents.iter().map(ToString::to_string).collect(),
                author: r.author.clone(),
                author_name: self.name_of(&r.author),
                message: r.message.clone(),
                created_at: r.created_at,
                head: heads.contains(&r.id),
            });
        }
        Ok(out)
    }

    /// The content of a revision (the head when `revision` is `None`).
    pub fn packet_show(&self, packet: &str, revision: Option<&str>) -> Result<RevisionContent> {
        let packet = self.packet_id(packet)?;
        let rev = self.revision_of(&packet, revision)?;
        let markdown = self.store.read().blob(&rev.content_digest)?;
        Ok(RevisionContent {
            packet,
            revision: self.revision_view(&rev)?,
            markdown,
        })
    }
}

/// Re-anchor every annotation of `packet` onto a new revision, from where each was last found
/// (or from where it was made, if it has never been found since).
pub(crate) fn reanchor_packet(
    tx: &Tx<'_>,
    packet: &str,
    revision: &Revision,
    content: &str,
) -> Result<()> {
    let read = tx.reader();
    let mut ids = Vec::new();
    let mut sources: Vec<Anchor> = Vec::new();
    for t in read.threads(packet)? {
        sources.push(read.last_anchored(&t.id)?.unwrap_or(t.anchor));
        ids.push(t.id);
    }
    for o in read.objections(packet)? {
        sources.push(read.last_anchored(&o.id)?.unwrap_or(o.anchor));
        ids.push(o.id);
    }
    for (id, res) in ids.iter().zip(reanchor_all(&sources, content)) {
        tx.put_anchoring(id, &revision.id, &res)?;
    }
    Ok(())
}
