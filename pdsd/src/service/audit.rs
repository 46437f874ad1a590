//! The admin audit log: every admin action, from the admin socket or the admin XRPC methods,
//! appended to a hash chain in `service.sqlite` (table `audit_log`, migration 0005).
//!
//! Row `n` stores `hash_n = hex(SHA-256(hash_{n-1} || "\n" || content_n))`, where `content_n`
//! is the JSON array `[seq, time, actor, action, subject, reason, details_json]` and `hash_0`
//! is the empty string. Editing or deleting a row breaks every later hash; triggers refuse
//! UPDATE and DELETE, so only someone with write access to the file can try. Keeping a copy of
//! the head hash elsewhere also catches a truncated log.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::{Service, ServiceError};

/// Who performed an admin action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// An operator on the admin socket, identified by the peer's uid (SO_PEERCRED).
    Operator { uid: u32 },
    /// A caller of the admin XRPC methods with the admin password.
    AdminPassword,
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::Operator { uid } => write!(f, "uid:{uid}"),
            Actor::AdminPassword => f.write_str("admin-password"),
        }
    }
}

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub seq: i64,
    pub time: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub reason: Option<String>,
    /// A JSON object, as stored.
    pub details_json: String,
    pub hash: String,
}

/// Which entries [`Service::audit_entries`] returns.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Page size, clamped to 1..=1000 (0 means 100).
    pub limit: usize,
    /// Only entries with a smaller seq (paging newest to oldest).
    pub before_seq: Option<i64>,
    pub subject: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
}

/// The result of re-checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditVerification {
    pub valid: bool,
    pub entry_count: u64,
    /// Hash of the newest entry ("" for an empty log).
    pub head_hash: String,
    pub first_invalid_seq: Option<i64>,
    pub problem: Option<String>,
}

/// The hash of `e` (its `hash` field aside) given the previous entry's hash.
fn entry_hash(prev_hash: &str, e: &AuditEntry) -> String {
    // A JSON array is an unambiguous encoding of the fields (no separator can be forged).
    let content = serde_json::json!([
        e.seq,
        e.time,
        e.actor,
        e.action,
        e.subject,
        e.reason,
        e.details_json
    ]);
    let mut input = Vec::with_capacity(prev_hash.len() + 256);
    input.extend_from_slice(prev_hash.as_bytes());
    input.push(b'\n');
    input.extend_from_slice(content.to_string().as_bytes());
    atproto::multibase::hex_encode(&atproto::cid::sha256(&input))
}

/// Appends one entry inside the caller's connection (use it within a transaction to make the
/// entry atomic with the action). Returns its seq.
pub fn append(
    conn: &Connection,
    actor: &Actor,
    action: &str,
    subject: &str,
    reason: Option<&str>,
    details: &serde_json::Value,
) -> Result<i64, ServiceError> {
    let last: Option<(i64, String)> = conn
        .query_row(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (prev_seq, prev_hash) = last.unwrap_or((0, String::new()));
    let mut e = AuditEntry {
        seq: prev_seq + 1,
        time: atproto::syntax::Datetime::now().to_string(),
        actor: actor.to_string(),
        action: action.to_string(),
        subject: subject.to_string(),
        reason: reason
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string),
        details_json: if details.is_object() {
            details.to_string()
        } else {
            serde_json::json!({ "value": details }).to_string()
        },
        hash: String::new(),
    };
    e.hash = entry_hash(&prev_hash, &e);
    conn.execute(
        "INSERT INTO audit_log (seq, time, actor, action, subject, reason, details_json, \
         prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            e.seq,
            e.time,
            e.actor,
            e.action,
            e.subject,
            e.reason,
            e.details_json,
            prev_hash,
            e.hash
        ],
    )?;
    Ok(e.seq)
}

fn entry_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        seq: r.get(0)?,
        time: r.get(1)?,
        actor: r.get(2)?,
        action: r.get(3)?,
        subject: r.get(4)?,
        reason: r.get(5)?,
        details_json: r.get(6)?,
        hash: r.get(7)?,
    })
}

