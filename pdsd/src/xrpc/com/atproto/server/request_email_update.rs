//! `com.atproto.server.requestEmailUpdate`.

use axum::Json;
use axum::extract::State;

use crate::service::Service;
use crate::service::account_email::EmailUpdateRequested;
use crate::xrpc::auth::AccessFull;
use crate::xrpc::error::XrpcResult;

pub async fn request_email_update(
    State(service): State<Service>,
    AccessFull(claims): AccessFull,
) -> XrpcResult<Json<EmailUpdateRequested>> {
    Ok(Json(service.request_email_update(claims.sub).await?))
}
