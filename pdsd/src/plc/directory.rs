//! The embedded PLC directory: the operation logs of did:plc identities, persisted in
//! service.sqlite (`plc_operation`, migration 0002), and the plc.directory HTTP API over them.
//!
//! It accepts operations under exactly the reference directory's rules
//! (`atproto::plc::assure_valid_next_op` and `check_rate_limit`), so a log built here validates
//! anywhere. Its HTTP answers follow the reference server (did-method-plc
//! `packages/server/src/routes.ts` and `error.ts`), except that a tombstoned DID is 410 on
//! `GET /{did}` and `GET /{did}/data`, as the directory's OpenAPI description
//! (`website/spec/plc-server-openapi3.yaml`) and the deployed plc.directory answer; the
//! TypeScript server says 404 there, with the same message.

use std::sync::Arc;

use atproto::Cid;
use atproto::plc::{self, AcceptedOp, DocumentData, LogEntry, PlcError, SignedOp};
use atproto::syntax::Did;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use serde_json::{Value as Json, json};

use crate::service::ServiceError;
use crate::store::{Pool, StoreError};

/// Largest request body `POST /{did}` reads, as the reference server's JSON parser limit.
/// Operations themselves are limited to 4000 bytes of DAG-CBOR by the log rules.
pub const MAX_BODY_BYTES: usize = 100 * 1024;

/// Content type of `GET /{did}`, as the reference sends it.
pub const DID_DOCUMENT_CONTENT_TYPE: &str = "application/did+ld+json; charset=utf-8";

/// Why the directory cannot answer or accept something. The messages of `NotRegistered` and
/// `NotAvailable` are the reference directory's HTTP error messages, word for word.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// No operation was ever accepted for this DID (or the string is not a DID at all).
    #[error("DID not registered: {0}")]
    NotRegistered(String),
    /// The DID's current operation is a tombstone: it has no document.
    #[error("DID not available: {0}")]
    NotAvailable(Did),
    /// The proposed operation breaks a rule of the log or a limit of the directory.
    #[error(transparent)]
    Rejected(#[from] PlcError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for DirectoryError {
    fn from(e: rusqlite::Error) -> Self {
        DirectoryError::Store(StoreError::Sqlite(e))
    }
}

