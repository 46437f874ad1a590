//! `com.atproto.identity.resolveIdentity`: public, no auth.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use crate::service::Service;
use crate::service::identity::IdentityInfo;
use crate::xrpc::error::{XrpcQuery, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Params {
    identifier: String,
}

pub async fn resolve_identity(
    State(service): State<Service>,
    XrpcQuery(params): XrpcQuery<Params>,
) -> XrpcResult<Json<IdentityInfo>> {
    Ok(Json(
        service.resolve_identity(&params.identifier, false).await?,
    ))
}
