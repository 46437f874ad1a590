//! Building the firehose events the core sequences: `#identity`, `#account`, `#sync`, and the
//! genesis `#commit` of a new repository.

use atproto::Cid;
use atproto::cbor::{Map, Value};
use atproto::syntax::{Did, Tid};

use super::{Service, ServiceError, ServiceInner};
use crate::sequencer::{EventKind, PendingEvent};

/// Account states the `#account` event reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountEventStatus {
    Active,
    Deactivated,
    Takendown,
    Suspended,
    Deleted,
}

impl AccountEventStatus {
    fn as_str(self) -> &'static str {
        match self {
            AccountEventStatus::Active => "active",
            AccountEventStatus::Deactivated => "deactivated",
            AccountEventStatus::Takendown => "takendown",
            AccountEventStatus::Suspended => "suspended",
            AccountEventStatus::Deleted => "deleted",
        }
    }
}

/// `#identity`: the DID's identity (handle) may have changed.
pub fn identity_event(did: &Did, handle: Option<&str>) -> PendingEvent {
    let mut body = Map::new();
    body.insert("did".into(), Value::String(did.to_string()));
    if let Some(h) = handle {
        body.insert("handle".into(), Value::String(h.to_string()));
    }
    PendingEvent {
        did: did.to_string(),
        kind: EventKind::Identity,
        rev: None,
        body,
    }
}

/// `#account`: hosting status changed.
pub fn account_event(did: &Did, status: AccountEventStatus) -> PendingEvent {
    let mut body = Map::new();
    body.insert("did".into(), Value::String(did.to_string()));
    body.insert(
        "active".into(),
        Value::Bool(status == AccountEventStatus::Active),
    );
    if status != AccountEventStatus::Active {
        body.insert("status".into(), Value::String(status.as_str().into()));
    }
    PendingEvent {
        did: did.to_string(),
        kind: EventKind::Account,
        rev: None,
        body,
    }
}

/// `#sync`: the repository's current commit, for consumers to resynchronise.
pub fn sync_event(did: &Did, commit: Cid, commit_bytes: &[u8], rev: &Tid) -> PendingEvent {
    let mut body = Map::new();
    body.insert("did".into(), Value::String(did.to_string()));
    body.insert("rev".into(), Value::String(rev.to_string()));
    body.insert(
        "blocks".into(),
        Value::Bytes(atproto::car::write_car(
            &[commit],
            [(&commit, commit_bytes)],
        )),
    );
    PendingEvent {
        did: did.to_string(),
        kind: EventKind::Sync,
        rev: Some(rev.to_string()),
        body,
    }
}

/// The `#commit` of a new, empty repository (no ops, no `since`).
pub fn genesis_commit_event(
    did: &Did,
    commit: Cid,
    rev: &Tid,
    blocks: &[(Cid, Vec<u8>)],
) -> PendingEvent {
    let mut body = Map::new();
    body.insert("repo".into(), Value::String(did.to_string()));
    body.insert("commit".into(), Value::Link(commit));
    body.insert("rev".into(), Value::String(rev.to_string()));
    body.insert("since".into(), Value::Null);
    body.insert(
        "blocks".into(),
        Value::Bytes(atproto::car::write_car(
            &[commit],
            blocks.iter().map(|(c, b)| (c, b.as_slice())),
        )),
    );
    body.insert("ops".into(), Value::Array(Vec::new()));
    body.insert("blobs".into(), Value::Array(Vec::new()));
    body.insert("rebase".into(), Value::Bool(false));
    body.insert("tooBig".into(), Value::Bool(false));
    PendingEvent {
        did: did.to_string(),
        kind: EventKind::Commit,
        rev: Some(rev.to_string()),
        body,
    }
}

impl ServiceInner {
    /// Sequences events (blocking).
    pub fn sequence(&self, events: Vec<PendingEvent>) -> Result<(), ServiceError> {
        self.sequencer.append(events)?;
        Ok(())
    }
}

impl Service {
    /// Sequences an `#account` event.
    pub async fn sequence_account(
        &self,
        did: Did,
        status: AccountEventStatus,
    ) -> Result<(), ServiceError> {
        self.blocking(move |s| s.sequence(vec![account_event(&did, status)]))
            .await
    }
}
