//! `com.atproto.sync.listBlobs`.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::did_param;
use crate::service::{Service, ServiceError};
use crate::xrpc::error::{XrpcQuery, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Params {
    did: String,
    since: Option<String>,
    limit: Option<usize>,
    cursor: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Output {
    #[serde(skip_serializing_if = "Option::is_none")]
    cursor: Option<String>,
    cids: Vec<String>,
}

pub async fn list_blobs(
    State(service): State<Service>,
    XrpcQuery(p): XrpcQuery<Params>,
) -> XrpcResult<Json<Output>> {
    let did = did_param(&p.did)?;
    let since = p
        .since
        .as_deref()
        .map(|s| {
            atproto::syntax::Tid::new(s)
                .map_err(|e| ServiceError::invalid(format!("Invalid since: {e}")))
        })
        .transpose()?;
    let (cids, cursor) = service
        .list_blobs(did, since, p.cursor, p.limit.unwrap_or(500))
        .await?;
    Ok(Json(Output { cursor, cids }))
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use crate::service::blob::test_util::{account, create, image_post, pds_with, png, upload};
    use crate::xrpc::com::atproto::sync::get_blob::tests::{error, get, set_account};

    #[tokio::test]
    async fn list_blobs_lists_the_cids_records_use() {
        let pds = pds_with(|_| {}).await;
        let (did, _) = account(&pds, "alice").await;
        let blob = upload(&pds, &did, &png(1), None).await.unwrap();
        upload(&pds, &did, &png(2), None).await.unwrap();
        create(&pds, &did, "app.bsky.feed.post", "p1", image_post(&[&blob]))
            .await
            .unwrap();
        let (status, _, body) =
            get(&pds, &format!("/xrpc/com.atproto.sync.listBlobs?did={did}")).await;
        assert_eq!(status, StatusCode::OK);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v, serde_json::json!({ "cids": [blob.cid.to_string()] }));
    }

    #[tokio::test]
    async fn list_blobs_of_an_unknown_repo_is_repo_not_found() {
        let pds = pds_with(|_| {}).await;
        let (_, _, body) = get(
            &pds,
            "/xrpc/com.atproto.sync.listBlobs?did=did:plc:aaaaaaaaaaaaaaaaaaaaaaaa",
        )
        .await;
        assert_eq!(error(&body), "RepoNotFound");
    }

    #[tokio::test]
    async fn list_blobs_of_a_taken_down_repo_is_repo_takendown() {
        let pds = pds_with(|_| {}).await;
        let (did, _) = account(&pds, "alice").await;
        set_account(&pds, did.as_str(), "takedown_ref");
        let (_, _, body) = get(&pds, &format!("/xrpc/com.atproto.sync.listBlobs?did={did}")).await;
        assert_eq!(error(&body), "RepoTakendown");
    }

    #[tokio::test]
    async fn list_blobs_of_a_deactivated_repo_is_repo_deactivated() {
        let pds = pds_with(|_| {}).await;
        let (did, _) = account(&pds, "alice").await;
        set_account(&pds, did.as_str(), "deactivated_at");
        let (_, _, body) = get(&pds, &format!("/xrpc/com.atproto.sync.listBlobs?did={did}")).await;
        assert_eq!(error(&body), "RepoDeactivated");
    }

    #[tokio::test]
    async fn list_blobs_with_a_bad_since_is_invalid_request() {
        let pds = pds_with(|_| {}).await;
        let (did, _) = account(&pds, "alice").await;
        let (status, _, body) = get(
            &pds,
            &format!("/xrpc/com.atproto.sync.listBlobs?did={did}&since=yesterday"),
        )
        .await;
        assert_eq!(
            (status, error(&body)),
            (StatusCode::BAD_REQUEST, "InvalidRequest".into())
        );
    }
}