impl DirectoryError {
    /// The status the directory's HTTP API answers with.
    pub fn http_status(&self) -> StatusCode {
        match self {
            DirectoryError::NotRegistered(_) => StatusCode::NOT_FOUND,
            DirectoryError::NotAvailable(_) => StatusCode::GONE,
            DirectoryError::Rejected(_) => StatusCode::BAD_REQUEST,
            DirectoryError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<DirectoryError> for ServiceError {
    fn from(e: DirectoryError) -> Self {
        match e {
            DirectoryError::NotRegistered(_) | DirectoryError::NotAvailable(_) => {
                ServiceError::NotFound(e.to_string())
            }
            DirectoryError::Rejected(e) => super::client::rejected_operation(&e.to_string()),
            DirectoryError::Store(e) => ServiceError::internal(e),
        }
    }
}

/// The embedded directory. Its methods are blocking (SQLite): async callers run them in
/// `tokio::task::spawn_blocking`.
pub struct PlcDirectory {
    db: Arc<Pool>,
}

impl PlcDirectory {
    /// A directory over the service database (migrated to at least 0002).
    pub fn new(db: Arc<Pool>) -> Self {
        PlcDirectory { db }
    }

    /// Appends `op` to the log of `did` as of `now_ms` (Unix milliseconds), nullifying the
    /// operations a recovery fork replaces. Returns what was accepted; nothing is stored when
    /// the operation is rejected.
    pub fn submit(
        &self,
        did: &Did,
        op: SignedOp,
        now_ms: i64,
    ) -> Result<AcceptedOp, DirectoryError> {
        self.db.write(|conn| {
            // The log is read and extended in one transaction on the single writer, so two
            // operations naming the same prev cannot both be appended (the reference needs a
            // row lock and a 409 re-check for this).
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let existing = read_entries(&tx, did, true)?;
            let accepted = plc::assure_valid_next_op(did, &existing, &op, now_ms)?;
            // Recovery forks are exempt, as in the reference: otherwise whoever holds a
            // lower-priority key could spend the limit and block the recovery.
            if accepted.nullified.is_empty() {
                plc::check_rate_limit(&existing, now_ms)?;
            }
            {
                let mut nullify = tx.prepare_cached(
                    "UPDATE plc_operation SET nullified = 1 WHERE did = ?1 AND cid = ?2",
                )?;
                for cid in &accepted.nullified {
                    nullify.execute(params![did.as_str(), cid.to_string()])?;
                }
            }
            tx.execute(
                "INSERT INTO plc_operation (did, cid, operation, nullified, created_at) \
                 VALUES (?1, ?2, ?3, 0, ?4)",
                params![did.as_str(), accepted.cid.to_string(), op.to_cbor(), now_ms],
            )?;
            tx.commit()?;
            tracing::debug!(
                did = %did,
                cid = %accepted.cid,
                nullified = accepted.nullified.len(),
                "plc operation accepted"
            );
            Ok(accepted)
        })
    }

    /// Every operation of `did` in acceptance order, nullified ones included (`/log/audit`).
    pub fn audit_log(&self, did: &Did) -> Result<Vec<LogEntry>, DirectoryError> {
        let entries = self.db.read(|c| read_entries(c, did, true))?;
        if entries.is_empty() {
            return Err(not_registered(did));
        }
        Ok(entries)
    }

    /// The current operation chain of `did`: its operations that are not nullified (`/log`).
    pub fn log(&self, did: &Did) -> Result<Vec<SignedOp>, DirectoryError> {
        let entries = self.db.read(|c| read_entries(c, did, false))?;
        if entries.is_empty() {
            return Err(not_registered(did));
        }
        Ok(entries.into_iter().map(|e| e.op).collect())
    }

    /// The latest operation of the current chain, which may be a tombstone (`/log/last`).
    pub fn last_op(&self, did: &Did) -> Result<SignedOp, DirectoryError> {
        let last = self.db.read(|c| {
            c.prepare_cached(
                "SELECT cid, operation, nullified, created_at FROM plc_operation \
                 WHERE did = ?1 AND nullified = 0 ORDER BY seq DESC LIMIT 1",
            )?
            .query_row([did.as_str()], row_to_entry)
            .optional()
        })?;
        last.map(|e| e.op).ok_or_else(|| not_registered(did))
    }

    /// The current state of `did` (`/data`); `NotAvailable` once tombstoned.
    pub fn document_data(&self, did: &Did) -> Result<DocumentData, DirectoryError> {
        self.last_op(did)?
            .to_data(did)
            .ok_or_else(|| DirectoryError::NotAvailable(did.clone()))
    }

    /// The W3C DID document of `did` (`GET /{did}`); `NotAvailable` once tombstoned.
    pub fn did_document(&self, did: &Did) -> Result<Json, DirectoryError> {
        Ok(plc::to_did_document(&self.document_data(did)?))
    }
}

fn not_registered(did: &Did) -> DirectoryError {
    DirectoryError::NotRegistered(did.to_string())
}

fn read_entries(
    conn: &Connection,
    did: &Did,
    include_nullified: bool,
) -> rusqlite::Result<Vec<LogEntry>> {
    let sql = if include_nullified {
        "SELECT cid, operation, nullified, created_at FROM plc_operation \
         WHERE did = ?1 ORDER BY seq"
    } else {
        "SELECT cid, operation, nullified, created_at FROM plc_operation \
         WHERE did = ?1 AND nullified = 0 ORDER BY seq"
    };
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map([did.as_str()], row_to_entry)?;
    rows.collect()
}

fn row_to_entry(row: &Row<'_>) -> rusqlite::Result<LogEntry> {
    let cid: String = row.get(0)?;
    let cid: Cid = cid
        .parse()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, Type::Text, Box::new(e)))?;
    let bytes: Vec<u8> = row.get(1)?;
    let op = SignedOp::from_cbor(&bytes)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(1, Type::Blob, Box::new(e)))?;
    Ok(LogEntry {
        op,
        cid,
        nullified: row.get(2)?,
        created_at: row.get(3)?,
    })
}

