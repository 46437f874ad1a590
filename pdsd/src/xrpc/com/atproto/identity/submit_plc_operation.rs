//! `com.atproto.identity.submitPlcOperation`: any session, as the reference.

use axum::extract::State;
use serde::Deserialize;
use serde_json::Value;

use crate::service::Service;
use crate::xrpc::auth::AccessStandard;
use crate::xrpc::error::{XrpcJson, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Input {
    operation: Value,
}

pub async fn submit_plc_operation(
    State(service): State<Service>,
    AccessStandard(claims): AccessStandard,
    XrpcJson(input): XrpcJson<Input>,
) -> XrpcResult<()> {
    service
        .submit_plc_operation(&claims.sub, input.operation)
        .await?;
    Ok(())
}
