//! `com.atproto.server.listAppPasswords`.

use axum::Json;
use axum::extract::State;
use serde::Serialize;

use crate::service::Service;
use crate::service::app_password::AppPasswordInfo;
use crate::xrpc::auth::AccessStandard;
use crate::xrpc::error::XrpcResult;

#[derive(Debug, Serialize)]
pub struct Output {
    passwords: Vec<AppPasswordInfo>,
}

pub async fn list_app_passwords(
    State(service): State<Service>,
    AccessStandard(claims): AccessStandard,
) -> XrpcResult<Json<Output>> {
    let passwords = service.list_app_passwords(claims.sub).await?;
    Ok(Json(Output { passwords }))
}