// ---------------------------------------------------------------------------------------------
// HTTP API
// ---------------------------------------------------------------------------------------------

/// The plc.directory HTTP API over `directory`, with paths relative to where it is mounted
/// (pdsd nests it at `/plc`):
///
/// * `GET /{did}`: the DID document (`application/did+ld+json`);
/// * `GET /{did}/data`: the document data;
/// * `GET /{did}/log`: the current operation chain;
/// * `GET /{did}/log/last`: its latest operation;
/// * `GET /{did}/log/audit`: every operation with `cid`, `nullified` and `createdAt`;
/// * `POST /{did}`: submits a signed operation (JSON); 200 `OK`, or 400 with the reason.
///
/// Errors are `{"message": ...}`: 404 `DID not registered: <did>`, 410 `DID not available:
/// <did>` for a tombstoned DID's document, 400 for a rejected operation, 500 otherwise.
pub fn router(directory: Arc<PlcDirectory>) -> Router {
    Router::new()
        .route("/{did}", get(get_document).post(post_operation))
        .route("/{did}/data", get(get_data))
        .route("/{did}/log", get(get_log))
        .route("/{did}/log/last", get(get_last_op))
        .route("/{did}/log/audit", get(get_audit_log))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(directory)
}

type Dir = State<Arc<PlcDirectory>>;

/// An error answered as the reference directory does: a status and `{"message": ...}`.
#[derive(Debug)]
struct HttpError {
    status: StatusCode,
    message: String,
}

impl HttpError {
    fn bad_request(message: impl Into<String>) -> Self {
        HttpError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    fn internal() -> Self {
        HttpError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "Internal Server Error".to_owned(),
        }
    }
}

impl From<DirectoryError> for HttpError {
    fn from(e: DirectoryError) -> Self {
        if let DirectoryError::Store(source) = &e {
            // Logged once, here; the client gets the reference's generic message.
            tracing::error!(error = %source, "plc directory storage failed");
            return HttpError::internal();
        }
        HttpError {
            status: e.http_status(),
            message: e.to_string(),
        }
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(json!({ "message": self.message }))).into_response()
    }
}

/// Runs a directory call on the blocking pool.
async fn blocking<T: Send + 'static>(
    directory: Arc<PlcDirectory>,
    f: impl FnOnce(&PlcDirectory) -> Result<T, DirectoryError> + Send + 'static,
) -> Result<T, HttpError> {
    match tokio::task::spawn_blocking(move || f(&directory)).await {
        Ok(result) => result.map_err(HttpError::from),
        Err(e) => {
            tracing::error!(error = %e, "plc directory task failed");
            Err(HttpError::internal())
        }
    }
}

/// The DID named by a read path. The reference looks any string up, so one that is not a DID
/// is simply not registered.
fn read_path_did(raw: String) -> Result<Did, HttpError> {
    Did::from_string(raw.clone()).map_err(|_| DirectoryError::NotRegistered(raw).into())
}

async fn get_document(State(dir): Dir, Path(did): Path<String>) -> Result<Response, HttpError> {
    let did = read_path_did(did)?;
    let doc = blocking(dir, move |d| d.did_document(&did)).await?;
    Ok((
        [(header::CONTENT_TYPE, DID_DOCUMENT_CONTENT_TYPE)],
        doc.to_string(),
    )
        .into_response())
}

async fn get_data(
    State(dir): Dir,
    Path(did): Path<String>,
) -> Result<axum::Json<DocumentData>, HttpError> {
    let did = read_path_did(did)?;
    Ok(axum::Json(
        blocking(dir, move |d| d.document_data(&did)).await?,
    ))
}

