//! `ServiceError`: the one error the core returns. Each variant knows its XRPC error name, HTTP
//! status and gRPC code, all in one place.

/// gRPC status codes used by the admin API (a subset of tonic's `Code`, kept here so the core
/// does not depend on tonic).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrpcCode {
    InvalidArgument,
    NotFound,
    AlreadyExists,
    PermissionDenied,
    Unauthenticated,
    FailedPrecondition,
    ResourceExhausted,
    Unavailable,
    Internal,
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Malformed or invalid request input.
    #[error("{0}")]
    InvalidRequest(String),
    /// A lexicon-named error with a 400 status (InvalidHandle, HandleNotAvailable, ...).
    #[error("{message}")]
    Named { name: &'static str, message: String },
    /// A lexicon-named error with a 401 status (AccountTakedown, AuthFactorTokenRequired).
    #[error("{message}")]
    NamedAuth { name: &'static str, message: String },
    /// Missing or unusable credentials.
    #[error("{0}")]
    AuthRequired(String),
    #[error("Token has expired")]
    ExpiredToken,
    #[error("{0}")]
    InvalidToken(String),
    /// Authenticated, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after_secs: u64,
    },
    /// The method needs something this server is not configured for (e.g. email).
    #[error("{0}")]
    NotConfigured(String),
    /// A request body over its limit (a blob upload over `PDS_BLOB_UPLOAD_LIMIT`).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// Anything else: details are logged at the transport edge, clients get a generic message.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ServiceError {
    pub fn invalid(msg: impl Into<String>) -> Self {
        ServiceError::InvalidRequest(msg.into())
    }

    pub fn named(name: &'static str, msg: impl Into<String>) -> Self {
        ServiceError::Named {
            name,
            message: msg.into(),
        }
    }

    pub fn named_auth(name: &'static str, msg: impl Into<String>) -> Self {
        ServiceError::NamedAuth {
            name,
            message: msg.into(),
        }
    }

    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        ServiceError::Internal(e.into())
    }

    /// The `error` field of an XRPC error body.
    pub fn xrpc_name(&self) -> &'static str {
        match self {
            ServiceError::InvalidRequest(_) => "InvalidRequest",
            ServiceError::Named { name, .. } | ServiceError::NamedAuth { name, .. } => name,
            ServiceError::AuthRequired(_) => "AuthenticationRequired",
            ServiceError::ExpiredToken => "ExpiredToken",
            ServiceError::InvalidToken(_) => "InvalidToken",
            ServiceError::Forbidden(_) => "Forbidden",
            ServiceError::NotFound(_) => "NotFound",
            ServiceError::RateLimited { .. } => "RateLimitExceeded",
            ServiceError::NotConfigured(_) => "MethodNotImplemented",
            ServiceError::PayloadTooLarge(_) => "PayloadTooLarge",
            ServiceError::Internal(_) => "InternalServerError",
        }
    }

    pub fn http_status(&self) -> u16 {
        match self {
            ServiceError::InvalidRequest(_) | ServiceError::Named { .. } => 400,
            ServiceError::AuthRequired(_)
            | ServiceError::NamedAuth { .. }
            | ServiceError::ExpiredToken
            | ServiceError::InvalidToken(_) => 401,
            ServiceError::Forbidden(_) => 403,
            ServiceError::NotFound(_) => 404,
            ServiceError::RateLimited { .. } => 429,
            ServiceError::NotConfigured(_) => 501,
            ServiceError::PayloadTooLarge(_) => 413,
            ServiceError::Internal(_) => 500,
        }
    }

    pub fn grpc_code(&self) -> GrpcCode {
        match self {
            ServiceError::InvalidRequest(_) | ServiceError::Named { .. } => {
                GrpcCode::InvalidArgument
            }
            ServiceError::AuthRequired(_)
            | ServiceError::NamedAuth { .. }
            | ServiceError::ExpiredToken
            | ServiceError::InvalidToken(_) => GrpcCode::Unauthenticated,
            ServiceError::Forbidden(_) => GrpcCode::PermissionDenied,
            ServiceError::NotFound(_) => GrpcCode::NotFound,
            ServiceError::RateLimited { .. } | ServiceError::PayloadTooLarge(_) => {
                GrpcCode::ResourceExhausted
            }
            ServiceError::NotConfigured(_) => GrpcCode::FailedPrecondition,
            ServiceError::Internal(_) => GrpcCode::Internal,
        }
    }
}

impl From<crate::store::StoreError> for ServiceError {
    fn from(e: crate::store::StoreError) -> Self {
        ServiceError::Internal(e.into())
    }
}

impl From<rusqlite::Error> for ServiceError {
    fn from(e: rusqlite::Error) -> Self {
        ServiceError::Internal(e.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_maps_to_a_name_a_status_and_a_code() {
        let cases = [
            (ServiceError::invalid("x"), "InvalidRequest", 400),
            (
                ServiceError::named("InvalidHandle", "x"),
                "InvalidHandle",
                400,
            ),
            (
                ServiceError::AuthRequired("x".into()),
                "AuthenticationRequired",
                401,
            ),
            (ServiceError::ExpiredToken, "ExpiredToken", 401),
            (ServiceError::InvalidToken("x".into()), "InvalidToken", 401),
            (ServiceError::Forbidden("x".into()), "Forbidden", 403),
            (ServiceError::NotFound("x".into()), "NotFound", 404),
            (
                ServiceError::RateLimited {
                    message: "x".into(),
                    retry_after_secs: 1,
                },
                "RateLimitExceeded",
                429,
            ),
            (
                ServiceError::PayloadTooLarge("x".into()),
                "PayloadTooLarge",
                413,
            ),
            (
                ServiceError::internal(anyhow::anyhow!("boom")),
                "InternalServerError",
                500,
            ),
        ];
        for (e, name, status) in cases {
            assert_eq!(e.xrpc_name(), name);
            assert_eq!(e.http_status(), status);
        }
        assert_eq!(
            ServiceError::internal(anyhow::anyhow!("secret detail")).to_string(),
            "internal error"
        );
    }
}
