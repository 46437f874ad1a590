//! `com.atproto.server.requestEmailConfirmation`.

use axum::extract::State;

use crate::service::Service;
use crate::xrpc::auth::AccessStandard;
use crate::xrpc::error::XrpcResult;

pub async fn request_email_confirmation(
    State(service): State<Service>,
    AccessStandard(claims): AccessStandard,
) -> XrpcResult<()> {
    service.request_email_confirmation(claims.sub).await?;
    Ok(())
}
