//! `com.atproto.repo.describeRepo`: public.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use crate::service::Service;
use crate::service::repo::read::RepoDescription;
use crate::xrpc::error::{XrpcQuery, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Params {
    repo: String,
}

pub async fn describe_repo(
    State(service): State<Service>,
    XrpcQuery(p): XrpcQuery<Params>,
) -> XrpcResult<Json<RepoDescription>> {
    Ok(Json(service.describe_repo(&p.repo).await?))
}
