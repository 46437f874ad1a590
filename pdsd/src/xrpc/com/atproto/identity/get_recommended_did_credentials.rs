//! `com.atproto.identity.getRecommendedDidCredentials`: any session.

use axum::Json;
use axum::extract::State;

use crate::service::Service;
use crate::service::identity::RecommendedDidCredentials;
use crate::xrpc::auth::AccessStandard;
use crate::xrpc::error::XrpcResult;

pub async fn get_recommended_did_credentials(
    State(service): State<Service>,
    AccessStandard(claims): AccessStandard,
) -> XrpcResult<Json<RecommendedDidCredentials>> {
    Ok(Json(
        service.recommended_did_credentials(&claims.sub).await?,
    ))
}
