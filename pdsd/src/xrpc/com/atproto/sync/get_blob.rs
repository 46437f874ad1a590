//! `com.atproto.sync.getBlob`: a blob, streamed, with headers that keep browsers from running
//! or rendering it in the PDS's origin.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::did_param;
use crate::service::{Service, ServiceError};
use crate::xrpc::error::{XrpcQuery, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Params {
    did: String,
    cid: String,
}

pub async fn get_blob(
    State(service): State<Service>,
    XrpcQuery(p): XrpcQuery<Params>,
) -> XrpcResult<Response> {
    let did = did_param(&p.did)?;
    let cid = p
        .cid
        .parse()
        .map_err(|e| ServiceError::invalid(format!("Invalid cid: {e}")))?;
    let blob = service.get_blob(did, cid).await?;
    let content_type = HeaderValue::from_str(&blob.mime_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", p.cid))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_LENGTH, HeaderValue::from(blob.size)),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; sandbox"),
            ),
        ],
        Body::from_stream(blob.stream),
    )
        .into_response())
}

#[cfg(test)]
pub(crate) mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use serde_json::Value;
    use tower::ServiceExt;

    use crate::service::blob::test_util::{account, create, image_post, pds_with, png, upload};
    use crate::service::test_util::TestPds;

    /// GETs `path` through the router: status, headers and body.
    pub(crate) async fn get(
        pds: &TestPds,
        path: &str,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let resp = crate::xrpc::router(pds.service.clone())
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let (parts, body) = resp.into_parts();
        let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        (parts.status, parts.headers, body.to_vec())
    }

    pub(crate) fn error(body: &[u8]) -> String {
        let v: Value = serde_json::from_slice(body).unwrap();
        v["error"].as_str().unwrap_or_default().to_string()
    }

    /// Marks an account taken down or deactivated, as moderation and its owner would.
    pub(crate) fn set_account(pds: &TestPds, did: &str, column: &str) {
        pds.service.db.write(|c| {
            c.execute(
                &format!("UPDATE account SET {column} = '2026-11-23T00:00:00.000Z' WHERE did = ?1"),
                [did],
            )
            .unwrap()
        });
    }

    #[tokio::test]
    async fn get_blob_streams_the_blob_with_safe_headers() {
        let pds = pds_with(|_| {}).await;
        let (did, _) = account(&pds, "alice").await;
        let bytes = png(1);
        let blob = upload(&pds, &did, &bytes, None).await.unwrap();
        create(&pds, &did, "app.bsky.feed.post", "p1", image_post(&[&blob]))
            .await
            .unwrap();
        let (status, headers, body) = get(
            &pds,
            &format!("/xrpc/com.atproto.sync.getBlob?did={did}&cid={}", blob.cid),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, bytes);
        let h = |n: &str| headers.get(n).unwrap().to_str().unwrap().to_string();
        assert_eq!(h("content-type"), "image/png");
        assert_eq!(h("content-length"), bytes.len().to_string());
        assert_eq!(h("x-content-type-options"), "nosniff");
        assert_eq!(h("content-security-policy"), "default-src 'none'; sandbox");
        assert_eq!(
            h("content-disposition"),
            format!("attachment; filename=\"{}\"", blob.cid)
        );
    }

    #[tokio::test]
    async fn get_blob_of_an_unknown_or_temporary_blob_is_blob_not_found() {
        let pds = pds_with(|_| {}).await;
        let (did, _) = account(&pds, "alice").await;
        let blob = upload(&pds, &did, &png(1), None).await.unwrap();
        let path = format!("/xrpc/com.atproto.sync.getBlob?did={did}&cid={}", blob.cid);
        let (status, _, body) = get(&pds, &path).await;
        assert_eq!(
            (status, error(&body)),
            (StatusCode::BAD_REQUEST, "BlobNotFound".into())
        );
        let other = atproto::Cid::for_raw(b"nothing");
        let path = format!("/xrpc/com.atproto.sync.getBlob?did={did}&cid={other}");
        let (status, _, body) = get(&pds, &path).await;
        assert_eq!(
            (status, error(&body)),
            (StatusCode::BAD_REQUEST, "BlobNotFound".into())
        );
    }

    #[tokio::test]
    async fn get_blob_of_an_unknown_repo_is_repo_not_found() {
        let pds = pds_with(|_| {}).await;
        let cid = atproto::Cid::for_raw(b"x");
        let (status, _, body) = get(
            &pds,
            &format!(
                "/xrpc/com.atproto.sync.getBlob?did=did:plc:aaaaaaaaaaaaaaaaaaaaaaaa&cid={cid}"
            ),
        )
        .await;
        assert_eq!(
            (status, error(&body)),
            (StatusCode::BAD_REQUEST, "RepoNotFound".into())
        );
    }

    #[tokio::test]
    async fn get_blob_of_a_taken_down_repo_is_repo_takendown() {
        let pds = pds_with(|_| {}).await;
        let (did, _) = account(&pds, "alice").await;
        set_account(&pds, did.as_str(), "takedown_ref");
        let cid = atproto::Cid::for_raw(b"x");
        let (_, _, body) = get(
            &pds,
            &format!("/xrpc/com.atproto.sync.getBlob?did={did}&cid={cid}"),
        )
        .await;
        assert_eq!(error(&body), "RepoTakendown");
    }

    #[tokio::test]
    async fn get_blob_of_a_deactivated_repo_is_repo_deactivated() {
        let pds = pds_with(|_| {}).await;
        let (did, _) = account(&pds, "alice").await;
        set_account(&pds, did.as_str(), "deactivated_at");
        let cid = atproto::Cid::for_raw(b"x");
        let (_, _, body) = get(
            &pds,
            &format!("/xrpc/com.atproto.sync.getBlob?did={did}&cid={cid}"),
        )
        .await;
        assert_eq!(error(&body), "RepoDeactivated");
    }

    #[tokio::test]
    async fn get_blob_with_a_bad_cid_is_invalid_request() {
        let pds = pds_with(|_| {}).await;
        let (did, _) = account(&pds, "alice").await;
        let (status, _, body) = get(
            &pds,
            &format!("/xrpc/com.atproto.sync.getBlob?did={did}&cid=nope"),
        )
        .await;
        assert_eq!(
            (status, error(&body)),
            (StatusCode::BAD_REQUEST, "InvalidRequest".into())
        );
    }
}
