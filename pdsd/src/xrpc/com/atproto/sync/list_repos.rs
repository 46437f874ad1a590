//! `com.atproto.sync.listRepos`.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use crate::service::Service;
use crate::service::repo::sync::RepoListing;
use crate::xrpc::error::{XrpcQuery, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Params {
    limit: Option<usize>,
    cursor: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Output {
    #[serde(skip_serializing_if = "Option::is_none")]
    cursor: Option<String>,
    repos: Vec<RepoListing>,
}

pub async fn list_repos(
    State(service): State<Service>,
    XrpcQuery(p): XrpcQuery<Params>,
) -> XrpcResult<Json<Output>> {
    let (repos, cursor) = service.list_repos(p.cursor, p.limit.unwrap_or(500)).await?;
    Ok(Json(Output { cursor, repos }))
}
