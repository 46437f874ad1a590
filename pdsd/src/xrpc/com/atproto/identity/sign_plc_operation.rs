//! `com.atproto.identity.signPlcOperation`: a full session only.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::service::Service;
use crate::service::identity::PlcOperationChanges;
use crate::xrpc::auth::AccessFull;
use crate::xrpc::error::{XrpcJson, XrpcResult};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Input {
    token: Option<String>,
    rotation_keys: Option<Vec<String>>,
    also_known_as: Option<Vec<String>>,
    verification_methods: Option<Value>,
    services: Option<Value>,
}

#[derive(Debug, Serialize)]
pub struct Output {
    operation: Value,
}

pub async fn sign_plc_operation(
    State(service): State<Service>,
    AccessFull(claims): AccessFull,
    XrpcJson(input): XrpcJson<Input>,
) -> XrpcResult<Json<Output>> {
    let changes = PlcOperationChanges {
        token: input.token,
        rotation_keys: input.rotation_keys,
        also_known_as: input.also_known_as,
        verification_methods: input.verification_methods,
        services: input.services,
    };
    let operation = service.sign_plc_operation(&claims.sub, changes).await?;
    Ok(Json(Output { operation }))
}
