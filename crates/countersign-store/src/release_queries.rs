//! Typed reads and writes for evidence, the trust policy, manifests, approvals, holds and
//! releases.

use countersign_core::{Digest, Timestamp};
use rusqlite::{OptionalExtension, params};

use crate::{Reader, Result, StoreError, Tx};

fn ts(s: &str) -> Result<Timestamp> {
    Timestamp::parse(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn digest(s: &str) -> Result<Digest> {
    Digest::parse(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// One version of an evidence item.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EvidenceVersion {
    /// 1-based.
    pub number: u32,
    /// Digest of the file.
    pub digest: Digest,
    /// The file's name when imported.
    pub file_name: String,
    /// Size in bytes.
    pub size: u64,
    /// When it was captured.
    pub captured_at: Timestamp,
    /// Who imported it.
    pub added_by: String,
}

/// An evidence item with its history, newest version last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceRow {
    /// Id.
    pub id: String,
    /// Packet.
    pub packet: String,
    /// Source system.
    pub source: String,
    /// Title.
    pub title: String,
    /// Every version, oldest first.
    pub versions: Vec<EvidenceVersion>,
}

/// A stored manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestRow {
    /// Digest of its payload.
    pub digest: Digest,
    /// Packet.
    pub packet: String,
    /// Lane.
    pub lane: String,
    /// Version.
    pub version: u64,
    /// The bound revision.
    pub revision: Digest,
    /// The DSSE envelope, JSON.
    pub envelope: String,
    /// Who drafted it.
    pub drafted_by: String,
    /// When.
    pub created_at: Timestamp,
}

/// A stored approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRow {
    /// The manifest.
    pub manifest: Digest,
    /// Signer.
    pub signer: String,
    /// approve | reject | reviewed.
    pub meaning: String,
    /// The DSSE envelope, JSON.
    pub envelope: String,
    /// When.
    pub signed_at: Timestamp,
}

/// A recorded hold (an entry of the blocked-release ledger).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldRow {
    /// The held manifest.
    pub manifest: Digest,
    /// Cause kind.
    pub kind: String,
    /// Cause, JSON.
    pub cause: String,
    /// Whether it holds the release (false: informational, e.g. a carried-over trivial change).
    pub holding: bool,
    /// Who made the change that caused it.
    pub actor: Option<String>,
    /// When it was detected.
    pub at: Timestamp,
}

/// A release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseRow {
    /// The released manifest.
    pub manifest: Digest,
    /// Where the bundle was written.
    pub path: String,
    /// The bundle JSON.
    pub bundle: String,
    /// Who released it.
    pub actor: String,
    /// When.
    pub at: Timestamp,
}

const MANIFEST_COLS: &str =
    "digest, packet, lane, version, revision, envelope, drafted_by, created_at";

fn manifest_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<[String; 8]> {
    Ok([
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get::<_, i64>(3)?.to_string(),
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ])
}

fn manifest_parse(raw: [String; 8]) -> Result<ManifestRow> {
    let [
        d,
        packet,
        lane,
        version,
        revision,
        envelope,
        drafted_by,
        created_at,
    ] = raw;
    Ok(ManifestRow {
        digest: digest(&d)?,
        packet,
        lane,
        version: version
            .parse()
            .map_err(|_| StoreError::Corrupt("manifest version".into()))?,
        revision: digest(&revision)?,
        envelope,
        drafted_by,
        created_at: ts(&created_at)?,
    })
}

