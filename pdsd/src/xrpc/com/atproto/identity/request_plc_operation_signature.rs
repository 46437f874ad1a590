//! `com.atproto.identity.requestPlcOperationSignature`: a full session only.

use axum::extract::State;

use crate::service::Service;
use crate::xrpc::auth::AccessFull;
use crate::xrpc::error::XrpcResult;

pub async fn request_plc_operation_signature(
    State(service): State<Service>,
    AccessFull(claims): AccessFull,
) -> XrpcResult<()> {
    service.request_plc_operation_signature(&claims.sub).await?;
    Ok(())
}
