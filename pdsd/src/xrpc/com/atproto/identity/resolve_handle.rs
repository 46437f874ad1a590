//! `com.atproto.identity.resolveHandle`: public, no auth.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use crate::service::Service;
use crate::xrpc::error::{XrpcQuery, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Params {
    handle: String,
}

#[derive(Debug, Serialize)]
pub struct Output {
    did: String,
}

pub async fn resolve_handle(
    State(service): State<Service>,
    XrpcQuery(params): XrpcQuery<Params>,
) -> XrpcResult<Json<Output>> {
    let did = service.resolve_handle(&params.handle).await?;
    Ok(Json(Output {
        did: did.into_string(),
    }))
}
