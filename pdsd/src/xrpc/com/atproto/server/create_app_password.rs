//! `com.atproto.server.createAppPassword`: only with the account password.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use crate::service::Service;
use crate::service::app_password::CreatedAppPassword;
use crate::xrpc::auth::AccessFull;
use crate::xrpc::error::{XrpcJson, XrpcResult};

#[derive(Debug, Deserialize)]
pub struct Input {
    name: String,
    #[serde(default)]
    privileged: bool,
}

pub async fn create_app_password(
    State(service): State<Service>,
    AccessFull(claims): AccessFull,
    XrpcJson(input): XrpcJson<Input>,
) -> XrpcResult<Json<CreatedAppPassword>> {
    Ok(Json(
        service
            .create_app_password(claims.sub, input.name, input.privileged)
            .await?,
    ))
}