/// Re-checks the whole chain on `conn`.
pub fn verify(conn: &Connection) -> Result<AuditVerification, ServiceError> {
    let mut stmt = conn.prepare(
        "SELECT seq, time, actor, action, subject, reason, details_json, hash, prev_hash \
         FROM audit_log ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut prev_hash = String::new();
    let mut count = 0u64;
    while let Some(row) = rows.next()? {
        let e = entry_from_row(row)?;
        let stored_prev: String = row.get(8)?;
        count += 1;
        let fail = |problem: String| AuditVerification {
            valid: false,
            entry_count: count,
            head_hash: String::new(),
            first_invalid_seq: Some(e.seq),
            problem: Some(problem),
        };
        if e.seq != count as i64 {
            return Ok(fail(format!("expected seq {count}, found {}", e.seq)));
        }
        if stored_prev != prev_hash {
            return Ok(fail("prev_hash does not match the previous entry".into()));
        }
        let expected = entry_hash(&prev_hash, &e);
        if expected != e.hash {
            return Ok(fail("hash does not match the entry's content".into()));
        }
        prev_hash = e.hash;
    }
    Ok(AuditVerification {
        valid: true,
        entry_count: count,
        head_hash: prev_hash,
        first_invalid_seq: None,
        problem: None,
    })
}

impl Service {
    /// Records an admin action that already happened.
    pub async fn audit(
        &self,
        actor: &Actor,
        action: &'static str,
        subject: impl Into<String>,
        reason: Option<&str>,
        details: serde_json::Value,
    ) -> Result<i64, ServiceError> {
        let actor = actor.clone();
        let subject = subject.into();
        let reason = reason.map(str::to_string);
        let seq = self
            .blocking(move |s| {
                s.db.write(|c| {
                    let tx = c.transaction()?;
                    let seq = append(&tx, &actor, action, &subject, reason.as_deref(), &details)?;
                    tx.commit()?;
                    Ok(seq)
                })
            })
            .await?;
        tracing::info!(audit_seq = seq, action, "admin action recorded");
        Ok(seq)
    }

    /// Audit entries, newest first.
    pub async fn audit_entries(
        &self,
        filter: AuditFilter,
    ) -> Result<Vec<AuditEntry>, ServiceError> {
        let limit = match filter.limit {
            0 => 100,
            n => n.min(1000),
        };
        self.blocking(move |s| {
            s.db.read(|c| {
                let mut stmt = c.prepare_cached(
                    "SELECT seq, time, actor, action, subject, reason, details_json, hash \
                     FROM audit_log WHERE (?1 IS NULL OR seq < ?1) \
                     AND (?2 IS NULL OR subject = ?2) AND (?3 IS NULL OR actor = ?3) \
                     AND (?4 IS NULL OR action = ?4) ORDER BY seq DESC LIMIT ?5",
                )?;
                let rows = stmt.query_map(
                    params![
                        filter.before_seq,
                        filter.subject,
                        filter.actor,
                        filter.action,
                        limit as i64
                    ],
                    entry_from_row,
                )?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
        })
        .await
    }

    /// Re-checks the whole audit chain.
    pub async fn verify_audit_log(&self) -> Result<AuditVerification, ServiceError> {
        self.blocking(|s| s.db.read(verify)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::test_util::TestPds;
    use serde_json::json;

    #[tokio::test]
    async fn audit_entries_chain_and_verify() {
        let pds = TestPds::new().await;
        let s = &pds.service;
        assert!(s.verify_audit_log().await.unwrap().valid);
        s.audit(
            &Actor::Operator { uid: 1000 },
            "account.create",
            "did:plc:a",
            Some("onboarding"),
            json!({"handle": "a.test"}),
        )
        .await
        .unwrap();
        s.audit(&Actor::AdminPassword, "invite.create", "", None, json!({}))
            .await
            .unwrap();
        let entries = s.audit_entries(AuditFilter::default()).await.unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].seq, 2);
        assert_eq!(entries[0].actor, "admin-password");
        assert_eq!(entries[1].actor, "uid:1000");
        assert_eq!(entries[1].reason.as_deref(), Some("onboarding"));
        let v = s.verify_audit_log().await.unwrap();
        assert!(v.valid);
        assert_eq!(v.entry_count, 2);
        assert_eq!(v.head_hash, entries[0].hash);

        let only = s
            .audit_entries(AuditFilter {
                subject: Some("did:plc:a".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(only.len(), 1);
        let older = s
            .audit_entries(AuditFilter {
                before_seq: Some(2),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(older[0].seq, 1);
    }

    #[tokio::test]
    async fn audit_log_refuses_updates_and_deletes() {
        let pds = TestPds::new().await;
        let s = &pds.service;
        s.audit(&Actor::AdminPassword, "x.y", "", None, json!({}))
            .await
            .unwrap();
        let update =
            s.db.write(|c| c.execute("UPDATE audit_log SET actor = 'uid:0'", []));
        assert!(update.is_err());
        let delete = s.db.write(|c| c.execute("DELETE FROM audit_log", []));
        assert!(delete.is_err());
    }

    #[tokio::test]
    async fn a_tampered_entry_breaks_the_chain() {
        let pds = TestPds::new().await;
        let s = &pds.service;
        for i in 0..3 {
            s.audit(
                &Actor::Operator { uid: 0 },
                "account.delete",
                format!("did:plc:{i}"),
                None,
                json!({}),
            )
            .await
            .unwrap();
        }
        // Someone with the file drops the triggers and edits the second row.
        s.db.write(|c| {
            c.execute_batch(
                "DROP TRIGGER audit_log_no_update; \
                 UPDATE audit_log SET subject = 'did:plc:other' WHERE seq = 2;",
            )
        })
        .unwrap();
        let v = s.verify_audit_log().await.unwrap();
        assert!(!v.valid);
        assert_eq!(v.first_invalid_seq, Some(2));
    }
}