impl Reader<'_> {
    /// A file by digest.
    pub fn file(&self, d: &Digest) -> Result<Option<Vec<u8>>> {
        Ok(self
            .query_row(
                "SELECT bytes FROM files WHERE digest = ?1",
                [d.as_str()],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The evidence item for a packet, source and title, if any.
    pub fn evidence_by_name(
        &self,
        packet: &str,
        source: &str,
        title: &str,
    ) -> Result<Option<EvidenceRow>> {
        let id: Option<String> = self
            .query_row(
                "SELECT id FROM evidence WHERE packet = ?1 AND source = ?2 AND title = ?3",
                [packet, source, title],
                |r| r.get(0),
            )
            .optional()?;
        id.map(|id| self.evidence(&id)).transpose()
    }

    /// One evidence item by id.
    pub fn evidence(&self, id: &str) -> Result<EvidenceRow> {
        let (packet, source, title): (String, String, String) = self
            .query_row(
                "SELECT packet, source, title FROM evidence WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound {
                what: "evidence item",
                id: id.to_owned(),
            })?;
        let mut stmt = self.prepare_cached(
            "SELECT number, digest, file_name, size, captured_at, added_by FROM evidence_versions
             WHERE evidence = ?1 ORDER BY number",
        )?;
        let raws = stmt
            .query_map([id], |r| {
                Ok((
                    r.get::<_, u32>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let versions = raws
            .into_iter()
            .map(|(number, d, file_name, size, at, added_by)| {
                Ok(EvidenceVersion {
                    number,
                    digest: digest(&d)?,
                    file_name,
                    size: size as u64,
                    captured_at: ts(&at)?,
                    added_by,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(EvidenceRow {
            id: id.to_owned(),
            packet,
            source,
            title,
            versions,
        })
    }

    /// A packet's evidence items, by source and title.
    pub fn evidence_list(&self, packet: &str) -> Result<Vec<EvidenceRow>> {
        let mut stmt =
            self.prepare("SELECT id FROM evidence WHERE packet = ?1 ORDER BY source, title")?;
        let ids = stmt
            .query_map([packet], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        ids.iter().map(|id| self.evidence(id)).collect()
    }

    /// The newest policy: (version, digest, envelope JSON).
    pub fn latest_policy(&self) -> Result<Option<(u64, Digest, String)>> {
        let row: Option<(i64, String, String)> = self
            .query_row(
                "SELECT version, digest, envelope FROM policies ORDER BY version DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        row.map(|(v, d, e)| Ok((v as u64, digest(&d)?, e)))
            .transpose()
    }

    /// One manifest by full digest.
    pub fn manifest(&self, d: &str) -> Result<ManifestRow> {
        let sql = format!("SELECT {MANIFEST_COLS} FROM manifests WHERE digest = ?1");
        let raw = self
            .query_row(&sql, [d], manifest_from)
            .optional()?
            .ok_or_else(|| StoreError::NotFound {
                what: "manifest",
                id: d.to_owned(),
            })?;
        manifest_parse(raw)
    }

    /// Resolve a manifest digest or unique prefix (with or without `sha256:`).
    pub fn resolve_manifest(&self, given: &str) -> Result<String> {
        let given = given.trim();
        let bare = given
            .strip_prefix(Digest::PREFIX)
            .unwrap_or(given)
            .to_ascii_lowercase();
        if bare.is_empty() || !bare.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::NotFound {
                what: "manifest",
                id: given.to_owned(),
            });
        }
        let mut stmt = self
            .prepare("SELECT digest FROM manifests WHERE digest LIKE ?1 ORDER BY digest LIMIT 6")?;
        let ids = stmt
            .query_map([format!("{}{bare}%", Digest::PREFIX)], |r| {
                r.get::<_, String>(0)
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        match ids.as_slice() {
            [] => Err(StoreError::NotFound {
                what: "manifest",
                id: given.to_owned(),
            }),
            [one] => Ok(one.clone()),
            _ => Err(StoreError::Ambiguous {
                what: "manifest",
                prefix: given.to_owned(),
                candidates: ids,
            }),
        }
    }

    /// Every manifest of a packet and lane, oldest first.
    pub fn manifests(&self, packet: &str, lane: &str) -> Result<Vec<ManifestRow>> {
        let sql = format!(
            "SELECT {MANIFEST_COLS} FROM manifests WHERE packet = ?1 AND lane = ?2 ORDER BY version"
        );
        let mut stmt = self.prepare(&sql)?;
        let raws = stmt
            .query_map([packet, lane], manifest_from)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raws.into_iter().map(manifest_parse).collect()
    }

    /// The lanes a packet has manifests in.
    pub fn manifest_lanes(&self, packet: &str) -> Result<Vec<String>> {
        let mut stmt =
            self.prepare("SELECT DISTINCT lane FROM manifests WHERE packet = ?1 ORDER BY lane")?;
        Ok(stmt
            .query_map([packet], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// A manifest's approvals, in the order signed.
    pub fn approvals(&self, manifest: &Digest) -> Result<Vec<ApprovalRow>> {
        let mut stmt = self.prepare(
            "SELECT signer, meaning, envelope, signed_at FROM approvals WHERE manifest = ?1 ORDER BY signed_at, signer",
        )?;
        let raws = stmt
            .query_map([manifest.as_str()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raws.into_iter()
            .map(|(signer, meaning, envelope, at)| {
                Ok(ApprovalRow {
                    manifest: manifest.clone(),
                    signer,
                    meaning,
                    envelope,
                    signed_at: ts(&at)?,
                })
            })
            .collect()
    }

    /// A manifest's recorded holds, oldest first.
    pub fn holds(&self, manifest: &Digest) -> Result<Vec<HoldRow>> {
        let mut stmt = self.prepare(
            "SELECT kind, cause, holding, actor, at FROM holds WHERE manifest = ?1 ORDER BY at, kind",
        )?;
        let raws = stmt
            .query_map([manifest.as_str()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, bool>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        raws.into_iter()
            .map(|(kind, cause, holding, actor, at)| {
                Ok(HoldRow {
                    manifest: manifest.clone(),
                    kind,
                    cause,
                    holding,
                    actor,
                    at: ts(&at)?,
                })
            })
            .collect()
    }

    /// The release of a manifest, if it was released.
    pub fn release(&self, manifest: &Digest) -> Result<Option<ReleaseRow>> {
        let row: Option<(String, String, String, String)> = self
            .query_row(
                "SELECT path, bundle, actor, at FROM releases WHERE manifest = ?1",
                [manifest.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        row.map(|(path, bundle, actor, at)| {
            Ok(ReleaseRow {
                manifest: manifest.clone(),
                path,
                bundle,
                actor,
                at: ts(&at)?,
            })
        })
        .transpose()
    }
}

impl Tx<'_> {
    /// Store a file under its digest (no-op if present).
    pub fn insert_file(&self, d: &Digest, bytes: &[u8]) -> Result<()> {
        self.execute(
            "INSERT INTO files (digest, bytes) VALUES (?1, ?2) ON CONFLICT (digest) DO NOTHING",
            params![d.as_str(), bytes],
        )?;
        Ok(())
    }

    /// Add an evidence item (without versions).
    pub fn insert_evidence(
        &self,
        id: &str,
        packet: &str,
        source: &str,
        title: &str,
        at: Timestamp,
    ) -> Result<()> {
        self.execute(
            "INSERT INTO evidence (id, packet, source, title, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, packet, source, title, at.to_string()],
        )?;
        Ok(())
    }

    /// Add a version to an evidence item.
    pub fn insert_evidence_version(&self, evidence: &str, v: &EvidenceVersion) -> Result<()> {
        self.execute(
            "INSERT INTO evidence_versions (evidence, number, digest, file_name, size, captured_at, added_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                evidence,
                v.number,
                v.digest.as_str(),
                v.file_name,
                v.size as i64,
                v.captured_at.to_string(),
                v.added_by
            ],
        )?;
        Ok(())
    }

    /// Store a new policy version.
    pub fn insert_policy(
        &self,
        version: u64,
        d: &Digest,
        envelope: &str,
        issued_at: Timestamp,
    ) -> Result<()> {
        self.execute(
            "INSERT INTO policies (version, digest, envelope, issued_at) VALUES (?1, ?2, ?3, ?4)",
            params![version as i64, d.as_str(), envelope, issued_at.to_string()],
        )?;
        Ok(())
    }

    /// Store a manifest.
    pub fn insert_manifest(&self, m: &ManifestRow) -> Result<()> {
        self.execute(
            "INSERT INTO manifests (digest, packet, lane, version, revision, envelope, drafted_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                m.digest.as_str(),
                m.packet,
                m.lane,
                m.version as i64,
                m.revision.as_str(),
                m.envelope,
                m.drafted_by,
                m.created_at.to_string()
            ],
        )?;
        Ok(())
    }

    /// Store an approval.
    pub fn insert_approval(&self, a: &ApprovalRow) -> Result<()> {
        self.execute(
            "INSERT INTO approvals (manifest, signer, meaning, envelope, signed_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![a.manifest.as_str(), a.signer, a.meaning, a.envelope, a.signed_at.to_string()],
        )?;
        Ok(())
    }

    /// Record a hold; returns false when this cause was already recorded for the manifest.
    pub fn insert_hold(&self, h: &HoldRow) -> Result<bool> {
        let n = self.execute(
            "INSERT INTO holds (manifest, kind, cause, holding, actor, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (manifest, cause) DO NOTHING",
            params![h.manifest.as_str(), h.kind, h.cause, h.holding, h.actor, h.at.to_string()],
        )?;
        Ok(n == 1)
    }

    /// Record a release.
    pub fn insert_release(&self, r: &ReleaseRow) -> Result<()> {
        self.execute(
            "INSERT INTO releases (manifest, path, bundle, actor, at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                r.manifest.as_str(),
                r.path,
                r.bundle,
                r.actor,
                r.at.to_string()
            ],
        )?;
        Ok(())
    }
}
