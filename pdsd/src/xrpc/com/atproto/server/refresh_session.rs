//! `com.atproto.server.refreshSession`.

use axum::Json;
use axum::extract::State;

use crate::service::Service;
use crate::service::account::SessionTokens;
use crate::xrpc::auth::RefreshToken;
use crate::xrpc::error::XrpcResult;

pub async fn refresh_session(
    State(service): State<Service>,
    RefreshToken(token): RefreshToken,
) -> XrpcResult<Json<SessionTokens>> {
    Ok(Json(service.refresh_session(token).await?))
}
