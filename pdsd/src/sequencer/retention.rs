//! Trimming the event log to the backfill window (`PDS_REPO_BACKFILL_LIMIT_MS`).
//!
//! The log is also what crash repair replays (`Sequencer::commit_frames_after`): a commit is
//! sequenced before its actor store transaction commits, so after a crash between the two the
//! store lacks the commit until the repository is next opened, which may be long after. The
//! caller must therefore make sure every repository [`Sequencer::repos_with_revs_before`] names
//! holds its logged commits before calling [`Sequencer::trim_batch`] (the service's trim job
//! does), and pass the ones it could not check as `keep`.

use rusqlite::params;

use super::Sequencer;
use crate::store::StoreError;

impl Sequencer {
    /// The DIDs with commit or sync events older than `before` (RFC 3339) that a trim would
    /// delete (blocking).
    pub fn repos_with_revs_before(&self, before: &str) -> Result<Vec<String>, StoreError> {
        let last = self.last_seq();
        self.db.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT DISTINCT did FROM event WHERE time < ?1 AND seq < ?2 AND rev IS NOT NULL",
            )?;
            let rows = stmt.query_map(params![before, last], |r| r.get(0))?;
            Ok(rows.collect::<Result<Vec<String>, _>>()?)
        })
    }

    /// Deletes up to `limit` of the oldest events older than `before` (RFC 3339), never the
    /// newest event (so `last_seq` survives a restart) nor events of the DIDs in `keep`;
    /// returns how many were deleted (blocking). Batches keep each write transaction short, so
    /// writers never wait long for the log.
    pub fn trim_batch(
        &self,
        before: &str,
        keep: &[String],
        limit: usize,
    ) -> Result<usize, StoreError> {
        let last = self.last_seq();
        let keep = serde_json::to_string(keep).map_err(std::io::Error::other)?;
        self.forget_recent();
        self.db.write(|c| {
            Ok(c.execute(
                "DELETE FROM event WHERE seq IN (SELECT seq FROM event \
                   WHERE time < ?1 AND seq < ?2 \
                     AND did NOT IN (SELECT value FROM json_each(?3)) \
                   ORDER BY seq LIMIT ?4)",
                params![before, last, keep, limit as i64],
            )?)
        })
    }
}

#[cfg(test)]
mod tests {
    use atproto::cbor::{Map, Value};

    use super::*;
    use crate::sequencer::{EventKind, PendingEvent};
    use crate::store::Durability;

    fn commit(did: &str, rev: &str) -> PendingEvent {
        let mut body = Map::new();
        body.insert("repo".into(), Value::String(did.into()));
        PendingEvent {
            did: did.into(),
            kind: EventKind::Commit,
            rev: Some(rev.into()),
            body,
        }
    }

    fn account(did: &str) -> PendingEvent {
        let mut body = Map::new();
        body.insert("did".into(), Value::String(did.into()));
        PendingEvent {
            did: did.into(),
            kind: EventKind::Account,
            rev: None,
            body,
        }
    }

    #[test]
    fn trimming_deletes_old_events_in_batches_but_keeps_the_newest_and_the_kept_dids() {
        let dir = tempfile::tempdir().unwrap();
        let s = Sequencer::open(dir.path(), Durability::Normal).unwrap();
        s.append(vec![
            commit("did:plc:a", "3k000000000a2"),
            account("did:plc:b"),
            commit("did:plc:c", "3k000000000a2"),
            account("did:plc:a"),
            commit("did:plc:a", "3k000000000b2"),
        ])
        .unwrap();
        let future = "9999-12-31T23:59:59.999Z";
        assert_eq!(
            s.repos_with_revs_before("2000-01-01T00:00:00.000Z")
                .unwrap()
                .len(),
            0
        );
        let mut dids = s.repos_with_revs_before(future).unwrap();
        dids.sort();
        // The newest event (seq 5) is never trimmed, but a's first commit is.
        assert_eq!(dids, vec!["did:plc:a", "did:plc:c"]);

        let keep = vec!["did:plc:c".to_string()];
        assert_eq!(s.trim_batch(future, &keep, 2).unwrap(), 2);
        assert_eq!(s.trim_batch(future, &keep, 2).unwrap(), 1);
        assert_eq!(s.trim_batch(future, &keep, 2).unwrap(), 0);
        let left: Vec<i64> = s
            .events_after(0, 10)
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect();
        assert_eq!(left, vec![3, 5]);

        assert_eq!(s.trim_batch(future, &[], 10).unwrap(), 1);
        assert_eq!(s.first_seq().unwrap(), Some(5));
        let reopened = Sequencer::open(dir.path(), Durability::Normal).unwrap();
        assert_eq!(reopened.last_seq(), 5);
    }
}
