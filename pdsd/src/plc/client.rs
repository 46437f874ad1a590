//! [`PlcClient`]: how the rest of pdsd submits and reads did:plc operations, either in the
//! embedded directory or over the plc.directory HTTP API of a remote one (plc.directory itself,
//! or another pdsd's `/plc`).

use std::sync::Arc;
use std::time::Duration;

use atproto::plc::{DocumentData, LogEntry, SignedOp};
use atproto::syntax::Did;
use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use serde::de::DeserializeOwned;
use serde_json::Value as Json;

use super::directory::{DirectoryError, PlcDirectory};
use crate::service::ServiceError;

/// Whole-request limit for a remote directory.
const TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How much of an error body is read, and how much of its message is kept.
const MAX_ERROR_BODY: usize = 64 * 1024;
const MAX_ERROR_MESSAGE: usize = 1000;
/// Retry-After given to clients when a remote directory rate-limits without saying how long.
const DEFAULT_RETRY_AFTER_SECS: u64 = 60;

/// Makes ring the process-wide rustls provider, which reqwest (built with `rustls-no-provider`)
/// needs before its first client is built. Safe to call any number of times: only the first
/// call installs, and a provider installed by someone else is left alone.
pub fn install_crypto_provider() {
    // Err only says a provider is already installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A PLC directory to talk to. Cheap to clone.
#[derive(Clone)]
pub enum PlcClient {
    /// The directory pdsd serves itself, called directly.
    Embedded(Arc<PlcDirectory>),
    /// A directory reached over HTTP; `base_url` has no trailing `/`.
    Remote {
        http: reqwest::Client,
        base_url: String,
    },
}

impl std::fmt::Debug for PlcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlcClient::Embedded(_) => f.write_str("PlcClient::Embedded"),
            PlcClient::Remote { base_url, .. } => f
                .debug_struct("PlcClient::Remote")
                .field("base_url", base_url)
                .finish(),
        }
    }
}

impl PlcClient {
    /// A client of the directory at `base_url` (e.g. `https://plc.directory`), with a 10 s
    /// timeout per request.
    pub fn remote(base_url: &str) -> Result<Self, ServiceError> {
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("pdsd/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                ServiceError::internal(
                    anyhow::Error::new(e).context("cannot build the PLC directory HTTP client"),
                )
            })?;
        Ok(PlcClient::Remote {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
        })
    }

    /// Submits a signed operation for `did`. A rejection by the directory (bad signature,
    /// wrong prev, limits, ...) is `InvalidRequest` with the directory's reason; an unreachable
    /// or failing directory is `Internal`.
    pub async fn submit(&self, did: &Did, op: &SignedOp) -> Result<(), ServiceError> {
        match self {
            PlcClient::Embedded(dir) => {
                let (did, op) = (did.clone(), op.clone());
                run(dir, move |d| d.submit(&did, op, super::now_ms()))
                    .await?
                    .map(|_| ())
                    .map_err(ServiceError::from)
            }
            PlcClient::Remote { http, base_url } => {
                let url = format!("{base_url}/{did}");
                let resp = send(http.post(&url).json(op), &url).await?;
                if resp.status().is_success() {
                    return Ok(());
                }
                Err(remote_error(resp, &url, true).await)
            }
        }
    }

    /// The current state of `did`; `None` if it is not registered or is tombstoned (use
    /// [`PlcClient::last_op`] to tell those apart).
    pub async fn document_data(&self, did: &Did) -> Result<Option<DocumentData>, ServiceError> {
        match self {
            PlcClient::Embedded(dir) => {
                let did = did.clone();
                found(run(dir, move |d| d.document_data(&did)).await?)
            }
            PlcClient::Remote { http, base_url } => {
                get_json(http, &format!("{base_url}/{did}/data")).await
            }
        }
    }

    /// The latest operation of `did`'s current chain (a tombstone if it was deactivated);
    /// `None` if it is not registered.
    pub async fn last_op(&self, did: &Did) -> Result<Option<SignedOp>, ServiceError> {
        match self {
            PlcClient::Embedded(dir) => {
                let did = did.clone();
                found(run(dir, move |d| d.last_op(&did)).await?)
            }
            PlcClient::Remote { http, base_url } => {
                get_json(http, &format!("{base_url}/{did}/log/last")).await
            }
        }
    }

    /// Every operation of `did`, nullified ones included, in the order the directory accepted
    /// them; empty if it is not registered. Entries from a remote directory are parsed but not
    /// validated (see `atproto::plc::validate_audit_log`).
    pub async fn audit_log(&self, did: &Did) -> Result<Vec<LogEntry>, ServiceError> {
        match self {
            PlcClient::Embedded(dir) => {
                let did = did.clone();
                Ok(found(run(dir, move |d| d.audit_log(&did)).await?)?.unwrap_or_default())
            }
            PlcClient::Remote { http, base_url } => {
                let url = format!("{base_url}/{did}/log/audit");
                let Some(items) = get_json::<Vec<Json>>(http, &url).await? else {
                    return Ok(Vec::new());
                };
                items
                    .iter()
                    .map(|item| match LogEntry::from_audit_json(item) {
                        Ok((entry_did, entry)) if entry_did == *did => Ok(entry),
                        Ok((entry_did, _)) => Err(invalid_answer(
                            &url,
                            anyhow::anyhow!("audit log entry is for {entry_did}"),
                        )),
                        Err(e) => Err(invalid_answer(&url, e)),
                    })
                    .collect()
            }
        }
    }
}

