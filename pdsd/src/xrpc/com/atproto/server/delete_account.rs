//! `com.atproto.server.deleteAccount`: no session needed, the password and the mailed code
//! are the credentials.

use atproto::syntax::Did;
use axum::extract::State;
use serde::Deserialize;

use crate::service::{Service, ServiceError};
use crate::xrpc::error::{XrpcJson, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Input {
    did: String,
    password: String,
    token: String,
}

pub async fn delete_account(
    State(service): State<Service>,
    XrpcJson(input): XrpcJson<Input>,
) -> XrpcResult<()> {
    let did =
        Did::new(&input.did).map_err(|e| ServiceError::invalid(format!("Invalid did: {e}")))?;
    service
        .delete_account(did, input.password, input.token)
        .await?;
    Ok(())
}
