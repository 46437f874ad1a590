//! `com.atproto.repo.uploadBlob`: the request body is the blob, streamed to the blob store.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use serde::Serialize;

use crate::service::Service;
use crate::service::blob::{BlobOut, UploadMeta};
use crate::xrpc::auth::AccessStandard;
use crate::xrpc::error::XrpcResult;

#[derive(Debug, Serialize)]
pub struct Output {
    blob: BlobOut,
}

pub async fn upload_blob(
    State(service): State<Service>,
    AccessStandard(claims): AccessStandard,
    headers: HeaderMap,
    body: Body,
) -> XrpcResult<Json<Output>> {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let meta = UploadMeta {
        content_type: text(header::CONTENT_TYPE).map(str::to_string),
        content_length: text(header::CONTENT_LENGTH).and_then(|v| v.trim().parse().ok()),
    };
    let blob = service
        .upload_blob(claims.sub, meta, body.into_data_stream())
        .await?;
    Ok(Json(Output { blob }))
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use serde_json::Value;
    use tower::ServiceExt;

    use crate::service::blob::test_util::{account, pds_with, png};
    use crate::service::test_util::TestPds;

    async fn post(
        pds: &TestPds,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let mut req = Request::post(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        let resp = crate::xrpc::router(pds.service.clone())
            .oneshot(req.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    #[tokio::test]
    async fn upload_blob_answers_a_blob_ref() {
        let pds = pds_with(|_| {}).await;
        let (_, token) = account(&pds, "alice").await;
        let bytes = png(1);
        let (status, v) = post(
            &pds,
            "/xrpc/com.atproto.repo.uploadBlob",
            Some(&token),
            Some("application/octet-stream"),
            bytes.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(
            v,
            serde_json::json!({ "blob": {
                "$type": "blob",
                "ref": { "$link": atproto::Cid::for_raw(&bytes).to_string() },
                "mimeType": "image/png",
                "size": bytes.len(),
            }})
        );
    }

    #[tokio::test]
    async fn upload_blob_over_the_limit_is_payload_too_large() {
        let pds = pds_with(|a| a.blob_upload_limit = Some(10)).await;
        let (_, token) = account(&pds, "alice").await;
        let (status, v) = post(
            &pds,
            "/xrpc/com.atproto.repo.uploadBlob",
            Some(&token),
            None,
            vec![0; 11],
        )
        .await;
        assert_eq!(
            (status, v["error"].as_str()),
            (StatusCode::PAYLOAD_TOO_LARGE, Some("PayloadTooLarge"))
        );
    }

    #[tokio::test]
    async fn upload_blob_needs_a_session() {
        let pds = pds_with(|_| {}).await;
        let (status, v) = post(
            &pds,
            "/xrpc/com.atproto.repo.uploadBlob",
            None,
            None,
            vec![1],
        )
        .await;
        assert_eq!(
            (status, v["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("AuthenticationRequired"))
        );
    }

    #[tokio::test]
    async fn list_missing_blobs_needs_a_session_and_answers_an_empty_list() {
        let pds = pds_with(|_| {}).await;
        let (_, token) = account(&pds, "alice").await;
        let resp = crate::xrpc::router(pds.service.clone())
            .oneshot(
                Request::get("/xrpc/com.atproto.repo.listMissingBlobs")
                    .header("authorization", format!("Bearer {token}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v, serde_json::json!({ "blobs": [] }));
        let resp = crate::xrpc::router(pds.service.clone())
            .oneshot(
                Request::get("/xrpc/com.atproto.repo.listMissingBlobs")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    }
}
