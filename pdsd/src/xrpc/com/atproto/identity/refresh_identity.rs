//! `com.atproto.identity.refreshIdentity`: `resolveIdentity` past the cache. The lexicon lets
//! a server require auth; this one does, so strangers cannot make it fetch on demand.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use crate::service::Service;
use crate::service::identity::IdentityInfo;
use crate::xrpc::auth::AccessStandard;
use crate::xrpc::error::{XrpcJson, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Input {
    identifier: String,
}

pub async fn refresh_identity(
    State(service): State<Service>,
    _auth: AccessStandard,
    XrpcJson(input): XrpcJson<Input>,
) -> XrpcResult<Json<IdentityInfo>> {
    Ok(Json(
        service.resolve_identity(&input.identifier, true).await?,
    ))
}
