//! Auth extractors: bearer access tokens at three privilege levels, raw refresh tokens, and the
//! admin password (HTTP basic, user `admin`) of the reference PDS's admin API.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;

use super::error::XrpcError;
use crate::auth::{AccessClaims, Scope};
use crate::service::{Service, ServiceError};

fn bearer(parts: &Parts) -> Result<&str, ServiceError> {
    let header = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| ServiceError::AuthRequired("Authentication Required".into()))?;
    let value = header
        .to_str()
        .map_err(|_| ServiceError::InvalidToken("Malformed authorization header".into()))?;
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .ok_or_else(|| ServiceError::AuthRequired("Unexpected authorization type".into()))
}

macro_rules! access_extractor {
    ($(#[$doc:meta])* $name:ident, $scopes:expr) => {
        $(#[$doc])*
        pub struct $name(pub AccessClaims);

        impl FromRequestParts<Service> for $name {
            type Rejection = XrpcError;

            async fn from_request_parts(
                parts: &mut Parts,
                service: &Service,
            ) -> Result<Self, Self::Rejection> {
                let token = bearer(parts)?;
                Ok($name(service.verify_access(token, $scopes)?))
            }
        }
    };
}

access_extractor!(
    /// Any session: the account password or an app password.
    AccessStandard,
    Scope::ACCESS_STANDARD
);
access_extractor!(
    /// The account password or a privileged app password.
    AccessPrivileged,
    Scope::ACCESS_PRIVILEGED
);
access_extractor!(
    /// Only a session made with the account password (manages the account itself).
    AccessFull,
    Scope::ACCESS_FULL
);

/// The raw refresh token of `refreshSession` / `deleteSession`.
pub struct RefreshToken(pub String);

impl FromRequestParts<Service> for RefreshToken {
    type Rejection = XrpcError;

    async fn from_request_parts(parts: &mut Parts, _: &Service) -> Result<Self, Self::Rejection> {
        Ok(RefreshToken(bearer(parts)?.to_string()))
    }
}

/// The operator, via `Authorization: Basic admin:<PDS_ADMIN_PASSWORD>`.
pub struct AdminAuth;

impl FromRequestParts<Service> for AdminAuth {
    type Rejection = XrpcError;

    async fn from_request_parts(
        parts: &mut Parts,
        service: &Service,
    ) -> Result<Self, Self::Rejection> {
        let denied = || XrpcError(ServiceError::AuthRequired("Authentication Required".into()));
        let value = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .ok_or_else(denied)?;
        let encoded = value.strip_prefix("Basic ").ok_or_else(denied)?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| denied())?;
        let expected = format!("admin:{}", service.config.admin_password);
        if constant_time_eq(&decoded, expected.as_bytes()) {
            Ok(AdminAuth)
        } else {
            Err(denied())
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