async fn get_log(
    State(dir): Dir,
    Path(did): Path<String>,
) -> Result<axum::Json<Vec<SignedOp>>, HttpError> {
    let did = read_path_did(did)?;
    Ok(axum::Json(blocking(dir, move |d| d.log(&did)).await?))
}

async fn get_last_op(
    State(dir): Dir,
    Path(did): Path<String>,
) -> Result<axum::Json<SignedOp>, HttpError> {
    let did = read_path_did(did)?;
    Ok(axum::Json(blocking(dir, move |d| d.last_op(&did)).await?))
}

async fn get_audit_log(
    State(dir): Dir,
    Path(did): Path<String>,
) -> Result<axum::Json<Vec<Json>>, HttpError> {
    let did = read_path_did(did)?;
    let entries = blocking(dir, {
        let did = did.clone();
        move |d| d.audit_log(&did)
    })
    .await?;
    Ok(axum::Json(
        entries.iter().map(|e| e.to_audit_json(&did)).collect(),
    ))
}

async fn post_operation(
    State(dir): Dir,
    Path(did): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<&'static str, HttpError> {
    let body = body.map_err(|r| HttpError {
        status: r.status(),
        message: r.body_text(),
    })?;
    let did = Did::from_string(did).map_err(|e| HttpError::bad_request(e.to_string()))?;
    let json: Json = serde_json::from_slice(&body)
        .map_err(|e| HttpError::bad_request(format!("invalid JSON body: {e}")))?;
    let op = SignedOp::from_json(&json).map_err(DirectoryError::from)?;
    blocking(dir, move |d| d.submit(&did, op, super::now_ms())).await?;
    // The reference answers `res.sendStatus(200)`.
    Ok("OK")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plc::test_util::*;
    use atproto::plc::{RECOVERY_WINDOW_MS, UnsignedOp};

    #[test]
    fn genesis_then_update_is_served_as_the_latest_state() {
        let (dir, _tmp) = directory();
        let id = Identity::new(2);
        let (did, genesis) = id.genesis("alice.test");
        dir.submit(&did, genesis.clone(), T0).unwrap();
        assert_eq!(dir.last_op(&did).unwrap(), genesis);
        assert_eq!(
            dir.document_data(&did).unwrap().handle(),
            Some("alice.test")
        );

        let update = id.update(&genesis, "bob.test", 0);
        let accepted = dir.submit(&did, update.clone(), T0 + 1000).unwrap();
        assert_eq!(accepted.prev, Some(genesis.cid()));
        assert!(accepted.nullified.is_empty());

        let data = dir.document_data(&did).unwrap();
        assert_eq!(data.handle(), Some("bob.test"));
        assert_eq!(data.rotation_keys, id.rotation_dids());
        assert_eq!(dir.log(&did).unwrap(), vec![genesis, update.clone()]);
        assert_eq!(dir.last_op(&did).unwrap(), update);
        let doc = dir.did_document(&did).unwrap();
        assert_eq!(doc["id"], did.as_str());
        assert_eq!(doc["alsoKnownAs"], json!(["at://bob.test"]));
    }

    #[test]
    fn a_higher_priority_rotation_key_nullifies_a_recent_update() {
        let (dir, _tmp) = directory();
        // Key 0 is the user's recovery key, key 1 the PDS's.
        let id = Identity::new(2);
        let (did, genesis) = id.genesis("alice.test");
        dir.submit(&did, genesis.clone(), T0).unwrap();
        let hijack = id.update(&genesis, "evil.test", 1);
        dir.submit(&did, hijack.clone(), T0 + 1000).unwrap();

        let recovery = id.update(&genesis, "alice.test", 0);
        let accepted = dir.submit(&did, recovery.clone(), T0 + 2000).unwrap();
        assert_eq!(accepted.nullified, vec![hijack.cid()]);

        assert_eq!(dir.log(&did).unwrap(), vec![genesis, recovery]);
        let audit = dir.audit_log(&did).unwrap();
        let flags: Vec<bool> = audit.iter().map(|e| e.nullified).collect();
        assert_eq!(flags, [false, true, false]);
        assert_eq!(audit[1].cid, hijack.cid());
        assert_eq!(
            dir.document_data(&did).unwrap().handle(),
            Some("alice.test")
        );
        // The directory's log replays as a valid audit log.
        plc::validate_audit_log(&did, &audit).unwrap();
    }

    #[test]
    fn a_fork_by_an_equal_or_lower_priority_key_is_refused() {
        let (dir, _tmp) = directory();
        let id = Identity::new(2);
        let (did, genesis) = id.genesis("alice.test");
        dir.submit(&did, genesis.clone(), T0).unwrap();
        dir.submit(&did, id.update(&genesis, "a.test", 0), T0 + 1000)
            .unwrap();
        let e = dir
            .submit(&did, id.update(&genesis, "b.test", 1), T0 + 2000)
            .unwrap_err();
        assert!(
            matches!(
                e,
                DirectoryError::Rejected(PlcError::InsufficientKeyPriority)
            ),
            "{e:?}"
        );
        assert_eq!(dir.audit_log(&did).unwrap().len(), 2);
    }

    #[test]
    fn a_recovery_after_72_hours_is_refused() {
        let (dir, _tmp) = directory();
        let id = Identity::new(2);
        let (did, genesis) = id.genesis("alice.test");
        dir.submit(&did, genesis.clone(), T0).unwrap();
        dir.submit(&did, id.update(&genesis, "evil.test", 1), T0 + 1000)
            .unwrap();
        let late = T0 + 1000 + RECOVERY_WINDOW_MS + 1;
        let e = dir
            .submit(&did, id.update(&genesis, "alice.test", 0), late)
            .unwrap_err();
        assert!(
            matches!(e, DirectoryError::Rejected(PlcError::LateRecovery { .. })),
            "{e:?}"
        );
    }

    #[test]
    fn rejected_operations_leave_the_log_unchanged() {
        let (dir, _tmp) = directory();
        let id = Identity::new(1);
        let (did, genesis) = id.genesis("alice.test");

        // Genesis for another DID.
        let other = Identity::new(1).genesis("alice.test").0;
        let e = dir.submit(&other, genesis.clone(), T0).unwrap_err();
        assert!(matches!(
            e,
            DirectoryError::Rejected(PlcError::GenesisHash { .. })
        ));
        assert!(matches!(
            dir.audit_log(&other),
            Err(DirectoryError::NotRegistered(_))
        ));

        dir.submit(&did, genesis.clone(), T0).unwrap();
        type Expected = fn(&PlcError) -> bool;
        let cases: Vec<(SignedOp, Expected)> = vec![
            // Signed by a key that is not a rotation key.
            (
                UnsignedOp::from(id.operation("bob.test", Some(genesis.cid())))
                    .sign(&Identity::new(1).rotation[0]),
                |e| matches!(e, PlcError::InvalidSignature),
            ),
            // The same genesis again.
            (genesis.clone(), |e| {
                matches!(e, PlcError::DuplicateOperation(_))
            }),
            // A prev that is not in the log.
            (
                UnsignedOp::from(id.operation("bob.test", Some(Cid::for_dag_cbor(b"\xa0"))))
                    .sign(&id.rotation[0]),
                |e| matches!(e, PlcError::PrevNotFound(_)),
            ),
            // A second genesis.
            (
                UnsignedOp::from(id.operation("bob.test", None)).sign(&id.rotation[0]),
                |e| matches!(e, PlcError::MissingPrev),
            ),
        ];
        for (i, (op, expected)) in cases.into_iter().enumerate() {
            match dir.submit(&did, op, T0 + 1000) {
                Err(DirectoryError::Rejected(e)) => assert!(expected(&e), "case {i}: {e:?}"),
                other => panic!("case {i}: {other:?}"),
            }
        }
        assert_eq!(dir.audit_log(&did).unwrap().len(), 1);
    }

    #[test]
    fn a_tombstoned_did_has_no_document_and_accepts_no_more_operations() {
        let (dir, _tmp) = directory();
        let id = Identity::new(1);
        let (did, genesis) = id.genesis("alice.test");
        dir.submit(&did, genesis.clone(), T0).unwrap();
        let tombstone = UnsignedOp::tombstone(genesis.cid()).sign(&id.rotation[0]);
        let accepted = dir.submit(&did, tombstone.clone(), T0 + 1000).unwrap();
        assert_eq!(accepted.state, None);

        assert!(matches!(
            dir.document_data(&did),
            Err(DirectoryError::NotAvailable(_))
        ));
        assert!(matches!(
            dir.did_document(&did),
            Err(DirectoryError::NotAvailable(_))
        ));
        assert_eq!(dir.last_op(&did).unwrap(), tombstone);
        assert_eq!(dir.log(&did).unwrap().len(), 2);

        let after = id.update(&tombstone, "bob.test", 0);
        let e = dir.submit(&did, after, T0 + 2000).unwrap_err();
        assert!(matches!(
            e,
            DirectoryError::Rejected(PlcError::AfterTombstone)
        ));
    }

    #[test]
    fn an_unknown_did_is_not_registered_everywhere() {
        let (dir, _tmp) = directory();
        let did = Identity::new(1).genesis("x.test").0;
        let expected = format!("DID not registered: {did}");
        assert_eq!(dir.last_op(&did).unwrap_err().to_string(), expected);
        assert_eq!(dir.log(&did).unwrap_err().to_string(), expected);
        assert_eq!(dir.audit_log(&did).unwrap_err().to_string(), expected);
        assert_eq!(dir.document_data(&did).unwrap_err().to_string(), expected);
        assert_eq!(dir.did_document(&did).unwrap_err().to_string(), expected);
    }

    #[test]
    fn more_than_ten_operations_an_hour_are_rate_limited() {
        let (dir, _tmp) = directory();
        let id = Identity::new(1);
        let (did, genesis) = id.genesis("h0.test");
        dir.submit(&did, genesis.clone(), T0).unwrap();
        let mut last = genesis;
        for i in 1..plc::RATE_LIMIT_HOUR {
            let op = id.update(&last, &format!("h{i}.test"), 0);
            dir.submit(&did, op.clone(), T0 + i as i64).unwrap();
            last = op;
        }
        let op = id.update(&last, "over.test", 0);
        let e = dir.submit(&did, op.clone(), T0 + 100).unwrap_err();
        assert!(matches!(
            e,
            DirectoryError::Rejected(PlcError::RateLimited(_))
        ));
        // An hour later, the hourly window has room again.
        dir.submit(&did, op, T0 + 60 * 60 * 1000 + 100).unwrap();
    }

    #[test]
    fn audit_log_entries_have_the_reference_json_shape() {
        let (dir, _tmp) = directory();
        let id = Identity::new(1);
        let (did, genesis) = id.genesis("alice.test");
        dir.submit(&did, genesis.clone(), 1_700_000_000_123)
            .unwrap();
        let audit = dir.audit_log(&did).unwrap();
        let json = audit[0].to_audit_json(&did);
        assert_eq!(
            json,
            json!({
                "did": did.as_str(),
                "operation": genesis.to_json(),
                "cid": genesis.cid().to_string(),
                "nullified": false,
                "createdAt": "2023-11-14T22:13:20.123Z",
            })
        );
        let (parsed_did, parsed) = LogEntry::from_audit_json(&json).unwrap();
        assert_eq!((parsed_did, parsed), (did, audit[0].clone()));
    }

    #[test]
    fn operations_survive_reopening_the_database() {
        let tmp = tempfile::tempdir().unwrap();
        let id = Identity::new(1);
        let (did, genesis) = id.genesis("alice.test");
        {
            let dir = directory_in(tmp.path());
            dir.submit(&did, genesis.clone(), T0).unwrap();
        }
        let dir = directory_in(tmp.path());
        assert_eq!(dir.log(&did).unwrap(), vec![genesis]);
        assert_eq!(dir.audit_log(&did).unwrap()[0].created_at, T0);
    }
}