/// The message of a `ServiceError` for an operation the directory refused.
pub(crate) fn rejected_operation(reason: &str) -> ServiceError {
    ServiceError::InvalidRequest(format!("PLC directory rejected the operation: {reason}"))
}

/// Runs an embedded-directory call on the blocking pool.
async fn run<T: Send + 'static>(
    dir: &Arc<PlcDirectory>,
    f: impl FnOnce(&PlcDirectory) -> Result<T, DirectoryError> + Send + 'static,
) -> Result<Result<T, DirectoryError>, ServiceError> {
    let dir = dir.clone();
    tokio::task::spawn_blocking(move || f(&dir))
        .await
        .map_err(ServiceError::internal)
}

/// A read's answer, with "not registered" and "tombstoned" as `None`.
fn found<T>(result: Result<T, DirectoryError>) -> Result<Option<T>, ServiceError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(DirectoryError::NotRegistered(_) | DirectoryError::NotAvailable(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

async fn send(req: reqwest::RequestBuilder, url: &str) -> Result<reqwest::Response, ServiceError> {
    req.send().await.map_err(|e| {
        ServiceError::internal(
            anyhow::Error::new(e).context(format!("PLC directory request to {url} failed")),
        )
    })
}

fn invalid_answer(url: &str, e: impl Into<anyhow::Error>) -> ServiceError {
    ServiceError::internal(
        e.into()
            .context(format!("PLC directory gave an invalid answer for {url}")),
    )
}

/// GETs `url`: the parsed body on success, `None` on 404 (not registered) or 410 (tombstoned).
async fn get_json<T: DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
) -> Result<Option<T>, ServiceError> {
    let resp = send(http.get(url), url).await?;
    match resp.status() {
        s if s.is_success() => resp
            .json::<T>()
            .await
            .map(Some)
            .map_err(|e| invalid_answer(url, e)),
        StatusCode::NOT_FOUND | StatusCode::GONE => Ok(None),
        _ => Err(remote_error(resp, url, false).await),
    }
}

/// The `ServiceError` for an unsuccessful answer. The directory explains a 400 in
/// `{"message": ...}`; that reason is passed on to the client. Anything else is the
/// directory's problem, not the client's, so it is `Internal` (except a rate limit).
async fn remote_error(mut resp: reqwest::Response, url: &str, submitting: bool) -> ServiceError {
    let status = resp.status();
    let retry_after = resp
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() >= MAX_ERROR_BODY {
            break;
        }
    }
    let message = serde_json::from_slice::<Json>(&body)
        .ok()
        .and_then(|j| j.get("message")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(&body).trim().to_owned());
    let message: String = message.chars().take(MAX_ERROR_MESSAGE).collect();
    match status {
        StatusCode::BAD_REQUEST if submitting => rejected_operation(&message),
        StatusCode::BAD_REQUEST => {
            ServiceError::InvalidRequest(format!("PLC directory: {message}"))
        }
        StatusCode::TOO_MANY_REQUESTS => ServiceError::RateLimited {
            message: "PLC directory rate limit exceeded, try again later".to_owned(),
            retry_after_secs: retry_after.unwrap_or(DEFAULT_RETRY_AFTER_SECS),
        },
        _ => ServiceError::internal(anyhow::anyhow!(
            "PLC directory answered {status} for {url}: {message}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plc::directory::router;
    use crate::plc::test_util::*;
    use atproto::plc::{PlcError, UnsignedOp};
    use axum::Router;

    /// Serves `app` on a loopback port and returns its address.
    async fn serve(app: Router) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        addr
    }

    /// The same conversation with any client; both kinds must answer alike.
    async fn submit_and_read_back(client: &PlcClient) {
        let id = Identity::new(2);
        let (did, genesis) = id.genesis("alice.test");

        assert_eq!(client.document_data(&did).await.unwrap(), None);
        assert_eq!(client.last_op(&did).await.unwrap(), None);
        assert!(client.audit_log(&did).await.unwrap().is_empty());

        client.submit(&did, &genesis).await.unwrap();
        let data = client.document_data(&did).await.unwrap().unwrap();
        assert_eq!(data, genesis.to_data(&did).unwrap());
        assert_eq!(data.atproto_pds_endpoint(), Some(PDS));
        assert_eq!(client.last_op(&did).await.unwrap(), Some(genesis.clone()));

        let update = id.update(&genesis, "bob.test", 1);
        client.submit(&did, &update).await.unwrap();
        assert_eq!(
            client.document_data(&did).await.unwrap().unwrap().handle(),
            Some("bob.test")
        );

        // Rejected: signed by a key that is not a rotation key.
        let forged = UnsignedOp::from(id.operation("evil.test", Some(update.cid())))
            .sign(&Identity::new(1).rotation[0]);
        match client.submit(&did, &forged).await {
            Err(ServiceError::InvalidRequest(m)) => {
                assert_eq!(
                    m,
                    format!(
                        "PLC directory rejected the operation: {}",
                        PlcError::InvalidSignature
                    )
                );
            }
            other => panic!("{other:?}"),
        }

        // Recovery by the higher-priority key nullifies the update.
        let recovery = id.update(&genesis, "alice.test", 0);
        client.submit(&did, &recovery).await.unwrap();
        let audit = client.audit_log(&did).await.unwrap();
        let seen: Vec<_> = audit.iter().map(|e| (e.cid, e.nullified)).collect();
        assert_eq!(
            seen,
            [
                (genesis.cid(), false),
                (update.cid(), true),
                (recovery.cid(), false)
            ]
        );
        atproto::plc::validate_audit_log(&did, &audit).unwrap();

        let tombstone = UnsignedOp::tombstone(recovery.cid()).sign(&id.rotation[0]);
        client.submit(&did, &tombstone).await.unwrap();
        assert_eq!(client.document_data(&did).await.unwrap(), None);
        assert_eq!(client.last_op(&did).await.unwrap(), Some(tombstone));
    }

    #[tokio::test]
    async fn embedded_client_submits_and_reads_back() {
        let (dir, _tmp) = directory();
        submit_and_read_back(&PlcClient::Embedded(dir)).await;
    }

    #[tokio::test]
    async fn remote_client_submits_and_reads_back_over_loopback_http() {
        let (dir, _tmp) = directory();
        // Mounted as pdsd mounts it, so the base URL has a path.
        let addr = serve(Router::new().nest("/plc", router(dir))).await;
        let client = PlcClient::remote(&format!("http://{addr}/plc/")).unwrap();
        submit_and_read_back(&client).await;
    }

    #[tokio::test]
    async fn an_unreachable_directory_is_an_internal_error() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let client = PlcClient::remote(&format!("http://{addr}")).unwrap();
        let did = Identity::new(1).genesis("x.test").0;
        let e = client.document_data(&did).await.unwrap_err();
        assert!(matches!(e, ServiceError::Internal(_)), "{e:?}");
    }

    #[tokio::test]
    async fn remote_rate_limits_and_server_errors_are_mapped() {
        use axum::http::header;
        use axum::routing::{get, post};
        let app = Router::new()
            .route(
                "/{did}",
                post(|| async { (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "7")]) }),
            )
            .route(
                "/{did}/data",
                get(|| async { (StatusCode::BAD_GATEWAY, "upstream down") }),
            )
            .route(
                "/{did}/log/last",
                get(|| async { axum::Json(serde_json::json!({ "type": "nope" })) }),
            );
        let addr = serve(app).await;
        let client = PlcClient::remote(&format!("http://{addr}")).unwrap();
        let id = Identity::new(1);
        let (did, genesis) = id.genesis("x.test");

        match client.submit(&did, &genesis).await {
            Err(ServiceError::RateLimited {
                retry_after_secs, ..
            }) => assert_eq!(retry_after_secs, 7),
            other => panic!("{other:?}"),
        }
        let e = client.document_data(&did).await.unwrap_err();
        assert!(
            matches!(&e, ServiceError::Internal(source) if source.to_string().contains("upstream down")),
            "{e:?}"
        );
        let e = client.last_op(&did).await.unwrap_err();
        assert!(matches!(e, ServiceError::Internal(_)), "{e:?}");
    }

    #[test]
    fn installing_the_crypto_provider_twice_is_harmless() {
        install_crypto_provider();
        install_crypto_provider();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
    }
}
