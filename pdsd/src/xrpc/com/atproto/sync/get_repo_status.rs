//! `com.atproto.sync.getRepoStatus`.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use super::did_param;
use crate::service::Service;
use crate::service::repo::sync::RepoStatus;
use crate::xrpc::error::{XrpcQuery, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Params {
    did: String,
}

pub async fn get_repo_status(
    State(service): State<Service>,
    XrpcQuery(p): XrpcQuery<Params>,
) -> XrpcResult<Json<RepoStatus>> {
    Ok(Json(service.repo_status(did_param(&p.did)?).await?))
}