#[cfg(test)]
mod http_tests {
    use super::*;
    use crate::plc::test_util::*;
    use atproto::plc::UnsignedOp;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn call(
        app: &Router,
        method: &str,
        uri: &str,
        body: Body,
    ) -> (StatusCode, String, Bytes) {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body)
            .unwrap();
        let resp = app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let ctype = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, ctype, body)
    }

    async fn get(app: &Router, uri: &str) -> (StatusCode, String, Json) {
        let (status, ctype, body) = call(app, "GET", uri, Body::empty()).await;
        (status, ctype, serde_json::from_slice(&body).unwrap())
    }

    async fn post(app: &Router, did: &str, op: &Json) -> (StatusCode, Bytes) {
        let (status, _, body) =
            call(app, "POST", &format!("/{did}"), Body::from(op.to_string())).await;
        (status, body)
    }

    fn message(body: &[u8]) -> String {
        let json: Json = serde_json::from_slice(body).unwrap();
        json["message"].as_str().unwrap().to_owned()
    }

    /// A router with one registered DID.
    async fn app_with_did() -> (Router, Identity, Did, SignedOp, tempfile::TempDir) {
        let (dir, tmp) = directory();
        let app = router(dir);
        let id = Identity::new(1);
        let (did, genesis) = id.genesis("alice.test");
        let (status, body) = post(&app, did.as_str(), &genesis.to_json()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(&body[..], b"OK");
        (app, id, did, genesis, tmp)
    }

    #[tokio::test]
    async fn get_did_serves_the_did_document_as_did_ld_json() {
        let (app, id, did, _, _tmp) = app_with_did().await;
        let (status, ctype, doc) = get(&app, &format!("/{did}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ctype, "application/did+ld+json; charset=utf-8");
        assert_eq!(doc["id"], did.as_str());
        assert_eq!(doc["alsoKnownAs"], json!(["at://alice.test"]));
        assert_eq!(doc["verificationMethod"][0]["id"], format!("{did}#atproto"));
        assert_eq!(
            doc["verificationMethod"][0]["publicKeyMultibase"],
            id.signing_did_key().strip_prefix("did:key:").unwrap()
        );
        assert_eq!(doc["service"][0]["id"], "#atproto_pds");
        assert_eq!(doc["service"][0]["serviceEndpoint"], PDS);
    }

    #[tokio::test]
    async fn a_percent_encoded_did_path_is_decoded() {
        // The reference client escapes the DID with encodeURIComponent.
        let (app, _, did, _, _tmp) = app_with_did().await;
        let uri = format!("/{}/data", did.as_str().replace(':', "%3A"));
        let (status, _, data) = get(&app, &uri).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(data["did"], did.as_str());
    }

    #[tokio::test]
    async fn get_data_log_last_and_audit_serve_json() {
        let (app, id, did, genesis, _tmp) = app_with_did().await;
        let update = id.update(&genesis, "bob.test", 0);
        let (status, _) = post(&app, did.as_str(), &update.to_json()).await;
        assert_eq!(status, StatusCode::OK);

        let (status, ctype, data) = get(&app, &format!("/{did}/data")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(ctype.starts_with("application/json"), "{ctype}");
        assert_eq!(
            data,
            json!({
                "did": did.as_str(),
                "verificationMethods": { "atproto": id.signing_did_key() },
                "rotationKeys": id.rotation_dids(),
                "alsoKnownAs": ["at://bob.test"],
                "services": {
                    "atproto_pds": { "type": "AtprotoPersonalDataServer", "endpoint": PDS },
                },
            })
        );

        let (status, _, log) = get(&app, &format!("/{did}/log")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(log, json!([genesis.to_json(), update.to_json()]));

        let (status, _, last) = get(&app, &format!("/{did}/log/last")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(last, update.to_json());

        let (status, _, audit) = get(&app, &format!("/{did}/log/audit")).await;
        assert_eq!(status, StatusCode::OK);
        let audit = audit.as_array().unwrap();
        assert_eq!(audit.len(), 2);
        assert_eq!(audit[1]["did"], did.as_str());
        assert_eq!(audit[1]["operation"], update.to_json());
        assert_eq!(audit[1]["cid"], update.cid().to_string());
        assert_eq!(audit[1]["nullified"], false);
        assert!(audit[1]["createdAt"].as_str().unwrap().ends_with('Z'));
    }

    #[tokio::test]
    async fn an_unknown_did_is_404_on_every_read() {
        let (app, _, _, _, _tmp) = app_with_did().await;
        let unknown = Identity::new(1).genesis("x.test").0;
        for suffix in ["", "/data", "/log", "/log/last", "/log/audit"] {
            let (status, ctype, body) = get(&app, &format!("/{unknown}{suffix}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{suffix}");
            assert!(ctype.starts_with("application/json"), "{ctype}");
            assert_eq!(
                body,
                json!({ "message": format!("DID not registered: {unknown}") })
            );
        }
        let (status, _, body) = get(&app, "/not-a-did").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["message"], "DID not registered: not-a-did");
    }

    #[tokio::test]
    async fn a_tombstoned_did_is_410_but_its_log_is_served() {
        let (app, id, did, genesis, _tmp) = app_with_did().await;
        let tombstone = UnsignedOp::tombstone(genesis.cid()).sign(&id.rotation[0]);
        let (status, _) = post(&app, did.as_str(), &tombstone.to_json()).await;
        assert_eq!(status, StatusCode::OK);

        for suffix in ["", "/data"] {
            let (status, _, body) = get(&app, &format!("/{did}{suffix}")).await;
            assert_eq!(status, StatusCode::GONE, "{suffix}");
            assert_eq!(
                body,
                json!({ "message": format!("DID not available: {did}") })
            );
        }
        let (status, _, last) = get(&app, &format!("/{did}/log/last")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(last["type"], "plc_tombstone");
        let (status, _, log) = get(&app, &format!("/{did}/log")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(log.as_array().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn post_rejects_invalid_operations_with_400_and_a_message() {
        let (app, id, did, genesis, _tmp) = app_with_did().await;

        // Not JSON.
        let (status, _, body) = call(&app, "POST", &format!("/{did}"), Body::from("{")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(message(&body).starts_with("invalid JSON body"));

        // JSON, but not an operation.
        let (status, body) = post(&app, did.as_str(), &json!({ "type": "nope" })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            message(&body).contains("invalid operation"),
            "{}",
            message(&body)
        );

        // Signed by a key that is not a rotation key.
        let forged = UnsignedOp::from(id.operation("evil.test", Some(genesis.cid())))
            .sign(&Identity::new(1).rotation[0]);
        let (status, body) = post(&app, did.as_str(), &forged.to_json()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(message(&body), PlcError::InvalidSignature.to_string());

        // A genesis posted under a DID it does not hash to.
        let (other, other_genesis) = Identity::new(1).genesis("x.test");
        let unregistered = Identity::new(1).genesis("y.test").0;
        let (status, body) = post(&app, unregistered.as_str(), &other_genesis.to_json()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            message(&body).contains(other.as_str()),
            "{}",
            message(&body)
        );

        // A path that is not a DID.
        let (status, body) = post(&app, "not-a-did", &genesis.to_json()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(message(&body).contains("did"), "{}", message(&body));

        // Nothing of that was stored.
        let (_, _, audit) = get(&app, &format!("/{did}/log/audit")).await;
        assert_eq!(audit.as_array().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn post_refuses_a_body_over_the_limit() {
        let (app, _, did, _, _tmp) = app_with_did().await;
        let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(MAX_BODY_BYTES));
        let (status, _, body) = call(&app, "POST", &format!("/{did}"), Body::from(big)).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(!message(&body).is_empty());
    }
}
