//! `com.atproto.server.deleteSession`.

use axum::extract::State;

use crate::service::Service;
use crate::xrpc::auth::RefreshToken;
use crate::xrpc::error::XrpcResult;

pub async fn delete_session(
    State(service): State<Service>,
    RefreshToken(token): RefreshToken,
) -> XrpcResult<()> {
    service.delete_session(token).await?;
    Ok(())
}
