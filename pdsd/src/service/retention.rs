//! The background job that trims the firehose event log to `PDS_REPO_BACKFILL_LIMIT_MS` (the
//! reference PDS's backfill window: a cursor older than it gets `OutdatedCursor`).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use atproto::syntax::{Datetime, Did};

use super::{Service, ServiceError, ServiceInner};
use crate::store::actor::actor_dir;

/// Events deleted per write transaction.
const TRIM_BATCH: usize = 10_000;

impl Service {
    /// Deletes events older than the backfill window, keeping the newest event; returns how
    /// many were deleted.
    pub async fn trim_event_log(&self) -> Result<usize, ServiceError> {
        self.blocking(ServiceInner::trim_event_log_blocking).await
    }
}

impl ServiceInner {
    fn trim_event_log_blocking(&self) -> Result<usize, ServiceError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let window = self.config.repo_backfill_limit.as_millis() as i64;
        let cutoff = Datetime::from_unix_millis(now.saturating_sub(window)).to_string();

        // Crash repair replays a repository's commits from the log (`RepoState::open`), and
        // after a crash between sequencing a commit and storing it that happens only when the
        // repository is next opened, which may be after the commit left the window. So no
        // commit is trimmed before its actor store is known to hold it: for every repository
        // with commits to trim, wait for a write in flight (its lock), then make sure the
        // store is current, repairing it now if not. A write that starts after that sequences
        // events newer than the cutoff, which this run does not touch.
        let mut keep = Vec::new();
        for did in self.sequencer.repos_with_revs_before(&cutoff)? {
            let Ok(did) = Did::new(&did) else { continue };
            if !actor_dir(&self.config.data_directory, &did)
                .join("store.sqlite")
                .exists()
            {
                // Purged: nothing left to repair.
                continue;
            }
            drop(self.repos.slot(&did).blocking_lock());
            if let Err(e) = self.ensure_store_current(&did) {
                tracing::error!(
                    did = %did,
                    error = %format!("{:#}", anyhow::Error::from(e)),
                    "cannot check that the repository holds its logged commits; keeping its events"
                );
                keep.push(did.to_string());
            }
        }

        let mut total = 0;
        loop {
            let n = self.sequencer.trim_batch(&cutoff, &keep, TRIM_BATCH)?;
            total += n;
            if n < TRIM_BATCH {
                return Ok(total);
            }
        }
    }
}

/// Starts the job that trims the event log every `sequencer_trim_interval`.
pub(super) fn spawn_trim_job(service: &Service) {
    let weak = Arc::downgrade(&service.0);
    let interval = service.config.sequencer_trim_interval;
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            let Some(inner) = weak.upgrade() else { break };
            match Service(inner).trim_event_log().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(events = n, "trimmed the event log"),
                Err(e) => {
                    tracing::warn!(error = %format!("{:#}", anyhow::Error::from(e)), "event log trim failed")
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::account::CreateAccountInput;
    use crate::service::test_util::TestPds;

    #[tokio::test]
    async fn trimming_repairs_a_store_that_missed_its_last_commit_before_deleting_it() {
        let pds = TestPds::with(|a| {
            a.invite_required = Some(false);
            a.repo_backfill_limit_ms = Some(0);
            a.sequencer_trim_interval_ms = Some(3_600_000);
        })
        .await;
        let s = &pds.service;
        let out = s
            .create_account(CreateAccountInput {
                handle: "alice.test".into(),
                email: Some("alice@example.com".into()),
                password: Some("password".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        let did = Did::new(&out.did).unwrap();
        let data = s.config.data_directory.clone();
        let store_rev = || {
            crate::store::actor::ActorStore::open(&data, &did, crate::store::Durability::Normal)
                .unwrap()
                .root()
                .unwrap()
                .unwrap()
                .1
        };
        let before = store_rev();
        // Simulate a crash between sequencing a commit and storing it: copy the store aside,
        // write, and put the old store back; the log has a commit the store lacks.
        let store = actor_dir(&data, &did).join("store.sqlite");
        let saved = tempfile::tempdir().unwrap();
        s.repos.evict(&did);
        s.readers.evict(&did);
        let files = |dir: &std::path::Path| {
            ["", "-wal"].map(|suffix| dir.join(format!("store.sqlite{suffix}")))
        };
        let live = files(store.parent().unwrap());
        for (from, to) in live.iter().zip(files(saved.path())) {
            if from.exists() {
                std::fs::copy(from, to).unwrap();
            }
        }
        s.apply_writes(
            did.clone(),
            vec![crate::service::repo::Write::Create {
                collection: atproto::syntax::Nsid::new("app.bsky.feed.post").unwrap(),
                rkey: None,
                value: atproto::json::record_from_json(&serde_json::json!({
                    "$type": "app.bsky.feed.post",
                    "text": "hi",
                    "createdAt": "2024-01-01T00:00:00.000Z"
                }))
                .unwrap(),
            }],
            crate::service::repo::Validate::Optimistic,
            None,
        )
        .await
        .unwrap();
        let logged = s.sequencer.last_rev(did.as_str()).unwrap().unwrap().1;
        s.repos.evict(&did);
        s.readers.evict(&did);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", store.display()));
        }
        for (from, to) in files(saved.path()).iter().zip(live) {
            if from.exists() {
                std::fs::copy(from, to).unwrap();
            }
        }
        assert_eq!(store_rev(), before);

        // A later event makes the commit trimmable (the newest event is always kept).
        s.sequencer
            .append(vec![crate::sequencer::PendingEvent {
                did: "did:plc:other".into(),
                kind: crate::sequencer::EventKind::Account,
                rev: None,
                body: Default::default(),
            }])
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let trimmed = s.trim_event_log().await.unwrap();
        assert!(trimmed > 0);
        assert_eq!(store_rev().as_str(), logged.as_str());
        assert_eq!(s.sequencer.last_rev(did.as_str()).unwrap(), None);
    }
}
