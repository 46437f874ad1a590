//! `com.atproto.repo.importRepo`: the body is the repository CAR.

use axum::body::Bytes;
use axum::extract::State;

use crate::service::Service;
use crate::xrpc::auth::AccessFull;
use crate::xrpc::error::XrpcResult;

pub async fn import_repo(
    State(service): State<Service>,
    AccessFull(claims): AccessFull,
    body: Bytes,
) -> XrpcResult<()> {
    service.import_repo(claims.sub, body).await?;
    Ok(())
}
