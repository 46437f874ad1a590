//! `com.atproto.server.requestAccountDelete`.

use axum::extract::State;

use crate::service::Service;
use crate::xrpc::auth::AccessFull;
use crate::xrpc::error::XrpcResult;

pub async fn request_account_delete(
    State(service): State<Service>,
    AccessFull(claims): AccessFull,
) -> XrpcResult<()> {
    service.request_account_delete(claims.sub).await?;
    Ok(())
}
